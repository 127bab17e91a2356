/*
 * Table-driven options (see opts.h).
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opts.h"
#include "ingest/parse.h"
#include "settings/config.h"

/* Parse s into o's destination; 0, or -1 with the reason in err. */
static int
value(const struct opt *o, const char *s, char *err, size_t errsz)
{
	char			*end, key[64];
	unsigned long long	 u;
	long long		 l;
	double			 d;
	size_t			 i;

	errno = 0;
	switch (o->type) {
	case OPT_STR:
		*(const char **)o->dst = s;
		return (0);
	case OPT_INT:
		l = strtoll(s, &end, 10);
		if (errno != 0 || *end != '\0' || end == s || l < o->min ||
		    l > o->max)
			break;
		*(int *)o->dst = (int)l;
		return (0);
	case OPT_U32:
	case OPT_U64:
		/* No sign, no blanks: strtoull would take both. */
		if (!isdigit((unsigned char)*s))
			break;
		u = strtoull(s, &end, 10);
		if (errno != 0 || *end != '\0')
			break;
		if (o->type == OPT_U64) {
			*(uint64_t *)o->dst = u;
			return (0);
		}
		if (u > UINT32_MAX || (long long)u < o->min ||
		    (o->max > 0 && (long long)u > o->max))
			break;
		*(uint32_t *)o->dst = (uint32_t)u;
		return (0);
	case OPT_FLOAT:
	case OPT_DOUBLE:
		d = strtod(s, &end);
		if (errno != 0 || *end != '\0' || end == s || !isfinite(d) ||
		    (o->type == OPT_FLOAT && fabs(d) > FLT_MAX))
			break;
		if (o->type == OPT_FLOAT)
			*(float *)o->dst = (float)d;
		else
			*(double *)o->dst = d;
		return (0);
	case OPT_TIME:
		if (parse_time(s, strlen(s), (int64_t *)o->dst) == -1)
			break;
		return (0);
	case OPT_SETTING:
		for (i = 0; o->name[i] != '\0' && i + 1 < sizeof(key); i++)
			key[i] = o->name[i] == '-' ? '_' : o->name[i];
		key[i] = '\0';
		return (cfg_set(o->dst, key, s, err, errsz));
	case OPT_CONFIG:
		if (cfg_load_file(o->dst, s) == -1) {
			snprintf(err, errsz, "cannot use %s (see above)", s);
			return (-1);
		}
		return (0);
	}
	if (o->type == OPT_INT || (o->type == OPT_U32 && o->max > 0))
		snprintf(err, errsz, "--%s takes a number in %ld..%ld, not '%s'",
		    o->name, o->min, o->max, s);
	else
		snprintf(err, errsz, "bad value '%s' for --%s", s, o->name);
	return (-1);
}

/* Is this pass the option's?  OPT_CONFIG comes first of all (pass 0). */
static int
in_pass(const struct opt *o, int pass)
{
	if (o->type == OPT_CONFIG)
		return (pass == 0);
	if (pass == 0)
		return (0);
	return ((o->flags & OPT_EARLY) ? pass == OPTS_PASS_EARLY :
	    pass == OPTS_PASS_REST);
}

static int
one_pass(int argc, char **argv, const struct opt *o, size_t n, int pass,
    char **ops, int maxops, int *nops)
{
	const char	*arg, *eq, *val;
	char		 err[256];
	size_t		 i, len;
	int		 a, only_ops = 0;

	for (a = 1; a < argc; a++) {
		arg = argv[a];
		if (only_ops || strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			if (!only_ops && strcmp(arg, "--") == 0) {
				only_ops = 1;
				continue;
			}
			if (pass != OPTS_PASS_REST)
				continue;
			if (*nops == maxops) {
				fprintf(stderr, "%s: unexpected '%s'\n",
				    argv[0], arg);
				return (-1);
			}
			ops[(*nops)++] = argv[a];
			continue;
		}
		arg += 2;
		eq = strchr(arg, '=');
		len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		for (i = 0; i < n; i++)
			if (strlen(o[i].name) == len &&
			    strncmp(o[i].name, arg, len) == 0)
				break;
		if (i == n) {
			fprintf(stderr, "%s: unknown option '%s' (see --help)\n",
			    argv[0], argv[a]);
			return (-1);
		}
		if (o[i].type == OPT_FLAG) {
			if (eq != NULL) {
				fprintf(stderr, "%s: --%s takes no value\n",
				    argv[0], o[i].name);
				return (-1);
			}
			if (in_pass(&o[i], pass))
				*(int *)o[i].dst = 1;
			continue;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (a + 1 < argc)
			val = argv[++a];
		else {
			fprintf(stderr, "%s: --%s needs a value\n", argv[0],
			    o[i].name);
			return (-1);
		}
		if (in_pass(&o[i], pass) &&
		    value(&o[i], val, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s: %s\n", argv[0], err);
			return (-1);
		}
	}
	return (0);
}

int
opts_parse(int argc, char **argv, const struct opt *o, size_t n, int passes,
    char **ops, int maxops, int *nops)
{
	int	a, pass;

	for (a = 1; a < argc && strcmp(argv[a], "--") != 0; a++)
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0)
			return (OPTS_HELP);
	*nops = 0;
	/* Pass 0, the configuration files, goes with the early pass. */
	for (pass = 0; pass <= OPTS_PASS_REST; pass++) {
		if (!(passes & (pass == 0 ? OPTS_PASS_EARLY : pass)))
			continue;
		if (one_pass(argc, argv, o, n, pass, ops, maxops, nops) == -1)
			return (-1);
	}
	return (0);
}

void
opts_usage(FILE *fp, const struct opts_cmd *c, const struct opt *o, size_t n)
{
	char	left[64];
	size_t	i;

	fprintf(fp, "usage: %s%s%s%s\n", c->name, n > 0 ? " [options]" : "",
	    c->operands ? " " : "", c->operands ? c->operands : "");
	if (c->about != NULL)
		fprintf(fp, "%s\n", c->about);
	/* Even without options of its own, a command takes --help. */
	fprintf(fp, "\noptions:\n");
	for (i = 0; i < n; i++) {
		snprintf(left, sizeof(left), "--%s%s%s", o[i].name,
		    o[i].arg ? " " : "", o[i].arg ? o[i].arg : "");
		fprintf(fp, "  %-24s %s\n", left, o[i].help);
	}
	fprintf(fp, "  %-24s %s\n", "--help", "show this help");
}

int
opts_done(int rc, const struct opts_cmd *c, const struct opt *o, size_t n)
{
	if (rc == OPTS_HELP) {
		opts_usage(stdout, c, o, n);
		return (0);
	}
	if (rc == -1) {
		opts_usage(stderr, c, o, n);
		return (2);
	}
	return (-1);
}
