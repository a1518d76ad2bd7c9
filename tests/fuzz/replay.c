/*
 * Replays inputs through a fuzz target's LLVMFuzzerTestOneInput(), without
 * libFuzzer, so that the seed corpora and the crash regressions run as
 * ordinary tests in every build (gcc included). Output is TAP.
 *
 *   fuzz-replay-record tests/fuzz/corpus/record             every file, sorted by name
 *   fuzz-replay-record --optional tests/fuzz/regressions/record
 *   fuzz-replay-record crash-0123abcd                        one input
 *
 * A directory given after --optional may be missing or empty (then the
 * test is skipped); any other argument must exist. A target aborts on a
 * finding, so a failing input is the last "# replaying" line printed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char **paths;
static size_t npaths, cap;

#if defined(__GNUC__)
__attribute__((noreturn))
#endif
static void die(const char *what, const char *path)
{
	printf("Bail out! %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void add_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p;
	if (npaths == cap) {
		char **np;
		cap = cap ? 2 * cap : 64;
		np = realloc(paths, cap * sizeof(*paths));
		if (!np)
			die("out of memory for", dir);
		paths = np;
	}
	p = malloc(n);
	if (!p)
		die("out of memory for", dir);
	if (name[0])
		snprintf(p, n, "%s/%s", dir, name);
	else
		snprintf(p, n, "%s", dir);
	paths[npaths++] = p;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds every regular file of `dir` whose name does not start with '.'. */
static void add_dir(const char *dir, int optional)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d) {
		if (optional && errno == ENOENT)
			return;
		die("cannot open", dir);
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		size_t first = npaths;
		if (e->d_name[0] == '.')
			continue;
		add_path(dir, e->d_name);
		if (stat(paths[first], &st) != 0 || !S_ISREG(st.st_mode)) {
			free(paths[first]);
			npaths--;
		}
	}
	closedir(d);
}

static void replay(const char *path, size_t index)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n = 0;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		die("cannot read", path);
	/* exactly the input's size, so that a sanitizer sees any over-read */
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("cannot read", path);
	fclose(f);
	printf("# replaying %s (%ld bytes)\n", path, n);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	printf("ok %zu - %s\n", index + 1, path);
}

int main(int argc, char **argv)
{
	int i, optional = 0;
	size_t k;

	for (i = 1; i < argc; i++) {
		struct stat st;
		if (strcmp(argv[i], "--optional") == 0) {
			optional = 1;
			continue;
		}
		if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode)) {
			add_path(argv[i], "");
		} else {
			size_t before = npaths;
			add_dir(argv[i], optional);
			if (npaths > before) /* qsort(NULL, 0) is undefined */
				qsort(paths + before, npaths - before, sizeof(*paths), by_name);
			if (!optional && npaths == before) {
				printf("Bail out! no inputs in %s\n", argv[i]);
				return 1;
			}
		}
		optional = 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s [--optional] DIR|FILE...\n", argv[0]);
		return 2;
	}
	if (npaths == 0) {
		printf("1..0 # SKIP no inputs to replay\n");
		return 0;
	}
	printf("1..%zu\n", npaths);
	for (k = 0; k < npaths; k++)
		replay(paths[k], k);
	printf("# %zu inputs replayed\n", npaths);
	for (k = 0; k < npaths; k++)
		free(paths[k]);
	free(paths);
	return 0;
}
