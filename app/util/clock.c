/*
 * Time helpers (see clock.h).  The calendar conversion is H. Hinnant's
 * civil_from_days: no locale, no time zone, thread-safe.
 */
#include <stdio.h>
#include <time.h>

#include "util/clock.h"

static int64_t
ns(clockid_t id)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

int64_t
clock_now_ms(void)
{
	return (ns(CLOCK_REALTIME) / 1000000);
}

int64_t
clock_mono_ms(void)
{
	return (ns(CLOCK_MONOTONIC) / 1000000);
}

int64_t
clock_mono_us(void)
{
	return (ns(CLOCK_MONOTONIC) / 1000);
}

int64_t
clock_thread_us(void)
{
	return (ns(CLOCK_THREAD_CPUTIME_ID) / 1000);
}

double
clock_mono_s(void)
{
	return ((double)ns(CLOCK_MONOTONIC) / 1e9);
}

void
clock_format(int64_t ms, char *buf, size_t sz)
{
	int64_t	days = ms / 86400000, rem = ms % 86400000;
	int64_t	z = days + 719468, era, doe, yoe, y, doy, mp, d, m;

	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(buf, sz, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", (int)y, (int)m,
	    (int)d, (int)(rem / 3600000), (int)(rem / 60000 % 60),
	    (int)(rem / 1000 % 60), (int)(rem % 1000));
}
