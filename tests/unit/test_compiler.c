/*
 * The rule language (docs/rules.md): every error of the compiler at its
 * exact line and column with its exact message, the limits at and one
 * past, and every valid construct, checked by what it compiles to and by
 * the verdicts it gives.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "testutil.h"

#define MAX_ERRS 6

typedef struct error_case {
	const char *text;
	const char *errors[MAX_ERRS]; /* "line:col: message", NULL-terminated */
} error_case;

/* A rule around a condition: the condition starts at 3:8. */
#define WHEN(cond) "rule X.A\n  severity caution\n  when " cond "\n  message \"m\"\n  sources S000\n"
/* A rule with one extra property line (line 3) before its sources. */
#define RULE_WITH(line) "rule X.A\n  severity caution\n" line "\n  when patient.pregnant\n  message \"m\"\n  sources S000\n"

static const char *const TOP =
	"expected ruleset, version, source, fact, rule, instruction, override or disable, not ";

static const error_case cases[] = {
	/* ------------------------------------------------ tokens */
	{ "source P \"abc\n",
	  { "1:10: unterminated string", "1:10: expected a quoted string for the source's title" } },
	{ "ruleset a !\n", { "1:11: unexpected '!' (did you mean '!='?)" } },
	{ "ruleset a;\n", { "1:10: unexpected character ';'" } },
	{ "ruleset a\x01\n", { "1:10: unexpected character '?'" } },
	/* columns count bytes: the two bytes of an e-acute are two errors */
	{ "ruleset \xc3\xa9\n",
	  { "1:9: unexpected character '?'", "1:10: unexpected character '?'",
	    "1:11: expected a name after 'ruleset'" } },
	{ "ruleset a\n\xff\n", { "1:1: the text is not valid UTF-8 (or holds a NUL byte)" } },
	/* ------------------------------------------------ top level */
	{ "  severity caution\n", { "1:3: *TOP*'severity'" } },
	{ "\"x\"\n", { "1:1: *TOP*'x'" } },
	{ "rule ( rule X.A\n", { "1:6: expected an id after 'rule'", "1:8: *TOP*'rule'" } },
	{ "ruleset (\n", { "1:9: expected a name after 'ruleset'" } },
	{ "version )\n", { "1:9: expected a name after 'version'" } },
	{ "ruleset a b\n", { "1:11: unexpected 'b' after the name" } },
	{ "version 1 2\n", { "1:11: unexpected '2' after the name" } },
	/* ------------------------------------------------ sources */
	{ "source \"x\" \"t\"\n", { "1:8: expected a source id after 'source'" } },
	{ "source S000 \"again\"\n", { "1:8: source 'S000' is already declared" } },
	{ "source P\n", { "1:9: expected a quoted string for the source's title" } },
	{ "source P \"t\" x\n", { "1:14: unexpected 'x' after the source's title" } },
	/* ------------------------------------------------ facts */
	{ "fact age number\n", { "1:6: expected a fact path such as patient.age after 'fact'" } },
	{ "fact .age number\n", { "1:6: expected a fact path such as patient.age after 'fact'" } },
	{ "fact patient. number\n", { "1:6: expected a fact path such as patient.age after 'fact'" } },
	{ "fact a.b.c number\n", { "1:6: expected a fact path such as patient.age after 'fact'" } },
	{ "fact \"a.b\" number\n", { "1:6: expected a fact path such as patient.age after 'fact'" } },
	{ "fact patient.pregnant yesno\n", { "1:6: fact 'patient.pregnant' is already declared" } },
	/* a bare name must stay unique too: records accept "pregnant" alone */
	{ "fact plan.pregnant yesno\n", { "1:6: fact 'plan.pregnant' is already declared" } },
	{ "fact patient.x bool\n",
	  { "1:16: expected a fact type (yesno, number, enum, medications, allergies, ingredients, codes), not 'bool'" } },
	{ "fact patient.x yesno extra\n", { "1:22: unexpected 'extra' after the fact's type" } },
	{ "fact plan.x enum\n", { "1:17: an enum fact lists its values after 'enum'" } },
	{ "fact plan.x enum a (\n", { "1:20: unexpected '(' after the fact's type" } },
	{ "fact patient.x yesno\n  default maybe\n", { "2:11: 'maybe' is not a default for patient.x (yesno)" } },
	{ "fact patient.x yesno\n  default none\n", { "2:11: 'none' is not a default for patient.x (yesno)" } },
	{ "fact patient.x number\n  default soon\n", { "2:11: 'soon' is not a default for patient.x (number)" } },
	{ "fact plan.x enum a b\n  default c\n", { "2:11: 'c' is not a default for plan.x (enum)" } },
	{ "fact patient.x medications\n  default none\n",
	  { "2:11: 'none' is not a default for patient.x (medications)" } },
	{ "fact patient.x yesno\n  default yes no\n", { "2:15: unexpected 'no' after the default" } },
	{ "fact patient.x number\n  min abc\n", { "2:7: expected a number, not 'abc'" } },
	{ "fact patient.x number\n  min 1.\n", { "2:7: expected a number, not '1.'" } },
	{ "fact patient.x number\n  min .5\n", { "2:7: expected a number, not '.5'" } },
	{ "fact patient.x number\n  above 1.2.3\n", { "2:9: expected a number, not '1.2.3'" } },
	{ "fact patient.x number\n  max -\n", { "2:7: expected a number, not '-'" } },
	{ "fact patient.x number\n  max 1 2\n", { "2:9: unexpected '2' after the limit" } },
	{ "fact patient.x number\n  min 1111111111111111111111111111111111111111111111111111111111111111\n",
	  { "2:7: expected a number, not '1111111111111111111111111111111111111111111111111111111111111111'" } },
	{ "fact patient.x number\n  accepts always\n", { "2:11: a number fact accepts only the word 'never'" } },
	{ "fact patient.x number\n  accepts never now\n", { "2:17: unexpected 'now' after 'accepts never'" } },
	{ "fact patient.x yesno\n  min 0\n", { "2:3: unknown property 'min' for a yesno fact" } },
	{ "fact patient.x yesno\n  accepts never\n", { "2:3: unknown property 'accepts' for a yesno fact" } },
	{ "fact patient.x yesno\n  question x\n", { "2:12: expected a quoted string for the question" } },
	{ "fact patient.x yesno\n  question \"q?\" \"r\" s\n", { "2:21: unexpected 's' after the question" } },
	/* ------------------------------------------------ rules: properties */
	{ "rule \"x\"\n", { "1:6: expected an id after 'rule'" } },
	{ "instruction 5\n", { "1:13: expected an id after 'instruction'" } },
	{ "override (\n", { "1:10: expected an id after 'override'" } },
	{ "disable\n", { "1:8: expected an id after 'disable'" } },
	{ "rule X.A extra\n", { "1:10: unexpected 'extra' after the id" } },
	{ "rule CI.STROKE\n",
	  { "1:6: duplicate id 'CI.STROKE' (to change an earlier rule, use 'override' or 'disable')" } },
	{ WHEN("patient.pregnant") "rule X.A\n", { "6:6: duplicate id 'X.A'" } },
	{ "rule X.A\n", { "1:1: rule X.A has no severity", "1:1: rule X.A has no 'when' condition",
			  "1:1: rule X.A has no message", "1:1: rule X.A cites no sources" } },
	{ "instruction X.I\n", { "1:1: instruction X.I has no phase", "1:1: instruction X.I has no text",
				 "1:1: instruction X.I cites no sources" } },
	{ "rule X.A\n  severity high\n", { "2:12: severity is contraindicated, defer or caution, not 'high'" } },
	{ "rule X.A\n  severity caution now\n", { "2:20: unexpected 'now' after the severity" } },
	{ "instruction X.I\n  phase during\n", { "2:9: phase is before or after, not 'during'" } },
	{ "instruction X.I\n  phase after now\n", { "2:15: unexpected 'now' after the phase" } },
	{ "instruction X.I\n  phase after\n  text 5\n", { "3:8: expected a quoted string for the text" } },
	{ "rule X.A\n  phase after\n", { "2:3: unknown property 'phase' for a rule" } },
	{ "rule X.A\n  reason \"r\"\n", { "2:3: unknown property 'reason' for a rule" } },
	{ "rule X.A\n  \"loose\"\n", { "2:3: unknown property 'loose' for a rule" } },
	{ RULE_WITH("  when patient.cancer"), { "4:3: a second 'when'" } },
	{ RULE_WITH("  message x"), { "3:11: expected a quoted string for the message" } },
	{ RULE_WITH("  message \"m\" x"), { "3:15: unexpected 'x' after the message" } },
	{ RULE_WITH("  sources"), { "3:10: expected source ids after 'sources'" } },
	{ RULE_WITH("  sources S000 NOPE"), { "3:16: unknown source 'NOPE' (declare it with 'source')" } },
	{ RULE_WITH("  sources S000 \"x\""), { "3:16: unexpected 'x' after the sources" } },
	{ RULE_WITH("  ask nosuch \"q?\""), { "3:7: unknown fact 'nosuch'" } },
	{ RULE_WITH("  ask \"q?\""),
	  { "3:7: expected a fact for 'ask', not 'q?'", "3:11: expected a quoted string for the question" } },
	/* ------------------------------------------------ override and disable */
	{ "override NOPE\n  reason \"r\"\n",
	  { "1:10: 'override' needs a rule of an earlier rule text, and 'NOPE' is not one" } },
	{ "disable NOPE\n", { "1:9: 'disable' needs a rule of an earlier rule text, and 'NOPE' is not one" } },
	{ WHEN("patient.pregnant") "override X.A\n  reason \"r\"\n",
	  { "6:10: 'override' needs a rule of an earlier rule text, and 'X.A' is not one" } },
	{ "override PR.DEPTH extra\n", { "1:19: unexpected 'extra' after the id" } },
	{ "disable PR.DEPTH\n  severity defer\n  reason \"r\"\n",
	  { "2:3: 'disable' takes only a 'reason', not 'severity'" } },
	{ "disable PR.DEPTH\n", { "1:1: disabling PR.DEPTH needs a stated 'reason'" } },
	{ "override PR.DEPTH\n  colour red\n", { "2:3: unknown property 'colour' for an override" } },
	{ "override PR.DEPTH\n  reason x\n", { "2:10: expected a quoted string for the reason" } },
	{ "override CI.STROKE\n  severity caution\n",
	  { "1:1: this override can weaken CI.STROKE: state a 'reason' (it is shown in every result it affects)" } },
	{ "override CI.STROKE\n  message \"m\"\n",
	  { "1:1: this override can weaken CI.STROKE: state a 'reason' (it is shown in every result it affects)" } },
	{ "override PR.DEPTH\n  ask plan.depth_mm \"depth?\"\n",
	  { "1:1: this override can weaken PR.DEPTH: state a 'reason' (it is shown in every result it affects)" } },
	{ "override POST.CLOTHING\n  phase before\n",
	  { "1:1: this override can weaken POST.CLOTHING: state a 'reason' (it is shown in every result it affects)" } },
	{ "override PR.DEPTH\n  when patient.pregnant\n",
	  { "1:1: this override can weaken PR.DEPTH: state a 'reason' (it is shown in every result it affects)" } },
	/* ------------------------------------------------ conditions */
	{ WHEN("patient.pregnant < yes"), { "3:25: '<' compares numbers, and patient.pregnant is yesno" } },
	{ WHEN("plan.area >= face"), { "3:18: '>=' compares numbers, and plan.area is enum" } },
	{ WHEN("patient.pregnant = maybe"), { "3:27: patient.pregnant is yes or no, not 'maybe'" } },
	{ WHEN("plan.area = knee"), { "3:20: 'knee' is not a value of plan.area" } },
	{ WHEN("plan.area in (face, knee)"), { "3:28: 'knee' is not a value of plan.area" } },
	{ WHEN("patient.medications = x"),
	  { "3:28: patient.medications is a list (medications): use 'has' or 'match'" } },
	{ WHEN("patient.pregnant in (yes)"), { "3:25: 'in' needs an enum fact, and patient.pregnant is yesno" } },
	{ WHEN("plan.area in face"), { "3:21: expected '(' after 'in'" } },
	{ WHEN("plan.area in (face neck)"), { "3:27: expected ',' or ')'" } },
	{ WHEN("patient.pregnant has \"x\""),
	  { "3:25: 'has' needs a list of names, and patient.pregnant is yesno" } },
	{ WHEN("patient.conditions has \"x\""),
	  { "3:27: 'has' needs a list of names, and patient.conditions is codes" } },
	{ WHEN("patient.allergies has class nsaid"),
	  { "3:30: 'has class' needs medications, and patient.allergies is allergies" } },
	{ WHEN("patient.medications has class \"x\""), { "3:38: expected a class name after 'has class'" } },
	{ WHEN("patient.medications has class aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	  { "3:38: expected a class name after 'has class'" } },
	{ WHEN("patient.medications has class painkiller"), { "3:38: unknown medication class 'painkiller'" } },
	{ WHEN("patient.medications has 5"),
	  { "3:32: expected 'class NAME', 'unrecognized' or a quoted name after 'has'" } },
	{ WHEN("plan.ingredients match \"lidocaine\""),
	  { "3:25: 'match' compares allergies with ingredients, and plan.ingredients is ingredients" } },
	{ WHEN("patient.allergies match \"frobozz\""), { "3:32: 'frobozz' is not in the ingredient lexicon" } },
	{ WHEN("patient.allergies match patient.medications"),
	  { "3:32: 'match' needs an ingredients list, and patient.medications is medications" } },
	{ WHEN("patient.allergies match 5"), { "3:32: expected a fact for 'match', not '5'" } },
	{ WHEN("patient.allergies match patient.nosuch"), { "3:32: unknown fact 'patient.nosuch'" } },
	{ WHEN("plan.area"),
	  { "3:8: plan.area is enum: compare it (=, <, in, has, match), it is not yes or no by itself" } },
	{ WHEN("patient.nosuch"), { "3:8: unknown fact 'patient.nosuch'" } },
	{ WHEN("= yes"), { "3:8: expected a fact for the condition, not '='" } },
	{ WHEN("(patient.pregnant patient.cancer)"), { "3:26: expected ')'" } },
	{ WHEN("patient.pregnant patient.cancer"), { "3:25: unexpected 'patient.cancer' after the condition" } },
	{ WHEN("patient.hair_transplant_months_ago < soon"), { "3:45: expected a number, not 'soon'" } },
	{ WHEN("not (patient.pregnant or plan.area)"),
	  { "3:33: plan.area is enum: compare it (=, <, in, has, match), it is not yes or no by itself" } },
	{ WHEN("patient.pregnant and not plan.area"),
	  { "3:33: plan.area is enum: compare it (=, <, in, has, match), it is not yes or no by itself" } },
	{ WHEN("patient.pregnant !yes"),
	  { "3:25: unexpected '!' (did you mean '!='?)", "3:26: unexpected 'yes' after the condition" } },
};

static const char *const NAME = "t.rules";

static void expect_errors(const char *text, size_t len, const char *const *want)
{
	msc_compiler *c;
	msc_rules *r = (msc_rules *)&r;
	size_t n = 0, i;
	char expected[1024];
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, NAME, text, len), MSC_ERULES);
	while (n < MAX_ERRS && want[n])
		n++;
	for (i = 0; i < n || i < msc_compiler_error_count(c); i++) {
		const char *got = msc_compiler_error(c, i);
		const char *w = i < n ? want[i] : "(none)";
		const char *top = strstr(w, "*TOP*");
		if (top)
			snprintf(expected, sizeof(expected), "%s:%.*s%s%s", NAME, (int)(top - w), w, TOP, top + 5);
		else
			snprintf(expected, sizeof(expected), "%s:%s", NAME, w);
		ck_assert_msg(got && strcmp(got, expected) == 0, "text:\n%s\nerror %zu: got '%s', expected '%s'",
			      text, i, got ? got : "(none)", expected);
	}
	ck_assert_uint_eq(msc_compiler_error_count(c), n);
	/* the first error is the one the return code's message names */
	snprintf(expected, sizeof(expected), "%s: %zu error%s in the rule text; first: %s", NAME, n,
		 n == 1 ? "" : "s", msc_compiler_error(c, 0));
	ck_assert_str_eq(msc_error_message(), expected);
	/* never a partial rule set */
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_ERULES);
	ck_assert_ptr_null(r);
	msc_compiler_free(c);
}

START_TEST(every_error_at_its_line_and_column)
{
	expect_errors(cases[_i].text, strlen(cases[_i].text), cases[_i].errors);
}
END_TEST

START_TEST(nul_byte_in_text)
{
	static const char *const want[] = { "1:1: the text is not valid UTF-8 (or holds a NUL byte)", NULL };
	expect_errors("ruleset a\0b\n", 12, want);
}
END_TEST

/* ---------------------------------------------------------------- limits */

static char *gen(size_t cap)
{
	char *s = malloc(cap);
	ck_assert_ptr_nonnull(s);
	s[0] = '\0';
	return s;
}

static int compile_one(const char *text, msc_compiler **out)
{
	ck_assert_int_eq(msc_compiler_new(out), MSC_OK);
	return msc_compiler_add_text(*out, NAME, text, strlen(text));
}

static msc_rules *compile_ok(const char *text)
{
	msc_compiler *c;
	msc_rules *r = NULL;
	int rc = compile_one(text, &c);
	ck_assert_msg(rc == MSC_OK, "%s: %s", msc_status_name(rc), msc_error_message());
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_OK);
	msc_compiler_free(c);
	return r;
}

START_TEST(nesting_limit_at_and_one_past)
{
	char *text = gen(4096);
	char cond[1024] = "";
	int i;
	msc_compiler *c;
	msc_rules *r;
	/* 63 negations and the fact: 64 levels, accepted */
	for (i = 0; i < 63; i++)
		strcat(cond, "not ");
	sprintf(text, "rule X.A\n  severity caution\n  when %spatient.pregnant\n  message \"m\"\n  sources S000\n", cond);
	r = compile_ok(text);
	ck_assert_str_eq(msc_rules_find(r, "X.A")->condition + strlen(cond) - 4, "not patient.pregnant");
	msc_rules_free(r);
	/* one more: refused at the fact, the 65th level */
	strcat(cond, "not ");
	sprintf(text, "rule X.A\n  severity caution\n  when %spatient.pregnant\n  message \"m\"\n  sources S000\n", cond);
	ck_assert_int_eq(compile_one(text, &c), MSC_ERULES);
	ck_assert_uint_eq(msc_compiler_error_count(c), 1);
	ck_assert_str_eq(msc_compiler_error(c, 0), "t.rules:3:264: condition nested too deeply (more than 64 levels)");
	msc_compiler_free(c);
	free(text);
}
END_TEST

START_TEST(enum_limit_at_and_one_past)
{
	char *text = gen(4096);
	int i;
	msc_compiler *c;
	msc_rules *r;
	strcpy(text, "fact plan.x enum");
	for (i = 0; i < 64; i++)
		sprintf(text + strlen(text), " v%d", i);
	strcat(text, "\n");
	r = compile_ok(text);
	ck_assert_uint_eq(msc_rules_fact(r, msc_rules_fact_count(r) - 1)->value_count, 64);
	ck_assert_str_eq(msc_rules_fact(r, msc_rules_fact_count(r) - 1)->values[63], "v63");
	msc_rules_free(r);
	text[strlen(text) - 1] = '\0';
	strcat(text, " v64\n");
	ck_assert_int_eq(compile_one(text, &c), MSC_ERULES);
	ck_assert_uint_eq(msc_compiler_error_count(c), 1);
	/* "fact plan.x enum" is 16 bytes; v0..v9 take 3 each, v10..v63 4 each */
	ck_assert_str_eq(msc_compiler_error(c, 0), "t.rules:1:264: more than 64 values");
	msc_compiler_free(c);
	free(text);
}
END_TEST

START_TEST(source_limit_at_and_one_past)
{
	/* the built-in table declares 5 sources; 251 more make 256 */
	char *text = gen(64 * 1024);
	int i;
	msc_compiler *c;
	msc_rules *r;
	for (i = 0; i < 251; i++)
		sprintf(text + strlen(text), "source P%d \"title %d\"\n", i, i);
	strcat(text, WHEN("patient.pregnant"));
	text[strlen(text) - 1] = '\0';
	strcat(text, " P250\n");
	r = compile_ok(text);
	ck_assert_str_eq(msc_rules_find(r, "X.A")->sources[1], "title 250");
	msc_rules_free(r);
	strcat(text, "source P251 \"one too many\"\n");
	ck_assert_int_eq(compile_one(text, &c), MSC_ERULES);
	ck_assert_uint_eq(msc_compiler_error_count(c), 1);
	ck_assert_str_eq(msc_compiler_error(c, 0), "t.rules:257:1: more than 256 sources");
	msc_compiler_free(c);
	free(text);
}
END_TEST

START_TEST(fact_limit_at_and_one_past)
{
	/* the built-in table declares 18 facts; 1006 more make 1024 */
	char *text = gen(64 * 1024);
	int i;
	size_t builtin;
	msc_compiler *c;
	msc_rules *r;
	ck_assert_int_eq(msc_rules_builtin(&r), MSC_OK);
	builtin = msc_rules_fact_count(r);
	msc_rules_free(r);
	ck_assert_uint_eq(builtin, 18);
	for (i = 0; i < 1006; i++)
		sprintf(text + strlen(text), "fact extra.f%d yesno\n", i);
	r = compile_ok(text);
	ck_assert_uint_eq(msc_rules_fact_count(r), 1024);
	ck_assert_str_eq(msc_rules_fact(r, 1023)->path, "extra.f1005");
	msc_rules_free(r);
	strcat(text, "fact extra.f1006 yesno\n");
	ck_assert_int_eq(compile_one(text, &c), MSC_ERULES);
	ck_assert_uint_eq(msc_compiler_error_count(c), 1);
	ck_assert_str_eq(msc_compiler_error(c, 0), "t.rules:1007:6: more than 1024 facts");
	msc_compiler_free(c);
	free(text);
}
END_TEST

START_TEST(rule_limit_at_and_one_past)
{
	/* the built-in table has 25 entries; 4071 more make 4096 */
	char *text = gen(512 * 1024);
	size_t len = 0;
	int i;
	msc_compiler *c;
	msc_rules *r;
	ck_assert_int_eq(msc_rules_builtin(&r), MSC_OK);
	ck_assert_uint_eq(msc_rules_count(r), 25);
	msc_rules_free(r);
	for (i = 0; i < 4071; i++)
		len += (size_t)sprintf(text + len, "instruction X.%d\n  phase after\n  text \"t\"\n  sources S000\n", i);
	r = compile_ok(text);
	ck_assert_uint_eq(msc_rules_count(r), 4096);
	ck_assert_str_eq(msc_rules_get(r, 4095)->id, "X.4070");
	msc_rules_free(r);
	sprintf(text + len, "instruction X.4071\n  phase after\n  text \"t\"\n  sources S000\n");
	ck_assert_int_eq(compile_one(text, &c), MSC_ERULES);
	ck_assert_uint_eq(msc_compiler_error_count(c), 1);
	ck_assert_str_eq(msc_compiler_error(c, 0), "t.rules:16285:1: more than 4096 rules");
	msc_compiler_free(c);
	free(text);
}
END_TEST

START_TEST(text_size_limit)
{
	size_t max = 1024 * 1024;
	char *text = gen(max + 2);
	msc_compiler *c;
	char path[] = "/tmp/msc_test_compiler_XXXXXX";
	int fd;
	FILE *f;
	memset(text, '#', max + 1);
	text[max + 1] = '\0';
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	/* a comment of exactly 1 MiB is a valid, empty text */
	ck_assert_int_eq(msc_compiler_add_text(c, "big", text, max), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "big", text, max + 1), MSC_ELIMIT);
	ck_assert_str_eq(msc_error_message(), "big: 1048577 bytes, more than the limit of 1048576");
	/* the same from a file */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, max + 1, f), max + 1);
	fclose(f);
	ck_assert_int_eq(msc_compiler_add_file(c, path), MSC_ELIMIT);
	ck_assert(strstr(msc_error_message(), ": more than the limit of 1048576 bytes") != NULL);
	ck_assert_int_eq(truncate(path, (off_t)max), 0);
	ck_assert_int_eq(msc_compiler_add_file(c, path), MSC_OK);
	unlink(path);
	ck_assert_uint_eq(msc_compiler_error_count(c), 0);
	msc_compiler_free(c);
	free(text);
}
END_TEST

/* ---------------------------------------------------------------- API edges */

START_TEST(compiler_api_edges)
{
	msc_compiler *c;
	msc_rules *r = (msc_rules *)&r;
	const char *empty_sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	ck_assert_int_eq(msc_compiler_new(NULL), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "out is NULL");
	ck_assert_int_eq(msc_rules_builtin(NULL), MSC_EINVAL);
	ck_assert_int_eq(msc_compiler_add_text(NULL, "n", "", 0), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "compiler, name or text is NULL");
	ck_assert_int_eq(msc_compiler_add_file(NULL, "x"), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "compiler or path is NULL");
	ck_assert_uint_eq(msc_compiler_error_count(NULL), 0);
	ck_assert_ptr_null(msc_compiler_error(NULL, 0));
	ck_assert_int_eq(msc_compiler_get_rules(NULL, &r), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "compiler or out is NULL");
	msc_compiler_free(NULL);

	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, NULL, "", 0), MSC_EINVAL);
	ck_assert_int_eq(msc_compiler_add_text(c, "n", NULL, 1), MSC_EINVAL);
	ck_assert_int_eq(msc_compiler_add_file(c, NULL), MSC_EINVAL);
	ck_assert_int_eq(msc_compiler_get_rules(c, NULL), MSC_EINVAL);
	/* a file that cannot be read, and a directory (fopen works, fread does not) */
	ck_assert_int_eq(msc_compiler_add_file(c, "/nonexistent/x.rules"), MSC_EIO);
	ck_assert_str_eq(msc_error_message(), "/nonexistent/x.rules: No such file or directory");
	ck_assert_int_eq(msc_compiler_add_file(c, "/"), MSC_EIO);
	ck_assert_str_eq(msc_error_message(), "/: read error");
	/* NULL text of length 0 is the empty text: a file with nothing in it */
	ck_assert_int_eq(msc_compiler_add_text(c, "dir/empty.rules", NULL, 0), MSC_OK);
	ck_assert_uint_eq(msc_compiler_error_count(c), 0);
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_OK);
	/* handed over: the compiler refuses to go on */
	ck_assert_int_eq(msc_compiler_add_text(c, "n", "", 0), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "this compiler has already handed over its rules");
	{
		msc_rules *again = (msc_rules *)&again;
		ck_assert_int_eq(msc_compiler_get_rules(c, &again), MSC_EINVAL);
		ck_assert_str_eq(msc_error_message(), "this compiler has already handed over its rules");
		ck_assert_ptr_null(again);
	}
	msc_compiler_free(c);
	/* a file without a ruleset statement is named by its base name */
	ck_assert_str_eq(msc_rules_name(r), "builtin+empty.rules");
	ck_assert_uint_eq(msc_rules_file_count(r), 1);
	ck_assert_str_eq(msc_rules_file_get(r, 0)->name, "dir/empty.rules");
	ck_assert_ptr_null(msc_rules_file_get(r, 0)->ruleset);
	ck_assert_ptr_null(msc_rules_file_get(r, 0)->version);
	ck_assert_str_eq(msc_rules_file_get(r, 0)->sha256, empty_sha);
	msc_rules_free(r);
}
END_TEST

/* An override's questions come first; the rule's earlier ones stay. */
START_TEST(override_adds_questions)
{
	const char *first = "fact patient.a yesno\nfact patient.b yesno\n"
			    "rule A.R\n  severity contraindicated\n  when patient.a and patient.b\n  message \"m\"\n"
			    "  sources S000\n  ask patient.a \"first a?\"\n  ask patient.b \"first b?\"\n";
	const char *second = "override A.R\n  ask patient.a \"second a?\"\n  reason \"wording\"\n";
	msc_compiler *c;
	msc_rules *r;
	msc_record *x;
	msc_result *y;
	size_t i;
	const char *qa = NULL, *qb = NULL;
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "first", first, strlen(first)), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "second", second, strlen(second)), MSC_OK);
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_OK);
	msc_compiler_free(c);
	ck_assert_int_eq(msc_record_new(&x, r), MSC_OK);
	ck_assert_int_eq(msc_result_new(&y), MSC_OK);
	ck_assert_int_eq(msc_screen(y, r, x), MSC_OK);
	for (i = 0; i < msc_result_missing_count(y); i++) {
		const msc_missing *m = msc_result_missing(y, i);
		if (strcmp(m->rule, "A.R") != 0)
			continue;
		if (strcmp(m->fact, "patient.a") == 0)
			qa = m->question;
		if (strcmp(m->fact, "patient.b") == 0)
			qb = m->question;
	}
	ck_assert_str_eq(qa, "second a?");
	ck_assert_str_eq(qb, "first b?");
	ck_assert_str_eq(msc_rules_find(r, "A.R")->changed_by, "second");
	ck_assert_str_eq(msc_rules_find(r, "A.R")->origin, "first");
	msc_result_free(y);
	msc_record_free(x);
	msc_rules_free(r);
}
END_TEST

START_TEST(several_texts_and_their_errors)
{
	msc_compiler *c;
	msc_rules *r = (msc_rules *)&r;
	const char *bad1 = "ruleset a;\n";
	const char *bad2 = "\n\nversion\n";
	const char *good = "ruleset good\nversion 2\n";
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "one", bad1, strlen(bad1)), MSC_ERULES);
	ck_assert_str_eq(msc_error_message(), "one: 1 error in the rule text; first: one:1:10: unexpected character ';'");
	/* a second text's message names its own first error */
	ck_assert_int_eq(msc_compiler_add_text(c, "two", bad2, strlen(bad2)), MSC_ERULES);
	ck_assert_str_eq(msc_error_message(), "two: 1 error in the rule text; first: two:3:8: expected a name after 'version'");
	/* a valid text still compiles, but the rule set is refused */
	ck_assert_int_eq(msc_compiler_add_text(c, "three", good, strlen(good)), MSC_OK);
	ck_assert_uint_eq(msc_compiler_error_count(c), 2);
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_ERULES);
	ck_assert_str_eq(msc_error_message(), "2 errors in the rule text; first: one:1:10: unexpected character ';'");
	ck_assert_ptr_null(r);
	msc_compiler_free(c);

	/* one error: "1 error" */
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "one", bad1, strlen(bad1)), MSC_ERULES);
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_ERULES);
	ck_assert_str_eq(msc_error_message(), "1 error in the rule text; first: one:1:10: unexpected character ';'");
	msc_compiler_free(c);

	/* two files: named by their ruleset statement, or their file name */
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "a/b/good.rules", good, strlen(good)), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "plain.rules", "", 0), MSC_OK);
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_OK);
	msc_compiler_free(c);
	ck_assert_str_eq(msc_rules_name(r), "builtin+good+plain.rules");
	ck_assert_str_eq(msc_rules_version(r), "1.0.0");
	ck_assert_str_eq(msc_rules_file_get(r, 0)->ruleset, "good");
	ck_assert_str_eq(msc_rules_file_get(r, 0)->version, "2");
	msc_rules_free(r);
}
END_TEST

/* ---------------------------------------------------------------- valid constructs */

static const char *const CLINIC =
	"# A clinic file with every construct of the language.\r\n"
	"ruleset \"clinic a\"   # a quoted name\n"
	"version 2026.11\n"
	"\n"
	"source PROTO \"Example Clinic protocol,\"\n"
	"  \"rev. 2026-11\"      # continued on the next line\n"
	"source ESC \"say \\\"hi\\\", back\\\\slash, \\n stays\"\n"
	"\n"
	"fact patient.age number\n"
	"  min 0\n"
	"  max 130\n"
	"  question \"How old are you?\"\n"
	"fact patient.guardian_consent yesno\n"
	"  default no\n"
	"fact patient.returning yesno\n"
	"  default yes\n"
	"fact plan.session enum first follow-up 3rd\n"
	"  default follow-up\n"
	"  question \"Which session?\"\n"
	"fact patient.weeks_since_peel number\n"
	"  above 0\n"
	"  accepts never\n"
	"fact patient.spf number\n"
	"  default none\n"
	"fact patient.dose number\n"
	"  default -2.5\n"
	"fact clinic.room enum a b\n"
	"fact patient.products ingredients\n"
	"fact patient.sensitivities allergies\n"
	"\n"
	"rule C.MINOR\n"
	"  severity defer\n"
	"  when patient.age < 18 and not patient.guardian_consent\n"
	"  message \"Under 18 needs\"\n"
	"    \"a guardian's consent.\"\n"
	"  sources PROTO\n"
	"  ask patient.age \"How old is the patient?\"\n"
	"rule C.SENIOR\n"
	"  severity caution\n"
	"  when patient.age >= 80 or patient.age = 79.5\n"
	"  message \"Senior.\"\n"
	"  sources PROTO ESC\n"
	"rule C.CONTINUED\n"
	"  severity caution\n"
	"  when plan.session != first\n"
	"    and (patient.weeks_since_peel <= 2\n"
	"         or patient.dose != -2.5)\n"
	"    or patient.returning != yes\n"
	"  message \"Continued.\"\n"
	"  sources PROTO\n"
	"rule C.SESSION\n"
	"  severity caution\n"
	"  when plan.session in (first,\n"
	"                        3rd) and clinic.room = b\n"
	"  message \"Session.\"\n"
	"  sources PROTO\n"
	"rule C.SPF\n"
	"  severity caution\n"
	"  when patient.spf > 30 or patient.weeks_since_peel > 4\n"
	"  message \"SPF.\"\n"
	"  sources PROTO\n"
	"rule C.RETINOID\n"
	"  severity contraindicated\n"
	"  when patient.medications has \"isotretinoin\" or patient.medications has class nsaid\n"
	"  message \"Retinoid.\"\n"
	"  sources PROTO\n"
	"rule C.UNKNOWN\n"
	"  severity caution\n"
	"  when patient.allergies has unrecognised or patient.products has unrecognized\n"
	"  message \"Unknown names.\"\n"
	"  sources PROTO\n"
	"rule C.NAMES\n"
	"  severity caution\n"
	"  when patient.allergies has \"latex\" or patient.products has \"lidocaine\"\n"
	"    or patient.sensitivities match \"lidocaine\" or patient.sensitivities match patient.products\n"
	"  message \"Names.\"\n"
	"  sources PROTO\n"
	"instruction C.ALWAYS\n"
	"  phase before\n"
	"  when always\n"
	"  text \"Always.\"\n"
	"  sources PROTO\n"
	"instruction C.CALL\n"
	"  phase after\n"
	"  when plan.area in (scalp, face)\n"
	"  text \"We call you.\"\n"
	"  sources PROTO\n"
	"instruction C.WELCOME\n"
	"  phase before\n"
	"  text \"Welcome.\"\n"
	"  sources PROTO\n"
	"\n"
	"override PR.DEPTH\n"
	"  severity defer                 # stricter: no reason needed\n"
	"override CI.HEART\n"
	"  severity caution\n"
	"  when patient.heart_disease_multiple_drugs and patient.age > 70\n"
	"  message \"Heart: ask the cardiologist.\"\n"
	"  sources PROTO\n"
	"  ask patient.age \"Age, for the heart rule?\"\n"
	"  reason \"Cardiology on site.\"\n"
	"override POST.CLOTHING\n"
	"  phase before\n"
	"  text \"Wear loose clothes.\"\n"
	"  reason \"House style.\"\n"
	"disable PR.UNRECOGNIZED_MEDICATION\n"
	"  reason \"Our pharmacist reviews\"\n"
	"    \"every list.\"\n";

static msc_rules *clinic;
static msc_record *rec;
static msc_result *res;

static void clinic_setup(void)
{
	clinic = compile_ok(CLINIC);
	ck_assert_int_eq(msc_record_new(&rec, clinic), MSC_OK);
	ck_assert_int_eq(msc_result_new(&res), MSC_OK);
}

static void clinic_teardown(void)
{
	msc_result_free(res);
	msc_record_free(rec);
	msc_rules_free(clinic);
}

static const msc_rule_info *rule(const char *id)
{
	const msc_rule_info *ri = msc_rules_find(clinic, id);
	ck_assert_msg(ri != NULL, "no rule %s", id);
	return ri;
}

START_TEST(compiled_table)
{
	const msc_fact_info *fi;
	ck_assert_str_eq(msc_rules_name(clinic), "builtin+clinic a");
	ck_assert_str_eq(msc_rules_file_get(clinic, 0)->version, "2026.11");
	/* string continuation joins with a space; \" and \\ are escapes, \n is not */
	ck_assert_str_eq(rule("C.MINOR")->sources[0], "Example Clinic protocol, rev. 2026-11");
	ck_assert_str_eq(rule("C.SENIOR")->sources[1], "say \"hi\", back\\slash, \\n stays");
	ck_assert_str_eq(rule("C.MINOR")->message, "Under 18 needs a guardian's consent.");
	ck_assert_str_eq(rule("C.MINOR")->origin, "t.rules");
	/* the condition as written, continuation lines joined */
	ck_assert_str_eq(rule("C.MINOR")->condition, "patient.age < 18 and not patient.guardian_consent");
	ck_assert_str_eq(rule("C.CONTINUED")->condition,
			 "plan.session != first and (patient.weeks_since_peel <= 2 or patient.dose != -2.5) "
			 "or patient.returning != yes");
	ck_assert_str_eq(rule("C.SESSION")->condition, "plan.session in (first, 3rd) and clinic.room = b");
	ck_assert_str_eq(rule("C.NAMES")->condition,
			 "patient.allergies has \"latex\" or patient.products has \"lidocaine\" or "
			 "patient.sensitivities match \"lidocaine\" or patient.sensitivities match patient.products");
	ck_assert_str_eq(rule("C.ALWAYS")->condition, "always");
	ck_assert_int_eq(rule("C.ALWAYS")->kind, MSC_INSTRUCTION);
	ck_assert_str_eq(rule("C.WELCOME")->condition, "always");
	ck_assert_int_eq(rule("C.WELCOME")->kind, MSC_INSTRUCTION);
	ck_assert_int_eq(rule("C.WELCOME")->phase, MSC_BEFORE);
	ck_assert_int_eq(rule("C.CALL")->phase, MSC_AFTER);
	/* changes to earlier rules */
	ck_assert_int_eq(rule("PR.DEPTH")->severity, MSC_DEFER);
	ck_assert_ptr_null(rule("PR.DEPTH")->reason);
	ck_assert_str_eq(rule("PR.DEPTH")->changed_by, "t.rules");
	ck_assert_str_eq(rule("PR.DEPTH")->origin, "builtin");
	ck_assert_int_eq(rule("CI.HEART")->severity, MSC_CAUTION);
	ck_assert_str_eq(rule("CI.HEART")->message, "Heart: ask the cardiologist.");
	ck_assert_str_eq(rule("CI.HEART")->reason, "Cardiology on site.");
	ck_assert_int_eq(rule("POST.CLOTHING")->phase, MSC_BEFORE);
	ck_assert_str_eq(rule("POST.CLOTHING")->message, "Wear loose clothes.");
	ck_assert(rule("PR.UNRECOGNIZED_MEDICATION")->disabled);
	ck_assert_str_eq(rule("PR.UNRECOGNIZED_MEDICATION")->reason, "Our pharmacist reviews every list.");
	/* facts */
	fi = msc_rules_fact(clinic, 21);
	ck_assert_str_eq(fi->path, "plan.session");
	ck_assert_str_eq(fi->type, "enum");
	ck_assert_uint_eq(fi->value_count, 3);
	ck_assert_str_eq(fi->values[2], "3rd");
	ck_assert_str_eq(fi->question, "Which session?");
	ck_assert_str_eq(msc_rules_fact(clinic, 24)->path, "patient.dose");
	ck_assert_ptr_null(msc_rules_fact(clinic, 24)->question);
}
END_TEST

static int screen_json(const char *json)
{
	int rc = msc_record_from_json(rec, json, strlen(json));
	ck_assert_msg(rc == MSC_OK, "%s: %s", json, msc_error_message());
	ck_assert_int_eq(msc_screen(res, clinic, rec), MSC_OK);
	return (int)msc_result_verdict(res);
}

static int fired(const char *id)
{
	size_t i;
	for (i = 0; i < msc_result_finding_count(res); i++)
		if (strcmp(msc_result_finding(res, i)->rule, id) == 0)
			return 1;
	return 0;
}

static const char *because(const char *id, size_t k)
{
	size_t i;
	for (i = 0; i < msc_result_finding_count(res); i++) {
		const msc_finding *f = msc_result_finding(res, i);
		if (strcmp(f->rule, id) == 0)
			return k < f->because_count ? f->because[k] : NULL;
	}
	ck_abort_msg("%s did not fire", id);
	return NULL;
}

static const char *question_for(const char *rule_id, const char *fact)
{
	size_t i;
	for (i = 0; i < msc_result_missing_count(res); i++) {
		const msc_missing *m = msc_result_missing(res, i);
		if (strcmp(m->rule, rule_id) == 0 && strcmp(m->fact, fact) == 0)
			return m->question;
	}
	return NULL;
}

START_TEST(numbers_and_defaults)
{
	/* a minor whose guardian consent defaults to no (the section is present) */
	screen_json("{\"patient\": {\"age\": 16}}");
	ck_assert(fired("C.MINOR"));
	ck_assert_str_eq(because("C.MINOR", 0), "patient.age = 16");
	ck_assert_str_eq(because("C.MINOR", 1), "patient.guardian_consent = no");
	/* with consent: silent */
	screen_json("{\"patient\": {\"age\": 16, \"guardian_consent\": true}}");
	ck_assert(!fired("C.MINOR"));
	/* >= and = */
	screen_json("{\"patient\": {\"age\": 80}}");
	ck_assert(fired("C.SENIOR"));
	screen_json("{\"patient\": {\"age\": 79.5}}");
	ck_assert(fired("C.SENIOR"));
	ck_assert_str_eq(because("C.SENIOR", 0), "patient.age = 79.5");
	screen_json("{\"patient\": {\"age\": 79}}");
	ck_assert(!fired("C.SENIOR"));
	/* unknown age: the rule's own question is asked, not the fact's */
	screen_json("{\"patient\": {}}");
	ck_assert_str_eq(question_for("C.MINOR", "patient.age"), "How old is the patient?");
	ck_assert_str_eq(question_for("C.SENIOR", "patient.age"), "How old are you?");
	/* min and max: the record refuses values out of range */
	ck_assert_int_eq(msc_record_set_number(rec, "age", -1), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "patient.age: -1 is below the minimum of 0");
	ck_assert_int_eq(msc_record_set_number(rec, "age", 131), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "patient.age: 131 is above the maximum of 130");
	/* above: an exclusive minimum */
	ck_assert_int_eq(msc_record_set_number(rec, "weeks_since_peel", 0), MSC_EFIELD);
	ck_assert_str_eq(msc_error_message(), "patient.weeks_since_peel: 0 is below the exclusive minimum of 0");
	ck_assert_int_eq(msc_record_set_number(rec, "weeks_since_peel", 0.5), MSC_OK);
}
END_TEST

START_TEST(never_none_and_enum_defaults)
{
	/* session defaults to follow-up (!= first); a peel "never" is infinitely long ago */
	screen_json("{\"patient\": {\"weeks_since_peel\": \"never\"}, \"plan\": {}}");
	ck_assert(!fired("C.CONTINUED"));
	ck_assert(fired("C.SPF"));
	ck_assert_str_eq(because("C.SPF", 0), "patient.weeks_since_peel = never");
	/* <= */
	screen_json("{\"patient\": {\"weeks_since_peel\": 2}, \"plan\": {}}");
	ck_assert(fired("C.CONTINUED"));
	ck_assert_str_eq(because("C.CONTINUED", 0), "plan.session = follow-up");
	ck_assert_str_eq(because("C.CONTINUED", 1), "patient.weeks_since_peel = 2");
	/* != on a number with a negative default; = no on a yes default */
	screen_json("{\"patient\": {\"weeks_since_peel\": 3, \"dose\": 1}, \"plan\": {}}");
	ck_assert(fired("C.CONTINUED"));
	ck_assert_str_eq(because("C.CONTINUED", 1), "patient.dose = 1");
	screen_json("{\"patient\": {\"weeks_since_peel\": 3}, \"plan\": {}}");
	ck_assert(!fired("C.CONTINUED"));
	screen_json("{\"patient\": {\"weeks_since_peel\": 3, \"returning\": false}, \"plan\": {\"session\": \"first\"}}");
	ck_assert(fired("C.CONTINUED"));
	ck_assert_str_eq(because("C.CONTINUED", 0), "patient.returning = no");
	/* default none: absent spf is "not given", the comparison is false */
	screen_json("{\"patient\": {\"weeks_since_peel\": 1}}");
	ck_assert(!fired("C.SPF"));
	screen_json("{\"patient\": {\"spf\": 50}}");
	ck_assert(fired("C.SPF"));
	/* in (...) over two lines, and a new section */
	screen_json("{\"plan\": {\"session\": \"3rd\"}, \"clinic\": {\"room\": \"b\"}}");
	ck_assert(fired("C.SESSION"));
	ck_assert_str_eq(because("C.SESSION", 0), "plan.session = 3rd");
	ck_assert_str_eq(because("C.SESSION", 1), "clinic.room = b");
	screen_json("{\"plan\": {\"session\": \"follow-up\"}, \"clinic\": {\"room\": \"b\"}}");
	ck_assert(!fired("C.SESSION"));
	ck_assert_int_eq(msc_record_set_present(rec, "clinic"), MSC_OK);
	ck_assert_int_eq(msc_record_set_present(rec, "surgery"), MSC_EFIELD);
}
END_TEST

START_TEST(names_classes_and_matches)
{
	/* has "name" finds brand names; has class */
	screen_json("{\"patient\": {\"medications\": [\"Accutane 20 mg\"]}}");
	ck_assert_int_eq(msc_result_verdict(res), MSC_CONTRAINDICATED);
	ck_assert(fired("C.RETINOID"));
	screen_json("{\"patient\": {\"medications\": [\"ibuprofen\"]}}");
	ck_assert(fired("C.RETINOID"));
	screen_json("{\"patient\": {\"medications\": [\"paracetamol\"]}}");
	ck_assert(!fired("C.RETINOID"));
	/* unrecognised names, in both spellings; a disabled rule does not fire */
	screen_json("{\"patient\": {\"medications\": [\"Frobozz\"], \"allergies\": [\"glorp\"]}}");
	ck_assert(fired("C.UNKNOWN"));
	ck_assert(!fired("PR.UNRECOGNIZED_MEDICATION"));
	ck_assert_str_eq(because("C.UNKNOWN", 0), "patient.allergies: \"glorp\" is not in the lexicon");
	screen_json("{\"patient\": {\"products\": [\"zzz\"]}}");
	ck_assert(fired("C.UNKNOWN"));
	ck_assert_str_eq(because("C.UNKNOWN", 0), "patient.products: \"zzz\" is not in the lexicon");
	/* has "latex" on allergies (looked up among allergens) and "lidocaine" on ingredients */
	screen_json("{\"patient\": {\"allergies\": [\"Latex\"]}}");
	ck_assert(fired("C.NAMES"));
	screen_json("{\"patient\": {\"products\": [\"lidocaine hydrochloride\"]}}");
	ck_assert(fired("C.NAMES"));
	/* match "name" and match a list */
	screen_json("{\"patient\": {\"sensitivities\": [\"lidocaine\"], \"products\": [], \"allergies\": []}}");
	ck_assert(fired("C.NAMES"));
	ck_assert_str_eq(because("C.NAMES", 0), "patient.sensitivities: \"lidocaine\" matches \"lidocaine\"");
	screen_json("{\"patient\": {\"sensitivities\": [\"hyaluronic acid\"], \"products\": [\"hyaluronic acid\"], \"allergies\": []}}");
	ck_assert(fired("C.NAMES"));
	ck_assert_str_eq(because("C.NAMES", 0),
			 "patient.sensitivities: \"hyaluronic acid\" matches patient.products: \"hyaluronic acid\"");
}
END_TEST

START_TEST(overrides_and_instructions)
{
	char *json;
	msc_rules *r;
	msc_record *x;
	msc_result *y;
	/* a rule that always fires, for an empty record, because of nothing */
	r = compile_ok("rule C.ALWAYS\n  severity caution\n  when always\n  message \"Always.\"\n  sources S000\n");
	ck_assert_int_eq(msc_record_new(&x, r), MSC_OK);
	ck_assert_int_eq(msc_result_new(&y), MSC_OK);
	ck_assert_int_eq(msc_screen(y, r, x), MSC_OK);
	/* incomplete: the built-in questions are open; the caution is a finding */
	ck_assert_int_eq(msc_result_verdict(y), MSC_INCOMPLETE);
	ck_assert_uint_eq(msc_result_finding_count(y), 1);
	ck_assert_str_eq(msc_result_finding(y, 0)->rule, "C.ALWAYS");
	ck_assert_uint_eq(msc_result_finding(y, 0)->because_count, 0);
	ck_assert_ptr_null(msc_result_finding(y, 0)->because);
	msc_result_free(y);
	msc_record_free(x);
	msc_rules_free(r);
	/* the overridden CI.HEART: now caution, and only over 70 */
	screen_json("{\"patient\": {\"heart_disease_multiple_drugs\": true, \"age\": 50}}");
	ck_assert(!fired("CI.HEART"));
	screen_json("{\"patient\": {\"heart_disease_multiple_drugs\": true}}");
	ck_assert_str_eq(question_for("CI.HEART", "patient.age"), "Age, for the heart rule?");
	screen_json("{\"patient\": {\"heart_disease_multiple_drugs\": true, \"age\": 75}}");
	ck_assert(fired("CI.HEART"));
	ck_assert_int_eq(msc_result_finding(res, 0)->severity, MSC_CAUTION);
	ck_assert_str_eq(msc_result_finding(res, 0)->message, "Heart: ask the cardiologist.");
	/* the override is reported, with its reason */
	ck_assert_int_eq(msc_result_to_json(&json, NULL, res), MSC_OK);
	ck_assert(strstr(json, "{\"rule\":\"CI.HEART\",\"action\":\"overridden\",\"reason\":\"Cardiology on site.\","
			       "\"changed_by\":\"t.rules\"}") != NULL);
	msc_free(json);
	/* instructions: a conditional after-care one, and one moved before the session */
	screen_json("{\"plan\": {\"area\": \"scalp\"}}");
	ck_assert_uint_eq(msc_result_instruction_count(res, MSC_AFTER), 7);
	ck_assert_str_eq(msc_result_instruction(res, MSC_AFTER, 6)->id, "C.CALL");
	ck_assert_str_eq(msc_result_instruction(res, MSC_AFTER, 6)->text, "We call you.");
	/* PRE.DISCLOSE, PRE.ALCOHOL_THINNERS, PRE.HYDRATE, PRE.NEEDLE_FREE (phobia
	 * unknown), C.ALWAYS, C.WELCOME; no numbing cream (plan default), no clothing */
	ck_assert_uint_eq(msc_result_instruction_count(res, MSC_BEFORE), 6);
	ck_assert_str_eq(msc_result_instruction(res, MSC_BEFORE, 4)->id, "C.ALWAYS");
	ck_assert_str_eq(msc_result_instruction(res, MSC_BEFORE, 5)->id, "C.WELCOME");
	screen_json("{\"plan\": {\"area\": \"legs\"}}");
	ck_assert_uint_eq(msc_result_instruction_count(res, MSC_AFTER), 6);
	ck_assert_uint_eq(msc_result_instruction_count(res, MSC_BEFORE), 7);
	ck_assert_str_eq(msc_result_instruction(res, MSC_BEFORE, 4)->id, "POST.CLOTHING");
	ck_assert_int_eq(msc_result_instruction(res, MSC_BEFORE, 4)->phase, MSC_BEFORE);
	ck_assert_str_eq(msc_result_instruction(res, MSC_BEFORE, 4)->text, "Wear loose clothes.");
}
END_TEST

/* ---------------------------------------------------------------- strings */

/* \" and \\ are the only escapes, at any place in a string; any other
 * backslash stays; an escaped quote does not end the string. */
START_TEST(string_escapes)
{
	const char *text =
		"source E1 \"\\\\\"\n"                  /* "\\"        -> \        */
		"source E2 \"\\\"\"\n"                  /* "\""        -> "        */
		"source E3 \"a\\\\\\\\b\\\"\\\\\"\n"    /* "a\\\\b\"\\" -> a\\b"\   */
		"source E4 \"x\\y\\\" z\\\\n\\\"\"\n"   /* "x\y\" z\\n\"" -> x\y" z\n" */
		"source E5 \"\"\n"
		"rule X.A\n  severity caution\n  when patient.pregnant\n  message \"m\"\n"
		"  sources E1 E2 E3 E4 E5\n";
	msc_rules *r = compile_ok(text);
	const msc_rule_info *ri = msc_rules_find(r, "X.A");
	ck_assert_ptr_nonnull(ri);
	ck_assert_uint_eq(ri->source_count, 5);
	ck_assert_str_eq(ri->sources[0], "\\");
	ck_assert_str_eq(ri->sources[1], "\"");
	ck_assert_str_eq(ri->sources[2], "a\\\\b\"\\");
	ck_assert_str_eq(ri->sources[3], "x\\y\" z\\n\"");
	ck_assert_str_eq(ri->sources[4], "");
	msc_rules_free(r);
	{
		/* the escaped quote does not close: unterminated, at the opening quote */
		static const char *const want[] = { "1:11: unterminated string",
						    "1:11: expected a quoted string for the source's title", NULL };
		const char *text2 = "source E1 \"ab\\\"\nsource E2 \"b\"\n";
		expect_errors(text2, strlen(text2), want);
	}
}
END_TEST

/* ---------------------------------------------------------------- a compiler from a rule set */

/* A second clinic text: it uses the first's fact and sources and the
 * built-in table's, and changes rules of both. */
static const char *const SECOND =
	"ruleset second\n"
	"version 7\n"
	"source OWN \"Second clinic\"\n"
	"fact patient.weight number\n"
	"  min 0\n"
	"  question \"Weight?\"\n"
	"rule S.HEAVY\n"
	"  severity caution\n"
	"  when patient.weight > 150 and patient.age > 60\n"
	"  message \"Heavy.\"\n"
	"  sources OWN PROTO S004\n"
	"  ask patient.age \"Age, again?\"\n"
	"override C.SENIOR\n"
	"  severity defer\n"
	"override CI.HEART\n"
	"  message \"Heart, second.\"\n"
	"  ask patient.heart_disease_multiple_drugs \"Heart \\\"drugs\\\"?\"\n"
	"  reason \"Second opinion.\"\n";

/* Errors only a text on top of CLINIC has. */
static const char *const SECOND_BAD =
	"fact patient.age number\n"
	"rule C.MINOR\n"
	"  severity caution\n"
	"  when patient.pregnant\n"
	"  message \"m\"\n"
	"  sources PROTO\n"
	"override C.SPF\n"
	"  severity caution\n"
	"  when patient.spf > 50\n"
	"rule S.X\n"
	"  severity caution\n"
	"  when patient.weight > 1\n"
	"  message \"m\"\n"
	"  sources NOPE\n";

static const char *const RECORDS[] = {
	"{}",
	"{\"patient\": {\"age\": 72, \"heart_disease_multiple_drugs\": true, \"medications\": [\"ibuprofen\", \"zzz\"],"
	" \"allergies\": [\"latex\"], \"products\": [\"lidocaine\"], \"sensitivities\": [\"lidocaine\"],"
	" \"spf\": 50, \"weeks_since_peel\": \"never\"},"
	" \"plan\": {\"area\": \"face\", \"session\": \"first\", \"depth_mm\": 7}, \"clinic\": {\"room\": \"b\"}}",
	"{\"patient\": {\"age\": 82, \"weight\": 160, \"pregnant\": false}, \"plan\": {\"area\": \"scalp\"}}",
	"{\"patient\": {\"pregnant\": true}, \"plan\": {\"area\": \"face\"}}",
};

/* The result JSON's "missing" entries say what the result's accessors say
 * (the JSON's are escaped once per rule set: the fact's own question, or a
 * rule's 'ask'). */
static void assert_missing_json(const msc_result *y, const char *json)
{
	json_error_t err;
	json_t *doc = json_loads(json, 0, &err), *missing = json_object_get(doc, "missing");
	size_t i;

	ck_assert_msg(doc != NULL, "result JSON: %s", err.text);
	ck_assert_uint_eq(json_array_size(missing), msc_result_missing_count(y));
	for (i = 0; i < msc_result_missing_count(y); i++) {
		const msc_missing *m = msc_result_missing(y, i);
		json_t *e = json_array_get(missing, i);
		ck_assert_uint_eq(json_object_size(e), 3);
		ck_assert_str_eq(json_string_value(json_object_get(e, "rule")), m->rule);
		ck_assert_str_eq(json_string_value(json_object_get(e, "fact")), m->fact);
		ck_assert_str_eq(json_string_value(json_object_get(e, "question")), m->question);
	}
	json_decref(doc);
}

/* Everything a caller can see of a rule set, as text: name, files, the
 * rule table, the questionnaire and the results (or refusals) of RECORDS. */
static char *describe(const msc_rules *r)
{
	msc_record *x;
	msc_result *y;
	char *json, *out = NULL;
	size_t i, len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s %s %zu %zu %zu\n", msc_rules_name(r), msc_rules_version(r), msc_rules_file_count(r),
		msc_rules_count(r), msc_rules_fact_count(r));
	for (i = 0; i < msc_rules_file_count(r); i++) {
		const msc_rules_file *fl = msc_rules_file_get(r, i);
		fprintf(f, "%s %s %s %s\n", fl->name, fl->ruleset ? fl->ruleset : "-",
			fl->version ? fl->version : "-", fl->sha256);
	}
	ck_assert_int_eq(msc_rules_to_json(&json, NULL, r), MSC_OK);
	fprintf(f, "%s\n", json);
	msc_free(json);
	ck_assert_int_eq(msc_record_new(&x, r), MSC_OK);
	ck_assert_int_eq(msc_result_new(&y), MSC_OK);
	ck_assert_int_eq(msc_questions_to_json(&json, NULL, r, x), MSC_OK);
	fprintf(f, "%s\n", json);
	msc_free(json);
	for (i = 0; i < sizeof(RECORDS) / sizeof(RECORDS[0]); i++) {
		int rc = msc_record_from_json(x, RECORDS[i], strlen(RECORDS[i]));
		if (rc != MSC_OK) {
			fprintf(f, "%s: %s\n", msc_status_name(rc), msc_error_message());
			continue;
		}
		ck_assert_int_eq(msc_screen(y, r, x), MSC_OK);
		ck_assert_int_eq(msc_result_to_json(&json, NULL, y), MSC_OK);
		assert_missing_json(y, json);
		fprintf(f, "%s\n", json);
		msc_free(json);
	}
	msc_result_free(y);
	msc_record_free(x);
	fclose(f);
	return out;
}

/* Adds texts (name, text, ... NULL) and finishes; frees the compiler. */
static msc_rules *finish(msc_compiler *c, ...)
{
	msc_rules *r = NULL;
	const char *name;
	va_list ap;
	va_start(ap, c);
	while ((name = va_arg(ap, const char *)) != NULL) {
		const char *text = va_arg(ap, const char *);
		int rc = msc_compiler_add_text(c, name, text, strlen(text));
		ck_assert_msg(rc == MSC_OK, "%s: %s", name, msc_error_message());
	}
	va_end(ap);
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_OK);
	msc_compiler_free(c);
	return r;
}

static msc_compiler *from(const msc_rules *base)
{
	msc_compiler *c = NULL;
	ck_assert_int_eq(msc_compiler_new_from(&c, base), MSC_OK);
	ck_assert_ptr_nonnull(c);
	return c;
}

static msc_compiler *fresh(void)
{
	msc_compiler *c = NULL;
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	return c;
}

static void assert_same(const msc_rules *a, const msc_rules *b)
{
	char *da = describe(a), *db = describe(b);
	ck_assert_str_eq(da, db);
	free(da);
	free(db);
}

/* Every way to the same texts gives the same rule set; each base is freed
 * as soon as the compiler is made (nothing may refer to it). */
START_TEST(new_from_is_the_long_way)
{
	msc_rules *builtin, *a, *ab, *got, *base;
	msc_compiler *c;

	ck_assert_int_eq(msc_rules_builtin(&builtin), MSC_OK);
	a = finish(fresh(), "dir/a.rules", CLINIC, NULL);
	ab = finish(fresh(), "dir/a.rules", CLINIC, "b.rules", SECOND, NULL);

	/* nothing added: the base again */
	ck_assert_int_eq(msc_rules_builtin(&base), MSC_OK);
	c = from(base);
	msc_rules_free(base);
	got = finish(c, NULL);
	assert_same(got, builtin);
	msc_rules_free(got);

	ck_assert_int_eq(msc_rules_builtin(&base), MSC_OK);
	c = from(base);
	msc_rules_free(base);
	got = finish(c, "dir/a.rules", CLINIC, NULL);
	assert_same(got, a);
	msc_rules_free(got);

	ck_assert_int_eq(msc_rules_builtin(&base), MSC_OK);
	c = from(base);
	msc_rules_free(base);
	got = finish(c, "dir/a.rules", CLINIC, "b.rules", SECOND, NULL);
	assert_same(got, ab);
	msc_rules_free(got);

	/* on a base with a clinic file: its facts, sources and changes carry over */
	base = finish(fresh(), "dir/a.rules", CLINIC, NULL);
	c = from(base);
	msc_rules_free(base);
	got = finish(c, "b.rules", SECOND, NULL);
	assert_same(got, ab);
	ck_assert_str_eq(msc_rules_name(got), "builtin+clinic a+second");
	ck_assert_str_eq(msc_rules_find(got, "C.SENIOR")->origin, "dir/a.rules");
	ck_assert_str_eq(msc_rules_find(got, "C.SENIOR")->changed_by, "b.rules");
	ck_assert_str_eq(msc_rules_find(got, "CI.HEART")->reason, "Second opinion.");
	ck_assert_str_eq(msc_rules_find(got, "S.HEAVY")->sources[1], "Example Clinic protocol, rev. 2026-11");
	ck_assert_str_eq(msc_rules_find(got, "S.HEAVY")->sources[2], "Pros and Cons of Mesotherapy");
	msc_rules_free(got);

	/* from a set made that way, and the base used again afterwards */
	base = finish(from(a), "b.rules", SECOND, NULL);
	c = from(base);
	got = finish(c, NULL);
	assert_same(got, ab);
	assert_same(base, ab);
	msc_rules_free(got);
	msc_rules_free(base);

	/* two compilers from one base go their own ways */
	{
		msc_compiler *c1 = from(a), *c2 = from(a);
		msc_rules *r1 = finish(c1, "b.rules", SECOND, NULL);
		msc_rules *r2 = finish(c2, NULL);
		assert_same(r1, ab);
		assert_same(r2, a);
		msc_rules_free(r1);
		msc_rules_free(r2);
	}
	msc_rules_free(ab);
	msc_rules_free(a);
	msc_rules_free(builtin);
}
END_TEST

/* A text with errors on top of a base: the same errors as the long way,
 * and the base's own rules are the earlier text they name. */
START_TEST(new_from_errors)
{
	msc_compiler *lc = fresh(), *fc;
	msc_rules *a = finish(fresh(), "dir/a.rules", CLINIC, NULL), *r = (msc_rules *)&r;
	size_t i;

	ck_assert_int_eq(msc_compiler_add_text(lc, "dir/a.rules", CLINIC, strlen(CLINIC)), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(lc, "bad.rules", SECOND_BAD, strlen(SECOND_BAD)), MSC_ERULES);
	fc = from(a);
	msc_rules_free(a);
	ck_assert_int_eq(msc_compiler_add_text(fc, "bad.rules", SECOND_BAD, strlen(SECOND_BAD)), MSC_ERULES);
	ck_assert_uint_eq(msc_compiler_error_count(fc), msc_compiler_error_count(lc));
	ck_assert_uint_eq(msc_compiler_error_count(fc), 5);
	for (i = 0; i < msc_compiler_error_count(lc); i++)
		ck_assert_str_eq(msc_compiler_error(fc, i), msc_compiler_error(lc, i));
	ck_assert_str_eq(msc_compiler_error(fc, 0), "bad.rules:1:6: fact 'patient.age' is already declared");
	ck_assert_str_eq(msc_compiler_error(fc, 1),
			 "bad.rules:2:6: duplicate id 'C.MINOR' (to change an earlier rule, use 'override' or 'disable')");
	ck_assert_str_eq(msc_compiler_error(fc, 2), "bad.rules:7:1: this override can weaken C.SPF: state a 'reason' "
			 "(it is shown in every result it affects)");
	ck_assert_str_eq(msc_compiler_error(fc, 4), "bad.rules:14:11: unknown source 'NOPE' (declare it with 'source')");
	ck_assert_int_eq(msc_compiler_get_rules(fc, &r), MSC_ERULES);
	ck_assert_ptr_null(r);
	msc_compiler_free(fc);
	msc_compiler_free(lc);
}
END_TEST

START_TEST(new_from_api_edges)
{
	msc_compiler *c = (msc_compiler *)&c;
	msc_rules *builtin, *r;
	ck_assert_int_eq(msc_rules_builtin(&builtin), MSC_OK);
	ck_assert_int_eq(msc_compiler_new_from(NULL, builtin), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "out is NULL");
	ck_assert_int_eq(msc_compiler_new_from(&c, NULL), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "base is NULL");
	ck_assert_ptr_null(c);
	/* a compiler from a base is a compiler: hands over once */
	c = from(builtin);
	ck_assert_int_eq(msc_compiler_add_file(c, "/nonexistent/x.rules"), MSC_EIO);
	ck_assert_int_eq(msc_compiler_get_rules(c, &r), MSC_OK);
	ck_assert_int_eq(msc_compiler_add_text(c, "n", "", 0), MSC_EINVAL);
	ck_assert_str_eq(msc_error_message(), "this compiler has already handed over its rules");
	msc_compiler_free(c);
	ck_assert_str_eq(msc_rules_name(r), "builtin");
	msc_rules_free(r);
	/* freed without finishing */
	msc_compiler_free(from(builtin));
	msc_rules_free(builtin);
}
END_TEST

/* Allocation failure (test_alloc.c's counting allocator): each allocation
 * of new_from + add_text + get_rules fails in turn. */
static long live, countdown = -1, calls;

static int should_fail(void)
{
	calls++;
	return countdown >= 0 && --countdown == 0;
}

static void *t_malloc(size_t n, void *ctx)
{
	void *p;
	(void)ctx;
	if (should_fail())
		return NULL;
	p = malloc(n);
	if (p)
		live++;
	return p;
}

static void *t_realloc(void *ptr, size_t n, void *ctx)
{
	void *p;
	(void)ctx;
	if (should_fail())
		return NULL;
	p = realloc(ptr, n);
	if (p && !ptr)
		live++;
	return p;
}

static void t_free(void *ptr, void *ctx)
{
	(void)ctx;
	if (ptr)
		live--;
	free(ptr);
}

static const msc_allocator counting = { MSC_ALLOCATOR_VERSION, t_malloc, t_realloc, t_free, NULL };

static const char *const RECORD_B =
	"{\"patient\": {\"age\": 82, \"weight\": 160, \"pregnant\": false}, \"plan\": {\"area\": \"scalp\"}}";
static const char *const RECORD_A = "{\"patient\": {\"age\": 16}, \"plan\": {\"area\": \"face\"}}";

START_TEST(new_from_allocation_failure)
{
	msc_rules *base, *r = NULL;
	msc_compiler *c;
	char *want, *got;
	long n, before;
	int rc = MSC_ENOMEM;

	ck_assert_int_eq(msc_set_allocator(&counting), MSC_OK);
	base = finish(fresh(), "dir/a.rules", CLINIC, NULL);
	want = describe(base);
	for (n = 1; rc != MSC_OK; n++) {
		before = live;
		c = (msc_compiler *)&c;
		r = NULL;
		countdown = n;
		rc = msc_compiler_new_from(&c, base);
		if (rc == MSC_OK)
			rc = msc_compiler_add_text(c, "b.rules", SECOND, strlen(SECOND));
		else
			ck_assert_ptr_null(c);
		if (rc == MSC_OK)
			rc = msc_compiler_get_rules(c, &r);
		countdown = -1;
		ck_assert_msg(rc == MSC_OK || rc == MSC_ENOMEM, "allocation %ld failing: %s (%s)", n,
			      msc_status_name(rc), msc_error_message());
		if (rc == MSC_OK)
			ck_assert_int_eq(msc_test_verdict(r, RECORD_B), MSC_DEFER); /* C.SENIOR, made stricter */
		msc_compiler_free(c);
		msc_rules_free(r);
		ck_assert_msg(live == before, "allocation %ld failing: %ld allocations leaked", n, live - before);
		ck_assert_int_eq(msc_test_verdict(base, RECORD_A), MSC_DEFER);
		ck_assert_msg(n < 100000, "never succeeds");
	}
	ck_assert_msg(n > 20, "new_from allocated almost nothing: the test proves little");
	/* the base is as it was */
	got = describe(base);
	ck_assert_str_eq(got, want);
	free(got);

	/* msc_compiler_get_rules() failing leaves a compiler that compiles on:
	 * a later text's facts are found (no stale look-up) */
	rc = MSC_ENOMEM;
	for (n = 1; rc != MSC_OK; n++) {
		const char *third = "fact patient.zz yesno\nrule Z.Z\n  severity contraindicated\n"
				    "  when patient.zz and patient.weight > 1\n  message \"z\"\n  sources OWN\n";
		before = live;
		c = from(base);
		ck_assert_int_eq(msc_compiler_add_text(c, "b.rules", SECOND, strlen(SECOND)), MSC_OK);
		countdown = n;
		rc = msc_compiler_get_rules(c, &r);
		countdown = -1;
		if (rc == MSC_OK) {
			msc_rules_free(r);
			msc_compiler_free(c);
			break;
		}
		ck_assert_int_eq(rc, MSC_ENOMEM);
		ck_assert_ptr_null(r);
		r = finish(c, "c.rules", third, NULL);
		ck_assert_str_eq(msc_rules_name(r), "builtin+clinic a+second+c.rules");
		ck_assert_int_eq(msc_test_verdict(r, "{\"patient\": {\"zz\": true, \"weight\": 3}}"),
				 MSC_CONTRAINDICATED);
		msc_rules_free(r);
		ck_assert_msg(live == before, "get_rules, allocation %ld failing: %ld leaked", n, live - before);
	}
	ck_assert_msg(n > 2, "get_rules allocated nothing");
	msc_rules_free(base);
	free(want);
	ck_assert_int_eq(live, 0);
	msc_set_allocator(NULL);
}
END_TEST

/* Threads start compilers from one base at once, while it screens. */
typedef struct thread_job {
	const msc_rules *base;
	const char *want;
	int failures;
} thread_job;

static void *compile_on_base(void *arg)
{
	thread_job *job = arg;
	int i;
	for (i = 0; i < 20; i++) {
		msc_compiler *c = NULL;
		msc_rules *r = NULL;
		char *json = NULL;
		if (msc_compiler_new_from(&c, job->base) != MSC_OK ||
		    msc_compiler_add_text(c, "b.rules", SECOND, strlen(SECOND)) != MSC_OK ||
		    msc_compiler_get_rules(c, &r) != MSC_OK || msc_rules_to_json(&json, NULL, r) != MSC_OK ||
		    strcmp(json, job->want) != 0 || msc_test_verdict(job->base, RECORD_A) != MSC_DEFER)
			job->failures++;
		msc_free(json);
		msc_rules_free(r);
		msc_compiler_free(c);
	}
	return NULL;
}

START_TEST(new_from_threads)
{
	msc_rules *base = finish(fresh(), "dir/a.rules", CLINIC, NULL);
	msc_rules *ab = finish(fresh(), "dir/a.rules", CLINIC, "b.rules", SECOND, NULL);
	char *want = NULL;
	pthread_t t[4];
	thread_job jobs[4];
	int i;

	ck_assert_int_eq(msc_rules_to_json(&want, NULL, ab), MSC_OK);
	for (i = 0; i < 4; i++) {
		jobs[i].base = base;
		jobs[i].want = want;
		jobs[i].failures = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, compile_on_base, &jobs[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(jobs[i].failures, 0);
	}
	msc_free(want);
	msc_rules_free(ab);
	msc_rules_free(base);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compiler");
	TCase *e = tcase_create("errors");
	TCase *l = tcase_create("limits");
	TCase *v = tcase_create("valid");
	TCase *f = tcase_create("new_from");

	tcase_add_loop_test(e, every_error_at_its_line_and_column, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(e, nul_byte_in_text);
	tcase_add_test(e, compiler_api_edges);
	tcase_add_test(e, several_texts_and_their_errors);
	tcase_add_test(e, override_adds_questions);
	tcase_add_test(l, nesting_limit_at_and_one_past);
	tcase_add_test(l, enum_limit_at_and_one_past);
	tcase_add_test(l, source_limit_at_and_one_past);
	tcase_add_test(l, fact_limit_at_and_one_past);
	tcase_add_test(l, rule_limit_at_and_one_past);
	tcase_add_test(l, text_size_limit);
	tcase_set_timeout(l, 120);
	tcase_add_checked_fixture(v, clinic_setup, clinic_teardown);
	tcase_add_test(v, compiled_table);
	tcase_add_test(v, numbers_and_defaults);
	tcase_add_test(v, never_none_and_enum_defaults);
	tcase_add_test(v, names_classes_and_matches);
	tcase_add_test(v, overrides_and_instructions);
	tcase_add_test(e, string_escapes);
	tcase_add_test(f, new_from_is_the_long_way);
	tcase_add_test(f, new_from_errors);
	tcase_add_test(f, new_from_api_edges);
	tcase_add_test(f, new_from_allocation_failure);
	tcase_add_test(f, new_from_threads);
	tcase_set_timeout(f, 120);
	suite_add_tcase(s, e);
	suite_add_tcase(s, l);
	suite_add_tcase(s, v);
	suite_add_tcase(s, f);
	return msc_test_main(s);
}
