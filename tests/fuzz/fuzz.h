/*
 * Shared by the fuzz targets (fuzz_*.c): the libFuzzer entry point, a
 * check that aborts with a message, and the rule sets the targets screen
 * against. Public API only: the targets see the library as a caller does.
 *
 * Each target is built twice (tests/fuzz/meson.build): with replay.c as an
 * ordinary program that replays a corpus directory (every build, any
 * compiler), and with clang's -fsanitize=fuzzer as a libFuzzer binary
 * (-Dfuzz=true).
 */
#ifndef MSC_FUZZ_H
#define MSC_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <mesoscreen/mesoscreen.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static void fuzz_fail(const char *fmt, ...);

/* A broken invariant: say which, then abort() so that libFuzzer (or the
 * replay test) stops with a stack trace and keeps the input. */
static void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("\n*** mesoscreen fuzz check failed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	fflush(stderr);
	abort();
}

#define FUZZ_CHECK(cond, ...) \
	do { if (!(cond)) fuzz_fail(__VA_ARGS__); } while (0)

/* An allocation the harness itself needs; out of memory is not a finding. */
static inline void *fuzz_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fputs("fuzz harness: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

/*
 * A clinic rule text compiled on top of the built-in table, so that the
 * record targets also reach clinic facts (number, yes/no, enum), `not`,
 * `or`, `in`, `has`, `match` and overrides. It declares no yes/no fact with
 * a `default` (a default answers for an unknown fact by design, see the
 * fail-safe target). Kept apart from examples/rules/clinic.rules so that the
 * example can change without changing what the targets cover.
 */
static const char FUZZ_CLINIC_RULES[] =
	"ruleset fuzz-clinic\n"
	"version 2026.1\n"
	"source PROTO \"Fuzz fixture protocol\"\n"
	"fact patient.age number\n"
	"  min 0\n"
	"  max 130\n"
	"  question \"How old are you?\"\n"
	"fact patient.guardian_consent yesno\n"
	"  question \"Has a guardian signed the consent form?\"\n"
	"fact patient.isotretinoin_months_ago number\n"
	"  min 0\n"
	"  accepts never\n"
	"  question \"How many months ago did you last take isotretinoin?\"\n"
	"fact patient.smoker yesno\n"
	"  question \"Do you smoke?\"\n"
	"fact plan.product enum cocktail-a cocktail-b vitamin-mix enzyme\n"
	"  question \"Which product will be used?\"\n"
	"rule CLINIC.MINOR_CONSENT\n"
	"  severity defer\n"
	"  when patient.age < 18 and not patient.guardian_consent\n"
	"  message \"Under 18 without a guardian's consent.\"\n"
	"  sources PROTO\n"
	"  ask patient.age \"How old is the patient?\"\n"
	"rule CLINIC.ISOTRETINOIN\n"
	"  severity defer\n"
	"  when patient.isotretinoin_months_ago < 6 or patient.medications has \"isotretinoin\"\n"
	"  message \"Isotretinoin within 6 months.\"\n"
	"  sources PROTO\n"
	"rule CLINIC.HYALURONIDASE_ALLERGY\n"
	"  severity contraindicated\n"
	"  when patient.allergies match \"hyaluronidase\" and plan.ingredients has \"hyaluronidase\"\n"
	"  message \"Allergy to hyaluronidase, which the product contains.\"\n"
	"  sources PROTO S004\n"
	"rule CLINIC.ENZYME\n"
	"  severity contraindicated\n"
	"  when plan.product = enzyme\n"
	"    and (patient.pregnant or patient.breastfeeding or not patient.smoker = no)\n"
	"  message \"Enzyme products: not in pregnancy, breastfeeding or for smokers.\"\n"
	"  sources PROTO\n"
	"rule CLINIC.SMOKER_FACE\n"
	"  severity caution\n"
	"  when patient.smoker and plan.area in (face, neck, under-eye)\n"
	"    or plan.product != vitamin-mix and patient.medications has class nsaid\n"
	"  message \"Smokers heal slowly; NSAIDs with this product bruise.\"\n"
	"  sources PROTO\n"
	"rule CLINIC.DEEP_CANCER_HISTORY\n"
	"  severity defer\n"
	"  when not (patient.cancer = no) and plan.depth_mm >= 3 and patient.age > 65\n"
	"  message \"Deep injections over 65 wait for the oncologist.\"\n"
	"  sources PROTO\n"
	"instruction CLINIC.AFTERCARE_CALL\n"
	"  phase after\n"
	"  when plan.area in (scalp, face) or plan.product = enzyme\n"
	"  text \"The clinic will call you the day after the session.\"\n"
	"  sources PROTO\n"
	"override PR.DEPTH\n"
	"  severity defer\n"
	"  reason \"An out-of-range depth waits for a corrected plan.\"\n"
	"override CI.PREGNANCY\n"
	"  severity contraindicated\n"
	"disable PR.UNRECOGNIZED_MEDICATION\n"
	"  reason \"The pharmacist reviews every list.\"\n";

/* The built-in table, or it plus FUZZ_CLINIC_RULES; aborts if either fails
 * to compile (a broken fixture is a harness bug, not a finding). */
static inline msc_rules *fuzz_rules_builtin(void)
{
	msc_rules *r = NULL;
	if (msc_rules_builtin(&r) != MSC_OK)
		fuzz_fail("msc_rules_builtin: %s", msc_error_message());
	return r;
}

static inline msc_rules *fuzz_rules_clinic(void)
{
	msc_compiler *c = NULL;
	msc_rules *r = NULL;
	if (msc_compiler_new(&c) != MSC_OK)
		fuzz_fail("msc_compiler_new: %s", msc_error_message());
	if (msc_compiler_add_text(c, "fuzz-clinic.rules", FUZZ_CLINIC_RULES,
				  sizeof(FUZZ_CLINIC_RULES) - 1) != MSC_OK ||
	    msc_compiler_get_rules(c, &r) != MSC_OK)
		fuzz_fail("the fixture rule text does not compile: %s", msc_error_message());
	msc_compiler_free(c);
	return r;
}

static inline int fuzz_verdict_ok(int v)
{
	return v >= MSC_CLEAR && v <= MSC_CONTRAINDICATED;
}

static inline int fuzz_json_str_is(json_t *v, const char *want)
{
	return json_is_string(v) && strlen(want) == json_string_length(v) &&
	       memcmp(json_string_value(v), want, json_string_length(v)) == 0;
}

/*
 * The result JSON read back with jansson (an independent parser): valid
 * JSON, one object, and every string the result holds comes back exactly
 * (rule ids, "because" strings, questions, unrecognised names as the record
 * gave them): the writer escapes what it must and nothing else.
 */
static inline void fuzz_check_result_json(const char *json, size_t len, const msc_result *res)
{
	static const char *const lists[3] = { "medications", "allergies", "ingredients" };
	json_error_t err;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err), *a;
	size_t i, j;

	if (!root)
		fuzz_fail("the result JSON is not JSON (%s at byte %d): %s", err.text, err.position, json);
	FUZZ_CHECK(json_is_object(root) &&
		   fuzz_json_str_is(json_object_get(root, "verdict"), msc_verdict_name(msc_result_verdict(res))),
		   "result JSON: verdict: %s", json);
	a = json_object_get(root, "findings");
	FUZZ_CHECK(json_is_array(a) && json_array_size(a) == msc_result_finding_count(res),
		   "result JSON: findings: %s", json);
	for (i = 0; i < json_array_size(a); i++) {
		const msc_finding *f = msc_result_finding(res, i);
		json_t *e = json_array_get(a, i), *because = json_object_get(e, "because");
		FUZZ_CHECK(fuzz_json_str_is(json_object_get(e, "rule"), f->rule) &&
			   fuzz_json_str_is(json_object_get(e, "message"), f->message) &&
			   json_is_array(because) && json_array_size(because) == f->because_count,
			   "result JSON: finding %zu (%s): %s", i, f->rule, json);
		for (j = 0; j < f->because_count; j++)
			FUZZ_CHECK(fuzz_json_str_is(json_array_get(because, j), f->because[j]),
				   "result JSON: finding %s: because[%zu] is not '%s': %s", f->rule, j,
				   f->because[j], json);
	}
	a = json_object_get(root, "missing");
	FUZZ_CHECK(json_is_array(a) && json_array_size(a) == msc_result_missing_count(res),
		   "result JSON: missing: %s", json);
	for (i = 0; i < json_array_size(a); i++) {
		const msc_missing *m = msc_result_missing(res, i);
		json_t *e = json_array_get(a, i);
		FUZZ_CHECK(fuzz_json_str_is(json_object_get(e, "rule"), m->rule) &&
			   fuzz_json_str_is(json_object_get(e, "fact"), m->fact) &&
			   fuzz_json_str_is(json_object_get(e, "question"), m->question),
			   "result JSON: missing %zu: %s", i, json);
	}
	a = json_object_get(root, "overrides");
	FUZZ_CHECK(msc_result_override_count(res) == 0 ? !a || json_is_array(a) :
		   json_is_array(a) && json_array_size(a) == msc_result_override_count(res),
		   "result JSON: overrides: %s", json);
	for (i = 0; i < msc_result_override_count(res); i++) {
		const msc_override *o = msc_result_override(res, i);
		json_t *e = json_array_get(a, i), *reason = json_object_get(e, "reason");
		FUZZ_CHECK(fuzz_json_str_is(json_object_get(e, "rule"), o->rule) &&
			   fuzz_json_str_is(json_object_get(e, "action"), o->action) &&
			   fuzz_json_str_is(json_object_get(e, "changed_by"), o->changed_by) &&
			   (o->reason ? fuzz_json_str_is(reason, o->reason) : json_is_null(reason)),
			   "result JSON: override %zu: %s", i, json);
	}
	a = json_object_get(root, "unrecognized");
	FUZZ_CHECK(json_is_object(a), "result JSON: unrecognized: %s", json);
	for (i = 0; i < 3; i++) {
		json_t *l = json_object_get(a, lists[i]);
		size_t n = msc_result_unrecognized_count(res, (msc_list)i);
		FUZZ_CHECK(json_is_array(l) && json_array_size(l) == n, "result JSON: unrecognized.%s: %s",
			   lists[i], json);
		for (j = 0; j < n; j++)
			FUZZ_CHECK(fuzz_json_str_is(json_array_get(l, j), msc_result_unrecognized(res, (msc_list)i, j)),
				   "result JSON: unrecognized.%s[%zu] is not '%s': %s", lists[i], j,
				   msc_result_unrecognized(res, (msc_list)i, j), json);
	}
	json_decref(root);
}

#endif
