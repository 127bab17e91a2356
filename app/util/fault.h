/*
 * Allocation fault injection, for the tests of out-of-memory paths (as
 * SQLite's fault tests do): the writer, its aggregation maps and the
 * click-through tracker allocate through fault_realloc, which fails when
 * armed.  Unarmed (always, outside tests) it is realloc.
 */
#ifndef CINEREC_FAULT_H
#define CINEREC_FAULT_H

#include <stddef.h>

/* realloc, or NULL when the armed countdown reaches this call. */
void	*fault_realloc(void *p, size_t size);

/* calloc the same way (overflow-checked). */
void	*fault_calloc(size_t n, size_t size);

/*
 * Make the nth allocation from now fail (1: the next one), and every one
 * after it while persistent is set; 0 disarms.  Returns how many failed
 * since the last call.
 */
int	 fault_arm(int nth, int persistent);

#endif
