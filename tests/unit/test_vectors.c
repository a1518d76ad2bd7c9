/*
 * Runs every language-neutral test vector of tests/vectors/ through the C
 * API (see tests/vectors/README.md), and checks that every entry of the
 * built-in table fires in at least one vector and stays silent in another
 * (an instruction without a condition must be in every result instead).
 */
#include <dirent.h>
#include <jansson.h>
#include <string.h>

#include "testutil.h"

static const char *vectors_dir;
static msc_rules *builtin;

/* ids seen firing / silent across all vectors */
static char fired[128][64], silent[128][64];
static int nfired, nsilent;

static void note(char (*set)[64], int *n, const char *id)
{
	int i;
	for (i = 0; i < *n; i++)
		if (strcmp(set[i], id) == 0)
			return;
	if (*n < 128)
		snprintf(set[(*n)++], 64, "%s", id);
}

static int contains(json_t *ids, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v)
		if (strcmp(json_string_value(v), id) == 0)
			return 1;
	return 0;
}

static json_t *strings_json(const char *const *s, size_t n)
{
	json_t *a = json_array();
	size_t i;
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(s[i]));
	return a;
}

/* The result projected onto what a vector compares. */
static json_t *project(const msc_result *res)
{
	json_t *p = json_object(), *f = json_array(), *m = json_array(), *in = json_object(),
	       *un = json_object();
	size_t i, k;
	static const char *const lists[3] = { "medications", "allergies", "ingredients" };

	json_object_set_new(p, "verdict", json_string(msc_verdict_name(msc_result_verdict(res))));
	for (i = 0; i < msc_result_finding_count(res); i++) {
		const msc_finding *x = msc_result_finding(res, i);
		json_array_append_new(f, json_pack("{s:s,s:s,s:o}", "rule", x->rule, "severity",
						   msc_verdict_name(x->severity), "because",
						   strings_json(x->because, x->because_count)));
	}
	for (i = 0; i < msc_result_missing_count(res); i++) {
		const msc_missing *x = msc_result_missing(res, i);
		json_array_append_new(m, json_pack("{s:s,s:s}", "rule", x->rule, "fact", x->fact));
	}
	for (k = 0; k < 2; k++) {
		json_t *a = json_array();
		for (i = 0; i < msc_result_instruction_count(res, (msc_phase)k); i++)
			json_array_append_new(a, json_string(msc_result_instruction(res, (msc_phase)k, i)->id));
		json_object_set_new(in, k ? "after" : "before", a);
	}
	for (k = 0; k < 3; k++) {
		json_t *a = json_array();
		for (i = 0; i < msc_result_unrecognized_count(res, (msc_list)k); i++)
			json_array_append_new(a, json_string(msc_result_unrecognized(res, (msc_list)k, i)));
		json_object_set_new(un, lists[k], a);
	}
	json_object_set_new(p, "findings", f);
	json_object_set_new(p, "missing", m);
	json_object_set_new(p, "instructions", in);
	json_object_set_new(p, "unrecognized", un);
	return p;
}

/* The batch screens a record as msc_screen() does: with the full result
 * (MSC_BATCH_KEEP_JSON), and without it, where it builds only what decides
 * the verdict and the rules that fired (internal.h's MSC__SCREEN_VERDICT). */
/* The batch, from the JSON text and from the parsed record (the records
 * path: the record twice, so that the second is screened after the first
 * asked for its memory), with and without the result JSON, says what
 * msc_screen() said. */
static void batch_agrees(const char *name, const msc_rules *rules, const char *text, const msc_record *rec,
			 const msc_result *res)
{
	static const unsigned flags[2] = { 0, MSC_BATCH_KEEP_JSON };
	const msc_record *recs[2] = { rec, rec };
	char ids[1024] = "", *json;
	size_t i, k, way, at = 0;

	for (i = 0; i < msc_result_finding_count(res); i++)
		at += (size_t)snprintf(ids + at, sizeof(ids) - at, "%s%s", i ? "," : "",
				       msc_result_finding(res, i)->rule);
	ck_assert_uint_lt(at, sizeof(ids));
	ck_assert_int_eq(msc_result_to_json(&json, NULL, res), MSC_OK);
	for (k = 0; k < 2; k++) {
		for (way = 0; way < 2; way++) {
			msc_batch *b;
			size_t n = way ? 2 : 1;
			ck_assert_int_eq(msc_batch_new(&b, rules, flags[k]), MSC_OK);
			if (way)
				ck_assert_int_eq(msc_batch_screen_records(b, recs, 2), MSC_OK);
			else
				ck_assert_int_eq(msc_batch_screen_lines(b, text, strlen(text)), MSC_OK);
			ck_assert_uint_eq(msc_batch_count(b), n);
			for (i = 0; i < n; i++) {
				ck_assert_msg(msc_batch_status(b, i) == MSC_OK, "%s: batch: %s", name, msc_batch_error(b, i));
				ck_assert_msg(msc_batch_verdict(b, i) == msc_result_verdict(res),
					      "%s: batch (flags %u, way %zu): %s, not %s", name, flags[k], way,
					      msc_verdict_name(msc_batch_verdict(b, i)),
					      msc_verdict_name(msc_result_verdict(res)));
				ck_assert_msg(strcmp(msc_batch_fired(b, i), ids) == 0,
					      "%s: batch (flags %u, way %zu) fired \"%s\", not \"%s\"", name, flags[k], way,
					      msc_batch_fired(b, i), ids);
				if (flags[k] & MSC_BATCH_KEEP_JSON)
					ck_assert_msg(strcmp(msc_batch_result_json(b, i), json) == 0,
						      "%s: batch (way %zu) JSON differs", name, way);
			}
			msc_batch_free(b);
		}
	}
	msc_free(json);
}

static void run_vector(const char *name)
{
	char path[4096];
	json_error_t err;
	json_t *v, *rec_json, *expect, *error;
	msc_rules *rules = builtin;
	msc_record *rec;
	msc_result *res;
	char *text;
	int rc;
	const char *rules_file;

	snprintf(path, sizeof(path), "%s/%s", vectors_dir, name);
	v = json_load_file(path, 0, &err);
	ck_assert_msg(v != NULL, "%s: %s", name, err.text);
	rules_file = json_string_value(json_object_get(v, "rules"));
	if (rules_file) {
		msc_compiler *c;
		char rpath[4096];
		snprintf(rpath, sizeof(rpath), "%s/../../%s", vectors_dir, rules_file);
		ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
		ck_assert_msg(msc_compiler_add_file(c, rpath) == MSC_OK, "%s: %s", name, msc_error_message());
		ck_assert_int_eq(msc_compiler_get_rules(c, &rules), MSC_OK);
		msc_compiler_free(c);
	}
	rec_json = json_object_get(v, "record");
	text = json_is_string(rec_json) ? strdup(json_string_value(rec_json))
					 : json_dumps(rec_json, JSON_COMPACT | JSON_ENCODE_ANY);
	ck_assert_int_eq(msc_record_new(&rec, rules), MSC_OK);
	ck_assert_int_eq(msc_result_new(&res), MSC_OK);
	rc = msc_record_from_json(rec, text, strlen(text));
	expect = json_object_get(v, "expect");
	error = json_object_get(v, "error");
	if (error) {
		const char *code = json_string_value(json_object_get(error, "code"));
		const char *field = json_string_value(json_object_get(error, "field"));
		ck_assert_msg(strcmp(msc_status_name(rc), code) == 0, "%s: got %s (%s), expected %s", name,
			      msc_status_name(rc), msc_error_message(), code);
		if (field)
			ck_assert_msg(strncmp(msc_error_message(), field, strlen(field)) == 0 &&
				      msc_error_message()[strlen(field)] == ':',
				      "%s: message '%s' does not start with '%s:'", name, msc_error_message(), field);
	} else {
		json_t *got;
		char *g, *e;
		size_t i;
		json_t *f;
		ck_assert_msg(rc == MSC_OK, "%s: %s", name, msc_error_message());
		ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
		got = project(res);
		g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
		e = json_dumps(expect, JSON_SORT_KEYS | JSON_COMPACT);
		ck_assert_msg(json_equal(got, expect), "%s:\n got      %s\n expected %s", name, g, e);
		if (!strchr(text, '\n'))
			batch_agrees(name, rules, text, rec, res);
		/* which entries fired and which stayed silent */
		for (i = 0; i < msc_rules_count(rules); i++) {
			const msc_rule_info *ri = msc_rules_get(rules, i);
			json_t *ids = json_array();
			size_t k;
			json_array_foreach(json_object_get(expect, "findings"), k, f)
				json_array_append(ids, json_object_get(f, "rule"));
			json_array_extend(ids, json_object_get(json_object_get(expect, "instructions"), "before"));
			json_array_extend(ids, json_object_get(json_object_get(expect, "instructions"), "after"));
			if (contains(ids, ri->id))
				note(fired, &nfired, ri->id);
			else
				note(silent, &nsilent, ri->id);
			json_decref(ids);
		}
		free(g);
		free(e);
		json_decref(got);
	}
	free(text);
	msc_result_free(res);
	msc_record_free(rec);
	if (rules != builtin)
		msc_rules_free(rules);
	json_decref(v);
}

static char **names;
static int nnames;

START_TEST(vector)
{
	run_vector(names[_i]);
}
END_TEST

START_TEST(every_entry_fires_and_stays_silent)
{
	size_t i;
	int k;
	for (k = 0; k < nnames; k++)
		run_vector(names[k]);
	for (i = 0; i < msc_rules_count(builtin); i++) {
		const char *id = msc_rules_get(builtin, i)->id;
		int f = 0, s = 0;
		for (k = 0; k < nfired; k++)
			f |= strcmp(fired[k], id) == 0;
		for (k = 0; k < nsilent; k++)
			s |= strcmp(silent[k], id) == 0;
		ck_assert_msg(f, "%s fires in no vector", id);
		/* an entry without a condition is given always: never silent */
		if (strcmp(msc_rules_get(builtin, i)->condition, "always") == 0)
			ck_assert_msg(!s, "%s is always given, yet silent in a vector", id);
		else
			ck_assert_msg(s, "%s is silent in no vector", id);
	}
}
END_TEST

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *e;
	Suite *s = suite_create("vectors");
	TCase *tc = tcase_create("vectors");
	int rc;

	vectors_dir = argc > 1 ? argv[1] : "tests/vectors";
	d = opendir(vectors_dir);
	if (!d) {
		perror(vectors_dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) {
			names = realloc(names, sizeof(char *) * (size_t)(nnames + 1));
			names[nnames++] = strdup(e->d_name);
		}
	}
	closedir(d);
	qsort(names, (size_t)nnames, sizeof(char *), by_name);
	if (msc_rules_builtin(&builtin) != MSC_OK) {
		fprintf(stderr, "%s\n", msc_error_message());
		return 1;
	}
	tcase_add_loop_test(tc, vector, 0, nnames);
	tcase_add_test(tc, every_entry_fires_and_stays_silent);
	suite_add_tcase(s, tc);
	rc = msc_test_main(s);
	msc_rules_free(builtin);
	return rc;
}
