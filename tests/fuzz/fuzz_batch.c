/*
 * Fuzz target: JSON Lines through the batch API (batch.h).
 *
 * Every input is a JSON Lines text: nested records against the built-in
 * table (even sizes) or flat rows (MSC_BATCH_FLAT) against the built-in
 * table plus a clinic text (odd sizes). It is screened by
 *   A  a batch without MSC_BATCH_KEEP_JSON, one per shape kept from input
 *      to input (as the CLI keeps its batch from call to call), so that
 *      every call must forget the one before; when the size's fifth bit
 *      is set, it first screens the input's last line, then the whole
 *      input;
 * and, chosen by the size's second to fourth bits (so that the fuzzer
 * reaches every one; each line is screened about 1.3 times per input on
 * average, not 4.5 times; a line's result JSON costs about a screening):
 *   B  one input in eight: a new batch with MSC_BATCH_KEEP_JSON agrees with
 *      A on every line; for nested records, the line chosen by the first
 *      byte agrees with the direct path in full (msc_record_from_json +
 *      msc_screen + msc_result_to_json);
 *   D  two in eight, nested records: each line of A agrees with the direct
 *      path (status, verdict, rules fired);
 *   -  the others: A's own checks only.
 * Checked too: one output per line (blank lines included); a rejected line
 * has its error and no JSON, an accepted one its JSON (with KEEP_JSON) and
 * no error; the accessors refuse an index out of range.
 */
#include "fuzz.h"

static size_t count_lines(const char *s, size_t n)
{
	size_t pos = 0, lines = 0;
	while (pos < n) {
		const char *nl = memchr(s + pos, '\n', n - pos);
		pos = nl ? (size_t)(nl - s) + 1 : n;
		lines++;
	}
	return lines;
}

static int known_record_error(int rc)
{
	return rc == MSC_EFIELD || rc == MSC_ELIMIT || rc == MSC_EPARSE;
}

static void check_rows(const msc_batch *b, size_t lines, int keep_json, const char *what)
{
	size_t i, n = msc_batch_count(b);

	FUZZ_CHECK(n == lines, "%s: %zu outputs for %zu lines", what, n, lines);
	for (i = 0; i < n; i++) {
		int st = msc_batch_status(b, i);
		const char *fired = msc_batch_fired(b, i), *err = msc_batch_error(b, i);
		const char *json = msc_batch_result_json(b, i);
		FUZZ_CHECK(fuzz_verdict_ok(msc_batch_verdict(b, i)), "%s: line %zu: verdict %d", what, i + 1,
			   (int)msc_batch_verdict(b, i));
		FUZZ_CHECK(fired != NULL, "%s: line %zu: fired is NULL", what, i + 1);
		if (st == MSC_OK) {
			FUZZ_CHECK(!err, "%s: line %zu: accepted, with an error '%s'", what, i + 1, err);
			FUZZ_CHECK(keep_json ? json && json[0] == '{' && !strchr(json, '\n') : !json,
				   "%s: line %zu: result JSON %s", what, i + 1, json ? json : "(null)");
		} else {
			FUZZ_CHECK(known_record_error(st), "%s: line %zu: status %s", what, i + 1,
				   msc_status_name(st));
			FUZZ_CHECK(err && err[0] && !json && fired[0] == '\0',
				   "%s: line %zu: rejected (%s) without its error, or with a result", what,
				   i + 1, msc_status_name(st));
			FUZZ_CHECK(msc_batch_verdict(b, i) == MSC_INCOMPLETE,
				   "%s: line %zu: a rejected record's verdict is not incomplete", what, i + 1);
		}
	}
	FUZZ_CHECK(msc_batch_status(b, n) == MSC_EINVAL && !msc_batch_fired(b, n) &&
		   !msc_batch_error(b, n) && !msc_batch_result_json(b, n) &&
		   msc_batch_verdict(b, n) == MSC_INCOMPLETE,
		   "%s: an index out of range is not refused", what);
}

static void same_rows(const msc_batch *a, const msc_batch *b)
{
	size_t i;
	for (i = 0; i < msc_batch_count(a); i++) {
		const char *ea = msc_batch_error(a, i), *eb = msc_batch_error(b, i);
		FUZZ_CHECK(msc_batch_status(a, i) == msc_batch_status(b, i) &&
			   msc_batch_verdict(a, i) == msc_batch_verdict(b, i) &&
			   strcmp(msc_batch_fired(a, i), msc_batch_fired(b, i)) == 0 &&
			   (ea == NULL) == (eb == NULL) && (!ea || strcmp(ea, eb) == 0),
			   "line %zu: the reused batch and KEEP_JSON disagree: %s/%s '%s'/'%s' '%s'/'%s'", i + 1,
			   msc_status_name(msc_batch_status(a, i)), msc_status_name(msc_batch_status(b, i)),
			   msc_batch_fired(a, i), msc_batch_fired(b, i), ea ? ea : "", eb ? eb : "");
	}
}

/* The rules that fired, as msc_batch_fired() writes them. */
static int same_fired(const msc_result *res, const char *fired)
{
	size_t i, o = 0;
	for (i = 0; i < msc_result_finding_count(res); i++) {
		const char *id = msc_result_finding(res, i)->rule;
		size_t n = strlen(id);
		if ((i && fired[o++] != ',') || strncmp(fired + o, id, n) != 0)
			return 0;
		o += n;
	}
	return fired[o] == '\0';
}

/* Each line of batch b against the direct path: every line (only != -1:
 * that line alone); the result JSON of line `json_line` (0-based), which b
 * kept (MSC_BATCH_KEEP_JSON), is compared in full. */
static void same_as_direct(const msc_rules *rules, const msc_batch *b, const char *s, size_t n,
			   size_t only, size_t json_line)
{
	msc_record *rec = NULL;
	msc_result *res = NULL;
	size_t pos = 0, i = 0;

	if (msc_record_new(&rec, rules) || msc_result_new(&res))
		fuzz_fail("cannot create a record or result");
	for (; pos < n; i++) {
		const char *line = s + pos, *nl = memchr(line, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - line) : n - pos;
		int rc;
		pos += len + (nl ? 1 : 0);
		if (only != (size_t)-1 && i != only)
			continue;
		if (len && line[len - 1] == '\r')
			len--;
		rc = len ? msc_record_from_json(rec, line, len) : MSC_EPARSE;
		FUZZ_CHECK(rc == msc_batch_status(b, i), "line %zu: batch %s, direct %s", i + 1,
			   msc_status_name(msc_batch_status(b, i)), msc_status_name(rc));
		if (rc == MSC_OK) {
			if (msc_screen(res, rules, rec))
				fuzz_fail("line %zu: direct screening failed: %s", i + 1, msc_error_message());
			FUZZ_CHECK(msc_batch_verdict(b, i) == msc_result_verdict(res) &&
				   same_fired(res, msc_batch_fired(b, i)),
				   "line %zu: batch and direct results differ: batch %d '%s', direct %d", i + 1,
				   (int)msc_batch_verdict(b, i), msc_batch_fired(b, i),
				   (int)msc_result_verdict(res));
			if (i == json_line) {
				char *json = NULL;
				if (msc_result_to_json(&json, NULL, res))
					fuzz_fail("msc_result_to_json: %s", msc_error_message());
				FUZZ_CHECK(strcmp(json, msc_batch_result_json(b, i)) == 0,
					   "line %zu: batch and direct JSON differ:\n  batch  %s\n  direct %s",
					   i + 1, msc_batch_result_json(b, i), json);
				fuzz_check_result_json(json, strlen(json), res);
				msc_free(json);
			}
		}
	}
	msc_result_free(res);
	msc_record_free(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static msc_rules *builtin, *clinic;
	static msc_batch *kept[2]; /* A, per shape: still reachable at exit */
	const char *s = (const char *)data;
	const msc_rules *rules;
	msc_batch *a, *b = NULL;
	size_t lines = count_lines(s, size), last = size;
	size_t chosen = lines ? (size_t)data[0] % lines : 0;
	unsigned flat = size % 2 ? MSC_BATCH_FLAT : 0;
	/* 0: B (result JSON for every line: the dearest check), 1-2: D, else A only */
	unsigned check = (unsigned)(size >> 1) % 8;
	int reuse = (size >> 4) % 2;

	if (!builtin) {
		builtin = fuzz_rules_builtin();
		clinic = fuzz_rules_clinic();
	}
	/* one shape per input, so that each run stays cheap: even sizes nested
	 * records and the built-in table, odd sizes flat rows and the clinic set */
	rules = flat ? clinic : builtin;
	if (!kept[flat != 0] && msc_batch_new(&kept[flat != 0], rules, flat))
		fuzz_fail("msc_batch_new: %s", msc_error_message());
	a = kept[flat != 0];

	/* where the last line starts (a final newline ends it, not starts one) */
	if (last && s[last - 1] == '\n')
		last--;
	while (last && s[last - 1] != '\n')
		last--;
	if (reuse) {
		FUZZ_CHECK(msc_batch_screen_lines(a, s + last, size - last) == MSC_OK,
			   "msc_batch_screen_lines: %s", msc_error_message());
		check_rows(a, count_lines(s + last, size - last), 0, "last line");
	}
	FUZZ_CHECK(msc_batch_screen_lines(a, s, size) == MSC_OK, "msc_batch_screen_lines: %s",
		   msc_error_message());
	check_rows(a, lines, 0, reuse ? "reused" : "new");

	if ((check == 1 || check == 2) && !flat) {
		same_as_direct(builtin, a, s, size, (size_t)-1, (size_t)-1);
	} else if (check == 0) {
		if (msc_batch_new(&b, rules, flat | MSC_BATCH_KEEP_JSON))
			fuzz_fail("msc_batch_new: %s", msc_error_message());
		FUZZ_CHECK(msc_batch_screen_lines(b, s, size) == MSC_OK, "msc_batch_screen_lines: %s",
			   msc_error_message());
		check_rows(b, lines, 1, "keep_json");
		same_rows(a, b);
		if (!flat)
			same_as_direct(builtin, b, s, size, chosen, chosen);
		msc_batch_free(b);
	}
	return 0;
}
