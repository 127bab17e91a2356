/*
 * Fresh lists (see fresh.h).
 */
#include <sys/mman.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/versions.h"
#include "reco/fresh.h"
#include "reco/reco.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

struct fresh_slot {
	uint64_t		 seq;	/* odd: invalid or being written */
	int64_t			 user;
	struct fresh_row	 row;
};

static struct fresh_slot	*table;	/* FRESH_SLOTS, shared */

#define RANKING_MS	10000	/* the maker's ranking: its movie ids */

struct fresh_maker {
	struct store		 s;	/* read-only, autocommit */
	struct reco		 r;
	struct signal_params	 sp;
	struct model		*md;
	int64_t			 model_id, failed;
	int64_t			 ranked_ms;	/* when the ranking was built */
	int64_t			 done_ms;	/* when the last make ended */
	int64_t			*backlog;	/* FRESH_BACKLOG, a ring */
	size_t			 head, len;	/* its oldest, how many */
	char			 data_dir[PATH_MAX];
};

int
fresh_init(void)
{
	void	*p;

	if (table != NULL)
		return (0);
	p = mmap(NULL, FRESH_SLOTS * sizeof(*table), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_warnx("fresh lists: mmap failed: changed users are "
		    "folded in at request time");
		return (-1);
	}
	table = p;	/* zero: every sequence even, every user 0 (none) */
	return (0);
}

int
fresh_enabled(void)
{
	return (table != NULL);
}

static struct fresh_slot *
slot_of(int64_t user)
{
	/* Fibonacci hashing: the top bits (ids in a row spread evenly). */
	uint64_t	h = (uint64_t)user * 0x9e3779b97f4a7c15ULL;

	return (&table[h >> (64 - FRESH_BITS)]);
}

void
fresh_invalidate(const int64_t *users, size_t n)
{
	struct fresh_slot	*sl;
	uint64_t		 seq;
	size_t			 i;

	if (table == NULL)
		return;
	for (i = 0; i < n; i++) {
		sl = slot_of(users[i]);
		if (__atomic_load_n(&sl->user, __ATOMIC_RELAXED) != users[i])
			continue;
		seq = __atomic_load_n(&sl->seq, __ATOMIC_RELAXED);
		if (!(seq & 1))
			__atomic_store_n(&sl->seq, seq + 1, __ATOMIC_RELEASE);
	}
	/* Before the commit, for whoever looks after it. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void
fresh_put(int64_t user, const struct fresh_row *row)
{
	struct fresh_slot	*sl;
	uint64_t		 seq;

	if (table == NULL)
		return;
	sl = slot_of(user);
	seq = __atomic_load_n(&sl->seq, __ATOMIC_RELAXED);
	if (!(seq & 1))
		seq++;
	/* Odd while written: a reader that overlaps sees it change. */
	__atomic_store_n(&sl->seq, seq, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&sl->user, user, __ATOMIC_RELAXED);
	memcpy(&sl->row, row, sizeof(*row));
	__atomic_store_n(&sl->seq, seq + 1, __ATOMIC_RELEASE);
}

int
fresh_get(int64_t user, int64_t model_id, struct fresh_row *row)
{
	struct fresh_slot	*sl;
	uint64_t		 s1, s2;

	if (table == NULL)
		return (0);
	sl = slot_of(user);
	s1 = __atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE);
	if ((s1 & 1) || __atomic_load_n(&sl->user, __ATOMIC_RELAXED) != user)
		return (0);
	memcpy(row, (const void *)&sl->row, sizeof(*row));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	s2 = __atomic_load_n(&sl->seq, __ATOMIC_RELAXED);
	if (s1 != s2 || __atomic_load_n(&sl->user, __ATOMIC_RELAXED) != user)
		return (0);
	return (row->model_id == model_id && row->n >= 0 && row->n <= LISTS_K);
}

struct fresh_maker *
fresh_maker_open(const char *data_dir, const struct signal_params *sp)
{
	struct fresh_maker	*fm;

	if (table == NULL || (fm = calloc(1, sizeof(*fm))) == NULL)
		return (NULL);
	if ((fm->backlog = calloc(FRESH_BACKLOG, sizeof(int64_t))) == NULL ||
	    store_open(&fm->s, data_dir, STORE_RDONLY) == -1) {
		free(fm->backlog);
		free(fm);
		return (NULL);
	}
	fm->sp = *sp;
	snprintf(fm->data_dir, sizeof(fm->data_dir), "%s", data_dir);
	return (fm);
}

/* The current version loaded, when it changed.  0, or -1: none. */
static int
current(struct fresh_maker *fm)
{
	struct model	*md;
	char		 file[256], path[PATH_MAX], lpath[PATH_MAX];
	int64_t		 id;

	if (store_current_model(&fm->s, &id, file, sizeof(file)) != 1)
		return (-1);
	if (id == fm->model_id)
		return (0);
	if (id == fm->failed)
		return (-1);
	if (versions_paths(fm->data_dir, file, path, lpath, sizeof(path)) ==
	    -1 || model_load(path, &md) != 0) {
		fm->failed = id;
		return (-1);
	}
	model_free(fm->md);
	fm->md = md;
	fm->model_id = id;
	return (0);
}

/* Left for a later make: the oldest is dropped when the ring is full. */
static void
backlog_push(struct fresh_maker *fm, int64_t user)
{
	if (fm->len == FRESH_BACKLOG) {
		fm->head = (fm->head + 1) % FRESH_BACKLOG;
		fm->len--;
	}
	fm->backlog[(fm->head + fm->len) % FRESH_BACKLOG] = user;
	fm->len++;
}

/* user's list, published.  0, or -1 when it cannot be made. */
static int
make_one(struct fresh_maker *fm, int64_t user)
{
	struct reco_list	 l;
	struct fresh_row	 row;
	size_t			 k;

	if (reco_for_user(&fm->r, &fm->s, fm->md, NULL, &fm->sp, user,
	    LISTS_K, &l) == -1)
		return (-1);
	/* The model's part only: popularity is filled in on request. */
	memset(&row, 0, sizeof(row));
	row.model_id = fm->model_id;
	for (k = 0; k < LISTS_K; k++)
		row.ids[k] = row.because[k] = LISTS_NONE;
	for (k = 0; k < l.personal && k < LISTS_K; k++) {
		row.ids[k] = l.item[k].movie;
		row.scores[k] = l.item[k].score;
		row.because[k] = l.item[k].because_id >= 0 ?
		    l.item[k].because_id : LISTS_NONE;
	}
	row.n = (int)k;
	fresh_put(user, &row);
	return (0);
}

size_t
fresh_maker_make(struct fresh_maker *fm, const int64_t *users, size_t n,
    int budget_ms)
{
	struct fresh_row	 row;
	int64_t			 t0 = clock_mono_ms(), now, share, user;
	int64_t			 c0, budget_us;
	size_t			 i, made = 0;

	if ((n == 0 && fm->len == 0) || current(fm) == -1)
		return (0);
	/*
	 * At most a third of the writer's time: half the time it spent on
	 * everything else since the last make.  A stream of 1,000 lines a
	 * second leaves room for all its users; a bulk load keeps most of
	 * its throughput and its users are folded in instead.
	 */
	share = fm->done_ms > 0 ? (t0 - fm->done_ms) / FRESH_SHARE : budget_ms;
	/* A millisecond at least: a sparse stream's users always get theirs. */
	if (share < 1)
		share = 1;
	if (share < budget_ms)
		budget_ms = (int)share;
	if ((now = clock_now_ms()) - fm->ranked_ms > RANKING_MS) {
		(void)reco_refresh(&fm->r, &fm->s, 7, 1);
		fm->ranked_ms = now;
	}
	/*
	 * The budget is for lists: the ranking's rebuild is not counted.  It
	 * is the thread's CPU time, not the clock's: when requests preempt
	 * the writer its lists take longer, not fewer.
	 */
	budget_us = (int64_t)budget_ms * 1000;
	c0 = clock_thread_us();
	for (i = 0; i < n && clock_thread_us() - c0 < budget_us; i++) {
		if (make_one(fm, users[i]) == -1)
			break;
		made++;
	}
	/* Those without time, for later; then the earlier ones, oldest first. */
	for (; i < n; i++)
		backlog_push(fm, users[i]);
	while (fm->len > 0 && clock_thread_us() - c0 < budget_us) {
		user = fm->backlog[fm->head];
		fm->head = (fm->head + 1) % FRESH_BACKLOG;
		fm->len--;
		if (fresh_get(user, fm->model_id, &row))
			continue;
		if (make_one(fm, user) == -1)
			break;
		made++;
	}
	if (made > 0)
		fm->done_ms = clock_mono_ms();
	return (made);
}

void
fresh_maker_close(struct fresh_maker *fm)
{
	if (fm == NULL)
		return;
	model_free(fm->md);
	reco_free(&fm->r);
	store_close(&fm->s);
	free(fm->backlog);
	free(fm);
}

void
fresh_commit_hook(void *maker, const int64_t *users, size_t n, int before)
{
	if (before)
		fresh_invalidate(users, n);
	else if (maker != NULL)
		(void)fresh_maker_make(maker, users, n, FRESH_BUDGET_MS);
}
