/*
 * Three-valued logic (the whole truth table, as cql-execution does) and
 * name normalisation, tested on the library's internals.
 */
#include <string.h>

#include "internal.h"
#include "testutil.h"

static const char *const LOGIC_RULES =
	"source T \"test\"\n"
	"fact patient.a yesno\n  question \"a?\"\n"
	"fact patient.b yesno\n  question \"b?\"\n"
	"rule T.AND\n  severity caution\n  when patient.a and patient.b\n  message \"and\"\n  sources T\n"
	"rule T.OR\n  severity caution\n  when patient.a or patient.b\n  message \"or\"\n  sources T\n"
	"rule T.NOT\n  severity caution\n  when not patient.a\n  message \"not\"\n  sources T\n";

static msc_rules *rules;
static msc_record *rec;

static void setup(void)
{
	msc_compiler *c;
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "logic", LOGIC_RULES, strlen(LOGIC_RULES)), MSC_OK);
	ck_assert_int_eq(msc_compiler_get_rules(c, &rules), MSC_OK);
	msc_compiler_free(c);
	ck_assert_int_eq(msc_record_new(&rec, rules), MSC_OK);
}

static void teardown(void)
{
	msc_record_free(rec);
	msc_rules_free(rules);
}

static int eval_rule(const char *id)
{
	size_t i;
	for (i = 0; i < rules->rule_count; i++)
		if (strcmp(rules->rules[i].info.id, id) == 0)
			return msc__eval(rules->rules[i].when, rec);
	ck_abort_msg("no rule %s", id);
	return 99;
}

#define U MSC_UNKNOWN
#define N MSC_NO
#define Y MSC_YES

/* Kleene: rows a, b -> and, or, not a */
static const int truth[9][5] = {
	{ Y, Y, Y, Y, N }, { Y, N, N, Y, N }, { Y, U, U, Y, N },
	{ N, Y, N, Y, Y }, { N, N, N, N, Y }, { N, U, N, U, Y },
	{ U, Y, U, Y, U }, { U, N, N, U, U }, { U, U, U, U, U },
};

START_TEST(kleene_truth_table)
{
	const int *row = truth[_i];
	ck_assert_int_eq(msc_record_set_answer(rec, "patient.a", (msc_answer)row[0]), MSC_OK);
	ck_assert_int_eq(msc_record_set_answer(rec, "b", (msc_answer)row[1]), MSC_OK);
	ck_assert_int_eq(eval_rule("T.AND"), row[2]);
	ck_assert_int_eq(eval_rule("T.OR"), row[3]);
	ck_assert_int_eq(eval_rule("T.NOT"), row[4]);
}
END_TEST

/* The verdict follows: a true caution rule is caution, an unknown one incomplete. */
START_TEST(unknown_is_never_no)
{
	msc_result *res;
	ck_assert_int_eq(msc_result_new(&res), MSC_OK);
	ck_assert_int_eq(msc_record_set_answer(rec, "patient.a", MSC_UNKNOWN), MSC_OK);
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
	ck_assert_int_eq(msc_result_verdict(res), MSC_INCOMPLETE);
	msc_result_free(res);
}
END_TEST

typedef struct norm_case {
	const char *in, *out;
} norm_case;

static const norm_case norms[] = {
	{ "Aspirin 100 mg", "aspirin" },
	{ "  ASPIRIN  ", "aspirin" },
	{ "aspirin 100mg EC tablet", "aspirin ec tablet" },
	{ "Lidocaine HCl 2%", "lidocaine hcl" },
	{ "insulin glargine 100 units/ml", "insulin glargine" },
	{ "Co-amoxiclav 625mg", "co-amoxiclav" },
	{ "vitamin C (ascorbic acid)", "vitamin c ascorbic acid" },
	{ "2.5 mg", "" },
};

START_TEST(normalisation)
{
	char out[MSC_NORM_MAX];
	msc_lex_normalize(norms[_i].in, strlen(norms[_i].in), out);
	ck_assert_str_eq(out, norms[_i].out);
}
END_TEST

/* Every unit a dose may carry is dropped, glued to its number or not; a
 * word that only starts or ends like one is kept. */
START_TEST(every_unit)
{
	static const char *const units[] = { "mg", "mcg", "ug", "g", "kg", "ml", "l", "iu", "ui", "u", "units",
					     "unit", "%", "mmol", "meq", "mg/ml", "mg/g", "mcg/h", "microgram",
					     "micrograms", "milligram", "milligrams", "x" };
	char in[64], out[MSC_NORM_MAX];
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		snprintf(in, sizeof(in), "Aspirin 5%s", units[i]);
		msc_lex_normalize(in, strlen(in), out);
		ck_assert_msg(strcmp(out, "aspirin") == 0, "%s -> %s", in, out);
		snprintf(in, sizeof(in), "Aspirin 5 %s", units[i]);
		msc_lex_normalize(in, strlen(in), out);
		ck_assert_msg(strcmp(out, "aspirin") == 0, "%s -> %s", in, out);
	}
	msc_lex_normalize("aspirin 5 mgs ugh", 17, out);
	ck_assert_str_eq(out, "aspirin mgs ugh");
	msc_lex_normalize("m aspirin", 9, out);
	ck_assert_str_eq(out, "m aspirin");
}
END_TEST

typedef struct lookup_case {
	msc_lex_table table;
	const char *in, *name;
} lookup_case;

static const lookup_case lookups[] = {
	{ MSC_LEX_MEDICATION, "Aspirin 100 mg EC tablet", "aspirin" },
	{ MSC_LEX_MEDICATION, "acetylsalicylic acid", "aspirin" },
	{ MSC_LEX_MEDICATION, "ASA", "aspirin" },
	{ MSC_LEX_MEDICATION, "Eliquis 5mg", "apixaban" },
	{ MSC_LEX_MEDICATION, "b01ac06", "aspirin" },
	{ MSC_LEX_MEDICATION, "clopidogrel bisulfate 75 mg", "clopidogrel" },
	{ MSC_LEX_INGREDIENT, "Lidocaine hydrochloride 2%", "lidocaine" },
	{ MSC_LEX_INGREDIENT, "sodium hyaluronate", "hyaluronic acid" },
	{ MSC_LEX_INGREDIENT, "Xylocaine", "lidocaine" },
	{ MSC_LEX_INGREDIENT, "vitamin H", "biotin" },
	{ MSC_LEX_MEDICATION, "zzqx", NULL },
};

START_TEST(lexicon_lookup)
{
	const lookup_case *c = &lookups[_i];
	char norm[MSC_NORM_MAX];
	msc_lex_hit hit;
	int found;
	msc_lex_normalize(c->in, strlen(c->in), norm);
	found = msc_lex_lookup(c->table, norm, c->in, &hit);
	if (!c->name) {
		ck_assert_int_eq(found, 0);
		ck_assert_int_eq(hit.table, MSC_LEX_NONE);
		return;
	}
	ck_assert_msg(found, "%s not found", c->in);
	ck_assert_str_eq(msc__lex_tables[c->table][hit.entry].name, c->name);
}
END_TEST

START_TEST(blood_thinner_classes)
{
	int bt = msc_lex_class_index("blood_thinner");
	ck_assert_int_ge(bt, 0);
	ck_assert(msc_lex_atc_classes("B01AC06") & (1u << bt));   /* aspirin */
	ck_assert(msc_lex_atc_classes("N02BA01") & (1u << bt));   /* aspirin, analgesic code */
	ck_assert(msc_lex_atc_classes("B01AF02") & (1u << bt));   /* apixaban */
	ck_assert(msc_lex_atc_classes("M01AE01") & (1u << bt));   /* ibuprofen */
	ck_assert(!(msc_lex_atc_classes("M01AH01") & (1u << bt))); /* celecoxib: selective */
	ck_assert(!(msc_lex_atc_classes("N02BE01") & (1u << bt))); /* paracetamol */
	ck_assert(!(msc_lex_atc_classes("C10AA05") & (1u << bt))); /* atorvastatin */
	ck_assert_int_eq(msc_lex_class_index("no_such_class"), -1);
}
END_TEST

START_TEST(icd10_codes)
{
	char out[16];
	ck_assert(msc_lex_icd10("Z39.1", 5, out));
	ck_assert_str_eq(out, "Z391");
	ck_assert(msc_lex_icd10(" e10.9 ", 7, out));
	ck_assert_str_eq(out, "E109");
	ck_assert(msc_lex_icd10("Z3A.20", 6, out));
	ck_assert(!msc_lex_icd10("pregnant", 8, out));
	ck_assert(!msc_lex_icd10("Z3", 2, out));
	ck_assert(!msc_lex_icd10("Z39.123456", 10, out));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("logic");
	TCase *tc = tcase_create("tristate");
	TCase *tn = tcase_create("lexicon");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, kleene_truth_table, 0, 9);
	tcase_add_test(tc, unknown_is_never_no);
	tcase_add_loop_test(tn, normalisation, 0, (int)(sizeof(norms) / sizeof(norms[0])));
	tcase_add_test(tn, every_unit);
	tcase_add_loop_test(tn, lexicon_lookup, 0, (int)(sizeof(lookups) / sizeof(lookups[0])));
	tcase_add_test(tn, blood_thinner_classes);
	tcase_add_test(tn, icd10_codes);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tn);
	return msc_test_main(s);
}
