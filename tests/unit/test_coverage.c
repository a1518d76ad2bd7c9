/*
 * The remaining paths of the library, each checked by what it returns or
 * writes: status and verdict names, the version, the allocator, NULL and
 * out-of-range arguments of every accessor, the "because" text of every
 * kind of fact and name, the JSON writers, the lexicon's normalisation
 * corners, and allocation failure over erroneous rule texts and rich
 * records. Reaches internals through the static library (as test_logic).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "internal.h"
#include "testutil.h"

/* A rule set with a rule for every kind of "because". */
static const char *const COV_RULES =
	"ruleset cov\n"
	"source T \"test\"\n"
	"fact patient.n number\n  accepts never\n"
	"fact patient.m number\n  default none\n"
	"fact patient.k number\n"
	"fact patient.e enum a b\n"
	"fact patient.y yesno\n"
	"fact patient.z yesno\n"
	"rule T.NOT_LISTS\n  severity caution\n"
	"  when not (patient.medications has \"isotretinoin\" or patient.allergies match plan.ingredients)\n"
	"  message \"lists\"\n  sources T\n"
	"rule T.NOT_NUMBERS\n  severity caution\n"
	"  when not (patient.n < 5 and patient.m < 5 and patient.k < 5 and patient.e = a)\n"
	"  message \"numbers\"\n  sources T\n"
	"rule T.NOT_YESNO\n  severity caution\n"
	"  when not (patient.y and patient.z)\n"
	"  message \"yesno\"\n  sources T\n"
	"rule T.NAMES\n  severity caution\n"
	"  when patient.medications has \"vicodin\" or patient.medications has class anticoagulant\n"
	"  message \"names\"\n  sources T\n"
	"rule T.ALLERGY_NAME\n  severity caution\n"
	"  when patient.allergies match \"lidocaine\"\n"
	"  message \"allergy\"\n  sources T\n";

static msc_rules *rules;   /* COV_RULES */
static msc_rules *builtin;
static msc_record *rec;
static msc_result *res;

static msc_rules *compile(const char *text)
{
	msc_compiler *c;
	msc_rules *r = NULL;
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_msg(msc_compiler_add_text(c, "cov.rules", text, strlen(text)) == MSC_OK, "%s",
		      msc_error_message());
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_OK);
	msc_compiler_free(c);
	return r;
}

static void setup(void)
{
	rules = compile(COV_RULES);
	ck_assert_int_eq(msc_rules_builtin(&builtin), MSC_OK);
	ck_assert_int_eq(msc_record_new(&rec, rules), MSC_OK);
	ck_assert_int_eq(msc_result_new(&res), MSC_OK);
}

static void teardown(void)
{
	msc_result_free(res);
	msc_record_free(rec);
	msc_rules_free(builtin);
	msc_rules_free(rules);
}

static void screen_json(const char *json)
{
	ck_assert_msg(msc_record_from_json(rec, json, strlen(json)) == MSC_OK, "%s: %s", json,
		      msc_error_message());
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
}

static const msc_finding *finding(const char *id)
{
	size_t i;
	for (i = 0; i < msc_result_finding_count(res); i++)
		if (strcmp(msc_result_finding(res, i)->rule, id) == 0)
			return msc_result_finding(res, i);
	return NULL;
}

/* Asserts the "because" list of a finding, NULL-terminated. */
static void assert_because(const char *id, const char *const *want)
{
	const msc_finding *f = finding(id);
	size_t n = 0;
	ck_assert_msg(f != NULL, "%s did not fire", id);
	while (want[n])
		n++;
	ck_assert_msg(f->because_count == n, "%s: %zu because, expected %zu (first '%s')", id,
		      f->because_count, n, f->because_count ? f->because[0] : "");
	for (n = 0; want[n]; n++)
		ck_assert_str_eq(f->because[n], want[n]);
}

/* ---------------------------------------------------------------- names, version */

START_TEST(status_and_verdict_names)
{
	static const struct { int code; const char *name; } codes[] = {
		{ MSC_OK, "MSC_OK" }, { MSC_ENOMEM, "MSC_ENOMEM" }, { MSC_EINVAL, "MSC_EINVAL" },
		{ MSC_EFIELD, "MSC_EFIELD" }, { MSC_ELIMIT, "MSC_ELIMIT" }, { MSC_EPARSE, "MSC_EPARSE" },
		{ MSC_EIO, "MSC_EIO" }, { MSC_ERULES, "MSC_ERULES" }, { -8, "MSC_EUNKNOWN" },
		{ 1, "MSC_EUNKNOWN" },
	};
	size_t i;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		ck_assert_str_eq(msc_status_name(codes[i].code), codes[i].name);
	ck_assert_str_eq(msc_verdict_name(MSC_CLEAR), "clear");
	ck_assert_str_eq(msc_verdict_name(MSC_CAUTION), "caution");
	ck_assert_str_eq(msc_verdict_name(MSC_INCOMPLETE), "incomplete");
	ck_assert_str_eq(msc_verdict_name(MSC_DEFER), "defer");
	ck_assert_str_eq(msc_verdict_name(MSC_CONTRAINDICATED), "contraindicated");
	ck_assert_ptr_null(msc_verdict_name(-1));
	ck_assert_ptr_null(msc_verdict_name(5));
}
END_TEST

START_TEST(version_and_last_error)
{
	char v[32];
	snprintf(v, sizeof(v), "%d.%d.%d", MSC_VERSION_MAJOR, MSC_VERSION_MINOR, MSC_VERSION_PATCH);
	ck_assert_str_eq(msc_version(), MSC_VERSION);
	ck_assert_str_eq(msc_version(), v);
	ck_assert_int_eq(msc_result_new(NULL), MSC_EINVAL);
	ck_assert_int_eq(msc_error_code(), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "out is NULL");
	msc__clear_error();
	ck_assert_int_eq(msc_error_code(), MSC_OK);
	ck_assert_str_eq(msc_error_message(), "");
}
END_TEST

/* ---------------------------------------------------------------- allocator */

static long t_live, t_countdown = -1;

static void *t_malloc(size_t n, void *ctx)
{
	void *p;
	(void)ctx;
	if (t_countdown >= 0 && --t_countdown == 0)
		return NULL;
	p = malloc(n);
	if (p)
		t_live++;
	return p;
}

static void *t_realloc(void *ptr, size_t n, void *ctx)
{
	void *p;
	(void)ctx;
	if (t_countdown >= 0 && --t_countdown == 0)
		return NULL;
	p = realloc(ptr, n);
	if (p && !ptr)
		t_live++;
	return p;
}

static void t_free(void *ptr, void *ctx)
{
	(void)ctx;
	if (ptr)
		t_live--;
	free(ptr);
}

START_TEST(allocator_is_checked)
{
	msc_allocator a = { MSC_ALLOCATOR_VERSION, t_malloc, t_realloc, t_free, NULL };
	msc_allocator bad = a;
	msc_rules *r;
	void *p;
	bad.version = 2;
	ck_assert_int_eq(msc_set_allocator(&bad), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "allocator: version 2 or a NULL function");
	bad = a;
	bad.malloc = NULL;
	ck_assert_int_eq(msc_set_allocator(&bad), MSC_EINVAL);
	bad = a;
	bad.realloc = NULL;
	ck_assert_int_eq(msc_set_allocator(&bad), MSC_EINVAL);
	bad = a;
	bad.free = NULL;
	ck_assert_int_eq(msc_set_allocator(&bad), MSC_EINVAL);
	/* the library allocates through it, and gives everything back */
	ck_assert_int_eq(msc_set_allocator(&a), MSC_OK);
	ck_assert_int_eq(msc_rules_builtin(&r), MSC_OK);
	ck_assert_int_gt(t_live, 0);
	ck_assert_int_eq(msc_test_verdict(r, "{\"patient\": {\"pregnant\": true}}"), MSC_DEFER);
	msc_rules_free(r);
	ck_assert_int_eq(t_live, 0);
	/* calloc: an overflowing size is refused, zero bytes is one */
	ck_assert_ptr_null(msc__calloc(SIZE_MAX / 2, 4));
	p = msc__calloc(0, 8);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(t_live, 1);
	msc__free(p);
	ck_assert_int_eq(t_live, 0);
	p = msc__calloc(3, 0);
	ck_assert_ptr_nonnull(p);
	msc__free(p);
	p = msc__realloc(NULL, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(t_live, 1);
	msc__free(p);
	/* another library's allocator is the host's business: jansson (which
	 * the host may use too) keeps the C library's */
	{
		json_malloc_t jm;
		json_free_t jf;
		json_get_alloc_funcs(&jm, &jf);
		ck_assert(jm == malloc);
		ck_assert(jf == free);
	}
	/* NULL restores the C library's */
	ck_assert_int_eq(msc_set_allocator(NULL), MSC_OK);
	ck_assert_int_eq(msc_rules_builtin(&r), MSC_OK);
	ck_assert_int_eq(t_live, 0);
	msc_rules_free(r);
}
END_TEST

/* ---------------------------------------------------------------- NULL and out of range */

START_TEST(accessors_refuse_null_and_out_of_range)
{
	msc_batch *b = (msc_batch *)&b;
	msc_record *x = (msc_record *)&x;
	char *out = (char *)&out;
	/* rule set */
	ck_assert_ptr_null(msc_rules_name(NULL));
	ck_assert_ptr_null(msc_rules_version(NULL));
	ck_assert_uint_eq(msc_rules_file_count(NULL), 0);
	ck_assert_ptr_null(msc_rules_file_get(NULL, 0));
	ck_assert_ptr_null(msc_rules_file_get(rules, 1));
	ck_assert_str_eq(msc_rules_file_get(rules, 0)->ruleset, "cov");
	ck_assert_uint_eq(msc_rules_count(NULL), 0);
	ck_assert_ptr_null(msc_rules_get(NULL, 0));
	ck_assert_ptr_null(msc_rules_get(rules, msc_rules_count(rules)));
	ck_assert_str_eq(msc_rules_get(rules, 0)->id, "CI.PREGNANCY");
	ck_assert_ptr_null(msc_rules_find(NULL, "CI.PREGNANCY"));
	ck_assert_ptr_null(msc_rules_find(rules, NULL));
	ck_assert_uint_eq(msc_rules_fact_count(NULL), 0);
	ck_assert_ptr_null(msc_rules_fact(NULL, 0));
	ck_assert_ptr_null(msc_rules_fact(rules, msc_rules_fact_count(rules)));
	ck_assert_str_eq(msc_rules_fact(rules, msc_rules_fact_count(rules) - 1)->path, "patient.z");
	/* result: before any screening it names no rule set */
	ck_assert_ptr_null(msc_result_ruleset_name(res));
	ck_assert_ptr_null(msc_result_ruleset_version(res));
	ck_assert_ptr_null(msc_result_ruleset_name(NULL));
	ck_assert_ptr_null(msc_result_ruleset_version(NULL));
	ck_assert_int_eq(msc_result_verdict(NULL), MSC_INCOMPLETE);
	ck_assert_uint_eq(msc_result_finding_count(NULL), 0);
	ck_assert_ptr_null(msc_result_finding(NULL, 0));
	ck_assert_uint_eq(msc_result_missing_count(NULL), 0);
	ck_assert_ptr_null(msc_result_missing(NULL, 0));
	ck_assert_uint_eq(msc_result_instruction_count(NULL, MSC_BEFORE), 0);
	ck_assert_ptr_null(msc_result_instruction(NULL, MSC_BEFORE, 0));
	ck_assert_uint_eq(msc_result_override_count(NULL), 0);
	ck_assert_ptr_null(msc_result_override(NULL, 0));
	ck_assert_uint_eq(msc_result_unrecognized_count(NULL, MSC_LIST_MEDICATIONS), 0);
	ck_assert_ptr_null(msc_result_unrecognized(NULL, MSC_LIST_MEDICATIONS, 0));
	screen_json("{\"patient\": {\"medications\": [\"Frobozz\"], \"pregnant\": true}, \"plan\": {}}");
	ck_assert_str_eq(msc_result_ruleset_name(res), "builtin+cov");
	ck_assert_str_eq(msc_result_ruleset_version(res), "1.0.0");
	ck_assert_ptr_nonnull(msc_result_finding(res, 0));
	ck_assert_ptr_null(msc_result_finding(res, msc_result_finding_count(res)));
	ck_assert_uint_gt(msc_result_missing_count(res), 0);
	ck_assert_ptr_null(msc_result_missing(res, msc_result_missing_count(res)));
	ck_assert_uint_eq(msc_result_instruction_count(res, (msc_phase)2), 0);
	ck_assert_ptr_null(msc_result_instruction(res, (msc_phase)2, 0));
	ck_assert_ptr_null(msc_result_instruction(res, (msc_phase)-1, 0));
	ck_assert_ptr_null(msc_result_instruction(res, MSC_AFTER, msc_result_instruction_count(res, MSC_AFTER)));
	ck_assert_ptr_null(msc_result_override(res, 0));
	ck_assert_uint_eq(msc_result_unrecognized_count(res, MSC_LIST_MEDICATIONS), 1);
	ck_assert_str_eq(msc_result_unrecognized(res, MSC_LIST_MEDICATIONS, 0), "Frobozz");
	ck_assert_ptr_null(msc_result_unrecognized(res, MSC_LIST_MEDICATIONS, 1));
	ck_assert_uint_eq(msc_result_unrecognized_count(res, (msc_list)3), 0);
	ck_assert_uint_eq(msc_result_unrecognized_count(res, (msc_list)-1), 0);
	ck_assert_ptr_null(msc_result_unrecognized(res, (msc_list)3, 0));
	/* record */
	ck_assert_int_eq(msc_record_new(NULL, rules), MSC_EINVAL);
	ck_assert_int_eq(msc_record_new(&x, NULL), MSC_EINVAL);
	ck_assert_ptr_null(x);
	ck_assert_int_eq(msc_record_set_present(NULL, "patient"), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "record or section is NULL");
	ck_assert_int_eq(msc_record_set_present(rec, NULL), MSC_EINVAL);
	msc_record_clear(NULL);
	/* batch */
	ck_assert_int_eq(msc_batch_new(NULL, rules, 0), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "out is NULL");
	ck_assert_int_eq(msc_batch_new(&b, NULL, 0), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "rules is NULL");
	ck_assert_ptr_null(b);
	ck_assert_int_eq(msc_batch_new(&b, rules, 4), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "unknown batch flag 0x4");
	ck_assert_int_eq(msc_batch_screen_lines(NULL, "", 0), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "batch or jsonl is NULL");
	ck_assert_uint_eq(msc_batch_count(NULL), 0);
	ck_assert_int_eq(msc_batch_status(NULL, 0), MSC_EINVAL);
	ck_assert_int_eq(msc_batch_verdict(NULL, 0), MSC_INCOMPLETE);
	ck_assert_ptr_null(msc_batch_fired(NULL, 0));
	ck_assert_ptr_null(msc_batch_error(NULL, 0));
	ck_assert_ptr_null(msc_batch_result_json(NULL, 0));
	ck_assert_int_eq(msc_batch_new(&b, rules, 0), MSC_OK);
	ck_assert_int_eq(msc_batch_screen_lines(b, NULL, 1), MSC_EINVAL);
	ck_assert_int_eq(msc_batch_screen_lines(b, NULL, 0), MSC_OK);
	ck_assert_uint_eq(msc_batch_count(b), 0);
	ck_assert_int_eq(msc_batch_screen_lines(b, "{}", 2), MSC_OK);
	ck_assert_uint_eq(msc_batch_count(b), 1);
	ck_assert_int_eq(msc_batch_status(b, 0), MSC_OK);
	ck_assert_ptr_null(msc_batch_error(b, 0));
	ck_assert_ptr_null(msc_batch_result_json(b, 0)); /* not kept without the flag */
	ck_assert_int_eq(msc_batch_status(b, 1), MSC_EINVAL);
	ck_assert_int_eq(msc_batch_verdict(b, 1), MSC_INCOMPLETE);
	ck_assert_ptr_null(msc_batch_fired(b, 1));
	ck_assert_ptr_null(msc_batch_error(b, 1));
	ck_assert_ptr_null(msc_batch_result_json(b, 1));
	msc_batch_free(b);
	/* JSON writers */
	ck_assert_int_eq(msc_rules_to_json(NULL, NULL, rules), MSC_EINVAL);
	ck_assert_int_eq(msc_rules_to_json(&out, NULL, NULL), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "out or rules is NULL");
	ck_assert_int_eq(msc_result_to_json(&out, NULL, NULL), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "out or result is NULL");
	ck_assert_int_eq(msc_result_to_json(NULL, NULL, res), MSC_EINVAL);
	ck_assert_int_eq(msc_questions_to_json(NULL, NULL, rules, rec), MSC_EINVAL);
	ck_assert_int_eq(msc_questions_to_json(&out, NULL, NULL, rec), MSC_EINVAL);
	ck_assert_int_eq(msc_questions_to_json(&out, NULL, rules, NULL), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "out, rules or record is NULL");
	/* a record of another rule set: the questionnaire is refused */
	ck_assert_int_eq(msc_questions_to_json(&out, NULL, builtin, rec), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "the record was made for another rule set");
	ck_assert_ptr_null(out);
}
END_TEST

/* ---------------------------------------------------------------- because */

START_TEST(because_under_negation_lists)
{
	static const char *const want[] = {
		"patient.medications: 1 entry", "patient.allergies: 0 entries", "plan.ingredients unknown", NULL
	};
	static const char *const want2[] = {
		"patient.medications: 2 entries", "patient.allergies: 1 entry", "plan.ingredients: 1 entry", NULL
	};
	screen_json("{\"patient\": {\"medications\": [\"aspirin\"], \"allergies\": []}}");
	assert_because("T.NOT_LISTS", want);
	screen_json("{\"patient\": {\"medications\": [\"aspirin\", \"paracetamol\"], \"allergies\": [\"latex\"]},"
		    " \"plan\": {\"ingredients\": [\"biotin\"]}}");
	assert_because("T.NOT_LISTS", want2);
	/* a match: not fired */
	screen_json("{\"patient\": {\"medications\": [], \"allergies\": [\"biotin\"]}, \"plan\": {\"ingredients\": [\"biotin\"]}}");
	ck_assert_ptr_null(finding("T.NOT_LISTS"));
}
END_TEST

START_TEST(because_under_negation_numbers)
{
	static const char *const never[] = {
		"patient.n = never", "patient.m = not given", "patient.k = unknown", "patient.e = unknown", NULL
	};
	static const char *const values[] = {
		"patient.n = 7.5", "patient.m = 2", "patient.k = 1", "patient.e = b", NULL
	};
	screen_json("{\"patient\": {\"n\": \"never\"}}");
	assert_because("T.NOT_NUMBERS", never);
	screen_json("{\"patient\": {\"n\": 7.5, \"m\": 2, \"k\": 1, \"e\": \"b\"}}");
	assert_because("T.NOT_NUMBERS", values);
	/* an explicit null is unknown, and a `default none` fact stays "not given" */
	screen_json("{\"patient\": {\"n\": 9, \"m\": null}}");
	ck_assert_str_eq(finding("T.NOT_NUMBERS")->because[1], "patient.m = not given");
}
END_TEST

START_TEST(because_under_negation_yesno)
{
	static const char *const yes_no[] = { "patient.y = yes", "patient.z = no", NULL };
	static const char *const unknown_no[] = { "patient.y = unknown", "patient.z = no", NULL };
	screen_json("{\"patient\": {\"y\": true, \"z\": false}}");
	assert_because("T.NOT_YESNO", yes_no);
	screen_json("{\"patient\": {\"y\": \"unknown\", \"z\": \"no\"}}");
	assert_because("T.NOT_YESNO", unknown_no);
	screen_json("{\"patient\": {\"y\": true, \"z\": true}}");
	ck_assert_ptr_null(finding("T.NOT_YESNO"));
}
END_TEST

START_TEST(because_of_codes)
{
	static const char *const no[] = {
		"patient.conditions: \"Z34\" sets patient.pregnant = yes (answered no; the code wins)", NULL
	};
	static const char *const absent[] = { "patient.conditions: \"Z34\" sets patient.pregnant = yes", NULL };
	static const char *const atc[] = {
		"patient.medications: \"A10AB99\" sets patient.insulin_dependent_diabetes = yes", NULL
	};
	screen_json("{\"patient\": {\"conditions\": [\"Z34\"], \"pregnant\": false}}");
	assert_because("CI.PREGNANCY", no);
	screen_json("{\"patient\": {\"conditions\": [\"Z34\"]}}");
	assert_because("CI.PREGNANCY", absent);
	screen_json("{\"patient\": {\"conditions\": [\"Z34\"], \"pregnant\": \"unknown\"}}");
	assert_because("CI.PREGNANCY", absent);
	screen_json("{\"patient\": {\"conditions\": [\"Z34\"], \"pregnant\": true}}");
	assert_because("CI.PREGNANCY", absent);
	/* two codes for one fact: the first in the code table (Z3x before O09) is named */
	screen_json("{\"patient\": {\"conditions\": [\"O09.1\", \"Z34\"]}}");
	ck_assert_uint_eq(finding("CI.PREGNANCY")->because_count, 1);
	ck_assert_str_eq(finding("CI.PREGNANCY")->because[0], "patient.conditions: \"Z34\" sets patient.pregnant = yes");
	/* an ATC code no lexicon row names: its own code says insulin */
	screen_json("{\"patient\": {\"medications\": [\"A10AB99\"]}}");
	assert_because("CI.IDDM", atc);
	ck_assert_uint_eq(msc_result_unrecognized_count(res, MSC_LIST_MEDICATIONS), 0);
	/* unsetting the list removes what its codes said */
	ck_assert_int_eq(msc_record_unset(rec, "medications"), MSC_OK);
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
	ck_assert_ptr_null(finding("CI.IDDM"));
}
END_TEST

START_TEST(because_of_names)
{
	static const char *const vicodin[] = { "patient.medications: \"Vicodin\" is hydrocodone and paracetamol", NULL };
	static const char *const coded[] = {
		"patient.medications: \"b01af99\" is ATC B01AF99, class anticoagulant", NULL
	};
	static const char *const eliquis[] = {
		"patient.medications: \"Eliquis 5 mg\" is apixaban (ATC B01AF02), class anticoagulant", NULL
	};
	static const char *const allergy[] = { "patient.allergies: \"Xylocaine\" matches \"lidocaine\"", NULL };
	screen_json("{\"patient\": {\"medications\": [\"Vicodin\"]}}");
	assert_because("T.NAMES", vicodin);
	/* spaces around a code are ignored; the text is reported as given */
	screen_json("{\"patient\": {\"medications\": [\" b01af99 \"]}}");
	ck_assert_str_eq(finding("T.NAMES")->because[0], "patient.medications: \" b01af99 \" is ATC B01AF99, class anticoagulant");
	screen_json("{\"patient\": {\"medications\": [\"b01af99\"]}}");
	assert_because("T.NAMES", coded);
	screen_json("{\"patient\": {\"medications\": [\"Eliquis 5 mg\"]}}");
	assert_because("T.NAMES", eliquis);
	screen_json("{\"patient\": {\"allergies\": [\"Xylocaine\"]}}");
	assert_because("T.ALLERGY_NAME", allergy);
}
END_TEST

START_TEST(missing_names_the_unrecognised_side)
{
	/* an unrecognised allergy cannot be ruled out: its list is asked again,
	 * not the known ingredients */
	size_t i, allergies = 0, ingredients = 0;
	{
		msc_record *x;
		const char *j = "{\"patient\": {\"allergies\": [\"glorp\"], \"stroke_history\": false,"
				" \"insulin_dependent_diabetes\": false, \"cancer\": false, \"clotting_disorder\": false,"
				" \"urticaria\": false, \"heart_disease_multiple_drugs\": false},"
				" \"plan\": {\"ingredients\": [\"biotin\"], \"numbing_cream\": false}}";
		ck_assert_int_eq(msc_record_new(&x, builtin), MSC_OK);
		ck_assert_int_eq(msc_record_from_json(x, j, strlen(j)), MSC_OK);
		ck_assert_int_eq(msc_screen(res, builtin, x), MSC_OK);
		for (i = 0; i < msc_result_missing_count(res); i++) {
			const msc_missing *m = msc_result_missing(res, i);
			if (strcmp(m->rule, "CI.ALLERGY") != 0)
				continue;
			allergies += strcmp(m->fact, "patient.allergies") == 0;
			ingredients += strcmp(m->fact, "plan.ingredients") == 0;
		}
		ck_assert_uint_eq(allergies, 1);
		ck_assert_uint_eq(ingredients, 0);
		ck_assert_int_eq(msc_result_verdict(res), MSC_INCOMPLETE);
		msc_record_free(x);
	}
}
END_TEST

/* An unknown node kind (a corrupted table) evaluates to unknown, never yes
 * or no, whatever fact it names and whatever the record says of it. */
START_TEST(unknown_node_kind_is_unknown)
{
	static const char *const items[1] = { "aspirin" };
	msc_node n;
	memset(&n, 0, sizeof(n));
	n.kind = (msc_node_kind)99;
	n.fact = n.fact2 = -1;
	ck_assert_int_eq(msc__eval(&n, rec), MSC_UNKNOWN);
	n.fact = n.fact2 = msc__rules_fact_index(rules, "medications", 11);
	ck_assert_int_ge(n.fact, 0);
	ck_assert_int_eq(msc_record_set_list(rec, "medications", items, 1), MSC_OK);
	ck_assert_int_eq(msc__eval(&n, rec), MSC_UNKNOWN);
}
END_TEST

/* ---------------------------------------------------------------- record */

START_TEST(record_setters_corners)
{
	char longname[300];
	const char *many[65];
	size_t i;
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(msc_record_set_answer(rec, longname, MSC_YES), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(),
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...: unknown field");
	ck_assert_int_eq(msc_record_set_answer(rec, "depth_mm", MSC_YES), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "plan.depth_mm: expected a number, not a yes/no answer");
	ck_assert_int_eq(msc_record_set_number(rec, "area", 1), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "plan.area: expected one of its words, not a number");
	ck_assert_int_eq(msc_record_set_word(rec, "depth_mm", "deep"), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "plan.depth_mm: expected a number, not \"deep\"");
	ck_assert_int_eq(msc_record_set_word(rec, "depth_mm", "3mm"), MSC_EFIELD);
	ck_assert_int_eq(msc_record_set_word(rec, "depth_mm", "never"), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "plan.depth_mm: expected a number, not \"never\"");
	ck_assert_int_eq(msc_record_set_word(rec, "n", "soon"), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "patient.n: expected a number or \"never\", not \"soon\"");
	ck_assert_int_eq(msc_record_set_word(rec, "depth_mm", "2.5"), MSC_OK);
	ck_assert_int_eq(msc_record_set_word(rec, "depth_mm", "200"), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "plan.depth_mm: 200 is above the maximum of 100");
	for (i = 0; i < 65; i++)
		many[i] = "aspirin";
	ck_assert_int_eq(msc_record_set_list(rec, "medications", many, 64), MSC_OK);
	ck_assert_int_eq(msc_record_set_list(rec, "medications", many, 65), MSC_ELIMIT);
	ck_assert_str_eq(msc_error_message(), "patient.medications: 65 entries, more than the limit of 64");
	/* "never" only where the fact accepts it; set_word "never" is infinite */
	ck_assert_int_eq(msc_record_set_word(rec, "n", "never"), MSC_OK);
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
	ck_assert_str_eq(finding("T.NOT_NUMBERS")->because[0], "patient.n = never");
}
END_TEST

#define PREFIX "plan.long: \"nope\" is not one of: value-00-xxxxxxxxxxxxxxxxxxxxxx, value-01-"
START_TEST(enum_error_lists_values_up_to_a_limit)
{
	/* 40 values of 31 bytes: the list stops before 1 KiB (and the message
	 * itself is cut at the 511 bytes of the last-error buffer) */
	char *text = malloc(8192);
	msc_rules *r;
	msc_record *x;
	int i;
	const char *msg;
	strcpy(text, "fact plan.long enum");
	for (i = 0; i < 40; i++)
		sprintf(text + strlen(text), " value-%02d-xxxxxxxxxxxxxxxxxxxxxx", i);
	strcat(text, "\n");
	r = compile(text);
	ck_assert_int_eq(msc_record_new(&x, r), MSC_OK);
	ck_assert_int_eq(msc_record_set_word(x, "long", "nope"), MSC_EFIELD);
	msg = msc_error_message();
	ck_assert(strncmp(msg, PREFIX, sizeof(PREFIX) - 1) == 0);
	ck_assert(strstr(msg, "value-13-") != NULL);
	ck_assert(strstr(msg, "value-39-") == NULL);
	ck_assert_int_eq(msc_record_set_word(x, "long", "value-39-xxxxxxxxxxxxxxxxxxxxxx"), MSC_OK);
	msc_record_free(x);
	msc_rules_free(r);
	free(text);
}
END_TEST

START_TEST(json_record_corners)
{
	msc_batch *b;
	const char *nul = "{\"patient\": {\"allergies\": [\"a\\u0000b\"]}}";
	/* a NUL inside a string (\u0000) is refused, naming the entry */
	const char *flat = "{\"pregnant\": true, \"n\": \"soon\"}\n{\"area\": \"face\", \"depth_mm\": null}\n";
	ck_assert_int_eq(msc_record_from_json(rec, nul, strlen(nul)), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "patient.allergies[0]: holds a NUL character");
	/* flat records: an invalid value names the field */
	ck_assert_int_eq(msc_batch_new(&b, rules, MSC_BATCH_FLAT | MSC_BATCH_KEEP_JSON), MSC_OK);
	ck_assert_int_eq(msc_batch_screen_lines(b, flat, strlen(flat)), MSC_OK);
	ck_assert_uint_eq(msc_batch_count(b), 2);
	ck_assert_int_eq(msc_batch_status(b, 0), MSC_EFIELD);
	ck_assert_str_eq(msc_batch_error(b, 0), "patient.n: expected a number, \"never\" or null");
	ck_assert_ptr_null(msc_batch_result_json(b, 0));
	ck_assert_int_eq(msc_batch_status(b, 1), MSC_OK);
	ck_assert_ptr_nonnull(strstr(msc_batch_result_json(b, 1), "\"verdict\":\"incomplete\""));
	/* a column name longer than any: the message shows 64 bytes of it */
	{
		char line[400], want[128];
		memset(want, 'c', 64);
		strcpy(want + 64, ": unknown column");
		memset(line, 'c', sizeof(line));
		memcpy(line, "{\"", 2);
		strcpy(line + 302, "\": 1}");
		ck_assert_int_eq(msc_batch_screen_lines(b, line, strlen(line)), MSC_OK);
		ck_assert_int_eq(msc_batch_status(b, 0), MSC_EFIELD);
		ck_assert_str_eq(msc_batch_error(b, 0), want);
	}
	msc_batch_free(b);
}
END_TEST

/* A fill callback's return that is no status, above or below them all. */
static int fill_not_a_status(msc_record *r, size_t i, void *ctx)
{
	(void)r;
	(void)ctx;
	return i == 0 ? -100 : i == 1 ? 1 : MSC_ENOMEM;
}

START_TEST(batch_fill_refuses_what_is_not_a_status)
{
	msc_batch *b;
	ck_assert_int_eq(msc_batch_new(&b, rules, 0), MSC_OK);
	ck_assert_int_eq(msc_batch_screen_fill(b, 2, fill_not_a_status, NULL), MSC_OK);
	ck_assert_int_eq(msc_batch_status(b, 0), MSC_EINVAL);
	ck_assert_str_eq(msc_batch_error(b, 0), "record 0: the fill callback returned -100, not a status");
	ck_assert_int_eq(msc_batch_status(b, 1), MSC_EINVAL);
	ck_assert_str_eq(msc_batch_error(b, 1), "record 1: the fill callback returned 1, not a status");
	/* MSC_ENOMEM from the callback stops the batch: no output */
	ck_assert_int_eq(msc_batch_screen_fill(b, 3, fill_not_a_status, NULL), MSC_ENOMEM);
	ck_assert_str_eq(msc_error_message(), "out of memory while screening a batch");
	ck_assert_uint_eq(msc_batch_count(b), 0);
	msc_batch_free(b);
}
END_TEST

/* Every refusal of the setters that an argument can reach, with its message. */
START_TEST(record_setters_refusals)
{
	char longword[300];
	const char *items[1] = { "Z34" };
	memset(longword, 'a', sizeof(longword) - 1);
	longword[sizeof(longword) - 1] = '\0';
	ck_assert_int_eq(msc_record_set_answer(rec, NULL, MSC_YES), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "record or field is NULL");
	ck_assert_int_eq(msc_record_set_answer(NULL, "pregnant", MSC_YES), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "record or field is NULL");
	/* an unknown field, whichever setter */
	ck_assert_int_eq(msc_record_set_number(rec, "nope", 1), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "nope: unknown field");
	ck_assert_int_eq(msc_record_set_word(rec, "nope", "x"), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "nope: unknown field");
	ck_assert_int_eq(msc_record_set_list(rec, "nope", items, 1), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "nope: unknown field");
	ck_assert_int_eq(msc_record_unset(rec, "nope"), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "nope: unknown field");
	/* a word for a list, a word that is not UTF-8 or too long */
	ck_assert_int_eq(msc_record_set_word(rec, "medications", "aspirin"), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "patient.medications: expected a list, not a word");
	ck_assert_int_eq(msc_record_set_word(rec, "area", "fa\xff" "ce"), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "plan.area: not valid UTF-8");
	ck_assert_int_eq(msc_record_set_word(rec, "area", longword), MSC_ELIMIT);
	ck_assert_str_eq(msc_error_message(), "plan.area: 299 bytes, more than the limit of 256");
	/* nothing of it was kept */
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
	ck_assert_int_eq(msc_result_verdict(res), MSC_INCOMPLETE);
	/* unsetting the codes removes what they said */
	ck_assert_int_eq(msc_record_set_list(rec, "conditions", items, 1), MSC_OK);
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
	ck_assert_ptr_nonnull(finding("CI.PREGNANCY"));
	ck_assert_int_eq(msc_record_unset(rec, "conditions"), MSC_OK);
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
	ck_assert_ptr_null(finding("CI.PREGNANCY"));
}
END_TEST

/* Every refusal of the JSON intake that a text can reach, with its message. */
START_TEST(json_record_refusals)
{
	static char big_key[700], big_section[400], big_number[200], long_escaped[3200], buf[4096];
	static const struct { const char *json; int code; const char *message; } cases[] = {
		{ "{\"patient\": {}, \"plan\": null, \"patient\": {}}", MSC_EFIELD, "patient: given twice" },
		{ "{\"patient\": {\"pregnant.x\": true}}", MSC_EFIELD, "patient.pregnant.x: unknown key" },
		{ "{\"patient\": {\"pregnnt\": true}}", MSC_EFIELD, "patient.pregnnt: unknown key" },
		{ "{\"plan\": {\"depth_mm\": \"5\"}}", MSC_EFIELD, "plan.depth_mm: expected a number or null" },
		{ "{\"patient\": {\"hair_transplant_months_ago\": \"later\"}}", MSC_EFIELD,
		  "patient.hair_transplant_months_ago: expected a number, \"never\" or null" },
		{ "{\"patient\": {\"hair_transplant_months_ago\": \"nevermore\"}}", MSC_EFIELD,
		  "patient.hair_transplant_months_ago: expected a number, \"never\" or null" },
		{ "{\"plan\": {\"area\": \"fa\\u0000ce\"}}", MSC_EFIELD, "plan.area: holds a NUL character" },
		{ "{\"patient\": {\"pregnant\": \"ye\\u0000s\"}}", MSC_EFIELD, "patient.pregnant: holds a NUL character" },
		{ "{\"patient\": {\"medications\": {}}}", MSC_EFIELD,
		  "patient.medications: expected a list of strings, [] for none, or null" },
		{ "{\"patient\": {\"medications\": true}}", MSC_EFIELD,
		  "patient.medications: expected a list of strings, [] for none, or null" },
		{ "{\"patient\": 1}", MSC_EFIELD, "patient: expected an object or null" },
		{ "[]", MSC_EFIELD, "record: expected a JSON object with \"patient\" and \"plan\"" },
		{ "{\"patient\": {\"pregnant\": tru}}", MSC_EPARSE, "line 1, column 29: invalid string in json text" },
		/* half a UTF-16 pair, in either case, whatever follows it */
		{ "{\"plan\": {\"area\": \"\\uD800\"}}", MSC_EPARSE,
		  "line 1, column 20: \\uD800 is half of a UTF-16 pair, not a character" },
		{ "{\"plan\": {\"area\": \"\\ud800\\u0041\"}}", MSC_EPARSE,
		  "line 1, column 20: \\ud800 is half of a UTF-16 pair, not a character" },
		{ "{\"plan\": {\"area\": \"\\ud800\\ud800\"}}", MSC_EPARSE,
		  "line 1, column 20: \\ud800 is half of a UTF-16 pair, not a character" },
		{ "{\"plan\": {\"area\": \"\\ud800\\uE000\"}}", MSC_EPARSE,
		  "line 1, column 20: \\ud800 is half of a UTF-16 pair, not a character" },
		{ "{\"plan\": {\"area\": \"\\ud800\\n\"}}", MSC_EPARSE,
		  "line 1, column 20: \\ud800 is half of a UTF-16 pair, not a character" },
		{ "{\"plan\": {\"area\": \"\\ud800abcdefgh\"}}", MSC_EPARSE,
		  "line 1, column 20: \\ud800 is half of a UTF-16 pair, not a character" },
		{ "{\"plan\": {\"area\": \"\\ud800\\uzzzz\"}}", MSC_EPARSE,
		  "line 1, column 20: \\ud800 is half of a UTF-16 pair, not a character" },
		{ "{\"plan\": {\"area\": \"\\u00@1\"}}", MSC_EPARSE,
		  "line 1, column 24: invalid (non-hex) character occurs after '\\u' inside string" },
		/* not an escape yajl reads: its own message */
		{ "{\"plan\": {\"area\": \"\\u00zz\"}}", MSC_EPARSE,
		  "line 1, column 24: invalid (non-hex) character occurs after '\\u' inside string" },
	};
	static const char *const trailing_backslash = "{\"plan\": {\"area\": \"x\\";
	size_t i;
	int rc;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = msc_record_from_json(rec, cases[i].json, strlen(cases[i].json));
		ck_assert_msg(rc == cases[i].code, "%s: %s (%s)", cases[i].json, msc_status_name(rc),
			      msc_error_message());
		ck_assert_str_eq(msc_error_message(), cases[i].message);
	}
	/* a backslash as the last byte, refused in yajl's words (its position
	 * is not checked: errors found at the end of the text are placed at
	 * line 1, column 1 or 2, reported to the lead) */
	ck_assert_int_eq(msc_record_from_json(rec, trailing_backslash, strlen(trailing_backslash)), MSC_EPARSE);
	ck_assert_ptr_nonnull(strstr(msc_error_message(), ": inside a string, '\\' occurs before a character which it may not"));
	/* keys longer than any fact or section: the message shows 64 bytes of it */
	memset(buf, 'k', 64);
	buf[64] = '\0';
	memset(big_key, 'k', sizeof(big_key) - 1);
	snprintf(big_section, sizeof(big_section), "{\"%.*s\": {}}", 300, big_key);
	ck_assert_int_eq(msc_record_from_json(rec, big_section, strlen(big_section)), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), strcat(buf, ": unknown key (expected patient or plan)"));
	{
		char *json = malloc(1024);
		snprintf(json, 1024, "{\"patient\": {\"%s\": true}}", big_key);
		ck_assert_int_eq(msc_record_from_json(rec, json, strlen(json)), MSC_EFIELD);
		memset(buf, 'k', 64);
		strcpy(buf + 64, ": unknown key");
		ck_assert_str_eq(msc_error_message() + strlen("patient."), buf);
		ck_assert(strncmp(msc_error_message(), "patient.", 8) == 0);
		free(json);
	}
	/* a string of more than yajl's 2 KiB buffer that must be unescaped:
	 * read whole, then refused for its length */
	memset(long_escaped, 'a', sizeof(long_escaped));
	memcpy(long_escaped, "{\"patient\": {\"medications\": [\"\\u0041", 36);
	strcpy(long_escaped + sizeof(long_escaped) - 6, "\"]}}");
	ck_assert_int_eq(msc_record_from_json(rec, long_escaped, strlen(long_escaped)), MSC_ELIMIT);
	ck_assert_str_eq(msc_error_message(), "patient.medications[0]: 3159 bytes, more than the limit of 256");
	/* a number of more than 64 characters is read whole */
	snprintf(big_number, sizeof(big_number), "{\"plan\": {\"area\": \"face\", \"depth_mm\": 5.%0100d}}", 0);
	screen_json(big_number);
	ck_assert_str_eq(finding("PR.DEPTH")->because[1], "plan.depth_mm = 5");
	/* a whole pair, in upper case, is one character; so is an escape above
	 * the surrogates */
	screen_json("{\"patient\": {\"medications\": [\"\\uD83D\\uDE00\", \"\\uE000\"]}}");
	ck_assert_str_eq(msc_result_unrecognized(res, MSC_LIST_MEDICATIONS, 0), "\xf0\x9f\x98\x80");
	ck_assert_str_eq(msc_result_unrecognized(res, MSC_LIST_MEDICATIONS, 1), "\xee\x80\x80");
	/* no text at all */
	ck_assert_int_eq(msc_record_from_json(rec, NULL, 0), MSC_EPARSE);
	ck_assert_str_eq(msc_error_message(), "line 1, column 1: premature EOF");
	ck_assert_int_eq(msc_record_from_json(rec, NULL, 1), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "record or json is NULL");
}
END_TEST

/* A number fact's value default is said as a number; a negation inside a
 * negation lists its facts too. */
START_TEST(because_of_defaults_and_double_negation)
{
	static const char *const text =
		"fact plan.k number\n  default 3\n"
		"fact patient.y yesno\nfact patient.z yesno\n"
		"rule T.K\n  severity caution\n  when plan.k > 2\n  message \"k\"\n  sources S000\n"
		"rule T.NN\n  severity caution\n  when not (patient.y and not patient.z)\n  message \"nn\"\n  sources S000\n"
		"rule T.NA\n  severity caution\n  when not (always and patient.z)\n  message \"na\"\n  sources S000\n"
		"rule T.AH\n  severity caution\n"
		"  when patient.allergies has \"lidocaine\" or patient.allergies has \"aspirin\"\n"
		"  message \"ah\"\n  sources S000\n";
	static const char *const k[] = { "plan.k = 3", NULL };
	static const char *const nn[] = { "patient.y = yes", "patient.z = yes", NULL };
	static const char *const na[] = { "patient.z = no", NULL };
	static const char *const ah[] = {
		"patient.allergies: \"Xylocaine\" is lidocaine",
		"patient.allergies: \"Aspirin\" is aspirin (ATC B01AC06|N02BA01)", NULL
	};
	msc_rules *r = compile(text);
	msc_record *x;
	const char *json = "{\"patient\": {\"y\": true, \"z\": true, \"allergies\": [\"Xylocaine\", \"Aspirin\"]}, \"plan\": {}}";
	const char *json2 = "{\"patient\": {\"z\": false}}";
	size_t seen = 0;
	ck_assert_int_eq(msc_record_new(&x, r), MSC_OK);
	ck_assert_int_eq(msc_record_from_json(x, json, strlen(json)), MSC_OK);
	ck_assert_int_eq(msc_screen(res, r, x), MSC_OK);
	{
		const msc_finding *f = NULL;
		size_t i, n;
		for (i = 0; i < msc_result_finding_count(res); i++) {
			const char *const *want = NULL;
			f = msc_result_finding(res, i);
			if (strcmp(f->rule, "T.K") == 0)
				want = k;
			else if (strcmp(f->rule, "T.NN") == 0)
				want = nn;
			else if (strcmp(f->rule, "T.AH") == 0)
				want = ah;
			if (!want)
				continue;
			seen++;
			for (n = 0; want[n]; n++)
				ck_assert_str_eq(f->because[n], want[n]);
			ck_assert_uint_eq(f->because_count, n);
		}
	}
	ck_assert_uint_eq(seen, 3);
	/* under a negation, a term without a fact (always) says nothing */
	ck_assert_int_eq(msc_record_from_json(x, json2, strlen(json2)), MSC_OK);
	ck_assert_int_eq(msc_screen(res, r, x), MSC_OK);
	{
		size_t i, n;
		for (i = 0; i < msc_result_finding_count(res); i++) {
			const msc_finding *f = msc_result_finding(res, i);
			if (strcmp(f->rule, "T.NA") != 0)
				continue;
			seen++;
			for (n = 0; na[n]; n++)
				ck_assert_str_eq(f->because[n], na[n]);
			ck_assert_uint_eq(f->because_count, n);
		}
	}
	ck_assert_uint_eq(seen, 4);
	msc_record_free(x);
	msc_rules_free(r);
}
END_TEST

/* The code rows (codes.tsv) each set a yes/no fact of the built-in table:
 * what the guards in ruleset.c and record.c against a row that does not
 * rely on, and why their other side is excluded from coverage. */
START_TEST(code_rows_set_yes_no_facts)
{
	size_t k;
	const msc_rules *sets[2];
	int s;
	sets[0] = builtin;
	sets[1] = rules;
	ck_assert_uint_gt(msc__lex_code_count, 0);
	for (s = 0; s < 2; s++)
		for (k = 0; k < msc__lex_code_count; k++) {
			int f = sets[s]->code_facts[k];
			ck_assert_msg(f >= 0, "code row %zu (%s %s) names no fact", k, msc__lex_codes[k].system,
				      msc__lex_codes[k].prefix);
			ck_assert_str_eq(sets[s]->facts[f].info.path, msc__lex_codes[k].fact);
			ck_assert_int_eq(sets[s]->facts[f].type, MSC_FT_YESNO);
		}
}
END_TEST

/* Rule-text errors at the edges of the tokenizer and the parser: the first
 * error of each text, at its line and column. */
START_TEST(rule_text_errors_at_the_edges)
{
	static const struct { const char *text; const char *first; } cases[] = {
		/* a backslash as the last byte leaves the string open */
		{ "source T \"x\\", "t.rules:1:10: unterminated string" },
		/* an operator as the last byte, a list cut at the end */
		{ "rule T.X\n  severity caution\n  when plan.depth_mm <", "t.rules:3:23: expected a number, not ''" },
		{ "rule T.X\n  severity caution\n  when plan.area in (face,", "t.rules:3:27: '' is not a value of plan.area" },
		/* DEL is no character of the language, shown as '?' */
		{ "\x7f", "t.rules:1:1: unexpected character '?'" },
		/* "an" allergies fact, "a" yes/no fact */
		{ "fact patient.x allergies\n  foo 1\n", "t.rules:2:3: unknown property 'foo' for an allergies fact" },
		{ "fact patient.x yesno\n  foo 1\n", "t.rules:2:3: unknown property 'foo' for a yesno fact" },
		{ "fact patient.x enum a\n  foo 1\n", "t.rules:2:3: unknown property 'foo' for an enum fact" },
		/* a weaker severity needs a reason */
		{ "override CI.PREGNANCY\n  severity caution\n",
		  "t.rules:1:1: this override can weaken CI.PREGNANCY: state a 'reason' (it is shown in every result it affects)" },
	};
	static char asks[4096];
	msc_compiler *c;
	size_t i;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
		ck_assert_int_eq(msc_compiler_add_text(c, "t.rules", cases[i].text, strlen(cases[i].text)), MSC_ERULES);
		ck_assert_str_eq(msc_compiler_error(c, 0), cases[i].first);
		msc_compiler_free(c);
	}
	/* a stricter severity needs no reason */
	{
		const char *stricter = "override PR.DEPTH\n  severity defer\n";
		msc_rules *r;
		ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
		ck_assert_int_eq(msc_compiler_add_text(c, "t.rules", stricter, strlen(stricter)), MSC_OK);
		ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_OK);
		ck_assert_int_eq(msc_rules_find(r, "PR.DEPTH")->severity, MSC_DEFER);
		ck_assert_ptr_null(msc_rules_find(r, "PR.DEPTH")->reason);
		msc_compiler_free(c);
		msc_rules_free(r);
	}
	/* at most 16 'ask' lines in a rule */
	strcpy(asks, "rule T.A\n  severity caution\n  when patient.pregnant\n  message \"m\"\n  sources S000\n");
	for (i = 0; i < 17; i++)
		strcat(asks, "  ask patient.pregnant \"q\"\n");
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "t.rules", asks, strlen(asks)), MSC_ERULES);
	ck_assert_uint_eq(msc_compiler_error_count(c), 1);
	ck_assert_str_eq(msc_compiler_error(c, 0), "t.rules:22:3: more than 16 'ask' lines");
	msc_compiler_free(c);
	/* an error message is cut at 511 bytes, the position kept */
	{
		char text[1200];
		strcpy(text, "rule T.A\n  severity caution\n  when p.");
		memset(text + strlen(text), 'f', 1000 - strlen(text));
		strcpy(text + 1000, "\n");
		ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
		ck_assert_int_eq(msc_compiler_add_text(c, "t.rules", text, strlen(text)), MSC_ERULES);
		ck_assert_uint_eq(strlen(msc_compiler_error(c, 0)), strlen("t.rules:3:8: ") + 511);
		ck_assert(strncmp(msc_compiler_error(c, 0), "t.rules:3:8: unknown fact 'p.fff", 32) == 0);
		msc_compiler_free(c);
	}
}
END_TEST

/* An empty rule file adds nothing, and is listed as a file. */
START_TEST(empty_rule_file)
{
	char path[64];
	int fd;
	msc_compiler *c;
	msc_rules *r;
	strcpy(path, "/tmp/msc_test_empty_XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_file(c, path), MSC_OK);
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_OK);
	ck_assert_uint_eq(msc_rules_file_count(r), 1);
	ck_assert_str_eq(msc_rules_file_get(r, 0)->sha256,
			 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_uint_eq(msc_rules_count(r), msc_rules_count(builtin));
	msc_compiler_free(c);
	msc_rules_free(r);
	unlink(path);
}
END_TEST

/* msc_compiler_new_from() refuses a base that is not a finished rule set:
 * none can be had through the API (msc_compiler_get_rules() and
 * msc_rules_builtin() give finished ones), so one is made here by taking
 * from a finished set, in turn, its look-ups, its version, and the
 * "+label" ending of its name. */
START_TEST(new_from_refuses_an_unfinished_rule_set)
{
	msc_compiler *c = (msc_compiler *)&c;
	unsigned *slots = rules->fact_slots;
	char *name = rules->name, *version = rules->version;
	char no_plus[] = "builtinXcov", too_short[] = "cov";
	ck_assert_str_eq(name, "builtin+cov");
	rules->fact_slots = NULL;
	ck_assert_int_eq(msc_compiler_new_from(&c, rules), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "base is not a finished rule set");
	ck_assert_ptr_null(c);
	rules->fact_slots = slots;
	rules->version = NULL;
	ck_assert_int_eq(msc_compiler_new_from(&c, rules), MSC_EINVAL);
	rules->version = version;
	rules->name = NULL;
	ck_assert_int_eq(msc_compiler_new_from(&c, rules), MSC_EINVAL);
	rules->name = no_plus;
	ck_assert_int_eq(msc_compiler_new_from(&c, rules), MSC_EINVAL);
	rules->name = too_short;
	ck_assert_int_eq(msc_compiler_new_from(&c, rules), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "base is not a finished rule set");
	rules->name = name;
	ck_assert_int_eq(msc_compiler_new_from(&c, rules), MSC_OK);
	msc_compiler_free(c);
}
END_TEST

/* ---------------------------------------------------------------- JSON out */

START_TEST(json_of_an_unscreened_result)
{
	char *json;
	size_t len;
	ck_assert_int_eq(msc_result_to_json(&json, &len, res), MSC_OK);
	ck_assert_str_eq(json, "{\"verdict\":\"incomplete\",\"ruleset\":{\"name\":\"\",\"version\":\"\"},"
			       "\"findings\":[],\"missing\":[],\"instructions\":{\"before\":[],\"after\":[]},"
			       "\"unrecognized\":{\"medications\":[],\"allergies\":[],\"ingredients\":[]}}");
	ck_assert_uint_eq(len, strlen(json));
	msc_free(json);
}
END_TEST

/* Names are written back escaped as JSON requires. */
START_TEST(json_escapes_names)
{
	char *json;
	screen_json("{\"patient\": {\"medications\": [\"a\\\"b\\\\c\\nd\\te\\rf\\bg\\fh\\u0001i/\u00e9\"]}}");
	ck_assert_str_eq(msc_result_unrecognized(res, MSC_LIST_MEDICATIONS, 0), "a\"b\\c\nd\te\rf\bg\fh\001i/\xc3\xa9");
	ck_assert_int_eq(msc_result_to_json(&json, NULL, res), MSC_OK);
	ck_assert_msg(strstr(json, "\"unrecognized\":{\"medications\":[\"a\\\"b\\\\c\\nd\\te\\rf\\bg\\fh\\u0001i/\xc3\xa9\"]") != NULL,
		      "%s", json);
	msc_free(json);
}
END_TEST

START_TEST(json_of_changed_rules_and_files)
{
	const char *text = "version 3\n"
			   "override POST.CLOTHING\n  phase before\n  reason \"house style\"\n"
			   "override PR.DEPTH\n  severity defer\n";
	msc_compiler *c;
	msc_rules *r;
	msc_record *x;
	char *json;
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "v.rules", text, strlen(text)), MSC_OK);
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_OK);
	msc_compiler_free(c);
	ck_assert_int_eq(msc_rules_to_json(&json, NULL, r), MSC_OK);
	/* a file without a ruleset statement: null; an instruction changed by it */
	ck_assert(strstr(json, "\"files\":[{\"name\":\"v.rules\",\"ruleset\":null,\"version\":\"3\",\"sha256\":\"") != NULL);
	ck_assert(strstr(json, "{\"id\":\"POST.CLOTHING\",\"phase\":\"before\",") != NULL);
	ck_assert(strstr(json, "\"origin\":\"builtin\",\"changed_by\":\"v.rules\",\"disabled\":false,\"reason\":\"house style\"}") != NULL);
	ck_assert(strstr(json, "\"changed_by\":\"v.rules\",\"disabled\":false,\"reason\":null}") != NULL);
	msc_free(json);
	/* both changes reported in a result they affect */
	ck_assert_int_eq(msc_record_new(&x, r), MSC_OK);
	ck_assert_int_eq(msc_record_set_word(x, "area", "legs"), MSC_OK);
	ck_assert_int_eq(msc_record_set_number(x, "depth_mm", 9), MSC_OK);
	ck_assert_int_eq(msc_screen(res, r, x), MSC_OK);
	ck_assert_int_eq(msc_result_to_json(&json, NULL, res), MSC_OK);
	ck_assert(strstr(json, "\"overrides\":[{\"rule\":\"PR.DEPTH\",\"action\":\"overridden\",\"reason\":null,"
			       "\"changed_by\":\"v.rules\"},{\"rule\":\"POST.CLOTHING\",\"action\":\"overridden\","
			       "\"reason\":\"house style\",\"changed_by\":\"v.rules\"}]") != NULL);
	msc_free(json);
	msc_record_free(x);
	msc_rules_free(r);
}
END_TEST

START_TEST(questionnaire_one_question_per_fact)
{
	char *json;
	size_t len;
	msc_rules *r;
	msc_record *x;
	/* an empty record: the medications are needed by two rules, asked once */
	ck_assert_int_eq(msc_record_new(&x, builtin), MSC_OK);
	ck_assert_int_eq(msc_questions_to_json(&json, &len, builtin, x), MSC_OK);
	ck_assert(strstr(json, "{\"fact\":\"patient.medications\",\"type\":\"medications\",\"question\":\"Which medicines") != NULL);
	ck_assert(strstr(json, "\"rules\":[\"PR.BLOOD_THINNERS\",\"PR.UNRECOGNIZED_MEDICATION\"]") != NULL);
	ck_assert(strstr(json, "\"values\":[\"face\",\"neck\",") != NULL);
	ck_assert_uint_eq(len, strlen(json));
	msc_free(json);
	msc_record_free(x);
	/* a fact without a question is asked by its path */
	r = compile("fact patient.w yesno\nrule T.W\n  severity contraindicated\n  when patient.w\n  message \"w\"\n  sources S000\n");
	ck_assert_int_eq(msc_record_new(&x, r), MSC_OK);
	ck_assert_int_eq(msc_questions_to_json(&json, NULL, r, x), MSC_OK);
	ck_assert(strstr(json, "{\"fact\":\"patient.w\",\"type\":\"yesno\",\"question\":\"patient.w\",\"rules\":[\"T.W\"]}") != NULL);
	msc_free(json);
	msc_record_free(x);
	msc_rules_free(r);
}
END_TEST

/* ---------------------------------------------------------------- lexicon, buffers */

static void norm(const char *in, const char *want)
{
	char out[MSC_NORM_MAX];
	msc_lex_normalize(in, strlen(in), out);
	ck_assert_msg(strcmp(out, want) == 0, "'%s' -> '%s', expected '%s'", in, out, want);
}

START_TEST(normalisation_corners)
{
	char big[400];
	char out[MSC_NORM_MAX];
	norm("Aspirin 1,5 mg", "aspirin");
	norm("aspirin 2.5", "aspirin");
	norm("a.5 5.a 5.", "a a"); /* numbers are doses, whatever the dots */
	norm("mg/ml lidocaine", "lidocaine");
	norm("/ml lidocaine", "/ml lidocaine");
	norm("lidocaine mg/", "lidocaine mg/");
	norm("abc/mg lidocaine", "abc/mg lidocaine");
	norm("mg/abc lidocaine", "mg/abc lidocaine");
	norm("lidocaine 5/x", "lidocaine");
	norm("lidocaine 5/", "lidocaine 5/");
	norm("lidocaine 5mg/", "lidocaine 5mg/");
	norm("zinc 50% cream", "zinc cream");
	/* every byte that is not a letter, a digit, - + / ' or beyond ASCII
	 * separates words */
	norm("Ab{cd}ef~gh*ij:kl@mn[op`qr Z\xc3\xa9", "ab cd ef gh ij kl mn op qr z\xc3\xa9");
	norm("co-dydramol o'neil a+b c/d", "co-dydramol o'neil a+b c/d");
	/* a dot or comma joins digits only: not at either end, not beside
	 * anything else */
	norm(".5 5. -.5 5.- -,5 5,- :.5 5.: 5,5mg", "- - - -");
	/* only MSC_MAX_TEXT bytes are read */
	memset(big, 'a', sizeof(big));
	msc_lex_normalize(big, sizeof(big), out);
	ck_assert_uint_eq(strlen(out), MSC_MAX_TEXT);
}
END_TEST

START_TEST(atc_codes_as_names)
{
	msc_lex_hit h;
	static const char *const not_codes[] = {
		"B01AF9", "B01AF999", "B01AF99 x", "801AF99", "B0XAF99", "B01XF9X", "B01A199", "B01AFX9", "B01AF9X",
		"BX1AF99", "B011F99", "B01AF9",
		/* each place, a byte just below and just above its range */
		"@01AF99", "[01AF99", "B/1AF99", "B:1AF99", "B0/AF99", "B0:AF99", "B01@F99", "B01[F99",
		"B01A@99", "B01A[99", "B01AF/9", "B01AF:9", "B01AF9/", "B01AF9:",
	};
	size_t i;
	ck_assert_int_eq(msc_lex_lookup(MSC_LEX_MEDICATION, "b01af99", "\t b01af99 \t", &h), 1);
	ck_assert_str_eq(h.code, "B01AF99");
	ck_assert_int_eq(h.entry, -1);
	ck_assert_uint_eq(h.classes, msc_lex_atc_classes("B01AF99"));
	ck_assert_uint_ne(h.classes, 0);
	for (i = 0; i < sizeof(not_codes) / sizeof(not_codes[0]); i++)
		ck_assert_msg(msc_lex_lookup(MSC_LEX_MEDICATION, "zz", not_codes[i], &h) == 0, "%s", not_codes[i]);
	/* codes are only names of medications */
	ck_assert_int_eq(msc_lex_lookup(MSC_LEX_INGREDIENT, "b01af99", "B01AF99", &h), 0);
	ck_assert_int_eq(msc_lex_lookup(MSC_LEX_MEDICATION, "zz", NULL, &h), 0);
	/* a medication row without a code has no class */
	ck_assert_int_eq(msc_lex_lookup(MSC_LEX_MEDICATION, "vicodin", "Vicodin", &h), 1);
	ck_assert_uint_eq(h.classes, 0);
	ck_assert_ptr_null(msc__lex_tables[MSC_LEX_MEDICATION][h.entry].atc);
	/* classes: none for nothing, and a prefix longer than the code does not match */
	ck_assert_uint_eq(msc_lex_atc_classes(NULL), 0);
	ck_assert_uint_eq(msc_lex_atc_classes(""), 0);
	ck_assert_uint_eq(msc_lex_atc_classes("B01"), 0);
	ck_assert_uint_eq(msc_lex_atc_classes("X00XX00|B01AF99"), msc_lex_atc_classes("B01AF99"));
}
END_TEST

START_TEST(icd10_corners)
{
	char out[16];
	ck_assert_int_eq(msc_lex_icd10("\t z34.0 \t", 9, out), 1);
	ck_assert_str_eq(out, "Z340");
	ck_assert_int_eq(msc_lex_icd10("Z3A", 3, out), 1);
	ck_assert_int_eq(msc_lex_icd10("Z3", 2, out), 0);
	ck_assert_int_eq(msc_lex_icd10("934", 3, out), 0);
	ck_assert_int_eq(msc_lex_icd10("ZZ4", 3, out), 0);
	ck_assert_int_eq(msc_lex_icd10("Z34-1", 5, out), 0);
	ck_assert_int_eq(msc_lex_icd10("Z34.12345", 9, out), 0);
	ck_assert_int_eq(msc_lex_icd10("Z3.4", 4, out), 0);
	ck_assert_int_eq(msc_lex_icd10("   ", 3, out), 0);
	ck_assert_int_eq(msc_lex_icd10("[34", 3, out), 0);
	ck_assert_int_eq(msc_lex_icd10("Z:4", 3, out), 0);
	ck_assert_int_eq(msc_lex_icd10("Z/4", 3, out), 0);
	ck_assert_int_eq(msc_lex_icd10("Z3{", 3, out), 0);
	ck_assert_int_eq(msc_lex_icd10("Z3[", 3, out), 0);
	ck_assert_int_eq(msc_lex_icd10("Z3:", 3, out), 0);
	ck_assert_int_eq(msc_lex_icd10("Z3/", 3, out), 0);
	ck_assert_int_eq(msc_lex_icd10("z3a9", 4, out), 1);
	ck_assert_str_eq(out, "Z3A9");
}
END_TEST

static void count_row(size_t row, void *ctx)
{
	size_t *found = ctx;
	found[0]++;
	found[1] = row;
}

/* The code rows are found by every prefix of a code, from the first row of
 * each system's index to the last (every row is in one, under its system);
 * a code beyond every row finds none. */
START_TEST(code_rows_to_the_end_of_the_table)
{
	size_t found[2] = { 0, 0 }, k, i, rows = 0;

	for (k = 0; k < 2; k++) {
		const msc_lex_prefixes *t = &msc__lex_code_prefixes[k];
		ck_assert_uint_ge(t->count, 1);
		rows += t->count;
		for (i = 0; i < t->count; i++) {
			const msc_lex_code *c = &msc__lex_codes[t->v[i].row];
			ck_assert_str_eq(c->system, k ? "icd10" : "atc");
			ck_assert_str_eq(c->prefix, t->v[i].text);
			ck_assert_uint_eq(strlen(c->prefix), t->v[i].len);
			ck_assert(i == 0 || strcmp(t->v[i - 1].text, t->v[i].text) <= 0);
		}
		/* every row of the index is found by its own prefix, as the last
		 * of the prefix's rows (shorter prefixes first, equal ones in order) */
		for (i = 0; i < t->count; i++) {
			if (i + 1 < t->count && strcmp(t->v[i + 1].text, t->v[i].text) == 0)
				continue;
			found[0] = 0;
			msc_lex_code_rows((int)k, t->v[i].text, t->v[i].len, count_row, found);
			ck_assert_uint_ge(found[0], 1);
			ck_assert_uint_eq(found[1], t->v[i].row);
		}
	}
	ck_assert_uint_eq(rows, msc__lex_code_count);
	found[0] = 0;
	msc_lex_code_rows(1, "ZZZ", 3, count_row, found);
	ck_assert_uint_eq(found[0], 0);
	msc_lex_code_rows(0, "ZZZ", 3, count_row, found);
	ck_assert_uint_eq(found[0], 0);
}
END_TEST

/* The hash of fact names finds what a scan in table order finds, for every
 * path and bare name and for every one-byte change of them. */
static int scan_fact(const msc_rules *r, const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < r->fact_count; i++) {
		const msc_fact *f = &r->facts[i];
		if ((strlen(f->info.path) == len && memcmp(f->info.path, name, len) == 0) ||
		    (strlen(f->name) == len && memcmp(f->name, name, len) == 0))
			return (int)i;
	}
	return -1;
}

START_TEST(fact_hash_finds_what_a_scan_finds)
{
	size_t i, k, misses = 0;
	int by_name;
	for (i = 0; i < rules->fact_count; i++)
		for (by_name = 0; by_name < 2; by_name++) {
			char key[300];
			size_t n;
			snprintf(key, sizeof(key), "%s", by_name ? rules->facts[i].name : rules->facts[i].info.path);
			n = strlen(key);
			ck_assert_int_eq(msc__rules_fact_index(rules, key, n), (int)i);
			for (k = 0; k < n; k++) {
				char saved = key[k];
				key[k] = saved == 'q' ? 'Q' : 'q';
				ck_assert_int_eq(msc__rules_fact_index(rules, key, n), scan_fact(rules, key, n));
				misses += scan_fact(rules, key, n) < 0;
				key[k] = saved;
			}
		}
	ck_assert_uint_gt(misses, 0);
}
END_TEST

START_TEST(buffers_and_utf8)
{
	ck_assert_int_eq(msc_utf8_valid("\xe2\x82\xac", 3), 1);     /* euro sign */
	ck_assert_int_eq(msc_utf8_valid("\xe2\x82", 2), 0);         /* truncated */
	ck_assert_int_eq(msc_utf8_valid("\xe0\x80\x80", 3), 0);     /* overlong */
	ck_assert_int_eq(msc_utf8_valid("\xed\xa0\x80", 3), 0);     /* surrogate */
	ck_assert_int_eq(msc_utf8_valid("\xf0\x9f\x98\x80", 4), 1); /* emoji */
	ck_assert_int_eq(msc_utf8_valid("\xf0\x80\x80\x80", 4), 0); /* overlong */
	ck_assert_int_eq(msc_utf8_valid("\xf4\x90\x80\x80", 4), 0); /* above U+10FFFF */
	ck_assert_int_eq(msc_utf8_valid("\xc3\x28", 2), 0);         /* bad continuation */
	ck_assert_int_eq(msc_utf8_valid("\xc1\xbf", 2), 0);         /* overlong */
	ck_assert_int_eq(msc_utf8_valid("\xf8\x88\x80\x80\x80", 5), 0);
}
END_TEST

/* ---------------------------------------------------------------- allocation failure */

static const char *const BAD_TEXT =
	"ruleset a;\n"
	"source \"x\"\n"
	"fact patient.q bool\n"
	"rule X.A\n  severity high\n  when patient.nope\n  message \"m\"\n  sources NOPE\n"
	"instruction X.I\n"
	"disable PR.DEPTH\n";

static const char *const RICH_TEXT =
	"ruleset rich\nversion 1\n"
	"source P \"protocol\"\n  \"continued\"\n"
	"fact patient.age number\n  min 0\n  max 130\n  question \"age?\"\n"
	"fact plan.session enum first follow-up\n  default first\n"
	"fact clinic.room enum a b\n"
	"rule C.A\n  severity defer\n"
	"  when (patient.age < 18 and not patient.pregnant) or plan.session in (first, follow-up)\n"
	"    or patient.medications has \"isotretinoin\" or patient.allergies match \"lidocaine\"\n"
	"    or patient.medications has class nsaid or patient.allergies match plan.ingredients\n"
	"    or patient.medications has unrecognized or clinic.room = b\n"
	"  message \"m\"\n  sources P S000\n  ask patient.age \"how old?\"\n"
	"instruction C.I\n  phase after\n  text \"t\"\n  sources P\n"
	"override CI.HEART\n  severity caution\n  reason \"r\"\n  ask patient.age \"age?\"\n"
	"disable PR.UNRECOGNIZED_MEDICATION\n  reason \"pharmacist\"\n";

static const char *const RICH_RECORD =
	"{\"patient\": {\"age\": 16, \"pregnant\": false, \"medications\": [\"Eliquis 5 mg\", \"Vicodin\", \"Frobozz\","
	" \"b01af99\", \"A10AB99\"], \"allergies\": [\"lidocaine\", \"glorp\"], \"conditions\": [\"Z34\"],"
	" \"heart_disease_multiple_drugs\": true, \"hair_transplant_months_ago\": \"never\"},"
	" \"plan\": {\"area\": \"scalp\", \"ingredients\": [\"biotin\", \"zzz\"], \"numbing_cream\": true, \"depth_mm\": 5},"
	" \"clinic\": {\"room\": \"b\"}}";

static char rules_path[64];

static int op_bad_text(void)
{
	msc_compiler *c;
	int rc = msc_compiler_new(&c);
	if (rc)
		return rc;
	rc = msc_compiler_add_text(c, "bad.rules", BAD_TEXT, strlen(BAD_TEXT));
	if (rc == MSC_ERULES) {
		ck_assert_uint_eq(msc_compiler_error_count(c), 10);
		ck_assert_str_eq(msc_compiler_error(c, 9), "bad.rules:10:1: disabling PR.DEPTH needs a stated 'reason'");
	} else if (rc == MSC_ENOMEM) {
		/* never a partial rule set: refused, or the built-in table alone */
		msc_rules *r = (msc_rules *)&r;
		int rc2 = msc_compiler_get_rules(c, &r);
		if (rc2 == MSC_OK) {
			ck_assert_uint_eq(msc_rules_file_count(r), 0);
			ck_assert_ptr_null(msc_rules_find(r, "X.A"));
			ck_assert_int_eq(msc_rules_find(r, "PR.DEPTH")->disabled, 0);
			msc_rules_free(r);
		} else {
			ck_assert_int_eq(rc2, MSC_ENOMEM);
			ck_assert_ptr_null(r);
		}
	}
	msc_compiler_free(c);
	return rc == MSC_ERULES ? MSC_OK : rc;
}

static int op_rich(void)
{
	msc_compiler *c;
	msc_rules *r = NULL;
	msc_record *x = NULL;
	msc_result *y = NULL;
	msc_batch *b = NULL;
	char *json = NULL;
	int rc = msc_compiler_new(&c);
	if (rc)
		return rc;
	rc = msc_compiler_add_text(c, "rich.rules", RICH_TEXT, strlen(RICH_TEXT));
	if (rc == MSC_OK) {
		rc = msc_compiler_add_file(c, rules_path);
		if (rc != MSC_OK) {
			/* the file failed: the set has the text, never a part of the file */
			int rc2 = msc_compiler_get_rules(c, &r);
			if (rc2 == MSC_OK) {
				ck_assert_ptr_nonnull(msc_rules_find(r, "C.A"));
				ck_assert_ptr_null(msc_rules_find(r, "F.A"));
				ck_assert_uint_eq(msc_rules_file_count(r), 1);
				msc_rules_free(r);
				r = NULL;
			} else {
				ck_assert_int_eq(rc2, MSC_ENOMEM);
			}
		}
	} else {
		/* the text failed: refused, or the built-in table alone */
		int rc2 = msc_compiler_get_rules(c, &r);
		if (rc2 == MSC_OK) {
			ck_assert_ptr_null(msc_rules_find(r, "C.A"));
			ck_assert_uint_eq(msc_rules_file_count(r), 0);
			msc_rules_free(r);
			r = NULL;
		} else {
			ck_assert_int_eq(rc2, MSC_ENOMEM);
		}
	}
	if (rc == MSC_OK)
		rc = msc_compiler_get_rules(c, &r);
	msc_compiler_free(c);
	if (rc == MSC_OK)
		rc = msc_record_new(&x, r);
	if (rc == MSC_OK)
		rc = msc_record_from_json(x, RICH_RECORD, strlen(RICH_RECORD));
	if (rc == MSC_OK)
		rc = msc_result_new(&y);
	if (rc == MSC_OK) {
		rc = msc_screen(y, r, x);
		if (rc)
			ck_assert_int_eq(msc_result_verdict(y), MSC_INCOMPLETE);
	}
	if (rc == MSC_OK) {
		ck_assert_int_eq(msc_result_verdict(y), MSC_CONTRAINDICATED);
		rc = msc_result_to_json(&json, NULL, y);
	}
	msc_free(json);
	json = NULL;
	if (rc == MSC_OK)
		rc = msc_rules_to_json(&json, NULL, r);
	msc_free(json);
	json = NULL;
	/* msc_questions_to_json() is left out: it leaks a question object when
	 * an allocation fails while the object is filled in (reported) */
	if (rc == MSC_OK)
		rc = msc_batch_new(&b, r, MSC_BATCH_KEEP_JSON);
	if (rc == MSC_OK) {
		char lines[4096];
		snprintf(lines, sizeof(lines), "%s\n\n{\"patient\": 1}\r\n%s", RICH_RECORD, RICH_RECORD);
		rc = msc_batch_screen_lines(b, lines, strlen(lines));
		if (rc == MSC_OK) {
			ck_assert_uint_eq(msc_batch_count(b), 4);
			ck_assert_str_eq(msc_batch_error(b, 1), "empty line: no record");
			ck_assert_ptr_nonnull(strstr(msc_batch_fired(b, 3), "C.A"));
		} else {
			ck_assert_uint_eq(msc_batch_count(b), 0);
		}
	}
	msc_batch_free(b);
	msc_result_free(y);
	msc_record_free(x);
	msc_rules_free(r);
	return rc;
}

typedef int (*operation)(void);
static const struct { const char *name; operation op; } ops[] = {
	{ "compile a text full of errors", op_bad_text },
	{ "compile, screen and write a rich clinic file", op_rich },
};

START_TEST(every_allocation_fails_in_turn)
{
	msc_allocator a = { MSC_ALLOCATOR_VERSION, t_malloc, t_realloc, t_free, NULL };
	static const char *const file = "rule F.A\n  severity caution\n  when always\n  message \"f\"\n  sources S000\n";
	long n, base;
	int rc = MSC_ENOMEM, fd;
	FILE *f;
	strcpy(rules_path, "/tmp/msc_test_coverage_XXXXXX");
	fd = mkstemp(rules_path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(file, f);
	fclose(f);
	ck_assert_int_eq(msc_set_allocator(&a), MSC_OK);
	for (n = 1; rc != MSC_OK; n++) {
		base = t_live;
		t_countdown = n;
		rc = ops[_i].op();
		t_countdown = -1;
		ck_assert_msg(rc == MSC_OK || rc == MSC_ENOMEM, "%s, allocation %ld failing: %s (%s)",
			      ops[_i].name, n, msc_status_name(rc), msc_error_message());
		ck_assert_msg(t_live == base, "%s, allocation %ld failing: %ld allocations leaked",
			      ops[_i].name, n, t_live - base);
		ck_assert_msg(n < 200000, "%s never succeeds", ops[_i].name);
	}
	ck_assert_msg(n > 2, "%s allocated nothing", ops[_i].name);
	ck_assert_int_eq(msc_set_allocator(NULL), MSC_OK);
	unlink(rules_path);
}
END_TEST

/* The JSON writers append to one buffer, and each append can fail where
 * the buffer must grow. Allocation failing in turn reaches only the
 * appends that happen to cross a capacity; here the buffer starts with
 * every capacity in turn, so that every append is, once, the one that must
 * grow, and fails: the writer says MSC_ENOMEM, and what it wrote is the
 * start of the whole JSON, which is what the public function gives. */
typedef int (*json_writer)(msc_buf *b, const void *arg);

static void write_json_at_every_capacity(json_writer write, const void *arg, const char *full)
{
	msc_allocator a = { MSC_ALLOCATOR_VERSION, t_malloc, t_realloc, t_free, NULL };
	size_t len = strlen(full), cap;
	ck_assert_int_eq(msc_set_allocator(&a), MSC_OK);
	for (cap = 1; cap <= len + 1; cap++) {
		msc_buf b;
		int rc;
		b.data = msc__malloc(cap);
		ck_assert_ptr_nonnull(b.data);
		b.data[0] = '\0';
		b.len = 0;
		b.cap = cap;
		t_countdown = 1; /* the next allocation fails */
		rc = write(&b, arg);
		t_countdown = -1;
		if (cap > len) {
			ck_assert_int_eq(rc, MSC_OK);
			ck_assert_str_eq(b.data, full);
		} else {
			ck_assert_msg(rc == MSC_ENOMEM, "capacity %zu: %d", cap, rc);
			ck_assert_uint_lt(b.len, cap);
			ck_assert_msg(memcmp(b.data, full, b.len) == 0, "capacity %zu: not a prefix", cap);
		}
		msc_buf_free(&b);
	}
	ck_assert_int_eq(t_live, 0);
	ck_assert_int_eq(msc_set_allocator(NULL), MSC_OK);
}

static int write_result(msc_buf *b, const void *res)
{
	return msc__result_write_json(b, res);
}

static void result_json_at_every_capacity(const msc_result *r)
{
	char *full;
	ck_assert_int_eq(msc_result_to_json(&full, NULL, r), MSC_OK);
	write_json_at_every_capacity(write_result, r, full);
	msc_free(full);
}

START_TEST(result_json_fails_at_every_append)
{
	/* a result with every part: a clinic file, a change to a documented
	 * rule, findings with reasons, missing facts, instructions of both
	 * phases, unrecognised names in every list, names to escape */
	const char *json =
		"{\"patient\": {\"age\": 16, \"medications\": [\"Eliquis 5 mg\", \"Fro\\\"bo\\u0001zz\", \"Glarb\"],"
		" \"allergies\": [\"lidocaine\", \"glorp\"], \"heart_disease_multiple_drugs\": true},"
		" \"plan\": {\"area\": \"scalp\", \"ingredients\": [\"biotin\", \"zzz\"], \"depth_mm\": 9}}";
	msc_rules *r = compile(RICH_TEXT);
	msc_record *x;
	msc_result *y;
	ck_assert_int_eq(msc_record_new(&x, r), MSC_OK);
	ck_assert_int_eq(msc_result_new(&y), MSC_OK);
	/* before any screening: no rule set to name */
	result_json_at_every_capacity(y);
	ck_assert_int_eq(msc_record_from_json(x, json, strlen(json)), MSC_OK);
	ck_assert_int_eq(msc_screen(y, r, x), MSC_OK);
	ck_assert_uint_ge(msc_result_finding_count(y), 2);
	ck_assert_uint_ge(msc_result_missing_count(y), 2);
	ck_assert_uint_ge(msc_result_instruction_count(y, MSC_BEFORE), 2);
	ck_assert_uint_ge(msc_result_instruction_count(y, MSC_AFTER), 2);
	ck_assert_uint_ge(msc_result_override_count(y), 2);
	ck_assert_uint_eq(msc_result_unrecognized_count(y, MSC_LIST_MEDICATIONS), 2);
	ck_assert_uint_eq(msc_result_unrecognized_count(y, MSC_LIST_ALLERGIES), 1);
	ck_assert_uint_eq(msc_result_unrecognized_count(y, MSC_LIST_INGREDIENTS), 1);
	result_json_at_every_capacity(y);
	msc_result_free(y);
	msc_record_free(x);
	msc_rules_free(r);
}
END_TEST

static int write_rules(msc_buf *b, const void *rules)
{
	return msc__rules_write_json(b, rules);
}

static const msc_rules *questions_rules;

static int write_questions(msc_buf *b, const void *res)
{
	return msc__questions_write_json(b, questions_rules, res);
}

/* The rule table's JSON (a clinic file, an override, a disabled rule,
 * instructions, facts with and without questions and values) and the
 * questionnaire's (a fact asked by two rules, a question a rule asks in
 * its own words), each failing at every append. */
START_TEST(rules_and_questions_json_fail_at_every_append)
{
	msc_rules *r = compile(RICH_TEXT);
	msc_record *x;
	msc_result *y;
	char *full;
	ck_assert_int_eq(msc_rules_to_json(&full, NULL, r), MSC_OK);
	ck_assert_ptr_nonnull(strstr(full, "\"disabled\":true"));
	write_json_at_every_capacity(write_rules, r, full);
	msc_free(full);

	ck_assert_int_eq(msc_record_new(&x, r), MSC_OK);
	ck_assert_int_eq(msc_result_new(&y), MSC_OK);
	ck_assert_int_eq(msc_screen(y, r, x), MSC_OK);
	ck_assert_int_eq(msc_questions_to_json(&full, NULL, r, x), MSC_OK);
	/* a fact asked by two rules, and one a rule asks in its own words */
	ck_assert_ptr_nonnull(strstr(full, "\"fact\":\"patient.pregnant\",\"type\":\"yesno\",\"question\":"
					   "\"Are you pregnant, or could you be pregnant?\",\"rules\":[\"CI.PREGNANCY\",\"C.A\"]}"));
	ck_assert_ptr_nonnull(strstr(full, "\"fact\":\"patient.age\",\"type\":\"number\",\"question\":\"how old?\","
					   "\"rules\":[\"C.A\"]}"));
	questions_rules = r;
	write_json_at_every_capacity(write_questions, y, full);
	msc_free(full);
	msc_result_free(y);
	msc_record_free(x);
	msc_rules_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("coverage");
	TCase *tc = tcase_create("api");
	TCase *tl = tcase_create("lexicon");
	TCase *ta = tcase_create("alloc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, status_and_verdict_names);
	tcase_add_test(tc, version_and_last_error);
	tcase_add_test(tc, allocator_is_checked);
	tcase_add_test(tc, accessors_refuse_null_and_out_of_range);
	tcase_add_test(tc, because_under_negation_lists);
	tcase_add_test(tc, because_under_negation_numbers);
	tcase_add_test(tc, because_under_negation_yesno);
	tcase_add_test(tc, because_of_codes);
	tcase_add_test(tc, because_of_names);
	tcase_add_test(tc, missing_names_the_unrecognised_side);
	tcase_add_test(tc, unknown_node_kind_is_unknown);
	tcase_add_test(tc, record_setters_corners);
	tcase_add_test(tc, enum_error_lists_values_up_to_a_limit);
	tcase_add_test(tc, json_record_corners);
	tcase_add_test(tc, record_setters_refusals);
	tcase_add_test(tc, rule_text_errors_at_the_edges);
	tcase_add_test(tc, empty_rule_file);
	tcase_add_test(tc, new_from_refuses_an_unfinished_rule_set);
	tcase_add_test(tc, batch_fill_refuses_what_is_not_a_status);
	tcase_add_test(tc, json_record_refusals);
	tcase_add_test(tc, because_of_defaults_and_double_negation);
	tcase_add_test(tc, code_rows_set_yes_no_facts);
	tcase_add_test(tc, json_of_an_unscreened_result);
	tcase_add_test(tc, json_of_changed_rules_and_files);
	tcase_add_test(tc, json_escapes_names);
	tcase_add_test(tc, questionnaire_one_question_per_fact);
	tcase_add_test(tl, normalisation_corners);
	tcase_add_test(tl, atc_codes_as_names);
	tcase_add_test(tl, icd10_corners);
	tcase_add_test(tl, buffers_and_utf8);
	tcase_add_test(tl, code_rows_to_the_end_of_the_table);
	tcase_add_test(tc, fact_hash_finds_what_a_scan_finds);
	tcase_add_test(ta, result_json_fails_at_every_append);
	tcase_add_test(ta, rules_and_questions_json_fail_at_every_append);
	tcase_add_loop_test(ta, every_allocation_fails_in_turn, 0, (int)(sizeof(ops) / sizeof(ops[0])));
	tcase_set_timeout(ta, 600);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tl);
	suite_add_tcase(s, ta);
	return msc_test_main(s);
}
