/*
 * The recommendation log's store (see logstore.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/logstore.h"
#include "store/sql.h"
#include "telemetry/reclog.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/log.h"

#define BY_USER_MAX	256	/* list ids in one reco_log_by_user entry */
#define CHUNK_LISTS	256	/* lists in one reco_log_chunks row */

/* A list waiting for the next write. */
struct pending_list {
	struct logstore_list	 a;	/* host and arm unused: offsets below */
	int64_t			 id;
	size_t			 movies;	/* "id,id,..." */
	size_t			 host, arm;	/* or ARENA_NONE */
};

/* A list not rolled up yet. */
struct log_row {
	int64_t		user, id, ts;
};

int
logstore_reserve(struct logstore *l, size_t len)
{
	return (vec_reserve(&l->lists, 1) == -1 ||
	    vec_reserve(&l->unrolled, 1) == -1 ||
	    arena_reserve(&l->strs, len + 256) == -1 ? -1 : 0);
}

static size_t
add_str(struct arena *a, const char *s)
{
	return (s != NULL ? arena_add(a, s, strlen(s)) : ARENA_NONE);
}

int64_t
logstore_add(struct logstore *l, const struct logstore_list *a,
    const int32_t *ids, size_t n, const char *text, size_t len)
{
	struct pending_list	*p;
	char			 buf[256 * 12];
	size_t			 mark = l->strs.len;

	if (text == NULL) {
		if (n > sizeof(buf) / 12)
			n = sizeof(buf) / 12;
		len = reclog_ids(buf, ids, n);
		text = buf;
	}
	if ((p = vec_push(&l->lists)) == NULL)
		return (-1);
	p->a = *a;
	/* The writer alone adds rows: it numbers them itself. */
	p->id = l->last_id + (int64_t)l->lists.len;
	p->movies = arena_add(&l->strs, text, len);
	p->host = add_str(&l->strs, a->host);
	p->arm = add_str(&l->strs, a->arm);
	if (p->movies == ARENA_NONE || (a->host != NULL &&
	    p->host == ARENA_NONE) || (a->arm != NULL && p->arm == ARENA_NONE)) {
		l->lists.len--;
		l->strs.len = mark;
		return (-1);
	}
	return (p->id);
}

size_t
logstore_pending(const struct logstore *l)
{
	return (l->lists.len);
}

int
logstore_roll_due(const struct logstore *l, int64_t now)
{
	return ((l->unrolled.len > 0 || l->lists.len > 0) && (l->roll_now ||
	    l->rolled_at == 0 || now - l->rolled_at >= l->roll_ms));
}

/* json_quote's output into the chunk being built. */
static void
chunk_put(void *arg, const void *p, size_t len)
{
	struct logstore	*l = arg;

	if (l->chunk_oom)
		return;
	if (arena_add(&l->chunk, p, len) == ARENA_NONE) {
		/* The chunk is incomplete: logstore_write fails. */
		l->chunk_oom = 1;
		return;
	}
	l->chunk.len--;		/* no NUL between pieces */
}

/* A string of the pending lists as JSON (or null). */
static void
chunk_str(struct logstore *l, size_t off)
{
	if (off != ARENA_NONE)
		json_quote(ARENA_AT(&l->strs, off), chunk_put, l);
	else
		chunk_put(l, "null", 4);
}

/* v and a comma at buf + n; the length after them. */
static inline size_t
int_comma(char *buf, size_t n, int64_t v)
{
	n += reclog_int(buf + n, v);
	buf[n++] = ',';
	return (n);
}

/* Append list p: [ts,user,source,host,status,latency,"ids",model,arm,pers]. */
static void
chunk_list(struct logstore *l, const struct pending_list *p, int first)
{
	char	buf[256];
	size_t	n = 0;

	/* The numbers by hand: snprintf was most of the writer's time. */
	buf[n++] = first ? '[' : ',';
	buf[n++] = '[';
	n = int_comma(buf, n, p->a.ts);
	n = int_comma(buf, n, p->a.user);
	n = int_comma(buf, n, p->a.source);
	chunk_put(l, buf, n);
	chunk_str(l, p->host);
	n = 0;
	buf[n++] = ',';
	n = int_comma(buf, n, p->a.status);
	n = int_comma(buf, n, (p->a.latency_us + 500) / 1000);
	buf[n++] = '"';
	chunk_put(l, buf, n);
	chunk_put(l, ARENA_AT(&l->strs, p->movies),
	    strlen(ARENA_AT(&l->strs, p->movies)));
	n = 0;
	buf[n++] = '"';
	buf[n++] = ',';
	if (p->a.model_version > 0)
		n += reclog_int(buf + n, p->a.model_version);
	else {
		memcpy(buf + n, "null", 4);
		n += 4;
	}
	buf[n++] = ',';
	chunk_put(l, buf, n);
	chunk_str(l, p->arm);
	n = 0;
	buf[n++] = ',';
	n += reclog_int(buf + n, p->a.personal);
	buf[n++] = ']';
	chunk_put(l, buf, n);
}

/* The pending lists into reco_log_chunks, CHUNK_LISTS to a row. */
static int
write_chunks(struct logstore *l)
{
	struct pending_list	*p;
	struct log_row		*lr;
	int64_t			 min_ts = 0, max_ts = 0, first_id = 0;
	size_t			 i, k = 0;

	for (i = 0; i < l->lists.len; i++) {
		p = VEC_AT(&l->lists, struct pending_list, i);
		if (k == 0) {
			l->chunk.len = 0;
			l->chunk_oom = 0;
			first_id = p->id;
			min_ts = max_ts = p->a.ts;
		}
		chunk_list(l, p, k == 0);
		min_ts = p->a.ts < min_ts ? p->a.ts : min_ts;
		max_ts = p->a.ts > max_ts ? p->a.ts : max_ts;
		if ((lr = vec_push(&l->unrolled)) == NULL)
			return (-1);
		lr->user = p->a.user;
		lr->id = p->id;
		lr->ts = p->a.ts;
		if (++k < CHUNK_LISTS && i + 1 < l->lists.len)
			continue;
		chunk_put(l, "]", 1);
		if (l->chunk_oom) {
			log_warnx("%s: out of memory", __func__);
			return (-1);
		}
		if (sql_row(l->st_chunk, "reco_log_chunks", "IIIIs", p->id,
		    first_id, min_ts, max_ts, l->chunk.p, (int)l->chunk.len) ==
		    -1)
			return (-1);
		k = 0;
	}
	return (0);
}

static int
log_row_cmp(const void *a, const void *b)
{
	const struct log_row	*x = a, *y = b;

	if (x->user != y->user)
		return (x->user < y->user ? -1 : 1);
	return (x->id < y->id ? -1 : x->id > y->id);
}

/*
 * A user's lists of the run go into one reco_log_by_user entry (or several
 * of BY_USER_MAX ids), keyed by the newest of them, inserted in sorted
 * order so each page of that index is rewritten once per run.
 */
static int
roll_up(struct logstore *l, int64_t last)
{
	struct log_row	*lr = l->unrolled.p;
	size_t		 i, k, n = l->unrolled.len, len;
	char		 ids[BY_USER_MAX * 21 + 2];

	qsort(lr, n, sizeof(*lr), log_row_cmp);
	for (i = 0; i < n; i = k) {
		len = 0;
		ids[len++] = '[';
		for (k = i; k < n && lr[k].user == lr[i].user &&
		    k - i < BY_USER_MAX; k++) {
			if (k > i)
				ids[len++] = ',';
			len += reclog_int(ids + len, lr[k].id);
		}
		ids[len++] = ']';
		if (sql_row(l->st_by_user, "reco_log_by_user", "IIs",
		    lr[i].user, lr[k - 1].id, ids, (int)len) == -1)
			return (-1);
	}
	return (sql_row(l->st_rolled, "counters", "tI", "reco_rolled_last",
	    last));
}

int
logstore_write(struct logstore *l, int roll)
{
	int64_t	last = l->last_id + (int64_t)l->lists.len;

	return (write_chunks(l) == -1 || (roll && roll_up(l, last) == -1) ?
	    -1 : 0);
}

void
logstore_committed(struct logstore *l, int roll, int64_t now)
{
	l->last_id += (int64_t)l->lists.len;
	l->lists.len = 0;
	l->strs.len = 0;
	if (roll) {
		l->rolled_last = l->last_id;
		l->rolled_at = now;
		l->roll_now = 0;
		l->unrolled.len = 0;
	}
}

/* A failed transaction: forget the rows it added (sorted, maybe). */
void
logstore_failed(struct logstore *l)
{
	struct log_row	*lr = l->unrolled.p;
	size_t		 i, k = 0;

	for (i = 0; i < l->unrolled.len; i++)
		if (lr[i].id <= l->last_id)
			lr[k++] = lr[i];
	l->unrolled.len = k;
}

int64_t
logstore_expire(struct logstore *l, sqlite3 *db, int64_t before_ms, int limit)
{
	static const char	*sql[] = {
		"SELECT last_id, first_id, max_ts, last_id = (SELECT "
		"MAX(last_id) FROM reco_log_chunks) FROM reco_log_chunks "
		"ORDER BY last_id LIMIT 1",
		"SELECT DISTINCT j.value ->> 1 FROM reco_log_chunks c, "
		"json_each(c.lists) j WHERE c.last_id = ?1",
		"DELETE FROM reco_log_by_user WHERE user_id = ?1 AND newest <= ?2",
		"UPDATE reco_log_by_user SET log_ids = (SELECT "
		"json_group_array(value) FROM json_each(log_ids) WHERE value > "
		"?2) WHERE user_id = ?1 AND log_ids ->> 0 <= ?2 AND newest = "
		"(SELECT MIN(newest) FROM reco_log_by_user WHERE user_id = ?1 "
		"AND newest > ?2)",
		"DELETE FROM reco_follows WHERE log_id BETWEEN ?1 AND ?2",
		"DELETE FROM reco_log_chunks WHERE last_id = ?1",
	};
	enum { CHUNK, USERS, DEL_USER, CUT_USER, DEL_FOLLOWS, DEL_CHUNK, NSQL };
	sqlite3_stmt	*st[NSQL] = { NULL };
	int64_t		 n = 0, first, last, max_ts, user;
	size_t		 i;
	int		 rc, newest;

	/*
	 * Chunks go oldest first, in id order, while all their lists are
	 * older than before_ms and rolled up, never the newest chunk (so list
	 * ids are never handed out twice).  A user's by-user entries hold
	 * ascending ids: entries up to the chunk's last id go, and the next
	 * one loses the ids it still had up to there.
	 */
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < NSQL; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL) !=
		    SQLITE_OK)
			goto fail;
	while (n < limit) {
		if ((rc = sqlite3_step(st[CHUNK])) != SQLITE_ROW) {
			sqlite3_reset(st[CHUNK]);
			if (rc != SQLITE_DONE)
				goto fail;
			break;
		}
		last = sqlite3_column_int64(st[CHUNK], 0);
		first = sqlite3_column_int64(st[CHUNK], 1);
		max_ts = sqlite3_column_int64(st[CHUNK], 2);
		newest = sqlite3_column_int(st[CHUNK], 3);
		sqlite3_reset(st[CHUNK]);
		if (max_ts >= before_ms || last > l->rolled_last || newest)
			break;
		sqlite3_bind_int64(st[USERS], 1, last);
		while ((rc = sqlite3_step(st[USERS])) == SQLITE_ROW) {
			user = sqlite3_column_int64(st[USERS], 0);
			if (sql_row(st[DEL_USER], __func__, "II", user, last) ==
			    -1 || sql_row(st[CUT_USER], __func__, "II", user,
			    last) == -1)
				goto fail;
		}
		sqlite3_reset(st[USERS]);
		if (rc != SQLITE_DONE ||
		    sql_row(st[DEL_FOLLOWS], __func__, "II", first, last) ==
		    -1 || sql_row(st[DEL_CHUNK], __func__, "I", last) == -1)
			goto fail;
		n += last - first + 1;
	}
	for (i = 0; i < NSQL; i++)
		sqlite3_finalize(st[i]);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return (-1);
	}
	return (n);

fail:
	log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
	for (i = 0; i < NSQL; i++)
		sqlite3_finalize(st[i]);
	(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}

/* Where the log and its roll-ups stand; the lists after the last one. */
static int
load(struct logstore *l, sqlite3 *db)
{
	sqlite3_stmt	*st;
	struct log_row	*lr;
	int		 rc;

	if (sqlite3_prepare_v2(db, "SELECT COALESCE((SELECT MAX(last_id) FROM "
	    "reco_log_chunks), 0), COALESCE((SELECT value FROM counters WHERE "
	    "name = 'reco_rolled_last'), 0)", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		l->last_id = sqlite3_column_int64(st, 0);
		l->rolled_last = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW || sqlite3_prepare_v2(db, "SELECT "
	    "j.value ->> 1, c.first_id + j.key, j.value ->> 0 FROM "
	    "reco_log_chunks c, json_each(c.lists) j WHERE c.last_id > ?1 AND "
	    "c.first_id + j.key > ?1 ORDER BY 2", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_int64(st, 1, l->rolled_last);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((lr = vec_push(&l->unrolled)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		lr->user = sqlite3_column_int64(st, 0);
		lr->id = sqlite3_column_int64(st, 1);
		lr->ts = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

int
logstore_open(struct logstore *l, sqlite3 *db)
{
	struct sql_stmt	stmts[] = {
		{ &l->st_chunk, "INSERT INTO reco_log_chunks VALUES (?1, ?2, "
		    "?3, ?4, ?5)" },
		{ &l->st_by_user, "INSERT INTO reco_log_by_user VALUES (?1, "
		    "?2, ?3)" },
		{ &l->st_rolled, "INSERT INTO counters VALUES (?1, ?2) ON "
		    "CONFLICT DO UPDATE SET value = MAX(value, "
		    "excluded.value)" },
	};

	memset(l, 0, sizeof(*l));
	l->lists.size = sizeof(struct pending_list);
	l->unrolled.size = sizeof(struct log_row);
	l->roll_ms = LOGSTORE_ROLLUP_MS;
	if (sql_prepare_all(db, stmts, sizeof(stmts) / sizeof(stmts[0])) ==
	    -1)
		goto fail;
	if (load(l, db) == -1) {
		fprintf(stderr, "cinerec: cannot load the recent lists: %s\n",
		    sqlite3_errmsg(db));
		goto fail;
	}
	return (0);
fail:
	logstore_close(l);
	return (-1);
}

void
logstore_close(struct logstore *l)
{
	sqlite3_finalize(l->st_chunk);
	sqlite3_finalize(l->st_by_user);
	sqlite3_finalize(l->st_rolled);
	l->st_chunk = l->st_by_user = l->st_rolled = NULL;
	vec_free(&l->lists);
	vec_free(&l->unrolled);
	arena_free(&l->strs);
	arena_free(&l->chunk);
}

/*
 * Reading chunks back.  The text is what chunk_list wrote (or what
 * SQLite's json_group_array wrote in 005_reco_ids.sql): an array of lists,
 * each an array of numbers, strings and nulls.
 */
static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return (p);
}

static int
hex4(const char *p, unsigned *v)
{
	int	i;

	*v = 0;
	for (i = 0; i < 4; i++, p++) {
		*v <<= 4;
		if (*p >= '0' && *p <= '9')
			*v |= (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			*v |= (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			*v |= (unsigned)(*p - 'A' + 10);
		else
			return (-1);
	}
	return (0);
}

/* Append byte b to out (cap bytes with the NUL) at *n, if it fits. */
static void
out_byte(char *out, size_t cap, size_t *n, unsigned b)
{
	if (out != NULL && *n + 1 < cap)
		out[(*n)++] = (char)b;
}

/*
 * The string whose opening quote is at p - 1: unescaped into out (cap
 * bytes, cut to fit, NUL-terminated) unless out is NULL.  Returns the byte
 * after its closing quote, or NULL when it has none or a bad escape.
 */
static const char *
chunk_str_read(const char *p, char *out, size_t cap)
{
	size_t		n = 0;
	unsigned	u, lo;

	for (; *p != '"'; p++) {
		if (*p == '\0')
			return (NULL);
		if (*p != '\\') {
			out_byte(out, cap, &n, (unsigned char)*p);
			continue;
		}
		switch (*++p) {
		case '"': case '\\': case '/':
			out_byte(out, cap, &n, (unsigned char)*p);
			break;
		case 'b': out_byte(out, cap, &n, '\b'); break;
		case 'f': out_byte(out, cap, &n, '\f'); break;
		case 'n': out_byte(out, cap, &n, '\n'); break;
		case 'r': out_byte(out, cap, &n, '\r'); break;
		case 't': out_byte(out, cap, &n, '\t'); break;
		case 'u':
			if (hex4(p + 1, &u) == -1)
				return (NULL);
			p += 4;
			if (u >= 0xd800 && u < 0xdc00 && p[1] == '\\' &&
			    p[2] == 'u' && hex4(p + 3, &lo) == 0 &&
			    lo >= 0xdc00 && lo < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			if (u < 0x80)
				out_byte(out, cap, &n, u);
			else if (u < 0x800) {
				out_byte(out, cap, &n, 0xc0 | u >> 6);
				out_byte(out, cap, &n, 0x80 | (u & 0x3f));
			} else if (u < 0x10000) {
				out_byte(out, cap, &n, 0xe0 | u >> 12);
				out_byte(out, cap, &n, 0x80 | (u >> 6 & 0x3f));
				out_byte(out, cap, &n, 0x80 | (u & 0x3f));
			} else {
				out_byte(out, cap, &n, 0xf0 | u >> 18);
				out_byte(out, cap, &n, 0x80 | (u >> 12 & 0x3f));
				out_byte(out, cap, &n, 0x80 | (u >> 6 & 0x3f));
				out_byte(out, cap, &n, 0x80 | (u & 0x3f));
			}
			break;
		default:
			return (NULL);
		}
	}
	if (out != NULL)
		out[n] = '\0';
	return (p + 1);
}

/*
 * "17,4032,9" between p and end into e->ids, as reclog_parse_ids reads
 * it: ids that are not positive left out, stopping at what is no id.
 */
static void
chunk_ids(const char *p, const char *end, struct logstore_entry *e)
{
	int64_t	v;
	int	neg, digits;

	while (p < end && e->nids < LOGSTORE_IDS_MAX) {
		neg = *p == '-';
		p += neg || *p == '+';
		for (v = 0, digits = 0; p < end && *p >= '0' && *p <= '9';
		    p++, digits++)
			if (v <= INT32_MAX)
				v = v * 10 + (*p - '0');
		if (digits == 0)
			break;
		if (!neg && v > 0 && v <= INT32_MAX)
			e->ids[e->nids++] = (int32_t)v;
		if (p < end && *p != ',')
			break;
		p++;
	}
}

/* A number (or null, true, false) at p into *v; the byte after it. */
static const char *
chunk_num(const char *p, int64_t *v)
{
	char	*end;
	double	 d;

	if (*p != '-' && (*p < '0' || *p > '9')) {
		if (strncmp(p, "null", 4) == 0 || strncmp(p, "true", 4) == 0) {
			*v = *p == 't';
			return (p + 4);
		}
		if (strncmp(p, "false", 5) != 0)
			return (NULL);
		*v = 0;
		return (p + 5);
	}
	*v = strtoll(p, &end, 10);
	if (*end == '.' || *end == 'e' || *end == 'E') {
		d = strtod(p, &end);
		*v = d >= -9.2e18 && d <= 9.2e18 ? (int64_t)d : 0;
	}
	return (end);
}

/* Fields of a list: [ts,user,source,host,status,latency,ids,model,arm,pers]. */
#define F_TS	0
#define F_USER	1
#define F_SRC	2
#define F_IDS	6
#define F_MODEL	7
#define F_ARM	8
#define F_PERS	9

/* From inside a list to its closing bracket (strings skipped), or NULL. */
static const char *
list_end(const char *p)
{
	for (;;) {
		switch (*p) {
		case '"':
			if ((p = chunk_str_read(p + 1, NULL, 0)) == NULL)
				return (NULL);
			break;
		case ']':
			return (p);
		case '[': case '{': case '\0':
			return (NULL);
		default:
			p++;
		}
	}
}

int
logstore_chunk_next(const char **pp, struct logstore_entry *e, int full)
{
	const char	*p = skip_ws(*pp), *s;
	int64_t		 v;
	int		 f, start = *p == '[';

	if (*p == '[' || *p == ',')
		p = skip_ws(p + 1);
	else if (*p == ']')
		return (0);
	else
		return (-1);
	if (*p == ']' && start) {
		*pp = p;		/* an empty chunk */
		return (0);
	}
	if (*p != '[')
		return (-1);
	memset(e, 0, offsetof(struct logstore_entry, ids));
	e->arm[0] = '\0';
	e->at = *pp;
	for (f = 0, p = skip_ws(p + 1); ; f++, p = skip_ws(p + 1)) {
		if (f > F_USER && !full) {
			if ((p = list_end(p)) == NULL)
				return (-1);
			f = F_IDS;	/* not checked here */
			break;
		}
		if (*p == '"') {
			if (f == F_ARM)
				p = chunk_str_read(p + 1, e->arm,
				    sizeof(e->arm));
			else if ((s = chunk_str_read(p + 1, NULL, 0)) !=
			    NULL && f == F_IDS) {
				chunk_ids(p + 1, s - 1, e);
				p = s;
			} else
				p = s;
		} else if ((p = chunk_num(p, &v)) != NULL) {
			if (f == F_TS)
				e->ts = v;
			else if (f == F_USER)
				e->user = v;
			else if (f == F_SRC)
				e->source = (int)v;
			else if (f == F_MODEL)
				e->model_version = v;
			else if (f == F_PERS)
				e->personal = v;
		}
		if (p == NULL)
			return (-1);
		p = skip_ws(p);
		if (*p == ']')
			break;
		if (*p != ',')
			return (-1);
	}
	if (f < F_IDS)
		return (-1);
	*pp = p + 1;
	return (1);
}
