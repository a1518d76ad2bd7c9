/*
 * The record's setters by fact index and its list values (record.h): the
 * same records, results and errors as the setters by name, whatever way a
 * list is set; their bad inputs; and allocation failure at each step of
 * setting lists (their entries, and the code rows they match).
 */
#include <string.h>

#define MSC_TEST_BUILTIN_FIXTURE
#include "testutil.h"

static size_t fact(const msc_rules *r, const char *path)
{
	size_t i;
	for (i = 0; i < msc_rules_fact_count(r); i++)
		if (strcmp(msc_rules_fact(r, i)->path, path) == 0)
			return i;
	ck_abort_msg("no fact %s", path);
	return 0;
}

/* The result JSON of screening a record (the caller frees). */
static char *screened(msc_record *r)
{
	char *json;
	ck_assert_int_eq(msc_screen(res, rules, r), MSC_OK);
	ck_assert_int_eq(msc_result_to_json(&json, NULL, res), MSC_OK);
	return json;
}

static void assert_same(msc_record *a, msc_record *b)
{
	char *x = screened(a), *y = screened(b);
	ck_assert_str_eq(x, y);
	msc_free(x);
	msc_free(y);
}

static void assert_error(int rc, int code, const char *prefix)
{
	ck_assert_msg(rc == code, "got %s (%s), expected %s", msc_status_name(rc), msc_error_message(),
		      msc_status_name(code));
	ck_assert_msg(strncmp(msc_error_message(), prefix, strlen(prefix)) == 0,
		      "message '%s' does not start with '%s'", msc_error_message(), prefix);
}

/* Medications and conditions with codes (insulin, an ATC code, ICD-10
 * codes), a blood thinner by brand, an unknown name, allergies and a
 * mixture: the lists that exercise the lexicons and the code rows. */
static const char *const MEDS[] = { "Eliquis 5 mg", "insulin glargine", "B01AC06", "Frobozz", "aspirin 100 mg" };
static const char *const CONDS[] = { "E10.9", "z39.1", "O09" };
static const char *const ALLERGIES[] = { "lidocaine", "penicillin" };
static const char *const INGREDIENTS[] = { "biotin", "lidocaine HCl" };

static void by_name(msc_record *r)
{
	ck_assert_int_eq(msc_record_set_answer(r, "pregnant", MSC_NO), MSC_OK);
	ck_assert_int_eq(msc_record_set_list(r, "medications", MEDS, 5), MSC_OK);
	ck_assert_int_eq(msc_record_set_list(r, "conditions", CONDS, 3), MSC_OK);
	ck_assert_int_eq(msc_record_set_list(r, "allergies", ALLERGIES, 2), MSC_OK);
	ck_assert_int_eq(msc_record_set_number(r, "hair_transplant_months_ago", 3), MSC_OK);
	ck_assert_int_eq(msc_record_set_word(r, "area", "scalp"), MSC_OK);
	ck_assert_int_eq(msc_record_set_list(r, "ingredients", INGREDIENTS, 2), MSC_OK);
	ck_assert_int_eq(msc_record_set_number(r, "depth_mm", 4.5), MSC_OK);
	ck_assert_int_eq(msc_record_unset(r, "breastfeeding"), MSC_OK);
}

START_TEST(setters_at_match_setters_by_name)
{
	/* words and entries with lengths: slices of larger texts */
	const char *slices[] = { "Eliquis 5 mg, twice", "insulin glargine!", "B01AC06 ", "Frobozz", "aspirin 100 mg" };
	const size_t lens[] = { 12, 16, 7, 7, 14 };
	msc_record *b;
	ck_assert_int_eq(msc_record_new(&b, rules), MSC_OK);
	by_name(rec);
	ck_assert_int_eq(msc_record_set_answer_at(b, fact(rules, "patient.pregnant"), MSC_NO), MSC_OK);
	ck_assert_int_eq(msc_record_set_list_at(b, fact(rules, "patient.medications"), slices, lens, 5), MSC_OK);
	ck_assert_int_eq(msc_record_set_list_at(b, fact(rules, "patient.conditions"), CONDS, NULL, 3), MSC_OK);
	ck_assert_int_eq(msc_record_set_list_at(b, fact(rules, "patient.allergies"), ALLERGIES, NULL, 2), MSC_OK);
	ck_assert_int_eq(msc_record_set_number_at(b, fact(rules, "patient.hair_transplant_months_ago"), 3), MSC_OK);
	ck_assert_int_eq(msc_record_set_word_at(b, fact(rules, "plan.area"), "scalpel", 5), MSC_OK);
	ck_assert_int_eq(msc_record_set_list_at(b, fact(rules, "plan.ingredients"), INGREDIENTS, NULL, 2), MSC_OK);
	ck_assert_int_eq(msc_record_set_number_at(b, fact(rules, "plan.depth_mm"), 4.5), MSC_OK);
	ck_assert_int_eq(msc_record_unset_at(b, fact(rules, "patient.breastfeeding")), MSC_OK);
	assert_same(rec, b);
	msc_record_free(b);
}
END_TEST

START_TEST(setters_at_refuse_as_by_name)
{
	const char *nul[] = { "aspirin", "ab\0c" };
	const char *icd[] = { "E10.9", "E1?.9 and more" };
	size_t n = msc_rules_fact_count(rules), lens[] = { 7, 4 };
	assert_error(msc_record_set_answer_at(NULL, 0, MSC_YES), MSC_EINVAL, "record is NULL");
	assert_error(msc_record_set_answer_at(rec, n, MSC_YES), MSC_EFIELD, "fact ");
	assert_error(msc_record_set_number_at(rec, n, 1), MSC_EFIELD, "fact ");
	assert_error(msc_record_set_word_at(rec, n, "x", 1), MSC_EFIELD, "fact ");
	assert_error(msc_record_set_list_at(rec, n, NULL, NULL, 0), MSC_EFIELD, "fact ");
	assert_error(msc_record_unset_at(rec, n), MSC_EFIELD, "fact ");
	assert_error(msc_record_set_word_at(rec, fact(rules, "plan.area"), NULL, 0), MSC_EINVAL, "plan.area:");
	assert_error(msc_record_set_word_at(rec, fact(rules, "plan.area"), "sc\0alp", 6), MSC_EFIELD,
		     "plan.area: holds a NUL");
	assert_error(msc_record_set_answer_at(rec, fact(rules, "plan.area"), MSC_YES), MSC_EFIELD, "plan.area:");
	assert_error(msc_record_set_list_at(rec, fact(rules, "patient.allergies"), nul, lens, 2), MSC_EFIELD,
		     "patient.allergies[1]: holds a NUL");
	assert_error(msc_record_set_list_at(rec, fact(rules, "patient.conditions"), icd, NULL, 2), MSC_EFIELD,
		     "patient.conditions[1]: \"E1?.9 and more\" is not an ICD-10 code");
	/* with a length, the message quotes that much of the entry */
	lens[0] = 5;
	lens[1] = 5;
	assert_error(msc_record_set_list_at(rec, fact(rules, "patient.conditions"), icd, lens, 2), MSC_EFIELD,
		     "patient.conditions[1]: \"E1?.9\" is not an ICD-10 code");
}
END_TEST

/* One list value per name, as a cohort's caller makes them. */
static void set_from_values(msc_record *r, const char *path, const char *const *names, size_t n)
{
	msc_list_value *v[8];
	size_t i, fi = fact(rules, path);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(msc_list_value_new(&v[i], rules, fi, &names[i], NULL, 1), MSC_OK);
	ck_assert_int_eq(msc_record_set_list_values(r, fi, (const msc_list_value *const *)v, n), MSC_OK);
	for (i = 0; i < n; i++)
		msc_list_value_free(v[i]);
}

START_TEST(list_values_match_lists)
{
	msc_list_value *meds, *two[2];
	msc_record *b;
	size_t fm = fact(rules, "patient.medications");
	ck_assert_int_eq(msc_record_new(&b, rules), MSC_OK);
	by_name(rec);
	/* codes first, medications after: the first code row still wins */
	set_from_values(b, "patient.conditions", CONDS, 3);
	ck_assert_int_eq(msc_record_set_answer(b, "pregnant", MSC_NO), MSC_OK);
	/* a value of several entries, and values after one another */
	ck_assert_int_eq(msc_list_value_new(&two[0], rules, fm, MEDS, NULL, 2), MSC_OK);
	ck_assert_int_eq(msc_list_value_new(&two[1], rules, fm, MEDS + 2, NULL, 3), MSC_OK);
	ck_assert_int_eq(msc_record_set_list_values(b, fm, (const msc_list_value *const *)two, 2), MSC_OK);
	msc_list_value_free(two[0]);
	msc_list_value_free(two[1]);
	set_from_values(b, "patient.allergies", ALLERGIES, 2);
	ck_assert_int_eq(msc_record_set_number(b, "hair_transplant_months_ago", 3), MSC_OK);
	ck_assert_int_eq(msc_record_set_word(b, "area", "scalp"), MSC_OK);
	set_from_values(b, "plan.ingredients", INGREDIENTS, 2);
	ck_assert_int_eq(msc_record_set_number(b, "depth_mm", 4.5), MSC_OK);
	ck_assert_int_eq(msc_record_unset(b, "breastfeeding"), MSC_OK);
	assert_same(rec, b);

	/* none, and a value reused in a record that is cleared and filled again */
	ck_assert_int_eq(msc_list_value_new(&meds, rules, fm, MEDS, NULL, 5), MSC_OK);
	msc_record_clear(b);
	ck_assert_int_eq(msc_record_set_list_values(b, fm, NULL, 0), MSC_OK);
	msc_record_clear(rec);
	ck_assert_int_eq(msc_record_set_list(rec, "medications", NULL, 0), MSC_OK);
	assert_same(rec, b);
	msc_record_clear(b);
	ck_assert_int_eq(msc_record_set_list_values(b, fm, (const msc_list_value *const *)&meds, 1), MSC_OK);
	ck_assert_int_eq(msc_record_set_list_values(b, fm, (const msc_list_value *const *)&meds, 1), MSC_OK);
	msc_record_clear(rec);
	ck_assert_int_eq(msc_record_set_list(rec, "medications", MEDS, 5), MSC_OK);
	assert_same(rec, b);
	/* a list value survives the records it was set into, and they it */
	msc_record_free(b);
	msc_list_value_free(meds);
}
END_TEST

START_TEST(list_values_refuse)
{
	const char *bad[] = { "E10.9", "nope" };
	const char *one[] = { "aspirin" };
	msc_list_value *v = NULL, *w, *many[MSC_MAX_LIST + 1], *nul[1] = { NULL };
	msc_rules *other;
	size_t i, fm = fact(rules, "patient.medications"), n = msc_rules_fact_count(rules);

	ck_assert_int_eq(msc_list_value_new(NULL, rules, fm, one, NULL, 1), MSC_EINVAL);
	assert_error(msc_list_value_new(&v, NULL, fm, one, NULL, 1), MSC_EINVAL, "rules is NULL");
	ck_assert_ptr_null(v);
	assert_error(msc_list_value_new(&v, rules, n, one, NULL, 1), MSC_EFIELD, "fact ");
	assert_error(msc_list_value_new(&v, rules, fact(rules, "plan.area"), one, NULL, 1), MSC_EFIELD,
		     "plan.area:");
	assert_error(msc_list_value_new(&v, rules, fact(rules, "patient.conditions"), bad, NULL, 2), MSC_EFIELD,
		     "patient.conditions[1]:");
	ck_assert_ptr_null(v);
	msc_list_value_free(NULL);

	ck_assert_int_eq(msc_list_value_new(&v, rules, fm, one, NULL, 1), MSC_OK);
	ck_assert_int_eq(msc_list_value_new(&w, rules, fact(rules, "patient.allergies"), one, NULL, 1), MSC_OK);
	assert_error(msc_record_set_list_values(NULL, fm, NULL, 0), MSC_EINVAL, "record is NULL");
	assert_error(msc_record_set_list_values(rec, n, NULL, 0), MSC_EFIELD, "fact ");
	assert_error(msc_record_set_list_values(rec, fact(rules, "plan.area"), NULL, 0), MSC_EFIELD, "plan.area:");
	assert_error(msc_record_set_list_values(rec, fm, NULL, 1), MSC_EINVAL, "patient.medications: values");
	assert_error(msc_record_set_list_values(rec, fm, (const msc_list_value *const *)nul, 1), MSC_EINVAL,
		     "patient.medications: value 0");
	assert_error(msc_record_set_list_values(rec, fm, (const msc_list_value *const *)&w, 1), MSC_EINVAL,
		     "patient.medications: value 0");
	for (i = 0; i <= MSC_MAX_LIST; i++)
		many[i] = v;
	assert_error(msc_record_set_list_values(rec, fm, (const msc_list_value *const *)many, MSC_MAX_LIST + 1),
		     MSC_ELIMIT, "patient.medications:");
	ck_assert_int_eq(msc_record_set_list_values(rec, fm, (const msc_list_value *const *)many, MSC_MAX_LIST),
			 MSC_OK);
	/* a value of another rule set (even of the same table) */
	ck_assert_int_eq(msc_rules_builtin(&other), MSC_OK);
	msc_record_free(rec);
	ck_assert_int_eq(msc_record_new(&rec, other), MSC_OK);
	assert_error(msc_record_set_list_values(rec, fm, (const msc_list_value *const *)&v, 1), MSC_EINVAL,
		     "patient.medications: value 0");
	msc_record_free(rec);
	rec = NULL;
	msc_rules_free(other);
	msc_list_value_free(v);
	msc_list_value_free(w);
}
END_TEST

/* The because text of a number, as "%g" writes it, whichever way it is
 * written (whole numbers below a million without printf) and when the same
 * number comes again. */
static const char *const SCORE =
	"ruleset test-score\nversion 1\n"
	"source P \"protocol\"\n"
	"fact patient.score number\n  question \"score?\"\n"
	"rule C.SCORE\n  severity caution\n  when patient.score < 1000000000\n  message \"score\"\n  sources P\n";

START_TEST(number_text_as_printf)
{
	static const double values[] = { 0, 7, 7, 42, 999999, 1000000, 2500000, 4.5, 4.5, 0.1, -3, -0.0, 1e-7, 5 };
	msc_compiler *c;
	msc_rules *r;
	msc_record *x;
	size_t i;
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "score.rules", SCORE, strlen(SCORE)), MSC_OK);
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_OK);
	msc_compiler_free(c);
	ck_assert_int_eq(msc_record_new(&x, r), MSC_OK);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char want[64];
		const msc_finding *f;
		size_t k;
		snprintf(want, sizeof(want), "patient.score = %g", values[i]);
		msc_record_clear(x);
		ck_assert_int_eq(msc_record_set_number_at(x, fact(r, "patient.score"), values[i]), MSC_OK);
		ck_assert_int_eq(msc_screen(res, r, x), MSC_OK);
		for (k = 0; k < msc_result_finding_count(res); k++)
			if (strcmp((f = msc_result_finding(res, k))->rule, "C.SCORE") == 0)
				break;
		ck_assert_uint_lt(k, msc_result_finding_count(res));
		ck_assert_uint_eq(f->because_count, 1);
		ck_assert_str_eq(f->because[0], want);
	}
	msc_record_free(x);
	msc_rules_free(r);
}
END_TEST

/* Allocation failure: with countdown k, the allocation after the next k
 * fails (that one only); -1 never. Both allocators are the C library's. */
static long countdown = -1;

static void *t_malloc(size_t n, void *ctx)
{
	(void)ctx;
	return countdown >= 0 && --countdown < 0 ? NULL : malloc(n);
}

static void *t_realloc(void *p, size_t n, void *ctx)
{
	(void)ctx;
	return countdown >= 0 && --countdown < 0 ? NULL : realloc(p, n);
}

static void t_free(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

static const msc_allocator failing = { MSC_ALLOCATOR_VERSION, t_malloc, t_realloc, t_free, NULL };

/* Allocation k fails (k = 0, 1, 2...), for every k until the calls need
 * fewer: a failed call returns MSC_ENOMEM; then the record, filled again
 * with memory, gives the same result as by name. */
START_TEST(lists_without_memory)
{
	msc_record *b;
	msc_list_value *v;
	char *want, *got;
	long k;
	size_t fm = fact(rules, "patient.medications"), fc = fact(rules, "patient.conditions");
	by_name(rec);
	want = screened(rec);
	for (k = 0;; k++) {
		int rc = MSC_ENOMEM;
		ck_assert_int_lt(k, 1000);
		ck_assert_int_eq(msc_record_new(&b, rules), MSC_OK);
		ck_assert_int_eq(msc_set_allocator(&failing), MSC_OK);
		countdown = k;
		if (_i == 0) {
			/* the setters */
			rc = msc_record_set_list_at(b, fm, MEDS, NULL, 5);
			rc = rc ? rc : msc_record_set_list_at(b, fc, CONDS, NULL, 3);
		} else if (msc_list_value_new(&v, rules, fm, MEDS, NULL, 5) == MSC_OK) {
			/* the list values */
			rc = msc_record_set_list_values(b, fm, (const msc_list_value *const *)&v, 1);
			msc_list_value_free(v);
			rc = rc ? rc : msc_record_set_list_at(b, fc, CONDS, NULL, 3);
		}
		countdown = -1;
		msc_set_allocator(NULL);
		if (rc) {
			ck_assert_int_eq(rc, MSC_ENOMEM);
			msc_record_free(b);
			continue;
		}
		/* all went through: the rest with memory, the same record as by name */
		ck_assert_int_eq(msc_record_set_answer(b, "pregnant", MSC_NO), MSC_OK);
		ck_assert_int_eq(msc_record_set_list(b, "allergies", ALLERGIES, 2), MSC_OK);
		ck_assert_int_eq(msc_record_set_number(b, "hair_transplant_months_ago", 3), MSC_OK);
		ck_assert_int_eq(msc_record_set_word(b, "area", "scalp"), MSC_OK);
		ck_assert_int_eq(msc_record_set_list(b, "ingredients", INGREDIENTS, 2), MSC_OK);
		ck_assert_int_eq(msc_record_set_number(b, "depth_mm", 4.5), MSC_OK);
		ck_assert_int_eq(msc_record_unset(b, "breastfeeding"), MSC_OK);
		got = screened(b);
		ck_assert_str_eq(got, want);
		msc_free(got);
		msc_record_free(b);
		break;
	}
	msc_free(want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("record");
	TCase *t = tcase_create("record");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, setters_at_match_setters_by_name);
	tcase_add_test(t, setters_at_refuse_as_by_name);
	tcase_add_test(t, list_values_match_lists);
	tcase_add_test(t, list_values_refuse);
	tcase_add_test(t, number_text_as_printf);
	tcase_add_loop_test(t, lists_without_memory, 0, 2);
	suite_add_tcase(s, t);
	return msc_test_main(s);
}
