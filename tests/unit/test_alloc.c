/*
 * Allocation failure (SQLite's test_malloc.c, expat's alloc_tests.c): each
 * operation is run with its 1st, 2nd, 3rd... allocation failing until it
 * succeeds. Every failed run must return MSC_ENOMEM, leak nothing, and
 * leave the shared rule set usable.
 */
#include <string.h>

#include "testutil.h"

static long live;       /* allocations not yet freed */
static long countdown;  /* fail the allocation that brings this to 0; <0: never */
static long calls;

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

static const char *RECORD =
	"{\"patient\": {\"pregnant\": false, \"medications\": [\"Eliquis 5 mg\", \"Frobozz\"],"
	" \"allergies\": [\"lidocaine\"], \"conditions\": [\"E10.9\"], \"hair_transplant_months_ago\": 3},"
	" \"plan\": {\"area\": \"scalp\", \"ingredients\": [\"biotin\", \"lidocaine\"], \"numbing_cream\": true,"
	" \"depth_mm\": 5}}";

static const char *CLINIC =
	"ruleset c\nversion 1\nsource P \"p\"\nfact patient.age number\n  question \"age?\"\n"
	"rule C.A\n  severity defer\n  when patient.age < 18 or patient.medications has \"isotretinoin\"\n"
	"  message \"m\"\n  sources P\n"
	"override PR.DEPTH\n  severity defer\n  reason \"r\"\n";

static msc_rules *shared;

/* The shared rule set still screens correctly. */
static void assert_shared_usable(void)
{
	long saved = countdown;
	countdown = -1;
	ck_assert_int_eq(msc_test_verdict(shared, RECORD), MSC_CONTRAINDICATED);
	countdown = saved;
}

typedef int (*operation)(void);

static msc_record *op_rec;
static msc_result *op_res;

static int op_builtin(void)
{
	msc_rules *r;
	int rc = msc_rules_builtin(&r);
	msc_rules_free(r);
	return rc;
}

static int op_clinic(void)
{
	msc_compiler *c;
	msc_rules *r = NULL;
	int rc = msc_compiler_new(&c);
	if (rc == MSC_OK)
		rc = msc_compiler_add_text(c, "c.rules", CLINIC, strlen(CLINIC));
	if (rc == MSC_OK)
		rc = msc_compiler_get_rules(c, &r);
	msc_compiler_free(c);
	msc_rules_free(r);
	return rc;
}

static int op_parse(void)
{
	msc_record *rec;
	int rc = msc_record_new(&rec, shared);
	if (rc == MSC_OK)
		rc = msc_record_from_json(rec, RECORD, strlen(RECORD));
	msc_record_free(rec);
	return rc;
}

static int op_screen(void)
{
	msc_result *res;
	int rc = msc_result_new(&res);
	if (rc == MSC_OK)
		rc = msc_screen(res, shared, op_rec);
	if (rc != MSC_OK && res)
		ck_assert_int_ne(msc_result_verdict(res), MSC_CLEAR);
	msc_result_free(res);
	return rc;
}

static int op_to_json(void)
{
	char *out = NULL;
	int rc = msc_result_to_json(&out, NULL, op_res);
	msc_free(out);
	return rc;
}

static int op_batch(void)
{
	msc_batch *b;
	const char *lines = "{\"patient\": {\"pregnant\": true}}\n{\"patient\": {\"pregnant\": 3}}\n";
	int rc = msc_batch_new(&b, shared, MSC_BATCH_KEEP_JSON);
	if (rc == MSC_OK)
		rc = msc_batch_screen_lines(b, lines, strlen(lines));
	msc_batch_free(b);
	return rc;
}

static int op_questions(void)
{
	char *out = NULL;
	int rc = msc_questions_to_json(&out, NULL, shared, op_rec);
	msc_free(out);
	return rc;
}

static int op_rules_json(void)
{
	char *out = NULL;
	int rc = msc_rules_to_json(&out, NULL, shared);
	msc_free(out);
	return rc;
}

static const struct { const char *name; operation op; } ops[] = {
	{ "compile the built-in table", op_builtin },
	{ "compile a clinic file", op_clinic },
	{ "parse a JSON record", op_parse },
	{ "screen", op_screen },
	{ "write the result JSON", op_to_json },
	{ "screen a batch", op_batch },
	{ "write the questionnaire", op_questions },
	{ "write the rule table", op_rules_json },
};

START_TEST(every_allocation_fails_in_turn)
{
	long n, base;
	int rc = MSC_ENOMEM;
	for (n = 1; rc != MSC_OK; n++) {
		base = live;
		countdown = n;
		rc = ops[_i].op();
		countdown = -1;
		ck_assert_msg(rc == MSC_OK || rc == MSC_ENOMEM, "%s, allocation %ld failing: %s (%s)",
			      ops[_i].name, n, msc_status_name(rc), msc_error_message());
		ck_assert_msg(live == base, "%s, allocation %ld failing: %ld allocations leaked", ops[_i].name,
			      n, live - base);
		assert_shared_usable();
		ck_assert_msg(n < 100000, "%s never succeeds", ops[_i].name);
	}
	ck_assert_msg(n > 2, "%s allocated nothing: the test proves nothing", ops[_i].name);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("alloc");
	TCase *tc = tcase_create("alloc");
	int rc;

	countdown = -1;
	if (msc_set_allocator(&counting) != MSC_OK)
		return 1;
	if (msc_rules_builtin(&shared) || msc_record_new(&op_rec, shared) || msc_result_new(&op_res) ||
	    msc_record_from_json(op_rec, RECORD, strlen(RECORD)) || msc_screen(op_res, shared, op_rec))
		return 1;
	tcase_add_loop_test(tc, every_allocation_fails_in_turn, 0, (int)(sizeof(ops) / sizeof(ops[0])));
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	rc = msc_test_main(s);
	msc_result_free(op_res);
	msc_record_free(op_rec);
	msc_rules_free(shared);
	return rc;
}
