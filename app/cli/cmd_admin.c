/*
 * `cinerec admin add|passwd|del|list`: the dashboard's accounts, from the
 * command line (no server needed; the database's own locking).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "admin/admin.h"
#include "admin/auth.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "settings/config.h"
#include "store/store.h"
#include "util/clock.h"

static const struct opts_cmd	admin_cmd = {
	"cinerec admin", "add|passwd|del|list [NAME]",
	"Manage the admin dashboard's accounts.  add and passwd read the\n"
	"password from the terminal (twice), or the first line of standard\n"
	"input when it is not a terminal; passwd logs the account out\n"
	"everywhere; del refuses to remove the last account."
};

/*
 * A password: prompted twice without echo on a terminal, else the first
 * line of standard input.  Returns 0 or -1 (message printed).
 */
static int
read_password(char *pw, size_t sz, int confirm)
{
	struct termios	 old, quiet;
	char		 again[AUTH_PW_MAX + 2];
	int		 tty = isatty(STDIN_FILENO), ok = 1;

	if (tty) {
		if (tcgetattr(STDIN_FILENO, &old) == -1)
			return (-1);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		fprintf(stderr, "password: ");
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (fgets(pw, (int)sz, stdin) == NULL)
		ok = 0;
	if (ok && tty && confirm) {
		fprintf(stderr, "again: ");
		if (fgets(again, sizeof(again), stdin) == NULL ||
		    strcmp(again, pw) != 0) {
			fprintf(stderr, "cinerec: the passwords differ\n");
			ok = 0;
		}
		sodium_memzero(again, sizeof(again));
	}
	if (tty)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	if (!ok) {
		sodium_memzero(pw, sz);
		if (!tty || confirm == 0)
			fprintf(stderr, "cinerec: no password given\n");
		return (-1);
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	return (0);
}

static int
admin_list(sqlite3 *db)
{
	sqlite3_stmt	*st;
	char		 c[32], l[32];

	if (sqlite3_prepare_v2(db, "SELECT name, created_ms, last_login_ms, "
	    "(SELECT COUNT(*) FROM sessions s WHERE s.admin_id = a.id) "
	    "FROM admins a ORDER BY name", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "cinerec: %s\n", sqlite3_errmsg(db));
		return (1);
	}
	printf("%-24s %-24s %-24s %s\n", "NAME", "CREATED", "LAST LOGIN",
	    "SESSIONS");
	while (sqlite3_step(st) == SQLITE_ROW) {
		clock_format(sqlite3_column_int64(st, 1), c, sizeof(c));
		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			snprintf(l, sizeof(l), "never");
		else
			clock_format(sqlite3_column_int64(st, 2), l, sizeof(l));
		printf("%-24s %-24s %-24s %d\n", sqlite3_column_text(st, 0), c,
		    l, sqlite3_column_int(st, 3));
	}
	sqlite3_finalize(st);
	return (0);
}

int
cmd_admin(int argc, char **argv)
{
	struct store	 st;
	struct cfg	 c;
	const struct opt o[] = {
		{ "data-dir", OPT_SETTING, &c, "DIR",
		    "the data directory (./var)", 0, 0, 0 },
	};
	const char	*verb, *name;
	char		*ops[2];
	char		 pw[AUTH_PW_MAX + 2], hash[AUTH_HASH_MAX], err[128];
	char		 path[PATH_MAX], detail[128];
	int		 rc, r, nops;

	cfg_defaults(&c);
	rc = opts_parse(argc, argv, o, NELEM(o), OPTS_PASS_ALL, ops, 2, &nops);
	if ((rc = opts_done(rc, &admin_cmd, o, NELEM(o))) != -1)
		return (rc);
	rc = 1;
	verb = nops > 0 ? ops[0] : "";
	name = nops > 1 ? ops[1] : NULL;
	if ((strcmp(verb, "list") == 0) != (name == NULL) ||
	    (strcmp(verb, "add") != 0 && strcmp(verb, "passwd") != 0 &&
	    strcmp(verb, "del") != 0 && strcmp(verb, "list") != 0)) {
		opts_usage(stderr, &admin_cmd, o, NELEM(o));
		return (2);
	}
	if (name != NULL && !auth_name_ok(name)) {
		fprintf(stderr, "cinerec: an account name is 1 to %d of "
		    "A-Z a-z 0-9 . _ -\n", AUTH_NAME_MAX - 1);
		return (2);
	}
	if (sodium_init() < 0 || store_open(&st, c.data_dir,
	    STORE_CREATE | STORE_ROLE_ADMIN) == -1)
		return (1);
	if (strcmp(verb, "list") == 0) {
		rc = admin_list(st.db);
		goto out;
	}
	if (strcmp(verb, "del") == 0) {
		if (auth_admin_count(st.db) == 1 &&
		    auth_admin_get(st.db, name, &(int64_t){ 0 }, hash,
		    sizeof(hash)) == 0) {
			fprintf(stderr, "cinerec: %s is the last account: add "
			    "another one first\n", name);
			goto out;
		}
		if ((r = auth_admin_del(st.db, name)) == AUTH_NOTFOUND)
			fprintf(stderr, "cinerec: no account %s\n", name);
		else if (r == 0) {
			(void)auth_audit(st.db, clock_now_ms(), "cli",
			    "account deleted", name, NULL);
			printf("deleted %s (and its sessions)\n", name);
			rc = 0;
		}
		goto out;
	}
	/* add, passwd */
	if (read_password(pw, sizeof(pw), 1) == -1)
		goto out;
	if (auth_password_ok(pw, err, sizeof(err)) == -1) {
		fprintf(stderr, "cinerec: %s\n", err);
		sodium_memzero(pw, sizeof(pw));
		goto out;
	}
	r = auth_hash_password(pw, hash);
	sodium_memzero(pw, sizeof(pw));
	if (r == -1)
		goto out;
	if (strcmp(verb, "add") == 0)
		r = auth_admin_add(st.db, name, hash, clock_now_ms());
	else
		r = auth_admin_passwd(st.db, name, hash, clock_now_ms());
	if (r == AUTH_EXISTS)
		fprintf(stderr, "cinerec: account %s exists (use passwd)\n",
		    name);
	else if (r == AUTH_NOTFOUND)
		fprintf(stderr, "cinerec: no account %s (use add)\n", name);
	else if (r == 0) {
		snprintf(detail, sizeof(detail), "%s", name);
		(void)auth_audit(st.db, clock_now_ms(), "cli",
		    strcmp(verb, "add") == 0 ? "account created" :
		    "password changed", detail, NULL);
		printf("%s %s\n", strcmp(verb, "add") == 0 ? "added" :
		    "changed the password of (and logged out)", name);
		/* The initial password is no longer the password. */
		if (strcmp(verb, "passwd") == 0 && strcmp(name, "admin") == 0 &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", c.data_dir,
		    ADMIN_INITIAL_PW) < sizeof(path) && unlink(path) == 0)
			printf("removed %s\n", path);
		rc = 0;
	}
out:
	store_close(&st);
	return (rc);
}
