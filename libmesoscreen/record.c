/*
 * The intake record. Every setter validates its input whole before
 * changing anything; names are normalised and looked up once, here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

MSC_EXTERN(int) msc_record_new(msc_record **out, const msc_rules *rules)
{
	msc_record *r;

	if (!out)
		return msc__fail(MSC_EINVAL, "out is NULL");
	*out = NULL;
	if (!rules)
		return msc__fail(MSC_EINVAL, "rules is NULL");
	r = msc__calloc(1, sizeof(*r));
	if (!r)
		return msc__fail(MSC_ENOMEM, "out of memory");
	r->rules = rules;
	r->value_count = rules->fact_count;
	r->section_count = rules->section_count;
	r->values = msc__calloc(rules->fact_count, sizeof(msc_value));
	r->present = msc__calloc(rules->section_count, 1);
	if (!r->values || !r->present) {
		msc_record_free(r);
		return msc__fail(MSC_ENOMEM, "out of memory");
	}
	*out = r;
	return MSC_OK;
}

MSC_EXTERN(void) msc_record_free(msc_record *r)
{
	size_t i;
	if (!r)
		return;
	if (r->values) {
		for (i = 0; i < r->value_count; i++) {
			msc__free(r->values[i].items);
			msc_buf_free(&r->values[i].text);
		}
	}
	msc__free(r->values);
	msc__free(r->present);
	msc__free(r);
}

static void reset_value(msc_value *v)
{
	v->set = 0;
	v->state = MSC_VS_UNKNOWN;
	v->item_count = 0;
	v->text.len = 0;
	v->coded_by = NULL;
}

MSC_EXTERN(void) msc_record_clear(msc_record *r)
{
	size_t i;
	if (!r)
		return;
	for (i = 0; i < r->value_count; i++)
		reset_value(&r->values[i]);
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
	msc_value *v = &r->values[fi];
	v->set = 1;
	v->state = state;
	r->present[r->rules->facts[fi].section] = 1;
}

/* Codes in the record (ICD-10 conditions, ATC codes of medications) that
 * set a yes/no fact to yes. Recomputed whenever one of those lists changes:
 * each code is looked up by its prefixes in the sorted code rows. For each
 * fact the first row in table order wins, then the first list and item,
 * so that the finding names the same code whatever the record's order. */
typedef struct code_ctx {
	msc_record *r;
	const msc_item *item;
	int from;
} code_ctx;

static void code_found(size_t row, void *p)
{
	code_ctx *c = p;
	int target = c->r->rules->code_facts[row];
	msc_value *v;
	/* never -1 while every codes.tsv row names a yes/no fact of
	 * builtin.rules (test_coverage's code_rows_set_yes_no_facts): kept so
	 * that a row which did not could never write outside values[] */
	if (target < 0) /* GCOVR_EXCL_BR_LINE */
		return; /* GCOVR_EXCL_LINE */
	v = &c->r->values[target];
	if (v->coded_by && v->coded_row <= row)
		return;
	v->coded_by = c->item->text;
	v->coded_from = c->from;
	v->coded_row = row;
}

static void recompute_codes(msc_record *r)
{
	const msc_rules *rules = r->rules;
	code_ctx c;
	size_t f, i, k;

	for (f = 0; f < rules->fact_count; f++)
		r->values[f].coded_by = NULL;
	c.r = r;
	for (k = 0; k < rules->list_fact_count; k++) {
		size_t f = (size_t)rules->list_facts[k];
		const msc_value *v = &r->values[f];
		msc_fact_type t = rules->facts[f].type;
		if (!v->set || v->state != MSC_VS_VALUE || (t != MSC_FT_CODES && t != MSC_FT_MEDICATIONS))
			continue;
		c.from = (int)f;
		for (i = 0; i < v->item_count; i++) {
			const msc_item *it = &v->items[i];
			const char *atc = NULL;
			c.item = it;
			if (t == MSC_FT_CODES) {
				msc_lex_code_rows(1, it->norm, strlen(it->norm), code_found, &c);
				continue;
			}
			if (it->hit.code[0])
				atc = it->hit.code;
			else if (it->hit.entry >= 0 && it->hit.table == MSC_LEX_MEDICATION)
				atc = msc__lex_tables[MSC_LEX_MEDICATION][it->hit.entry].atc;
			while (atc && *atc) { /* "B01AC06|N02BA01" */
				const char *bar = strchr(atc, '|');
				size_t n = bar ? (size_t)(bar - atc) : strlen(atc);
				msc_lex_code_rows(0, atc, n, code_found, &c);
				atc = bar ? bar + 1 : NULL;
			}
		}
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
	r->values[fi].answer = value;
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
	r->values[fi].number = value;
	snprintf(r->values[fi].number_text, sizeof(r->values[fi].number_text), "%g", value);
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

int msc__record_set_word(msc_record *r, int fi, const char *word, size_t n)
{
	const msc_fact *f = &r->rules->facts[fi];
	char w[MSC_MAX_TEXT + 1];
	size_t i;
	int rc;
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
		if (is_word(word, n, "yes"))
			return msc__record_set_answer(r, fi, MSC_YES);
		if (is_word(word, n, "no"))
			return msc__record_set_answer(r, fi, MSC_NO);
		if (is_word(word, n, "unknown"))
			return msc__record_set_answer(r, fi, MSC_UNKNOWN);
		return msc__fail(MSC_EFIELD, "%s: expected true, false, null, \"yes\", \"no\" or \"unknown\", not \"%s\"",
				 f->info.path, word);
	case MSC_FT_NUMBER: {
		char *end;
		double d;
		if (f->accepts_never && is_word(word, n, "never")) {
			mark_set(r, fi, MSC_VS_NEVER);
			return MSC_OK;
		}
		d = strtod(word, &end);
		if (end == word || *end != '\0')
			return msc__fail(MSC_EFIELD, "%s: expected a number%s, not \"%s\"", f->info.path,
					 f->accepts_never ? " or \"never\"" : "", word);
		return msc__record_set_number(r, fi, d);
	}
	case MSC_FT_ENUM:
		for (i = 0; i < f->info.value_count; i++)
			if (is_word(word, n, f->info.values[i])) {
				r->values[fi].enum_index = (int)i;
				mark_set(r, fi, MSC_VS_VALUE);
				return MSC_OK;
			}
		{
			char list[1024] = "";
			size_t o = 0;
			for (i = 0; i < f->info.value_count && o < sizeof(list) - 64; i++)
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
						      f->info.values[i]);
			return msc__fail(MSC_EFIELD, "%s: \"%s\" is not one of: %s", f->info.path, word, list);
		}
	default:
		return wrong_type(f, "a word");
	}
}

int msc__record_set_list(msc_record *r, int fi, const char *const *items, const size_t *lens, size_t count)
{
	const msc_fact *f = &r->rules->facts[fi];
	msc_value *v;
	size_t i, need = 0;
	void *arr;
	int rc;

	if (!MSC_FT_IS_LIST(f->type))
		return wrong_type(f, "a list");
	if (count > MSC_MAX_LIST)
		return msc__fail(MSC_ELIMIT, "%s: %zu entries, more than the limit of %d", f->info.path,
				 count, MSC_MAX_LIST);
	if (count && !items)
		return msc__fail(MSC_EINVAL, "%s: items is NULL", f->info.path);
	/* validate everything before changing anything */
	for (i = 0; i < count; i++) {
		size_t n;
		char code[16];
		if (!items[i])
			return msc__fail(MSC_EFIELD, "%s[%zu]: expected a string, not null", f->info.path, i);
		n = lens ? lens[i] : strlen(items[i]);
		if (lens && memchr(items[i], '\0', n))
			return msc__fail(MSC_EFIELD, "%s[%zu]: holds a NUL character", f->info.path, i);
		rc = check_text(f, items[i], n, (long)i);
		if (rc)
			return rc;
		if (f->type == MSC_FT_CODES && !msc_lex_icd10(items[i], n, code))
			return msc__fail(MSC_EFIELD, "%s[%zu]: \"%s\" is not an ICD-10 code", f->info.path, i,
					 items[i]);
		need += 2 * (n + 1);
	}
	v = &r->values[fi];
	arr = v->items;
	if (msc__grow(&arr, &v->item_cap, count, sizeof(msc_item)))
		return MSC_ENOMEM;
	v->items = arr;
	arr = v->text.data;
	if (msc__grow(&arr, &v->text.cap, need + 1, 1))
		return MSC_ENOMEM;
	v->text.data = arr;
	/* from here on nothing can fail */
	v->text.len = 0;
	for (i = 0; i < count; i++) {
		msc_item *it = &v->items[i];
		size_t n = lens ? lens[i] : strlen(items[i]), m;
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
			msc_lex_icd10(items[i], n, norm);
		} else {
			msc_lex_normalize(items[i], n, norm);
			if (f->type == MSC_FT_MEDICATIONS) {
				/* a medicine, or a known ingredient taken as one (a
				 * lidocaine cream, a vitamin): recognised, no class */
				if (!msc_lex_lookup(MSC_LEX_MEDICATION, norm, items[i], &it->hit))
					msc_lex_lookup(MSC_LEX_INGREDIENT, norm, items[i], &it->hit);
			} else if (f->type == MSC_FT_INGREDIENTS) {
				msc_lex_lookup(MSC_LEX_INGREDIENT, norm, items[i], &it->hit);
			} else if (!msc_lex_lookup(MSC_LEX_INGREDIENT, norm, items[i], &it->hit) &&
				   !msc_lex_lookup(MSC_LEX_MEDICATION, norm, items[i], &it->hit)) {
				msc_lex_lookup(MSC_LEX_ALLERGEN, norm, items[i], &it->hit);
			}
		}
		m = strlen(norm);
		v->text.len += m + 1;
	}
	for (i = 0; i < count; i++) {
		v->items[i].text = v->text.data + v->items[i].text_off;
		v->items[i].norm = v->text.data + v->items[i].norm_off;
	}
	v->item_count = count;
	mark_set(r, fi, MSC_VS_VALUE);
	if (f->type == MSC_FT_CODES || f->type == MSC_FT_MEDICATIONS)
		recompute_codes(r);
	return MSC_OK;
}

int msc__record_unset(msc_record *r, int fi)
{
	msc_fact_type t = r->rules->facts[fi].type;
	msc_value *v = &r->values[fi];
	const char *coded_by = v->coded_by;
	/* an unknown answer leaves a code's yes standing (codes win), whatever
	 * the order the fields came in */
	reset_value(v);
	v->coded_by = coded_by;
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
