/*
 * Logging to stderr: one line per message, prefixed with the time and level.
 * Safe from any thread (stdio locks each call).
 */
#ifndef CINEREC_LOG_H
#define CINEREC_LOG_H

void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
