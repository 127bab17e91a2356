/*
 * Logging to stderr, the one place that formats diagnostic lines.  Under
 * systemd, stderr goes to the journal, which adds its own time stamps; on a
 * terminal the time helps.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

/* A progress line is on the terminal, without its newline. */
static int	progress_shown;

static void
log_vwrite(const char *level, const char *fmt, va_list ap)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 msg[2048], when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_progress_end();
	fprintf(stderr, "%s cinerec %s: %s\n", when, level, msg);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("info", fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("warn", fmt, ap);
	va_end(ap);
}

void
log_progress(const char *fmt, ...)
{
	va_list	ap;
	char	msg[80];

	if (!isatty(STDERR_FILENO))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Wider than the terminal, it would wrap and \r not go back. */
	fprintf(stderr, "\r%s\033[K", msg);
	fflush(stderr);
	progress_shown = 1;
}

void
log_progress_end(void)
{
	if (!progress_shown)
		return;
	fprintf(stderr, "\r\033[K");
	fflush(stderr);
	progress_shown = 0;
}
