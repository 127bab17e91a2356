/*
 * Training from the store (see train.h).  The hold-out: for every user, the
 * last 20% of their interactions by time (ceil, at least one when they have
 * two or more) are held out; the movies among them the user liked
 * (preference 1) are the positives; a model fitted on the rest ranks every
 * movie for each such user (at most EVAL_USERS_MAX of them, spread evenly)
 * and Recall@20 / NDCG@20 are averaged as in the offline protocol.  Then
 * the model is fitted again on everything, and that one is served.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "util/threads.h"
#include "util/vec.h"
#include "util/clock.h"
#include "settings/config.h"
#include "model/csr.h"
#include "model/eval.h"
#include "reco/lists.h"
#include "util/log.h"
#include "model/model.h"
#include "store/store.h"
#include "model/train.h"
#include "model/train_int.h"
#include "model/versions.h"
#include "store/sql.h"
#include "version.h"

#define EVAL_USERS_MAX	20000
#define TOPN		20


void
train_defaults(struct train_opts *o)
{
	memset(o, 0, sizeof(*o));
	model_params_default(&o->mp, MODEL_ALS);
	signal_defaults(&o->sp);
	o->holdout_pct = 20;
	o->tune = 1;
	o->trigger = "cli";
	o->who = "cli";
	o->gate.tolerance = 0.05;
	o->gate.min_coverage = 0.1;
	o->gate.keep = 5;
}

/* Tell o's progress callback, if any, that phase starts. */
static void
phase(const struct train_opts *o, const char *what)
{
	if (o->progress != NULL)
		o->progress(o->progress_arg, what);
}

/* The newest users.updated_ms of the snapshot s is in.  0 or -1. */
static int
newest_stamp(struct store *s, int64_t *ms)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(s->db, "SELECT COALESCE(MAX(updated_ms), 0) "
	    "FROM users", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*ms = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW ? 0 : -1);
}

/*
 * Where the test part of a user's interactions v[i..j) ends: at j, or with
 * TRAIN_NESTED at the end of the train part (the validation part ends
 * there).
 */
static size_t
test_end(size_t i, size_t j, int holdout_pct)
{
	if (holdout_pct & TRAIN_NESTED)
		return (i + train_kept(j - i, holdout_pct & ~TRAIN_NESTED));
	return (j);
}

/*
 * The hold-out figures of md, fitted on the train parts of v (with
 * TRAIN_NESTED: the validation figures of a model fitted on the train
 * parts of the train parts).
 */
static void
holdout(const struct ia *v, size_t n, int holdout_pct,
    const struct model *md, struct train_result *res)
{
	float		*scores = NULL, *vals = NULL;
	uint32_t	*items = NULL, *pos = NULL, top[TOPN], *seen_cols = NULL;
	uint8_t		*covered = NULL;
	int64_t		*times = NULL;
	size_t		 i = 0, j, k, m, keep, end, npos, ntop, users = 0;
	size_t		 every;
	size_t		 candidates = 0, c;
	double		 recall = 0, ndcg = 0;

	res->recall = res->ndcg = res->coverage = -1;
	res->eval_users = 0;
	/* Count the users with positives, to spread the sample evenly. */
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && v[j].user == v[i].user; j++)
			;
		m = j - i;
		keep = train_kept(m, holdout_pct);
		end = test_end(i, j, holdout_pct);
		for (k = i + keep; m >= 2 && k < end; k++)
			if (v[k].val > 0) {
				candidates++;
				break;
			}
	}
	if (candidates == 0)
		return;
	every = (candidates + EVAL_USERS_MAX - 1) / EVAL_USERS_MAX;
	scores = malloc(md->nitems * sizeof(*scores));
	covered = calloc(md->nitems, 1);
	items = malloc(n * sizeof(*items));
	vals = malloc(n * sizeof(*vals));
	pos = malloc(n * sizeof(*pos));
	seen_cols = malloc(n * sizeof(*seen_cols));
	times = malloc(n * sizeof(*times));
	if (!scores || !covered || !items || !vals || !pos || !seen_cols ||
	    !times)
		goto done;
	c = 0;
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && v[j].user == v[i].user; j++)
			;
		m = j - i;
		if (m < 2)
			continue;
		keep = train_kept(m, holdout_pct);
		end = test_end(i, j, holdout_pct);
		for (npos = 0, k = i + keep; k < end; k++)
			if (v[k].val > 0)
				pos[npos++] = (uint32_t)v[k].movie;
		if (npos == 0 || c++ % every != 0)
			continue;
		for (k = 0; k < keep; k++) {
			items[k] = (uint32_t)v[i + k].movie;
			vals[k] = v[i + k].val;
			times[k] = v[i + k].time;
			seen_cols[k] = items[k];
		}
		if (model_weigh_recent(&md->params, times, vals, keep) == -1 ||
		    model_score(md, items, vals, keep, scores, NULL) == -1)
			goto done;
		ntop = model_topn(scores, md->nitems, seen_cols, keep, top,
		    TOPN);
		for (k = 0; k < ntop; k++)
			covered[top[k]] = 1;
		recall += eval_recall(top, ntop, pos, npos, TOPN);
		ndcg += eval_ndcg(top, ntop, pos, npos, TOPN);
		users++;
	}
	if (users > 0) {
		res->recall = recall / (double)users;
		res->ndcg = ndcg / (double)users;
		for (k = 0, m = 0; k < md->nitems; k++)
			m += covered[k];
		res->coverage = (double)m / (double)md->nitems;
		res->eval_users = (uint32_t)users;
	}
done:
	free(scores);
	free(covered);
	free(items);
	free(vals);
	free(pos);
	free(seen_cols);
	free(times);
}

/*
 * Times only where they are used, 8 bytes an interaction: by a fit (the
 * decay of popularity) and by the lists (recency weighs the histories; the
 * hold-out and the tuning read theirs from the interactions).
 */
#define TIMES_FOR(p)	((p)->algo == MODEL_POP && (p)->half_life > 0.0)
#define TIMES_FOR_LISTS(p)	(TIMES_FOR(p) || (p)->recency > 0.0f)

/* Fit p on the matrix m; the model or NULL. */
static struct model *
fit_matrix(const struct csr *m, const struct model_params *p)
{
	struct model	*md = NULL;
	int64_t		*ids;
	uint32_t	 i;

	if ((ids = malloc(m->ncols * sizeof(*ids))) == NULL)
		return (NULL);
	for (i = 0; i < m->ncols; i++)
		ids[i] = i;
	if (model_train(m, ids, p, &md) == -1)
		md = NULL;
	free(ids);
	return (md);
}

/* Fit p on v[0..n) (with holdout, the train parts); the model or NULL. */
static struct model *
fit(const struct ia *v, size_t n, int holdout_pct, uint32_t ncols,
    const struct model_params *p)
{
	struct csr	 m;
	struct model	*md = NULL;

	if (train_matrix(v, n, holdout_pct, ncols, TIMES_FOR(p), &m) == 0) {
		md = fit_matrix(&m, p);
		csr_free(&m);
	}
	return (md);
}

static void
params_json(const struct model_params *p, char *buf, size_t sz)
{
	char	bias[48] = "";

	if (p->pop_bias > 0.0f)
		snprintf(bias, sizeof(bias), ",\"pop_bias\":%g",
		    (double)p->pop_bias);
	switch (p->algo) {
	case MODEL_ALS:
		snprintf(buf, sz, "{\"factors\":%u,\"reg\":%g,\"alpha\":%g,"
		    "\"iters\":%u,\"cg_steps\":%u,\"seed\":%llu,"
		    "\"recency\":%g%s}", p->factors, p->reg, p->alpha, p->iters,
		    p->cg_steps, (unsigned long long)p->seed, (double)p->recency,
		    bias);
		break;
	case MODEL_ITEMKNN:
		snprintf(buf, sz, "{\"k\":%u,\"recency\":%g%s}", p->k,
		    (double)p->recency, bias);
		break;
	default:
		snprintf(buf, sz, "{\"half_life\":%g}", p->half_life);
		break;
	}
}

/*
 * Do a and b train the same model (threads and verbosity aside; recency
 * is how a model is scored, not trained; the popularity weights are made
 * with the model)?
 */
static int
same_params(const struct model_params *a, const struct model_params *b)
{
	return (a->algo == b->algo && a->seed == b->seed &&
	    a->half_life == b->half_life && a->now == b->now && a->k == b->k &&
	    a->factors == b->factors && a->reg == b->reg &&
	    a->alpha == b->alpha && a->iters == b->iters &&
	    a->cg_steps == b->cg_steps && a->pop_bias == b->pop_bias);
}

/*
 * The current model, for the gate: its version, whether it is pinned, and
 * its configuration fitted on the same train part (t) and scored on the
 * same hold-out as the candidate (whose figures res holds already, and
 * whose hold-out fit is hmd: a configuration that differs only in its
 * recency is that fit scored otherwise).  A current model whose file does
 * not load counts with scores of 0: the candidate replaces it unless it is
 * pinned.
 */
static void
baseline(struct store *s, const struct train_opts *o, uint32_t ncols,
    const struct ia *v, size_t n, struct model *hmd, struct gate_input *g)
{
	float			 rec;
	struct train_result	 r;
	struct model_params	 p;
	struct model		*cur = NULL, *md;
	sqlite3_stmt		*st;
	char			 path[PATH_MAX];

	if (sqlite3_prepare_v2(s->db, "SELECT id, file, pinned FROM models "
	    "WHERE current = 1", -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW) {
		g->has_base = 1;
		g->base_id = sqlite3_column_int64(st, 0);
		g->base_pinned = sqlite3_column_int(st, 2);
		snprintf(path, sizeof(path), "%s/%s/%s", o->data_dir, TRAIN_DIR,
		    (const char *)sqlite3_column_text(st, 1));
		if (model_load(path, &cur) != 0)
			cur = NULL;
	}
	sqlite3_finalize(st);
	if (cur != NULL && o->holdout_pct <= 0) {
		model_free(cur);	/* no hold-out: nothing to score on */
		return;
	}
	if (cur == NULL)
		return;
	p = cur->params;
	p.threads = o->mp.threads;
	p.verbose = 0;
	model_free(cur);
	if (same_params(&p, &o->mp) && p.recency == o->mp.recency) {
		g->base_recall = g->recall;
		g->base_coverage = g->coverage;
		return;
	}
	phase(o, TRAIN_PHASE_BASELINE);
	if (same_params(&p, &o->mp) && hmd != NULL) {
		rec = hmd->params.recency;
		model_set_recency(hmd, p.recency);
		holdout(v, n, o->holdout_pct, hmd, &r);
		model_set_recency(hmd, rec);
		g->base_recall = r.recall > 0 ? r.recall : 0;
		g->base_coverage = r.coverage > 0 ? r.coverage : 0;
		return;
	}
	if ((md = fit(v, n, o->holdout_pct, ncols, &p)) == NULL)
		return;
	holdout(v, n, o->holdout_pct, md, &r);
	model_free(md);
	g->base_recall = r.recall > 0 ? r.recall : 0;
	g->base_coverage = r.coverage > 0 ? r.coverage : 0;
}

/* Record the run's end; the model row when id > 0.  0 or -1. */
static int
register_model(struct store *s, const struct train_opts *o,
    struct train_result *res, const char *file, int64_t from,
    int64_t to, int64_t *id)
{
	sqlite3_stmt	*st = NULL;
	char		 params[512], detail[300];
	int64_t		 cur;
	int		 rc = -1, pinned;

	params_json(&o->mp, params, sizeof(params));
	if (store_exec(s, "BEGIN IMMEDIATE") == -1)
		return (-1);
	/*
	 * The gate judged against the current version of the training's
	 * start: a rollback or a pin since then (a fit takes minutes) stands
	 * unless forced.
	 */
	if (versions_current(s->db, &cur, &pinned) == -1)
		goto out;
	if (versions_gate_promotes(res->gate) && !o->gate.force &&
	    (cur != res->base_id || pinned)) {
		res->gate = GATE_REFUSED;
		snprintf(res->gate_reason, sizeof(res->gate_reason), pinned ?
		    "the current version %lld was pinned during the training" :
		    "the current version changed to %lld during the training",
		    (long long)cur);
	}
	if (versions_gate_promotes(res->gate) && store_exec(s, "UPDATE models "
	    "SET current = 0 WHERE current = 1") == -1)
		goto out;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO models (id, algo, params, "
	    "file, created_ms, train_seconds, interactions, users, items, "
	    "data_from_ms, data_to_ms, binary_version, eval_recall20, "
	    "eval_ndcg20, eval_coverage, eval_users, current, gate, gate_reason, "
	    "baseline_id, baseline_recall20, baseline_coverage) VALUES (?1, ?2, "
	    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
	    "?18, ?19, ?20, ?21, ?22)",
	    -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, *id);
	sqlite3_bind_text(st, 2, model_algo_name(o->mp.algo), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, params, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, clock_now_ms());
	sqlite3_bind_double(st, 6, res->seconds);
	sqlite3_bind_int64(st, 7, (int64_t)res->interactions);
	sqlite3_bind_int64(st, 8, res->users);
	sqlite3_bind_int64(st, 9, res->items);
	sqlite3_bind_int64(st, 10, from);
	sqlite3_bind_int64(st, 11, to);
	sqlite3_bind_text(st, 12, CINEREC_VERSION, -1, SQLITE_STATIC);
	if (res->eval_users > 0) {
		sqlite3_bind_double(st, 13, res->recall);
		sqlite3_bind_double(st, 14, res->ndcg);
		sqlite3_bind_double(st, 15, res->coverage);
		sqlite3_bind_int64(st, 16, res->eval_users);
	}
	sqlite3_bind_int(st, 17, versions_gate_promotes(res->gate));
	sqlite3_bind_text(st, 18, versions_gate_name(res->gate), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 19, res->gate_reason, -1, SQLITE_STATIC);
	if (res->base_id > 0) {
		sqlite3_bind_int64(st, 20, res->base_id);
		sqlite3_bind_double(st, 21, res->base_recall);
		sqlite3_bind_double(st, 22, res->base_coverage);
	}
	snprintf(detail, sizeof(detail), "%s: %s", versions_gate_name(res->gate),
	    res->gate_reason);
	if (sqlite3_step(st) != SQLITE_DONE || (res->tuned[0] != '\0' &&
	    versions_log(s->db, o->who, "tune", *id, 0, res->tuned) == -1) ||
	    versions_log(s->db, o->who, "gate", *id, 0, detail) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		log_warnx("%s: %s", __func__, sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	if (store_exec(s, rc == 0 ? "COMMIT" : "ROLLBACK") == -1)
		rc = -1;
	return (rc);
}

static int64_t
run_begin(struct store *s, const char *trigger)
{
	sqlite3_stmt	*st;
	int64_t		 id = -1;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO training_runs (started_ms, "
	    "trigger, status) VALUES (?1, ?2, 'running')", -1, &st, NULL) !=
	    SQLITE_OK)
		return (-1);
	sqlite3_bind_int64(st, 1, clock_now_ms());
	sqlite3_bind_text(st, 2, trigger, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return (id);
}

static void
run_end(struct store *s, int64_t run, int64_t model, const char *msg)
{
	sqlite3_stmt	*st;

	if (run < 0 || sqlite3_prepare_v2(s->db, "UPDATE training_runs SET "
	    "finished_ms = ?2, status = ?3, model_id = ?4, message = ?5 "
	    "WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, clock_now_ms());
	sqlite3_bind_text(st, 3, model > 0 ? "done" : "failed", -1,
	    SQLITE_STATIC);
	if (model > 0)
		sqlite3_bind_int64(st, 4, model);
	sqlite3_bind_text(st, 5, msg, -1, SQLITE_STATIC);
	(void)sqlite3_step(st);
	sqlite3_finalize(st);
}

void
train_recover(const char *data_dir)
{
	struct store	 s;
	struct dirent	*e;
	DIR		*d;
	char		 lock[PATH_MAX], path[PATH_MAX];
	int		 fd, n = 0, runs;

	snprintf(lock, sizeof(lock), "%s/train.lock", data_dir);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", data_dir, TRAIN_DIR);
	if ((d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strstr(e->d_name, ".tmp") == NULL)
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", data_dir,
			    TRAIN_DIR, e->d_name);
			n += unlink(path) == 0;
		}
		closedir(d);
	}
	if (store_open(&s, data_dir, STORE_ROLE_MODELS) == 0) {
		if (store_exec(&s, "UPDATE training_runs SET status = "
		    "'interrupted', message = 'the process stopped during the "
		    "training' WHERE status = 'running'") == 0 &&
		    (runs = sqlite3_changes(s.db)) > 0)
			log_info("train: %d interrupted training run%s recorded "
			    "as such", runs, runs == 1 ? "" : "s");
		store_close(&s);
	}
	if (n > 0)
		log_info("train: removed %d temporary file%s of an interrupted "
		    "training", n, n == 1 ? "" : "s");
	close(fd);
}

/* The recency values a training tries (the configured one first). */
static const float	tune_recency[] = { 0.0f, 3.0f, 5.0f, 7.0f, 10.0f,
			    20.0f, 40.0f };
#define NTUNE	(sizeof(tune_recency) / sizeof(tune_recency[0]))

/* Users a tuning fit sees at most: a tenth of a fit at 1M users. */
#define TUNE_USERS_MAX	100000

/*
 * Every k-th user of v (sorted by user) so that at most TUNE_USERS_MAX
 * remain, into a malloc'd copy (*m entries, *users of them); NULL when v is
 * small enough already (or out of memory: then all of v is used).
 */
/* Where the run of v[i]'s user ends in v[0..n) (sorted by user). */
static size_t
user_end(const struct ia *v, size_t n, size_t i)
{
	size_t	j;

	for (j = i; j < n && v[j].user == v[i].user; j++)
		;
	return (j);
}

static struct ia *
tune_sample(const struct ia *v, size_t n, size_t *m, size_t *users)
{
	struct ia	*s = NULL;
	size_t		 i, j, u, every, keep, pass;

	for (i = 0, u = 0; i < n; i = user_end(v, n, i), u++)
		;
	*users = u;
	if (u <= TUNE_USERS_MAX)
		return (NULL);
	every = (u + TUNE_USERS_MAX - 1) / TUNE_USERS_MAX;
	/* Count what the sample keeps, then copy it. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0, u = 0, keep = 0; i < n; i = j, u++) {
			j = user_end(v, n, i);
			if (u % every != 0)
				continue;
			if (s != NULL)
				memcpy(s + keep, v + i, (j - i) * sizeof(*s));
			keep += j - i;
		}
		if (pass == 0 && (s = malloc((keep ? keep : 1) *
		    sizeof(*s))) == NULL)
			return (NULL);
	}
	*m = keep;
	*users = (*users + every - 1) / every;
	return (s);
}

/* Share of the configured trial's coverage a trial needs to be chosen. */
#define TUNE_COVER	0.5

/* The fit-level value tried beside the configured one: reg, or k, times. */
static const float	tune_scale[] = { 1.0f, 0.25f, 4.0f };
#define NSCALE	(sizeof(tune_scale) / sizeof(tune_scale[0]))

/* Append to res->tuned as printf does (silently cut at its size). */
static void
tuned_add(struct train_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tuned_add(struct train_result *res, const char *fmt, ...)
{
	va_list	ap;
	size_t	len = strlen(res->tuned);

	if (len + 1 >= sizeof(res->tuned))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(res->tuned + len, sizeof(res->tuned) - len, fmt, ap);
	va_end(ap);
}

/*
 * Choose o->mp's recency, and ALS's reg or item-kNN's k, on the validation
 * part of v (the last part of each user's train part, TRAIN_NESTED): a fit
 * on the train parts of the train parts (of at most TUNE_USERS_MAX users,
 * an even sample) for the configured value and a quarter and four times
 * it, each scored at every recency value (a scoring parameter needs no
 * refit); the best Recall@20 wins, ties to the configured values, among
 * the trials whose lists cover at least TUNE_COVER of what the configured
 * trial's cover (a model that collapses onto the most watched movies may
 * score well and still be no recommender: marked "narrow", never chosen).
 * The trials go into res->tuned.  The test part is never seen, so the
 * hold-out figures stay honest.  0, or -1 when the configured fit fails.
 */
static int
tune(const struct ia *v, size_t n, uint32_t ncols, struct train_opts *o,
    struct train_result *res)
{
	struct train_result	 r;
	struct model_params	 p, pick;
	struct model		*md;
	struct ia		*sub;
	double			 best = -1.0, cover = 0.0;
	size_t			 i, s, m = 0, users;
	int			 pct = o->holdout_pct | TRAIN_NESTED, als;

	if ((sub = tune_sample(v, n, &m, &users)) != NULL) {
		v = sub;
		n = m;
	}
	als = o->mp.algo == MODEL_ALS;
	pick = o->mp;
	res->tuned[0] = '\0';
	tuned_add(res, "validation Recall@20 (%zu users)", users);
	for (s = 0; s < NSCALE; s++) {
		p = o->mp;
		if (s > 0 && als)
			p.reg = o->mp.reg * tune_scale[s];
		else if (s > 0)
			p.k = (uint32_t)((float)o->mp.k * tune_scale[s]) > 0 ?
			    (uint32_t)((float)o->mp.k * tune_scale[s]) : 1;
		if (s > 0 && p.reg == o->mp.reg && p.k == o->mp.k)
			continue;
		if ((md = fit(v, n, pct, ncols, &p)) == NULL) {
			if (s > 0)
				continue;
			free(sub);
			return (-1);
		}
		if (als)
			tuned_add(res, "%s reg %g:", s ? ";" : ":",
			    (double)p.reg);
		else
			tuned_add(res, "%s k %u:", s ? ";" : ":", p.k);
		/* The configured recency first, then the others. */
		for (i = 0; i <= NTUNE; i++) {
			model_set_recency(md, i == 0 ? o->mp.recency :
			    tune_recency[i - 1]);
			if (i > 0 && md->params.recency == o->mp.recency)
				continue;
			holdout(v, n, pct, md, &r);
			if (s == 0 && i == 0)
				cover = r.coverage;
			tuned_add(res, "%s recency %g %.4f%s", i ? "," : "",
			    (double)md->params.recency, r.recall,
			    r.coverage < cover * TUNE_COVER ? " (narrow)" : "");
			if (r.recall > best && r.coverage >= cover * TUNE_COVER) {
				best = r.recall;
				pick = p;
				pick.recency = md->params.recency;
			}
			if (r.eval_users == 0)
				break;
		}
		model_free(md);
	}
	free(sub);
	if (als)
		tuned_add(res, "; chosen reg %g recency %g", (double)pick.reg,
		    (double)pick.recency);
	else
		tuned_add(res, "; chosen k %u recency %g", pick.k,
		    (double)pick.recency);
	o->mp = pick;
	return (0);
}

int
train_run(const struct train_opts *o, struct train_result *res)
{
	struct store		 s;
	struct ia		*v = NULL;
	struct model		*md = NULL;
	struct csr		 m;
	struct gate_input	 g;
	struct train_opts	 tuned;
	int64_t			*users = NULL;
	char			 path[PATH_MAX], file[64], lock[PATH_MAX];
	char			 lpath[PATH_MAX + 8];
	size_t			 n = 0, nt = 0, i;
	int64_t			 run, t0, from = 0, to = 0, id, read_ms;
	int32_t			 maxmovie;
	uint32_t		 nrows = 0, ncols;
	int			 lockfd, rc = -1;
	const char		*msg = "failed";
	struct stat		 sb;

	memset(res, 0, sizeof(*res));
	memset(&g, 0, sizeof(g));
	memset(&m, 0, sizeof(m));
	res->recall = res->ndcg = res->coverage = -1;
	snprintf(lock, sizeof(lock), "%s/train.lock", o->data_dir);
	if ((lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warnx("%s: %s: %s", __func__, lock, strerror(errno));
		return (-1);
	}
	if (flock(lockfd, LOCK_EX | LOCK_NB) == -1) {
		close(lockfd);
		return (TRAIN_BUSY);
	}
	if (store_open(&s, o->data_dir, STORE_ROLE_MODELS) == -1)
		goto out_lock;
	/*
	 * One sequential read: through read(2), not the map, whose pages
	 * would count as the training's memory (1.2 GB at 1M users).
	 */
	(void)store_exec(&s, "PRAGMA mmap_size=0");
	run = run_begin(&s, o->trigger);
	/*
	 * One read snapshot: the interactions, and the newest change stamp
	 * in it.  The writer's stamps grow from batch to batch, so a user
	 * stamped up to it is wholly in what load reads, and one changed in
	 * a commit after the snapshot has a larger stamp (folded in at
	 * request time).  No margin: a training just after a load serves
	 * everyone from the lists.
	 */
	phase(o, TRAIN_PHASE_READ);
	if (store_exec(&s, "BEGIN") == -1 || newest_stamp(&s, &read_ms) == -1 ||
	    train_load(&s, &o->sp, &v, &n, &maxmovie) == -1) {
		(void)store_exec(&s, "ROLLBACK");
		msg = "cannot read the interactions";
		goto out;
	}
	(void)store_exec(&s, "COMMIT");
	if (n == 0) {
		msg = "no interactions to learn from";
		log_warnx("train: %s", msg);
		goto out;
	}
	for (i = 0, from = v[0].time, to = v[0].time; i < n; i++) {
		from = v[i].time < from ? v[i].time : from;
		to = v[i].time > to ? v[i].time : to;
	}
	ncols = (uint32_t)maxmovie + 1;

	/* From here on o is the tuned copy. */
	tuned = *o;
	o = &tuned;
	if (o->holdout_pct > 0 && o->tune &&
	    (o->mp.algo == MODEL_ALS || o->mp.algo == MODEL_ITEMKNN)) {
		phase(o, TRAIN_PHASE_TUNE);
		if (tune(v, n, ncols, &tuned, res) == -1) {
			msg = "the validation fit failed";
			goto out;
		}
	}
	res->recency = o->mp.recency;
	if (o->holdout_pct > 0) {
		phase(o, TRAIN_PHASE_HOLDOUT);
		if ((md = fit(v, n, o->holdout_pct, ncols, &o->mp)) == NULL) {
			msg = "the hold-out fit failed";
			goto out;
		}
		holdout(v, n, o->holdout_pct, md, res);
	}
	/* The gate: the current model's configuration on the same test. */
	g.recall = res->recall;
	g.coverage = res->coverage;
	g.eval_users = res->eval_users;
	g.tolerance = o->gate.tolerance;
	g.min_coverage = o->gate.min_coverage;
	g.force = o->gate.force;
	baseline(&s, o, ncols, v, n, md, &g);
	model_free(md);
	md = NULL;
	res->gate = versions_gate(&g, res->gate_reason,
	    sizeof(res->gate_reason));
	res->base_id = g.base_id;
	res->base_recall = g.base_recall;
	res->base_coverage = g.base_coverage;
	phase(o, TRAIN_PHASE_FIT);
	/*
	 * The lists read the matrix, whose rows are the users' interactions
	 * too: v goes before the fit (a third of the peak memory at 1M users).
	 */
	if (train_matrix(v, n, 0, ncols, TIMES_FOR_LISTS(&o->mp), &m) == -1 ||
	    (users = train_row_users(v, n, m.nrows)) == NULL) {
		msg = "out of memory";
		goto out;
	}
	free(v);
	v = NULL;
	nrows = m.nrows;
	nt = m.nnz;
	t0 = clock_mono_ms();
	if ((md = fit_matrix(&m, &o->mp)) == NULL) {
		msg = "the fit failed";
		goto out;
	}
	res->seconds = (double)(clock_mono_ms() - t0) / 1000.0;
	res->interactions = nt;
	res->users = nrows;
	/* Movies, not matrix columns: column 0 is no movie (ids start at 1). */
	res->items = ncols > 0 ? ncols - 1 : 0;

	/* The next version; the file first, then the row that names it. */
	if (store_exec(&s, "SELECT 1") == -1)
		goto out;
	{
		sqlite3_stmt	*st;

		if (sqlite3_prepare_v2(s.db, "SELECT COALESCE(MAX(id), 0) + 1 "
		    "FROM models", -1, &st, NULL) != SQLITE_OK)
			goto out;
		id = sqlite3_step(st) == SQLITE_ROW ?
		    sqlite3_column_int64(st, 0) : -1;
		sqlite3_finalize(st);
	}
	snprintf(path, sizeof(path), "%s/%s", o->data_dir, TRAIN_DIR);
	if (stat(path, &sb) == -1 && mkdir(path, 0750) == -1) {
		log_warnx("train: %s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(file, sizeof(file), "model-%06lld.cnrm", (long long)id);
	snprintf(path, sizeof(path), "%s/%s/%s", o->data_dir, TRAIN_DIR, file);
	if (model_save(md, path) == -1) {
		msg = "cannot write the model file";
		goto out;
	}
	/* The lists file: the model file's name, ".lists" for ".cnrm". */
	snprintf(lpath, sizeof(lpath), "%.*s.lists",
	    (int)(strlen(path) - strlen(".cnrm")), path);
	phase(o, TRAIN_PHASE_LISTS);
	t0 = clock_mono_ms();
	if (train_precompute(&m, users, md, o->mp.threads, read_ms, lpath) ==
	    -1) {
		msg = "cannot precompute the lists";
		(void)unlink(path);
		goto out;
	}
	res->lists_seconds = (double)(clock_mono_ms() - t0) / 1000.0;
	if (register_model(&s, o, res, file, from, to, &id) == -1) {
		msg = "cannot register the model";
		(void)unlink(path);
		(void)unlink(lpath);
		goto out;
	}
	res->model_id = id;
	msg = versions_gate_promotes(res->gate) ? "ok" : "kept, not promoted";
	rc = 0;
	(void)versions_collect(s.db, o->data_dir, o->gate.keep);
out:
	run_end(&s, run, rc == 0 ? res->model_id : 0, msg);
	model_free(md);
	csr_free(&m);
	free(users);
	free(v);
	store_close(&s);
out_lock:
	close(lockfd);
	return (rc);
}
