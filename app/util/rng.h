/*
 * A small deterministic random stream (splitmix64): one uint64_t of state,
 * the same numbers on every machine.  For generated worlds, never for
 * secrets (libsodium's randombytes is for those).
 */
#ifndef CINEREC_RNG_H
#define CINEREC_RNG_H

#include <stdint.h>

/* The next 64 random bits of the stream at *s. */
static inline uint64_t
rng_next(uint64_t *s)
{
	uint64_t	z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Uniform in [0, 1). */
static inline double
rng_unif(uint64_t *s)
{
	return ((double)(rng_next(s) >> 11) * 0x1.0p-53);
}

/* A stream of its own for item i of the stream seeded seed. */
static inline uint64_t
rng_fork(uint64_t seed, uint64_t i)
{
	uint64_t	s = seed ^ (i * 0xd1b54a32d192ed03ULL);

	return (rng_next(&s));
}

#endif
