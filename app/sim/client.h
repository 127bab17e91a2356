/*
 * The simulator's two connections to a running cinerec: HTTP/1.1 with
 * keep-alive for GET /recommend, and the TCP ingest for its log lines
 * (AUTH when a token is given, SYNC to know they are committed).  Plain
 * blocking sockets: one simulator, one client of each.
 */
#ifndef CINEREC_SIM_CLIENT_H
#define CINEREC_SIM_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/parse.h"

/* What was read from a connection and not yet taken. */
struct sim_rbuf {
	char		 buf[4096];
	size_t		 off, len;
};

struct sim_client {
	char		 http_host[256];
	int		 http_port;
	int		 http_fd;	/* -1: not connected */
	int		 ingest_fd;
	struct sim_rbuf	 http_in, ingest_in;
	char		 out[1 << 16];	/* ingest lines not yet written */
	size_t		 outlen;
	int64_t		 requests, failed;	/* /recommend */
};

/*
 * Connect the ingest at ingest (HOST:PORT; AUTH token when not NULL or
 * empty) and remember http for the lists.  0, or -1 (message on stderr).
 */
int	sim_client_open(struct sim_client *c, const char *http,
	    const char *ingest, const char *token);
void	sim_client_close(struct sim_client *c);

/*
 * GET /recommend/<user>: the ids of its answer into ids (at most max),
 * as spelled.  Their count, or -1 (no answer; counted as failed).
 */
int	sim_client_recommend(struct sim_client *c, int64_t user,
	    char ids[][PARSE_SPELLING_MAX + 1], int max);

/* GET path: its body into body (sz bytes); the status, or -1. */
int	sim_client_get(struct sim_client *c, const char *path, char *body,
	    size_t sz);

/*
 * What cinerec itself measured (GET /ctr, today and yesterday): the lists
 * it served and how many were followed.  0, or -1.
 */
int	sim_client_ctr(struct sim_client *c, int64_t *lists,
	    int64_t *followed);

/* Queue one log line for the ingest.  0 or -1 (the connection failed). */
int	sim_client_line(struct sim_client *c, const char *line, size_t len);

/*
 * Write what is queued and SYNC: once it returns, every line is
 * committed.  The lines the connection accepted so far, or -1.
 */
long	sim_client_sync(struct sim_client *c);

#endif
