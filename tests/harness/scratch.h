/*
 * Unit-test scratch: a fresh directory per test, the database path in it
 * and a writer the test may open there (closed, and the directory
 * removed, when the test ends).  A suite uses it as
 *
 *	TestSuite(x, .init = h_scratch_setup, .fini = h_scratch_teardown);
 *
 * or calls the two from its own init and fini.
 */
#ifndef CINEREC_SCRATCH_H
#define CINEREC_SCRATCH_H

struct writer;

extern char		 h_dir[64];	/* the test's directory */
extern char		 h_db[256];	/* h_dir/cinerec.db */
extern struct writer	*h_w;		/* NULL until the test opens one */

void	 h_scratch_setup(void);
void	 h_scratch_teardown(void);

/* Open h_w on h_dir with movies "m1+2000" .. "m<n>+2000", committed. */
void	 h_writer_movies(int n);

/* Format one event line and hand it to h_w: writer_line's result. */
int	 h_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
