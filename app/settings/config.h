/*
 * Runtime settings: defaults, the `key = value` configuration file, and the
 * command-line flags that override it.  One table (config.c) lists every
 * setting with its type and bounds.
 */
#ifndef CINEREC_CONFIG_H
#define CINEREC_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/signals.h"

#define CFG_HOST_MAX	64

/* Every setting; filled by cfg_defaults, then the file, then flags. */
struct cfg {
	char		data_dir[PATH_MAX];	/* database and sockets live here */
	char		http_host[CFG_HOST_MAX];	/* HTTP API listener */
	uint16_t	http_port;
	char		ingest_host[CFG_HOST_MAX];	/* TCP ingest listener */
	uint16_t	ingest_port;
	int		workers;		/* Kore worker processes */
	int		pop_window_days;	/* "recent" for popularity */
	int		events_body_max_kb;	/* POST /events body limit */
	int		batch_events;		/* events per write transaction */
	int		batch_ms;		/* longest wait before a commit */
	int		train_interval_min;	/* 0: no scheduled training */
	int		train_threads;		/* threads of a training */
	int		train_at_start;		/* a first model at start (0/1) */
	int		train_tune;		/* recency chosen on validation (0/1) */
	double		pop_bias;		/* trainings' popularity-bias control */
	int		list_series_max;	/* a series' movies in a list, 0: any */
	int		train_after_events;	/* 0, or train after this many new */
	double		gate_tolerance;		/* relative Recall@20 loss allowed */
	double		gate_min_coverage;	/* of the current's coverage */
	int		models_keep;		/* newest versions' files kept */
	int		fresh_lists;		/* lists made as events commit */
	char		admin_host[CFG_HOST_MAX];	/* admin web UI listener */
	uint16_t	admin_port;
	char		admin_cert[PATH_MAX];	/* TLS certificate, "" = plain HTTP */
	char		admin_key[PATH_MAX];	/* TLS private key */
	char		ingest_token[128];	/* "" = no AUTH required */
	char		kafka_brokers[1024];	/* "" = no Kafka input */
	char		kafka_topic[256];	/* its topic */
	char		kafka_group[256];	/* its consumer group */
	char		kafka_partitions[1024];	/* "": the group's */
	char		kafka_served_topic[256];	/* "": none */
	char		publish_dir[PATH_MAX];	/* "": publish nothing */
	char		follow_dir[PATH_MAX];	/* "": not a replica */
	int		click_window_s;		/* a start within this follows a list */
	int		click_skew_ms;		/* ... or this much before it */
	int		rating_max;		/* ratings are 1..rating_max */
	int		reco_log;		/* log every served list (0/1) */
	int		reco_log_days;		/* raw reco_log rows kept, days */
	int		reco_rollup_s;		/* reco_log roll-up period */
	int		ingest_max_conns;	/* TCP senders at once */
	int		ingest_auth_timeout_s;	/* for AUTH, when a token is set */
	int		events_inflight_mb;	/* request bodies in memory */
	struct signal_params sig;		/* interaction -> confidence */
};

void	cfg_defaults(struct cfg *c);

/*
 * Set one setting by name from its text value.  Returns 0, or -1 with a
 * reason in err (errlen bytes) on an unknown key or an invalid value; the
 * setting is then unchanged.
 */
int	cfg_set(struct cfg *c, const char *key, const char *value,
	    char *err, size_t errlen);

/*
 * Read a configuration file of `key = value` lines ('#' starts a comment).
 * Returns 0, or -1 after printing "FILE:LINE: reason" to stderr.
 */
int	cfg_load_file(struct cfg *c, const char *path);

/* The same from an open stream; name is used in the messages. */
int	cfg_load_fp(struct cfg *c, FILE *fp, const char *name);

/*
 * Split "HOST:PORT" or "[V6]:PORT" into host and port.  A host is a name
 * or IPv4 address ([A-Za-z0-9.-]), an IPv6 address only in brackets.
 * Returns 0 or -1.
 */
int	cfg_parse_addr(const char *s, char *host, size_t hostsz,
	    uint16_t *port);

/*
 * Is host a loopback address (127.0.0.0/8, ::1, localhost)?  What listens
 * there is reachable from this machine only.
 */
int	cfg_is_loopback(const char *host);

/*
 * Write every setting with its value and meaning, as a config file would;
 * with commented set, the settings themselves are commented out too.
 */
void	cfg_dump(const struct cfg *c, FILE *fp, int commented);

#endif
