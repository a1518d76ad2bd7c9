/*
 * Benchmark: C, a JSON intake record in -> result JSON out
 * (msc_record_from_json + msc_screen + msc_result_to_json + msc_free, into
 * a reused record and result). Goal: median <= 20 us per record.
 *
 * Also, as INFO, where that time goes (each step alone) and the batch API
 * (batch.h) over the same cohort as JSON Lines, with and without
 * MSC_BATCH_KEEP_JSON (the CLI keeps the JSON), and the batch API's
 * speed-up in 2 threads (goal >= 1.7x: the median of paired ratios, see
 * below). Environment: BENCH_REPS (default 9), BENCH_SEED, BENCH_SMOKE (bench.h).
 */
#define MSC_BENCH_WITH_LIBRARY
#include "bench.h"

#include <pthread.h>

#define COHORT 5000

/* One thread's share of a two-thread batch run: its own batch, the shared rule set. */
typedef struct share {
	const msc_rules *rules;
	const char *text;
	size_t len;
	int calls;
} share;

static void *screen_share(void *arg)
{
	share *s = arg;
	msc_batch *batch;
	int k;

	if (msc_batch_new(&batch, s->rules, 0))
		return NULL;
	for (k = 0; k < s->calls; k++)
		msc_batch_screen_lines(batch, s->text, s->len);
	msc_batch_free(batch);
	return NULL;
}

/* Pure arithmetic, ~0.2 s: the control for the thread ratios. */
static void *spin(void *arg)
{
	volatile unsigned long x = 0;
	unsigned long i, n = bench_size(400000000ul, 1000000ul);

	for (i = 0; i < n; i++)
		x += i;
	(void)x; /* read, so that the loop is not "set but not used" */
	return arg;
}

/* Seconds for `threads` threads (1 or 2) to spin once each. */
static double spin_pair(int threads)
{
	pthread_t t[2];
	double t0 = bench_now();
	int i;

	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, spin, NULL))
			BENCH_DIE("pthread_create failed");
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return bench_now() - t0;
}

/* Seconds to screen the cohort `calls` times split over `threads` threads (1 or 2). */
static double threaded(const msc_rules *rules, const char *text, size_t len, const size_t *off, int threads, int calls)
{
	share sh[2];
	pthread_t t[2];
	double t0;
	int i;

	sh[0] = (share){ rules, text, threads == 1 ? len : off[COHORT / 2], calls };
	sh[1] = (share){ rules, text + off[COHORT / 2], len - off[COHORT / 2], calls };
	t0 = bench_now();
	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, screen_share, &sh[i]))
			BENCH_DIE("pthread_create failed");
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return bench_now() - t0;
}

int main(void)
{
	size_t reps = (size_t)bench_env_long("BENCH_REPS", (long)bench_size(9, 1));
	uint64_t seed = (uint64_t)bench_env_long("BENCH_SEED", 20261121);
	msc_rules *rules;
	msc_record *rec;
	msc_result *res;
	msc_batch *batch;
	size_t len, i, r, out_bytes = 0;
	char *text, *json;
	size_t *off;
	double *v = calloc(reps, sizeof *v), t0;
	double med_parse, med_screen, med_out, med_all;

	bench_machine("C JSON record in -> result JSON out");
	if (!v || msc_rules_builtin(&rules) || msc_record_new(&rec, rules) || msc_result_new(&res))
		BENCH_DIE("set-up: %s", msc_error_message());
	text = cohort_lines(seed, COHORT, COHORT_NESTED, &len);
	off = text ? cohort_offsets(text, len, COHORT) : NULL;
	if (!off)
		BENCH_DIE("out of memory");
	printf("# cohort: %d records, %.0f bytes/record of JSON\n", COHORT, (double)len / COHORT);

#define LINE(i) text + off[i], off[(i) + 1] - off[i] - 1
	/* warm-up and check */
	for (i = 0; i < COHORT; i++) {
		size_t n;
		if (msc_record_from_json(rec, LINE(i)) || msc_screen(res, rules, rec) ||
		    msc_result_to_json(&json, &n, res))
			BENCH_DIE("record %zu: %s", i, msc_error_message());
		out_bytes += n;
		msc_free(json);
	}
	printf("# result JSON: %.0f bytes/record\n", (double)out_bytes / COHORT);

	for (r = 0; r < reps; r++) {
		t0 = bench_now();
		for (i = 0; i < COHORT; i++) {
			msc_record_from_json(rec, LINE(i));
			msc_screen(res, rules, rec);
			msc_result_to_json(&json, NULL, res);
			msc_free(json);
		}
		v[r] = (bench_now() - t0) * 1e6 / COHORT;
	}
	bench_report("C JSON record in -> result JSON out (from_json+screen+to_json)", v, reps,
		     "us/record", BENCH_AT_MOST, 20);
	med_all = v[reps / 2];

	/* where the time goes: each step alone */
	for (r = 0; r < reps; r++) {
		t0 = bench_now();
		for (i = 0; i < COHORT; i++)
			msc_record_from_json(rec, LINE(i));
		v[r] = (bench_now() - t0) * 1e6 / COHORT;
	}
	bench_report("  step: msc_record_from_json", v, reps, "us/record", BENCH_NO_GOAL, 0);
	med_parse = v[reps / 2];

	{
		msc_record **recs = bench_parse_cohort(rules, seed, COHORT);
		for (r = 0; r < reps; r++) {
			t0 = bench_now();
			for (i = 0; i < COHORT; i++)
				msc_screen(res, rules, recs[i]);
			v[r] = (bench_now() - t0) * 1e6 / COHORT;
		}
		bench_report("  step: msc_screen", v, reps, "us/record", BENCH_NO_GOAL, 0);
		med_screen = v[reps / 2];

		/* results differ per record: screen outside the clock, time to_json only */
		for (r = 0; r < reps; r++) {
			double sum = 0;
			for (i = 0; i < COHORT; i++) {
				msc_screen(res, rules, recs[i]);
				t0 = bench_now();
				msc_result_to_json(&json, NULL, res);
				msc_free(json);
				sum += bench_now() - t0;
			}
			v[r] = sum * 1e6 / COHORT;
		}
		bench_report("  step: msc_result_to_json + msc_free", v, reps, "us/record", BENCH_NO_GOAL, 0);
		med_out = v[reps / 2];
		bench_free_cohort(recs, COHORT);
	}
	printf("# shares of the steps' sum: from_json %.0f%%, screen %.0f%%, to_json %.0f%% (end to end %.3g us)\n",
	       100 * med_parse / (med_parse + med_screen + med_out),
	       100 * med_screen / (med_parse + med_screen + med_out),
	       100 * med_out / (med_parse + med_screen + med_out), med_all);

	/* the batch API over the same cohort as JSON Lines */
	{
		static const struct { unsigned flags; const char *name; } modes[] = {
			{ 0, "C batch API, JSON Lines in -> verdicts and fired rules" },
			{ MSC_BATCH_KEEP_JSON, "C batch API, JSON Lines in -> result JSON kept (the CLI's path)" },
		};
		size_t m;
		for (m = 0; m < 2; m++) {
			if (msc_batch_new(&batch, rules, modes[m].flags))
				BENCH_DIE("msc_batch_new: %s", msc_error_message());
			if (msc_batch_screen_lines(batch, text, len) || msc_batch_count(batch) != COHORT)
				BENCH_DIE("msc_batch_screen_lines: %s", msc_error_message());
			for (i = 0; i < COHORT; i++)
				if (msc_batch_status(batch, i) != MSC_OK)
					BENCH_DIE("batch record %zu: %s", i, msc_batch_error(batch, i));
			for (r = 0; r < reps; r++) {
				t0 = bench_now();
				msc_batch_screen_lines(batch, text, len);
				v[r] = (bench_now() - t0) * 1e6 / COHORT;
			}
			bench_report(modes[m].name, v, reps, "us/record", BENCH_NO_GOAL, 0);
			msc_batch_free(batch);
		}
	}

	/* the batch API from 2 threads vs 1 (each thread half the cohort): the C
	 * library's own scaling, to compare with the Python binding's. In pairs:
	 * each repetition times both, in turn first, so that a change in the
	 * shared machine's load falls on both halves of a pair; the figure is
	 * the median of the pairs' ratios. Before each pair, a control: how much
	 * of a second core the machine gives at that moment (pure arithmetic in
	 * two threads vs one). */
	{
		double *one = calloc(reps, sizeof *one), *two = calloc(reps, sizeof *two);
		double *ratio = calloc(reps, sizeof *ratio), *ctl = calloc(reps, sizeof *ctl);
		if (!one || !two || !ratio || !ctl)
			BENCH_DIE("out of memory");
		for (r = 0; r < reps; r++) {
			double c1, c2;
			if (r % 2) {
				c2 = spin_pair(2);
				c1 = spin_pair(1);
				two[r] = threaded(rules, text, len, off, 2, 4);
				one[r] = threaded(rules, text, len, off, 1, 4);
			} else {
				c1 = spin_pair(1);
				c2 = spin_pair(2);
				one[r] = threaded(rules, text, len, off, 1, 4);
				two[r] = threaded(rules, text, len, off, 2, 4);
			}
			ctl[r] = 2 * c1 / c2;
			ratio[r] = one[r] / two[r];
		}
		bench_report("  control before each pair: 2 CPU-bound threads vs 1 on this machine then (throughput ratio)",
			     ctl, reps, "x", BENCH_NO_GOAL, 0);
		bench_report("C batch API, 1 thread, 4 x 5,000 records", one, reps, "s", BENCH_NO_GOAL, 0);
		bench_report("C batch API, 2 threads (half each), 4 x 5,000 records", two, reps, "s", BENCH_NO_GOAL, 0);
		bench_report("C batch API with 2 threads vs 1 (speed-up of each pair; the library's own scaling)",
			     ratio, reps, "x", BENCH_AT_LEAST, 1.7);
		free(one);
		free(two);
		free(ratio);
		free(ctl);
	}

	free(off);
	free(text);
	msc_result_free(res);
	msc_record_free(rec);
	msc_rules_free(rules);
	free(v);
	return 0;
}
