/*
 * Crash safety against the real server: senders stream over TCP (with
 * SYNC) and POST /events while the parent, or a worker, is SIGKILLed at a
 * random moment, round after round on the same data dir.  After each round:
 * no process of the old server is left, the database passes
 * integrity_check, every acknowledged event is in it, and serving resumes.
 * The same for a kill during a training and during a model switch.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define ROUNDS		6	/* kill rounds, alternating parent / worker */
#define BODY_LINES	50	/* lines of one POST /events body */

static char		dbpath[320];

static void
setup(void)
{
	h_setup();
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
}

static void
teardown(void)
{
	h_cleanup(&h_srv);
}

TestSuite(crash, .init = setup, .fini = teardown, .timeout = 600);

/* What one round's senders had acknowledged when the kill came. */
struct sender {
	int		 port;
	int64_t		 base;		/* first user id of this sender */
	volatile int	 stop;
	long		 acked;		/* TCP: lines, in order, from base */
	int		 bodies[4096];	/* POST: 1 if body k was answered 200 */
	int		 nbodies;
};

static void *
tcp_sender(void *arg)
{
	struct sender	*s = arg;
	char		 line[160], buf[1 << 14];
	long		 n = 0, got;
	size_t		 len;
	int		 fd, i;

	if ((fd = h_connect_try(s->port)) == -1)
		return (NULL);
	while (!s->stop) {
		for (i = 0, len = 0; i < 100; i++, n++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			    "2026-01-01T10:00:00,%lld,GET /rate/crash+%ld=4\n",
			    (long long)(s->base + n), n % 50);
		if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len ||
		    send(fd, "SYNC\n", 5, MSG_NOSIGNAL) != 5 ||
		    h_readline(fd, line, sizeof(line), 15000) <= 0 ||
		    strncmp(line, "OK ", 3) != 0)
			break;
		/* Every line so far accepted, in order: the first got. */
		got = strtol(line + 3, NULL, 10);
		s->acked = got;
		if (got != n)
			break;
	}
	close(fd);
	return (NULL);
}

static void *
post_sender(void *arg)
{
	struct sender	*s = arg;
	struct h_reply	*r = malloc(sizeof(*r));
	char		 body[BODY_LINES * 80];
	size_t		 len;
	int		 i;

	while (!s->stop && s->nbodies < 4096) {
		for (i = 0, len = 0; i < BODY_LINES; i++)
			len += (size_t)snprintf(body + len, sizeof(body) - len,
			    "2026-01-01T10:00:00,%lld,GET /rate/crash+%d=4\n",
			    (long long)(s->base + s->nbodies * BODY_LINES + i),
			    i);
		/* The server may go at any moment: then no answer, no ack. */
		if (h_http_try(s->port, "POST", "/events", NULL, body, len,
		    r) == -1)
			break;
		s->bodies[s->nbodies++] = r->status == 200 &&
		    h_json_int(r->body, "accepted") == BODY_LINES;
	}
	free(r);
	return (NULL);
}

/* Every event the senders of a round were told was committed is there. */
static void
check_acked(const struct sender *tcp, const struct sender *post)
{
	int64_t	have;
	int	k, bodies = 0;

	have = h_qi(dbpath, "SELECT COUNT(*) FROM ratings WHERE user_id >= "
	    "%lld AND user_id < %lld", (long long)tcp->base,
	    (long long)(tcp->base + tcp->acked));
	cr_assert_eq(have, tcp->acked, "TCP: %lld of %ld acknowledged lines",
	    (long long)have, tcp->acked);
	for (k = 0; k < post->nbodies; k++) {
		if (!post->bodies[k])
			continue;
		bodies++;
		have = h_qi(dbpath, "SELECT COUNT(*) FROM ratings WHERE "
		    "user_id >= %lld AND user_id < %lld",
		    (long long)(post->base + k * BODY_LINES),
		    (long long)(post->base + (k + 1) * BODY_LINES));
		cr_assert_eq(have, BODY_LINES, "POST body %d: %lld of %d lines",
		    k, (long long)have, BODY_LINES);
	}
	cr_log_info("acknowledged and found: %ld TCP lines, %d POST bodies",
	    tcp->acked, bodies);
}

/* Wait until none of pids lives (5 s at most); how many still do. */
static int
wait_gone(const pid_t *pids, int n)
{
	int	i, j, left = n;

	for (i = 0; i < 100 && left > 0; i++) {
		for (j = 0, left = 0; j < n; j++)
			left += h_alive(pids[j]);
		if (left > 0)
			usleep(50000);
	}
	return (left);
}

static void
check_sound_and_serving(void)
{
	struct h_reply	r;
	char		buf[64];

	cr_assert_str_eq(h_qs(dbpath, buf, sizeof(buf), "PRAGMA "
	    "integrity_check"), "ok");
	h_http(h_srv.http_port, "GET", "/recommend/1", NULL, NULL, 0, &r);
	cr_assert_eq(r.status, 200);
	h_http(h_srv.http_port, "POST", "/events", NULL,
	    "2026-01-01T10:00:00,1,GET /rate/after+crash=5\n", 46, &r);
	cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
}

Test(crash, sigkill_of_parent_or_worker_loses_nothing_acknowledged)
{
	struct sender	*tcp, *post;
	pthread_t	 t1, t2;
	pid_t		 kids[16], victim;
	int		 round, n, left;

	tcp = calloc(1, sizeof(*tcp));
	post = calloc(1, sizeof(*post));
	h_start(&h_srv, NULL);
	snprintf(dbpath, sizeof(dbpath), "%s/cinerec.db", h_srv.dir);
	for (round = 0; round < ROUNDS; round++) {
		memset(tcp, 0, sizeof(*tcp));
		memset(post, 0, sizeof(*post));
		tcp->port = h_srv.ingest_port;
		tcp->base = (int64_t)(round + 1) * 10000000;
		post->port = h_srv.http_port;
		post->base = tcp->base + 5000000;
		cr_assert_eq(pthread_create(&t1, NULL, tcp_sender, tcp), 0);
		cr_assert_eq(pthread_create(&t2, NULL, post_sender, post), 0);
		usleep((useconds_t)(200000 + rand() % 1300000));
		n = h_children(h_srv.pid, kids, 16);
		cr_assert_geq(n, 2);
		if (round % 2 == 0) {
			/* The parent: everything must go down with it. */
			kill(h_srv.pid, SIGKILL);
			victim = h_srv.pid;
			(void)h_stop(&h_srv);
			left = wait_gone(kids, n);
			cr_assert_eq(left, 0, "round %d: %d processes outlived "
			    "the parent", round, left);
		} else {
			/* A worker (the writer's or the other): Kore restarts it. */
			victim = kids[rand() % n];
			kill(victim, SIGKILL);
			usleep(500000);
			cr_assert_eq(h_stop(&h_srv), 0, "round %d: stop after a "
			    "worker's kill", round);
			cr_assert_eq(wait_gone(kids, n), 0);
		}
		tcp->stop = post->stop = 1;
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		cr_log_info("round %d: killed %s %d", round, round % 2 == 0 ?
		    "the parent" : "a worker", (int)victim);
		h_start(&h_srv, NULL);
		check_acked(tcp, post);
		check_sound_and_serving();
	}
	cr_assert_eq(h_stop(&h_srv), 0);
	free(tcp);
	free(post);
}

/* Does the server's log hold text? */
static int
log_has(const char *text)
{
	static char	 buf[1 << 20];
	FILE		*fp;
	size_t		 n;

	if ((fp = fopen(h_srv.log, "r")) == NULL)
		return (0);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return (strstr(buf, text) != NULL);
}

/* Temporary files left in the models directory. */
static int
temp_files(void)
{
	char		 path[400];
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	snprintf(path, sizeof(path), "%s/models", h_srv.dir);
	if ((d = opendir(path)) == NULL)
		return (0);
	while ((e = readdir(d)) != NULL)
		n += strstr(e->d_name, ".tmp") != NULL;
	closedir(d);
	return (n);
}

/* A demo world, and the server that trains its first model at start. */
static void
start_untrained(void)
{
	const char	*demo[] = { h_bin(), "demo", "--data-dir", NULL,
			    "--users", "3000", "--movies", "3000", NULL };
	char		 out[4096];

	h_tmpdir(h_srv.dir, sizeof(h_srv.dir));
	demo[3] = h_srv.dir;
	cr_assert_eq(h_run(demo, NULL, out, sizeof(out)), 0, "%s", out);
	snprintf(dbpath, sizeof(dbpath), "%s/cinerec.db", h_srv.dir);
	h_start(&h_srv, NULL);
}

static void
kill_all(void)
{
	pid_t	kids[16];
	int	n;

	n = h_children(h_srv.pid, kids, 16);
	kill(h_srv.pid, SIGKILL);
	(void)h_stop(&h_srv);
	cr_assert_eq(wait_gone(kids, n), 0, "workers outlived the parent");
}

/* After the restart: a current model that loads, and lists from it. */
static void
check_model_serves(void)
{
	struct h_reply	r;
	int		i;

	for (i = 0; i < 1800; i++) {
		h_http(h_srv.http_port, "GET", "/recommend/5?format=json", NULL,
		    NULL, 0, &r);
		if (r.status == 200 && strstr(r.body, "\"version\":") != NULL)
			break;
		usleep(100000);
	}
	cr_assert(strstr(r.body, "\"version\":") != NULL, "no model served: "
	    "%s", r.body);
	cr_assert_eq(h_qi(dbpath, "SELECT COUNT(*) FROM training_runs WHERE "
	    "status = 'running'"), 0, "a run still recorded as running");
	cr_assert_eq(temp_files(), 0, "temporary model files left");
}

Test(crash, sigkill_during_a_training)
{
	int	i;

	start_untrained();
	for (i = 0; i < 3000 && !log_has("trainer: training (start)"); i++)
		usleep(20000);
	cr_assert(log_has("trainer: training (start)"));
	usleep((useconds_t)(rand() % 400000));
	kill_all();
	h_start(&h_srv, NULL);
	check_sound_and_serving();
	check_model_serves();
	cr_assert_eq(h_qi(dbpath, "SELECT COUNT(*) FROM training_runs WHERE "
	    "status NOT IN ('done', 'interrupted')"), 0,
	    "every run either interrupted or done");
	cr_log_info("runs: %lld interrupted, %lld done",
	    (long long)h_qi(dbpath, "SELECT COUNT(*) FROM training_runs WHERE "
	    "status = 'interrupted'"), (long long)h_qi(dbpath, "SELECT COUNT(*) "
	    "FROM training_runs WHERE status = 'done'"));
	cr_assert_eq(h_stop(&h_srv), 0);
}

Test(crash, sigkill_during_a_model_switch)
{
	int	i;

	start_untrained();
	/* Seconds here, minutes under the sanitizers. */
	for (i = 0; i < 18000 && !log_has("ready:"); i++)
		usleep(10000);
	cr_assert(log_has("ready:"), "no model within 180 s");
	/* The workers switch within a second of the model's row. */
	usleep((useconds_t)(rand() % 800000));
	kill_all();
	h_start(&h_srv, NULL);
	check_sound_and_serving();
	check_model_serves();
	cr_assert_eq(h_qi(dbpath, "SELECT COUNT(*) FROM models WHERE current "
	    "= 1"), 1);
	cr_assert_eq(h_stop(&h_srv), 0);
}
