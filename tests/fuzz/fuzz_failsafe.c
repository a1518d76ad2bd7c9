/*
 * Fuzz target: the fail-safe property (a differential check).
 *
 * Every input is an intake record (JSON). For each rule set (the built-in
 * table; it plus a clinic text) that accepts the record:
 *
 *   yes/no facts: for every yes/no fact F, the record with F made unknown
 *   (msc_record_set_answer(F, MSC_UNKNOWN)) is screened, and compared with
 *   the same record with F = yes and with F = no:
 *     1. if answering yes or no gives `defer` or `contraindicated`, the
 *        verdict with F unknown must be `incomplete`, `defer` or
 *        `contraindicated`: an unanswered question that could block is
 *        never screened as if answered;
 *     2. more generally, F unknown is never milder than the worse of its
 *        two answers, up to `incomplete` (an unknown that could change the
 *        verdict is asked).
 *   lists (medications, allergies, ingredients): the record with the list
 *   made unknown (msc_record_unset()) must not screen `clear` when some
 *   answer to that list would not: the empty list or one of a few probe
 *   names (a blood thinner, an insulin, an anaesthetic, an ingredient, an
 *   unrecognised name...).
 *
 * The property is checked for every yes/no fact, answered or not (for an
 * unanswered one the "unknown" record is the record as given). Checks
 * whose "unknown" verdict is already `incomplete` or worse hold trivially
 * and are skipped, which keeps the target fast.
 *
 * A violation abort()s with the fact, the three verdicts and both results.
 */
#include "fuzz.h"

/* Answers tried for a list: each probe is a one-name list (plus none). */
static const char *const PROBES[] = {
	"aspirin", "warfarin", "ibuprofen", "insulin glargine", "isotretinoin", "lidocaine",
	"hyaluronic acid", "hyaluronidase", "biotin", "EMLA", "zzq unrecognised name",
};

static const char *verdict_name(int v)
{
	const char *n = msc_verdict_name(v);
	return n ? n : "(out of range)";
}

static int screen(msc_result *res, const msc_rules *rules, const msc_record *rec)
{
	int rc = msc_screen(res, rules, rec), v;
	FUZZ_CHECK(rc == MSC_OK, "msc_screen: %s", msc_error_message());
	v = msc_result_verdict(res);
	FUZZ_CHECK(fuzz_verdict_ok(v), "verdict %d out of range", v);
	return v;
}

static void reparse(msc_record *rec, const uint8_t *data, size_t size)
{
	int rc = msc_record_from_json(rec, (const char *)data, size);
	FUZZ_CHECK(rc == MSC_OK, "the record was accepted once and refused the second time: %s",
		   msc_error_message());
}

/* Prints the result of `rec` as modified, for the report. */
static void print_result(const char *label, const msc_rules *rules, const msc_record *rec)
{
	msc_result *res = NULL;
	char *json = NULL;
	if (msc_result_new(&res) == MSC_OK && msc_screen(res, rules, rec) == MSC_OK &&
	    msc_result_to_json(&json, NULL, res) == MSC_OK)
		fprintf(stderr, "  %s: %s\n", label, json);
	msc_free(json);
	msc_result_free(res);
}

static void violation_yesno(const char *what, const msc_rules *rules, msc_record *rec, const char *path,
			    int vu, int vy, int vn)
{
	fprintf(stderr, "\n*** %s VIOLATION (rule set %s): %s unknown -> %s, but %s = yes -> %s and "
		"%s = no -> %s\n", what, msc_rules_name(rules), path, verdict_name(vu), path,
		verdict_name(vy), path, verdict_name(vn));
	if (msc_record_set_answer(rec, path, MSC_UNKNOWN) == MSC_OK)
		print_result("unknown", rules, rec);
	if (msc_record_set_answer(rec, path, vy >= vn ? MSC_YES : MSC_NO) == MSC_OK)
		print_result(vy >= vn ? "yes    " : "no     ", rules, rec);
	fuzz_fail("%s violation: %s unknown gives %s, answered it gives %s", what, path,
		  verdict_name(vu), verdict_name(vy >= vn ? vy : vn));
}

static void check_yesno(const msc_rules *rules, msc_record *rec, msc_result *res, const char *path,
			const uint8_t *data, size_t size)
{
	int vu, vy, vn, worse;

	reparse(rec, data, size);
	FUZZ_CHECK(msc_record_set_answer(rec, path, MSC_UNKNOWN) == MSC_OK, "set %s unknown: %s", path,
		   msc_error_message());
	vu = screen(res, rules, rec);
	if (vu >= MSC_INCOMPLETE)
		return;
	FUZZ_CHECK(msc_record_set_answer(rec, path, MSC_YES) == MSC_OK, "set %s yes: %s", path,
		   msc_error_message());
	vy = screen(res, rules, rec);
	FUZZ_CHECK(msc_record_set_answer(rec, path, MSC_NO) == MSC_OK, "set %s no: %s", path,
		   msc_error_message());
	vn = screen(res, rules, rec);
	if (vy >= MSC_DEFER || vn >= MSC_DEFER)
		violation_yesno("FAIL-SAFE", rules, rec, path, vu, vy, vn);
	worse = vy > vn ? vy : vn;
	if (vu < (worse < MSC_INCOMPLETE ? worse : MSC_INCOMPLETE))
		violation_yesno("MONOTONICITY", rules, rec, path, vu, vy, vn);
}

static void check_list(const msc_rules *rules, msc_record *rec, msc_result *res, const char *path,
		       const uint8_t *data, size_t size)
{
	size_t i;
	int vu, v;

	reparse(rec, data, size);
	FUZZ_CHECK(msc_record_unset(rec, path) == MSC_OK, "unset %s: %s", path, msc_error_message());
	vu = screen(res, rules, rec);
	if (vu != MSC_CLEAR)
		return;
	for (i = 0; i <= sizeof(PROBES) / sizeof(PROBES[0]); i++) {
		const char *const *items = i ? &PROBES[i - 1] : NULL;
		size_t count = i ? 1 : 0;
		FUZZ_CHECK(msc_record_set_list(rec, path, items, count) == MSC_OK, "set %s: %s", path,
			   msc_error_message());
		v = screen(res, rules, rec);
		if (v != MSC_CLEAR) {
			fprintf(stderr, "\n*** FAIL-SAFE VIOLATION (rule set %s): %s unknown -> clear, but "
				"%s = [%s] -> %s\n", msc_rules_name(rules), path, path,
				i ? PROBES[i - 1] : "", verdict_name(v));
			print_result(i ? "answered" : "none    ", rules, rec);
			if (msc_record_unset(rec, path) == MSC_OK)
				print_result("unknown ", rules, rec);
			fuzz_fail("fail-safe violation: %s unknown gives clear, [%s] gives %s", path,
				  i ? PROBES[i - 1] : "", verdict_name(v));
		}
	}
}

static void check(const msc_rules *rules, const uint8_t *data, size_t size)
{
	msc_record *rec = NULL;
	msc_result *res = NULL;
	size_t i;

	if (msc_record_new(&rec, rules) || msc_result_new(&res))
		fuzz_fail("cannot create a record or result");
	if (msc_record_from_json(rec, (const char *)data, size) == MSC_OK) {
		for (i = 0; i < msc_rules_fact_count(rules); i++) {
			const msc_fact_info *f = msc_rules_fact(rules, i);
			if (strcmp(f->type, "yesno") == 0)
				check_yesno(rules, rec, res, f->path, data, size);
			else if (strcmp(f->type, "medications") == 0 || strcmp(f->type, "allergies") == 0 ||
				 strcmp(f->type, "ingredients") == 0)
				check_list(rules, rec, res, f->path, data, size);
		}
	}
	msc_result_free(res);
	msc_record_free(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static msc_rules *builtin, *clinic;

	if (!builtin) {
		builtin = fuzz_rules_builtin();
		clinic = fuzz_rules_clinic();
	}
	check(builtin, data, size);
	check(clinic, data, size);
	return 0;
}
