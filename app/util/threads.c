/*
 * Parallel loops (see threads.h).
 */
#include <pthread.h>

#include "util/threads.h"

void
threads_run(void *(*fn)(void *), void *arg, uint32_t n)
{
	pthread_t	tid[THREADS_MAX];
	uint32_t	t, started;

	if (n < 1)
		n = 1;
	if (n > THREADS_MAX)
		n = THREADS_MAX;
	for (started = 0; started < n; started++)
		if (pthread_create(&tid[started], NULL, fn, arg) != 0)
			break;
	if (started == 0)
		(void)fn(arg);
	for (t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
}
