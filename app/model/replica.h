/*
 * Serving replicas: a trainer publishes its current model version (model
 * file, precomputed lists, and the movies they name, by spelling) to a
 * directory the replicas read; a replica checks each published version as
 * it checks its own files (the model's and the lists' checksums, the
 * movies file's against the manifest), maps the trainer's movie ids to
 * its own by spelling, writes its own copies and makes them current.  The
 * replica's own database (its users' events, from its Kafka partitions)
 * gives the fold-in of what they did since.
 *
 * The published directory, written only by the trainer, files renamed
 * into place whole:
 *   model-NNNNNN.cnrm, model-NNNNNN.lists	the version's files
 *   model-NNNNNN.movies			"id<TAB>spelling" lines
 *   model-NNNNNN.manifest			what the version is, checksums
 *   CURRENT					the name of the current one
 * The two versions published before the current one are kept (a replica
 * may be reading them); older ones are removed.
 */
#ifndef CINEREC_REPLICA_H
#define CINEREC_REPLICA_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define REPLICA_CURRENT		"CURRENT"
#define REPLICA_KEEP		2	/* versions kept besides the current */
/*
 * The lists' cutoff moves back this much on a replica: a user whose event
 * the replica committed up to this long before the trainer did is folded
 * in, not answered from lists that may lack the event.
 */
#define REPLICA_MARGIN_MS	60000
#define REPLICA_RETRY_MS	5000	/* after a failure of the replica's */

/* The trainer's side; zero it, then set dir. */
struct replica_pub {
	const char	*dir;		/* the published directory */
	int64_t		 published;	/* version in CURRENT; 0: unknown */
};

/*
 * Publish the current version of the database db (models role) under
 * data_dir when it is not the one published (a promotion, a rollback).
 * Returns 1 (published), 0 (nothing to do) or -1 (logged; tried again
 * next time).
 */
int	replica_publish(struct replica_pub *p, sqlite3 *db,
	    const char *data_dir);

/*
 * The replica's side; zero it, then set dir and movie_ids: the ids of n
 * movies by spelling in the replica's catalogue, new ones made and
 * committed (ingest_movie_ids), 0 or -1.
 */
struct replica_sub {
	const char	*dir;
	int		(*movie_ids)(void *arg, char *const *slugs, size_t n,
			    int32_t *ids);
	void		*arg;
	char		 refused[64];	/* a version refused: not again */
	int64_t		 refused_mtime;	/* ... unless its manifest changes (ns) */
	uint64_t	 imports, refusals;	/* since start */
	int64_t		 retry_ms;	/* a failure of this node's: not
					   before then (monotonic) */
	char		 seen[64];	/* the published version last found */
	int64_t		 seen_mtime;	/* ... its manifest's time (ns) */
	int64_t		 seen_have;	/* ... served as this local version */
	int64_t		 version;	/* the one served, 0: none yet */
};

/*
 * Follow the published directory: when CURRENT names a version the one
 * served is no copy of (its manifest, kept beside the copy, says which),
 * check it, copy it with this replica's movie ids and make it current in
 * db (models role) under data_dir, by the trainer's version id unless the
 * database has another version by that id (then one of its own);
 * recorded in lifecycle_log as "follow", or "follow-refused" with the
 * reason when the version fails a check (not tried again until its
 * manifest changes).  A failure of this node's (memory, disk, database,
 * its writer) is tried again REPLICA_RETRY_MS later.  Returns 1 (a new
 * version serves), 0 (nothing new), -1 (refused or failed; logged).
 */
int	replica_follow(struct replica_sub *r, sqlite3 *db,
	    const char *data_dir);

#endif
