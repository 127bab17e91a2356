/*
 * Experiments (see experiment.h).
 */
#include <sys/random.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "model/versions.h"
#include "store/sql.h"
#include "telemetry/ctr.h"
#include "telemetry/experiment.h"
#include "util/clock.h"
#include "util/log.h"

#define HOUR_MS	3600000LL

static int
name_ok(const char *s, size_t max)
{
	size_t	n = strlen(s);

	return (n > 0 && n < max && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n);
}

/* "NAME=VERSION:PERCENT" into arm; 0 or -1. */
int
experiment_parse_arm(const char *s, struct experiment_arm *arm)
{
	const char	*eq = strchr(s, '='), *colon;
	char		*end;
	double		 pct;
	size_t		 n;

	if (eq == NULL || (colon = strchr(eq, ':')) == NULL)
		return (-1);
	n = (size_t)(eq - s);
	if (n == 0 || n >= sizeof(arm->name))
		return (-1);
	memcpy(arm->name, s, n);
	arm->name[n] = '\0';
	if (strncmp(eq + 1, "current:", 8) == 0)
		arm->model_id = 0;
	else {
		arm->model_id = strtoll(eq + 1, &end, 10);
		if (end != colon || arm->model_id <= 0)
			return (-1);
	}
	pct = strtod(colon + 1, &end);
	if (*end != '\0' || !(pct > 0 && pct <= 100))
		return (-1);
	arm->share = (int)(pct * 10.0 + 0.5);
	return (0);
}

int
experiment_check(const struct experiment *e, char *err, size_t sz)
{
	int	i, j, sum = 0, slow = 0;

	if (!name_ok(e->name, sizeof(e->name))) {
		snprintf(err, sz, "a name is 1 to %d of A-Z a-z 0-9 . _ -",
		    (int)sizeof(e->name) - 1);
		return (-1);
	}
	if (e->narms < 2 || e->narms > EXPERIMENT_ARMS_MAX) {
		snprintf(err, sz, "an experiment has 2 to %d arms",
		    EXPERIMENT_ARMS_MAX);
		return (-1);
	}
	for (i = 0; i < e->narms; i++) {
		if (!name_ok(e->arm[i].name, EXPERIMENT_ARM_MAX)) {
			snprintf(err, sz, "an arm's name is 1 to %d of A-Z "
			    "a-z 0-9 . _ -", EXPERIMENT_ARM_MAX - 1);
			return (-1);
		}
		for (j = 0; j < i; j++)
			if (strcmp(e->arm[i].name, e->arm[j].name) == 0) {
				snprintf(err, sz, "two arms named %s",
				    e->arm[i].name);
				return (-1);
			}
		if (e->arm[i].share < 1 || e->arm[i].share > 1000 ||
		    e->arm[i].model_id < 0) {
			snprintf(err, sz, "arm %s: a share is 1..1000 per "
			    "mille and a version >= 0", e->arm[i].name);
			return (-1);
		}
		sum += e->arm[i].share;
	}
	if (sum != 1000) {
		snprintf(err, sz, "the shares add up to %d per mille, not 1000",
		    sum);
		return (-1);
	}
	for (i = 0; i < CTR_SLOW_N; i++)
		slow |= e->max_p99_ms == ctr_slow_ms[i];
	if (!slow || !(e->max_hours > 0 && e->max_hours <= 24 * 365) ||
	    e->min_lists < 1) {
		snprintf(err, sz, "max p99 is 1, 2, 5, 20 or 100 ms, max hours "
		    "in (0, 8760], min lists >= 1");
		return (-1);
	}
	return (0);
}

/* Do the versions the arms name exist with their files? */
static int
arms_exist(sqlite3 *db, const struct experiment *e, char *err, size_t sz)
{
	char	file[256];
	int	i, rc;

	for (i = 0; i < e->narms; i++) {
		if (e->arm[i].model_id == 0)
			continue;
		if ((rc = versions_file(db, e->arm[i].model_id, file,
		    sizeof(file))) != 1) {
			snprintf(err, sz, rc == 0 ? "arm %s: no version %lld "
			    "with its files" : "database error",
			    e->arm[i].name, (long long)e->arm[i].model_id);
			return (-1);
		}
	}
	return (0);
}

int
experiment_start(sqlite3 *db, struct experiment *e, const char *who,
    char *err, size_t sz)
{
	unsigned char	raw[16];
	char		detail[512], salt[sizeof(e->salt)];
	size_t		i, o;
	int64_t		id, now;
	sqlite3_stmt	*st;

	if (experiment_check(e, err, sz) == -1 || arms_exist(db, e, err, sz) ==
	    -1)
		return (-1);
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		snprintf(err, sz, "no random salt");
		return (-1);
	}
	/* e changes only when it started. */
	for (i = 0; i < sizeof(raw); i++)
		snprintf(salt + 2 * i, 3, "%02x", raw[i]);
	now = clock_now_ms();
	if (sql_exec(db, __func__, "BEGIN IMMEDIATE", "") == -1) {
		snprintf(err, sz, "database busy");
		return (-1);
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO experiments (name, salt, "
	    "status, started_ms, max_hours, min_lists, auto_promote, "
	    "max_p99_ms) VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6, ?7)", -1,
	    &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, e->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, salt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_double(st, 4, e->max_hours);
	sqlite3_bind_int64(st, 5, e->min_lists);
	sqlite3_bind_int(st, 6, e->auto_promote);
	sqlite3_bind_double(st, 7, e->max_p99_ms);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		snprintf(err, sz, "another experiment is running");
		(void)sql_exec(db, __func__, "ROLLBACK", "");
		return (-1);
	}
	sqlite3_finalize(st);
	id = sqlite3_last_insert_rowid(db);
	o = (size_t)snprintf(detail, sizeof(detail), "started %s:", e->name);
	for (i = 0; i < (size_t)e->narms; i++) {
		if (sql_exec(db, __func__, "INSERT INTO experiment_arms VALUES "
		    "(?1, ?2, ?3, ?4, ?5)", "IitIi", id, (int)i, e->arm[i].name,
		    e->arm[i].model_id, e->arm[i].share) == -1)
			goto fail;
		if (o < sizeof(detail))
			o += (size_t)(e->arm[i].model_id > 0 ?
			    snprintf(detail + o, sizeof(detail) - o,
			    " %s=v%lld %.1f%%", e->arm[i].name,
			    (long long)e->arm[i].model_id,
			    e->arm[i].share / 10.0) :
			    snprintf(detail + o, sizeof(detail) - o,
			    " %s=current %.1f%%", e->arm[i].name,
			    e->arm[i].share / 10.0));
	}
	if (versions_log(db, who, "experiment start", 0, id, detail) == -1 ||
	    sql_exec(db, __func__, "COMMIT", "") == -1)
		goto fail;
	e->id = id;
	e->started_ms = now;
	memcpy(e->salt, salt, sizeof(e->salt));
	snprintf(e->status, sizeof(e->status), "running");
	return (0);
fail:
	snprintf(err, sz, "database error");
	(void)sql_exec(db, __func__, "ROLLBACK", "");
	return (-1);
}

int
experiment_stop(sqlite3 *db, const char *data_dir, int64_t id,
    const char *status, const char *decision, int64_t promote,
    const char *who, char *err, size_t sz)
{
	char	action[64];

	if (sql_exec(db, __func__, "BEGIN IMMEDIATE", "") == -1) {
		snprintf(err, sz, "database busy");
		return (-1);
	}
	if (sql_exec(db, __func__, "UPDATE experiments SET status = ?2, "
	    "stopped_ms = ?3, decision = ?4 WHERE id = ?1 AND status = "
	    "'running'", "ItIt", id, status, clock_now_ms(), decision) == -1)
		goto fail;
	if (sqlite3_changes(db) != 1) {
		snprintf(err, sz, "experiment %lld is not running",
		    (long long)id);
		(void)sql_exec(db, __func__, "ROLLBACK", "");
		return (-1);
	}
	snprintf(action, sizeof(action), "experiment %s", status);
	if (versions_log(db, who, action, promote, id, decision) == -1)
		goto fail;
	/* The promotion in the same step: both, or neither. */
	if (promote > 0 && versions_use_tx(db, data_dir, promote, who,
	    decision, err, sz) == -1) {
		(void)sql_exec(db, __func__, "ROLLBACK", "");
		return (-1);
	}
	if (sql_exec(db, __func__, "COMMIT", "") == -1)
		goto fail;
	return (0);
fail:
	snprintf(err, sz, "database error");
	(void)sql_exec(db, __func__, "ROLLBACK", "");
	return (-1);
}

static int
load(sqlite3 *db, const char *where, int64_t id, struct experiment *e)
{
	sqlite3_stmt	*st;
	char		 sql[512];
	int		 rc, found = 0;

	memset(e, 0, sizeof(*e));
	snprintf(sql, sizeof(sql), "SELECT id, name, salt, status, started_ms, "
	    "COALESCE(stopped_ms, 0), max_hours, min_lists, auto_promote, "
	    "max_p99_ms, COALESCE(decision, '') FROM experiments WHERE %s",
	    where);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
		return (-1);
	}
	if (id > 0)
		sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		found = 1;
		e->id = sqlite3_column_int64(st, 0);
		snprintf(e->name, sizeof(e->name), "%s",
		    sqlite3_column_text(st, 1));
		snprintf(e->salt, sizeof(e->salt), "%s",
		    sqlite3_column_text(st, 2));
		snprintf(e->status, sizeof(e->status), "%s",
		    sqlite3_column_text(st, 3));
		e->started_ms = sqlite3_column_int64(st, 4);
		e->stopped_ms = sqlite3_column_int64(st, 5);
		e->max_hours = sqlite3_column_double(st, 6);
		e->min_lists = sqlite3_column_int64(st, 7);
		e->auto_promote = sqlite3_column_int(st, 8);
		e->max_p99_ms = sqlite3_column_double(st, 9);
		snprintf(e->decision, sizeof(e->decision), "%s",
		    sqlite3_column_text(st, 10));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (-1);
	if (!found)
		return (0);
	if (sqlite3_prepare_v2(db, "SELECT arm, model_id, share FROM "
	    "experiment_arms WHERE experiment_id = ?1 ORDER BY pos", -1, &st,
	    NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_int64(st, 1, e->id);
	while (e->narms < EXPERIMENT_ARMS_MAX && sqlite3_step(st) ==
	    SQLITE_ROW) {
		snprintf(e->arm[e->narms].name, EXPERIMENT_ARM_MAX, "%s",
		    sqlite3_column_text(st, 0));
		e->arm[e->narms].model_id = sqlite3_column_int64(st, 1);
		e->arm[e->narms].share = sqlite3_column_int(st, 2);
		e->narms++;
	}
	sqlite3_finalize(st);
	return (e->narms >= 2 ? 1 : -1);
}

int
experiment_running(sqlite3 *db, struct experiment *e)
{
	return (load(db, "status = 'running'", 0, e));
}

int
experiment_get(sqlite3 *db, int64_t id, struct experiment *e)
{
	return (load(db, "id = ?1", id, e));
}

int
experiment_arm_of(const struct experiment *e, int64_t user)
{
	char		buf[64];
	int		n, i, at = 0;
	unsigned	bucket;

	n = snprintf(buf, sizeof(buf), "%s:%lld", e->salt, (long long)user);
	bucket = (unsigned)(XXH64(buf, (size_t)n, 0) % 1000);
	for (i = 0; i < e->narms - 1; i++) {
		at += e->arm[i].share;
		if (bucket < (unsigned)at)
			return (i);
	}
	return (e->narms - 1);
}

void
experiment_arm_label(const struct experiment *e, int arm, char *buf,
    size_t sz)
{
	snprintf(buf, sz, "%lld/%s", (long long)e->id, e->arm[arm].name);
}

double
experiment_ztest(int64_t x0, int64_t n0, int64_t x1, int64_t n1)
{
	double	p, se, z;

	if (n0 <= 0 || n1 <= 0)
		return (1.0);
	p = (double)(x0 + x1) / (double)(n0 + n1);
	se = sqrt(p * (1.0 - p) * (1.0 / (double)n0 + 1.0 / (double)n1));
	if (se <= 0.0)
		return (1.0);
	z = ((double)x1 / (double)n1 - (double)x0 / (double)n0) / se;
	return (erfc(fabs(z) / sqrt(2.0)));
}

/*
 * Johari, Pekelis and Walsh, "Always valid inference" (2017): the mixture
 * likelihood ratio of H1: the difference is theta ~ N(0, tau^2) against
 * H0: theta = 0, with the difference of the proportions approximately
 * normal of variance v.
 */
double
experiment_msprt_lr(int64_t x0, int64_t n0, int64_t x1, int64_t n1)
{
	double	p0, p1, p, v, d, t2 = EXPERIMENT_TAU2;

	if (n0 <= 0 || n1 <= 0)
		return (1.0);
	p0 = (double)x0 / (double)n0;
	p1 = (double)x1 / (double)n1;
	v = p0 * (1.0 - p0) / (double)n0 + p1 * (1.0 - p1) / (double)n1;
	/* All or none followed in an arm: the pooled variance instead. */
	if (v <= 0.0) {
		p = (double)(x0 + x1) / (double)(n0 + n1);
		v = p * (1.0 - p) * (1.0 / (double)n0 + 1.0 / (double)n1);
	}
	if (v <= 0.0)
		return (1.0);
	d = p1 - p0;
	return (sqrt(v / (v + t2)) * exp(t2 * d * d / (2.0 * v * (v + t2))));
}

static void
wilson(int64_t x, int64_t n, double *lo, double *hi)
{
	double	z = 1.959964, p, c, h, den;

	if (n <= 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	p = (double)x / (double)n;
	den = 1.0 + z * z / (double)n;
	c = (p + z * z / (2.0 * (double)n)) / den;
	h = z * sqrt(p * (1.0 - p) / (double)n + z * z / (4.0 * (double)n *
	    (double)n)) / den;
	*lo = c - h > 0 ? c - h : 0;
	*hi = c + h < 1 ? c + h : 1;
}

/* The arm of a logged label "<id>/<name>" of e, or -1. */
static int
arm_index(const struct experiment *e, const char *label)
{
	char	buf[EXPERIMENT_ARM_MAX + 32];
	int	i;

	for (i = 0; i < e->narms; i++) {
		experiment_arm_label(e, i, buf, sizeof(buf));
		if (strcmp(buf, label) == 0)
			return (i);
	}
	return (-1);
}

int
experiment_stats(sqlite3 *db, const struct experiment *e,
    struct experiment_stats *st, struct experiment_series *series)
{
	struct experiment_series	*s = series;
	sqlite3_stmt			*q;
	char				 lo[32], hi[32];
	double				 lr, d, up[EXPERIMENT_ARMS_MAX];
	double				 down[EXPERIMENT_ARMS_MAX];
	int				 in_series;
	int64_t				 hour;
	int				 a, k, h, rc = -1;

	memset(st, 0, sizeof(*st) * (size_t)e->narms);
	if (s == NULL && (s = malloc(sizeof(*s))) == NULL)
		return (-1);
	memset(s, 0, sizeof(*s));
	/* "<id>/" .. "<id>0": the labels of this experiment ('0' follows '/'). */
	snprintf(lo, sizeof(lo), "%lld/", (long long)e->id);
	snprintf(hi, sizeof(hi), "%lld0", (long long)e->id);
	if (sqlite3_prepare_v2(db, "SELECT hour, arm, SUM(lists), "
	    "SUM(followed), SUM(rank_sum), SUM(minutes_24h), "
	    "SUM(latency_us_sum), SUM(over_1ms), SUM(over_2ms), SUM(over_5ms), "
	    "SUM(over_20ms), SUM(over_100ms), SUM(users), SUM(nonempty) FROM "
	    "reco_stats WHERE source = 'served' AND arm >= ?1 AND arm < ?2 "
	    "GROUP BY hour, arm ORDER BY hour", -1, &q, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_text(q, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, hi, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		if ((a = arm_index(e, (const char *)sqlite3_column_text(q, 1)))
		    == -1)
			continue;
		hour = sqlite3_column_int64(q, 0);
		/* The series keeps its first hours; the totals, every hour. */
		in_series = 1;
		if (s->nhours == 0 || s->hour[s->nhours - 1] != hour) {
			if (s->nhours == EXPERIMENT_HOURS_MAX)
				in_series = 0;
			else
				s->hour[s->nhours++] = hour;
		}
		st[a].lists += sqlite3_column_int64(q, 2);
		st[a].followed += sqlite3_column_int64(q, 3);
		st[a].rank_sum += sqlite3_column_int64(q, 4);
		st[a].minutes += sqlite3_column_int64(q, 5);
		st[a].latency_us += sqlite3_column_int64(q, 6);
		for (k = 0; k < CTR_SLOW_N; k++)
			st[a].over[k] += sqlite3_column_int64(q, 7 + k);
		st[a].users += sqlite3_column_int64(q, 12);
		st[a].empty += sqlite3_column_int64(q, 2) -
		    sqlite3_column_int64(q, 13);
		if (!in_series)
			continue;
		h = s->nhours - 1;
		s->lists[h][a] = st[a].lists;
		s->followed[h][a] = st[a].followed;
	}
	sqlite3_finalize(q);
	/* Cumulative: an hour without a row for an arm keeps its sums. */
	for (h = 1; h < s->nhours; h++)
		for (a = 0; a < e->narms; a++)
			if (s->lists[h][a] == 0) {
				s->lists[h][a] = s->lists[h - 1][a];
				s->followed[h][a] = s->followed[h - 1][a];
			}
	for (a = 0; a < e->narms; a++) {
		struct experiment_stats	*x = &st[a];

		x->ctr = x->lists > 0 ? (double)x->followed / (double)x->lists :
		    0;
		wilson(x->followed, x->lists, &x->lo, &x->hi);
		x->mean_rank = x->followed > 0 ? (double)x->rank_sum /
		    (double)x->followed : 0;
		x->minutes_per_list = x->lists > 0 ? (double)x->minutes /
		    (double)x->lists : 0;
		x->latency_ms = x->lists > 0 ? (double)x->latency_us / 1000.0 /
		    (double)x->lists : 0;
		x->error_rate = x->lists > 0 ? (double)x->empty /
		    (double)x->lists : 0;
		for (k = 0; k < CTR_SLOW_N; k++)
			if (x->lists > 0 && (double)x->over[k] > 0.01 *
			    (double)x->lists)
				x->p99_over_ms = ctr_slow_ms[k];
		x->p_msprt = x->p_z = x->p_worse = x->p_better = 1.0;
		up[a] = down[a] = 1.0;
	}
	/*
	 * The always-valid p-value: 1 / the largest ratio seen, looked at
	 * hourly and now, once both arms have min_lists lists; kept apart
	 * by the sign of the difference when it was seen, so that evidence
	 * of "better" is never read as "worse".
	 */
	for (a = 1; a < e->narms; a++) {
		for (h = 0; h <= s->nhours; h++) {
			int64_t	n0 = h < s->nhours ? s->lists[h][0] :
				    st[0].lists;
			int64_t	x0 = h < s->nhours ? s->followed[h][0] :
				    st[0].followed;
			int64_t	n1 = h < s->nhours ? s->lists[h][a] :
				    st[a].lists;
			int64_t	x1 = h < s->nhours ? s->followed[h][a] :
				    st[a].followed;

			if (n0 < e->min_lists || n1 < e->min_lists)
				continue;
			lr = experiment_msprt_lr(x0, n0, x1, n1);
			d = (double)x1 / (double)n1 - (double)x0 / (double)n0;
			if (d > 0 && lr > up[a])
				up[a] = lr;
			else if (d < 0 && lr > down[a])
				down[a] = lr;
		}
		st[a].p_better = 1.0 / up[a];
		st[a].p_worse = 1.0 / down[a];
		st[a].p_msprt = st[a].p_better < st[a].p_worse ?
		    st[a].p_better : st[a].p_worse;
		st[a].p_z = experiment_ztest(st[0].followed, st[0].lists,
		    st[a].followed, st[a].lists);
		st[a].diff = st[a].ctr - st[0].ctr;
	}
	rc = 0;
out:
	if (series == NULL)
		free(s);
	return (rc);
}

int
experiment_decide(const struct experiment *e,
    const struct experiment_stats *st, int64_t now, int *arm, char *why,
    size_t sz)
{
	int	a, best = -1;

	*arm = -1;
	for (a = 1; a < e->narms; a++) {
		if (st[a].lists < e->min_lists || st[0].lists < e->min_lists)
			continue;
		if (st[a].error_rate > st[0].error_rate +
		    EXPERIMENT_ERRORS_MAX) {
			*arm = a;
			snprintf(why, sz, "arm %s fails too often: %.1f%% of its "
			    "lists empty against %.1f%% in %s", e->arm[a].name,
			    100.0 * st[a].error_rate, 100.0 * st[0].error_rate,
			    e->arm[0].name);
			return (EXPERIMENT_ABORT);
		}
		if (st[a].p99_over_ms >= e->max_p99_ms) {
			*arm = a;
			snprintf(why, sz, "arm %s is too slow: p99 over %d ms "
			    "(limit %g ms) in %lld lists", e->arm[a].name,
			    st[a].p99_over_ms, e->max_p99_ms,
			    (long long)st[a].lists);
			return (EXPERIMENT_ABORT);
		}
		if (st[a].p_worse < EXPERIMENT_ALPHA && st[a].diff < 0) {
			*arm = a;
			snprintf(why, sz, "arm %s is worse than %s: "
			    "click-through %.4f against %.4f (%lld and %lld "
			    "lists), always-valid p %.4g, z-test p %.4g",
			    e->arm[a].name, e->arm[0].name, st[a].ctr,
			    st[0].ctr, (long long)st[a].lists,
			    (long long)st[0].lists, st[a].p_worse, st[a].p_z);
			return (EXPERIMENT_ABORT);
		}
		if (e->auto_promote && e->arm[a].model_id > 0 &&
		    st[a].p_better < EXPERIMENT_ALPHA && st[a].diff > 0 &&
		    (best == -1 || st[a].ctr > st[best].ctr))
			best = a;
	}
	if (best != -1) {
		*arm = best;
		snprintf(why, sz, "arm %s is better than %s: click-through "
		    "%.4f against %.4f (%lld and %lld lists), always-valid p "
		    "%.4g, z-test p %.4g", e->arm[best].name, e->arm[0].name,
		    st[best].ctr, st[0].ctr, (long long)st[best].lists,
		    (long long)st[0].lists, st[best].p_better, st[best].p_z);
		return (EXPERIMENT_PROMOTE);
	}
	if ((double)(now - e->started_ms) > e->max_hours * (double)HOUR_MS) {
		snprintf(why, sz, "the maximum duration (%g h) passed without "
		    "a decision", e->max_hours);
		return (EXPERIMENT_EXPIRE);
	}
	snprintf(why, sz, "running");
	return (EXPERIMENT_GO_ON);
}

int
experiment_tick(sqlite3 *db, const char *data_dir)
{
	struct experiment	 e;
	struct experiment_stats	 st[EXPERIMENT_ARMS_MAX];
	char			 why[384], err[256];
	int64_t			 cur;
	size_t			 n;
	int			 verdict, arm, rc, pinned;

	if ((rc = experiment_running(db, &e)) != 1)
		return (rc == 0 ? EXPERIMENT_GO_ON : -1);
	if (experiment_stats(db, &e, st, NULL) == -1)
		return (-1);
	verdict = experiment_decide(&e, st, clock_now_ms(), &arm, why,
	    sizeof(why));
	if (verdict == EXPERIMENT_GO_ON)
		return (verdict);
	/* A pinned current version is the operator's: not replaced. */
	if (verdict == EXPERIMENT_PROMOTE && (versions_current(db, &cur,
	    &pinned) == -1 || pinned)) {
		verdict = EXPERIMENT_STOP;
		n = strlen(why);
		snprintf(why + n, sizeof(why) - n, "; not promoted: the current "
		    "version %lld is pinned", (long long)cur);
	}
	if (experiment_stop(db, data_dir, e.id, verdict == EXPERIMENT_ABORT ?
	    "aborted" : verdict == EXPERIMENT_PROMOTE ? "promoted" : verdict ==
	    EXPERIMENT_EXPIRE ? "expired" : "stopped",
	    why, verdict == EXPERIMENT_PROMOTE ? e.arm[arm].model_id : 0,
	    "system", err, sizeof(err)) == -1) {
		log_warnx("experiment %lld: %s", (long long)e.id, err);
		return (-1);
	}
	log_info("experiment %lld (%s): %s", (long long)e.id, e.name, why);
	return (verdict);
}
