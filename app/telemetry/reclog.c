/*
 * Non-blocking delivery of served lists to the writer (see reclog.h).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"
#include "telemetry/ctr.h"
#include "telemetry/reclog.h"

void
reclog_init(struct reclog *l, const char *sock_path)
{
	l->fd = -1;
	l->len = 0;
	l->mid = 0;
	l->lost = 0;
	l->retry_ms = 0;
	strncpy(l->path, sock_path, sizeof(l->path) - 1);
	l->path[sizeof(l->path) - 1] = '\0';
}

static void
connect_now(struct reclog *l)
{
	struct sockaddr_un	sun;
	int64_t			now = clock_mono_ms();

	if (l->fd != -1 || now < l->retry_ms)
		return;
	l->retry_ms = now + 1000;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, l->path, strlen(l->path));
	if ((l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return;
	if (connect(l->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(l->fd);
		l->fd = -1;
	}
}

void
reclog_flush(struct reclog *l)
{
	ssize_t	 n;
	char	*nl;

	connect_now(l);
	while (l->fd != -1 && l->len > 0) {
		n = send(l->fd, l->buf, l->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			l->mid = l->buf[n - 1] != '\n';
			memmove(l->buf, l->buf + n, l->len - (size_t)n);
			l->len -= (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		/* The writer went away (restarting worker 1): reconnect. */
		close(l->fd);
		l->fd = -1;
		if (!l->mid)
			return;
		/*
		 * Its head went to the old writer: the rest of that line
		 * would reach the next one as a line of its own.  Lost.
		 */
		l->mid = 0;
		nl = memchr(l->buf, '\n', l->len);
		n = nl != NULL ? nl - l->buf + 1 : (ssize_t)l->len;
		memmove(l->buf, l->buf + n, l->len - (size_t)n);
		l->len -= (size_t)n;
		l->lost++;
		return;
	}
}

int
reclog_send(struct reclog *l, const char *line, size_t len)
{
	connect_now(l);
	if (l->fd == -1 || l->len + len > sizeof(l->buf))
		return (-1);
	memcpy(l->buf + l->len, line, len);
	l->len += len;
	/* One write for many lines: the timer sends the rest (reclog.h). */
	if (l->len >= RECLOG_FLUSH)
		reclog_flush(l);
	return (0);
}

size_t
reclog_int(char *p, int64_t v)
{
	char		tmp[24];
	uint64_t	u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	size_t		n = 0, i, len = 0;

	if (v < 0)
		p[len++] = '-';
	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	for (i = 0; i < n; i++)
		p[len++] = tmp[n - 1 - i];
	return (len);
}

size_t
reclog_ids(char *p, const int32_t *ids, size_t n)
{
	size_t	i, len = 0;

	for (i = 0; i < n; i++) {
		if (i > 0)
			p[len++] = ',';
		len += reclog_int(p + len, ids[i] > 0 ? ids[i] : 0);
	}
	return (len);
}

size_t
reclog_parse_ids(const char *p, int32_t *ids, size_t max)
{
	char	*end;
	long	 id;
	size_t	 n = 0;

	while (p != NULL && *p != '\0' && n < max) {
		id = strtol(p, &end, 10);
		if (end == p)
			break;
		if (id > 0 && id <= INT32_MAX)
			ids[n++] = (int32_t)id;
		p = *end == ',' ? end + 1 : end;
	}
	return (n);
}

int
reclog_served(struct reclog *l, int64_t ts_ms, int64_t user,
    int64_t model_version, const char *arm, int64_t latency_us,
    size_t personal, const int32_t *ids, size_t n)
{
	char	line[RECLOG_LINE_MAX];
	size_t	len = 0, alen;

	if (n > RECLOG_IDS_MAX)
		n = RECLOG_IDS_MAX;
	/* SERVED <ts> <user> <version> <arm|-> <latency_us> <personal> <ids> */
	memcpy(line, "SERVED ", 7);
	len = 7;
	len += reclog_int(line + len, ts_ms > 0 ? ts_ms : 0);
	line[len++] = ' ';
	len += reclog_int(line + len, user > 0 ? user : 0);
	line[len++] = ' ';
	len += reclog_int(line + len, model_version > 0 ? model_version : 0);
	/*
	 * An arm label is "<id>/<name>" of [A-Za-z0-9._-] (experiment.h);
	 * anything else would be a field of its own: logged as none ("-").
	 */
	alen = arm != NULL ? strlen(arm) : 0;
	if (alen == 0 || alen >= CTR_ARM_MAX || strspn(arm, "abcdefghijklmnop"
	    "qrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-") != alen) {
		arm = "-";
		alen = 1;
	}
	line[len++] = ' ';
	memcpy(line + len, arm, alen);
	len += alen;
	line[len++] = ' ';
	len += reclog_int(line + len, latency_us > 0 ? latency_us : 0);
	line[len++] = ' ';
	len += reclog_int(line + len, (int64_t)personal);
	line[len++] = ' ';
	len += reclog_ids(line + len, ids, n);
	line[len++] = '\n';
	return (reclog_send(l, line, len));
}

void
reclog_close(struct reclog *l)
{
	if (l->fd != -1) {
		reclog_flush(l);
		close(l->fd);
	}
	l->fd = -1;
}
