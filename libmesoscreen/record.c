/*
 * The intake record. Every setter validates its input whole before
 * changing anything; names are normalised and looked up once, here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A code hit: a row of msc__lex_codes that entry `item` of a list of codes
 * or medications matches. A list's hits (entry by entry, in the order
 * msc_lex_code_rows() gives them) are found when the list is set and kept
 * at the end of its region (internal.h), so that recompute_codes() replays
 * them instead of looking every list up again. */
typedef struct code_hit {
	uint32_t row, item;
} code_hit;

/* A list value made once, set into any number of records (record.h): its
 * region, in a pool of its own, as a record holds it. */
struct msc_list_value {
	const msc_rules *rules;
	int fact;
	msc_region list;
	msc_pool pool;
};

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* The bytes of a list's region: entries, strings, code hits. */
static size_t region_size(const msc_region *l)
{
	return l->hits_at + l->hits * sizeof(code_hit);
}

MSC_EXTERN(int) msc_record_new(msc_record **out, const msc_rules *rules)
{
	msc_record_layout at;
	unsigned char *block;
	msc_record *r;

	if (!out)
		return msc__fail(MSC_EINVAL, "out is NULL");
	*out = NULL;
	if (!rules)
		return msc__fail(MSC_EINVAL, "rules is NULL");
	at = msc__record_layout(rules);
	block = msc__calloc(1, at.pool + MSC_POOL_INLINE);
	if (!block)
		return msc__fail(MSC_ENOMEM, "out of memory");
	r = (msc_record *)(void *)block;
	r->rules = rules;
	r->value_count = rules->fact_count;
	r->section_count = rules->section_count;
	r->numbers = (double *)(void *)(block + sizeof(msc_record));
	r->lists = (msc_region *)(void *)(block + at.lists);
	r->hot = (msc_hot *)(void *)(block + at.hot);
	r->present = block + at.present;
	r->pool.data = block + at.pool;
	r->pool.cap = MSC_POOL_INLINE;
	*out = r;
	return MSC_OK;
}

static void pool_free(msc_pool *p)
{
	if (p->own)
		msc__free(p->data);
}

MSC_EXTERN(void) msc_record_free(msc_record *r)
{
	if (!r)
		return;
	pool_free(&r->pool);
	msc__free(r);
}

/* Every fact back to unset, every list empty. */
MSC_EXTERN(void) msc_record_clear(msc_record *r)
{
	if (!r)
		return;
	memset(r->hot, 0, r->value_count * sizeof(msc_hot));
	memset(r->lists, 0, r->rules->list_fact_count * sizeof(msc_region));
	memset(r->present, 0, r->section_count);
	r->pool.len = 0;
}

/* ------------------------------------------------------------------ pool */

/* Room for `need` bytes after the first `used` of a pool, which keeps
 * them: MSC_OK, or MSC_ENOMEM with the pool unchanged. */
static int pool_grow(msc_pool *p, size_t used, size_t need)
{
	size_t cap = p->cap ? p->cap : 64;
	unsigned char *d;

	if (used + need <= p->cap)
		return MSC_OK;
	while (cap < used + need)
		cap *= 2;
	if (p->own) {
		d = msc__realloc(p->data, cap);
	} else { /* the record's own block, or nothing yet */
		d = msc__malloc(cap);
		if (d && used)
			memcpy(d, p->data, used);
	}
	if (!d)
		return MSC_ENOMEM;
	p->data = d;
	p->cap = cap;
	p->own = 1;
	return MSC_OK;
}

/* Moves the record's lists to the start of its pool, region by region in
 * the order they lie in (each moves down, if at all): the garbage of the
 * lists they replaced goes. */
static void compact(msc_record *r)
{
	size_t n = r->rules->list_fact_count, to = 0, from = 0, k;

	for (;;) {
		msc_region *next = NULL;
		for (k = 0; k < n; k++) {
			msc_region *l = &r->lists[k];
			if (l->count && l->off >= from && (!next || l->off < next->off))
				next = l;
		}
		if (!next)
			break;
		from = next->off + 1; /* those moved lie below it now */
		memmove(r->pool.data + to, r->pool.data + next->off, region_size(next));
		next->off = (uint32_t)to;
		to = align4(to + region_size(next));
	}
	r->pool.len = to;
}

/* Room for a region of `need` bytes after the record's last: in the pool
 * as it is, once compacted, or grown. MSC_OK, or MSC_ENOMEM with the
 * record's lists unchanged. */
static int make_room(msc_record *r, size_t need)
{
	if (align4(r->pool.len) + need <= r->pool.cap)
		return MSC_OK;
	compact(r);
	return pool_grow(&r->pool, r->pool.len, need);
}

/* ------------------------------------------------------------ codes */

/* The code hits of list fact number k (of rules->list_facts) if it holds
 * codes that count (a list of codes or medications, set): *n of them. */
static const code_hit *list_hits(const msc_record *r, size_t k, size_t *n)
{
	int fi = r->rules->list_facts[k];
	msc_fact_type t = r->rules->facts[fi].type;
	const msc_region *l = &r->lists[k];

	*n = 0;
	if (!r->hot[fi].set || r->hot[fi].state != MSC_VS_VALUE || (t != MSC_FT_CODES && t != MSC_FT_MEDICATIONS) ||
	    !l->hits)
		return NULL;
	*n = l->hits;
	return (const code_hit *)(const void *)(r->pool.data + l->off + l->hits_at);
}

/* Codes in the record (ICD-10 conditions, ATC codes of medications) that
 * set a yes/no fact to yes. Recomputed whenever one of those lists changes,
 * from their code hits. */
static void recompute_codes(msc_record *r)
{
	const msc_rules *rules = r->rules;
	size_t f, k, i, n;

	for (f = 0; f < rules->fact_count; f++)
		r->hot[f].coded = 0;
	for (k = 0; k < rules->list_fact_count; k++) {
		const code_hit *h = list_hits(r, k, &n);
		for (i = 0; i < n; i++) {
			int target = rules->code_facts[h[i].row];
			/* never -1 while every codes.tsv row names a yes/no fact
			 * of builtin.rules (test_coverage's
			 * code_rows_set_yes_no_facts): kept so that a row which
			 * did not could never write outside hot[] */
			if (target >= 0) /* GCOVR_EXCL_BR_LINE */
				r->hot[target].coded = 1;
		}
	}
}

/* For each fact the first row in table order wins, then the first list and
 * item, so that the finding names the same code whatever the record's
 * order. */
const char *msc__record_coded_by(const msc_record *r, int fact, int *from)
{
	const msc_rules *rules = r->rules;
	const char *text = NULL;
	size_t k, i, n, row = 0;

	for (k = 0; k < rules->list_fact_count; k++) {
		const code_hit *h = list_hits(r, k, &n);
		const msc_region *l = &r->lists[k];
		for (i = 0; i < n; i++)
			if (rules->code_facts[h[i].row] == fact && (!text || h[i].row < row)) {
				row = h[i].row;
				*from = rules->list_facts[k];
				text = msc__list_text(r, l, h[i].item);
			}
	}
	return text;
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
	r->hot[fi].u.answer = (signed char)value;
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
	r->numbers[f->place] = value;
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
				r->hot[fi].u.enum_index = (unsigned char)i;
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

/* ---------------------------------------------------------------- lists
 * A list is checked whole, then written, normalised and looked up, as a
 * region (internal.h) of a pool: a record's, or a list value's. */

static int too_many(const msc_fact *f, size_t count)
{
	return msc__fail(MSC_ELIMIT, "%s: %zu entries, more than the limit of %d", f->info.path, count,
			 MSC_MAX_LIST);
}

/* Checks a list for fact f: the entries' lengths into len[], and in *need
 * the most its region takes but for its code hits (entries, their names
 * normalised, never longer, and as given, an ATC code of 8 bytes each).
 * With lengths, the items need not be NUL-terminated. */
static int check_list(const msc_fact *f, const char *const *items, const size_t *lens, size_t count,
		      size_t *len, size_t *need)
{
	size_t i, text = 0;
	int rc;

	if (!MSC_FT_IS_LIST(f->type))
		return wrong_type(f, "a list");
	if (count > MSC_MAX_LIST)
		return too_many(f, count);
	if (count && !items)
		return msc__fail(MSC_EINVAL, "%s: items is NULL", f->info.path);
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
		text += n + 1;
	}
	*need = count * (sizeof(msc_item) + 8) + 2 * text;
	return MSC_OK;
}

/* The code rows an entry matches, appended to a region's code hits. */
typedef struct hit_walk {
	msc_pool *p;
	size_t at;                /* the hits, from the pool's start */
	uint32_t item, n;
	int oom;
} hit_walk;

/* check_list's `need` leaves room for a hit an entry, what the lexicon's
 * rows give (a code matches one row, or two): the pool grows here only
 * for more. */
static void row_found(size_t row, void *ctx)
{
	hit_walk *w = ctx;
	code_hit h;
	h.row = (uint32_t)row;
	h.item = w->item;
	w->oom = w->oom || pool_grow(w->p, w->at + w->n * sizeof(code_hit), sizeof(code_hit)) != MSC_OK;
	if (!w->oom)
		memcpy(w->p->data + w->at + w->n++ * sizeof(code_hit), &h, sizeof(h));
}

/* Finds the code rows of the entries of a list of codes or medications
 * (none for the other lists): each code is looked up by its prefixes in
 * the sorted code rows. The pool may move as the hits grow: the codes are
 * looked up from a copy. */
static int find_hits(msc_fact_type t, msc_pool *p, msc_region *l)
{
	hit_walk w = { p, l->off + l->hits_at, 0, 0, 0 };
	char code[16];

	if (t != MSC_FT_CODES && t != MSC_FT_MEDICATIONS)
		return MSC_OK;
	for (w.item = 0; w.item < l->count; w.item++) {
		const msc_item *it = (const msc_item *)(const void *)(p->data + l->off) + w.item;
		const char *atc = NULL;
		/* an ICD-10 code (canonical, at most 7 characters), an ATC code
		 * given as the name (7) */
		if (t == MSC_FT_CODES) {
			strcpy(code, (const char *)p->data + l->off + it->norm);
			msc_lex_code_rows(1, code, strlen(code), row_found, &w);
			continue;
		}
		if (it->atc)
			atc = strcpy(code, msc__item_atc(p->data + l->off, it));
		else if (it->entry >= 0 && it->table == MSC_LEX_MEDICATION)
			atc = msc__lex_tables[MSC_LEX_MEDICATION][it->entry].atc;
		while (atc && *atc) { /* "B01AC06|N02BA01" */
			const char *bar = strchr(atc, '|');
			size_t n = bar ? (size_t)(bar - atc) : strlen(atc);
			msc_lex_code_rows(0, atc, n, row_found, &w);
			atc = bar ? bar + 1 : NULL;
		}
	}
	l->hits = w.n;
	return w.oom ? MSC_ENOMEM : MSC_OK;
}

/* Writes a list that check_list() passed as a region of pool p after its
 * first p->len bytes, where there is room for all but its code hits, and
 * describes it in *l. The pool's length is left to the caller, who makes
 * the region a value. MSC_OK, or MSC_ENOMEM (the pool may have grown). */
static int write_list(const msc_fact *f, msc_pool *p, const char *const *items, const size_t *len,
		      size_t count, msc_region *l)
{
	size_t norm = count * sizeof(msc_item), text_at = norm, end, gap, i;
	unsigned char *base;
	msc_item *its;

	memset(l, 0, sizeof(*l));
	if (!count)
		return MSC_OK;
	l->off = (uint32_t)align4(p->len);
	l->count = (uint32_t)count;
	base = p->data + l->off;
	its = (msc_item *)(void *)base;
	/* the names as given go after room for the normalised names, then
	 * move down to follow them */
	for (i = 0; i < count; i++)
		text_at += len[i] + 1;
	end = text_at;
	for (i = 0; i < count; i++) {
		msc_item *it = &its[i];
		char *text = (char *)base + end, *nm = (char *)base + norm;
		size_t n = len[i];
		msc_lex_hit hit;

		memcpy(text, items[i], n);
		text[n] = '\0';
		it->text = (uint16_t)end;
		end += n + 1;
		it->norm = (uint16_t)norm;
		memset(&hit, 0, sizeof(hit));
		hit.table = MSC_LEX_NONE;
		hit.entry = -1;
		if (f->type == MSC_FT_CODES) {
			msc_lex_icd10(text, n, nm);
		} else {
			msc_lex_normalize(text, n, nm);
			if (f->type == MSC_FT_MEDICATIONS) {
				/* a medicine, or a known ingredient taken as one (a
				 * lidocaine cream, a vitamin): recognised, no class */
				if (!msc_lex_lookup(MSC_LEX_MEDICATION, nm, text, &hit))
					msc_lex_lookup(MSC_LEX_INGREDIENT, nm, text, &hit);
			} else if (f->type == MSC_FT_INGREDIENTS) {
				msc_lex_lookup(MSC_LEX_INGREDIENT, nm, text, &hit);
			} else if (!msc_lex_lookup(MSC_LEX_INGREDIENT, nm, text, &hit) &&
				   !msc_lex_lookup(MSC_LEX_MEDICATION, nm, text, &hit)) {
				msc_lex_lookup(MSC_LEX_ALLERGEN, nm, text, &hit);
			}
		}
		norm += strlen(nm) + 1;
		it->classes = hit.classes;
		it->entry = hit.entry;
		it->table = (signed char)hit.table;
		it->atc = hit.code[0] != '\0';
		if (it->atc) {
			size_t cl = strlen(hit.code) + 1;
			memcpy(base + end, hit.code, cl);
			end += cl;
		}
	}
	gap = text_at - norm;
	memmove(base + norm, base + text_at, end - text_at);
	for (i = 0; i < count; i++)
		its[i].text = (uint16_t)(its[i].text - gap);
	l->hits_at = (uint32_t)align4(end - gap);
	return find_hits(f->type, p, l);
}

/* A list fact given its value l: mark it, and its codes if it holds any. */
static void list_set(msc_record *r, int fi, const msc_region *l)
{
	msc_fact_type t = r->rules->facts[fi].type;
	r->lists[r->rules->facts[fi].place] = *l;
	if (l->count)
		r->pool.len = l->off + region_size(l);
	mark_set(r, fi, MSC_VS_VALUE);
	if (t == MSC_FT_CODES || t == MSC_FT_MEDICATIONS)
		recompute_codes(r);
}

int msc__record_set_list(msc_record *r, int fi, const char *const *items, const size_t *lens, size_t count)
{
	const msc_fact *f = &r->rules->facts[fi];
	size_t len[MSC_MAX_LIST], need;
	msc_region l;
	int rc = check_list(f, items, lens, count, len, &need);

	if (rc)
		return rc;
	/* written after the record's lists: the one it replaces stays its
	 * value until it is whole */
	if (make_room(r, need) || write_list(f, &r->pool, items, len, count, &l))
		return MSC_ENOMEM;
	list_set(r, fi, &l);
	return MSC_OK;
}

int msc__record_unset(msc_record *r, int fi)
{
	const msc_fact *f = &r->rules->facts[fi];
	/* an unknown answer leaves a code's yes standing (codes win), whatever
	 * the order the fields came in */
	if (MSC_FT_IS_LIST(f->type))
		memset(&r->lists[f->place], 0, sizeof(msc_region));
	mark_set(r, fi, MSC_VS_UNKNOWN);
	if (f->type == MSC_FT_CODES || f->type == MSC_FT_MEDICATIONS)
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

/* The pool of a list value until it has entries (never written). */
static uint64_t no_entries;

MSC_EXTERN(int) msc_list_value_new(msc_list_value **out, const msc_rules *rules, size_t fact,
				   const char *const *items, const size_t *lens, size_t count)
{
	size_t len[MSC_MAX_LIST], need;
	msc_list_value *lv;
	const msc_fact *f;
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
	/* never NULL: a value of no entries is copied as one of 0 bytes */
	lv->pool.data = (unsigned char *)&no_entries;
	f = &rules->facts[fact];
	rc = check_list(f, items, lens, count, len, &need);
	if (rc == MSC_OK && (pool_grow(&lv->pool, 0, need) || write_list(f, &lv->pool, items, len, count, &lv->list)))
		rc = MSC_ENOMEM;
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
	pool_free(&lv->pool);
	msc__free(lv);
}

MSC_EXTERN(int) msc_record_set_list_values(msc_record *r, size_t fact, const msc_list_value *const *values,
					    size_t count)
{
	size_t i, k, items = 0, text = 0, hits = 0, at;
	int rc = check_fact(r, fact);
	const msc_fact *f;
	unsigned char *base;
	msc_region l;

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
		items += lv->list.count;
		text += lv->list.hits_at - lv->list.count * sizeof(msc_item);
		hits += lv->list.hits;
	}
	if (items > MSC_MAX_LIST)
		return too_many(f, items);
	if (make_room(r, items * sizeof(msc_item) + text + hits * sizeof(code_hit)))
		return MSC_ENOMEM;
	/* from here on nothing can fail: one region, the values' entries,
	 * then each value's strings (a multiple of 4 bytes), then their hits */
	memset(&l, 0, sizeof(l));
	if (items) {
		l.off = (uint32_t)align4(r->pool.len);
		l.count = (uint32_t)items;
		l.hits_at = (uint32_t)(items * sizeof(msc_item) + text);
	}
	base = r->pool.data + l.off;
	at = items * sizeof(msc_item);
	for (i = 0, items = 0; i < count; i++) {
		const msc_region *from = &values[i]->list;
		const unsigned char *src = values[i]->pool.data + from->off;
		size_t start = from->count * sizeof(msc_item), size = from->hits_at - start;
		for (k = 0; k < from->count; k++) {
			msc_item it = ((const msc_item *)(const void *)src)[k];
			it.norm = (uint16_t)(it.norm - start + at);
			it.text = (uint16_t)(it.text - start + at);
			((msc_item *)(void *)base)[items + k] = it;
		}
		memcpy(base + at, src + start, size);
		for (k = 0; k < from->hits; k++) {
			code_hit h = ((const code_hit *)(const void *)(src + from->hits_at))[k];
			h.item += (uint32_t)items;
			((code_hit *)(void *)(base + l.hits_at))[l.hits++] = h;
		}
		at += size;
		items += from->count;
	}
	list_set(r, (int)fact, &l);
	return MSC_OK;
}
