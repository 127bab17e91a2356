/*
 * The simulator's connections to cinerec (see client.h).
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "settings/config.h"
#include "sim/client.h"
#include "util/io.h"

/* A TCP connection to host:port, or -1 (message on stderr). */
static int
dial(const char *host, int port)
{
	struct addrinfo	 hints, *res, *ai;
	char		 serv[16];
	int		 fd = -1, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(serv, sizeof(serv), "%d", port);
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0) {
		fprintf(stderr, "cinerec: simulate: %s: %s\n", host,
		    gai_strerror(rc));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		fprintf(stderr, "cinerec: simulate: cannot connect to %s:%d: "
		    "%s\n", host, port, strerror(errno));
	else
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	return (fd);
}

/* Up to sz bytes from fd, through rb: their count, or -1 (closed). */
static ssize_t
rb_read(int fd, struct sim_rbuf *rb, char *dst, size_t sz)
{
	ssize_t	r;
	size_t	n;

	if (rb->off == rb->len) {
		if ((r = read(fd, rb->buf, sizeof(rb->buf))) <= 0)
			return (-1);
		rb->off = 0;
		rb->len = (size_t)r;
	}
	n = rb->len - rb->off < sz ? rb->len - rb->off : sz;
	memcpy(dst, rb->buf + rb->off, n);
	rb->off += n;
	return ((ssize_t)n);
}

/* One line (without '\n') from fd into buf, or -1. */
static int
read_line(int fd, struct sim_rbuf *rb, char *buf, size_t sz)
{
	size_t	n = 0;
	char	ch;

	while (n + 1 < sz) {
		if (rb_read(fd, rb, &ch, 1) != 1)
			return (-1);
		if (ch == '\n')
			break;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return ((int)n);
}

int
sim_client_open(struct sim_client *c, const char *http, const char *ingest,
    const char *token)
{
	char		 host[CFG_HOST_MAX + 1], line[128];
	uint16_t	 port;

	memset(c, 0, sizeof(*c));
	c->http_fd = c->ingest_fd = -1;
	if (cfg_parse_addr(http, c->http_host, sizeof(c->http_host),
	    &port) == -1) {
		fprintf(stderr, "cinerec: simulate: --http: expected HOST:PORT, "
		    "got '%s'\n", http);
		return (-1);
	}
	c->http_port = port;
	if (cfg_parse_addr(ingest, host, sizeof(host), &port) == -1) {
		fprintf(stderr, "cinerec: simulate: --ingest: expected "
		    "HOST:PORT, got '%s'\n", ingest);
		return (-1);
	}
	if ((c->ingest_fd = dial(host, port)) == -1)
		return (-1);
	if (token != NULL && *token != '\0') {
		snprintf(line, sizeof(line), "AUTH %s\n", token);
		if (io_write_all(c->ingest_fd, line, strlen(line)) == -1 ||
		    read_line(c->ingest_fd, &c->ingest_in, line, sizeof(line)) == -1 ||
		    strncmp(line, "OK", 2) != 0) {
			fprintf(stderr, "cinerec: simulate: the ingest refused "
			    "the token\n");
			sim_client_close(c);
			return (-1);
		}
	}
	return (0);
}

void
sim_client_close(struct sim_client *c)
{
	if (c->http_fd != -1)
		close(c->http_fd);
	if (c->ingest_fd != -1)
		close(c->ingest_fd);
	c->http_fd = c->ingest_fd = -1;
}

int
sim_client_get(struct sim_client *c, const char *path, char *body, size_t sz)
{
	char	 req[300], line[512];
	long	 clen = -1;
	int	 status = -1, n;
	size_t	 got = 0;
	ssize_t	 r;

	if (c->http_fd == -1) {
		if ((c->http_fd = dial(c->http_host, c->http_port)) == -1)
			return (-1);
		c->http_in.off = c->http_in.len = 0;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
	    path, c->http_host);
	if (io_write_all(c->http_fd, req, (size_t)n) == -1 ||
	    read_line(c->http_fd, &c->http_in, line, sizeof(line)) == -1 ||
	    sscanf(line, "HTTP/1.%*d %d", &status) != 1)
		return (-1);
	while ((n = read_line(c->http_fd, &c->http_in, line, sizeof(line))) > 0)
		if (strncasecmp(line, "content-length:", 15) == 0)
			clen = strtol(line + 15, NULL, 10);
	if (n == -1 || clen < 0 || (size_t)clen >= sz)
		return (-1);
	while (got < (size_t)clen) {
		if ((r = rb_read(c->http_fd, &c->http_in, body + got,
		    (size_t)clen - got)) <= 0)
			return (-1);
		got += (size_t)r;
	}
	body[got] = '\0';
	return (status);
}

int
sim_client_recommend(struct sim_client *c, int64_t user,
    char ids[][PARSE_SPELLING_MAX + 1], int max)
{
	static char	 body[1 << 16];
	char		 path[64], *p, *q;
	int		 n = 0, status, tries;
	size_t		 len;

	snprintf(path, sizeof(path), "/recommend/%lld", (long long)user);
	c->requests++;
	/* A kept-alive connection the server closed: once more, anew. */
	for (tries = 0; tries < 2; tries++) {
		if ((status = sim_client_get(c, path, body, sizeof(body))) !=
		    -1)
			break;
		if (c->http_fd != -1)
			close(c->http_fd);
		c->http_fd = -1;
	}
	if (status != 200) {
		c->failed++;
		return (-1);
	}
	for (p = body; *p != '\0' && *p != '\n' && n < max; p = q) {
		len = strcspn(p, ",\n");
		q = p + len + (p[len] == ',');
		if (len == 0 || len > PARSE_SPELLING_MAX)
			continue;
		memcpy(ids[n], p, len);
		ids[n++][len] = '\0';
	}
	return (n);
}

int
sim_client_line(struct sim_client *c, const char *line, size_t len)
{
	if (c->outlen + len + 1 > sizeof(c->out)) {
		if (io_write_all(c->ingest_fd, c->out, c->outlen) == -1)
			return (-1);
		c->outlen = 0;
		if (len + 1 > sizeof(c->out))
			return (io_write_all(c->ingest_fd, line, len) == -1 ||
			    io_write_all(c->ingest_fd, "\n", 1) == -1 ? -1 : 0);
	}
	memcpy(c->out + c->outlen, line, len);
	c->out[c->outlen + len] = '\n';
	c->outlen += len + 1;
	return (0);
}

long
sim_client_sync(struct sim_client *c)
{
	char	line[128];

	if (io_write_all(c->ingest_fd, c->out, c->outlen) == -1)
		return (-1);
	c->outlen = 0;
	if (io_write_all(c->ingest_fd, "SYNC\n", 5) == -1 ||
	    read_line(c->ingest_fd, &c->ingest_in, line, sizeof(line)) == -1 ||
	    strncmp(line, "OK ", 3) != 0)
		return (-1);
	return (strtol(line + 3, NULL, 10));
}

int
sim_client_ctr(struct sim_client *c, int64_t *lists, int64_t *followed)
{
	static char	 body[1 << 16];
	const char	*p;

	*lists = *followed = 0;
	if (sim_client_get(c, "/ctr?days=2", body, sizeof(body)) != 200)
		return (-1);
	/* {"day":..,"source":"served",...,"lists":N,"followed":M,...} */
	for (p = body; (p = strstr(p, "\"source\":\"served\"")) != NULL;
	    p++) {
		const char	*l = strstr(p, "\"lists\":");
		const char	*f = strstr(p, "\"followed\":");

		if (l == NULL || f == NULL)
			break;
		*lists += strtoll(l + 8, NULL, 10);
		*followed += strtoll(f + 11, NULL, 10);
	}
	return (0);
}
