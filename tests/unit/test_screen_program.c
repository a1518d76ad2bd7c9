/*
 * The rule table's compiled program (rules/ruleset.c, run by screen.c)
 * against the tree walk it replaced (msc__eval): on seeded random records,
 * over the built-in table and a clinic text that uses every kind of node,
 * compiled directly and on a base (msc_compiler_new_from), each rule's
 * finding, instruction, clinic change and missing questions must be what
 * the tree walk of its condition says.
 */
#include <string.h>

#include "internal.h"
#include "testutil.h"

static const char *const CLINIC =
	"ruleset prog-test\nversion 1\n"
	"source P \"test\"\n"
	"fact patient.age number\n  min 0\n  question \"age?\"\n"
	"fact patient.consent yesno\n  question \"consent?\"\n"
	"rule T.NOT_AND\n  severity defer\n  when patient.age < 18 and not patient.consent\n"
	"  message \"m\"\n  sources P\n"
	"rule T.NESTED\n  severity caution\n"
	"  when (patient.age >= 65 or patient.age <= 1 or patient.age = 40)\n"
	"    and (plan.area != face or not (patient.medications has class blood_thinner and plan.numbing_cream))\n"
	"  message \"m\"\n  sources P\n"
	"rule T.NAMES\n  severity contraindicated\n"
	"  when patient.allergies match \"hyaluronidase\" and plan.ingredients has \"hyaluronidase\"\n"
	"    or patient.medications has \"isotretinoin\" or patient.age != 30 and patient.allergies has unrecognized\n"
	"  message \"m\"\n  sources P\n"
	"rule T.ALWAYS\n  severity caution\n  when always\n  message \"m\"\n  sources P\n"
	"instruction T.AFTER\n  phase after\n  when not (plan.area in (scalp, face) or patient.consent)\n"
	"  text \"t\"\n  sources P\n"
	"override PR.DEPTH\n  severity defer\n  reason \"r\"\n"
	"disable PR.UNRECOGNIZED_MEDICATION\n  reason \"r\"\n";

static const char *const NAMES[] = {
	"aspirin 100 mg", "Eliquis", "lidocaine", "biotin", "isotretinoin", "hyaluronidase",
	"zz-not-a-name", "penicillin", "hyaluronic acid", "procaine", "B01AC06", "Z39.1", "E10.9",
};
static const double NUMBERS[] = { 0, 0.5, 1, 2, 2.5, 3, 4, 5, 6, 17, 18, 30, 40, 65, 80 };

static uint64_t rng;

static unsigned next(unsigned n)
{
	rng = rng * 6364136223846793005u + 1442695040888963407u;
	return (unsigned)((rng >> 33) % n);
}

/* Sets, unsets or leaves each fact at random. */
static void random_record(msc_record *rec, const msc_rules *rules)
{
	size_t i, k;

	msc_record_clear(rec);
	if (next(4))
		msc_record_set_present(rec, "plan");
	for (i = 0; i < rules->fact_count; i++) {
		const msc_fact *f = &rules->facts[i];
		const char *path = f->info.path;
		const char *items[4];
		size_t n;
		switch (next(6)) {
		case 0: /* absent */
			continue;
		case 1:
			msc_record_unset(rec, path);
			continue;
		default:
			break;
		}
		switch (f->type) {
		case MSC_FT_YESNO:
			msc_record_set_answer(rec, path, next(2) ? MSC_YES : MSC_NO);
			break;
		case MSC_FT_NUMBER:
			msc_record_set_number(rec, path, NUMBERS[next(sizeof(NUMBERS) / sizeof(NUMBERS[0]))]);
			break;
		case MSC_FT_ENUM:
			msc_record_set_word(rec, path, f->info.values[next((unsigned)f->info.value_count)]);
			break;
		default:
			n = next(4);
			for (k = 0; k < n; k++)
				items[k] = NAMES[next(sizeof(NAMES) / sizeof(NAMES[0]))];
			if (msc_record_set_list(rec, path, items, n) != MSC_OK)
				msc_record_set_list(rec, path, items, 0); /* codes: not all are */
			break;
		}
	}
}

static int tree(const msc_rule *rule, const msc_record *rec)
{
	return rule->when ? msc__eval(rule->when, rec) : MSC_YES;
}

/* The questions of an unknown node, as screening asked them before it had
 * programs: by walking the tree again. */
static int asks(const msc_node *n, const msc_record *rec, int fact)
{
	switch (n->kind) {
	case MSC_N_AND:
	case MSC_N_OR:
		return (msc__eval(n->a, rec) == MSC_UNKNOWN && asks(n->a, rec, fact)) ||
		       (msc__eval(n->b, rec) == MSC_UNKNOWN && asks(n->b, rec, fact));
	case MSC_N_NOT:
		return asks(n->a, rec, fact);
	case MSC_N_MATCH_LIST:
		return n->fact == fact || n->fact2 == fact; /* named, known or not: checked below */
	default:
		return n->fact == fact;
	}
}

static int has_finding(const msc_result *res, const char *id)
{
	size_t i;
	for (i = 0; i < msc_result_finding_count(res); i++)
		if (strcmp(msc_result_finding(res, i)->rule, id) == 0)
			return 1;
	return 0;
}

static int has_instruction(const msc_result *res, const msc_rule *rule)
{
	size_t i;
	for (i = 0; i < msc_result_instruction_count(res, rule->info.phase); i++)
		if (strcmp(msc_result_instruction(res, rule->info.phase, i)->id, rule->info.id) == 0)
			return 1;
	return 0;
}

static int has_override(const msc_result *res, const char *id)
{
	size_t i;
	for (i = 0; i < msc_result_override_count(res); i++)
		if (strcmp(msc_result_override(res, i)->rule, id) == 0)
			return 1;
	return 0;
}

static void check_table(const msc_rules *rules, unsigned records)
{
	msc_record *rec;
	msc_result *res;
	unsigned n;

	ck_assert_int_eq(msc_record_new(&rec, rules), MSC_OK);
	ck_assert_int_eq(msc_result_new(&res), MSC_OK);
	for (n = 0; n < records; n++) {
		size_t i;
		random_record(rec, rules);
		ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
		for (i = 0; i < rules->rule_count; i++) {
			const msc_rule *rule = &rules->rules[i];
			int t = tree(rule, rec), on = !rule->info.disabled && t != MSC_NO;
			if (rule->info.kind == MSC_INSTRUCTION)
				ck_assert_int_eq(has_instruction(res, rule), on);
			else
				ck_assert_msg(has_finding(res, rule->info.id) == (on && t == MSC_YES),
					      "record %u, rule %s: tree says %d", n, rule->info.id, t);
			ck_assert_int_eq(has_override(res, rule->info.id), rule->info.changed_by && t != MSC_NO);
		}
		/* every question asked is one the tree walk of its rule asks */
		for (i = 0; i < msc_result_missing_count(res); i++) {
			const msc_missing *m = msc_result_missing(res, i);
			const msc_rule *rule = NULL;
			size_t k;
			for (k = 0; k < rules->rule_count; k++)
				if (strcmp(rules->rules[k].info.id, m->rule) == 0)
					rule = &rules->rules[k];
			ck_assert_ptr_nonnull(rule);
			ck_assert_int_eq(tree(rule, rec), MSC_UNKNOWN);
			ck_assert_msg(asks(rule->when, rec, msc__rules_fact_index(rules, m->fact, strlen(m->fact))),
				      "record %u: %s asks %s", n, m->rule, m->fact);
		}
	}
	msc_result_free(res);
	msc_record_free(rec);
}

START_TEST(builtin_program_is_the_tree)
{
	msc_rules *rules;
	rng = 1;
	ck_assert_int_eq(msc_rules_builtin(&rules), MSC_OK);
	check_table(rules, 3000);
	msc_rules_free(rules);
}
END_TEST

START_TEST(clinic_program_is_the_tree)
{
	msc_compiler *c;
	msc_rules *base, *rules;
	rng = 2;
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "clinic", CLINIC, strlen(CLINIC)), MSC_OK);
	ck_assert_int_eq(msc_compiler_get_rules(c, &base), MSC_OK);
	msc_compiler_free(c);
	check_table(base, 3000);
	/* on a base: the copy's programs are its own */
	ck_assert_int_eq(msc_compiler_new_from(&c, base), MSC_OK);
	ck_assert_int_eq(msc_compiler_get_rules(c, &rules), MSC_OK);
	msc_compiler_free(c);
	msc_rules_free(base);
	check_table(rules, 3000);
	msc_rules_free(rules);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("screen_program");
	TCase *tc = tcase_create("program");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, builtin_program_is_the_tree);
	tcase_add_test(tc, clinic_program_is_the_tree);
	suite_add_tcase(s, tc);
	return msc_test_main(s);
}
