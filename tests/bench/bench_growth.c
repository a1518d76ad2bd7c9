/*
 * Benchmark: growth. Screening cost per record must be flat in the cohort
 * size, and linear or better in the number of rules.
 *
 *  - cohort size: over 1k, 10k and 100k parsed seeded records, a loop of
 *    msc_screen and msc_batch_screen_records (verdicts only, 1,024
 *    records a call), ns/record and ratio to 1k; and the batch API over
 *    1k, 10k and 100k JSON Lines in one call (ratio to 1k). Goal: ratio
 *    <= 1.5 ("flat": what is left is the cache, not the algorithm). Each
 *    pass screens a seeded cohort of its own, once (see screen_cost()).
 *  - rule table: the built-in table (1x) and the built-in table plus 9 or
 *    99 copies of each of its entries under other ids (10x, 100x), compiled
 *    with msc_compiler_add_text() as a clinic rule file would be, screening
 *    the same seeded 1k cohort. Goal: the cost ratio to 1x at most 10 and
 *    100 (linear or better), the median of the repetitions' ratios: each
 *    repetition times the three tables in turn (see table_ratios()).
 * Environment: BENCH_REPS (default 7), BENCH_SEED, BENCH_SMOKE (bench.h: cohorts
 * of 1k, 2k and 3k records, each screened once).
 */
#define MSC_BENCH_WITH_LIBRARY
#include "bench.h"

#include <stdarg.h>

static size_t reps;

/* Records per msc_batch_screen_records() call: a caller bounds a batch's
 * output so, and reuses it. */
#define RECORDS_CHUNK 1024

/* The seed of the next cohort (BENCH_SEED first): every pass of every
 * figure screens a cohort of its own. */
static uint64_t next_seed;

/*
 * ns/record over n parsed records, median of reps, at least ~min_records
 * screened per rep: a loop of msc_screen() (batched 0), or
 * msc_batch_screen_records() in chunks of RECORDS_CHUNK (verdicts only).
 *
 * Each pass screens a cohort of its own, just parsed (untimed), once and
 * in order, as a caller screens the records it has read. The cohorts must
 * be met so at every size: a 1k cohort screened 200 times over (as these
 * figures once were, against two passes at 100k) settles in the cache,
 * and costs about half what it does the first time (190 against 350-470 ns
 * a record here), which made the larger cohorts look slower per record
 * than they are.
 */
static double screen_cost(const msc_rules *rules, size_t n, const char *figure, size_t min_records, int batched)
{
	msc_record **recs;
	msc_result *res;
	msc_batch *batch = NULL;
	double *v = calloc(reps, sizeof *v), t0, med, spent;
	size_t passes = n >= min_records ? 1 : (min_records + n - 1) / n, r, p, i;

	if (!v || msc_result_new(&res) || (batched && msc_batch_new(&batch, rules, 0)))
		BENCH_DIE("out of memory");
	/* warm-up: the result's and the batch's buffers reach their size */
	recs = bench_parse_cohort(rules, next_seed++, n);
	for (i = 0; i < n; i++)
		if (msc_screen(res, rules, recs[i]) != MSC_OK)
			BENCH_DIE("msc_screen: %s", msc_error_message());
	if (batched && msc_batch_screen_records(batch, (const msc_record *const *)recs,
						n < RECORDS_CHUNK ? n : RECORDS_CHUNK) != MSC_OK)
		BENCH_DIE("msc_batch_screen_records: %s", msc_error_message());
	bench_free_cohort(recs, n);
	for (r = 0; r < reps; r++) {
		spent = 0;
		for (p = 0; p < passes; p++) {
			recs = bench_parse_cohort(rules, next_seed++, n);
			t0 = bench_now();
			if (!batched) {
				for (i = 0; i < n; i++)
					msc_screen(res, rules, recs[i]);
			} else {
				for (i = 0; i < n; i += RECORDS_CHUNK) {
					size_t k = n - i < RECORDS_CHUNK ? n - i : RECORDS_CHUNK;
					if (msc_batch_screen_records(batch, (const msc_record *const *)recs + i, k) != MSC_OK ||
					    msc_batch_status(batch, k - 1) != MSC_OK)
						BENCH_DIE("msc_batch_screen_records: %s", msc_error_message());
				}
			}
			spent += bench_now() - t0;
			bench_free_cohort(recs, n);
		}
		v[r] = spent * 1e9 / (double)(passes * n);
	}
	bench_report(figure, v, reps, "ns/record", BENCH_NO_GOAL, 0);
	med = v[reps / 2];
	msc_batch_free(batch);
	msc_result_free(res);
	free(v);
	return med;
}

/* ns/record of msc_batch_screen_lines() over n JSON Lines in one call, at
 * least 100k lines per rep, each call over a cohort of its own (made
 * untimed) */
static double batch_cost(const msc_rules *rules, size_t n, const char *figure)
{
	size_t len, r;
	char *text;
	msc_batch *batch;
	double *v = calloc(reps, sizeof *v), t0, med, spent;

	if (!v || msc_batch_new(&batch, rules, 0))
		BENCH_DIE("out of memory");
	for (r = 0; r <= reps; r++) {
		size_t k, least = bench_size(100000, 1), calls = r == 0 || n >= least ? 1 : least / n; /* r 0: warm-up */
		spent = 0;
		for (k = 0; k < calls; k++) {
			if (!(text = cohort_lines(next_seed++, n, COHORT_NESTED, &len)))
				BENCH_DIE("out of memory");
			t0 = bench_now();
			if (msc_batch_screen_lines(batch, text, len) || msc_batch_count(batch) != n)
				BENCH_DIE("msc_batch_screen_lines: %s", msc_error_message());
			spent += bench_now() - t0;
			free(text);
		}
		if (r)
			v[r - 1] = spent * 1e9 / (double)(calls * n);
	}
	bench_report(figure, v, reps, "ns/record", BENCH_NO_GOAL, 0);
	med = v[reps / 2];
	msc_batch_free(batch);
	free(v);
	return med;
}

/* Appends to a growing string. */
typedef struct sbuf {
	char *s;
	size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		int n;
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			BENCH_DIE("vsnprintf");
		if (b->s && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			BENCH_DIE("out of memory");
	}
}

/*
 * The built-in table plus (copies) copies of each built-in entry, ids
 * prefixed "BENCHk.", same severity or phase and condition: a rule file of
 * the same shape as the built-in one. Compiled in texts of 20 copies each
 * (a rule text is limited to 1 MiB).
 */
static msc_rules *scaled_rules(const msc_rules *builtin, size_t copies)
{
	msc_compiler *comp;
	msc_rules *out;
	size_t n = msc_rules_count(builtin), k, j;
	sbuf b = { 0 };

	if (msc_compiler_new(&comp))
		BENCH_DIE("msc_compiler_new: %s", msc_error_message());
	for (k = 1; k <= copies; k++) {
		if (b.len == 0)
			sb_printf(&b, "# generated by bench-c-growth\n");
		for (j = 0; j < n; j++) {
			const msc_rule_info *e = msc_rules_get(builtin, j);
			int always = strcmp(e->condition, "always") == 0;
			if (e->kind == MSC_RULE) {
				sb_printf(&b, "rule BENCH%zu.%s\n  severity %s\n  when %s\n"
					  "  message \"Copy %zu of %s, for the growth benchmark.\"\n  sources S004\n\n",
					  k, e->id, msc_verdict_name(e->severity), e->condition, k, e->id);
			} else {
				sb_printf(&b, "instruction BENCH%zu.%s\n  phase %s\n", k, e->id,
					  e->phase == MSC_BEFORE ? "before" : "after");
				if (!always)
					sb_printf(&b, "  when %s\n", e->condition);
				sb_printf(&b, "  text \"Copy %zu of %s, for the growth benchmark.\"\n  sources S004\n\n",
					  k, e->id);
			}
		}
		if (k % 20 == 0 || k == copies) {
			char name[64];
			snprintf(name, sizeof name, "bench-x%zu-%zu.rules", copies + 1, k);
			if (msc_compiler_add_text(comp, name, b.s, b.len) != MSC_OK) {
				size_t e;
				for (e = 0; e < msc_compiler_error_count(comp) && e < 10; e++)
					fprintf(stderr, "%s\n", msc_compiler_error(comp, e));
				BENCH_DIE("msc_compiler_add_text: %s", msc_error_message());
			}
			b.len = 0;
		}
	}
	if (msc_compiler_get_rules(comp, &out))
		BENCH_DIE("msc_compiler_get_rules: %s", msc_error_message());
	msc_compiler_free(comp);
	free(b.s);
	return out;
}

/*
 * The rule-table figures: ns/record of msc_screen() over one seeded 1k
 * cohort (the same records parsed for each table, in cache: what changes
 * between the figures is the table alone) with each of `count` tables,
 * and each larger table's cost ratio to the first. A repetition times every
 * table in turn (at least ~20k records each), so that the ratio of a
 * repetition compares costs measured within a fraction of a second of each
 * other on this shared machine; the figure is the median of those ratios
 * (min: the lowest). Measured one table after the other, each with a
 * cohort of its own, the 10x table read 10.2x to 10.8x; the same code
 * read 9.3x to 10.0x timed so (ninth session, before the rule loop's
 * compact array of conditions).
 */
static void table_ratios(msc_rules *const *tables, const size_t *scale, size_t count)
{
	msc_record **recs[3];
	msc_result *res;
	double *v[3], *ratio = calloc(reps, sizeof *ratio), t0;
	uint64_t seed = next_seed++;
	size_t s, r, p, i, passes = bench_size(20, 1), n = 1000;
	char fig[160];

	if (count > 3)
		BENCH_DIE("table_ratios: at most 3 tables");
	if (!ratio || msc_result_new(&res))
		BENCH_DIE("out of memory");
	for (s = 0; s < count; s++) {
		if (!(v[s] = calloc(reps, sizeof *v[s])))
			BENCH_DIE("out of memory");
		recs[s] = bench_parse_cohort(tables[s], seed, n);
		for (i = 0; i < n; i++) /* warm-up: the result's buffers reach their size */
			if (msc_screen(res, tables[s], recs[s][i]) != MSC_OK)
				BENCH_DIE("msc_screen: %s", msc_error_message());
	}
	for (r = 0; r < reps; r++)
		for (s = 0; s < count; s++) {
			size_t k = (s + r) % count; /* each table first in turn */
			for (i = 0; i < n; i++) /* the cohort back in cache after the last table's */
				msc_screen(res, tables[k], recs[k][i]);
			t0 = bench_now();
			for (p = 0; p < passes; p++)
				for (i = 0; i < n; i++)
					msc_screen(res, tables[k], recs[k][i]);
			v[k][r] = (bench_now() - t0) * 1e9 / (double)(passes * n);
		}
	for (s = 1; s < count; s++) {
		for (r = 0; r < reps; r++)
			ratio[r] = v[s][r] / v[0][r];
		snprintf(fig, sizeof fig, "growth: msc_screen per record, %zux / 1x rules", scale[s]);
		bench_report(fig, ratio, reps, "x", BENCH_AT_MOST, (double)scale[s]);
	}
	for (s = 0; s < count; s++) {
		snprintf(fig, sizeof fig, "  C msc_screen, %zux rule table (%zu entries), 1k records", scale[s],
			 msc_rules_count(tables[s]));
		bench_report(fig, v[s], reps, "ns/record", BENCH_NO_GOAL, 0);
		bench_free_cohort(recs[s], n);
		free(v[s]);
	}
	msc_result_free(res);
	free(ratio);
}

int main(void)
{
	msc_rules *rules;
	double base, cost, base_b, cost_b;
	size_t sizes[] = { 1000, 10000, 100000 };
	static const size_t scale[] = { 1, 10, 100 };
	size_t s;
	int k;
	char fig[160];

	reps = (size_t)bench_env_long("BENCH_REPS", (long)bench_size(7, 1));
	if (bench_smoke()) {
		sizes[1] = 2000;
		sizes[2] = 3000;
	}
	next_seed = (uint64_t)bench_env_long("BENCH_SEED", 20261121);
	bench_machine("C growth: cohort size and rule-table size");
	if (msc_rules_builtin(&rules))
		BENCH_DIE("msc_rules_builtin: %s", msc_error_message());

	/* cohort size, parsed records: a caller's loop of msc_screen(), then
	 * the batch over records held in memory */
	for (k = 0; k < 2; k++) {
		base = 0;
		for (s = 0; s < 3; s++) {
			snprintf(fig, sizeof fig, k ? "C batch over parsed records, cohort of %zuk records"
						    : "C msc_screen, cohort of %zuk parsed records", sizes[s] / 1000);
			cost = screen_cost(rules, sizes[s], fig, bench_size(200000, 1), k);
			if (s == 0) {
				base = cost;
			} else {
				snprintf(fig, sizeof fig, k ? "growth: batch over parsed records per record, %zuk / 1k records"
							    : "growth: msc_screen per record, %zuk / 1k records", sizes[s] / 1000);
				bench_report_value(fig, cost / base, "x", BENCH_AT_MOST, 1.5);
			}
		}
	}
	/* cohort size, one batch call */
	base_b = 0;
	for (s = 0; s < 3; s++) {
		snprintf(fig, sizeof fig, "C batch API, %zuk JSON Lines in one call", sizes[s] / 1000);
		cost_b = batch_cost(rules, sizes[s], fig);
		if (s == 0) {
			base_b = cost_b;
		} else {
			snprintf(fig, sizeof fig, "growth: batch per record, %zuk / 1k records", sizes[s] / 1000);
			bench_report_value(fig, cost_b / base_b, "x", BENCH_AT_MOST, 1.5);
		}
	}

	/* rule-table size */
	{
		msc_rules *tables[3];
		tables[0] = rules;
		for (s = 1; s < 3; s++)
			tables[s] = scaled_rules(rules, scale[s] - 1);
		table_ratios(tables, scale, 3);
		for (s = 1; s < 3; s++)
			msc_rules_free(tables[s]);
	}
	msc_rules_free(rules);
	return 0;
}
