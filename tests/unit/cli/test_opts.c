/*
 * Unit tests for app/cli/opts.c: every option type ("--name value" and
 * "--name=value"), bounds and malformed values refused with one line
 * naming the option, flags, operands and "--", unknown options, a missing
 * value, --help (anywhere, checking nothing else), the two passes
 * (OPT_EARLY), OPT_CONFIG read before every OPT_SETTING whatever the
 * order, and the usage text of opts_usage and opts_done.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opts.h"
#include "settings/config.h"

TestSuite(opts, .init = h_scratch_setup, .fini = h_scratch_teardown,
    .timeout = 60);

/* ---- helpers ---------------------------------------------------------- */

/* What the last parse wrote to stderr, and its operands. */
static const char	*err = "";
static char		*ops[8];
static int		 nops;

/*
 * opts_parse of "prog" and the NULL-terminated words after passes, at
 * most maxops operands; stderr into err.
 */
static int
parse(const struct opt *o, size_t n, int passes, int maxops, ...)
{
	char		*argv[32];
	va_list		 ap;
	int		 argc = 0, rc;

	argv[argc++] = "prog";
	va_start(ap, maxops);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		cr_assert_lt(++argc, 31);
	va_end(ap);
	h_stderr_begin();
	nops = -1;
	rc = opts_parse(argc, argv, o, n, passes, ops, maxops, &nops);
	err = h_stderr_end();
	if (rc == 0)
		cr_assert_str_eq(err, "", "success with a message");
	return (rc);
}

#define P(o, ...)	parse((o), NELEM(o), OPTS_PASS_ALL, 8, __VA_ARGS__, \
			    (char *)NULL)

/* The parse failed with exactly the line want on stderr. */
static void
fails_with(int rc, const char *want)
{
	char	line[512];

	cr_assert_eq(rc, -1, "accepted; stderr: %s", err);
	snprintf(line, sizeof(line), "%s\n", want);
	cr_assert_str_eq(err, line);
}

static const char *
write_file(const char *name, const char *text)
{
	static char	path[256];

	snprintf(path, sizeof(path), "%s/%s", h_dir, name);
	h_write_file(path, text, strlen(text));
	return (path);
}

/* One of every plain type. */
static int		 flag, num;
static const char	*str;
static uint32_t		 u32, u32any;
static uint64_t		 u64;
static float		 f;
static double		 d;
static int64_t		 at;

static const struct opt	all[] = {
	{ "verbose", OPT_FLAG, &flag, NULL, "say more", 0, 0, 0 },
	{ "model", OPT_STR, &str, "als|pop", "the algorithm", 0, 0, 0 },
	{ "limit", OPT_INT, &num, "N", "lists at most", -5, 1000, 0 },
	{ "threads", OPT_U32, &u32, "N", "threads", 1, 64, 0 },
	{ "count", OPT_U32, &u32any, "N", "any count", 0, 0, 0 },
	{ "seed", OPT_U64, &u64, "N", "the seed", 0, 0, 0 },
	{ "reg", OPT_FLOAT, &f, "X", "regularisation", 0, 0, 0 },
	{ "half-life", OPT_DOUBLE, &d, "DAYS", "decay", 0, 0, 0 },
	{ "at", OPT_TIME, &at, "TIME", "when", 0, 0, 0 },
};

static void
reset_all(void)
{
	flag = num = 0;
	str = NULL;
	u32 = u32any = 0;
	u64 = 0;
	f = 0;
	d = 0;
	at = 0;
}

/* A refused option: one or two words, and the line it fails with. */
struct refusal {
	const char	*word, *value, *want;
};

/*
 * Each of n refusals fails parsing all[] with its line.  A NULL value
 * ends the words there, for "--name=value" or an option alone.
 */
static void
all_refuse(const struct refusal *r, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		fails_with(P(all, r[i].word, r[i].value), r[i].want);
}

/* Each of the n values of option name fails with the plain message. */
static void
bad_values(const char *name, const char *const *v, size_t n)
{
	char	want[128];
	size_t	i;

	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "prog: bad value '%s' for %s",
		    v[i], name);
		fails_with(P(all, name, v[i]), want);
	}
}

/* ---- values ----------------------------------------------------------- */

Test(opts, every_type_takes_its_value_in_both_forms)
{
	reset_all();
	cr_assert_eq(P(all, "--verbose", "--model", "pop", "--limit", "-5",
	    "--threads", "64", "--count", "4294967295", "--seed",
	    "18446744073709551615", "--reg", "0.5", "--half-life", "1e-3",
	    "--at", "2020-03-01T00:00:00"), 0);
	cr_assert_eq(flag, 1);
	cr_assert_str_eq(str, "pop");
	cr_assert_eq(num, -5);
	cr_assert_eq(u32, 64);
	cr_assert_eq(u32any, UINT32_MAX);
	cr_assert_eq(u64, UINT64_MAX);
	cr_assert_eq(f, 0.5f);
	cr_assert_eq(d, 1e-3);
	cr_assert_eq(at, 1583020800000LL);
	cr_assert_eq(nops, 0);

	reset_all();
	cr_assert_eq(P(all, "--model=als", "--limit=1000", "--threads=1",
	    "--count=0", "--seed=0", "--reg=-2.25", "--half-life=30",
	    "--at=2020-03-01T00:00:01.5Z", "--model=a=b"), 0);
	cr_assert_str_eq(str, "a=b", "the last one wins, split at the first "
	    "'='");
	cr_assert_eq(num, 1000);
	cr_assert_eq(u32, 1);
	cr_assert_eq(u32any, 0);
	cr_assert_eq(u64, 0);
	cr_assert_eq(f, -2.25f);
	cr_assert_eq(d, 30.0);
	cr_assert_eq(at, 1583020801500LL);
	cr_assert_eq(flag, 0, "a flag not given stays unset");
}

Test(opts, a_string_value_points_into_argv_and_may_be_empty)
{
	cr_assert_eq(P(all, "--model="), 0);
	cr_assert_str_eq(str, "");
	cr_assert_eq(P(all, "--model", "--verbose"), 0);
	cr_assert_str_eq(str, "--verbose", "the next word is the value");
}

Test(opts, int_out_of_bounds_is_refused_naming_the_range)
{
	static const struct refusal	r[] = {
		{ "--limit", "1001",
		    "prog: --limit takes a number in -5..1000, not '1001'" },
		{ "--limit=-6", NULL,
		    "prog: --limit takes a number in -5..1000, not '-6'" },
		{ "--limit", "99999999999999999999",
		    "prog: --limit takes a number in -5..1000, not "
		    "'99999999999999999999'" },
	};

	num = 7;
	all_refuse(r, NELEM(r));
	cr_assert_eq(num, 7, "a refused value is not stored");
}

Test(opts, int_that_is_not_a_number_is_refused)
{
	static const char *const bad[] = { "", "x", "5x", "5 ", "1.5", "0x10" };
	char	want[128];
	size_t	i;

	num = 7;
	for (i = 0; i < NELEM(bad); i++) {
		snprintf(want, sizeof(want), "prog: --limit takes a number in "
		    "-5..1000, not '%s'", bad[i]);
		fails_with(P(all, "--limit", bad[i]), want);
	}
	cr_assert_eq(num, 7);
}

Test(opts, u32_bounds_and_signs_are_refused)
{
	static const struct refusal	bounded[] = {
		{ "--threads", "0",
		    "prog: --threads takes a number in 1..64, not '0'" },
		{ "--threads", "65",
		    "prog: --threads takes a number in 1..64, not '65'" },
		{ "--threads", "-1",
		    "prog: --threads takes a number in 1..64, not '-1'" },
		{ "--threads", "4294967297",
		    "prog: --threads takes a number in 1..64, not "
		    "'4294967297'" },
		{ "--threads=", NULL,
		    "prog: --threads takes a number in 1..64, not ''" },
	};
	/* Without a maximum: any uint32_t, and a plain message past it. */
	static const char *const	any[] = { "4294967296", "-3", "3k" };

	u32 = 9;
	all_refuse(bounded, NELEM(bounded));
	cr_assert_eq(u32, 9);
	bad_values("--count", any, NELEM(any));
	cr_assert_eq(u32any, 0);
}

Test(opts, u64_past_its_range_or_negative_is_refused)
{
	static const char *const	bad[] = {
		"18446744073709551616", "-1", "", "12 ",
	};

	u64 = 5;
	bad_values("--seed", bad, NELEM(bad));
	cr_assert_eq(u64, 5);
}

Test(opts, float_and_double_must_be_finite_numbers)
{
	static const char *const bad[] = {
		"nan", "inf", "-inf", "1e400", "", "1.5x", "x",
	};

	f = 1.0f;
	d = 2.0;
	bad_values("--reg", bad, NELEM(bad));
	bad_values("--half-life", bad, NELEM(bad));
	cr_assert_eq(f, 1.0f);
	cr_assert_eq(d, 2.0);
}

/*
 * Regressions (opts.c), fixed: a float was checked as a double only
 * (1e39 became +inf), and strtoull's leading blanks let " -1" through as
 * 2^64 - 1.
 */
Test(opts, float_past_its_range_and_blank_signed_u64_are_refused)
{
	static const char *const	floats[] = { "1e39", "-3.5e38" };
	static const char *const	seeds[] = { " -1", " 5", "+5" };

	f = 1.0f;
	bad_values("--reg", floats, NELEM(floats));
	cr_assert_eq(f, 1.0f);
	cr_assert_eq(P(all, "--reg", "3.4e38"), 0, "FLT_MAX is finite");
	u64 = 7;
	bad_values("--seed", seeds, NELEM(seeds));
	cr_assert_eq(u64, 7);
}

Test(opts, time_takes_a_stream_timestamp_only)
{
	static const char *const	bad[] = {
		"yesterday", "2020-03-01", "2020-02-30T00:00:00",
	};

	at = 42;
	bad_values("--at", bad, NELEM(bad));
	cr_assert_eq(P(all, "--at", "2020-03-01 00:00:00"), 0);
	cr_assert_eq(at, 1583020800000LL);
}

/* ---- the words -------------------------------------------------------- */

Test(opts, operands_keep_their_order_and_double_dash_ends_options)
{
	reset_all();
	cr_assert_eq(P(all, "first", "--verbose", "-x", "-", "second", "--",
	    "--limit", "--help"), 0);
	cr_assert_eq(flag, 1);
	cr_assert_eq(num, 0, "--limit after -- is an operand");
	cr_assert_eq(nops, 6);
	cr_assert_str_eq(ops[0], "first");
	cr_assert_str_eq(ops[1], "-x");
	cr_assert_str_eq(ops[2], "-");
	cr_assert_str_eq(ops[3], "second");
	cr_assert_str_eq(ops[4], "--limit");
	cr_assert_str_eq(ops[5], "--help");
	/* A second "--" is an operand. */
	cr_assert_eq(P(all, "--", "--"), 0);
	cr_assert_eq(nops, 1);
	cr_assert_str_eq(ops[0], "--");
}

Test(opts, an_operand_beyond_the_maximum_is_unexpected)
{
	cr_assert_eq(parse(all, NELEM(all), OPTS_PASS_ALL, 2, "7", "8",
	    (char *)NULL), 0);
	cr_assert_eq(nops, 2);
	fails_with(parse(all, NELEM(all), OPTS_PASS_ALL, 2, "7", "8", "9",
	    (char *)NULL), "prog: unexpected '9'");
	fails_with(parse(all, NELEM(all), OPTS_PASS_ALL, 0, "--verbose",
	    "x", (char *)NULL), "prog: unexpected 'x'");
}

Test(opts, unknown_options_are_refused_by_their_whole_name)
{
	static const struct refusal	r[] = {
		{ "--bogus", NULL,
		    "prog: unknown option '--bogus' (see --help)" },
		{ "--thread", "2",
		    "prog: unknown option '--thread' (see --help)" },
		{ "--threadsx=2", NULL,
		    "prog: unknown option '--threadsx=2' (see --help)" },
		{ "--Verbose", NULL,
		    "prog: unknown option '--Verbose' (see --help)" },
		{ "--=1", NULL, "prog: unknown option '--=1' (see --help)" },
		{ "--verbose", "--no-such",
		    "prog: unknown option '--no-such' (see --help)" },
	};

	all_refuse(r, NELEM(r));
}

Test(opts, a_missing_value_is_refused)
{
	static const struct refusal	r[] = {
		{ "--limit", NULL, "prog: --limit needs a value" },
		{ "--verbose", "--model", "prog: --model needs a value" },
	};

	all_refuse(r, NELEM(r));
}

Test(opts, a_flag_takes_no_value)
{
	static const struct refusal	r[] = {
		{ "--verbose=1", NULL, "prog: --verbose takes no value" },
		{ "--verbose=", NULL, "prog: --verbose takes no value" },
	};

	flag = 0;
	all_refuse(r, NELEM(r));
	/* The next word is an operand, not its value. */
	cr_assert_eq(P(all, "--verbose", "0"), 0);
	cr_assert_eq(flag, 1);
	cr_assert_eq(nops, 1);
	cr_assert_str_eq(ops[0], "0");
}

Test(opts, help_anywhere_wins_and_nothing_else_is_checked)
{
	reset_all();
	cr_assert_eq(P(all, "--limit", "5", "--bogus", "--help"), OPTS_HELP);
	cr_assert_eq(num, 0, "nothing parsed");
	cr_assert_eq(P(all, "-h", "--limit"), OPTS_HELP);
	cr_assert_eq(P(all, "x", "y", "--help"), OPTS_HELP);
	cr_assert_str_eq(err, "");
	/* After "--" it is an operand. */
	cr_assert_eq(P(all, "--", "--help"), 0);
	cr_assert_eq(nops, 1);
}

/* ---- passes, settings and configuration files ------------------------- */

static const char	*model;
static uint32_t		 factors;
static struct cfg	 cfg;

static const struct opt	train[] = {
	{ "config", OPT_CONFIG, &cfg, "FILE", "the configuration", 0, 0, 0 },
	DATA_DIR_OPT(&cfg),
	{ "popularity-window-days", OPT_SETTING, &cfg, "DAYS", "window", 0,
	    0, 0 },
	{ "model", OPT_STR, &model, "als", "algorithm", 0, 0, OPT_EARLY },
	{ "factors", OPT_U32, &factors, "N", "factors", 1, 1024, 0 },
	{ "print", OPT_FLAG, &flag, NULL, "print", 0, 0, OPT_EARLY },
};

#define T(passes, ...)	parse(train, NELEM(train), (passes), 8,	\
			    __VA_ARGS__, (char *)NULL)

static void
reset_train(void)
{
	model = "als";
	factors = 0;
	flag = 0;
	cfg_defaults(&cfg);
}

Test(opts, early_pass_sets_only_the_early_options)
{
	reset_train();
	cr_assert_eq(T(OPTS_PASS_EARLY, "--factors", "0", "--model", "pop",
	    "op", "--print"), 0, "the other values are not checked yet");
	cr_assert_str_eq(model, "pop");
	cr_assert_eq(flag, 1);
	cr_assert_eq(factors, 0);
	cr_assert_eq(nops, 0, "operands come with the rest");
	/* Option names are checked in every pass. */
	fails_with(T(OPTS_PASS_EARLY, "--bogus"),
	    "prog: unknown option '--bogus' (see --help)");
	fails_with(T(OPTS_PASS_EARLY, "--factors"),
	    "prog: --factors needs a value");
}

Test(opts, rest_pass_sets_the_others_and_the_operands)
{
	reset_train();
	model = "set by the caller";
	cr_assert_eq(T(OPTS_PASS_REST, "--model", "pop", "--factors", "8",
	    "op", "--print", "--popularity-window-days", "30"), 0);
	cr_assert_str_eq(model, "set by the caller", "early: not again");
	cr_assert_eq(flag, 0);
	cr_assert_eq(factors, 8);
	cr_assert_eq(cfg.pop_window_days, 30);
	cr_assert_eq(nops, 1);
	cr_assert_str_eq(ops[0], "op");
	fails_with(T(OPTS_PASS_REST, "--model", "pop", "--factors", "0"),
	    "prog: --factors takes a number in 1..1024, not '0'");
}

Test(opts, setting_option_goes_through_cfg_set_with_underscores)
{
	reset_train();
	cr_assert_eq(T(OPTS_PASS_ALL, "--data-dir", "/srv/cine",
	    "--popularity-window-days=3650"), 0);
	cr_assert_str_eq(cfg.data_dir, "/srv/cine");
	cr_assert_eq(cfg.pop_window_days, 3650);
	fails_with(T(OPTS_PASS_ALL, "--popularity-window-days", "0"),
	    "prog: popularity_window_days: expected an integer in 1..3650, "
	    "got '0'");
	fails_with(T(OPTS_PASS_ALL, "--data-dir="),
	    "prog: data_dir: empty or too long");
	cr_assert_eq(cfg.pop_window_days, 3650);
	cr_assert_str_eq(cfg.data_dir, "/srv/cine");
}

Test(opts, config_file_is_read_before_every_setting_whatever_the_order)
{
	const char	*path;

	reset_train();
	path = write_file("c.conf", "data_dir = /from/file\n"
	    "popularity_window_days = 14\nworkers = 5\n");
	cr_assert_eq(T(OPTS_PASS_ALL, "--data-dir", "/from/flag", "--config",
	    path), 0);
	cr_assert_str_eq(cfg.data_dir, "/from/flag", "the flag wins");
	cr_assert_eq(cfg.pop_window_days, 14);
	cr_assert_eq(cfg.workers, 5);

	reset_train();
	cr_assert_eq(T(OPTS_PASS_ALL, "--config", path,
	    "--popularity-window-days", "2"), 0);
	cr_assert_str_eq(cfg.data_dir, "/from/file");
	cr_assert_eq(cfg.pop_window_days, 2);
}

Test(opts, config_file_goes_with_the_early_pass_only)
{
	const char	*path;

	reset_train();
	path = write_file("c.conf", "popularity_window_days = 14\n");
	cr_assert_eq(T(OPTS_PASS_REST, "--config", path), 0);
	cr_assert_eq(cfg.pop_window_days, 7, "read in the rest pass");
	cr_assert_eq(T(OPTS_PASS_EARLY, "--config", path), 0);
	cr_assert_eq(cfg.pop_window_days, 14);
	/* Not read at all in the rest pass: a missing one is no error. */
	cr_assert_eq(T(OPTS_PASS_REST, "--config", "/no/such.conf"), 0);
}

Test(opts, a_bad_config_file_fails_the_parse_with_its_reason)
{
	char		 want[1024];
	const char	*path;
	int		 rc;

	reset_train();
	rc = T(OPTS_PASS_ALL, "--config", "/no/such.conf");
	cr_assert_eq(rc, -1);
	cr_assert_str_eq(err, "cinerec: /no/such.conf: No such file or "
	    "directory\nprog: cannot use /no/such.conf (see above)\n");

	path = write_file("bad.conf", "workers = 5\nworkers = 65\n");
	rc = T(OPTS_PASS_EARLY, "--config", path);
	cr_assert_eq(rc, -1);
	snprintf(want, sizeof(want), "cinerec: %s:2: workers: expected an "
	    "integer in 1..64, got '65'\nprog: cannot use %s (see above)\n",
	    path, path);
	cr_assert_str_eq(err, want);
}

/* ---- usage ------------------------------------------------------------ */

static const struct opts_cmd	why_cmd = {
	"cinerec why", "USERID", "Explain a user's lists."
};

static const struct opt	why[] = {
	{ "at", OPT_TIME, &at, "YYYY-MM-DDTHH:MM:SS", "the moment", 0, 0, 0 },
	{ "limit", OPT_INT, &num, "N", "lists at most (20)", 1, 1000, 0 },
	{ "verbose", OPT_FLAG, &flag, NULL, "say more", 0, 0, 0 },
	{ "a-rather-long-option-name", OPT_STR, &str, "VALUE", "long", 0,
	    0, 0 },
};

static const char	why_usage[] =
	"usage: cinerec why [options] USERID\n"
	"Explain a user's lists.\n"
	"\n"
	"options:\n"
	"  --at YYYY-MM-DDTHH:MM:SS the moment\n"
	"  --limit N                lists at most (20)\n"
	"  --verbose                say more\n"
	"  --a-rather-long-option-name VALUE long\n"
	"  --help                   show this help\n";

/* What opts_usage prints for cmd and its n options; the caller frees. */
static char *
usage_of(const struct opts_cmd *cmd, const struct opt *o, size_t n)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*fp;

	cr_assert_not_null(fp = open_memstream(&text, &len));
	opts_usage(fp, cmd, o, n);
	cr_assert_eq(fclose(fp), 0);
	return (text);
}

Test(opts, usage_lists_every_option_with_its_help)
{
	char	*text;

	text = usage_of(&why_cmd, why, NELEM(why));
	cr_assert_str_eq(text, why_usage);
	free(text);
}

Test(opts, usage_without_options_operands_or_about_lists_help)
{
	static const struct opts_cmd	bare = { "cinerec version", NULL,
	    NULL };
	char	*text;

	text = usage_of(&bare, NULL, 0);
	cr_assert_str_eq(text, "usage: cinerec version\n\noptions:\n"
	    "  --help                   show this help\n");
	free(text);
}

/* opts_done of the parse result rc for why[] returns want with the output. */
static void
done_is(int rc, int want, const char *want_out, const char *want_err)
{
	const char	*out, *errs;
	int		 got;

	h_stdout_begin();
	h_stderr_begin();
	got = opts_done(rc, &why_cmd, why, NELEM(why));
	errs = h_stderr_end();
	out = h_stdout_end();
	cr_assert_eq(got, want, "opts_done(%d)", rc);
	cr_assert_str_eq(out, want_out, "opts_done(%d)", rc);
	cr_assert_str_eq(errs, want_err, "opts_done(%d)", rc);
}

Test(opts, done_prints_help_to_stdout_and_usage_to_stderr)
{
	done_is(OPTS_HELP, 0, why_usage, "");
	done_is(-1, 2, "", why_usage);
	done_is(0, -1, "", "");		/* go on */
}

Test(opts, a_real_table_parses_as_its_command_does)
{
	char	u[8192], *text;

	/* cmd_why's shape: a time, a bounded int, one operand. */
	at = 0;
	num = 20;
	cr_assert_eq(parse(why, NELEM(why), OPTS_PASS_ALL, 1, "42", "--at",
	    "2024-02-29T12:00:00", "--limit=3", (char *)NULL), 0);
	cr_assert_eq(nops, 1);
	cr_assert_str_eq(ops[0], "42");
	cr_assert_eq(at, 1709208000000LL);
	cr_assert_eq(num, 3);
	fails_with(parse(why, NELEM(why), OPTS_PASS_ALL, 1, "42", "43",
	    (char *)NULL), "prog: unexpected '43'");
	/* Each option of the table is in the help, once. */
	text = usage_of(&why_cmd, why, NELEM(why));
	snprintf(u, sizeof(u), "%s", text);
	free(text);
	cr_assert_not_null(strstr(u, "\n  --at "));
	cr_assert_not_null(strstr(u, "\n  --limit N "));
	cr_assert_not_null(strstr(u, "\n  --verbose "));
	cr_assert_not_null(strstr(u, "\n  --help "));
}
