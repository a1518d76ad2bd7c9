/*
 * libmesoscreen internals, shared by the library's modules. Not installed.
 *
 * The modules:
 *   alloc.c, error.c, buf.c      memory, the thread-local last error, buffers
 *   lexicons/lexicon.c           name normalisation and look-up (data: *.tsv)
 *   rules/compiler.c             the rule language: parse and compile
 *   rules/ruleset.c              the compiled, immutable rule set; its conditions
 *                                compiled to one flat program (msc_op)
 *   record.c                     the intake record (facts, normalised once)
 *   screen.c                     evaluation of the rule table (tri-state)
 *   result.c                     the caller-owned result
 *   json/record_json.c           JSON intake record in (yajl's events)
 *   json/result_json.c           result, rule table, questionnaire out
 */
#ifndef MSC_INTERNAL_H
#define MSC_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "mesoscreen/mesoscreen.h"

#if defined(__GNUC__)
#define MSC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define MSC_PREFETCH(p) __builtin_prefetch(p)
#else
#define MSC_PRINTF(f, a)
#define MSC_PREFETCH(p) ((void)(p))
#endif

/* ---------------------------------------------------------------- memory */

void *msc__malloc(size_t size);
void *msc__calloc(size_t count, size_t size);
void *msc__realloc(void *ptr, size_t size);
void msc__free(void *ptr);
char *msc__strndup(const char *s, size_t n);
/* Grows *array (of elements of `size` bytes) to hold at least `need`;
 * inline when it already does. */
int msc__grow_slow(void **array, size_t *cap, size_t need, size_t size);
static inline int msc__grow(void **array, size_t *cap, size_t need, size_t size)
{
	return need <= *cap ? 0 : msc__grow_slow(array, cap, need, size);
}

/* ---------------------------------------------------------------- errors */

/* Records the last error of this thread and returns `code`. */
int msc__fail(int code, const char *fmt, ...) MSC_PRINTF(2, 3);
void msc__clear_error(void);

/* ---------------------------------------------------------------- buffers */

typedef struct msc_buf {
	char *data;
	size_t len;
	size_t cap;
} msc_buf;

/* Appends n bytes (kept NUL-terminated); the common case, room to spare,
 * is inline. */
int msc__buf_append_slow(msc_buf *b, const char *s, size_t n);
static inline int msc_buf_append(msc_buf *b, const char *s, size_t n)
{
	if (b->len + n < b->cap) {
		memcpy(b->data + b->len, s, n);
		b->len += n;
		b->data[b->len] = '\0';
		return 0;
	}
	return msc__buf_append_slow(b, s, n);
}
static inline int msc_buf_puts(msc_buf *b, const char *s)
{
	return msc_buf_append(b, s, strlen(s));
}
void msc_buf_free(msc_buf *b);

/* A string arena: everything freed at once. */
typedef struct msc_arena_chunk msc_arena_chunk;
typedef struct msc_arena {
	msc_arena_chunk *head;
} msc_arena;

void *msc_arena_alloc(msc_arena *a, size_t size);
char *msc_arena_strndup(msc_arena *a, const char *s, size_t n);
char *msc_arena_strdup(msc_arena *a, const char *s);
void msc_arena_free(msc_arena *a);

/* Whether s[0..n) is valid UTF-8. */
int msc_utf8_valid(const char *s, size_t n);

/* ---------------------------------------------------------------- lexicons */

typedef enum msc_lex_table {
	MSC_LEX_NONE = -1,
	MSC_LEX_MEDICATION = 0,
	MSC_LEX_INGREDIENT = 1,
	MSC_LEX_ALLERGEN = 2
} msc_lex_table;

typedef struct msc_lex_entry {
	const char *name;               /* canonical (generic) name */
	const char *atc;                /* "B01AC06|N02BA01", or NULL */
	const unsigned short *expands;  /* ingredients: itself and all it contains, sorted */
	unsigned short expand_count;
} msc_lex_entry;

typedef struct msc_lex_key {
	const char *key;
	unsigned short entry;
} msc_lex_key;

typedef struct msc_lex_class_prefix {
	unsigned short cls;             /* index into msc__lex_class_names */
	unsigned char include;          /* 1 include, 0 exclude */
	const char *prefix;
} msc_lex_class_prefix;

typedef struct msc_lex_code {
	const char *system;             /* "icd10" or "atc" */
	const char *prefix;             /* upper case, without dots */
	const char *fact;               /* "patient.pregnant" */
} msc_lex_code;

/* Generated from the lexicon TSV files (lexicon_data.c). */
extern const msc_lex_entry *const msc__lex_tables[3];
extern const size_t msc__lex_sizes[3];
extern const msc_lex_key *const msc__lex_keys[3];
extern const size_t msc__lex_key_counts[3];
extern const char *const msc__lex_class_names[];
extern const size_t msc__lex_class_count;
extern const msc_lex_class_prefix msc__lex_class_prefixes[];
extern const size_t msc__lex_class_prefix_count;
extern const msc_lex_code msc__lex_codes[];
extern const size_t msc__lex_code_count;
/* A sorted index of prefixes (classes.tsv's, codes.tsv's of one system):
 * by the prefix's bytes, rows of equal prefix in table order; `lengths`
 * has bit k set when a prefix is k bytes long. */
typedef struct msc_lex_prefix {
	const char *text;
	unsigned short len;
	unsigned short row;             /* of msc__lex_class_prefixes or msc__lex_codes */
} msc_lex_prefix;

typedef struct msc_lex_prefixes {
	const msc_lex_prefix *v;
	size_t count;
	unsigned lengths;
} msc_lex_prefixes;

extern const msc_lex_prefixes msc__lex_class_prefix_index;
extern const msc_lex_prefixes msc__lex_code_prefixes[2]; /* [0] ATC, [1] ICD-10 */
extern const char *const msc__lex_modifiers[]; /* sorted words stripped from names */
extern const size_t msc__lex_modifier_count;

#define MSC_NORM_MAX (MSC_MAX_TEXT + 1)

/* A name looked up: which table and entry, or MSC_LEX_NONE. */
typedef struct msc_lex_hit {
	msc_lex_table table;
	int entry;
	unsigned classes;       /* medication classes (bit per class) */
	char code[16];          /* an ATC code given as the name itself, upper case */
} msc_lex_hit;

/* Lower-cases, drops punctuation, doses and units into `out` (MSC_NORM_MAX). */
void msc_lex_normalize(const char *in, size_t n, char *out);
/* Looks a normalised name up in `table`; for medications also ATC codes. */
int msc_lex_lookup(msc_lex_table table, const char *norm, const char *raw, msc_lex_hit *hit);
/* The classes (bit mask) of an ATC code list "B01AC06|N02BA01". */
unsigned msc_lex_atc_classes(const char *atc);
/* Index of a class name, or -1. */
int msc_lex_class_index(const char *name);
/* Whether an ingredient entry's expansion meets another's. */
int msc_lex_ingredients_meet(int a, int b);
/* Calls found(row, ctx) for every row of msc__lex_codes of the system
 * (ICD-10 if icd, else ATC) whose prefix starts `code` (upper case, no dot),
 * rows of equal prefix in table order, shorter prefixes first. */
void msc_lex_code_rows(int icd, const char *code, size_t len,
		       void (*found)(size_t row, void *ctx), void *ctx);
/* Canonicalises an ICD-10 code into out[16] (upper case, no dot); 0 if not one. */
int msc_lex_icd10(const char *s, size_t n, char *out);

/* ---------------------------------------------------------------- rule set */

typedef enum msc_fact_type {
	MSC_FT_YESNO,
	MSC_FT_NUMBER,
	MSC_FT_ENUM,
	MSC_FT_MEDICATIONS,
	MSC_FT_ALLERGIES,
	MSC_FT_INGREDIENTS,
	MSC_FT_CODES
} msc_fact_type;

#define MSC_FT_IS_LIST(t) ((t) >= MSC_FT_MEDICATIONS)

/* Value states. */
enum { MSC_VS_UNKNOWN = 0, MSC_VS_VALUE, MSC_VS_NONE, MSC_VS_NEVER };

#define MSC_MAX_ENUM 64

typedef struct msc_fact {
	msc_fact_info info;       /* public view */
	msc_fact_type type;
	int place;                /* a number's index in msc_record.numbers, a list's
				   * in .lists and rules->list_facts (msc__rules_finish) */
	const char *name;         /* bare name, after the section */
	int section;              /* index into rules->sections */
	int has_default;
	int default_state;        /* MSC_VS_* */
	double default_number;
	int default_answer;
	int default_enum;
	double min, max;
	int min_exclusive;
	/* "patient.pregnant = yes": what a result says of each value, made
	 * once (msc__rules_finish). Yes/no: [0] no, [1] yes, [2] unknown;
	 * enum: one per value, then unknown. NULL for other types. */
	const char **said;
	/* a "missing" entry's ,"fact":...,"question":...} with the fact's own
	 * question, escaped once (msc__rules_finish) */
	const char *json_missing;
	size_t json_missing_len;
} msc_fact;

typedef enum msc_node_kind {
	MSC_N_ALWAYS,
	MSC_N_AND,
	MSC_N_OR,
	MSC_N_NOT,
	MSC_N_YESNO,      /* fact is yes (or, with want = 0, is no) */
	MSC_N_COMPARE,    /* number fact op number */
	MSC_N_ENUM,       /* enum fact in mask (negate for !=) */
	MSC_N_HAS_CLASS,  /* medications has class C */
	MSC_N_HAS_UNRECOGNIZED,
	MSC_N_HAS_NAME,   /* list has a lexicon entry (or the exact normalised name) */
	MSC_N_MATCH_LIST, /* allergies match ingredients */
	MSC_N_MATCH_NAME  /* allergies match "ingredient" */
} msc_node_kind;

typedef enum msc_cmp { MSC_LT, MSC_LE, MSC_GT, MSC_GE, MSC_EQ, MSC_NE } msc_cmp;

typedef struct msc_node {
	msc_node_kind kind;
	int fact;
	int fact2;
	msc_cmp op;
	double number;
	uint64_t mask;
	int negate;
	int want;
	unsigned cls;
	msc_lex_hit hit;          /* HAS_NAME / MATCH_NAME */
	const char *text;         /* the name as written, normalised */
	struct msc_node *a, *b;
	unsigned slot;            /* its op in rules->ops (msc__rules_finish) */
} msc_node;

/* The rule table compiled to one flat program (msc__rules_finish), run
 * once per screening in a single loop, without recursion: op i writes its
 * tri-state value to slot i of a scratch array, after the ops of its
 * operands (postfix order). A rule then reads its condition from its slot;
 * a finding's "because" and the missing questions read a node's value from
 * the node's slot instead of evaluating it again. */
typedef enum msc_op_code {
	MSC_OP_YES,       /* op 0: the condition of the rules without one */
	MSC_OP_YESNO,     /* yes/no fact `fact` is `arg` (1 yes, 0 no) */
	MSC_OP_ENUM,      /* enum fact in u.mask (arg: negated) */
	MSC_OP_COMPARE,   /* number fact (msc_cmp)arg u.number */
	MSC_OP_NODE,      /* any other leaf: msc__eval(u.node) (lists, always) */
	MSC_OP_AND,       /* slots u.s.a and u.s.b */
	MSC_OP_OR,
	MSC_OP_NOT,       /* slot u.s.a */
	MSC_OP_SKIP_IF_NO /* an `and` whose left, slot u.s.a, is no: slot u.s.b (the
			   * and) is no and the program goes on after it */
} msc_op_code;

typedef struct msc_op {
	unsigned char code;       /* msc_op_code */
	unsigned char arg;
	int fact;
	union {
		double number;
		uint64_t mask;
		const msc_node *node;
		struct { unsigned a, b; } s;
	} u;
} msc_op;

typedef struct msc_ask {
	int fact;
	const char *question;
	const char *json;         /* ,"fact":...,"question":...} (msc__rules_finish) */
	size_t json_len;
} msc_ask;

typedef struct msc_rule {
	msc_rule_info info;       /* public view */
	/* its constant JSON in a result, escaped once (msc__rules_finish): a
	 * finding's {"rule","severity","message" and ,"sources":[...]}, or an
	 * instruction's whole {"id","text"} */
	const char *json_head, *json_tail;
	size_t json_head_len, json_tail_len;
	const char *json_rule;    /* a "missing" entry's {"rule":... */
	size_t json_rule_len;
	msc_node *when;           /* NULL: always */
	size_t cond;              /* the slot of its condition in rules->ops (msc__rules_finish) */
	msc_ask *asks;
	size_t ask_count;
} msc_rule;

struct msc_rules {
	msc_arena arena;
	char *name;
	char *version;
	msc_rules_file *files;
	size_t file_count, file_cap;
	size_t override_count;    /* rules changed by a clinic file */
	int *code_facts;          /* per row of msc__lex_codes: the yes/no fact it sets, or -1 */
	unsigned *fact_slots;     /* hash of fact paths and bare names (msc__rules_finish) */
	int *list_facts;          /* the list facts, in table order */
	size_t list_fact_count;
	size_t number_fact_count; /* the number facts (msc_fact.place) */
	int *name_facts;          /* medications, allergies, ingredients facts: */
	size_t name_start[4];     /* kind k is name_facts[name_start[k]..name_start[k + 1]) */
	const char *ruleset_json; /* {"name","version","files"} of a result */
	size_t ruleset_json_len;
	size_t fact_slot_mask;
	char **sections;
	size_t section_count;
	msc_fact *facts;
	size_t fact_count, fact_cap;
	msc_rule *rules;
	size_t rule_count, rule_cap;
	msc_op *ops;              /* the rules' conditions as one program (msc__rules_finish) */
	size_t op_count;          /* the scratch a screening needs */
	uint32_t *conds;          /* per rule, in table order: its condition's slot in ops
				   * (msc_rule.cond), read alone by the rule loop, which
				   * skips a rule whose condition is no without touching
				   * its msc_rule (about 180 bytes) */
	size_t phase_rules[2];    /* instructions before, after: the most a result gives */
};

/* Builds the look-ups of a finished rule set (code rows, fact names). */
int msc__rules_finish(msc_rules *rules);
/* Index of a fact by path or bare name, or -1 (a hash once finished). */
int msc__rules_fact_index(const msc_rules *rules, const char *name, size_t len);
int msc__rules_section_index(const msc_rules *rules, const char *name, size_t len);
/* The question to ask for `fact` on behalf of `rule`, and in *json the
 * "fact" and "question" members of a result's "missing" entry that asks
 * it (escaped once per rule set). */
const char *msc__rule_question(const msc_rules *rules, const msc_rule *rule, int fact, const char **json,
			       size_t *json_len);

/* SHA-256 of data as 64 hex digits. */
void msc_sha256_hex(const char *data, size_t len, char out[65]);

/* The built-in rule text (generated from rules/builtin.rules). */
extern const char msc__builtin_rules[];
extern const size_t msc__builtin_rules_len;

/* ---------------------------------------------------------------- record */

/*
 * A parsed record is laid out for screening a cohort of records held in
 * memory, one after the other: a screening reads every fact of a record,
 * so what it reads is kept to a few hundred bytes, dense and in one block,
 * or a cohort that outgrows the cache pays a miss for every piece of a
 * record. msc_record_new() makes the block:
 *
 *   [msc_record | numbers | lists | hot | present | pool]
 *
 *   numbers   per number fact (msc_fact.place): its value.
 *   lists     per list fact (msc_fact.place): where its items are in the
 *             pool, and how many (msc_region).
 *   hot       per fact: set, state, whether a code says yes, the answer
 *             (yes/no) or word (enum). 4 bytes a fact (msc_hot).
 *   present   per section: given in the record.
 *   pool      every list's items, each list a region of its own:
 *             [msc_item[count] | normalised names | names as given, ATC
 *             codes given as names | code hits]. A screening reads the
 *             items (16 bytes: the look-up, offsets) and the normalised
 *             names; the names as given only a finding's "because" and the
 *             unrecognised names; the code hits (the rows of msc__lex_codes
 *             the items match, record.c) only the setters and the
 *             "because" of a code. Offsets, not pointers: the pool moves.
 *             The pool starts in the record's own block (MSC_POOL_INLINE
 *             bytes: the lists of a seeded cohort's records take 208 on
 *             average, at most 572) and moves to a block of its own only
 *             when the record's lists outgrow it (then for the record's
 *             life).
 * A screening asks for the block's lines at once before it reads the
 * record (screen.c), so that their misses overlap: where they are is known
 * from the rule set alone (msc__record_layout).
 * A list is written after the pool's last region, then made the fact's
 * value by its msc_region: a list that fails leaves the record as it was,
 * and the region a list replaces is garbage until the pool, full, is
 * compacted (record.c).
 */
#define MSC_POOL_INLINE 512

typedef struct msc_hot {
	unsigned char set;        /* explicitly set by the caller */
	unsigned char state;      /* MSC_VS_* when set */
	unsigned char coded;      /* a code in the record says yes (msc__record_coded_by) */
	union {
		signed char answer;       /* yes/no: msc_answer */
		unsigned char enum_index; /* enum: < MSC_MAX_ENUM */
	} u;
} msc_hot;

_Static_assert(sizeof(msc_hot) == 4, "msc_hot: 4 bytes a fact");

/* A list's entry, as a screening reads it; the strings at offsets from the
 * start of the list's region (below 64 KiB: MSC_MAX_LIST entries of at
 * most MSC_MAX_TEXT bytes). */
typedef struct msc_item {
	unsigned classes;         /* msc_lex_hit's */
	int entry;                /* msc_lex_hit's: an entry of `table`, or -1 */
	uint16_t norm;            /* the name normalised */
	uint16_t text;            /* the name as given */
	signed char table;        /* msc_lex_table */
	unsigned char atc;        /* the name is an ATC code (msc_lex_hit.code): it
				   * follows the name as given (msc__item_atc) */
} msc_item;

_Static_assert(sizeof(msc_item) == 16, "msc_item: 16 bytes an entry");

/* A list fact's value: its region of a pool. An empty list has none. */
typedef struct msc_region {
	uint32_t off;             /* the region, from the pool's start (a multiple of 4) */
	uint32_t count;           /* entries */
	uint32_t hits_at;         /* its code hits, from off: the size of the rest */
	uint32_t hits;            /* how many */
} msc_region;

_Static_assert(sizeof(msc_region) == 16, "msc_region: 16 bytes a list fact");

typedef struct msc_pool {
	unsigned char *data;      /* 8-byte aligned */
	size_t len, cap;          /* in use (live regions and garbage), room */
	int own;                  /* data is a block of its own, not the record's */
} msc_pool;

struct msc_record {
	/* what a screening reads first */
	const msc_rules *rules;
	msc_hot *hot;             /* per fact (see above) */
	double *numbers;          /* per number fact */
	msc_region *lists;        /* per list fact */
	unsigned char *present;   /* per section */
	msc_pool pool;            /* the lists' regions */
	size_t value_count;       /* the rule set's facts, kept so that freeing never reads the rules */
	size_t section_count;
};

_Static_assert(sizeof(struct msc_record) % 8 == 0, "the numbers follow the record");

/* Where the parts of a record's block start (internal.h), for a rule set:
 * known without reading the record. */
typedef struct msc_record_layout {
	size_t lists, hot, present, pool;
} msc_record_layout;

static inline msc_record_layout msc__record_layout(const msc_rules *rules)
{
	msc_record_layout l;
	l.lists = sizeof(struct msc_record) + rules->number_fact_count * sizeof(double);
	l.hot = l.lists + rules->list_fact_count * sizeof(msc_region);
	l.present = l.hot + rules->fact_count * sizeof(msc_hot);
	l.pool = (l.present + rules->section_count + 7) & ~(size_t)7;
	return l;
}

/* The setters by fact index (the public ones find the index by name and
 * call these). `lens` may be NULL (NUL-terminated items); with lengths,
 * an item holding a NUL is refused. */
int msc__record_set_answer(msc_record *rec, int fact, msc_answer value);
int msc__record_set_number(msc_record *rec, int fact, double value);
int msc__record_set_word(msc_record *rec, int fact, const char *word, size_t len);
int msc__record_set_list(msc_record *rec, int fact, const char *const *items, const size_t *lens,
			 size_t count);
int msc__record_unset(msc_record *rec, int fact);

/* The code, as given, that makes yes/no fact `fact` yes (hot.coded), and
 * in *from the list fact that holds it. */
const char *msc__record_coded_by(const msc_record *rec, int fact, int *from);

/* A list's entries, and the strings of its entries by offset. */
static inline const msc_item *msc__list_items(const msc_record *r, const msc_region *l)
{
	return (const msc_item *)(const void *)(r->pool.data + l->off);
}
static inline const char *msc__list_str(const msc_record *r, const msc_region *l, unsigned off)
{
	return (const char *)r->pool.data + l->off + off;
}
/* Entry i's name as given. */
static inline const char *msc__list_text(const msc_record *r, const msc_region *l, size_t i)
{
	return msc__list_str(r, l, msc__list_items(r, l)[i].text);
}

/* The ATC code of an entry whose name is one (msc_item.atc), upper case:
 * after the name as given, in the list's region. */
static inline const char *msc__item_atc(const unsigned char *region, const msc_item *it)
{
	const char *text = (const char *)region + it->text;
	return text + strlen(text) + 1;
}

/* The effective state of a fact (defaults applied). */
static inline int msc__record_state(const msc_record *r, int fi, const msc_hot **value)
{
	const msc_hot *v = &r->hot[fi];
	const msc_fact *f = &r->rules->facts[fi];
	*value = v;
	/* `default none` means absent or unknown is "not given", plan or no
	 * plan (PR.DEPTH only fires on a given depth); a value default (a plan
	 * switch) applies to an absent field of a present section only */
	if (f->has_default && f->default_state == MSC_VS_NONE &&
	    (!v->set || v->state == MSC_VS_UNKNOWN))
		return MSC_VS_NONE;
	if (v->set)
		return v->state;
	if (f->has_default && r->present[f->section])
		return f->default_state;
	return MSC_VS_UNKNOWN;
}

/* Effective yes/no answer (codes win, then the answer, then the default). */
static inline int msc__record_answer(const msc_record *r, int fi)
{
	const msc_hot *v = &r->hot[fi];
	const msc_fact *f = &r->rules->facts[fi];
	if (v->coded)
		return MSC_YES;
	if (v->set)
		return v->state == MSC_VS_VALUE ? v->u.answer : MSC_UNKNOWN;
	if (f->has_default && r->present[f->section])
		return f->default_answer;
	return MSC_UNKNOWN;
}

/* How much of a result a screening builds: all of it (msc_screen), or
 * only what decides the verdict and which rules fired, for a batch that
 * keeps no result JSON (batch.h). A verdict-only result has no "because"
 * strings, no unrecognised names and at most one missing entry (enough
 * to know a question is open): its verdict and its findings' ids, in
 * order, are those of the full result, and nothing else of it is read. */
enum { MSC__SCREEN_FULL, MSC__SCREEN_VERDICT };
int msc__screen(msc_result *r, const msc_rules *rules, const msc_record *rec, int depth);

/* Asks for the memory a screening of rec will read: its block (without
 * reading the record), then its lists beyond it (reads its header, so
 * ask for the block a little before). screen.c. */
void msc__record_prefetch_block(const msc_record *rec, const msc_rules *rules);
void msc__record_prefetch_lists(const msc_record *rec, const msc_rules *rules);

/* JSON in, nested or flat (batch.h's MSC_BATCH_FLAT). */
int msc__record_from_json(msc_record *rec, const char *json, size_t len, int flat);

/* Escapes the constant parts of every rule's JSON, and the rule set's, once. */
int msc__rules_json_fragments(msc_rules *rules);

/* Appends a result's JSON (one line) to b. */
int msc__result_write_json(msc_buf *b, const msc_result *res);
/* The rule table (msc_rules_to_json) and the questionnaire of a screening
 * (msc_questions_to_json) appended to b; MSC_ENOMEM if b could not grow. */
int msc__rules_write_json(msc_buf *b, const msc_rules *rules);
int msc__questions_write_json(msc_buf *b, const msc_rules *rules, const msc_result *res);

/* The rule behind finding i, or behind instruction i of a phase. */
const msc_rule *msc__result_finding_rule(const msc_result *res, size_t i);
const msc_rule *msc__result_instruction_rule(const msc_result *res, int after, size_t i);
/* Missing entry i's rule, and its "fact" and "question" members as JSON. */
const msc_rule *msc__result_missing_json(const msc_result *res, size_t i, const char **json, size_t *len);

/* The rule set a result was screened with (NULL before any screening). */
const msc_rules *msc__result_rules(const msc_result *res);

/* ---------------------------------------------------------------- evaluation */

/* Tri-state: MSC_YES, MSC_NO, MSC_UNKNOWN. The tree walk, for one node
 * (the leaves of a program that are not yes/no, enum or number tests) or a
 * whole condition (the reference the programs are tested against). */
int msc__eval(const msc_node *node, const msc_record *rec);

#endif
