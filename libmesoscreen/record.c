/*
 * The intake record. Every setter validates its input whole before
 * changing anything; names are normalised and looked up once, here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The rows of msc__lex_codes that the items of a list of codes or
 * medications match (item by item, in the order msc_lex_code_rows() gives
 * them), found when the list is set, so that recompute_codes() replays
 * them instead of looking every list up again. */
typedef struct code_hit {
	size_t row, item;
} code_hit;

typedef struct code_cache {
	code_hit *v;
	size_t n, cap;
} code_cache;

/* A record as msc_record_new() makes it: the record, then what only this
 * file reads. A list is read into `spare` with its codes, then swapped
 * with the fact's value: a list that fails leaves the record as it was.
 * Its hot facts and present flags follow it in the same block (internal.h). */
typedef struct record_ext {
	msc_record rec;        /* first: a record's address is its ext's */
	code_cache *codes;     /* per fact */
	msc_value spare;
	code_cache spare_codes;
} record_ext;

/* A list value made once, set into any number of records (record.h). */
struct msc_list_value {
	const msc_rules *rules;
	int fact;
	msc_value value;       /* its items and their text, as a record holds them */
	code_cache codes;
};

static code_cache *codes_of(msc_record *r, int fi)
{
	return &((record_ext *)r)->codes[fi];
}

MSC_EXTERN(int) msc_record_new(msc_record **out, const msc_rules *rules)
{
	record_ext *x;
	msc_record *r;

	if (!out)
		return msc__fail(MSC_EINVAL, "out is NULL");
	*out = NULL;
	if (!rules)
		return msc__fail(MSC_EINVAL, "rules is NULL");
	/* sizeof(record_ext) is a multiple of its alignment, msc_hot's */
	x = msc__calloc(1, sizeof(*x) + rules->fact_count * sizeof(msc_hot) + rules->section_count);
	if (!x)
		return msc__fail(MSC_ENOMEM, "out of memory");
	r = &x->rec;
	r->rules = rules;
	r->value_count = rules->fact_count;
	r->section_count = rules->section_count;
	r->hot = (msc_hot *)(x + 1);
	r->present = (unsigned char *)(r->hot + rules->fact_count);
	r->values = msc__calloc(rules->fact_count, sizeof(msc_value));
	x->codes = msc__calloc(rules->fact_count, sizeof(code_cache));
	if (!r->values || !x->codes) {
		msc_record_free(r);
		return msc__fail(MSC_ENOMEM, "out of memory");
	}
	*out = r;
	return MSC_OK;
}

static void free_value(msc_value *v)
{
	msc__free(v->items);
	msc_buf_free(&v->text);
}

MSC_EXTERN(void) msc_record_free(msc_record *r)
{
	record_ext *x = (record_ext *)r;
	size_t i;
	if (!r)
		return;
	for (i = 0; i < r->value_count; i++) {
		if (r->values)
			free_value(&r->values[i]);
		if (x->codes)
			msc__free(x->codes[i].v);
	}
	free_value(&x->spare);
	msc__free(x->spare_codes.v);
	msc__free(x->codes);
	msc__free(r->values);
	msc__free(r);
}

/* Forgets fact fi's value, but not a code's yes (forget_code). */
static void reset_value(msc_record *r, size_t fi)
{
	r->hot[fi].set = 0;
	r->hot[fi].state = MSC_VS_UNKNOWN;
	r->values[fi].item_count = 0;
	r->values[fi].text.len = 0;
}

static void forget_code(msc_record *r, size_t fi)
{
	r->hot[fi].coded = 0;
	r->values[fi].coded_by = NULL;
}

/* Every fact back to unset: the hot part holds all of a fact's state, and
 * of the cold part only a list's items are read without a hot flag saying
 * they are there (a code's coded_by only with hot.coded), so that clearing
 * a record between rows touches the dense hot array and the list facts. */
MSC_EXTERN(void) msc_record_clear(msc_record *r)
{
	size_t i;
	if (!r)
		return;
	for (i = 0; i < r->value_count; i++) {
		r->hot[i].set = 0;
		r->hot[i].state = MSC_VS_UNKNOWN;
		r->hot[i].coded = 0;
	}
	for (i = 0; i < r->rules->list_fact_count; i++) {
		msc_value *v = &r->values[r->rules->list_facts[i]];
		v->item_count = 0;
		v->text.len = 0;
	}
	memset(r->present, 0, r->section_count);
}

static int find_fact(msc_record *r, const char *field, int *out)
{
	if (!r || !field)
		return msc__fail(MSC_EINVAL, "record or field is NULL");
	*out = msc__rules_fact_index(r->rules, field, strlen(field));
	if (*out < 0) {
		if (strlen(field) > MSC_MAX_TEXT)
			return msc__fail(MSC_EFIELD, "%.64s...: unknown field", field);
		return msc__fail(MSC_EFIELD, "%s: unknown field", field);
	}
	return MSC_OK;
}

static const char *type_words(msc_fact_type t)
{
	switch (t) {
	case MSC_FT_YESNO: return "a yes/no answer";
	case MSC_FT_NUMBER: return "a number";
	case MSC_FT_ENUM: return "one of its words";
	default: return "a list";
	}
}

static int wrong_type(const msc_fact *f, const char *given)
{
	return msc__fail(MSC_EFIELD, "%s: expected %s, not %s", f->info.path, type_words(f->type), given);
}

static void mark_set(msc_record *r, int fi, int state)
{
	msc_hot *v = &r->hot[fi];
	v->set = 1;
	v->state = (unsigned char)state;
	r->present[r->rules->facts[fi].section] = 1;
}

/* Codes in the record (ICD-10 conditions, ATC codes of medications) that
 * set a yes/no fact to yes. Recomputed whenever one of those lists changes:
 * each code is looked up by its prefixes in the sorted code rows (once per
 * list: see code_cache). For each fact the first row in table order wins,
 * then the first list and item, so that the finding names the same code
 * whatever the record's order. */
static void code_found(msc_record *r, int from, const msc_item *item, size_t row)
{
	int target = r->rules->code_facts[row];
	msc_value *v;
	/* never -1 while every codes.tsv row names a yes/no fact of
	 * builtin.rules (test_coverage's code_rows_set_yes_no_facts): kept so
	 * that a row which did not could never write outside values[] */
	if (target < 0) /* GCOVR_EXCL_BR_LINE */
		return; /* GCOVR_EXCL_LINE */
	v = &r->values[target];
	if (r->hot[target].coded && v->coded_row <= row)
		return;
	v->coded_by = item->text;
	v->coded_from = from;
	v->coded_row = row;
	r->hot[target].coded = 1;
}

typedef struct code_walk {
	const msc_value *v;
	size_t item;
	code_cache *cache;
	int oom;
} code_walk;

static void row_found(size_t row, void *p)
{
	code_walk *w = p;
	void *arr = w->cache->v;
	if (w->oom || msc__grow(&arr, &w->cache->cap, w->cache->n + 1, sizeof(code_hit))) {
		w->oom = 1;
		return;
	}
	w->cache->v = arr;
	w->cache->v[w->cache->n].row = row;
	w->cache->v[w->cache->n++].item = w->item;
}

/* Finds the code rows of every item of a list of type t into `cache`:
 * MSC_OK, or MSC_ENOMEM. Nothing to do for the other lists. */
static int cache_codes(msc_fact_type t, const msc_value *v, code_cache *cache)
{
	code_walk w = { v, 0, cache, 0 };
	size_t i;

	cache->n = 0;
	if (t != MSC_FT_CODES && t != MSC_FT_MEDICATIONS)
		return MSC_OK;
	for (i = 0; i < v->item_count; i++) {
		const msc_item *it = &v->items[i];
		const char *atc = NULL;
		w.item = i;
		if (t == MSC_FT_CODES) {
			msc_lex_code_rows(1, it->norm, strlen(it->norm), row_found, &w);
			continue;
		}
		if (it->hit.code[0])
			atc = it->hit.code;
		else if (it->hit.entry >= 0 && it->hit.table == MSC_LEX_MEDICATION)
			atc = msc__lex_tables[MSC_LEX_MEDICATION][it->hit.entry].atc;
		while (atc && *atc) { /* "B01AC06|N02BA01" */
			const char *bar = strchr(atc, '|');
			size_t n = bar ? (size_t)(bar - atc) : strlen(atc);
			msc_lex_code_rows(0, atc, n, row_found, &w);
			atc = bar ? bar + 1 : NULL;
		}
	}
	return w.oom ? MSC_ENOMEM : MSC_OK;
}

static void recompute_codes(msc_record *r)
{
	const msc_rules *rules = r->rules;
	size_t f, i, k;

	for (f = 0; f < rules->fact_count; f++)
		forget_code(r, f);
	for (k = 0; k < rules->list_fact_count; k++) {
		int fi = rules->list_facts[k];
		const msc_value *v = &r->values[fi];
		msc_fact_type t = rules->facts[fi].type;
		const code_cache *cache = codes_of(r, fi);
		if (!r->hot[fi].set || r->hot[fi].state != MSC_VS_VALUE ||
		    (t != MSC_FT_CODES && t != MSC_FT_MEDICATIONS))
			continue;
		for (i = 0; i < cache->n; i++)
			code_found(r, fi, &v->items[cache->v[i].item], cache->v[i].row);
	}
}

MSC_EXTERN(int) msc_record_set_present(msc_record *r, const char *section)
{
	int s;
	if (!r || !section)
		return msc__fail(MSC_EINVAL, "record or section is NULL");
	s = msc__rules_section_index(r->rules, section, strlen(section));
	if (s < 0)
		return msc__fail(MSC_EFIELD, "%.64s: unknown section", section);
	r->present[s] = 1;
	return MSC_OK;
}

/* ---------------------------------------------------------------- setters
 * The public setters find the fact by name; the JSON edge, which already
 * knows it, calls the msc__record_set_* functions by index. */

int msc__record_set_answer(msc_record *r, int fi, msc_answer value)
{
	const msc_fact *f = &r->rules->facts[fi];
	if (f->type != MSC_FT_YESNO)
		return wrong_type(f, "a yes/no answer");
	if (value != MSC_YES && value != MSC_NO && value != MSC_UNKNOWN)
		return msc__fail(MSC_EINVAL, "%s: %d is not an msc_answer", f->info.path, (int)value);
	r->hot[fi].answer = (signed char)value;
	/* an explicit unknown stays unknown: a plan switch's default is for
	 * an absent field only */
	mark_set(r, fi, value == MSC_UNKNOWN ? MSC_VS_UNKNOWN : MSC_VS_VALUE);
	return MSC_OK;
}

int msc__record_set_number(msc_record *r, int fi, double value)
{
	const msc_fact *f = &r->rules->facts[fi];
	if (f->type != MSC_FT_NUMBER)
		return wrong_type(f, "a number");
	if (!isfinite(value))
		return msc__fail(MSC_EFIELD, "%s: the number is not finite", f->info.path);
	if (value < f->min || (f->min_exclusive && value <= f->min))
		return msc__fail(MSC_EFIELD, "%s: %g is below the %s of %g", f->info.path, value,
				 f->min_exclusive ? "exclusive minimum" : "minimum", f->min);
	if (value > f->max)
		return msc__fail(MSC_EFIELD, "%s: %g is above the maximum of %g", f->info.path, value, f->max);
	r->hot[fi].number = value;
	mark_set(r, fi, MSC_VS_VALUE);
	return MSC_OK;
}

static int check_text(const msc_fact *f, const char *s, size_t n, long index)
{
	char where[32] = "";
	if (n <= MSC_MAX_TEXT && msc_utf8_valid(s, n))
		return MSC_OK;
	if (index >= 0)
		snprintf(where, sizeof(where), "[%ld]", index);
	if (n > MSC_MAX_TEXT)
		return msc__fail(MSC_ELIMIT, "%s%s: %zu bytes, more than the limit of %d", f->info.path,
				 where, n, MSC_MAX_TEXT);
	return msc__fail(MSC_EFIELD, "%s%s: not valid UTF-8", f->info.path, where);
}

static int is_word(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

/* A word the fact takes as it is: yes/no/unknown, "never", one of its enum
 * values. Such a word is valid text, so only a word that is none of them
 * needs checking (NUL, length, UTF-8), for the error to say what is wrong.
 * Returns the setter's status, or NOT_KNOWN (no status) if it is none. */
#define NOT_KNOWN 1
static int set_known_word(msc_record *r, int fi, const char *word, size_t n)
{
	const msc_fact *f = &r->rules->facts[fi];
	size_t i;

	switch (f->type) {
	case MSC_FT_YESNO:
		if (is_word(word, n, "yes"))
			return msc__record_set_answer(r, fi, MSC_YES);
		if (is_word(word, n, "no"))
			return msc__record_set_answer(r, fi, MSC_NO);
		if (is_word(word, n, "unknown"))
			return msc__record_set_answer(r, fi, MSC_UNKNOWN);
		break;
	case MSC_FT_NUMBER:
		if (f->info.accepts_never && is_word(word, n, "never")) {
			mark_set(r, fi, MSC_VS_NEVER);
			return MSC_OK;
		}
		break;
	case MSC_FT_ENUM:
		for (i = 0; i < f->info.value_count; i++)
			if (is_word(word, n, f->info.values[i])) {
				r->hot[fi].enum_index = (unsigned char)i;
				mark_set(r, fi, MSC_VS_VALUE);
				return MSC_OK;
			}
		break;
	default:
		break;
	}
	return NOT_KNOWN;
}

int msc__record_set_word(msc_record *r, int fi, const char *word, size_t n)
{
	const msc_fact *f = &r->rules->facts[fi];
	char w[MSC_MAX_TEXT + 1];
	size_t i;
	int rc = set_known_word(r, fi, word, n);

	if (rc != NOT_KNOWN)
		return rc;
	if (memchr(word, '\0', n))
		return msc__fail(MSC_EFIELD, "%s: holds a NUL character", f->info.path);
	rc = check_text(f, word, n, -1);
	if (rc)
		return rc;
	/* the word may be a slice of a larger text (the JSON edge's): from
	 * here on, a NUL-terminated copy */
	memcpy(w, word, n);
	w[n] = '\0';
	word = w;
	switch (f->type) {
	case MSC_FT_YESNO:
		return msc__fail(MSC_EFIELD, "%s: expected true, false, null, \"yes\", \"no\" or \"unknown\", not \"%s\"",
				 f->info.path, word);
	case MSC_FT_NUMBER: {
		char *end;
		double d = strtod(word, &end);
		if (end == word || *end != '\0')
			return msc__fail(MSC_EFIELD, "%s: expected a number%s, not \"%s\"", f->info.path,
					 f->info.accepts_never ? " or \"never\"" : "", word);
		return msc__record_set_number(r, fi, d);
	}
	case MSC_FT_ENUM: {
		char list[1024] = "";
		size_t o = 0;
		for (i = 0; i < f->info.value_count && o < sizeof(list) - 64; i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", f->info.values[i]);
		return msc__fail(MSC_EFIELD, "%s: \"%s\" is not one of: %s", f->info.path, word, list);
	}
	default:
		return wrong_type(f, "a word");
	}
}

/* Points a value's items at their texts (after their buffer moved). */
static void set_item_texts(msc_value *v)
{
	size_t i;
	for (i = 0; i < v->item_count; i++) {
		v->items[i].text = v->text.data + v->items[i].text_off;
		v->items[i].norm = v->text.data + v->items[i].norm_off;
	}
}

/* Checks a list for a fact and writes its items, normalised and looked up,
 * into v (a record's value or a list value's); changes nothing unless it
 * returns MSC_OK. With lengths, the items need not be NUL-terminated. */

static int too_many(const msc_fact *f, size_t count)
{
	return msc__fail(MSC_ELIMIT, "%s: %zu entries, more than the limit of %d", f->info.path, count,
			 MSC_MAX_LIST);
}

/* Room in a list value for `count` items and `text` bytes of their strings
 * (plus a NUL): MSC_OK, or MSC_ENOMEM with the value unchanged. */
static int reserve_list(msc_value *v, size_t count, size_t text)
{
	void *arr = v->items;
	if (msc__grow(&arr, &v->item_cap, count, sizeof(msc_item)))
		return MSC_ENOMEM;
	v->items = arr;
	arr = v->text.data;
	if (msc__grow(&arr, &v->text.cap, text + 1, 1))
		return MSC_ENOMEM;
	v->text.data = arr;
	return MSC_OK;
}
static int fill_list(const msc_fact *f, msc_value *v, const char *const *items, const size_t *lens,
		     size_t count)
{
	size_t len[MSC_MAX_LIST];
	size_t i, need = 0;
	int rc;

	if (!MSC_FT_IS_LIST(f->type))
		return wrong_type(f, "a list");
	if (count > MSC_MAX_LIST)
		return too_many(f, count);
	if (count && !items)
		return msc__fail(MSC_EINVAL, "%s: items is NULL", f->info.path);
	/* validate everything before changing anything */
	for (i = 0; i < count; i++) {
		size_t n;
		char code[16];
		if (!items[i])
			return msc__fail(MSC_EFIELD, "%s[%zu]: expected a string, not null", f->info.path, i);
		n = len[i] = lens ? lens[i] : strlen(items[i]);
		if (lens && memchr(items[i], '\0', n))
			return msc__fail(MSC_EFIELD, "%s[%zu]: holds a NUL character", f->info.path, i);
		rc = check_text(f, items[i], n, (long)i);
		if (rc)
			return rc;
		if (f->type == MSC_FT_CODES && !msc_lex_icd10(items[i], n, code))
			return msc__fail(MSC_EFIELD, "%s[%zu]: \"%.*s\" is not an ICD-10 code", f->info.path, i,
					 (int)n, items[i]);
		need += 2 * (n + 1);
	}
	if (reserve_list(v, count, need))
		return MSC_ENOMEM;
	/* from here on nothing can fail */
	v->text.len = 0;
	for (i = 0; i < count; i++) {
		msc_item *it = &v->items[i];
		size_t n = len[i];
		const char *text = v->text.data + v->text.len;
		char *norm;

		memset(&it->hit, 0, sizeof(it->hit));
		it->hit.table = MSC_LEX_NONE;
		it->hit.entry = -1;
		it->text_off = v->text.len;
		memcpy(v->text.data + v->text.len, items[i], n);
		v->text.data[v->text.len + n] = '\0';
		v->text.len += n + 1;
		/* the normalised name goes straight into the record's buffer
		 * (never longer than the name) */
		it->norm_off = v->text.len;
		norm = v->text.data + v->text.len;
		if (f->type == MSC_FT_CODES) {
			msc_lex_icd10(text, n, norm);
		} else {
			msc_lex_normalize(text, n, norm);
			if (f->type == MSC_FT_MEDICATIONS) {
				/* a medicine, or a known ingredient taken as one (a
				 * lidocaine cream, a vitamin): recognised, no class */
				if (!msc_lex_lookup(MSC_LEX_MEDICATION, norm, text, &it->hit))
					msc_lex_lookup(MSC_LEX_INGREDIENT, norm, text, &it->hit);
			} else if (f->type == MSC_FT_INGREDIENTS) {
				msc_lex_lookup(MSC_LEX_INGREDIENT, norm, text, &it->hit);
			} else if (!msc_lex_lookup(MSC_LEX_INGREDIENT, norm, text, &it->hit) &&
				   !msc_lex_lookup(MSC_LEX_MEDICATION, norm, text, &it->hit)) {
				msc_lex_lookup(MSC_LEX_ALLERGEN, norm, text, &it->hit);
			}
		}
		v->text.len += strlen(norm) + 1;
	}
	v->item_count = count;
	set_item_texts(v);
	return MSC_OK;
}

/* A list fact set: mark it, and its codes if it holds any. */
static void list_set(msc_record *r, int fi)
{
	msc_fact_type t = r->rules->facts[fi].type;
	mark_set(r, fi, MSC_VS_VALUE);
	if (t == MSC_FT_CODES || t == MSC_FT_MEDICATIONS)
		recompute_codes(r);
}

int msc__record_set_list(msc_record *r, int fi, const char *const *items, const size_t *lens, size_t count)
{
	const msc_fact *f = &r->rules->facts[fi];
	record_ext *x = (record_ext *)r;
	msc_value *v = &r->values[fi], old = *v;
	code_cache cache;
	int rc = fill_list(f, &x->spare, items, lens, count);

	if (rc || (rc = cache_codes(f->type, &x->spare, &x->spare_codes)) != MSC_OK)
		return rc;
	/* the spare becomes the value (its items point into their own
	 * buffer), the value's storage the spare */
	v->items = x->spare.items;
	v->item_count = x->spare.item_count;
	v->item_cap = x->spare.item_cap;
	v->text = x->spare.text;
	x->spare.items = old.items;
	x->spare.item_count = 0;
	x->spare.item_cap = old.item_cap;
	x->spare.text = old.text;
	cache = *codes_of(r, fi);
	*codes_of(r, fi) = x->spare_codes;
	x->spare_codes = cache;
	list_set(r, fi);
	return MSC_OK;
}

int msc__record_unset(msc_record *r, int fi)
{
	msc_fact_type t = r->rules->facts[fi].type;
	/* an unknown answer leaves a code's yes standing (codes win), whatever
	 * the order the fields came in */
	reset_value(r, (size_t)fi);
	mark_set(r, fi, MSC_VS_UNKNOWN);
	if (t == MSC_FT_CODES || t == MSC_FT_MEDICATIONS)
		recompute_codes(r);
	return MSC_OK;
}

MSC_EXTERN(int) msc_record_set_answer(msc_record *r, const char *field, msc_answer value)
{
	int fi = -1, rc = find_fact(r, field, &fi);
	return rc ? rc : msc__record_set_answer(r, fi, value);
}

MSC_EXTERN(int) msc_record_set_number(msc_record *r, const char *field, double value)
{
	int fi = -1, rc = find_fact(r, field, &fi);
	return rc ? rc : msc__record_set_number(r, fi, value);
}

MSC_EXTERN(int) msc_record_set_word(msc_record *r, const char *field, const char *word)
{
	int fi = -1, rc = find_fact(r, field, &fi);
	if (rc)
		return rc;
	if (!word)
		return msc__fail(MSC_EINVAL, "%s: word is NULL", r->rules->facts[fi].info.path);
	return msc__record_set_word(r, fi, word, strlen(word));
}

MSC_EXTERN(int) msc_record_set_list(msc_record *r, const char *field, const char *const *items,
				    size_t count)
{
	int fi = -1, rc = find_fact(r, field, &fi);
	return rc ? rc : msc__record_set_list(r, fi, items, NULL, count);
}

MSC_EXTERN(int) msc_record_unset(msc_record *r, const char *field)
{
	int fi = -1, rc = find_fact(r, field, &fi);
	return rc ? rc : msc__record_unset(r, fi);
}

/* ------------------------------------------------------- setters by index
 * The public setters by fact index (record.h): the index of msc_rules_fact(). */

static int check_fact(const msc_record *r, size_t fact)
{
	if (!r)
		return msc__fail(MSC_EINVAL, "record is NULL");
	if (fact >= r->value_count)
		return msc__fail(MSC_EFIELD, "fact %zu: unknown field (the rule set has %zu)", fact, r->value_count);
	return MSC_OK;
}

MSC_EXTERN(int) msc_record_set_answer_at(msc_record *r, size_t fact, msc_answer value)
{
	int rc = check_fact(r, fact);
	return rc ? rc : msc__record_set_answer(r, (int)fact, value);
}

MSC_EXTERN(int) msc_record_set_number_at(msc_record *r, size_t fact, double value)
{
	int rc = check_fact(r, fact);
	return rc ? rc : msc__record_set_number(r, (int)fact, value);
}

MSC_EXTERN(int) msc_record_set_word_at(msc_record *r, size_t fact, const char *word, size_t len)
{
	int rc = check_fact(r, fact);
	if (rc)
		return rc;
	if (!word)
		return msc__fail(MSC_EINVAL, "%s: word is NULL", r->rules->facts[fact].info.path);
	return msc__record_set_word(r, (int)fact, word, len);
}

MSC_EXTERN(int) msc_record_set_list_at(msc_record *r, size_t fact, const char *const *items,
				       const size_t *lens, size_t count)
{
	int rc = check_fact(r, fact);
	return rc ? rc : msc__record_set_list(r, (int)fact, items, lens, count);
}

MSC_EXTERN(int) msc_record_unset_at(msc_record *r, size_t fact)
{
	int rc = check_fact(r, fact);
	return rc ? rc : msc__record_unset(r, (int)fact);
}

/* ------------------------------------------------------------ list values */

MSC_EXTERN(int) msc_list_value_new(msc_list_value **out, const msc_rules *rules, size_t fact,
				   const char *const *items, const size_t *lens, size_t count)
{
	msc_list_value *lv;
	msc_fact_type t;
	int rc;

	if (!out)
		return msc__fail(MSC_EINVAL, "out is NULL");
	*out = NULL;
	if (!rules)
		return msc__fail(MSC_EINVAL, "rules is NULL");
	if (fact >= rules->fact_count)
		return msc__fail(MSC_EFIELD, "fact %zu: unknown field (the rule set has %zu)", fact,
				 rules->fact_count);
	if (!(lv = msc__calloc(1, sizeof(*lv))))
		return msc__fail(MSC_ENOMEM, "out of memory");
	lv->rules = rules;
	lv->fact = (int)fact;
	t = rules->facts[fact].type;
	rc = fill_list(&rules->facts[fact], &lv->value, items, lens, count);
	if (rc == MSC_OK)
		rc = cache_codes(t, &lv->value, &lv->codes);
	if (rc) {
		msc_list_value_free(lv);
		return rc;
	}
	*out = lv;
	return MSC_OK;
}

MSC_EXTERN(void) msc_list_value_free(msc_list_value *lv)
{
	if (!lv)
		return;
	free_value(&lv->value);
	msc__free(lv->codes.v);
	msc__free(lv);
}

MSC_EXTERN(int) msc_record_set_list_values(msc_record *r, size_t fact, const msc_list_value *const *values,
					    size_t count)
{
	size_t i, items = 0, text = 0, hits = 0;
	int rc = check_fact(r, fact);
	const msc_fact *f;
	code_cache *cache;
	msc_value *v;
	void *arr;

	if (rc)
		return rc;
	f = &r->rules->facts[fact];
	if (!MSC_FT_IS_LIST(f->type))
		return wrong_type(f, "a list");
	if (count && !values)
		return msc__fail(MSC_EINVAL, "%s: values is NULL", f->info.path);
	for (i = 0; i < count; i++) {
		const msc_list_value *lv = values[i];
		if (!lv || lv->rules != r->rules || lv->fact != (int)fact)
			return msc__fail(MSC_EINVAL, "%s: value %zu is NULL or made for another fact", f->info.path, i);
		items += lv->value.item_count;
		text += lv->value.text.len;
		hits += lv->codes.n;
	}
	if (items > MSC_MAX_LIST)
		return too_many(f, items);
	v = &r->values[fact];
	if (reserve_list(v, items, text))
		return MSC_ENOMEM;
	cache = codes_of(r, (int)fact);
	arr = cache->v;
	if (msc__grow(&arr, &cache->cap, hits, sizeof(code_hit)))
		return MSC_ENOMEM;
	cache->v = arr;
	/* from here on nothing can fail */
	cache->n = 0;
	v->item_count = v->text.len = 0;
	for (i = 0; i < count; i++) {
		const msc_value *from = &values[i]->value;
		const code_cache *fc = &values[i]->codes;
		size_t k;
		for (k = 0; k < from->item_count; k++) {
			msc_item *it = &v->items[v->item_count + k];
			*it = from->items[k];
			it->text_off += v->text.len;
			it->norm_off += v->text.len;
		}
		memcpy(v->text.data + v->text.len, from->text.data, from->text.len);
		for (k = 0; k < fc->n; k++) {
			cache->v[cache->n].row = fc->v[k].row;
			cache->v[cache->n++].item = fc->v[k].item + v->item_count;
		}
		v->item_count += from->item_count;
		v->text.len += from->text.len;
	}
	set_item_texts(v);
	list_set(r, (int)fact);
	return MSC_OK;
}
