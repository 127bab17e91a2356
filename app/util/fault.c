/*
 * Allocation fault injection (see fault.h).  One countdown per process:
 * the tests that arm it run one writer at a time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/fault.h"

static int	countdown;	/* 0: disarmed */
static int	persist;	/* keep failing once it fired */
static int	failed;		/* since fault_arm */

static int
fires(void)
{
	if (countdown == 0)
		return (0);
	if (countdown > 1) {
		countdown--;
		return (0);
	}
	if (!persist)
		countdown = 0;
	failed++;
	return (1);
}

void *
fault_realloc(void *p, size_t size)
{
	if (fires())
		return (NULL);
	return (realloc(p, size));
}

void *
fault_calloc(size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size)
		return (NULL);
	if ((p = fault_realloc(NULL, n * size)) != NULL)
		memset(p, 0, n * size);
	return (p);
}

int
fault_arm(int nth, int persistent)
{
	int	n = failed;

	countdown = nth > 0 ? nth : 0;
	persist = persistent;
	failed = 0;
	return (n);
}
