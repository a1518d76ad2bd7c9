/*
 * Fuzz target: the rule-file parser and compiler (rules.h).
 *
 * Every input is a clinic rule text, added with msc_compiler_add_text() on
 * top of the built-in table: msc_compiler_new_from() on the built-in rule
 * set, compiled once (recompiling the table for every input was three
 * quarters of the time).
 *   - Refused: MSC_ERULES with at least one error, each "fuzz.rules:L:C:
 *     message"; msc_compiler_get_rules() then refuses too (never a partial
 *     rule set).
 *   - Accepted: the rule set is walked (rules, facts, files), written as
 *     JSON (table, questionnaire, one result read back with jansson
 *     string for string), and fixed records are
 *     screened with it; the verdict must be the worst finding (or
 *     incomplete while a question is open), and a disabled rule must never
 *     fire. The text is then compiled once more on top of another clinic
 *     text (a base rule set of builtin + FUZZ_CLINIC_RULES, compiled once),
 *     and the same checks run (without the JSON).
 *   - The replay program (every build, FUZZ_REPLAY) also compiles each
 *     input the long way, msc_compiler_new() and every text again, and
 *     the two rule sets must be the same (table JSON, name, files).
 */
#include "fuzz.h"

#define TEXT_NAME "fuzz.rules"

/* Fixed records: answered throughout; many rules firing; nothing at all. */
static const char *const RECORDS[] = {
	"{\"patient\": {\"pregnant\": false, \"breastfeeding\": false, \"stroke_history\": false,"
	" \"insulin_dependent_diabetes\": false, \"cancer\": false, \"clotting_disorder\": false,"
	" \"urticaria\": false, \"heart_disease_multiple_drugs\": false, \"needle_phobia\": false,"
	" \"medications\": [], \"allergies\": [], \"hair_transplant_months_ago\": \"never\","
	" \"conditions\": []}, \"plan\": {\"area\": \"face\", \"technique\": \"needle\","
	" \"ingredients\": [\"hyaluronic acid\", \"biotin\"], \"numbing_cream\": false, \"depth_mm\": 2}}",
	"{\"patient\": {\"pregnant\": true, \"breastfeeding\": \"no\", \"stroke_history\": null,"
	" \"insulin_dependent_diabetes\": false, \"cancer\": false, \"urticaria\": false,"
	" \"needle_phobia\": true, \"medications\": [\"aspirin 100 mg\", \"Eliquis\", \"isotretinoin\","
	" \"zzunknown pill\"], \"allergies\": [\"lidocaine\", \"hyaluronidase\"],"
	" \"hair_transplant_months_ago\": 3, \"conditions\": [\"Z39.1\", \"E10.9\"]},"
	" \"plan\": {\"area\": \"scalp\", \"technique\": \"gun\", \"ingredients\": [\"biotin\","
	" \"hyaluronic acid\", \"lidocaine\", \"hyaluronidase\", \"mystery extract\"],"
	" \"numbing_cream\": true, \"depth_mm\": 5}}",
	"{}",
};

/* s starts "L:C: " with L, C >= 1 (what follows "name:" in an error). */
static int position_ok(const char *s)
{
	int part;
	for (part = 0; part < 2; part++) {
		long v = 0;
		const char *d = s;
		while (*s >= '0' && *s <= '9' && s - d < 9)
			v = v * 10 + (*s++ - '0');
		if (s == d || v < 1 || *s++ != ':')
			return 0;
	}
	return *s == ' ';
}

static int known_compile_error(int rc)
{
	return rc == MSC_ERULES || rc == MSC_ELIMIT || rc == MSC_ENOMEM;
}

static void check_result(const msc_rules *rules, const msc_result *res, int full)
{
	size_t i, n = msc_result_finding_count(res);
	int worst = MSC_CLEAR, v = msc_result_verdict(res);
	char *json = NULL;
	size_t len = 0;

	for (i = 0; i < n; i++) {
		const msc_finding *f = msc_result_finding(res, i);
		const msc_rule_info *info;
		FUZZ_CHECK(f && f->rule && f->message, "finding %zu is incomplete", i);
		info = msc_rules_find(rules, f->rule);
		FUZZ_CHECK(info && info->kind == MSC_RULE && !info->disabled,
			   "finding %s: not an enabled rule of the set", f->rule);
		FUZZ_CHECK(f->severity >= MSC_CAUTION && f->severity <= MSC_CONTRAINDICATED &&
			   f->severity != MSC_INCOMPLETE,
			   "finding %s: severity %d", f->rule, (int)f->severity);
		if ((int)f->severity > worst)
			worst = f->severity;
	}
	for (i = 0; i < msc_result_missing_count(res); i++) {
		const msc_missing *m = msc_result_missing(res, i);
		FUZZ_CHECK(m && m->rule && m->fact && m->question, "missing %zu is incomplete", i);
	}
	if (msc_result_missing_count(res) && worst < MSC_INCOMPLETE)
		worst = MSC_INCOMPLETE;
	FUZZ_CHECK(v == worst, "verdict %s, but the findings and questions give %s",
		   msc_verdict_name(v), msc_verdict_name(worst));
	for (i = 0; i < msc_result_override_count(res); i++) {
		const msc_override *o = msc_result_override(res, i);
		FUZZ_CHECK(o && o->rule && o->action && o->changed_by, "override %zu is incomplete", i);
	}
	if (!full)
		return;
	FUZZ_CHECK(msc_result_to_json(&json, &len, res) == MSC_OK && json,
		   "msc_result_to_json: %s", msc_error_message());
	fuzz_check_result_json(json, len, res);
	msc_free(json);
}

static void check_rules(const msc_rules *rules, const msc_rules *builtin, size_t files, int full)
{
	size_t i, n = msc_rules_count(rules);
	char *json = NULL;
	msc_record *rec = NULL;
	msc_result *res = NULL;
	const msc_rules_file *file;

	FUZZ_CHECK(msc_rules_name(rules) && strncmp(msc_rules_name(rules), "builtin+", 8) == 0,
		   "rule set name '%s'", msc_rules_name(rules) ? msc_rules_name(rules) : "(null)");
	FUZZ_CHECK(msc_rules_version(rules) && strcmp(msc_rules_version(rules), msc_rules_version(builtin)) == 0,
		   "the built-in table's version changed");
	FUZZ_CHECK(msc_rules_file_count(rules) == files, "%zu files, expected %zu",
		   msc_rules_file_count(rules), files);
	file = msc_rules_file_get(rules, files - 1);
	FUZZ_CHECK(file && file->name && strcmp(file->name, TEXT_NAME) == 0 && file->sha256 &&
		   strlen(file->sha256) == 64 && strspn(file->sha256, "0123456789abcdef") == 64,
		   "provenance of the text");
	FUZZ_CHECK(!msc_rules_file_get(rules, files), "a file past the end");
	FUZZ_CHECK(n >= msc_rules_count(builtin) && msc_rules_fact_count(rules) >= msc_rules_fact_count(builtin),
		   "the rule set lost rules or facts of the built-in table");
	for (i = 0; i < n; i++) {
		const msc_rule_info *r = msc_rules_get(rules, i);
		FUZZ_CHECK(r && r->id && r->condition && r->message && r->origin, "rule %zu is incomplete", i);
		FUZZ_CHECK(msc_rules_find(rules, r->id) == r, "rule %s: id not unique", r->id);
		FUZZ_CHECK(r->kind == MSC_INSTRUCTION ||
			   (r->severity >= MSC_CAUTION && r->severity <= MSC_CONTRAINDICATED &&
			    r->severity != MSC_INCOMPLETE),
			   "rule %s: severity %d", r->id, (int)r->severity);
		FUZZ_CHECK(r->kind == MSC_RULE || r->phase == MSC_BEFORE || r->phase == MSC_AFTER,
			   "instruction %s: phase %d", r->id, (int)r->phase);
		FUZZ_CHECK(!r->disabled || r->changed_by, "rule %s disabled by nobody", r->id);
		if (i < msc_rules_count(builtin))
			FUZZ_CHECK(strcmp(r->id, msc_rules_get(builtin, i)->id) == 0,
				   "rule %zu of the built-in table moved", i);
	}
	FUZZ_CHECK(!msc_rules_get(rules, n), "a rule past the end");
	for (i = 0; i < msc_rules_fact_count(rules); i++) {
		const msc_fact_info *f = msc_rules_fact(rules, i);
		FUZZ_CHECK(f && f->path && strchr(f->path, '.') && f->type, "fact %zu is incomplete", i);
		FUZZ_CHECK(strcmp(f->type, "enum") != 0 || (f->value_count > 0 && f->value_count <= 64),
			   "fact %s: %zu values", f->path, f->value_count);
	}
	if (msc_record_new(&rec, rules) || msc_result_new(&res))
		fuzz_fail("cannot create a record or result");
	if (full) {
		FUZZ_CHECK(msc_rules_to_json(&json, NULL, rules) == MSC_OK && json,
			   "msc_rules_to_json: %s", msc_error_message());
		msc_free(json);
		FUZZ_CHECK(msc_questions_to_json(&json, NULL, rules, rec) == MSC_OK && json,
			   "msc_questions_to_json: %s", msc_error_message());
		msc_free(json);
	}
	for (i = 0; i < sizeof(RECORDS) / sizeof(RECORDS[0]); i++) {
		int rc = msc_record_from_json(rec, RECORDS[i], strlen(RECORDS[i]));
		FUZZ_CHECK(rc == MSC_OK, "fixed record %zu refused: %s", i, msc_error_message());
		FUZZ_CHECK(msc_screen(res, rules, rec) == MSC_OK, "msc_screen: %s", msc_error_message());
		check_result(rules, res, full && i == 1);
	}
	msc_result_free(res);
	msc_record_free(rec);
}

#ifdef FUZZ_REPLAY
/* The input compiled the long way: msc_compiler_new() (the built-in table
 * compiled again), then `prefix` if any, then the input. */
static void check_long_way(const msc_rules *got, const char *prefix, const uint8_t *data, size_t size)
{
	msc_compiler *c = NULL;
	msc_rules *want = NULL;
	char *a = NULL, *b = NULL;
	size_t i;

	if (msc_compiler_new(&c) != MSC_OK)
		fuzz_fail("msc_compiler_new: %s", msc_error_message());
	if (prefix && msc_compiler_add_text(c, "fuzz-clinic.rules", prefix, strlen(prefix)) != MSC_OK)
		fuzz_fail("the fixture rule text does not compile: %s", msc_error_message());
	FUZZ_CHECK(msc_compiler_add_text(c, TEXT_NAME, (const char *)data, size) == MSC_OK &&
		   msc_compiler_get_rules(c, &want) == MSC_OK,
		   "compiles on msc_compiler_new_from() but not on msc_compiler_new(): %s", msc_error_message());
	msc_compiler_free(c);
	FUZZ_CHECK(strcmp(msc_rules_name(got), msc_rules_name(want)) == 0 &&
		   msc_rules_file_count(got) == msc_rules_file_count(want),
		   "msc_compiler_new_from(): name %s, the long way %s", msc_rules_name(got), msc_rules_name(want));
	for (i = 0; i < msc_rules_file_count(got); i++)
		FUZZ_CHECK(strcmp(msc_rules_file_get(got, i)->sha256, msc_rules_file_get(want, i)->sha256) == 0,
			   "file %zu differs", i);
	FUZZ_CHECK(msc_rules_to_json(&a, NULL, got) == MSC_OK && msc_rules_to_json(&b, NULL, want) == MSC_OK,
		   "msc_rules_to_json: %s", msc_error_message());
	FUZZ_CHECK(strcmp(a, b) == 0, "msc_compiler_new_from() and the long way differ:\n%s\n%s", a, b);
	msc_free(a);
	msc_free(b);
	msc_rules_free(want);
}
#endif

/* Compiles the input on `base` (the built-in table, or it plus `prefix`,
 * which base was compiled from); checks what comes out. */
static int compile(const msc_rules *builtin, const msc_rules *base, const char *prefix, const uint8_t *data,
		   size_t size)
{
	msc_compiler *c = NULL;
	msc_rules *rules = NULL;
	size_t i, errors;
	int rc;

	if (msc_compiler_new_from(&c, base) != MSC_OK)
		fuzz_fail("msc_compiler_new_from: %s", msc_error_message());
	rc = msc_compiler_add_text(c, TEXT_NAME, (const char *)data, size);
	errors = msc_compiler_error_count(c);
	if (rc == MSC_OK) {
		FUZZ_CHECK(errors == 0, "accepted, with %zu errors (first: %s)", errors,
			   msc_compiler_error(c, 0));
		rc = msc_compiler_get_rules(c, &rules);
		FUZZ_CHECK(rc == MSC_OK && rules, "msc_compiler_get_rules after a clean text: %s",
			   msc_error_message());
		msc_compiler_free(c);
		check_rules(rules, builtin, prefix ? 2 : 1, !prefix);
#ifdef FUZZ_REPLAY
		check_long_way(rules, prefix, data, size);
#endif
		msc_rules_free(rules);
		return MSC_OK;
	}
	FUZZ_CHECK(known_compile_error(rc), "msc_compiler_add_text returned %s", msc_status_name(rc));
	if (rc == MSC_ERULES) {
		FUZZ_CHECK(errors > 0, "MSC_ERULES without an error");
		for (i = 0; i < errors; i++) {
			const char *e = msc_compiler_error(c, i);
			FUZZ_CHECK(e && strncmp(e, TEXT_NAME ":", sizeof(TEXT_NAME)) == 0 &&
				   position_ok(e + sizeof(TEXT_NAME)),
				   "error %zu is not 'name:line:column: message': %s", i, e ? e : "(null)");
		}
		FUZZ_CHECK(!msc_compiler_error(c, errors), "an error past the end");
	}
	rc = msc_compiler_get_rules(c, &rules);
	FUZZ_CHECK(rc != MSC_OK && !rules, "msc_compiler_get_rules handed over a rule set after an error");
	msc_compiler_free(c);
	return MSC_ERULES;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static msc_rules *builtin, *clinic;

	if (!builtin) {
		builtin = fuzz_rules_builtin();
		clinic = fuzz_rules_clinic();
	}
	if (compile(builtin, builtin, NULL, data, size) == MSC_OK)
		compile(builtin, clinic, FUZZ_CLINIC_RULES, data, size);
	return 0;
}
