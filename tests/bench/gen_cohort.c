/*
 * bench-cohort: writes a seeded synthetic cohort (cohort.h) to stdout, one
 * record a line, for the Python and Lua benchmarks and for anyone who wants
 * to screen one by hand:
 *
 *   bench-cohort [--seed S] [--format nested|flat|lua] N
 *   bench-cohort --seed 1 1000 | mesoscreen screen -
 */
#include "cohort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	unsigned long long seed = 20261121;
	int format = COHORT_NESTED, i;
	long n = -1;
	cohort_rng rng;
	char buf[8192];

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			const char *f = argv[++i];
			if (strcmp(f, "nested") == 0)
				format = COHORT_NESTED;
			else if (strcmp(f, "flat") == 0)
				format = COHORT_FLAT;
			else if (strcmp(f, "lua") == 0)
				format = COHORT_LUA;
			else
				goto usage;
		} else if (argv[i][0] != '-' && n < 0) {
			n = strtol(argv[i], NULL, 10);
		} else {
			goto usage;
		}
	}
	if (n < 0)
		goto usage;
	cohort_seed(&rng, seed);
	for (long k = 0; k < n; k++) {
		size_t len = cohort_record(&rng, format, buf, sizeof buf);
		if (len == 0) {
			fprintf(stderr, "bench-cohort: a record did not fit\n");
			return 2;
		}
		buf[len] = '\n';
		if (fwrite(buf, 1, len + 1, stdout) != len + 1) {
			perror("bench-cohort");
			return 2;
		}
	}
	return fflush(stdout) ? 2 : 0;
usage:
	fputs("usage: bench-cohort [--seed S] [--format nested|flat|lua] N\n", stderr);
	return 2;
}
