/*
 * Logging to stderr: one line per message, prefixed with the time and level.
 * Safe from any thread (stdio locks each call).  Also the progress line of
 * long commands, on a terminal only.
 */
#ifndef CINEREC_LOG_H
#define CINEREC_LOG_H

void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Show fmt as the progress line: on stderr when it is a terminal, over the
 * previous one (cut to 79 columns); nothing at all otherwise, so pipes,
 * files and the journal never get progress.  A log line clears it first.
 */
void	log_progress(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* Clear the progress line, if one is shown (before the command's summary). */
void	log_progress_end(void);

#endif
