/*
 * Allocation failure (SQLite's test_malloc.c, expat's alloc_tests.c): each
 * operation is run with its 1st, 2nd, 3rd... allocation failing until it
 * succeeds. Every failed run must return MSC_ENOMEM, leak nothing, and
 * leave the shared rule set usable.
 */
#include <stddef.h>
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
static void fail_in_turn(const char *name, operation op);

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

/* Runs `stmt` with no allocation failing: an operation's setting up,
 * whose own allocations fail in turn in the operations that test it. */
#define UNARMED(stmt)                      \
	do {                               \
		long armed_ = countdown;   \
		countdown = -1;            \
		stmt;                      \
		countdown = armed_;        \
	} while (0)

static msc_rules *clinic;     /* the built-in table and CLINIC */
static msc_record *empty_rec; /* of shared, nothing answered */

/* A record with a changed rule, codes, lists of every kind, a number of more
 * than 64 characters, and a first list entry of 7 bytes (its terminating
 * NUL is what makes the reader's buffer grow). */
static const char *CLINIC_RECORD =
	"{\"patient\": {\"age\": 16, \"pregnant\": false, \"medications\": [\"aspirin\", \"Eliquis 5 mg\", \"Frobozz\","
	" \"b01af99\", \"A10AB99\", \"Isotretinoin 20 mg\"], \"allergies\": [\"lidocaine\", \"glorp\"],"
	" \"conditions\": [\"Z34\", \"E10.9\"], \"heart_disease_multiple_drugs\": true},"
	" \"plan\": {\"area\": \"scalp\", \"ingredients\": [\"biotin\", \"zzz\"], \"numbing_cream\": true,"
	" \"depth_mm\": 5.00000000000000000000000000000000000000000000000000000000000000000000000000}}";

/* Parse, screen and write with a clinic's rule set: overrides in the result. */
static int op_clinic_screen(void)
{
	msc_record *rec = NULL;
	msc_result *res = NULL;
	char *out = NULL;
	int rc = msc_record_new(&rec, clinic);
	if (rc == MSC_OK)
		rc = msc_record_from_json(rec, CLINIC_RECORD, strlen(CLINIC_RECORD));
	if (rc == MSC_OK)
		rc = msc_result_new(&res);
	if (rc == MSC_OK)
		rc = msc_screen(res, clinic, rec);
	if (rc == MSC_OK) {
		ck_assert_int_eq(msc_result_verdict(res), MSC_CONTRAINDICATED);
		ck_assert_uint_gt(msc_result_override_count(res), 0);
		rc = msc_result_to_json(&out, NULL, res);
	}
	if (rc == MSC_OK)
		ck_assert_ptr_nonnull(strstr(out, "\"overrides\":[{\"rule\":\"PR.DEPTH\""));
	msc_free(out);
	msc_result_free(res);
	msc_record_free(rec);
	return rc;
}

/* A string yajl must unescape into its own buffer, grown past its 2 KiB:
 * read whole (then refused for its length). */
static int op_parse_long_escaped(void)
{
	static char json[2400];
	msc_record *rec;
	int rc;
	if (!json[0]) {
		memset(json, 'a', sizeof(json) - 1);
		memcpy(json, "{\"patient\": {\"allergies\": [\"\\u0041", 34);
		strcpy(json + sizeof(json) - 6, "\"]}}");
	}
	UNARMED(rc = msc_record_new(&rec, shared));
	ck_assert_int_eq(rc, MSC_OK);
	rc = msc_record_from_json(rec, json, strlen(json));
	if (rc == MSC_ELIMIT) {
		ck_assert_str_eq(msc_error_message(), "patient.allergies[0]: 2361 bytes, more than the limit of 256");
		rc = MSC_OK;
	}
	msc_record_free(rec);
	return rc;
}

static int op_questions_empty(void)
{
	char *out = NULL;
	int rc = msc_questions_to_json(&out, NULL, shared, empty_rec);
	if (rc == MSC_OK)
		ck_assert_ptr_nonnull(strstr(out, "{\"fact\":\"patient.pregnant\",\"type\":\"yesno\""));
	msc_free(out);
	return rc;
}

/* Rows of a batch filled by a callback: an error first (its message of 30
 * bytes ends where the batch's text must grow), a return that is not a
 * status, lists; then, in a second batch, a record with no finding first. */
static int fill(msc_record *r, size_t i, void *ctx)
{
	static const char *const meds[] = { "aspirin", "Eliquis 5 mg", "Frobozz", "A10AB99" };
	static const char *const codes[] = { "Z34" };
	int rc;
	(void)ctx;
	switch (i) {
	case 0:
		return msc_record_set_answer(r, "nonexistent_fld", MSC_YES);
	case 1:
		return 42;
	case 2:
		rc = msc_record_set_list(r, "medications", meds, 4);
		if (rc == MSC_OK)
			rc = msc_record_set_list(r, "conditions", codes, 1);
		if (rc == MSC_OK)
			rc = msc_record_set_word(r, "area", "scalp");
		return rc;
	default:
		return msc_record_set_answer(r, "pregnant", MSC_NO);
	}
}

static int fill_clear_first(msc_record *r, size_t i, void *ctx)
{
	return i == 0 ? MSC_OK : fill(r, i, ctx);
}

static int op_fill(void)
{
	msc_batch *b;
	int rc = msc_batch_new(&b, shared, MSC_BATCH_KEEP_JSON);
	if (rc == MSC_OK)
		rc = msc_batch_screen_fill(b, 4, fill, NULL);
	if (rc == MSC_OK) {
		ck_assert_uint_eq(msc_batch_count(b), 4);
		ck_assert_str_eq(msc_batch_error(b, 0), "nonexistent_fld: unknown field");
		ck_assert_int_eq(msc_batch_status(b, 1), MSC_EINVAL);
		ck_assert_int_eq(msc_batch_verdict(b, 2), MSC_CONTRAINDICATED);
	} else {
		ck_assert_uint_eq(msc_batch_count(b), 0);
	}
	msc_batch_free(b);
	if (rc == MSC_OK)
		rc = msc_batch_new(&b, shared, 0);
	if (rc == MSC_OK) {
		rc = msc_batch_screen_fill(b, 3, fill_clear_first, NULL);
		if (rc == MSC_OK)
			ck_assert_str_eq(msc_batch_fired(b, 0), "");
		msc_batch_free(b);
	}
	return rc;
}

/* Records held in memory: the parsed record, an empty one and a record of
 * another rule set, many times over (the rows and the text grow). */
static msc_record *variant_rec; /* of another rule set: see below */

static int op_records(void)
{
	const msc_record *recs[64];
	msc_batch *b;
	size_t i;
	int rc = msc_batch_new(&b, shared, MSC_BATCH_KEEP_JSON);

	for (i = 0; i < 64; i++)
		recs[i] = i % 3 == 0 ? op_rec : i % 3 == 1 ? empty_rec : variant_rec;
	if (rc == MSC_OK)
		rc = msc_batch_screen_records(b, recs, 64);
	if (rc == MSC_OK) {
		ck_assert_uint_eq(msc_batch_count(b), 64);
		ck_assert_int_eq(msc_batch_verdict(b, 0), msc_result_verdict(op_res));
		ck_assert_int_eq(msc_batch_verdict(b, 1), MSC_INCOMPLETE);
		ck_assert_int_eq(msc_batch_status(b, 2), MSC_EINVAL);
	} else {
		ck_assert_uint_eq(msc_batch_count(b), 0);
	}
	msc_batch_free(b);
	return rc;
}

/* A rule text compiled on a compiler made before (its own allocations are
 * op_clinic's): every allocation of adding the text and of handing over
 * the rule set fails in turn. */
static const char *text_to_add;
static const char *text_name = "t.rules";
static int text_rc;      /* what adding it gives when nothing fails */
static int text_only;    /* the rule set is not handed over */

static int op_add_text(void)
{
	msc_compiler *c;
	msc_rules *r = NULL;
	int rc;
	UNARMED(rc = msc_compiler_new(&c));
	ck_assert_int_eq(rc, MSC_OK);
	rc = msc_compiler_add_text(c, text_name, text_to_add, strlen(text_to_add));
	if (rc == MSC_OK && !text_only)
		rc = msc_compiler_get_rules(c, &r);
	msc_compiler_free(c);
	msc_rules_free(r);
	if (rc != MSC_ENOMEM) {
		ck_assert_msg(rc == text_rc, "%s: %s (%s)", text_to_add, msc_status_name(rc), msc_error_message());
		rc = MSC_OK;
	}
	return rc;
}

/* Each kind of token first in a text (the token array grows at the first),
 * a text continued over lines whose first part fills the buffer, quotes of
 * a condition's name where its text must grow. */
static const struct { const char *text; int rc; } texts[] = {
	{ "", MSC_OK },
	{ "\n", MSC_OK },
	{ "\"s\"", MSC_ERULES },
	{ "(", MSC_ERULES },
	{ "<=", MSC_ERULES },
	{ "source T \"1234567\"\n  \"continued\"\n", MSC_OK },
	{ "rule T.A\n  severity caution\n  when not (((patient.medications has \"x\")))\n  message \"m\"\n"
	  "  sources S000\n"
	  "rule T.B\n  severity caution\n  when patient.medications has \"1234567\"\n  message \"m\"\n"
	  "  sources S000\n"
	  "rule T.C\n  severity caution\n  when patient.medications has \"123456\"\n  message \"m\"\n"
	  "  sources S000\n", MSC_OK },
};

START_TEST(every_allocation_of_a_text_fails_in_turn)
{
	text_to_add = texts[_i].text;
	text_rc = texts[_i].rc;
	fail_in_turn("add a rule text", op_add_text);
}
END_TEST

/* The rule set's arena hands out 16 KiB chunks (buf.c), a larger item a
 * chunk of its own: which allocation of a text takes a new chunk, the only
 * one that can fail, depends on how full the chunk is when the text
 * starts. Here a source title larger than a chunk fills one, a second title
 * leaves `left` bytes in the next, and `left` goes from 0 through the size
 * of everything the text then puts in the arena, so that each of those is,
 * once, the one that needs a new chunk: with every allocation failing in
 * turn, each of them fails once. */
#define ARENA_CHUNK 16384
static const char *ARENA_TARGET =
	"fact sweep.e enum v1 v2\n  question \"q\"\n"
	"rule S.A\n  severity caution\n  ask patient.pregnant \"q2\"\n"
	"  when not patient.pregnant = yes and plan.area = face and plan.area in (face, neck)\n"
	"    and patient.medications has class nsaid and patient.medications has unrecognized\n"
	"    and patient.medications has \"aspirin\" and patient.allergies match \"lidocaine\"\n"
	"    and patient.allergies match plan.ingredients and patient.hair_transplant_months_ago < 3\n"
	"    and sweep.e = v1\n"
	"  message \"m\"\n  sources S000 S001\n";

START_TEST(every_arena_allocation_of_a_text_fails_once)
{
	size_t align = sizeof(max_align_t), left, big = ARENA_CHUNK + 1000, n;
	char *text = malloc(big + ARENA_CHUNK + strlen(ARENA_TARGET) + 64);
	ck_assert_ptr_nonnull(text);
	text_rc = MSC_OK;
	text_only = 1;
	for (left = 0; left <= 4096; left += align) {
		size_t fill = ARENA_CHUNK - left - 1; /* with its NUL, ARENA_CHUNK - left bytes */
		n = (size_t)sprintf(text, "source BIG \"");
		memset(text + n, 'b', big);
		n += big;
		n += (size_t)sprintf(text + n, "\"\nsource FILL \"");
		memset(text + n, 'f', fill);
		n += fill;
		sprintf(text + n, "\"\n%s", ARENA_TARGET);
		text_to_add = text;
		fail_in_turn("add a text after a filled arena chunk", op_add_text);
	}
	text_only = 0;
	free(text);
}
END_TEST

/* Handing over a rule set (msc_compiler_get_rules) on one compiler, each
 * allocation failing in turn: a refused hand-over leaves the compiler as
 * it was, so it is tried again until it succeeds. */
static void get_rules_in_turn(const char *const *names, const char *const *texts, size_t count)
{
	msc_compiler *c;
	msc_rules *r = NULL;
	long n, base = live;
	size_t i;
	int rc = MSC_ENOMEM;
	ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
	for (i = 0; i < count; i++)
		ck_assert_msg(msc_compiler_add_text(c, names[i], texts[i], strlen(texts[i])) == MSC_OK, "%s",
			      msc_error_message());
	for (n = 1; rc != MSC_OK; n++) {
		r = (msc_rules *)&r;
		countdown = n;
		rc = msc_compiler_get_rules(c, &r);
		countdown = -1;
		ck_assert_msg(rc == MSC_OK || rc == MSC_ENOMEM, "allocation %ld failing: %s", n, msc_status_name(rc));
		if (rc == MSC_ENOMEM)
			ck_assert_ptr_null(r);
		ck_assert_msg(n < 100000, "never succeeds");
	}
	ck_assert_uint_eq(msc_rules_file_count(r), count);
	ck_assert_int_eq(msc_test_verdict(r, RECORD), MSC_CONTRAINDICATED);
	msc_compiler_free(c);
	msc_rules_free(r);
	ck_assert_int_eq(live, base);
}

/* The rule set's JSON names every file: with file names of every length,
 * every append of it is once where the buffer grows. The first file has
 * no ruleset name, so its file name is also its label in the rule set's
 * name: it moves what follows the label by one byte a step, what follows
 * the file's entry by two. The second has a ruleset name: its file name
 * moves what follows by one byte a step. */
START_TEST(finishing_with_file_names_of_every_length)
{
	static const char *const texts[2] = { "source X \"x\"\n", "ruleset b\nversion 2\n" };
	char name[300];
	const char *names[2];
	size_t len;
	for (len = 1; len < sizeof(name); len++) {
		memset(name, 'n', len);
		name[len] = '\0';
		names[0] = name;
		names[1] = "b.rules";
		if (len < 128)
			get_rules_in_turn(names, texts, 2);
		names[0] = "a.rules";
		names[1] = name;
		get_rules_in_turn(names, texts, 2);
	}
}
END_TEST

/* Texts and names larger than an arena chunk take one of their own: the
 * allocation after each is a new chunk, and fails in turn. A source title,
 * a rule's sources, an instruction's text, a message and a fact's path
 * each larger than a chunk; a file name that leaves too little room for
 * the file's hash. */
START_TEST(items_larger_than_an_arena_chunk)
{
	size_t big = ARENA_CHUNK + 600, n = 0;
	char *text = malloc(7 * big + 4096), *name = malloc(ARENA_CHUNK);
	const char *names[1];
	const char *texts[1];
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(name);
#define BIG(fmt_before, c, fmt_after)                               \
	do {                                                        \
		n += (size_t)sprintf(text + n, fmt_before);         \
		memset(text + n, c, big);                           \
		n += big;                                           \
		n += (size_t)sprintf(text + n, fmt_after);          \
	} while (0)
	n += (size_t)sprintf(text, "ruleset long\nversion 2\n");
	BIG("source BIGT \"", 't', "\"\n");
	BIG("source BIGU \"", 'u', "\"\n");
	n += (size_t)sprintf(text + n, "rule L.TAIL1\n  severity caution\n  when always\n  message \"t\"\n  sources BIGT\n");
	BIG("instruction L.AFTER\n  phase after\n  text \"", 'i', "\"\n  sources S000\n");
	BIG("rule L.HEAD\n  severity caution\n  when always\n  message \"", 'm', "\"\n  sources S000\n");
	n += (size_t)sprintf(text + n, "rule L.TAIL2\n  severity caution\n  when always\n  message \"t\"\n  sources BIGT\n");
	BIG("fact plan.", 'p', " yesno\n");
#undef BIG
	names[0] = "long.rules";
	texts[0] = text;
	get_rules_in_turn(names, texts, 1);
	/* the same text under a name of almost a chunk */
	memset(name, 'n', ARENA_CHUNK - 84);
	name[ARENA_CHUNK - 84] = '\0';
	text_to_add = text;
	text_name = name;
	text_rc = MSC_OK;
	fail_in_turn("add a text with a long name", op_add_text);
	text_name = "t.rules";
	free(name);
	free(text);
}
END_TEST

/* msc_compiler_new_from() copies its base into blocks of the new rule
 * set's arena: which copy needs a new block, the only one that can fail,
 * depends on what was copied before. A first file name of every length (in
 * steps of 16 bytes, the copies' alignment), copied first, moves the later
 * copies across the block boundaries. (A rule's questions, copied right
 * after its aligned condition nodes, never come to start a block that
 * needs a new chunk: their copy failing stays unreached.) */
static const char *COPY_TEXT =
	"fact clinic.room enum a b c\n"
	"rule C.ASK\n  severity caution\n  when clinic.room = a\n  message \"m\"\n  sources S000 S001\n"
	"  ask clinic.room \"Which room?\"\n";

static msc_rules *copy_base;

static int op_new_from(void)
{
	msc_compiler *c;
	msc_rules *r = NULL;
	int rc = msc_compiler_new_from(&c, copy_base);
	if (rc != MSC_OK) {
		ck_assert_ptr_null(c);
		return rc;
	}
	UNARMED(rc = msc_compiler_get_rules(c, &r));
	ck_assert_int_eq(rc, MSC_OK);
	ck_assert_ptr_nonnull(msc_rules_find(r, "C.ASK"));
	msc_compiler_free(c);
	msc_rules_free(r);
	return MSC_OK;
}

START_TEST(copying_a_rule_set_across_every_block_boundary)
{
	static char name[16400];
	size_t len;
	for (len = 1; len < sizeof(name); len += 16) {
		msc_compiler *c;
		memset(name, 'n', len);
		name[len] = '\0';
		ck_assert_int_eq(msc_compiler_new(&c), MSC_OK);
		ck_assert_int_eq(msc_compiler_add_text(c, name, COPY_TEXT, strlen(COPY_TEXT)), MSC_OK);
		ck_assert_int_eq(msc_compiler_get_rules(c, &copy_base), MSC_OK);
		msc_compiler_free(c);
		fail_in_turn("start a compiler from a rule set", op_new_from);
		msc_rules_free(copy_base);
	}
}
END_TEST

/* Screening and writing records of many shapes: the result's strings,
 * offsets and missing facts grow where the shape puts them, so that
 * between them every append is, once, the one that must grow. The rule set
 * adds facts under a negation, a list matched against a list included. */
static const char *VARIANT_TEXT =
	"fact patient.age number\n"
	"rule V.NOT\n  severity caution\n"
	"  when not (patient.age < 18 and patient.allergies match plan.ingredients)\n"
	"  message \"n\"\n  sources S000\n";

static msc_rules *variant_rules;
static msc_record *variant_rec;

static int op_screen_variant(void)
{
	msc_result *res;
	char *out = NULL;
	int rc = msc_result_new(&res);
	if (rc == MSC_OK)
		rc = msc_screen(res, variant_rules, variant_rec);
	if (rc == MSC_OK)
		rc = msc_result_to_json(&out, NULL, res);
	msc_free(out);
	msc_result_free(res);
	return rc;
}

START_TEST(screening_records_of_every_shape)
{
	static const char *const facts[] = {
		"pregnant", "breastfeeding", "stroke_history", "insulin_dependent_diabetes", "cancer", "clotting_disorder"
	};
	static const char *const allergies[] = { NULL, "lidocaine", "glorp" };
	char name[64];
	size_t k, a, g, n;
	for (k = 0; k <= 6; k++)
		for (a = 0; a < 3; a++)
			for (g = 0; g < 2; g++) {
				msc_record_clear(variant_rec);
				for (n = 0; n < k; n++)
					ck_assert_int_eq(msc_record_set_answer(variant_rec, facts[n], MSC_NO), MSC_OK);
				if (allergies[a])
					ck_assert_int_eq(msc_record_set_list(variant_rec, "allergies", &allergies[a], 1), MSC_OK);
				if (g) {
					static const char *const ingredients[] = { "biotin", "qqq" };
					ck_assert_int_eq(msc_record_set_list(variant_rec, "ingredients", ingredients, 2), MSC_OK);
				}
				fail_in_turn("screen a record of some shape", op_screen_variant);
			}
	/* an unrecognised name of every length shifts every later string */
	for (n = 1; n < sizeof(name); n++) {
		static const char *const allergy[] = { "glorp" };
		static const char *const ingredients[] = { "biotin", "qqq" };
		const char *meds[2];
		memset(name, 'x', n);
		name[n] = '\0';
		meds[0] = name;
		meds[1] = "Vicodin";
		msc_record_clear(variant_rec);
		ck_assert_int_eq(msc_record_set_list(variant_rec, "medications", meds, 2), MSC_OK);
		ck_assert_int_eq(msc_record_set_list(variant_rec, "allergies", allergy, 1), MSC_OK);
		ck_assert_int_eq(msc_record_set_list(variant_rec, "ingredients", ingredients, 2), MSC_OK);
		ck_assert_int_eq(msc_record_set_number(variant_rec, "age", 30), MSC_OK);
		ck_assert_int_eq(msc_record_set_answer(variant_rec, "numbing_cream", MSC_YES), MSC_OK);
		fail_in_turn("screen a record with a name of some length", op_screen_variant);
	}
}
END_TEST

/* Lists that outgrow the record's own block: set one by one (the pool
 * moves to a block of its own, then grows) and as list values. */
static int op_lists_outgrow_the_record(void)
{
	static const char *const meds[] = { "Eliquis 5 mg", "Xarelto 20 mg", "aspirin 100 mg", "ibuprofen 400 mg",
					    "warfarin 5 mg", "metformin 500 mg", "Frobozz 10 mg", "A10AB01",
					    "Isotretinoin 20 mg", "Clexane 40 mg", "heparin 5000 IU", "Vicodin" };
	static const char *const codes[] = { "E10.9", "Z34", "O09.1", "C50.9", "I63.9", "D68.9", "L50.0", "I50.9",
					     "D65", "D66", "D67", "I61.9", "I64", "O20.0", "O21.0", "O22.0" };
	msc_record *rec = NULL;
	msc_list_value *v[2] = { NULL, NULL };
	int rc = msc_record_new(&rec, shared);
	size_t meds_fact = 0;
	while (rc == MSC_OK && strcmp(msc_rules_fact(shared, meds_fact)->path, "patient.medications") != 0)
		meds_fact++;
	if (rc == MSC_OK)
		rc = msc_record_set_list(rec, "medications", meds, 12);
	if (rc == MSC_OK)
		rc = msc_record_set_list(rec, "conditions", codes, 16);
	if (rc == MSC_OK)
		rc = msc_list_value_new(&v[0], shared, meds_fact, meds, NULL, 12);
	if (rc == MSC_OK)
		rc = msc_list_value_new(&v[1], shared, meds_fact, meds + 4, NULL, 8);
	msc_record_free(rec);
	rec = NULL;
	if (rc == MSC_OK)
		rc = msc_record_new(&rec, shared);
	if (rc == MSC_OK)
		rc = msc_record_set_list_values(rec, meds_fact, (const msc_list_value *const *)v, 2);
	if (rc == MSC_OK) {
		msc_result *res = NULL;
		UNARMED(rc = msc_result_new(&res));
		ck_assert_int_eq(rc, MSC_OK);
		UNARMED(rc = msc_screen(res, shared, rec));
		ck_assert_int_eq(rc, MSC_OK);
		ck_assert_uint_eq(msc_result_unrecognized_count(res, MSC_LIST_MEDICATIONS), 2);
		msc_result_free(res);
	}
	msc_list_value_free(v[0]);
	msc_list_value_free(v[1]);
	msc_record_free(rec);
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
	{ "parse, screen and write with a clinic file", op_clinic_screen },
	{ "parse a long escaped string", op_parse_long_escaped },
	{ "write the questionnaire of an empty record", op_questions_empty },
	{ "screen a batch filled by a callback", op_fill },
	{ "screen a batch of records held in memory", op_records },
	{ "set lists that outgrow the record's own block", op_lists_outgrow_the_record },
};

static void fail_in_turn(const char *name, operation op)
{
	long n, base;
	int rc = MSC_ENOMEM;
	for (n = 1; rc != MSC_OK; n++) {
		base = live;
		countdown = n;
		rc = op();
		countdown = -1;
		ck_assert_msg(rc == MSC_OK || rc == MSC_ENOMEM, "%s, allocation %ld failing: %s (%s)",
			      name, n, msc_status_name(rc), msc_error_message());
		ck_assert_msg(live == base, "%s, allocation %ld failing: %ld allocations leaked", name,
			      n, live - base);
		assert_shared_usable();
		ck_assert_msg(n < 100000, "%s never succeeds", name);
	}
	ck_assert_msg(n > 2, "%s allocated nothing: the test proves nothing", name);
}

START_TEST(every_allocation_fails_in_turn)
{
	fail_in_turn(ops[_i].name, ops[_i].op);
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
	    msc_record_from_json(op_rec, RECORD, strlen(RECORD)) || msc_screen(op_res, shared, op_rec) ||
	    msc_record_new(&empty_rec, shared))
		return 1;
	{
		msc_compiler *c;
		if (msc_compiler_new(&c) || msc_compiler_add_text(c, "c.rules", CLINIC, strlen(CLINIC)) ||
		    msc_compiler_get_rules(c, &clinic))
			return 1;
		msc_compiler_free(c);
		if (msc_compiler_new(&c) || msc_compiler_add_text(c, "v.rules", VARIANT_TEXT, strlen(VARIANT_TEXT)) ||
		    msc_compiler_get_rules(c, &variant_rules) || msc_record_new(&variant_rec, variant_rules))
			return 1;
		msc_compiler_free(c);
	}
	tcase_add_test(tc, screening_records_of_every_shape);
	tcase_add_test(tc, every_arena_allocation_of_a_text_fails_once);
	tcase_add_test(tc, finishing_with_file_names_of_every_length);
	tcase_add_test(tc, items_larger_than_an_arena_chunk);
	tcase_add_test(tc, copying_a_rule_set_across_every_block_boundary);
	tcase_add_loop_test(tc, every_allocation_fails_in_turn, 0, (int)(sizeof(ops) / sizeof(ops[0])));
	tcase_add_loop_test(tc, every_allocation_of_a_text_fails_in_turn, 0, (int)(sizeof(texts) / sizeof(texts[0])));
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	rc = msc_test_main(s);
	msc_result_free(op_res);
	msc_record_free(op_rec);
	msc_record_free(empty_rec);
	msc_rules_free(clinic);
	msc_record_free(variant_rec);
	msc_rules_free(variant_rules);
	msc_rules_free(shared);
	return rc;
}
