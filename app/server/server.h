/*
 * The serving process's state, one struct per process: the settings, and in
 * each Kore worker its read connection, its cached ranking and (worker 1
 * only) the ingest thread.  Defined in main.c.
 */
#ifndef CINEREC_SERVER_H
#define CINEREC_SERVER_H

#include <limits.h>
#include <stdint.h>

#include "settings/config.h"
#include "model/model.h"
#include "reco/reco.h"
#include "reco/fresh.h"
#include "reco/serving.h"
#include "telemetry/reclog.h"
#include "model/signals.h"
#include "settings/overrides.h"
#include "store/store.h"

#include <sys/types.h>

/* The ingest's Unix sockets, in the data dir (see ingest.h). */
#define SERVER_EVENTS_SOCK	"events.sock"	/* POST /events bodies */
#define SERVER_CONTROL_SOCK	"control.sock"	/* served lists, TRAIN */
#define SERVER_SOCK_MAX		108		/* sun_path */

#define SERVER_TRENDING_DAYS	2	/* GET /trending: today and yesterday */

struct ingest;
struct trainer;

struct server {
	struct cfg	 cfg;		/* settings after file and flags */
	int64_t		 started_ms;	/* wall clock at start */
	pid_t		 parent_pid;	/* Kore's parent process */
	int		 lock_fd;	/* holds the data dir (lock.h) */
	char		 events_path[SERVER_SOCK_MAX];	/* ingest: bodies */
	char		 control_path[SERVER_SOCK_MAX];	/* ingest: workers */
	struct store	 store;		/* this worker's read connection */
	struct reco	 reco;		/* this worker's ranking cache */
	struct reco	 trending;	/* the same over SERVER_TRENDING_DAYS */
	struct rules	 rules;		/* movies no list holds (both above) */
	int		 trending_used;	/* asked for: kept fresh from then on */
	struct serving	 serving;	/* the current model, experiment arms */
	struct fresh_maker *fresh;	/* worker 1: fresh lists (fresh.h) */
	struct signal_params sp;	/* history -> model values, as trained */
	struct reclog	 reclog;	/* served lists -> the writer */
	struct ingest	*ingest;	/* worker 1: the ingest thread */
	struct trainer	*trainer;	/* worker 1: the training thread */
	struct overrides overrides;	/* the dashboard's settings applied */
};

extern struct server	srv;

struct http_request;

/*
 * Kore's http_body_admit hook (api.c): may a request body of
 * req->content_length bytes be held in memory now?  1 or 0 (503).
 */
int	api_body_admit(struct http_request *req);

/*
 * The list GET /recommend gives user now (nothing logged) into out, with
 * its model's version and algorithm (*algo NULL: no model).  0 or -1.
 */
int	api_recommend_for(int64_t user, struct reco_list *out, int64_t *model,
	    const char **algo);

#endif
