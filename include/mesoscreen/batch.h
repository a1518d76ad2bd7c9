/*
 * libmesoscreen - batch screening: many records in one call (JSON Lines,
 * records a callback fills, or records already held in memory).
 *
 * The batch owns one record, one result and its output arrays, and reuses
 * them: once grown, screening a batch allocates nothing per record beyond
 * what the JSON parser needs. A record that is invalid is reported for its
 * line, and the others are screened.
 *
 * Life cycle: msc_batch_new() -> msc_batch_screen_lines() any number of
 * times (each call replaces the previous output) -> read the output ->
 * msc_batch_free(). The batch must not outlive its rule set.
 *
 * Thread-safety: a batch belongs to one thread at a time; give each thread
 * its own batch over one shared rule set. The call holds no lock and
 * touches no global state, so bindings release the GIL around it.
 */
#ifndef MESOSCREEN_BATCH_H
#define MESOSCREEN_BATCH_H

#include "common.h"
#include "record.h"
#include "rules.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A batch screener. Opaque. */
typedef struct msc_batch msc_batch;

/** Flags for msc_batch_new(). */
enum {
	/** Records are flat objects keyed by bare field names
	 *  ({"pregnant": true, "area": "face", ...}: a pandas row); a null
	 *  (None, NaN) is unknown, and a section is present when one of its
	 *  columns is there. */
	MSC_BATCH_FLAT = 1u << 0,
	/** Keep each record's full result JSON (msc_batch_result_json()).
	 *  Without it a batch builds only what decides each record's verdict
	 *  and fired rules (no "because" texts, no questions), which is less
	 *  work; the verdicts and fired rules are the same either way. */
	MSC_BATCH_KEEP_JSON = 1u << 1
};

/**
 * Creates a batch screener.
 * @param out owned by the caller (msc_batch_free()).
 * @param flags MSC_BATCH_* flags, or 0.
 * @return MSC_OK, MSC_EINVAL (rules NULL, unknown flag), MSC_ENOMEM.
 */
MSC_EXTERN(int) msc_batch_new(msc_batch **out, const msc_rules *rules, unsigned flags);

/** Frees a batch. NULL is a no-op. */
MSC_EXTERN(void) msc_batch_free(msc_batch *batch);

/**
 * Screens JSON Lines: every line is one record (a final line without a
 * newline counts; blank lines are records that fail, so that output index
 * i is always line i + 1). Replaces the previous output.
 * @return MSC_OK even if some records were rejected (see
 *         msc_batch_status()); MSC_EINVAL, MSC_ENOMEM (the output is then empty).
 */
MSC_EXTERN(int) msc_batch_screen_lines(msc_batch *batch, const char *jsonl, size_t length);

/**
 * Fills record `index` of a batch: called by msc_batch_screen_fill() with
 * the batch's own record, emptied before each call. Set the fields with the
 * msc_record_set_* functions and return MSC_OK, or return the failing
 * setter's status: the record is then rejected whole (emptied, not
 * screened) and the last error's message becomes its msc_batch_error()
 * (a refusal of the callback's own: return msc_error_set(code, message)).
 * Returning MSC_ENOMEM stops the batch. The record is the batch's: do not
 * keep it past the call. Called on the thread that called
 * msc_batch_screen_fill(), for index 0, 1, ... in order.
 */
typedef int (*msc_batch_fill_fn)(msc_record *record, size_t index, void *ctx);

/**
 * Screens `count` records that `fill` writes straight into the batch's
 * record (a binding reading a DataFrame's columns or a Lua table, a C
 * program reading its database): no JSON, and nothing allocated per
 * record once the batch has grown. Output as msc_batch_screen_lines(),
 * index i being record i. Replaces the previous output.
 * @param ctx passed to `fill` untouched.
 * @return MSC_OK even if some records were rejected; MSC_EINVAL (batch or
 *         fill NULL), MSC_ENOMEM (allocation failed, or `fill` returned it:
 *         the output is then empty). A return of `fill` that is not a
 *         status rejects that record with MSC_EINVAL.
 */
MSC_EXTERN(int) msc_batch_screen_fill(msc_batch *batch, size_t count, msc_batch_fill_fn fill, void *ctx);

/**
 * Screens `count` records already filled and held in memory (a cohort
 * parsed once and screened again, say against a clinic's rule set): the
 * same as msc_screen() on each, but while one record is screened the
 * memory of the next few is already asked for, so that a cohort too large
 * for the caches costs about what a small one does a record. Output as
 * msc_batch_screen_lines(), index i being records[i]; the records are only
 * read. A NULL record, or one made for another rule set than the batch's,
 * is rejected (MSC_EINVAL) and the others are screened.
 * @param records count records, owned by the caller (NULL if count is 0).
 * @return MSC_OK even if some records were rejected; MSC_EINVAL (batch
 *         NULL, or records NULL with count > 0), MSC_ENOMEM (the output is
 *         then empty).
 * Thread-safety: as the batch's (one thread at a time); the records may be
 * read by other threads meanwhile, not changed.
 */
MSC_EXTERN(int) msc_batch_screen_records(msc_batch *batch, const msc_record *const *records, size_t count);

/** Number of records in the last call's output. */
MSC_EXTERN(size_t) msc_batch_count(const msc_batch *batch);

/** MSC_OK, or the error code that rejected record `index`. MSC_EINVAL if out of range. */
MSC_EXTERN(int) msc_batch_status(const msc_batch *batch, size_t index);

/** The verdict of record `index` (MSC_INCOMPLETE for a rejected record or out of range). */
MSC_EXTERN(msc_verdict) msc_batch_verdict(const msc_batch *batch, size_t index);

/**
 * The ids of the rules that fired for record `index`, comma-separated in
 * table order ("CI.PREGNANCY,PR.DEPTH"), "" if none. Owned by the batch,
 * valid until the next call. NULL if out of range.
 */
MSC_EXTERN(const char *) msc_batch_fired(const msc_batch *batch, size_t index);

/** The error message of a rejected record (naming the field), or NULL. Owned by the batch. */
MSC_EXTERN(const char *) msc_batch_error(const msc_batch *batch, size_t index);

/**
 * The full result JSON of record `index`, with MSC_BATCH_KEEP_JSON; NULL
 * otherwise or for a rejected record. Owned by the batch.
 */
MSC_EXTERN(const char *) msc_batch_result_json(const msc_batch *batch, size_t index);

#ifdef __cplusplus
}
#endif

#endif
