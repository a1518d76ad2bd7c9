/*
 * The built-in table against requirements.md: every documented ID is
 * there, with its severity (or phase) and the sources the catalogue cites,
 * and nothing else is.
 */
#include <string.h>

#include "testutil.h"

#define S000 "Common Misconceptions about Mesotherapy Debunked"
#define S001 "Mesotherapy: History, Procedure, Benefits and Risks"
#define S002 "Mesotherapy: Applications, Benefits and Risks"
#define S003 "Mesotherapy for Flawless Skin: All Your Questions Answered"
#define S004 "Pros and Cons of Mesotherapy"

typedef struct req {
	const char *id;
	const char *kind; /* severity, or "before"/"after" */
	const char *sources[5];
} req;

/* Transcribed from requirements.md, by hand. */
static const req catalogue[] = {
	{ "CI.PREGNANCY", "defer", { S004, S003 } },
	{ "CI.BREASTFEEDING", "defer", { S004, S003 } },
	{ "CI.STROKE", "contraindicated", { S004 } },
	{ "CI.IDDM", "contraindicated", { S004 } },
	{ "CI.CANCER", "contraindicated", { S004 } },
	{ "CI.CLOTTING", "contraindicated", { S004 } },
	{ "CI.ALLERGY", "contraindicated", { S004, S001, S003, S000 } },
	{ "CI.URTICARIA", "contraindicated", { S004 } },
	{ "CI.HEART", "contraindicated", { S004 } },
	{ "PR.BLOOD_THINNERS", "caution", { S004, S003 } },
	{ "PR.UNRECOGNIZED_MEDICATION", "caution", { S003 } },
	{ "PR.HAIR_TRANSPLANT", "defer", { S004 } },
	{ "PR.DEPTH", "caution", { S001, S004, S000 } },
	{ "PRE.DISCLOSE", "before", { S003, S000 } },
	{ "PRE.ALCOHOL_THINNERS", "before", { S003, S004 } },
	{ "PRE.HYDRATE", "before", { S003 } },
	{ "PRE.NUMBING", "before", { S004, S002 } },
	{ "POST.NO_WATER", "after", { S004 } },
	{ "POST.NO_THINNERS", "after", { S004, S003 } },
	{ "POST.ACTIVITY", "after", { S004 } },
	{ "POST.CLOTHING", "after", { S004 } },
	{ "POST.SUN_SKINCARE", "after", { S003 } },
	{ "POST.EXPECTED", "after", { S004, S003, S000 } },
	{ "POST.WARNING_SIGNS", "after", { S001, S002, S003 } },
	{ "PRE.NEEDLE_FREE", "before", { S004 } },
};
#define NREQ (sizeof(catalogue) / sizeof(catalogue[0]))

static msc_rules *rules;

static void setup(void)
{
	ck_assert_int_eq(msc_rules_builtin(&rules), MSC_OK);
}

static void teardown(void)
{
	msc_rules_free(rules);
}

START_TEST(every_requirement_is_encoded)
{
	const req *r = &catalogue[_i];
	const msc_rule_info *ri = msc_rules_find(rules, r->id);
	size_t n = 0, k;

	ck_assert_msg(ri != NULL, "%s is not in the table", r->id);
	if (ri->kind == MSC_RULE)
		ck_assert_str_eq(msc_verdict_name(ri->severity), r->kind);
	else
		ck_assert_str_eq(ri->phase == MSC_BEFORE ? "before" : "after", r->kind);
	while (n < 5 && r->sources[n])
		n++;
	ck_assert_uint_eq(ri->source_count, n);
	for (k = 0; k < n; k++)
		ck_assert_str_eq(ri->sources[k], r->sources[k]);
	ck_assert(ri->message && strlen(ri->message) > 20);
	ck_assert_str_eq(ri->origin, "builtin");
}
END_TEST

START_TEST(nothing_else_is_in_the_table)
{
	size_t i, k;
	ck_assert_uint_eq(msc_rules_count(rules), NREQ);
	for (i = 0; i < msc_rules_count(rules); i++) {
		int found = 0;
		for (k = 0; k < NREQ; k++)
			found |= strcmp(catalogue[k].id, msc_rules_get(rules, i)->id) == 0;
		ck_assert_msg(found, "%s is not in requirements.md", msc_rules_get(rules, i)->id);
	}
	ck_assert_ptr_null(msc_rules_get(rules, NREQ));
	ck_assert_ptr_null(msc_rules_find(rules, "CI.NOPE"));
}
END_TEST

START_TEST(every_fact_a_rule_reads_has_a_question)
{
	size_t i;
	ck_assert_uint_gt(msc_rules_fact_count(rules), 10);
	for (i = 0; i < msc_rules_fact_count(rules); i++) {
		const msc_fact_info *f = msc_rules_fact(rules, i);
		ck_assert_msg(f->question && f->question[0], "%s has no question", f->path);
	}
	ck_assert_ptr_null(msc_rules_fact(rules, i));
	ck_assert_str_eq(msc_rules_name(rules), "builtin");
	ck_assert_str_eq(msc_rules_version(rules), "1.0.0");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("table");
	TCase *tc = tcase_create("table");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, every_requirement_is_encoded, 0, (int)NREQ);
	tcase_add_test(tc, nothing_else_is_in_the_table);
	tcase_add_test(tc, every_fact_a_rule_reads_has_a_question);
	suite_add_tcase(s, tc);
	return msc_test_main(s);
}
