/*
 * `cinerec backup FILE` and `cinerec restore FILE` (store/backup.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "settings/config.h"
#include "store/backup.h"
#include "store/lock.h"

static const struct opts_cmd	backup_cmd = {
	"cinerec backup", "FILE",
	"Copy the database to FILE with SQLite's online backup API: one read\n"
	"snapshot, also while the server runs and writes; the copy is\n"
	"checked, synced and renamed into place.  Model files are not in it."
};

static const struct opts_cmd	restore_cmd = {
	"cinerec restore", "FILE",
	"Replace the database with the backup FILE, after checking it.\n"
	"Refused while a server (or an import) holds the data dir.  The\n"
	"replaced database is kept as cinerec.db.before-restore."
};

/* --data-dir and one FILE: the file, or NULL with *rc the exit status. */
static const char *
file_opts(int argc, char **argv, const struct opts_cmd *cmd, struct cfg *c,
    int *rc)
{
	const struct opt	 o[] = { DATA_DIR_OPT(c) };
	char			*file[1];
	int			 n;

	cfg_defaults(c);
	*rc = opts_parse(argc, argv, o, NELEM(o), OPTS_PASS_ALL, file, 1, &n);
	if ((*rc = opts_done(*rc, cmd, o, NELEM(o))) != -1)
		return (NULL);
	if (n != 1) {
		opts_usage(stderr, cmd, o, NELEM(o));
		*rc = 2;
		return (NULL);
	}
	return (file[0]);
}

int
cmd_backup(int argc, char **argv)
{
	struct cfg	 c;
	const char	*file;
	int		 rc;

	if ((file = file_opts(argc, argv, &backup_cmd, &c, &rc)) == NULL)
		return (rc);
	return (backup_save(c.data_dir, file) == 0 ? 0 : 1);
}

int
cmd_restore(int argc, char **argv)
{
	struct cfg	 c;
	const char	*file;
	int		 rc;

	if ((file = file_opts(argc, argv, &restore_cmd, &c, &rc)) == NULL)
		return (rc);
	if (access(file, R_OK) == -1) {
		fprintf(stderr, "cinerec: %s: %s\n", file, strerror(errno));
		return (1);
	}
	/* Never under a running server: it holds the lock. */
	if (lock_take(c.data_dir, "restore") == -1)
		return (1);
	return (backup_restore(c.data_dir, file) == 0 ? 0 : 1);
}
