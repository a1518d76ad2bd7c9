/*
 * libmesoscreen benchmarks - what every C benchmark shares: a monotonic
 * clock, min/median of repetitions, the machine line and the figure line.
 *
 * Output (the same in the C, Python and Lua benchmarks):
 *   # machine: x86_64 | AMD EPYC | nproc 2 | build release | ...
 *   [PASS] <figure>: median <v> <unit> (min <v>, N=<n>); goal <op> <g> <unit>
 *   [INFO] <figure>: median <v> <unit> (min <v>, N=<n>)
 * A goal that is not met prints [MISS]; the program still exits 0 (it
 * exits non-zero only on an error), so a slow machine never fails a build.
 */
#ifndef MSC_BENCH_H
#define MSC_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef BENCH_BUILDTYPE
#define BENCH_BUILDTYPE "unknown"
#endif

static inline double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts v in place; returns the median (mean of the middle two if n even). */
static inline double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * A smoke run (BENCH_SMOKE set, and not "0"), as the test suite's
 * bench-smoke-* tests make one (tests/bench/smoke.py): tiny cohorts and few
 * repetitions, to show that the benchmark runs and prints every figure. Its
 * figures mean nothing; bench_machine() says so in the log, and summary.py
 * refuses such a log.
 */
static inline int bench_smoke(void)
{
	const char *s = getenv("BENCH_SMOKE");
	return s && *s && strcmp(s, "0") != 0;
}

/* `full`, or `smoke` in a smoke run: a size or a count of the benchmark. */
static inline size_t bench_size(size_t full, size_t smoke)
{
	return bench_smoke() ? smoke : full;
}

/* The line that says a log is a smoke run's (summary.py looks for it). */
#define BENCH_SMOKE_LINE "# smoke run (BENCH_SMOKE): tiny cohorts, few repetitions; the figures mean nothing"

static inline void bench_machine(const char *what)
{
	struct utsname u;
	char model[256] = "unknown", line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f) {
		while (fgets(line, sizeof line, f)) {
			if (strncmp(line, "model name", 10) == 0) {
				char *p = strchr(line, ':');
				if (p) {
					p++;
					while (*p == ' ' || *p == '\t')
						p++;
					p[strcspn(p, "\n")] = 0;
					snprintf(model, sizeof model, "%s", p);
				}
				break;
			}
		}
		fclose(f);
	}
	if (uname(&u) != 0)
		strcpy(u.machine, "unknown");
	printf("# machine: %s | %s | nproc %ld | build %s | %s", u.machine, model,
	       sysconf(_SC_NPROCESSORS_ONLN), BENCH_BUILDTYPE, what);
#if defined(__clang__)
	printf(" | clang %d.%d", __clang_major__, __clang_minor__);
#elif defined(__GNUC__)
	printf(" | gcc %d.%d", __GNUC__, __GNUC_MINOR__);
#endif
	printf("\n");
	if (bench_smoke())
		printf("%s\n", BENCH_SMOKE_LINE);
	fflush(stdout);
}

enum { BENCH_AT_MOST, BENCH_AT_LEAST, BENCH_NO_GOAL };

/*
 * Prints one figure from n repetitions (sorted in place) and returns 1 if
 * the goal is met (or there is none). `goal_kind` BENCH_AT_MOST: the median
 * must be <= goal; BENCH_AT_LEAST: >= goal (for rates, "min" is then the
 * best, i.e. the highest, repetition).
 */
static inline int bench_report(const char *figure, double *v, size_t n, const char *unit,
			       int goal_kind, double goal)
{
	double med = bench_median(v, n);
	double best = goal_kind == BENCH_AT_LEAST ? v[n - 1] : v[0];
	int ok = goal_kind == BENCH_NO_GOAL || (goal_kind == BENCH_AT_MOST ? med <= goal : med >= goal);

	printf("[%s] %s: median %.4g %s (%s %.4g, N=%zu)", goal_kind == BENCH_NO_GOAL ? "INFO" : ok ? "PASS" : "MISS",
	       figure, med, unit, goal_kind == BENCH_AT_LEAST ? "best" : "min", best, n);
	if (goal_kind != BENCH_NO_GOAL)
		printf("; goal %s %.4g %s", goal_kind == BENCH_AT_MOST ? "<=" : ">=", goal, unit);
	printf("\n");
	fflush(stdout);
	return ok;
}

/* A single derived value (a ratio of medians) against a goal. */
static inline int bench_report_value(const char *figure, double value, const char *unit,
				     int goal_kind, double goal)
{
	int ok = goal_kind == BENCH_NO_GOAL || (goal_kind == BENCH_AT_MOST ? value <= goal : value >= goal);

	printf("[%s] %s: %.4g %s", goal_kind == BENCH_NO_GOAL ? "INFO" : ok ? "PASS" : "MISS",
	       figure, value, unit);
	if (goal_kind != BENCH_NO_GOAL)
		printf("; goal %s %.4g %s", goal_kind == BENCH_AT_MOST ? "<=" : ">=", goal, unit);
	printf("\n");
	fflush(stdout);
	return ok;
}

/* Reads an optional positive integer from the environment (e.g. BENCH_REPS);
 * `fallback` if it is unset or not one. */
static inline long bench_env_long(const char *name, long fallback)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return fallback;
	v = strtol(s, &end, 10);
	return (*end || v <= 0) ? fallback : v;
}

#define BENCH_DIE(...) do { fprintf(stderr, "bench: " __VA_ARGS__); fputc('\n', stderr); exit(2); } while (0)

#ifdef MSC_BENCH_WITH_LIBRARY
#include <mesoscreen/mesoscreen.h>
#include "cohort.h"

/* ------------------------------------------------------------ counting allocator */

/* Every allocation the library (and jansson) makes, counted. */
static size_t bench_allocs;

static void *bench_malloc(size_t n, void *ctx)
{
	(void)ctx;
	bench_allocs++;
	return malloc(n);
}

static void *bench_realloc(void *p, size_t n, void *ctx)
{
	(void)ctx;
	bench_allocs++;
	return realloc(p, n);
}

static void bench_free(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

/* Installs the counting allocator: call it first, before any msc_ call. */
static inline void bench_count_allocations(void)
{
	static const msc_allocator a = { MSC_ALLOCATOR_VERSION, bench_malloc, bench_realloc, bench_free, NULL };
	if (msc_set_allocator(&a) != MSC_OK)
		BENCH_DIE("msc_set_allocator: %s", msc_error_message());
}

/* ------------------------------------------------------------ cohorts */

/*
 * n records of the seeded cohort, parsed (msc_record_from_json) for rules.
 * Records the library refuses would be a generator bug: fatal.
 */
static inline msc_record **bench_parse_cohort(const msc_rules *rules, uint64_t seed, size_t n)
{
	size_t len, i;
	char *text = cohort_lines(seed, n, COHORT_NESTED, &len);
	size_t *off = text ? cohort_offsets(text, len, n) : NULL;
	msc_record **recs = calloc(n, sizeof *recs);

	if (!text || !off || !recs)
		BENCH_DIE("out of memory");
	for (i = 0; i < n; i++) {
		if (msc_record_new(&recs[i], rules) != MSC_OK)
			BENCH_DIE("msc_record_new: %s", msc_error_message());
		if (msc_record_from_json(recs[i], text + off[i], off[i + 1] - off[i] - 1) != MSC_OK)
			BENCH_DIE("record %zu refused: %s: %.*s", i, msc_error_message(),
				  (int)(off[i + 1] - off[i] - 1), text + off[i]);
	}
	free(off);
	free(text);
	return recs;
}

static inline void bench_free_cohort(msc_record **recs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		msc_record_free(recs[i]);
	free(recs);
}

/* The verdict mix of a cohort, printed as an INFO line (shows the mixture). */
static inline void bench_print_mix(const char *what, const size_t counts[5], size_t n)
{
	printf("# cohort %s: %zu records: clear %.0f%%, caution %.0f%%, incomplete %.0f%%, defer %.0f%%, contraindicated %.0f%%\n",
	       what, n, 100.0 * counts[0] / n, 100.0 * counts[1] / n, 100.0 * counts[2] / n,
	       100.0 * counts[3] / n, 100.0 * counts[4] / n);
}
#endif

#endif
