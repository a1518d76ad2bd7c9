/* Shared helpers of the C test suites: TAP output for meson, file reading. */
#ifndef MSC_TESTUTIL_H
#define MSC_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include <mesoscreen/mesoscreen.h>

/* Runs a suite with TAP on standard output (meson's protocol: 'tap'). */
static inline int msc_test_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Reads a whole file; NULL on failure. The caller frees. */
static inline char *msc_test_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf) {
			buf[n] = '\0';
			if (len)
				*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* Screens a JSON record with the built-in rules; returns the verdict or -1. */
static inline int msc_test_verdict(const msc_rules *rules, const char *json)
{
	msc_record *rec = NULL;
	msc_result *res = NULL;
	int v = -1;
	if (msc_record_new(&rec, rules) == MSC_OK && msc_result_new(&res) == MSC_OK &&
	    msc_record_from_json(rec, json, strlen(json)) == MSC_OK &&
	    msc_screen(res, rules, rec) == MSC_OK)
		v = (int)msc_result_verdict(res);
	msc_result_free(res);
	msc_record_free(rec);
	return v;
}

#ifdef MSC_TEST_BUILTIN_FIXTURE
/* The fixture several suites share (define MSC_TEST_BUILTIN_FIXTURE before
 * including this header): the built-in rules, and a record and a result made
 * for them, new for each test (tcase_add_checked_fixture(tc, setup,
 * teardown)); teardown also puts the default allocator back. */
static msc_rules *rules;
static msc_record *rec;
static msc_result *res;

static void setup(void)
{
	ck_assert_int_eq(msc_rules_builtin(&rules), MSC_OK);
	ck_assert_int_eq(msc_record_new(&rec, rules), MSC_OK);
	ck_assert_int_eq(msc_result_new(&res), MSC_OK);
}

static void teardown(void)
{
	msc_set_allocator(NULL);
	msc_result_free(res);
	msc_record_free(rec);
	msc_rules_free(rules);
}
#endif

#endif
