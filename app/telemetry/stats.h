/*
 * Online evaluation reports from the click-through aggregates: per day
 * (UTC), source, model version and experiment arm, the lists given, the
 * share followed, the mean followed rank, minutes of listed movies watched
 * within 24 hours, the share of personalised lists; and per day the
 * catalogue coverage of served lists and the share of their slots that
 * went to the 1% most popular movies (a feedback-loop indicator).
 */
#ifndef CINEREC_STATS_H
#define CINEREC_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

/*
 * JSON for the days from since_day (days since the epoch) on, to fp.
 * Returns 0, or -1 on a database error.
 */
int	stats_ctr_json(sqlite3 *db, int64_t since_day, FILE *fp);

#endif
