/*
 * Sustained TCP ingest: send a log file to cinerec's ingest port over C
 * connections in parallel (the file split in C parts at line boundaries),
 * end each with SYNC and wait for every OK, so the time covers the commit.
 * Prints events/s.  With RATE, the lines go as a stream would send them:
 * RATE a second in all, written every 5 ms as they fall due.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct part {
	const char	*p;
	size_t		 len;
	int		 port;
	double		 rate;	/* lines a second, 0: as fast as it goes */
	long		 ok;	/* from "OK n" */
};

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Write p[0..len) to fd, all of it. */
static void
write_all(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0) {
			perror("write");
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

static void *
sender(void *arg)
{
	struct part		*pt = arg;
	struct sockaddr_in	 sin;
	char			 line[128];
	size_t			 off = 0;
	ssize_t			 n;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)pt->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror("connect");
		exit(1);
	}
	if (pt->rate <= 0)
		write_all(fd, pt->p, pt->len);
	else {
		struct timespec	 tick = { 0, 5000000 };
		double		 t0 = now_s(), due;
		size_t		 sent = 0, end;
		const char	*nl;

		/* The lines due by now, at line boundaries. */
		while (off < pt->len) {
			due = (now_s() - t0) * pt->rate;
			end = off;
			while (end < pt->len && sent < due &&
			    (nl = memchr(pt->p + end, '\n', pt->len - end))) {
				end = (size_t)(nl - pt->p) + 1;
				sent++;
			}
			if (end == off && sent < due)
				end = pt->len;	/* a last line without \n */
			write_all(fd, pt->p + off, end - off);
			off = end;
			nanosleep(&tick, NULL);
		}
	}
	if (write(fd, "SYNC\n", 5) != 5)
		exit(1);
	off = 0;
	while (off < sizeof(line) - 1 && (n = read(fd, line + off, 1)) == 1 &&
	    line[off] != '\n')
		off++;
	line[off] = '\0';
	if (strncmp(line, "OK ", 3) != 0) {
		fprintf(stderr, "bench_send: got '%s'\n", line);
		exit(1);
	}
	pt->ok = strtol(line + 3, NULL, 10);
	close(fd);
	return (NULL);
}

int
main(int argc, char **argv)
{
	struct timespec	 a, b;
	struct part	*parts;
	pthread_t	*th;
	FILE		*fp;
	char		*buf, *cut;
	size_t		 len = 0, cap = 1 << 20, start = 0, i;
	long		 total = 0;
	int		 c, port;
	double		 secs;

	if ((argc != 4 && argc != 5) || (fp = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: bench_send FILE PORT CONNECTIONS "
		    "[RATE]\n");
		return (2);
	}
	port = atoi(argv[2]);
	c = atoi(argv[3]);
	buf = malloc(cap);
	while (!feof(fp)) {
		if (len == cap)
			buf = realloc(buf, cap *= 2);
		len += fread(buf + len, 1, cap - len, fp);
	}
	fclose(fp);
	parts = calloc((size_t)c, sizeof(*parts));
	th = calloc((size_t)c, sizeof(*th));
	for (i = 0; i < (size_t)c; i++) {
		size_t	end = i + 1 == (size_t)c ? len : len / c * (i + 1);

		if (end < len && (cut = memchr(buf + end, '\n', len - end)))
			end = (size_t)(cut - buf) + 1;
		parts[i].p = buf + start;
		parts[i].len = end - start;
		parts[i].port = port;
		parts[i].rate = argc == 5 ? atof(argv[4]) / c : 0;
		start = end;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < (size_t)c; i++)
		pthread_create(&th[i], NULL, sender, &parts[i]);
	for (i = 0; i < (size_t)c; i++) {
		pthread_join(th[i], NULL);
		total += parts[i].ok;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("ingest: %ld events committed in %.2f s over %d connections: "
	    "%.0f events/s\n", total, secs, c, total / secs);
	free(buf);
	free(parts);
	free(th);
	return (0);
}
