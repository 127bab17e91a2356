/*
 * Replays fuzz inputs through a target's LLVMFuzzerTestOneInput without
 * libFuzzer, so `make test` (gcc, and the ASan build) runs every seed and
 * every crash ever found: `replay DIR...` feeds each regular file below the
 * directories once; a missing directory is skipped.  Exits non-zero only
 * if the target aborts (it then never returns).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
one(const char *path)
{
	FILE	*fp;
	uint8_t	*buf;
	long	 len;

	if ((fp = fopen(path, "rb")) == NULL)
		return (0);
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)len + 1)) == NULL) {
		fclose(fp);
		return (0);
	}
	if (fread(buf, 1, (size_t)len, fp) == (size_t)len)
		(void)LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	fclose(fp);
	return (1);
}

static int
walk(const char *dir)
{
	struct dirent	*e;
	struct stat	 sb;
	char		 path[4096];
	DIR		*d;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (0);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			n += walk(path);
		else if (S_ISREG(sb.st_mode))
			n += one(path);
	}
	closedir(d);
	return (n);
}

int
main(int argc, char **argv)
{
	int	i, n = 0;

	for (i = 1; i < argc; i++)
		n += walk(argv[i]);
	printf("%s: %d inputs replayed\n", argv[0], n);
	return (0);
}
