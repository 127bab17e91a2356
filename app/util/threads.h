/*
 * Run one function on several threads at once and wait for all of them:
 * the shape of every parallel loop in training and evaluation (the
 * threads share arg and take their work from it, e.g. an atomic counter).
 */
#ifndef CINEREC_THREADS_H
#define CINEREC_THREADS_H

#include <stdint.h>

#define THREADS_MAX	64

/*
 * Run fn(arg) on n threads (1..THREADS_MAX; 0 counts as 1), and return
 * once every one has returned.  When no thread can be started, fn runs on
 * the caller's.  Cannot fail.
 */
void	threads_run(void *(*fn)(void *), void *arg, uint32_t n);

#endif
