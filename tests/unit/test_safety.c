/*
 * Safety properties, checked exhaustively over the test vectors:
 *
 *  - fail-safe: for every vector and every answered yes/no fact, making the
 *    answer unknown never yields a verdict milder than `incomplete` when
 *    answering yes would block treatment (defer or contraindicated); the
 *    same for every list, against a worst-case list (a blood thinner, an
 *    unknown name, the usual ingredients): if that list would block, the
 *    unknown list gives at least `incomplete`, and if it would change
 *    anything at all, the unknown list never gives `clear`;
 *  - threads: 4 threads share one compiled rule set and screen every vector
 *    10,000 times in all; every result is identical to a single thread's.
 */
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <string.h>

#include "testutil.h"

static const char *vectors_dir;
static msc_rules *rules;
static char **records; /* the JSON text of every valid vector's record */
static int nrecords;

static void load_vectors(void)
{
	DIR *d = opendir(vectors_dir);
	struct dirent *e;
	ck_assert_msg(d != NULL, "cannot open %s", vectors_dir);
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		json_t *v;
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", vectors_dir, e->d_name);
		v = json_load_file(path, 0, NULL);
		ck_assert_ptr_nonnull(v);
		/* valid records of the built-in table only */
		if (json_object_get(v, "expect") && json_is_null(json_object_get(v, "rules"))) {
			records = realloc(records, sizeof(char *) * (size_t)(nrecords + 1));
			records[nrecords++] = json_dumps(json_object_get(v, "record"), JSON_COMPACT);
		}
		json_decref(v);
	}
	closedir(d);
	ck_assert_int_gt(nrecords, 20);
}

static void setup(void)
{
	ck_assert_int_eq(msc_rules_builtin(&rules), MSC_OK);
	load_vectors();
}

static void teardown(void)
{
	int i;
	for (i = 0; i < nrecords; i++)
		free(records[i]);
	free(records);
	records = NULL;
	nrecords = 0;
	msc_rules_free(rules);
}

static msc_verdict screen_text(msc_record *rec, msc_result *res, const char *json)
{
	ck_assert_int_eq(msc_record_from_json(rec, json, strlen(json)), MSC_OK);
	ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
	return msc_result_verdict(res);
}

START_TEST(unknown_never_milder_than_incomplete_when_yes_blocks)
{
	msc_record *rec;
	msc_result *res;
	int i, checked = 0;
	size_t f;
	ck_assert_int_eq(msc_record_new(&rec, rules), MSC_OK);
	ck_assert_int_eq(msc_result_new(&res), MSC_OK);
	for (i = 0; i < nrecords; i++) {
		for (f = 0; f < msc_rules_fact_count(rules); f++) {
			const msc_fact_info *fi = msc_rules_fact(rules, f);
			msc_verdict yes, unknown;
			screen_text(rec, res, records[i]);
			if (strcmp(fi->type, "yesno") == 0) {
				ck_assert_int_eq(msc_record_set_answer(rec, fi->path, MSC_YES), MSC_OK);
				ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
				yes = msc_result_verdict(res);
				ck_assert_int_eq(msc_record_set_answer(rec, fi->path, MSC_UNKNOWN), MSC_OK);
				ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
				unknown = msc_result_verdict(res);
				if (yes >= MSC_DEFER)
					ck_assert_msg(unknown >= MSC_INCOMPLETE,
						      "record %d: %s unknown gives %s, yet yes gives %s", i, fi->path,
						      msc_verdict_name(unknown), msc_verdict_name(yes));
				checked++;
			} else if (strcmp(fi->type, "medications") == 0 || strcmp(fi->type, "allergies") == 0 ||
				   strcmp(fi->type, "ingredients") == 0) {
				static const char *const worst[] = { "warfarin", "lidocaine", "hyaluronic acid",
								     "biotin", "zzunknown-name" };
				msc_verdict given = msc_result_verdict(res);
				ck_assert_int_eq(msc_record_set_list(rec, fi->path, worst, 5), MSC_OK);
				ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
				yes = msc_result_verdict(res);
				ck_assert_int_eq(msc_record_unset(rec, fi->path), MSC_OK);
				ck_assert_int_eq(msc_screen(res, rules, rec), MSC_OK);
				unknown = msc_result_verdict(res);
				if (yes >= MSC_DEFER)
					ck_assert_msg(unknown >= MSC_INCOMPLETE,
						      "record %d: %s unknown gives %s, yet a worst-case list gives %s", i,
						      fi->path, msc_verdict_name(unknown), msc_verdict_name(yes));
				if (yes != given)
					ck_assert_msg(unknown != MSC_CLEAR, "record %d: %s unknown gives clear", i,
						      fi->path);
				checked++;
			}
		}
	}
	ck_assert_int_gt(checked, 200);
	msc_result_free(res);
	msc_record_free(rec);
}
END_TEST

#define THREADS 4
#define ROUNDS_TOTAL 10000

typedef struct worker {
	int rounds;
	char **expected; /* per record: the single-thread result JSON */
	const msc_record *const *shared; /* the records parsed once, read by every thread */
	int mismatches;
	int failures;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	msc_record *rec;
	msc_result *res;
	int r, i;
	if (msc_record_new(&rec, rules) || msc_result_new(&res)) {
		w->failures++;
		return NULL;
	}
	for (r = 0; r < w->rounds; r++) {
		i = r % nrecords;
		char *json = NULL;
		if (msc_record_from_json(rec, records[i], strlen(records[i])) ||
		    msc_screen(res, rules, rec) || msc_result_to_json(&json, NULL, res)) {
			w->failures++;
			continue;
		}
		if (strcmp(json, w->expected[i]) != 0)
			w->mismatches++;
		msc_free(json);
	}
	/* the same records parsed once and shared: each thread's own batch
	 * reads them while the others do */
	{
		msc_batch *b;
		if (msc_batch_new(&b, rules, MSC_BATCH_KEEP_JSON)) {
			w->failures++;
		} else {
			for (r = 0; r < 20; r++) {
				if (msc_batch_screen_records(b, w->shared, (size_t)nrecords) ||
				    msc_batch_count(b) != (size_t)nrecords) {
					w->failures++;
					continue;
				}
				for (i = 0; i < nrecords; i++)
					if (!msc_batch_result_json(b, (size_t)i) ||
					    strcmp(msc_batch_result_json(b, (size_t)i), w->expected[i]) != 0)
						w->mismatches++;
			}
			msc_batch_free(b);
		}
	}
	msc_result_free(res);
	msc_record_free(rec);
	return NULL;
}

START_TEST(threads_share_one_rule_set)
{
	pthread_t t[THREADS];
	worker w[THREADS];
	char **expected = calloc((size_t)nrecords, sizeof(char *));
	msc_record *rec;
	msc_result *res;
	int i;
	ck_assert_int_eq(msc_record_new(&rec, rules), MSC_OK);
	ck_assert_int_eq(msc_result_new(&res), MSC_OK);
	msc_record **shared = calloc((size_t)nrecords, sizeof(msc_record *));
	ck_assert_ptr_nonnull(shared);
	for (i = 0; i < nrecords; i++) {
		screen_text(rec, res, records[i]);
		ck_assert_int_eq(msc_result_to_json(&expected[i], NULL, res), MSC_OK);
		ck_assert_int_eq(msc_record_new(&shared[i], rules), MSC_OK);
		ck_assert_int_eq(msc_record_from_json(shared[i], records[i], strlen(records[i])), MSC_OK);
	}
	for (i = 0; i < THREADS; i++) {
		w[i].rounds = ROUNDS_TOTAL / THREADS;
		w[i].expected = expected;
		w[i].shared = (const msc_record *const *)shared;
		w[i].mismatches = w[i].failures = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
		ck_assert_int_eq(w[i].mismatches, 0);
	}
	for (i = 0; i < nrecords; i++) {
		msc_free(expected[i]);
		msc_record_free(shared[i]);
	}
	free(expected);
	free(shared);
	msc_result_free(res);
	msc_record_free(rec);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("safety");
	TCase *tc = tcase_create("safety");
	vectors_dir = argc > 1 ? argv[1] : "tests/vectors";
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unknown_never_milder_than_incomplete_when_yes_blocks);
	tcase_add_test(tc, threads_share_one_rule_set);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return msc_test_main(s);
}
