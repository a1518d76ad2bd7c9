/*
 * Batch screening of JSON Lines: one record and one result reused for
 * every line; the output lives in arrays and one text buffer that grow
 * once and are then reused.
 */
#include <string.h>

#include "internal.h"

typedef struct batch_row {
	int status;
	msc_verdict verdict;
	size_t fired;     /* offsets into text */
	size_t error;     /* (size_t)-1: none */
	size_t json;      /* (size_t)-1: none */
} batch_row;

#define NO_TEXT ((size_t)-1)

struct msc_batch {
	const msc_rules *rules;
	unsigned flags;
	msc_record *record;
	msc_result *result;
	batch_row *rows;
	size_t count, cap;
	msc_buf text;
};

MSC_EXTERN(int) msc_batch_new(msc_batch **out, const msc_rules *rules, unsigned flags)
{
	msc_batch *b;
	int rc;

	if (!out)
		return msc__fail(MSC_EINVAL, "out is NULL");
	*out = NULL;
	if (!rules)
		return msc__fail(MSC_EINVAL, "rules is NULL");
	if (flags & ~(unsigned)(MSC_BATCH_FLAT | MSC_BATCH_KEEP_JSON))
		return msc__fail(MSC_EINVAL, "unknown batch flag 0x%x", flags);
	b = msc__calloc(1, sizeof(*b));
	if (!b)
		return msc__fail(MSC_ENOMEM, "out of memory");
	b->rules = rules;
	b->flags = flags;
	if ((rc = msc_record_new(&b->record, rules)) != MSC_OK ||
	    (rc = msc_result_new(&b->result)) != MSC_OK) {
		msc_batch_free(b);
		return rc;
	}
	*out = b;
	return MSC_OK;
}

MSC_EXTERN(void) msc_batch_free(msc_batch *b)
{
	if (!b)
		return;
	msc_record_free(b->record);
	msc_result_free(b->result);
	msc__free(b->rows);
	msc_buf_free(&b->text);
	msc__free(b);
}

/* Screens a record (the batch's own, or a caller's) once `rc` (how
 * filling it went) is known, and appends the row's output. */
static int screen_row(msc_batch *b, batch_row *row, const msc_record *rec, int rc)
{
	size_t i;

	row->error = row->json = NO_TEXT;
	row->verdict = MSC_INCOMPLETE;
	row->fired = b->text.len;
	if (rc == MSC_OK)
		rc = msc__screen(b->result, b->rules, rec,
				 b->flags & MSC_BATCH_KEEP_JSON ? MSC__SCREEN_FULL : MSC__SCREEN_VERDICT);
	if (rc == MSC_ENOMEM)
		return rc;
	row->status = rc;
	if (rc) {
		if (msc_buf_append(&b->text, "", 1))
			return MSC_ENOMEM;
		row->error = b->text.len;
		return msc_buf_puts(&b->text, msc_error_message()) || msc_buf_append(&b->text, "", 1)
			       ? MSC_ENOMEM : MSC_OK;
	}
	row->verdict = msc_result_verdict(b->result);
	for (i = 0; i < msc_result_finding_count(b->result); i++) {
		const msc_finding *f = msc_result_finding(b->result, i);
		if ((i && msc_buf_append(&b->text, ",", 1)) || msc_buf_puts(&b->text, f->rule))
			return MSC_ENOMEM;
	}
	if (msc_buf_append(&b->text, "", 1))
		return MSC_ENOMEM;
	if (b->flags & MSC_BATCH_KEEP_JSON) {
		/* written straight into the batch's buffer: no allocation per record */
		row->json = b->text.len;
		if (msc__result_write_json(&b->text, b->result) || msc_buf_append(&b->text, "", 1))
			return MSC_ENOMEM;
	}
	return MSC_OK;
}

static int next_row(msc_batch *b)
{
	void *arr = b->rows;
	if (msc__grow(&arr, &b->cap, b->count + 1, sizeof(batch_row)))
		return MSC_ENOMEM;
	b->rows = arr;
	return MSC_OK;
}

static int batch_oom(msc_batch *b)
{
	b->count = 0;
	b->text.len = 0;
	return msc__fail(MSC_ENOMEM, "out of memory while screening a batch");
}

MSC_EXTERN(int) msc_batch_screen_lines(msc_batch *b, const char *jsonl, size_t len)
{
	size_t pos = 0;

	if (!b || (!jsonl && len))
		return msc__fail(MSC_EINVAL, "batch or jsonl is NULL");
	b->count = 0;
	b->text.len = 0;
	while (pos < len) {
		const char *line = jsonl + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		int rc;
		pos += n + (nl ? 1 : 0);
		if (n && line[n - 1] == '\r')
			n--;
		if (next_row(b))
			return batch_oom(b);
		if (n == 0)
			rc = msc__fail(MSC_EPARSE, "empty line: no record");
		else
			rc = msc__record_from_json(b->record, line, n, b->flags & MSC_BATCH_FLAT);
		if (rc == MSC_ENOMEM || screen_row(b, &b->rows[b->count], b->record, rc))
			return batch_oom(b);
		b->count++;
	}
	msc__clear_error();
	return MSC_OK;
}

MSC_EXTERN(int) msc_batch_screen_fill(msc_batch *b, size_t count, msc_batch_fill_fn fill, void *ctx)
{
	size_t i;

	if (!b || !fill)
		return msc__fail(MSC_EINVAL, "batch or fill is NULL");
	b->count = 0;
	b->text.len = 0;
	for (i = 0; i < count; i++) {
		int rc;
		if (next_row(b))
			return batch_oom(b);
		msc_record_clear(b->record);
		rc = fill(b->record, i, ctx);
		if (rc != MSC_OK) {
			msc_record_clear(b->record); /* never half-read */
			if (rc > 0 || rc < MSC_ERULES) /* not a status: say so */
				rc = msc__fail(MSC_EINVAL, "record %zu: the fill callback returned %d, not a status",
					       i, rc);
			else if (rc == MSC_ENOMEM)
				return batch_oom(b);
		}
		if (screen_row(b, &b->rows[b->count], b->record, rc))
			return batch_oom(b);
		b->count++;
	}
	msc__clear_error();
	return MSC_OK;
}

/* How far ahead msc_batch_screen_records() asks for a record's block, and
 * (half as far) for its lists: a screening takes about as long as memory
 * takes to answer, so the block arrives in time. */
#define RECORDS_AHEAD 4

MSC_EXTERN(int) msc_batch_screen_records(msc_batch *b, const msc_record *const *records, size_t count)
{
	size_t i;

	if (!b || (!records && count))
		return msc__fail(MSC_EINVAL, "batch or records is NULL");
	b->count = 0;
	b->text.len = 0;
	for (i = 0; i < count && i < RECORDS_AHEAD; i++)
		if (records[i])
			msc__record_prefetch_block(records[i], b->rules);
	for (i = 0; i < count; i++) {
		const msc_record *rec = records[i];
		int rc = MSC_OK;
		if (i + RECORDS_AHEAD < count && records[i + RECORDS_AHEAD])
			msc__record_prefetch_block(records[i + RECORDS_AHEAD], b->rules);
		if (i + RECORDS_AHEAD / 2 < count && records[i + RECORDS_AHEAD / 2] &&
		    records[i + RECORDS_AHEAD / 2]->rules == b->rules)
			msc__record_prefetch_lists(records[i + RECORDS_AHEAD / 2], b->rules);
		if (next_row(b))
			return batch_oom(b);
		if (!rec)
			rc = msc__fail(MSC_EINVAL, "record %zu is NULL", i);
		if (screen_row(b, &b->rows[b->count], rec, rc))
			return batch_oom(b);
		b->count++;
	}
	msc__clear_error();
	return MSC_OK;
}

MSC_EXTERN(size_t) msc_batch_count(const msc_batch *b)
{
	return b ? b->count : 0;
}

MSC_EXTERN(int) msc_batch_status(const msc_batch *b, size_t i)
{
	return b && i < b->count ? b->rows[i].status : MSC_EINVAL;
}

MSC_EXTERN(msc_verdict) msc_batch_verdict(const msc_batch *b, size_t i)
{
	return b && i < b->count ? b->rows[i].verdict : MSC_INCOMPLETE;
}

MSC_EXTERN(const char *) msc_batch_fired(const msc_batch *b, size_t i)
{
	return b && i < b->count ? b->text.data + b->rows[i].fired : NULL;
}

MSC_EXTERN(const char *) msc_batch_error(const msc_batch *b, size_t i)
{
	return b && i < b->count && b->rows[i].error != NO_TEXT ? b->text.data + b->rows[i].error : NULL;
}

MSC_EXTERN(const char *) msc_batch_result_json(const msc_batch *b, size_t i)
{
	return b && i < b->count && b->rows[i].json != NO_TEXT ? b->text.data + b->rows[i].json : NULL;
}
