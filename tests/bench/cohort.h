/*
 * libmesoscreen benchmarks - the seeded synthetic cohort generator.
 *
 * Every benchmark (C, Python, Lua, the CLI) screens cohorts made here, from
 * a seed, never stored data: the same seed gives the same cohort on every
 * machine. The mixture (per record):
 *   45 % healthy and fully answered (everyday medications by generic or
 *        brand name with doses, harmless allergies, in-range depth);
 *   17 % contraindicated or deferred (an answer of yes, an ICD-10 code, an
 *        allergy to an ingredient given by a brand or salt name, insulin,
 *        a recent hair transplant on the scalp);
 *   15 % caution (blood thinners by brand, ATC code or dose, an
 *        out-of-range depth, an unrecognised medication);
 *   23 % with unknown answers (null, "unknown", absent fields and lists,
 *        a missing plan).
 * Answers are written as true/false or "yes"/"no" at random.
 *
 * Formats: nested JSON ({"patient": {...}, "plan": {...}}), flat JSON (bare
 * field names, batch.h's MSC_BATCH_FLAT: a pandas row), or a Lua table
 * constructor (null written as `null`, which the Lua benchmark binds to
 * ms.null).
 */
#ifndef MSC_BENCH_COHORT_H
#define MSC_BENCH_COHORT_H

#include <stddef.h>
#include <stdint.h>

enum { COHORT_NESTED = 0, COHORT_FLAT = 1, COHORT_LUA = 2 };

typedef struct cohort_rng {
	uint64_t state;
} cohort_rng;

void cohort_seed(cohort_rng *rng, uint64_t seed);
uint64_t cohort_next(cohort_rng *rng);

/*
 * Writes one record (no newline) into buf; returns its length, or 0 if it
 * did not fit in cap bytes (4096 always suffices). NUL-terminated.
 */
size_t cohort_record(cohort_rng *rng, int format, char *buf, size_t cap);

/*
 * A whole cohort of n records, one a line (each line ends with '\n'),
 * malloc'd (free()); *length receives its size. NULL if out of memory.
 */
char *cohort_lines(uint64_t seed, size_t n, int format, size_t *length);

/* The start of each line of a cohort_lines() text: an array of n + 1 offsets (free()). */
size_t *cohort_offsets(const char *text, size_t length, size_t n);

#endif
