/*
 * The data dir's writer lock: one process tree writes a data dir at a time.
 * <data_dir>/cinerec.lock is held with flock(LOCK_EX) for the life of the
 * process and of the children that inherit the descriptor (Kore's workers),
 * so the kernel releases it when the last of them exits, however they end.
 * The file holds the holder's pid and command, for the error a second
 * writer prints.
 */
#ifndef CINEREC_LOCK_H
#define CINEREC_LOCK_H

#include <sys/types.h>

#define LOCK_FILE	"cinerec.lock"	/* in the data dir */
#define LOCK_WAIT_MS	5000	/* for a holder that is exiting */

/*
 * Take the lock of data_dir (created if missing) for what (a command name,
 * recorded).  A holder whose recorded process has exited (its workers are
 * going down with it) is waited for up to LOCK_WAIT_MS.  Returns the
 * descriptor that holds the lock (keep it open; it is not close-on-exec),
 * or -1 after printing one line naming the holder's pid to stderr.
 */
int	lock_take(const char *data_dir, const char *what);

/*
 * Who holds the lock of data_dir?  Returns 1 (pid and what filled), 0 when
 * nobody does, -1 when it cannot be told.
 */
int	lock_holder(const char *data_dir, pid_t *pid, char *what, size_t sz);

#endif
