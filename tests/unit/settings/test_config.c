/*
 * Unit tests for app/settings/config.c: defaults, cfg_set for every type with good
 * and bad values (the setting unchanged on error), cfg_parse_addr, the
 * configuration file (comments, blank lines, the failing line's number)
 * and a cfg_dump -> cfg_load_file round trip.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <sys/stat.h>

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings/config.h"



TestSuite(config, .init = h_scratch_setup, .fini = h_scratch_teardown,
    .timeout = 30);

/* Write text to h_dir/name; the path into path. */
static void
write_file(const char *name, const char *text, char *path, size_t sz)
{
	snprintf(path, sz, "%s/%s", h_dir, name);
	h_write_file(path, text, strlen(text));
}

/* cfg_load_file with stderr captured into err (NUL-terminated). */
static int
load_capture(struct cfg *c, const char *path, char *err, size_t errsz)
{
	int	rc;

	h_stderr_begin();
	rc = cfg_load_file(c, path);
	snprintf(err, errsz, "%s", h_stderr_end());
	return (rc);
}

Test(config, defaults)
{
	struct cfg	c;

	memset(&c, 0x77, sizeof(c));
	cfg_defaults(&c);
	cr_assert_str_eq(c.data_dir, "./var");
	cr_assert_str_eq(c.http_host, "127.0.0.1");
	cr_assert_eq(c.http_port, 8082);
	cr_assert_str_eq(c.ingest_host, "127.0.0.1");
	cr_assert_eq(c.ingest_port, 8099);
	cr_assert_eq(c.workers, 2);
	cr_assert_eq(c.pop_window_days, 7);
	cr_assert_eq(c.events_body_max_kb, 16384);
	cr_assert_eq(c.batch_events, 500000);
	cr_assert_eq(c.batch_ms, 100);
	cr_assert_eq(c.rating_max, 5);
	cr_assert_eq(c.click_skew_ms, 2000);
	cr_assert_float_eq(c.sig.scale, 5.0, 0);
}

Test(config, the_rating_scale_carries_into_the_signal_mapping)
{
	struct cfg	c;
	char		e[256];

	cfg_defaults(&c);
	cr_assert_eq(cfg_set(&c, "rating_max", "10", e, sizeof(e)), 0, "%s", e);
	cr_assert_eq(c.rating_max, 10);
	cr_assert_float_eq(c.sig.scale, 10.0, 0);
	cr_assert_eq(cfg_set(&c, "rating_max", "1", e, sizeof(e)), -1);
	cr_assert_eq(cfg_set(&c, "rating_max", "101", e, sizeof(e)), -1);
	cr_assert_eq(c.rating_max, 10);
	cr_assert_eq(cfg_set(&c, "click_skew_ms", "0", e, sizeof(e)), 0);
	cr_assert_eq(c.click_skew_ms, 0);
}

Test(config, set_each_type)
{
	struct cfg	c;
	char		err[256];

	cfg_defaults(&c);
	cr_assert_eq(cfg_set(&c, "data_dir", "/srv/cinerec", err, sizeof(err)),
	    0);
	cr_assert_str_eq(c.data_dir, "/srv/cinerec");
	cr_assert_eq(cfg_set(&c, "http", "0.0.0.0:9000", err, sizeof(err)), 0);
	cr_assert_str_eq(c.http_host, "0.0.0.0");
	cr_assert_eq(c.http_port, 9000);
	cr_assert_eq(cfg_set(&c, "ingest", "[::1]:9001", err, sizeof(err)), 0);
	cr_assert_str_eq(c.ingest_host, "::1");
	cr_assert_eq(c.ingest_port, 9001);
	cr_assert_str_eq(c.http_host, "0.0.0.0", "the other address stays");
	cr_assert_eq(cfg_set(&c, "workers", "64", err, sizeof(err)), 0);
	cr_assert_eq(c.workers, 64);
	cr_assert_eq(cfg_set(&c, "workers", "1", err, sizeof(err)), 0);
	cr_assert_eq(c.workers, 1);
	cr_assert_eq(cfg_set(&c, "popularity_window_days", "3650", err,
	    sizeof(err)), 0);
	cr_assert_eq(c.pop_window_days, 3650);
	cr_assert_eq(cfg_set(&c, "events_body_max_kb", "1048576", err,
	    sizeof(err)), 0);
	cr_assert_eq(c.events_body_max_kb, 1048576);
	cr_assert_eq(cfg_set(&c, "batch_events", "10000000", err, sizeof(err)),
	    0);
	cr_assert_eq(c.batch_events, 10000000);
	cr_assert_eq(cfg_set(&c, "batch_ms", "60000", err, sizeof(err)), 0);
	cr_assert_eq(c.batch_ms, 60000);
	/* Nothing else moved. */
	cr_assert_eq(c.http_port, 9000);
	cr_assert_str_eq(c.data_dir, "/srv/cinerec");
}

/* cfg_set must fail, say something in err, and leave c as it was. */
static void
set_fails(const char *key, const char *value)
{
	struct cfg	c, before;
	char		err[256];

	cfg_defaults(&c);
	cr_assert_eq(cfg_set(&c, "http", "[fe80::1]:1234", err, sizeof(err)),
	    0);
	memcpy(&before, &c, sizeof(c));
	err[0] = '\0';
	cr_assert_eq(cfg_set(&c, key, value, err, sizeof(err)), -1,
	    "%s = '%s' accepted", key, value);
	cr_assert_neq(err[0], '\0', "%s = '%s': no reason given", key, value);
	cr_assert_eq(memcmp(&c, &before, sizeof(c)), 0,
	    "%s = '%s' changed the config", key, value);
}

Test(config, bad_values_leave_the_setting_unchanged)
{
	char	longpath[PATH_MAX + 10];

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	set_fails("data_dir", "");
	set_fails("data_dir", longpath);
	set_fails("http", "localhost");
	set_fails("http", "localhost:");
	set_fails("http", ":8080");
	set_fails("http", "localhost:65536");
	set_fails("http", "localhost:-1");
	set_fails("http", "localhost:80x");
	set_fails("http", "[::1]8082");
	set_fails("http", "[::1");
	set_fails("ingest", "");
	set_fails("workers", "0");
	set_fails("workers", "65");
	set_fails("workers", "");
	set_fails("workers", "two");
	set_fails("workers", "2x");
	set_fails("workers", "99999999999999999999999");
	set_fails("popularity_window_days", "0");
	set_fails("popularity_window_days", "3651");
	set_fails("events_body_max_kb", "1048577");
	set_fails("batch_events", "-5");
	set_fails("batch_ms", "60001");
	set_fails("batch_ms", "1.5");
}

Test(config, unknown_key)
{
	struct cfg	c, before;
	char		err[256];

	cfg_defaults(&c);
	memcpy(&before, &c, sizeof(c));
	cr_assert_eq(cfg_set(&c, "wrokers", "3", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "wrokers"), "err: %s", err);
	cr_assert_eq(cfg_set(&c, "", "3", err, sizeof(err)), -1);
	cr_assert_eq(cfg_set(&c, "Workers", "3", err, sizeof(err)), -1);
	cr_assert_eq(memcmp(&c, &before, sizeof(c)), 0);
}

Test(config, parse_addr)
{
	char		host[CFG_HOST_MAX];
	uint16_t	port = 0;

	cr_assert_eq(cfg_parse_addr("127.0.0.1:8082", host, sizeof(host),
	    &port), 0);
	cr_assert_str_eq(host, "127.0.0.1");
	cr_assert_eq(port, 8082);
	cr_assert_eq(cfg_parse_addr("[::1]:8082", host, sizeof(host), &port),
	    0);
	cr_assert_str_eq(host, "::1");
	cr_assert_eq(port, 8082);
	cr_assert_eq(cfg_parse_addr("[2001:db8::7]:65535", host, sizeof(host),
	    &port), 0);
	cr_assert_str_eq(host, "2001:db8::7");
	cr_assert_eq(port, 65535);
	cr_assert_eq(cfg_parse_addr("example.org:1", host, sizeof(host),
	    &port), 0);
	cr_assert_str_eq(host, "example.org");
	cr_assert_eq(port, 1);

	/* Failures leave host and port alone. */
	strcpy(host, "keep");
	port = 4242;
	cr_assert_eq(cfg_parse_addr("example.org", host, sizeof(host), &port),
	    -1, "missing port");
	cr_assert_eq(cfg_parse_addr("example.org:", host, sizeof(host), &port),
	    -1, "empty port");
	cr_assert_eq(cfg_parse_addr("example.org:65536", host, sizeof(host),
	    &port), -1);
	cr_assert_eq(cfg_parse_addr("example.org:100000", host, sizeof(host),
	    &port), -1);
	cr_assert_eq(cfg_parse_addr("example.org:-1", host, sizeof(host),
	    &port), -1);
	cr_assert_eq(cfg_parse_addr("example.org:http", host, sizeof(host),
	    &port), -1);
	cr_assert_eq(cfg_parse_addr("[::1]", host, sizeof(host), &port), -1);
	cr_assert_eq(cfg_parse_addr("[::1]:", host, sizeof(host), &port), -1);
	cr_assert_eq(cfg_parse_addr("[]:80", host, sizeof(host), &port), -1);
	cr_assert_eq(cfg_parse_addr(":80", host, sizeof(host), &port), -1);
	cr_assert_eq(cfg_parse_addr("", host, sizeof(host), &port), -1);
	/* Hosts that would not read back as written (found by fuzzing). */
	cr_assert_eq(cfg_parse_addr(";[::1]:8081", host, sizeof(host), &port),
	    -1);
	cr_assert_eq(cfg_parse_addr("::1:80", host, sizeof(host), &port), -1,
	    "IPv6 only in brackets");
	cr_assert_eq(cfg_parse_addr("[::1;]:80", host, sizeof(host), &port),
	    -1);
	cr_assert_eq(cfg_parse_addr("a b:80", host, sizeof(host), &port), -1);
	cr_assert_str_eq(host, "keep");
	cr_assert_eq(port, 4242);

	/* The host must fit: hostsz - 1 bytes at most. */
	cr_assert_eq(cfg_parse_addr("abcdefgh:1", host, 9, &port), 0);
	cr_assert_str_eq(host, "abcdefgh");
	cr_assert_eq(cfg_parse_addr("abcdefghi:1", host, 9, &port), -1);
	cr_assert_eq(cfg_parse_addr("[abcdefghi]:1", host, 9, &port), -1);
	cr_assert_str_eq(host, "abcdefgh");
}

Test(config, load_file_with_comments_and_blank_lines)
{
	struct cfg	c;
	char		path[128], err[1024];

	write_file("ok.conf",
	    "# cinerec settings\n"
	    "\n"
	    "   \n"
	    "data_dir = /var/lib/cinerec   # trailing comment\n"
	    "http=[::1]:8181\n"
	    "\tingest   =   0.0.0.0:7000\t\n"
	    "workers = 8\n"
	    "   # indented comment\n"
	    "popularity_window_days = 14\n"
	    "batch_ms = 250", path, sizeof(path));	/* no final newline */
	cfg_defaults(&c);
	cr_assert_eq(load_capture(&c, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(err, "");
	cr_assert_str_eq(c.data_dir, "/var/lib/cinerec");
	cr_assert_str_eq(c.http_host, "::1");
	cr_assert_eq(c.http_port, 8181);
	cr_assert_str_eq(c.ingest_host, "0.0.0.0");
	cr_assert_eq(c.ingest_port, 7000);
	cr_assert_eq(c.workers, 8);
	cr_assert_eq(c.pop_window_days, 14);
	cr_assert_eq(c.batch_ms, 250);
	cr_assert_eq(c.batch_events, 500000, "unset: default kept");
}

Test(config, load_file_reports_the_failing_line)
{
	struct cfg	c;
	char		path[128], err[1024], want[200];

	write_file("bad.conf",
	    "# line 1\n"
	    "workers = 3\n"
	    "\n"
	    "# line 4\n"
	    "batch_ms = lots\n"
	    "workers = 5\n", path, sizeof(path));
	cfg_defaults(&c);
	cr_assert_eq(load_capture(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:5:", path);
	cr_assert_not_null(strstr(err, want), "stderr: %s", err);
	cr_assert_eq(c.batch_ms, 100);
	cr_assert_neq(c.workers, 5, "stops at the failing line");

	write_file("noeq.conf", "workers = 3\njust words\n", path,
	    sizeof(path));
	cr_assert_eq(load_capture(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2:", path);
	cr_assert_not_null(strstr(err, want), "stderr: %s", err);

	write_file("unknown.conf", "\n\n\nnope = 1\n", path, sizeof(path));
	cr_assert_eq(load_capture(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4:", path);
	cr_assert_not_null(strstr(err, want), "stderr: %s", err);
	cr_assert_not_null(strstr(err, "nope"), "stderr: %s", err);
}

Test(config, load_missing_file)
{
	struct cfg	c, before;
	char		path[128], err[1024];

	cfg_defaults(&c);
	memcpy(&before, &c, sizeof(c));
	snprintf(path, sizeof(path), "%s/absent.conf", h_dir);
	cr_assert_eq(load_capture(&c, path, err, sizeof(err)), -1);
	cr_assert_neq(err[0], '\0');
	cr_assert_eq(memcmp(&c, &before, sizeof(c)), 0);
}

/* cfg_dump of c (commented or not) as h_dir/name, loaded into d. */
static void
dump_and_load(const struct cfg *c, int commented, const char *name,
    struct cfg *d)
{
	char	path[128], err[1024];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", h_dir, name);
	cr_assert_not_null(fp = fopen(path, "w"));
	cfg_dump(c, fp, commented);
	cr_assert_eq(fclose(fp), 0);
	cr_assert_eq(load_capture(d, path, err, sizeof(err)), 0, "%s", err);
}

Test(config, dump_loads_back_to_the_same_settings)
{
	struct cfg	c, d;
	char		err[1024];

	cfg_defaults(&c);
	cr_assert_eq(cfg_set(&c, "data_dir", "/data/cine rec", err,
	    sizeof(err)), 0);
	cr_assert_eq(cfg_set(&c, "http", "[::1]:8083", err, sizeof(err)), 0);
	cr_assert_eq(cfg_set(&c, "ingest", "10.0.0.5:9999", err, sizeof(err)),
	    0);
	cr_assert_eq(cfg_set(&c, "workers", "7", err, sizeof(err)), 0);
	cr_assert_eq(cfg_set(&c, "batch_events", "1234", err, sizeof(err)), 0);

	cfg_defaults(&d);
	dump_and_load(&c, 0, "dump.conf", &d);
	cr_assert_eq(memcmp(&c, &d, sizeof(c)), 0);
	cr_assert_str_eq(d.data_dir, "/data/cine rec");
	cr_assert_str_eq(d.http_host, "::1");
	cr_assert_eq(d.workers, 7);
}

Test(config, commented_dump_sets_nothing)
{
	struct cfg	c, d, before;
	char		err[1024];

	cfg_defaults(&c);
	cr_assert_eq(cfg_set(&c, "workers", "9", err, sizeof(err)), 0);
	cr_assert_eq(cfg_set(&c, "http", "10.1.1.1:81", err, sizeof(err)), 0);

	cfg_defaults(&d);
	memcpy(&before, &d, sizeof(d));
	dump_and_load(&c, 1, "commented.conf", &d);
	cr_assert_eq(memcmp(&d, &before, sizeof(d)), 0);
	cr_assert_eq(d.workers, 2);
}
