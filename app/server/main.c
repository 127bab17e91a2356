/*
 * The process's entry points into Kore: kore_parent_configure dispatches the
 * command line (every command but `serve` runs and exits there), and for
 * `serve` prepares the database and Kore's listeners; the worker hooks open
 * each worker's read connection and start the ingest thread in worker 1.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "admin/admin.h"
#include "cli/cli.h"
#include "util/clock.h"
#include "ingest/ingest.h"
#include "reco/lists.h"
#include "store/lock.h"
#include "util/log.h"
#include "telemetry/metrics.h"
#include "server/server.h"
#include "settings/overrides.h"
#include "store/store.h"
#include "model/train.h"
#include "model/trainer.h"
#include "version.h"

struct server	srv;
static char	serving_who[32];	/* "worker N", for the log */
/* srv.ingest for the trainer's thread (replica_movie_ids) vs the stop. */
static pthread_mutex_t	ingest_ask_lock = PTHREAD_MUTEX_INITIALIZER;

#define RANKING_TICKS	5	/* seconds between ranking refreshes */

void	kore_parent_configure(int, char **);
void	kore_worker_configure(void);
void	kore_worker_teardown(void);

static void	refresh_tick(void *, u_int64_t);
static void	reclog_tick(void *, u_int64_t);
static void	model_refresh(void);
static void	train_requested(void *);
static void	apply_settings(void);

/* Fail early, with a clear message, when a listener's address is taken. */
static int
probe_bind(const char *what, const char *host, uint16_t port)
{
	struct addrinfo	 hints, *res;
	char		 service[8];
	int		 fd, rc, on = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", port);
	if ((rc = getaddrinfo(host, service, &hints, &res)) != 0) {
		fprintf(stderr, "cinerec: %s address %s: %s (use a numeric "
		    "address)\n", what, host, gai_strerror(rc));
		return (-1);
	}
	rc = -1;
	if ((fd = socket(res->ai_family, SOCK_STREAM, 0)) != -1) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, res->ai_addr, res->ai_addrlen) == 0)
			rc = 0;
		else
			fprintf(stderr, "cinerec: cannot listen for %s on "
			    "%s:%u: %s\n", what, host, port, strerror(errno));
		close(fd);
	}
	freeaddrinfo(res);
	return (rc);
}

/* Kore's listener and limits from our settings, parsed before the builtin. */
static void
kore_settings(void)
{
	FILE	*fp;
	char	 conf[2 * PATH_MAX];
	int	 n;

	n = snprintf(conf, sizeof(conf),
	    "server api {\n"
	    "bind %s %u\n"
	    "tls no\n"
	    "}\n"
	    "workers %d\n"
	    "pidfile %s/cinerec.pid\n"
	    "http_body_max %lu\n"
	    "%s",
	    srv.cfg.http_host, srv.cfg.http_port, srv.cfg.workers,
	    srv.cfg.data_dir,
	    (unsigned long)srv.cfg.events_body_max_kb * 1024,
	    /* Debugging the sandbox: log each denied system call. */
	    getenv("CINEREC_SECCOMP_TRACE") ? "seccomp_tracing yes\n" : "");
	if (n < 0 || (size_t)n >= sizeof(conf) ||
	    (fp = fmemopen(conf, (size_t)n, "r")) == NULL)
		fatal("cannot build the Kore configuration");
	kore_parse_config_file(fp);
	fclose(fp);
}

void
kore_parent_configure(int argc, char **argv)
{
	struct store	st;
	char		models[PATH_MAX + 16];
	int		rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	store_init();
	/* The database, the models, backups: the service's alone. */
	umask(077);
	if ((rc = cli_main(argc, argv, &srv.cfg)) != CLI_SERVE) {
		fflush(stdout);
		exit(rc);
	}

	/* One writer per data dir; the workers inherit the lock. */
	srv.parent_pid = getpid();
	if ((srv.lock_fd = lock_take(srv.cfg.data_dir, "serve")) == -1)
		exit(1);
	/* Migrate once, here, before any worker opens the database. */
	if (store_open(&st, srv.cfg.data_dir, STORE_CREATE) == -1 ||
	    store_check_writable(&st) == -1)
		exit(1);
	store_close(&st);
	/* Settings saved in the admin dashboard override the file's. */
	(void)overrides_apply(&srv.overrides, &srv.cfg, NULL);
	/* A training the last run of the server left half done. */
	train_recover(srv.cfg.data_dir);
	/* The workers' sandbox has no mkdir: the models directory now. */
	snprintf(models, sizeof(models), "%s/%s", srv.cfg.data_dir, TRAIN_DIR);
	if (mkdir(models, 0750) == -1 && errno != EEXIST) {
		fprintf(stderr, "cinerec: %s: %s\n", models, strerror(errno));
		exit(1);
	}
	if (srv.cfg.ingest_token[0] == '\0' &&
	    !cfg_is_loopback(srv.cfg.ingest_host)) {
		fprintf(stderr, "cinerec: ingest listens on %s, beyond "
		    "loopback: set ingest_token so senders must authenticate\n",
		    srv.cfg.ingest_host);
		exit(1);
	}
	if (probe_bind("HTTP", srv.cfg.http_host, srv.cfg.http_port) == -1 ||
	    probe_bind("ingest", srv.cfg.ingest_host,
	    srv.cfg.ingest_port) == -1 ||
	    probe_bind("admin", srv.cfg.admin_host, srv.cfg.admin_port) == -1)
		exit(1);
	if ((size_t)snprintf(srv.events_path, sizeof(srv.events_path),
	    "%s/%s", srv.cfg.data_dir, SERVER_EVENTS_SOCK) >=
	    sizeof(srv.events_path) || (size_t)snprintf(srv.control_path,
	    sizeof(srv.control_path), "%s/%s", srv.cfg.data_dir,
	    SERVER_CONTROL_SOCK) >= sizeof(srv.control_path)) {
		fprintf(stderr, "cinerec: data dir path too long for its "
		    "sockets: %s\n", srv.cfg.data_dir);
		exit(1);
	}
	srv.started_ms = clock_now_ms();
	if (metrics_init() == -1)
		exit(1);
	/* Before the workers fork: the table they all share. */
	if (srv.cfg.fresh_lists && fresh_init() == 0)
		log_info("fresh lists: on (%d slots)", FRESH_SLOTS);

	/* systemd (or the terminal) supervises: no daemon, chroot, setuid. */
	kore_foreground = 1;
	skip_chroot = 1;
	skip_runas = 1;
	kore_settings();
	admin_parent_configure(&srv.cfg);

	log_info("cinerec %s serving", CINEREC_VERSION);
	log_info("  http://%s:%u/recommend/<userid>", srv.cfg.http_host,
	    srv.cfg.http_port);
	log_info("  http://%s:%u/health", srv.cfg.http_host,
	    srv.cfg.http_port);
	log_info("  http://%s:%u/events (POST log lines)", srv.cfg.http_host,
	    srv.cfg.http_port);
	log_info("  tcp %s:%u (ingest: newline-delimited log lines)",
	    srv.cfg.ingest_host, srv.cfg.ingest_port);
	log_info("  data in %s", srv.cfg.data_dir);
}

/* A replica's movie ids by spelling, from worker 1's writer. */
static int
replica_movie_ids(void *arg, char *const *slugs, size_t n, int32_t *ids)
{
	int	rc = -1;

	(void)arg;
	pthread_mutex_lock(&ingest_ask_lock);
	if (srv.ingest != NULL)
		rc = ingest_movie_ids(srv.ingest, slugs, n, ids);
	pthread_mutex_unlock(&ingest_ask_lock);
	return (rc);
}

void
kore_worker_configure(void)
{
	struct ingest_opts	o;
	struct trainer_opts	to;
	struct admin_ctx	admin;
	struct ingest		*ing;
	char			host[72], node[96];

	/*
	 * Die with the parent: the other workers hold its end of our
	 * message socket, so Kore itself would never notice it is gone.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
	    getppid() != srv.parent_pid) {
		log_warnx("worker %u: the parent is gone", worker->id);
		_exit(1);
	}

	if (store_open(&srv.store, srv.cfg.data_dir, STORE_RDONLY) == -1) {
		log_warnx("worker %u: cannot open the database", worker->id);
		kore_shutdown();
		return;
	}
	metrics_bind(worker->id);
	http_body_admit = api_body_admit;
	admin.cfg = &srv.cfg;
	admin.overrides = &srv.overrides;
	admin.started_ms = srv.started_ms;
	admin.control_path = srv.control_path;
	admin.store = &srv.store;
	admin.recommend = api_recommend_for;
	admin.apply_settings = apply_settings;
	admin_worker_configure(&admin);
	reclog_init(&srv.reclog, srv.control_path);
	srv.sp = srv.cfg.sig;
	srv.reco.rules = srv.trending.rules = &srv.rules;
	srv.reco.series_max = srv.trending.series_max =
	    srv.cfg.list_series_max;
	(void)reco_refresh(&srv.reco, &srv.store, srv.cfg.pop_window_days, 1);
	(void)rules_refresh(&srv.rules, srv.store.db);
	snprintf(serving_who, sizeof(serving_who), "worker %u", worker->id);
	srv.serving.who = serving_who;
	model_refresh();
	kore_timer_add(refresh_tick, 1000, NULL, 0);
	kore_timer_add(reclog_tick, RECLOG_TICK_MS, NULL, 0);

	if (worker->id != 1)
		return;
	memset(&o, 0, sizeof(o));
	o.data_dir = srv.cfg.data_dir;
	o.host = srv.cfg.ingest_host;
	o.port = srv.cfg.ingest_port;
	o.events_path = srv.events_path;
	o.control_path = srv.control_path;
	o.max_conns = srv.cfg.ingest_max_conns;
	o.auth_timeout_ms = (int64_t)srv.cfg.ingest_auth_timeout_s * 1000;
	o.batch_events = srv.cfg.batch_events;
	o.batch_ms = srv.cfg.batch_ms;
	o.train = train_requested;
	o.click_window_ms = (int64_t)srv.cfg.click_window_s * 1000;
	o.click_skew_ms = srv.cfg.click_skew_ms;
	o.rating_max = srv.cfg.rating_max;
	o.reco_log_days = srv.cfg.reco_log_days;
	o.reco_rollup_s = srv.cfg.reco_rollup_s;
	o.token = srv.cfg.ingest_token;
	o.kafka_brokers = srv.cfg.kafka_brokers;
	o.kafka_topic = srv.cfg.kafka_topic;
	o.kafka_group = srv.cfg.kafka_group;
	o.kafka_partitions = srv.cfg.kafka_partitions;
	o.kafka_served_topic = srv.cfg.kafka_served_topic;
	o.kafka_replica = srv.cfg.follow_dir[0] != '\0';
	if (gethostname(host, sizeof(host)) == -1)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(node, sizeof(node), "%.64s:%u", host,
	    (unsigned)srv.cfg.http_port);
	o.kafka_node = node;
	memset(&to, 0, sizeof(to));
	to.data_dir = srv.cfg.data_dir;
	to.interval_min = srv.cfg.train_interval_min;
	to.after_events = srv.cfg.train_after_events;
	to.threads = srv.cfg.train_threads;
	to.at_start = srv.cfg.train_at_start;
	to.tune = srv.cfg.train_tune;
	to.pop_bias = srv.cfg.pop_bias;
	to.sp = srv.cfg.sig;
	to.gate.tolerance = srv.cfg.gate_tolerance;
	to.gate.min_coverage = srv.cfg.gate_min_coverage;
	to.gate.keep = srv.cfg.models_keep;
	to.publish_dir = srv.cfg.publish_dir;
	to.follow_dir = srv.cfg.follow_dir;
	to.movie_ids = replica_movie_ids;
	if ((srv.trainer = trainer_start(&to)) == NULL)
		log_warnx("worker 1: no training inside the server");
	o.train_arg = srv.trainer;
	/* The writer makes the lists of the users its commits change. */
	if (fresh_enabled() && (srv.fresh = fresh_maker_open(srv.cfg.data_dir,
	    &srv.cfg.sig)) != NULL) {
		o.commit_hook = fresh_commit_hook;
		o.commit_hook_arg = srv.fresh;
	} else if (fresh_enabled()) {
		/* Invalidation still: no slot may outlive a commit. */
		o.commit_hook = fresh_commit_hook;
		o.commit_hook_arg = NULL;
	}
	ing = ingest_start(&o);
	/* The trainer's thread may ask it already (replica_movie_ids). */
	pthread_mutex_lock(&ingest_ask_lock);
	srv.ingest = ing;
	pthread_mutex_unlock(&ingest_ask_lock);
	if (ing == NULL) {
		log_warnx("worker %u: ingest did not start: shutting down",
		    worker->id);
		kore_shutdown();
	}
}

void
kore_worker_teardown(void)
{
	struct ingest	*ing;

	/* A replica's question to the writer in flight is answered first. */
	pthread_mutex_lock(&ingest_ask_lock);
	ing = srv.ingest;
	srv.ingest = NULL;
	pthread_mutex_unlock(&ingest_ask_lock);
	if (ing != NULL)
		ingest_stop(ing);
	fresh_maker_close(srv.fresh);
	srv.fresh = NULL;
	if (srv.trainer != NULL) {
		trainer_stop(srv.trainer);
		srv.trainer = NULL;
	}
	admin_worker_teardown();
	reclog_close(&srv.reclog);
	reco_free(&srv.reco);
	reco_free(&srv.trending);
	serving_free(&srv.serving);
	store_close(&srv.store);
}

/*
 * The settings saved from the dashboard, over this worker's: the ranking
 * follows its window at once, the ingest thread (worker 1) its token and
 * click window.
 */
static void
apply_settings(void)
{
	int	changed;

	/* A fresh snapshot: a setting saved a moment ago is in it. */
	(void)store_snapshot(&srv.store);
	changed = overrides_apply(&srv.overrides, &srv.cfg, srv.store.db);
	store_release(&srv.store);
	if (changed & OVERRIDE_RANKING)
		(void)reco_refresh(&srv.reco, &srv.store,
		    srv.cfg.pop_window_days, 1);
	if ((changed & OVERRIDE_INGEST) && srv.ingest != NULL) {
		ingest_set_token(srv.ingest, srv.cfg.ingest_token);
		ingest_set_click_window(srv.ingest,
		    (int64_t)srv.cfg.click_window_s * 1000);
	}
}

/* `TRAIN` arrived on the control socket (ingest thread). */
static void
train_requested(void *arg)
{
	if (arg != NULL)
		trainer_request(arg, "admin");
}

/*
 * Switch to the current model, and to the running experiment's arms, when
 * they changed (reco/serving.h).  Between two requests (a worker serves one
 * at a time), so no request ever sees half a model.
 */
static void
model_refresh(void)
{
	serving_refresh(&srv.serving, &srv.store, srv.cfg.data_dir);
}

/* Send the recommendation log lines gathered since the last tick. */
static void
reclog_tick(void *arg, u_int64_t now)
{
	(void)arg;
	(void)now;
	if (srv.reclog.len > 0)
		reclog_flush(&srv.reclog);
	if (srv.reclog.lost > 0) {
		metrics_recommend_lost(srv.reclog.lost);
		srv.reclog.lost = 0;
	}
}

/*
 * Every second: reload the ranking if the database changed, switch models
 * if a new one is current, and apply changed settings.
 */
static void
refresh_tick(void *arg, u_int64_t now)
{
	static unsigned	ticks;

	(void)arg;
	(void)now;
	/* The parent-death signal's backstop. */
	if (getppid() != srv.parent_pid) {
		log_warnx("worker %u: the parent is gone", worker->id);
		_exit(1);
	}
	/*
	 * The ranking spans days: every RANKING_TICKS seconds is fresh
	 * enough, and rebuilding it (tens of ms at 27,000 movies) stalls
	 * this worker's requests, so not every second the data changes.
	 */
	if (++ticks % RANKING_TICKS == 0) {
		(void)reco_refresh(&srv.reco, &srv.store,
		    srv.cfg.pop_window_days, 0);
		if (srv.trending_used)
			(void)reco_refresh(&srv.trending, &srv.store,
			    SERVER_TRENDING_DAYS, 0);
	}
	model_refresh();
	/* A withdrawn movie leaves every list within this second. */
	(void)rules_refresh(&srv.rules, srv.store.db);
	apply_settings();
	reclog_flush(&srv.reclog);
	metrics_sample_memory();
}
