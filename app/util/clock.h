/*
 * Time as the project counts it: int64 milliseconds since the Unix epoch,
 * UTC, and its one text form (the stream's "YYYY-MM-DDTHH:MM:SS.mmm").
 */
#ifndef CINEREC_CLOCK_H
#define CINEREC_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock now, in ms since the epoch. */
int64_t	clock_now_ms(void);

/* Monotonic time in ms, for measuring durations. */
int64_t	clock_mono_ms(void);

/* The same in microseconds, and in seconds as a double. */
int64_t	clock_mono_us(void);
double	clock_mono_s(void);

/* The CPU time the calling thread has used, in microseconds. */
int64_t	clock_thread_us(void);

/* Format ms (>= 0) as "YYYY-MM-DDTHH:MM:SS.mmm" into buf (>= 24 bytes). */
void	clock_format(int64_t ms, char *buf, size_t sz);

#endif
