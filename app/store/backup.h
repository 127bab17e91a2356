/*
 * Online backup and restore of the database.  A backup is one SQLite file,
 * copied with SQLite's online backup API from a read snapshot, so a server
 * can go on writing meanwhile; a restore needs the data dir's lock (no
 * server may run) and keeps the database it replaces beside it.  Model
 * files are not in a backup: a restored database whose current model file
 * is missing gets no current model, so the server trains one at start.
 */
#ifndef CINEREC_BACKUP_H
#define CINEREC_BACKUP_H

#define BACKUP_PREVIOUS	"cinerec.db.before-restore"	/* in the data dir */

/*
 * Copy the database of data_dir to file (a temporary file beside it,
 * checked, synced, then renamed).  Returns 0, or -1 with a message on
 * stderr.  Prints a one-line summary on stdout.
 */
int	backup_save(const char *data_dir, const char *file);

/*
 * Replace the database of data_dir with file, after checking that file is
 * a cinerec database this binary can use.  The caller holds the data dir's
 * lock.  Returns 0, or -1 with a message on stderr (nothing changed).
 */
int	backup_restore(const char *data_dir, const char *file);

#endif
