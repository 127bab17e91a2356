/*
 * `cinerec serve`: its settings from a configuration file and the flags
 * (flags win), checked here; the server itself starts in server/main.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "ingest/kafka.h"
#include "settings/config.h"

static const struct opts_cmd	serve_cmd = {
	"cinerec serve", NULL,
	"Serve the HTTP API, the TCP ingest and the admin dashboard in the\n"
	"foreground, logging to stderr; SIGTERM or SIGINT stop it after the\n"
	"senders' last lines are committed.  Any setting can be given in the\n"
	"configuration file (--print-config writes one with every default)."
};

static int
kafka_setting(const char *key, const char *why)
{
	if (why == NULL)
		return (0);
	fprintf(stderr, "cinerec serve: %s: %s\n", key, why);
	return (-1);
}

int
cmd_serve(int argc, char **argv, struct cfg *cfg)
{
	struct cfg	 defaults;
	int		 print = 0, rc, nops;
	char		*ops[1];

	if (cfg == NULL)
		cfg = &defaults;
	cfg_defaults(cfg);
	{
		const struct opt o[] = {
			{ "config", OPT_CONFIG, cfg, "FILE",
			    "settings, `key = value' lines (flags win)", 0, 0,
			    0 },
			{ "data-dir", OPT_SETTING, cfg, "DIR",
			    "the database and the internal sockets (./var)", 0,
			    0, 0 },
			{ "http", OPT_SETTING, cfg, "HOST:PORT",
			    "the HTTP API (127.0.0.1:8082)", 0, 0, 0 },
			{ "ingest", OPT_SETTING, cfg, "HOST:PORT",
			    "the TCP ingest (127.0.0.1:8099)", 0, 0, 0 },
			{ "admin", OPT_SETTING, cfg, "HOST:PORT",
			    "the admin dashboard (127.0.0.1:8083)", 0, 0, 0 },
			{ "kafka-brokers", OPT_SETTING, cfg, "HOST:PORT,...",
			    "also consume log lines from Kafka (none)", 0, 0,
			    0 },
			{ "kafka-topic", OPT_SETTING, cfg, "TOPIC",
			    "... from this topic (needed with --kafka-brokers)",
			    0, 0, 0 },
			{ "kafka-group", OPT_SETTING, cfg, "GROUP",
			    "... as a member of this consumer group (cinerec)",
			    0, 0, 0 },
			{ "kafka-partitions", OPT_SETTING, cfg, "LIST",
			    "... only these partitions, e.g. 0,2-3 (a serving "
			    "replica's users; no group)", 0, 0, 0 },
			{ "kafka-served-topic", OPT_SETTING, cfg, "TOPIC",
			    "served lists: a replica sends its own there, the "
			    "trainer reads them (none)", 0, 0, 0 },
			{ "publish-dir", OPT_SETTING, cfg, "DIR",
			    "publish each current model there for serving "
			    "replicas (none)", 0, 0, 0 },
			{ "follow-dir", OPT_SETTING, cfg, "DIR",
			    "be a serving replica: serve the models published "
			    "there, train none (no)", 0, 0, 0 },
			{ "print-config", OPT_FLAG, &print, NULL,
			    "print a configuration file with every default, "
			    "and exit", 0, 0, 0 },
		};

		rc = opts_parse(argc, argv, o, NELEM(o), OPTS_PASS_ALL, ops, 0,
		    &nops);
		if (rc == OPTS_HELP) {
			opts_usage(stdout, &serve_cmd, o, NELEM(o));
			printf("\nsettings (configuration file syntax, with "
			    "their defaults):\n\n");
			cfg_defaults(&defaults);
			cfg_dump(&defaults, stdout, 0);
			return (0);
		}
		if ((rc = opts_done(rc, &serve_cmd, o, NELEM(o))) != -1)
			return (rc);
	}
	if (cfg->kafka_brokers[0] != '\0' && (kafka_setting("kafka_brokers",
	    kafka_check_brokers(cfg->kafka_brokers)) == -1 ||
	    kafka_setting("kafka_topic", kafka_check_name(cfg->kafka_topic)) ==
	    -1 || kafka_setting("kafka_group",
	    kafka_check_name(cfg->kafka_group)) == -1 ||
	    (cfg->kafka_partitions[0] != '\0' && kafka_setting(
	    "kafka_partitions", kafka_check_partitions(cfg->kafka_partitions))
	    == -1) || (cfg->kafka_served_topic[0] != '\0' && kafka_setting(
	    "kafka_served_topic", kafka_check_name(cfg->kafka_served_topic))
	    == -1)))
		return (2);
	if (cfg->kafka_brokers[0] == '\0' && (cfg->kafka_partitions[0] !=
	    '\0' || cfg->kafka_served_topic[0] != '\0')) {
		fprintf(stderr, "cinerec serve: kafka_partitions and "
		    "kafka_served_topic need kafka_brokers\n");
		return (2);
	}
	if (cfg->follow_dir[0] != '\0' && cfg->publish_dir[0] != '\0') {
		fprintf(stderr, "cinerec serve: follow_dir and publish_dir: a "
		    "node follows a trainer or is one, not both\n");
		return (2);
	}
	/* In the trainer's group, a replica would take its partitions. */
	if (cfg->follow_dir[0] != '\0' && cfg->kafka_brokers[0] != '\0' &&
	    cfg->kafka_partitions[0] == '\0') {
		fprintf(stderr, "cinerec serve: a replica (follow_dir) reads "
		    "Kafka by kafka_partitions, its users' partitions, not as "
		    "a member of a group\n");
		return (2);
	}
	if (print) {
		/* A configuration file with every default, commented. */
		cfg_defaults(&defaults);
		cfg_dump(&defaults, stdout, 1);
		return (0);
	}
	return (CLI_SERVE);
}
