/*
 * Benchmark: C, screen one parsed patient + plan against the built-in rule
 * set (msc_screen into a reused result). Goal: median <= 250 ns per record,
 * and no allocation once the result has grown (counted with a counting
 * msc_set_allocator() over every timed repetition: must print 0).
 *
 * The cohort: 1,000 seeded records (cohort.h), parsed once; each
 * repetition screens the whole cohort enough times to last ~0.1 s.
 * Environment: BENCH_REPS (default 11), BENCH_MILLIS per repetition
 * (default 100), BENCH_PASSES (fixed passes per repetition instead, e.g.
 * under callgrind), BENCH_SEED, BENCH_SMOKE (bench.h).
 */
#define MSC_BENCH_WITH_LIBRARY
#include "bench.h"

#define COHORT 1000

/* One pass over the cohort: the timed loop (and callgrind's
 * --toggle-collect=screen_pass, see docs/performance.md). */
static __attribute__((noinline)) void screen_pass(msc_result *res, const msc_rules *rules, msc_record **recs)
{
	size_t i;

	for (i = 0; i < COHORT; i++)
		msc_screen(res, rules, recs[i]);
}

int main(void)
{
	size_t reps = (size_t)bench_env_long("BENCH_REPS", (long)bench_size(11, 1));
	double target = (double)bench_env_long("BENCH_MILLIS", (long)bench_size(100, 5)) / 1000.0;
	uint64_t seed = (uint64_t)bench_env_long("BENCH_SEED", 20261121);
	msc_rules *rules;
	msc_result *res;
	msc_record **recs, *one;
	size_t counts[5] = { 0 }, i, r, passes, allocs;
	double *ns = calloc(reps, sizeof *ns), t0;
	static const char readme[] =
		"{\"patient\": {\"pregnant\": false, \"medications\": [\"aspirin 100 mg\", \"Eliquis\"],"
		" \"allergies\": [\"lidocaine\"], \"hair_transplant_months_ago\": 3, \"conditions\": [\"Z39.1\"]},"
		" \"plan\": {\"area\": \"scalp\", \"ingredients\": [\"biotin\", \"lidocaine\"],"
		" \"numbing_cream\": true, \"depth_mm\": 2.5}}";

	bench_count_allocations();
	bench_machine("C msc_screen (parsed record, reused result)");
	if (!ns || msc_rules_builtin(&rules) || msc_result_new(&res))
		BENCH_DIE("set-up: %s", msc_error_message());
	recs = bench_parse_cohort(rules, seed, COHORT);

	/* warm-up: grows the result to fit every record; checks every screening */
	for (i = 0; i < COHORT; i++) {
		if (msc_screen(res, rules, recs[i]) != MSC_OK)
			BENCH_DIE("msc_screen: %s", msc_error_message());
		counts[msc_result_verdict(res)]++;
	}
	bench_print_mix("(seeded)", counts, COHORT);

	/* calibration: passes over the cohort per repetition */
	t0 = bench_now();
	passes = 0;
	do {
		for (i = 0; i < COHORT; i++)
			msc_screen(res, rules, recs[i]);
		passes++;
	} while (bench_now() - t0 < target / 4);
	passes = (size_t)(passes * 4 * (target / (bench_now() - t0))) + 1;
	passes = (size_t)bench_env_long("BENCH_PASSES", (long)passes); /* fixed, e.g. under callgrind */

	allocs = bench_allocs;
	for (r = 0; r < reps; r++) {
		size_t p;
		t0 = bench_now();
		for (p = 0; p < passes; p++)
			screen_pass(res, rules, recs);
		ns[r] = (bench_now() - t0) * 1e9 / (double)(passes * COHORT);
	}
	allocs = bench_allocs - allocs;
	printf("# %zu repetitions x %zu passes x %d records\n", reps, passes, COHORT);
	bench_report("C screen one parsed patient+plan (built-in rules, seeded cohort)", ns, reps,
		     "ns/record", BENCH_AT_MOST, 250);
	bench_report_value("C allocations while screening with a reused result (after warm-up)",
			   (double)allocs, "allocations", BENCH_AT_MOST, 0);

	/* the README's record, screened again and again (all caches warm) */
	if (msc_record_new(&one, rules) || msc_record_from_json(one, readme, sizeof readme - 1))
		BENCH_DIE("README record: %s", msc_error_message());
	msc_screen(res, rules, one);
	for (r = 0; r < reps; r++) {
		size_t k, n = passes * COHORT;
		t0 = bench_now();
		for (k = 0; k < n; k++)
			msc_screen(res, rules, one);
		ns[r] = (bench_now() - t0) * 1e9 / (double)n;
	}
	bench_report("C screen the README record repeatedly (a worst case: 4 findings)", ns, reps,
		     "ns/record", BENCH_NO_GOAL, 0);

	msc_record_free(one);
	bench_free_cohort(recs, COHORT);
	msc_result_free(res);
	msc_rules_free(rules);
	free(ns);
	return 0;
}
