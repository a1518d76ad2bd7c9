/*
 * Fuzz target: the JSON intake (json.h, batch.h).
 *
 * Every input is one intake record, read against the built-in table (even
 * sizes) or the built-in table plus a clinic text (odd sizes):
 *   - msc_record_from_json(): accepted (MSC_OK) or refused with a known
 *     code; a refused record is left empty (never half-read), so it must
 *     screen as a new record does;
 *   - msc_screen() + msc_result_to_json() + msc_questions_to_json(): the
 *     verdict is on the scale; the result JSON has the length reported, is
 *     one line, and reads back (jansson) to the same verdict, findings,
 *     questions and unrecognised names, string for string;
 *   - the parsed record (or the empty one a refusal leaves) twice through
 *     msc_batch_screen_records(): the same verdict and result JSON as
 *     msc_screen();
 *   - the same text as a 1-line flat batch (MSC_BATCH_FLAT, the
 *     DataFrame-row shape: {"pregnant": true, "area": "face"}); the nested
 *     batch is compared with the direct path by fuzz_batch.c.
 * Nothing is kept between inputs except the two compiled rule sets.
 */
#include "fuzz.h"

static int known_record_error(int rc)
{
	return rc == MSC_EFIELD || rc == MSC_ELIMIT || rc == MSC_EPARSE || rc == MSC_ENOMEM;
}

/* What a result says, in counts: enough to tell an empty record's result. */
typedef struct summary {
	int verdict;
	size_t findings, missing, before, after, overrides, unrecognized;
} summary;

static summary summarize(const msc_result *res)
{
	summary s;
	memset(&s, 0, sizeof(s));
	s.verdict = msc_result_verdict(res);
	s.findings = msc_result_finding_count(res);
	s.missing = msc_result_missing_count(res);
	s.before = msc_result_instruction_count(res, MSC_BEFORE);
	s.after = msc_result_instruction_count(res, MSC_AFTER);
	s.overrides = msc_result_override_count(res);
	s.unrecognized = msc_result_unrecognized_count(res, MSC_LIST_MEDICATIONS) +
			 msc_result_unrecognized_count(res, MSC_LIST_ALLERGIES) +
			 msc_result_unrecognized_count(res, MSC_LIST_INGREDIENTS);
	return s;
}

static int same_summary(const summary *a, const summary *b)
{
	return a->verdict == b->verdict && a->findings == b->findings && a->missing == b->missing &&
	       a->before == b->before && a->after == b->after && a->overrides == b->overrides &&
	       a->unrecognized == b->unrecognized;
}

static void screen_checked(const msc_rules *rules, const msc_record *rec, msc_result *res)
{
	int rc = msc_screen(res, rules, rec);
	FUZZ_CHECK(rc == MSC_OK, "msc_screen: %s (%s)", msc_status_name(rc), msc_error_message());
	FUZZ_CHECK(fuzz_verdict_ok(msc_result_verdict(res)), "verdict %d out of range",
		   (int)msc_result_verdict(res));
}

/* The result and the questionnaire as JSON: the shapes the contract gives. */
static void check_json(const msc_rules *rules, const msc_record *rec, const msc_result *res)
{
	char *json = NULL, *questions = NULL;
	size_t len = 0, qlen = 0;
	int rc = msc_result_to_json(&json, &len, res);

	FUZZ_CHECK(rc == MSC_OK && json, "msc_result_to_json: %s", msc_status_name(rc));
	FUZZ_CHECK(strlen(json) == len, "msc_result_to_json: length %zu, strlen %zu", len, strlen(json));
	FUZZ_CHECK(!strchr(json, '\n'), "msc_result_to_json: not one line");
	fuzz_check_result_json(json, len, res);
	rc = msc_questions_to_json(&questions, &qlen, rules, rec);
	FUZZ_CHECK(rc == MSC_OK && questions && strlen(questions) == qlen && questions[0] == '[',
		   "msc_questions_to_json: %s", msc_status_name(rc));
	msc_free(questions);
	msc_free(json);
}

/* Records held in memory: the batch (one per rule set, kept across
 * inputs as a caller keeps it) says what msc_screen() said. */
static void check_records(const msc_rules *rules, const msc_record *rec, const msc_result *res)
{
	static const msc_rules *kept_rules[2];
	static msc_batch *kept[2];
	const msc_record *recs[2] = { rec, rec };
	msc_batch *b = NULL;
	char *json = NULL;
	size_t i;

	for (i = 0; i < 2 && kept_rules[i] && kept_rules[i] != rules; i++)
		;
	if (i == 2)
		fuzz_fail("more than two rule sets");
	if (!kept[i]) {
		if (msc_batch_new(&kept[i], rules, MSC_BATCH_KEEP_JSON))
			fuzz_fail("cannot create a batch: %s", msc_error_message());
		kept_rules[i] = rules;
	}
	b = kept[i];
	if (msc_result_to_json(&json, NULL, res))
		fuzz_fail("cannot write the result JSON: %s", msc_error_message());
	FUZZ_CHECK(msc_batch_screen_records(b, recs, 2) == MSC_OK && msc_batch_count(b) == 2,
		   "msc_batch_screen_records: %s", msc_error_message());
	for (i = 0; i < 2; i++)
		FUZZ_CHECK(msc_batch_status(b, i) == MSC_OK && msc_batch_verdict(b, i) == msc_result_verdict(res) &&
			   strcmp(msc_batch_result_json(b, i), json) == 0,
			   "records batch, row %zu: status %s, JSON %s, not %s", i, msc_status_name(msc_batch_status(b, i)),
			   msc_batch_result_json(b, i) ? msc_batch_result_json(b, i) : "(none)", json);
	msc_free(json);
}

static void check_input(const msc_rules *rules, const summary *empty, const uint8_t *data, size_t size,
			const char *line)
{
	msc_record *rec = NULL;
	msc_result *res = NULL;
	msc_batch *flat = NULL;
	int rc;

	if (msc_record_new(&rec, rules) || msc_result_new(&res) ||
	    msc_batch_new(&flat, rules, MSC_BATCH_FLAT))
		fuzz_fail("cannot create a record, result or batch: %s", msc_error_message());

	/* direct path */
	rc = msc_record_from_json(rec, (const char *)data, size);
	if (rc != MSC_OK) {
		FUZZ_CHECK(known_record_error(rc), "msc_record_from_json returned %s",
			   msc_status_name(rc));
		FUZZ_CHECK(msc_error_code() == rc && msc_error_message()[0],
			   "msc_record_from_json returned %s, but the last error is %s '%s'",
			   msc_status_name(rc), msc_status_name(msc_error_code()), msc_error_message());
	}
	screen_checked(rules, rec, res);
	check_records(rules, rec, res);
	if (rc == MSC_OK) {
		check_json(rules, rec, res);
	} else {
		summary got = summarize(res);
		FUZZ_CHECK(same_summary(&got, empty),
			   "a refused record (%s) is not empty (half-read): verdict %d, %zu findings, "
			   "%zu missing, %zu+%zu instructions", msc_status_name(rc), got.verdict,
			   got.findings, got.missing, got.before, got.after);
	}

	/* flat: the DataFrame-row shape */
	FUZZ_CHECK(msc_batch_screen_lines(flat, line, size) == MSC_OK,
		   "msc_batch_screen_lines (flat): %s", msc_error_message());
	if (size) {
		int st = msc_batch_status(flat, 0);
		FUZZ_CHECK(msc_batch_count(flat) == 1, "flat 1-line batch: %zu records", msc_batch_count(flat));
		FUZZ_CHECK(fuzz_verdict_ok(msc_batch_verdict(flat, 0)), "flat verdict out of range");
		FUZZ_CHECK(msc_batch_fired(flat, 0) != NULL, "flat: fired is NULL");
		FUZZ_CHECK(st == MSC_OK ? !msc_batch_error(flat, 0) :
			   known_record_error(st) && msc_batch_error(flat, 0) != NULL,
			   "flat: status %s, error %s", msc_status_name(st),
			   msc_batch_error(flat, 0) ? msc_batch_error(flat, 0) : "(none)");
	}

	msc_batch_free(flat);
	msc_result_free(res);
	msc_record_free(rec);
}

static summary empty_summary(const msc_rules *rules)
{
	msc_record *rec = NULL;
	msc_result *res = NULL;
	summary s;
	if (msc_record_new(&rec, rules) || msc_result_new(&res))
		fuzz_fail("cannot create a record or result");
	screen_checked(rules, rec, res);
	s = summarize(res);
	msc_result_free(res);
	msc_record_free(rec);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static msc_rules *builtin, *clinic;
	static summary builtin_empty, clinic_empty;
	char *line;
	size_t i;

	if (!builtin) {
		builtin = fuzz_rules_builtin();
		clinic = fuzz_rules_clinic();
		builtin_empty = empty_summary(builtin);
		clinic_empty = empty_summary(clinic);
	}
	/* the batch's line: newlines become spaces (JSON whitespace) */
	line = fuzz_xmalloc(size + 1);
	if (size)
		memcpy(line, data, size);
	for (i = 0; i < size; i++)
		if (line[i] == '\n')
			line[i] = ' ';
	/* one rule set per input, so that each run stays cheap: even sizes the
	 * built-in table, odd sizes it plus a clinic text (clinic facts) */
	if (size % 2 == 0)
		check_input(builtin, &builtin_empty, data, size, line);
	else
		check_input(clinic, &clinic_empty, data, size, line);
	free(line);
	return 0;
}
