/*
 * The dirt of real streams, put into a clean simulated line on purpose:
 * either a variant cinerec must accept as the same event (a time without
 * seconds, a blank after a comma, another spelling of the movie id, a CR)
 * or a form it must reject for a known reason (a mangled time, an
 * "e"-prefixed user id, a space inside the id, a cut line, a rating in
 * words, an unknown request).  The shapes are those of the README's
 * ingest section.
 */
#ifndef CINEREC_SIM_DIRT_H
#define CINEREC_SIM_DIRT_H

#include <stddef.h>
#include <stdint.h>

#define SIM_DIRT_LINE_MAX	512	/* room for a dirty line */

/*
 * Make line[0..len) (a clean watch or rate line, "<time>,<user>,GET ...")
 * dirty into out (outsz >= SIM_DIRT_LINE_MAX), its length into *outlen.
 * Returns the reason parse_line gives for it: PARSE_OK for a variant that
 * keeps the event, else the rejection reason.
 */
int	sim_dirty(uint64_t *rng, const char *line, size_t len, char *out,
	    size_t outsz, size_t *outlen);

#endif
