/*
 * The public API at its edges: every bad-input path of the JSON edge and
 * the setters, the limits at and one past, NULL arguments, result reuse,
 * the batch, and the rule compiler's errors.
 */
#include <string.h>

#define MSC_TEST_BUILTIN_FIXTURE
#include "testutil.h"

static int from_json(const char *json)
{
	return msc_record_from_json(rec, json, strlen(json));
}

static void assert_error(int rc, int code, const char *prefix)
{
	ck_assert_msg(rc == code, "got %s (%s), expected %s", msc_status_name(rc), msc_error_message(),
		      msc_status_name(code));
	ck_assert_msg(strncmp(msc_error_message(), prefix, strlen(prefix)) == 0,
		      "message '%s' does not start with '%s'", msc_error_message(), prefix);
}

/* The record must be empty after a rejected input: screening it gives
 * what an empty record gives, never a half-read patient. */
static void assert_record_empty(void)
{
	msc_record *empty;
	msc_result *r2;
	char *a, *b;
	ck_assert_int_eq(msc_record_new(&empty, rules), MSC_OK);
	ck_assert_int_eq(msc_result_new(&r2), MSC_OK);
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
	ck_assert_int_eq(msc_screen(r2, rules, empty), MSC_OK);
	ck_assert_int_eq(msc_result_to_json(&a, NULL, res), MSC_OK);
	ck_assert_int_eq(msc_result_to_json(&b, NULL, r2), MSC_OK);
	ck_assert_str_eq(a, b);
	msc_free(a);
	msc_free(b);
	msc_result_free(r2);
	msc_record_free(empty);
}

START_TEST(rejected_whole)
{
	/* the first field is valid, the second is not: nothing is kept */
	assert_error(from_json("{\"patient\": {\"pregnant\": true, \"stroke_history\": \"perhaps\"}}"),
		     MSC_EFIELD, "patient.stroke_history:");
	assert_record_empty();
	assert_error(from_json("{\"patient\": {\"pregnant\": true}, \"plan\": {\"area\": \"elbow\"}}"),
		     MSC_EFIELD, "plan.area:");
	assert_record_empty();
}
END_TEST

START_TEST(malformed_json_names_line_and_column)
{
	assert_error(from_json("{\n  \"patient\": {\n    \"pregnant\": tru\n  }\n}"), MSC_EPARSE, "line 3, column");
	assert_error(from_json(""), MSC_EPARSE, "line");
	/* an error found only at the end is reported at the end */
	assert_error(from_json("\n\n{\"patient\": {\"pregnant\": true"), MSC_EPARSE, "line 3, column 30: premature EOF");
	assert_error(from_json("{\"patient\": {}} trailing"), MSC_EPARSE, "line 1");
	/* invalid UTF-8 inside a string */
	assert_error(from_json("{\"patient\": {\"medications\": [\"\xff\xfe\"]}}"), MSC_EPARSE, "line 1");
	/* half a UTF-16 surrogate pair is not a character; a whole pair is */
	assert_error(from_json("{\"patient\": {\"medications\": [\"a\\ud800\"]}}"), MSC_EPARSE,
		     "line 1, column 32: \\ud800 is half of a UTF-16 pair");
	assert_error(from_json("{\"patient\": {\"medications\": [\"\\udc00\\ud800\"]}}"), MSC_EPARSE,
		     "line 1, column 31: \\udc00 is half");
	ck_assert_int_eq(from_json("{\"patient\": {\"medications\": [\"\\\\ud800 \\ud83d\\ude00\"]}}"), MSC_OK);
	/* \u0000 inside a string is refused, naming the entry */
	assert_error(from_json("{\"patient\": {\"medications\": [\"a\\u0000b\"]}}"), MSC_EFIELD,
		     "patient.medications[0]: holds a NUL character");
	assert_record_empty();
}
END_TEST

START_TEST(wrong_types_name_the_field)
{
	assert_error(from_json("{\"patient\": {\"pregnant\": 1}}"), MSC_EFIELD, "patient.pregnant:");
	assert_error(from_json("{\"patient\": {\"hair_transplant_months_ago\": true}}"), MSC_EFIELD,
		     "patient.hair_transplant_months_ago:");
	assert_error(from_json("{\"plan\": {\"area\": 3}}"), MSC_EFIELD, "plan.area:");
	assert_error(from_json("{\"plan\": {\"ingredients\": {}}}"), MSC_EFIELD, "plan.ingredients:");
	assert_error(from_json("{\"plan\": {\"ingredients\": [null]}}"), MSC_EFIELD, "plan.ingredients[0]:");
	assert_error(from_json("{\"patient\": []}"), MSC_EFIELD, "patient:");
	assert_error(from_json("{\"patient\": {\"pregnant\": true}, \"age\": 3}"), MSC_EFIELD, "age:");
	assert_error(from_json("{\"patient\": {\"area\": \"face\"}}"), MSC_EFIELD, "patient.area:");
	assert_error(from_json("{\"patient\": {\"patient.pregnant\": true}}"), MSC_EFIELD, "patient.patient.pregnant:");
	assert_error(from_json("{\"plan\": {\"depth_mm\": 0}}"), MSC_EFIELD, "plan.depth_mm:");
	assert_error(from_json("{\"plan\": {\"depth_mm\": 101}}"), MSC_EFIELD, "plan.depth_mm:");
	assert_error(from_json("{\"patient\": {\"hair_transplant_months_ago\": -1}}"), MSC_EFIELD,
		     "patient.hair_transplant_months_ago:");
	assert_error(from_json("\"a string\""), MSC_EFIELD, "record:");
}
END_TEST

static char *list_json(const char *field, size_t count, size_t len)
{
	size_t cap = 64 + count * (len + 4), i, o;
	char *s = malloc(cap);
	o = (size_t)snprintf(s, cap, "{\"patient\": {\"%s\": [", field);
	for (i = 0; i < count; i++) {
		s[o++] = i ? ',' : ' ';
		s[o++] = '"';
		memset(s + o, 'x', len);
		o += len;
		s[o++] = '"';
	}
	snprintf(s + o, cap - o, "]}}");
	return s;
}

START_TEST(limits_at_and_one_past)
{
	char *at = list_json("allergies", MSC_MAX_LIST, 4), *past = list_json("allergies", MSC_MAX_LIST + 1, 4);
	char *long_ok = list_json("medications", 1, MSC_MAX_TEXT), *long_bad = list_json("medications", 1, MSC_MAX_TEXT + 1);
	char *huge;

	ck_assert_int_eq(from_json(at), MSC_OK);
	assert_error(from_json(past), MSC_ELIMIT, "patient.allergies:");
	ck_assert_int_eq(from_json(long_ok), MSC_OK);
	assert_error(from_json(long_bad), MSC_ELIMIT, "patient.medications[0]:");
	/* a whole record over the size limit */
	huge = malloc(MSC_MAX_RECORD_JSON + 2);
	memset(huge, ' ', MSC_MAX_RECORD_JSON + 1);
	memcpy(huge, "{}", 2);
	huge[MSC_MAX_RECORD_JSON + 1] = '\0';
	assert_error(msc_record_from_json(rec, huge, MSC_MAX_RECORD_JSON + 1), MSC_ELIMIT, "record:");
	ck_assert_int_eq(msc_record_from_json(rec, huge, MSC_MAX_RECORD_JSON), MSC_OK);
	/* deep nesting is refused, not a crash */
	{
		char *deep = malloc(200001);
		memset(deep, '[', 100000);
		memset(deep + 100000, ']', 100000);
		deep[200000] = '\0';
		ck_assert_int_ne(msc_record_from_json(rec, deep, 200000), MSC_OK);
		free(deep);
	}
	free(huge);
	free(at);
	free(past);
	free(long_ok);
	free(long_bad);
}
END_TEST

START_TEST(null_arguments)
{
	msc_rules *r = (msc_rules *)1;
	msc_record *x = (msc_record *)1;
	char *out = (char *)1;
	ck_assert_int_eq(msc_rules_builtin(NULL), MSC_EINVAL);
	ck_assert_int_eq(msc_record_new(NULL, rules), MSC_EINVAL);
	ck_assert_int_eq(msc_record_new(&x, NULL), MSC_EINVAL);
	ck_assert_ptr_null(x);
	ck_assert_int_eq(msc_record_from_json(NULL, "{}", 2), MSC_EINVAL);
	ck_assert_int_eq(msc_record_from_json(rec, NULL, 2), MSC_EINVAL);
	ck_assert_int_eq(msc_record_set_answer(rec, NULL, MSC_YES), MSC_EINVAL);
	ck_assert_int_eq(msc_record_set_word(rec, "area", NULL), MSC_EINVAL);
	ck_assert_int_eq(msc_record_set_list(rec, "allergies", NULL, 2), MSC_EINVAL);
	ck_assert_int_eq(msc_screen(NULL, rules, rec), MSC_EINVAL);
	ck_assert_int_eq(msc_screen(res, NULL, rec), MSC_EINVAL);
	ck_assert_int_eq(msc_screen(res, rules, NULL), MSC_EINVAL);
	ck_assert_int_eq(msc_result_verdict(res), MSC_INCOMPLETE);
	ck_assert_int_eq(msc_result_to_json(&out, NULL, NULL), MSC_EINVAL);
	ck_assert_int_eq(msc_result_verdict(NULL), MSC_INCOMPLETE);
	ck_assert_uint_eq(msc_result_finding_count(NULL), 0);
	ck_assert_ptr_null(msc_result_finding(res, 0));
	ck_assert_ptr_null(msc_result_unrecognized(res, (msc_list)7, 0));
	ck_assert_ptr_null(msc_verdict_name(9));
	ck_assert_str_eq(msc_status_name(-99), "MSC_EUNKNOWN");
	(void)r;
	/* freeing NULL is a no-op */
	msc_rules_free(NULL);
	msc_record_free(NULL);
	msc_result_free(NULL);
	msc_batch_free(NULL);
	msc_compiler_free(NULL);
	msc_free(NULL);
	msc_record_clear(NULL);
	ck_assert(msc_error_message() != NULL);
}
END_TEST

START_TEST(setters_validate)
{
	const char *meds[] = { "Eliquis", "aspirin 100 mg" };
	const char *bad_utf8[] = { "\xc3\x28" };
	const char *null_item[] = { "aspirin", NULL };
	assert_error(msc_record_set_answer(rec, "patient.nope", MSC_YES), MSC_EFIELD, "patient.nope:");
	assert_error(msc_record_set_answer(rec, "area", MSC_YES), MSC_EFIELD, "plan.area:");
	assert_error(msc_record_set_answer(rec, "pregnant", (msc_answer)5), MSC_EINVAL, "patient.pregnant:");
	assert_error(msc_record_set_number(rec, "pregnant", 1), MSC_EFIELD, "patient.pregnant:");
	assert_error(msc_record_set_number(rec, "depth_mm", 1.0 / 0.0), MSC_EFIELD, "plan.depth_mm:");
	assert_error(msc_record_set_word(rec, "technique", "laser"), MSC_EFIELD, "plan.technique:");
	assert_error(msc_record_set_word(rec, "medications", "aspirin"), MSC_EFIELD, "patient.medications:");
	assert_error(msc_record_set_list(rec, "allergies", bad_utf8, 1), MSC_EFIELD, "patient.allergies[0]:");
	assert_error(msc_record_set_list(rec, "allergies", null_item, 2), MSC_EFIELD, "patient.allergies[1]:");
	assert_error(msc_record_set_list(rec, "pregnant", meds, 2), MSC_EFIELD, "patient.pregnant:");
	assert_error(msc_record_set_present(rec, "patients"), MSC_EFIELD, "patients:");
	ck_assert_int_eq(msc_record_set_word(rec, "hair_transplant_months_ago", "never"), MSC_OK);
	ck_assert_int_eq(msc_record_set_word(rec, "hair_transplant_months_ago", "4.5"), MSC_OK);
	ck_assert_int_eq(msc_record_set_word(rec, "pregnant", "unknown"), MSC_OK);
	ck_assert_int_eq(msc_record_set_list(rec, "medications", meds, 2), MSC_OK);
	ck_assert_int_eq(msc_record_set_list(rec, "allergies", NULL, 0), MSC_OK);
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
	ck_assert_int_eq(msc_result_verdict(res), MSC_INCOMPLETE);
}
END_TEST

/* The C API builds the same record as JSON and gets the same result. */
START_TEST(setters_match_json)
{
	const char *meds[] = { "Xarelto" };
	const char *none[] = { NULL };
	msc_record *j;
	msc_result *rj;
	char *a, *b;
	const char *json = "{\"patient\": {\"pregnant\": false, \"breastfeeding\": false, \"stroke_history\": false,"
			   " \"insulin_dependent_diabetes\": false, \"cancer\": false, \"clotting_disorder\": false,"
			   " \"urticaria\": false, \"heart_disease_multiple_drugs\": false, \"medications\": [\"Xarelto\"],"
			   " \"allergies\": [], \"hair_transplant_months_ago\": \"never\"},"
			   " \"plan\": {\"area\": \"thighs\", \"ingredients\": [\"caffeine\"], \"depth_mm\": 5}}";
	static const char *const no[] = { "pregnant", "breastfeeding", "stroke_history", "insulin_dependent_diabetes",
					  "cancer", "clotting_disorder", "urticaria", "heart_disease_multiple_drugs" };
	size_t i;
	const char *ingr[] = { "caffeine" };
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_int_eq(msc_record_set_answer(rec, no[i], MSC_NO), MSC_OK);
	ck_assert_int_eq(msc_record_set_list(rec, "medications", meds, 1), MSC_OK);
	ck_assert_int_eq(msc_record_set_list(rec, "allergies", none, 0), MSC_OK);
	ck_assert_int_eq(msc_record_set_word(rec, "hair_transplant_months_ago", "never"), MSC_OK);
	ck_assert_int_eq(msc_record_set_word(rec, "plan.area", "thighs"), MSC_OK);
	ck_assert_int_eq(msc_record_set_list(rec, "ingredients", ingr, 1), MSC_OK);
	ck_assert_int_eq(msc_record_set_number(rec, "depth_mm", 5), MSC_OK);
	ck_assert_int_eq(msc_record_new(&j, rules), MSC_OK);
	ck_assert_int_eq(msc_result_new(&rj), MSC_OK);
	ck_assert_int_eq(msc_record_from_json(j, json, strlen(json)), MSC_OK);
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
	ck_assert_int_eq(msc_screen(rj, rules, j), MSC_OK);
	ck_assert_int_eq(msc_result_to_json(&a, NULL, res), MSC_OK);
	ck_assert_int_eq(msc_result_to_json(&b, NULL, rj), MSC_OK);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(msc_result_verdict(res), MSC_CAUTION); /* blood thinner + depth 5 mm */
	msc_free(a);
	msc_free(b);
	msc_result_free(rj);
	msc_record_free(j);
}
END_TEST

START_TEST(result_reuse_and_records_of_other_sets)
{
	msc_rules *other;
	msc_record *foreign;
	ck_assert_int_eq(from_json("{\"patient\": {\"pregnant\": true}}"), MSC_OK);
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
	ck_assert_int_eq(msc_result_verdict(res), MSC_DEFER);
	ck_assert_uint_eq(msc_result_finding_count(res), 1);
	msc_record_clear(rec);
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
	ck_assert_int_eq(msc_result_verdict(res), MSC_INCOMPLETE);
	ck_assert_uint_eq(msc_result_finding_count(res), 0);
	ck_assert_str_eq(msc_result_ruleset_name(res), "builtin");
	/* a record made for another rule set is refused */
	ck_assert_int_eq(msc_rules_builtin(&other), MSC_OK);
	ck_assert_int_eq(msc_record_new(&foreign, other), MSC_OK);
	ck_assert_int_eq(msc_screen(res, rules, foreign), MSC_EINVAL);
	ck_assert_int_eq(msc_result_verdict(res), MSC_INCOMPLETE);
	msc_record_free(foreign);
	msc_rules_free(other);
}
END_TEST

/* A fill callback, as a binding reading columns writes one: row i of a
 * tiny table, a bad value in row 1, a non-status in row 3, a value the
 * callback itself refuses in row 4. */
static const char *const fill_pregnant[] = { "yes", "perhaps", "no", NULL };

static int fill_row(msc_record *r, size_t i, void *ctx)
{
	int rc;
	(*(int *)ctx)++;
	if (i == 3)
		return 42; /* not a status */
	if (i == 4) {
		ck_assert_int_eq(msc_record_set_answer(r, "pregnant", MSC_YES), MSC_OK);
		return msc_error_set(MSC_EFIELD, "patient.age: the column holds \"forty\", not a number");
	}
	rc = msc_record_set_word(r, "pregnant", fill_pregnant[i]);
	if (rc)
		return rc;
	return msc_record_set_answer(r, "stroke_history", i == 2 ? MSC_YES : MSC_NO);
}

START_TEST(batch_fill_screens_records_written_by_a_callback)
{
	msc_batch *b;
	int calls = 0;

	ck_assert_int_eq(msc_batch_new(&b, rules, MSC_BATCH_KEEP_JSON), MSC_OK);
	ck_assert_int_eq(msc_batch_screen_fill(b, 5, fill_row, &calls), MSC_OK);
	ck_assert_int_eq(calls, 5);
	ck_assert_uint_eq(msc_batch_count(b), 5);
	ck_assert_int_eq(msc_batch_status(b, 0), MSC_OK);
	ck_assert_int_eq(msc_batch_verdict(b, 0), MSC_DEFER);
	ck_assert_str_eq(msc_batch_fired(b, 0), "CI.PREGNANCY");
	/* the rejected row names the field, and leaves nothing behind: row 2
	 * does not inherit row 1's half-filled record */
	ck_assert_int_eq(msc_batch_status(b, 1), MSC_EFIELD);
	ck_assert(strncmp(msc_batch_error(b, 1), "patient.pregnant:", 17) == 0);
	ck_assert_int_eq(msc_batch_verdict(b, 1), MSC_INCOMPLETE);
	ck_assert_ptr_null(msc_batch_result_json(b, 1));
	ck_assert_int_eq(msc_batch_status(b, 2), MSC_OK);
	ck_assert_int_eq(msc_batch_verdict(b, 2), MSC_CONTRAINDICATED);
	ck_assert_str_eq(msc_batch_fired(b, 2), "CI.STROKE");
	ck_assert(strstr(msc_batch_result_json(b, 2), "\"patient.stroke_history = yes\"") != NULL);
	ck_assert_int_eq(msc_batch_status(b, 3), MSC_EINVAL);
	ck_assert(strstr(msc_batch_error(b, 3), "returned 42, not a status") != NULL);
	/* the callback's own refusal: its message, and the half-filled record is not screened */
	ck_assert_int_eq(msc_batch_status(b, 4), MSC_EFIELD);
	ck_assert_str_eq(msc_batch_error(b, 4), "patient.age: the column holds \"forty\", not a number");
	ck_assert_int_eq(msc_batch_verdict(b, 4), MSC_INCOMPLETE);
	ck_assert_str_eq(msc_batch_fired(b, 4), "");
	/* the same record through the JSON path gives the same result */
	ck_assert_int_eq(from_json("{\"patient\": {\"pregnant\": \"no\", \"stroke_history\": true}}"), MSC_OK);
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
	{
		char *json;
		ck_assert_int_eq(msc_result_to_json(&json, NULL, res), MSC_OK);
		ck_assert_str_eq(json, msc_batch_result_json(b, 2));
		msc_free(json);
	}
	/* no records, no output; NULL arguments */
	ck_assert_int_eq(msc_batch_screen_fill(b, 0, fill_row, &calls), MSC_OK);
	ck_assert_uint_eq(msc_batch_count(b), 0);
	ck_assert_int_eq(msc_batch_screen_fill(b, 1, NULL, NULL), MSC_EINVAL);
	ck_assert_int_eq(msc_batch_screen_fill(NULL, 1, fill_row, &calls), MSC_EINVAL);
	msc_batch_free(b);
}
END_TEST

START_TEST(batch_screens_records_held_in_memory)
{
	msc_batch *b;
	msc_rules *other;
	msc_record *recs[40], *foreign;
	const msc_record *in[43];
	size_t i;

	ck_assert_int_eq(msc_batch_new(&b, rules, MSC_BATCH_KEEP_JSON), MSC_OK);
	ck_assert_int_eq(msc_rules_builtin(&other), MSC_OK);
	ck_assert_int_eq(msc_record_new(&foreign, other), MSC_OK);
	/* 40 records, every third pregnant, every fifth with a stroke, their
	 * lists long enough for the pool to leave the block; among them a NULL
	 * and a record of another rule set */
	for (i = 0; i < 40; i++) {
		const char *meds[] = { "aspirin", "Eliquis 5mg", "paracetamol 500 mg", "Zzyzx", "vitamin D",
				       "ibuprofen", "Lipitor", "Ventolin inhaler", "amoxicillin 500 mg" };
		ck_assert_int_eq(msc_record_new(&recs[i], rules), MSC_OK);
		ck_assert_int_eq(msc_record_set_answer(recs[i], "pregnant", i % 3 == 0 ? MSC_YES : MSC_NO), MSC_OK);
		ck_assert_int_eq(msc_record_set_answer(recs[i], "stroke_history", i % 5 == 0 ? MSC_YES : MSC_NO),
				 MSC_OK);
		ck_assert_int_eq(msc_record_set_list(recs[i], "medications", meds, i % 2 ? 9 : i % 9), MSC_OK);
	}
	for (i = 0; i < 43; i++)
		in[i] = i < 20 ? recs[i] : i == 20 ? NULL : i == 21 ? foreign : i == 22 ? recs[0] : recs[i - 3];
	ck_assert_int_eq(msc_batch_screen_records(b, in, 43), MSC_OK);
	ck_assert_uint_eq(msc_batch_count(b), 43);
	for (i = 0; i < 43; i++) {
		char *json;
		if (!in[i] || in[i] == foreign) {
			ck_assert_int_eq(msc_batch_status(b, i), MSC_EINVAL);
			ck_assert_str_eq(msc_batch_error(b, i), in[i] ? "the record was made for another rule set"
								       : "record 20 is NULL");
			ck_assert_int_eq(msc_batch_verdict(b, i), MSC_INCOMPLETE);
			ck_assert_ptr_null(msc_batch_result_json(b, i));
			continue;
		}
		/* the same as msc_screen() on it */
		ck_assert_int_eq(msc_batch_status(b, i), MSC_OK);
		ck_assert_int_eq(msc_screen(res, rules, in[i]), MSC_OK);
		ck_assert_int_eq(msc_batch_verdict(b, i), msc_result_verdict(res));
		ck_assert_int_eq(msc_result_to_json(&json, NULL, res), MSC_OK);
		ck_assert_str_eq(msc_batch_result_json(b, i), json);
		msc_free(json);
	}
	ck_assert_int_eq(msc_batch_verdict(b, 0), MSC_CONTRAINDICATED);
	ck_assert_int_eq(msc_batch_verdict(b, 3), MSC_DEFER);
	/* no records, no output; NULL arguments */
	ck_assert_int_eq(msc_batch_screen_records(b, NULL, 0), MSC_OK);
	ck_assert_uint_eq(msc_batch_count(b), 0);
	ck_assert_int_eq(msc_batch_screen_records(b, NULL, 1), MSC_EINVAL);
	ck_assert_int_eq(msc_batch_screen_records(NULL, in, 1), MSC_EINVAL);
	for (i = 0; i < 40; i++)
		msc_record_free(recs[i]);
	msc_record_free(foreign);
	msc_rules_free(other);
	msc_batch_free(b);
}
END_TEST

START_TEST(error_set_keeps_a_callers_message)
{
	ck_assert_int_eq(msc_error_set(MSC_ELIMIT, "too many rows"), MSC_ELIMIT);
	ck_assert_int_eq(msc_error_code(), MSC_ELIMIT);
	ck_assert_str_eq(msc_error_message(), "too many rows");
	ck_assert_int_eq(msc_error_set(MSC_EIO, NULL), MSC_EIO);
	ck_assert_str_eq(msc_error_message(), "MSC_EIO");
	/* not an error status: refused, and said */
	ck_assert_int_eq(msc_error_set(MSC_OK, "fine"), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "msc_error_set: 0 is not an error status");
	ck_assert_int_eq(msc_error_set(-8, "x"), MSC_EINVAL);
	ck_assert_int_eq(msc_error_set(1, "x"), MSC_EINVAL);
}
END_TEST

START_TEST(fact_info_says_which_numbers_accept_never)
{
	size_t i, never = 0;
	for (i = 0; i < msc_rules_fact_count(rules); i++) {
		const msc_fact_info *fi = msc_rules_fact(rules, i);
		/* the flag agrees with what the setter takes */
		int takes = msc_record_set_word(rec, fi->path, "never") == MSC_OK;
		msc_record_clear(rec);
		ck_assert_int_eq(fi->accepts_never, strcmp(fi->type, "number") == 0 && takes);
		if (fi->accepts_never) {
			ck_assert_str_eq(fi->path, "patient.hair_transplant_months_ago");
			never++;
		}
	}
	ck_assert_uint_eq(never, 1);
}
END_TEST

START_TEST(codes_win_whatever_the_order)
{
	/* a code's yes stands against an unknown answer given before or after it */
	static const char *const orders[] = {
		"{\"patient\": {\"medications\": [\"Lantus\"], \"insulin_dependent_diabetes\": null}}",
		"{\"patient\": {\"insulin_dependent_diabetes\": null, \"medications\": [\"Lantus\"]}}",
		"{\"patient\": {\"conditions\": [\"E10.9\"], \"insulin_dependent_diabetes\": \"unknown\"}}",
		"{\"patient\": {\"insulin_dependent_diabetes\": \"unknown\", \"conditions\": [\"E10.9\"]}}",
	};
	size_t i;
	for (i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		ck_assert_int_eq(from_json(orders[i]), MSC_OK);
		ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
		ck_assert_msg(msc_result_verdict(res) == MSC_CONTRAINDICATED, "record %zu: %s", i,
			      msc_verdict_name(msc_result_verdict(res)));
		ck_assert_str_eq(msc_result_finding(res, 0)->rule, "CI.IDDM");
	}
}
END_TEST

START_TEST(batch_reports_bad_lines_and_keeps_the_good)
{
	msc_batch *b;
	const char *lines = "{\"patient\": {\"pregnant\": true}}\n"
			    "{\"patient\": {\"pregnant\": \"maybe\"}}\n"
			    "\n"
			    "not json\r\n"
			    "{\"patient\": {\"stroke_history\": true, \"pregnant\": true}}";
	ck_assert_int_eq(msc_batch_new(&b, rules, 0), MSC_OK);
	ck_assert_int_eq(msc_batch_screen_lines(b, lines, strlen(lines)), MSC_OK);
	ck_assert_uint_eq(msc_batch_count(b), 5);
	ck_assert_int_eq(msc_batch_status(b, 0), MSC_OK);
	ck_assert_int_eq(msc_batch_verdict(b, 0), MSC_DEFER);
	ck_assert_str_eq(msc_batch_fired(b, 0), "CI.PREGNANCY");
	ck_assert_int_eq(msc_batch_status(b, 1), MSC_EFIELD);
	ck_assert_str_eq(msc_batch_fired(b, 1), "");
	ck_assert(strncmp(msc_batch_error(b, 1), "patient.pregnant:", 17) == 0);
	ck_assert_int_eq(msc_batch_status(b, 2), MSC_EPARSE);
	ck_assert_int_eq(msc_batch_status(b, 3), MSC_EPARSE);
	ck_assert_int_eq(msc_batch_verdict(b, 4), MSC_CONTRAINDICATED);
	ck_assert_str_eq(msc_batch_fired(b, 4), "CI.PREGNANCY,CI.STROKE");
	ck_assert_ptr_null(msc_batch_error(b, 4));
	ck_assert_ptr_null(msc_batch_result_json(b, 4)); /* not kept without the flag */
	ck_assert_int_eq(msc_batch_status(b, 5), MSC_EINVAL);
	ck_assert_ptr_null(msc_batch_fired(b, 5));
	msc_batch_free(b);
	ck_assert_int_eq(msc_batch_new(&b, rules, 1u << 7), MSC_EINVAL);
	/* flat rows, as pandas writes them */
	ck_assert_int_eq(msc_batch_new(&b, rules, MSC_BATCH_FLAT | MSC_BATCH_KEEP_JSON), MSC_OK);
	lines = "{\"pregnant\": false, \"area\": \"scalp\", \"hair_transplant_months_ago\": 2, \"depth_mm\": null}\n"
		"{\"pregnnt\": true}\n";
	ck_assert_int_eq(msc_batch_screen_lines(b, lines, strlen(lines)), MSC_OK);
	ck_assert_uint_eq(msc_batch_count(b), 2);
	ck_assert_str_eq(msc_batch_fired(b, 0), "PR.HAIR_TRANSPLANT");
	ck_assert(strstr(msc_batch_result_json(b, 0), "\"verdict\":\"defer\"") != NULL);
	ck_assert(strncmp(msc_batch_error(b, 1), "pregnnt:", 8) == 0);
	msc_batch_free(b);
}
END_TEST

START_TEST(rules_and_questions_json)
{
	char *out;
	size_t len;
	ck_assert_int_eq(msc_rules_to_json(&out, &len, rules), MSC_OK);
	ck_assert_uint_eq(strlen(out), len);
	ck_assert(strstr(out, "\"id\":\"CI.PREGNANCY\"") != NULL);
	msc_free(out);
	/* for a face plan the hair-transplant question cannot matter */
	ck_assert_int_eq(from_json("{\"plan\": {\"area\": \"face\", \"ingredients\": [\"biotin\"]}}"), MSC_OK);
	ck_assert_int_eq(msc_questions_to_json(&out, NULL, rules, rec), MSC_OK);
	ck_assert(strstr(out, "patient.pregnant") != NULL);
	ck_assert(strstr(out, "hair_transplant") == NULL);
	msc_free(out);
	ck_assert_int_eq(from_json("{\"plan\": {\"area\": \"scalp\"}}"), MSC_OK);
	ck_assert_int_eq(msc_questions_to_json(&out, NULL, rules, rec), MSC_OK);
	ck_assert(strstr(out, "hair_transplant") != NULL);
	msc_free(out);
}
END_TEST

/* ------------------------------------------------------------ compiler */

static void assert_compile_error(const char *text, const char *expected)
{
	msc_compiler *c;
	msc_rules *r = (msc_rules *)1;
	size_t i;
	int found = 0;
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "clinic.rules", text, strlen(text)), MSC_ERULES);
	for (i = 0; i < msc_compiler_error_count(c); i++)
		found |= strcmp(msc_compiler_error(c, i), expected) == 0;
	ck_assert_msg(found, "expected '%s', first error: '%s'", expected,
		      msc_compiler_error(c, 0) ? msc_compiler_error(c, 0) : "(none)");
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_ERULES);
	ck_assert_ptr_null(r);
	msc_compiler_free(c);
}

START_TEST(compiler_errors_at_line_and_column)
{
	assert_compile_error("rule CI.PREGNANCY\n  severity defer\n  when patient.pregnant\n  message \"x\"\n  sources S004\n",
			     "clinic.rules:1:6: duplicate id 'CI.PREGNANCY' (to change an earlier rule, use 'override' or 'disable')");
	assert_compile_error("rule X.A\n  severity defer\n  when patient.age < 18\n  message \"x\"\n  sources S004\n",
			     "clinic.rules:3:8: unknown fact 'patient.age'");
	assert_compile_error("rule X.A\n  severity maybe\n  when patient.pregnant\n  message \"x\"\n  sources S004\n",
			     "clinic.rules:2:12: severity is contraindicated, defer or caution, not 'maybe'");
	assert_compile_error("rule X.A\n  severity defer\n  when plan.area < 3\n  message \"x\"\n  sources S004\n",
			     "clinic.rules:3:18: '<' compares numbers, and plan.area is enum");
	assert_compile_error("rule X.A\n  severity defer\n  when plan.area = elbow\n  message \"x\"\n  sources S004\n",
			     "clinic.rules:3:20: 'elbow' is not a value of plan.area");
	assert_compile_error("rule X.A\n  severity defer\n  when patient.pregnant\n  message \"x\n",
			     "clinic.rules:4:11: unterminated string");
	assert_compile_error("rule X.A\n  severity defer\n  when patient.pregnant\n  message \"x\"\n  sources S999\n",
			     "clinic.rules:5:11: unknown source 'S999' (declare it with 'source')");
	assert_compile_error("fact patient.age words\n", "clinic.rules:1:18: expected a fact type (yesno, number, enum, medications, allergies, ingredients, codes), not 'words'");
	assert_compile_error("rule X.A\n  severity defer\n  message \"x\"\n  sources S004\n",
			     "clinic.rules:1:1: rule X.A has no 'when' condition");
	/* a property without its value does not swallow the next line */
	assert_compile_error("fact patient.x number\n  min\n  max 5\n", "clinic.rules:2:6: expected a number, not ''");
	{
		msc_compiler *c;
		const char *t = "fact patient.x number\n  min\n  max 5\n";
		ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
		ck_assert_int_eq(msc_compiler_add_text(c, "c", t, strlen(t)), MSC_ERULES);
		ck_assert_uint_eq(msc_compiler_error_count(c), 1);
		msc_compiler_free(c);
	}
	assert_compile_error("bogus\n", "clinic.rules:1:1: expected ruleset, version, source, fact, rule, instruction, override or disable, not 'bogus'");
}
END_TEST

/* A long and/or chain is refused at compile time, not a stack overflow
 * when screening (found by the fuzzing work). */
START_TEST(long_conditions_are_refused)
{
	msc_compiler *c;
	size_t n = 100000, i, cap = 256 + n * 10;
	char *t = malloc(cap);
	size_t o = (size_t)snprintf(t, cap, "source P \"p\"\nrule C.1\n  severity defer\n  when cancer");
	for (i = 1; i < n; i++)
		o += (size_t)snprintf(t + o, cap - o, " or cancer");
	snprintf(t + o, cap - o, "\n  message \"m\"\n  sources P\n");
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "c", t, strlen(t)), MSC_ERULES);
	ck_assert_str_eq(msc_compiler_error(c, 0), "c:4:2575: condition has more than 512 terms");
	ck_assert_uint_eq(msc_compiler_error_count(c), 1);
	msc_compiler_free(c);
	free(t);
}
END_TEST

START_TEST(compiler_collects_every_error)
{
	msc_compiler *c;
	const char *text = "rule X.A\n  severity maybe\n  when patient.pregnant\n  message \"x\"\n  sources S004\n"
			   "rule X.B\n  severity defer\n  when patient.nope\n  message \"x\"\n  sources S004\n";
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "f", text, strlen(text)), MSC_ERULES);
	ck_assert_uint_eq(msc_compiler_error_count(c), 2);
	ck_assert_ptr_null(msc_compiler_error(c, 2));
	msc_compiler_free(c);
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_file(c, "/nonexistent/x.rules"), MSC_EIO);
	msc_compiler_free(c);
}
END_TEST

static const char *const CLINIC =
	"ruleset test-clinic\nversion 7\n"
	"source P \"protocol\"\n"
	"fact patient.age number\n  min 0\n  question \"age?\"\n"
	"rule C.MINOR\n  severity defer\n  when patient.age < 18\n  message \"minor\"\n  sources P\n";

START_TEST(clinic_rules_add_facts_and_provenance)
{
	msc_compiler *c;
	msc_rules *r;
	msc_record *x;
	msc_result *y;
	const msc_rules_file *f;
	char *json;
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "clinic.rules", CLINIC, strlen(CLINIC)), MSC_OK);
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_OK);
	/* the compiler has handed its rules over */
	ck_assert_int_eq(msc_compiler_add_text(c, "again", CLINIC, strlen(CLINIC)), MSC_EINVAL);
	msc_compiler_free(c);
	ck_assert_str_eq(msc_rules_name(r), "builtin+test-clinic");
	ck_assert_str_eq(msc_rules_version(r), "1.0.0");
	ck_assert_uint_eq(msc_rules_file_count(r), 1);
	f = msc_rules_file_get(r, 0);
	ck_assert_str_eq(f->name, "clinic.rules");
	ck_assert_str_eq(f->ruleset, "test-clinic");
	ck_assert_str_eq(f->version, "7");
	ck_assert_uint_eq(strlen(f->sha256), 64);
	ck_assert_ptr_null(msc_rules_file_get(r, 1));
	ck_assert_str_eq(msc_rules_find(r, "C.MINOR")->origin, "clinic.rules");
	ck_assert_int_eq(msc_record_new(&x, r), MSC_OK);
	ck_assert_int_eq(msc_result_new(&y), MSC_OK);
	/* the record accepts the declared fact; the built-in record does not */
	ck_assert_int_eq(msc_record_from_json(x, "{\"patient\": {\"age\": 16}}", strlen("{\"patient\": {\"age\": 16}}")), MSC_OK);
	assert_error(from_json("{\"patient\": {\"age\": 16}}"), MSC_EFIELD, "patient.age:");
	ck_assert_int_eq(msc_screen(y, r, x), MSC_OK);
	ck_assert_int_eq(msc_result_verdict(y), MSC_DEFER);
	ck_assert_str_eq(msc_result_finding(y, 0)->rule, "C.MINOR");
	ck_assert_int_eq(msc_result_to_json(&json, NULL, y), MSC_OK);
	ck_assert(strstr(json, "\"sha256\":\"") != NULL);
	ck_assert(strstr(json, "\"name\":\"builtin+test-clinic\"") != NULL);
	ck_assert(strstr(json, "\"overrides\"") == NULL);
	msc_free(json);
	/* an adult: the clinic rule is silent */
	ck_assert_int_eq(msc_record_set_number(x, "age", 40), MSC_OK);
	ck_assert_int_eq(msc_screen(y, r, x), MSC_OK);
	ck_assert_ptr_null(msc_rules_find(r, "C.NOPE"));
	ck_assert(msc_result_finding_count(y) == 0 || strcmp(msc_result_finding(y, 0)->rule, "C.MINOR") != 0);
	msc_result_free(y);
	msc_record_free(x);
	msc_rules_free(r);
}
END_TEST

static msc_rules *compile_clinic(const char *text, int expect)
{
	msc_compiler *c;
	msc_rules *r = NULL;
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "c.rules", text, strlen(text)), expect);
	if (expect == MSC_OK)
		ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_OK);
	else
		ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_ERULES);
	msc_compiler_free(c);
	return r;
}

START_TEST(weakening_needs_a_reason)
{
	msc_rules *r;
	msc_record *x;
	msc_result *y;
	char *json;
	/* refused: a milder severity, a new condition, a disable, without reason */
	compile_clinic("override CI.HEART\n  severity caution\n", MSC_ERULES);
	compile_clinic("override CI.STROKE\n  when patient.cancer\n", MSC_ERULES);
	compile_clinic("disable CI.ALLERGY\n", MSC_ERULES);
	compile_clinic("override CI.NOPE\n  severity defer\n  reason \"x\"\n", MSC_ERULES);
	/* a text with an error changes nothing, not even its valid overrides */
	r = compile_clinic("override PR.DEPTH\n  severity defer\n\nrule X\n  severity bad\n", MSC_ERULES);
	ck_assert_ptr_null(r);
	/* a later file cannot weaken under an earlier file's reason */
	{
		msc_compiler *c;
		const char *t1 = "override CI.STROKE\n  severity defer\n  reason \"r1\"\n";
		const char *t2 = "override CI.STROKE\n  severity caution\n";
		const char *t3 = "disable CI.STROKE\n";
		ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
		ck_assert_int_eq(msc_compiler_add_text(c, "t1.rules", t1, strlen(t1)), MSC_OK);
		ck_assert_int_eq(msc_compiler_add_text(c, "t2.rules", t2, strlen(t2)), MSC_ERULES);
		ck_assert_int_eq(msc_compiler_add_text(c, "t3.rules", t3, strlen(t3)), MSC_ERULES);
		ck_assert_str_eq(msc_compiler_error(c, 0),
				 "t2.rules:1:1: this override can weaken CI.STROKE: state a 'reason' (it is shown in every result it affects)");
		ck_assert_str_eq(msc_compiler_error(c, 1), "t3.rules:1:1: disabling CI.STROKE needs a stated 'reason'");
		msc_compiler_free(c);
	}
	/* stricter needs no reason */
	r = compile_clinic("override PR.DEPTH\n  severity defer\n", MSC_OK);
	ck_assert_int_eq(msc_rules_find(r, "PR.DEPTH")->severity, MSC_DEFER);
	/* ...and its result, which lists the change with no reason, is written */
	ck_assert_int_eq(msc_record_new(&x, r), MSC_OK);
	ck_assert_int_eq(msc_result_new(&y), MSC_OK);
	ck_assert_int_eq(msc_record_set_number(x, "depth_mm", 6), MSC_OK);
	ck_assert_int_eq(msc_screen(y, r, x), MSC_OK);
	ck_assert_uint_eq(msc_result_override_count(y), 1);
	ck_assert_ptr_null(msc_result_override(y, 0)->reason);
	ck_assert_int_eq(msc_result_to_json(&json, NULL, y), MSC_OK);
	ck_assert(strstr(json, "\"reason\":null") != NULL);
	msc_free(json);
	msc_result_free(y);
	msc_record_free(x);
	msc_rules_free(r);
	/* a stated reason is accepted, and shown in every result it affects */
	r = compile_clinic("disable CI.HEART\n  reason \"cardiology on site\"\n", MSC_OK);
	ck_assert(msc_rules_find(r, "CI.HEART")->disabled);
	ck_assert_int_eq(msc_record_new(&x, r), MSC_OK);
	ck_assert_int_eq(msc_result_new(&y), MSC_OK);
	ck_assert_int_eq(msc_record_set_answer(x, "heart_disease_multiple_drugs", MSC_YES), MSC_OK);
	ck_assert_int_eq(msc_screen(y, r, x), MSC_OK);
	ck_assert_uint_eq(msc_result_override_count(y), 1);
	ck_assert_str_eq(msc_result_override(y, 0)->rule, "CI.HEART");
	ck_assert_str_eq(msc_result_override(y, 0)->action, "disabled");
	ck_assert_str_eq(msc_result_override(y, 0)->reason, "cardiology on site");
	ck_assert_ptr_null(msc_result_override(y, 1));
	ck_assert_int_eq(msc_result_to_json(&json, NULL, y), MSC_OK);
	ck_assert(strstr(json, "cardiology on site") != NULL);
	msc_free(json);
	/* not affected (answer no): no override entry */
	ck_assert_int_eq(msc_record_set_answer(x, "heart_disease_multiple_drugs", MSC_NO), MSC_OK);
	ck_assert_int_eq(msc_screen(y, r, x), MSC_OK);
	ck_assert_uint_eq(msc_result_override_count(y), 0);
	msc_result_free(y);
	msc_record_free(x);
	msc_rules_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api");
	TCase *j = tcase_create("json");
	TCase *r = tcase_create("record");
	TCase *c = tcase_create("compiler");
	tcase_add_checked_fixture(j, setup, teardown);
	tcase_add_checked_fixture(r, setup, teardown);
	tcase_add_test(j, rejected_whole);
	tcase_add_test(j, malformed_json_names_line_and_column);
	tcase_add_test(j, wrong_types_name_the_field);
	tcase_add_test(j, limits_at_and_one_past);
	tcase_add_test(r, null_arguments);
	tcase_add_test(r, setters_validate);
	tcase_add_test(r, setters_match_json);
	tcase_add_test(r, result_reuse_and_records_of_other_sets);
	tcase_add_test(r, codes_win_whatever_the_order);
	tcase_add_test(r, batch_reports_bad_lines_and_keeps_the_good);
	tcase_add_test(r, batch_fill_screens_records_written_by_a_callback);
	tcase_add_test(r, batch_screens_records_held_in_memory);
	tcase_add_test(r, error_set_keeps_a_callers_message);
	tcase_add_test(r, fact_info_says_which_numbers_accept_never);
	tcase_add_test(r, rules_and_questions_json);
	tcase_add_test(c, compiler_errors_at_line_and_column);
	tcase_add_test(c, compiler_collects_every_error);
	tcase_add_test(c, long_conditions_are_refused);
	tcase_add_checked_fixture(c, setup, teardown);
	tcase_add_test(c, clinic_rules_add_facts_and_provenance);
	tcase_add_test(c, weakening_needs_a_reason);
	suite_add_tcase(s, j);
	suite_add_tcase(s, r);
	suite_add_tcase(s, c);
	return msc_test_main(s);
}
