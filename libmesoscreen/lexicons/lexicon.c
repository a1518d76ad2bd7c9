/*
 * Lexicon look-up: names are normalised once (case, punctuation, doses,
 * forms, salts) and found by binary search in the sorted tables generated
 * from the *.tsv files beside this one; code and class prefixes too, one
 * search per prefix length the table has. Nothing here scans a list but
 * msc_lex_class_index(), which the rule compiler calls for a class name.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int is_keep(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '+' || c == '/' || c == '\'' || c >= 0x80;
}

/* A prefix of a sorted index against key[0..n): the order of the index. */
static int cmp_prefix(const msc_lex_prefix *p, const char *key, size_t n)
{
	int d;
	/* most comparisons end at the first byte */
	if (p->len && n && p->text[0] != key[0])
		return (unsigned char)p->text[0] - (unsigned char)key[0];
	d = memcmp(p->text, key, p->len < n ? p->len : n);
	return d ? d : (p->len > n) - (p->len < n);
}

/* The first entry of v[0..count) not below key[0..n). */
static size_t lower_bound(const msc_lex_prefix *v, size_t count, const char *key, size_t n)
{
	size_t lo = 0, hi = count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_prefix(&v[mid], key, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Calls found(row, ctx) for every prefix of the index that starts
 * code[0..len): shorter prefixes first, equal ones in table order. */
static void prefix_rows(const msc_lex_prefixes *t, const char *code, size_t len,
			void (*found)(size_t row, void *ctx), void *ctx)
{
	size_t plen, i;

	for (plen = 1; plen <= len && plen < 32; plen++) {
		if (!(t->lengths >> plen & 1u))
			continue;
		for (i = lower_bound(t->v, t->count, code, plen); i < t->count && cmp_prefix(&t->v[i], code, plen) == 0;
		     i++)
			found(t->v[i].row, ctx);
	}
}

/* Units a dose may carry, sorted by their bytes (test_logic checks each). */
static const msc_lex_prefix units[] = {
	{ "%", 1, 0 }, { "g", 1, 0 }, { "iu", 2, 0 }, { "kg", 2, 0 }, { "l", 1, 0 }, { "mcg", 3, 0 },
	{ "mcg/h", 5, 0 }, { "meq", 3, 0 }, { "mg", 2, 0 }, { "mg/g", 4, 0 }, { "mg/ml", 5, 0 },
	{ "microgram", 9, 0 }, { "micrograms", 10, 0 }, { "milligram", 9, 0 }, { "milligrams", 10, 0 },
	{ "ml", 2, 0 }, { "mmol", 4, 0 }, { "u", 1, 0 }, { "ug", 2, 0 }, { "ui", 2, 0 }, { "unit", 4, 0 },
	{ "units", 5, 0 }, { "x", 1, 0 },
};

static int is_unit(const char *w, size_t n)
{
	size_t count = sizeof(units) / sizeof(units[0]), i = lower_bound(units, count, w, n);
	return i < count && cmp_prefix(&units[i], w, n) == 0;
}

static int is_dose(const char *w, size_t n);

/* A dose token: a number, optionally with a unit glued on ("100mg", "2.5"). */
static int is_dose(const char *w, size_t n)
{
	size_t i = 0;
	int digits = 0;
	while (i < n && ((w[i] >= '0' && w[i] <= '9') || w[i] == '.' || w[i] == ',')) {
		digits += (w[i] >= '0' && w[i] <= '9');
		i++;
	}
	if (!digits) {
		/* a unit ("mcg/h" too), or a unit per unit ("units/ml") */
		const char *slash = memchr(w, '/', n);
		if (is_unit(w, n))
			return 1;
		return slash && slash > w && (size_t)(slash - w) + 1 < n && is_unit(w, (size_t)(slash - w)) &&
		       is_dose(slash + 1, n - (size_t)(slash - w) - 1);
	}
	if (i == n)
		return 1;
	return is_dose(w + i, n - i) || (w[i] == '/' && i + 1 < n);
}

void msc_lex_normalize(const char *in, size_t n, char *out)
{
	char tmp[MSC_NORM_MAX];
	size_t i, t = 0, o = 0;

	if (n > MSC_MAX_TEXT)
		n = MSC_MAX_TEXT;
	/* lower case; anything but letters, digits and - + / ' becomes a space;
	 * '%' and '.' between digits are kept so that doses stay one token */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c == '%' || ((c == '.' || c == ',') && i > 0 && i + 1 < n &&
				 in[i - 1] >= '0' && in[i - 1] <= '9' &&
				 in[i + 1] >= '0' && in[i + 1] <= '9'))
			tmp[t++] = (char)c;
		else
			tmp[t++] = is_keep(c) ? (char)c : ' ';
	}
	tmp[t] = '\0';
	/* words, minus doses and units */
	i = 0;
	while (i < t) {
		size_t s;
		while (i < t && tmp[i] == ' ')
			i++;
		s = i;
		while (i < t && tmp[i] != ' ')
			i++;
		if (i == s || is_dose(tmp + s, i - s))
			continue;
		if (o)
			out[o++] = ' ';
		memcpy(out + o, tmp + s, i - s);
		o += i - s;
	}
	out[o] = '\0';
}

static int cmp_key(const void *k, const void *e)
{
	return strcmp((const char *)k, ((const msc_lex_key *)e)->key);
}

static int cmp_word(const void *k, const void *e)
{
	return strcmp((const char *)k, *(const char *const *)e);
}

static int find(msc_lex_table table, const char *key)
{
	const msc_lex_key *hit = bsearch(key, msc__lex_keys[table], msc__lex_key_counts[table],
					 sizeof(msc_lex_key), cmp_key);
	return hit ? hit->entry : -1;
}

/* The name without form, release and salt words ("lidocaine hcl" -> "lidocaine"). */
static void strip_modifiers(const char *norm, char *out)
{
	size_t o = 0;
	const char *p = norm;

	while (*p) {
		const char *s = p;
		char word[MSC_NORM_MAX];
		size_t n;
		while (*p && *p != ' ')
			p++;
		n = (size_t)(p - s);
		memcpy(word, s, n);
		word[n] = '\0';
		if (!bsearch(word, msc__lex_modifiers, msc__lex_modifier_count,
			     sizeof(char *), cmp_word)) {
			if (o)
				out[o++] = ' ';
			memcpy(out + o, s, n);
			o += n;
		}
		while (*p == ' ')
			p++;
	}
	out[o] = '\0';
}

static int atc_code(const char *raw, char *out)
{
	char code[8];
	size_t i, n = 0;
	while (*raw == ' ' || *raw == '\t')
		raw++;
	for (i = 0; raw[i] && raw[i] != ' ' && raw[i] != '\t'; i++) {
		char c = raw[i];
		if (n >= 7)
			return 0;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		code[n++] = c;
	}
	for (; raw[i]; i++)
		if (raw[i] != ' ' && raw[i] != '\t')
			return 0;
	code[n] = '\0';
	/* a full ATC code: letter, 2 digits, 2 letters, 2 digits */
	if (n == 7 && code[0] >= 'A' && code[0] <= 'Z' &&
	    code[1] >= '0' && code[1] <= '9' && code[2] >= '0' && code[2] <= '9' &&
	    code[3] >= 'A' && code[3] <= 'Z' && code[4] >= 'A' && code[4] <= 'Z' &&
	    code[5] >= '0' && code[5] <= '9' && code[6] >= '0' && code[6] <= '9') {
		memcpy(out, code, 8);
		return 1;
	}
	return 0;
}

typedef struct class_bits {
	unsigned include, exclude;
} class_bits;

static void class_found(size_t row, void *ctx)
{
	const msc_lex_class_prefix *cp = &msc__lex_class_prefixes[row];
	class_bits *b = ctx;
	if (cp->include)
		b->include |= 1u << cp->cls;
	else
		b->exclude |= 1u << cp->cls;
}

unsigned msc_lex_atc_classes(const char *atc)
{
	class_bits b = { 0, 0 };
	const char *p = atc;

	while (p && *p) {
		const char *end = strchr(p, '|');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		prefix_rows(&msc__lex_class_prefix_index, p, n, class_found, &b);
		p = end ? end + 1 : NULL;
	}
	return b.include & ~b.exclude;
}

int msc_lex_class_index(const char *name)
{
	size_t i;
	for (i = 0; i < msc__lex_class_count; i++)
		if (strcmp(msc__lex_class_names[i], name) == 0)
			return (int)i;
	return -1;
}

int msc_lex_lookup(msc_lex_table table, const char *norm, const char *raw, msc_lex_hit *hit)
{
	char stripped[MSC_NORM_MAX];
	int e;

	memset(hit, 0, sizeof(*hit));
	hit->table = MSC_LEX_NONE;
	hit->entry = -1;
	e = find(table, norm);
	if (e < 0) {
		strip_modifiers(norm, stripped);
		if (stripped[0] && strcmp(stripped, norm) != 0)
			e = find(table, stripped);
	}
	if (e >= 0) {
		hit->table = table;
		hit->entry = e;
		if (table == MSC_LEX_MEDICATION && msc__lex_tables[table][e].atc)
			hit->classes = msc_lex_atc_classes(msc__lex_tables[table][e].atc);
		return 1;
	}
	if (table == MSC_LEX_MEDICATION && raw && atc_code(raw, hit->code)) {
		/* a coded drug that no row names (rows' codes are keys too):
		 * its classes come from the code itself */
		hit->table = table;
		hit->classes = msc_lex_atc_classes(hit->code);
		return 1;
	}
	return 0;
}

int msc_lex_ingredients_meet(int a, int b)
{
	const msc_lex_entry *ea = &msc__lex_tables[MSC_LEX_INGREDIENT][a];
	const msc_lex_entry *eb = &msc__lex_tables[MSC_LEX_INGREDIENT][b];
	size_t i = 0, j = 0;

	if (a == b)
		return 1;
	/* both expansion lists are sorted */
	while (i < ea->expand_count && j < eb->expand_count) {
		if (ea->expands[i] == eb->expands[j])
			return 1;
		if (ea->expands[i] < eb->expands[j])
			i++;
		else
			j++;
	}
	return 0;
}

void msc_lex_code_rows(int icd, const char *code, size_t len,
		       void (*found)(size_t row, void *ctx), void *ctx)
{
	prefix_rows(&msc__lex_code_prefixes[icd != 0], code, len, found, ctx);
}

int msc_lex_icd10(const char *s, size_t n, char *out)
{
	size_t i, o = 0;

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.' && i == 3)
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (o >= 7)
			return 0;
		out[o++] = c;
	}
	out[o] = '\0';
	/* letter, digit, digit or letter (Z3A, 9A...), then up to 4 alphanumerics */
	if (o < 3 || out[0] < 'A' || out[0] > 'Z' || out[1] < '0' || out[1] > '9')
		return 0;
	for (i = 2; i < o; i++) {
		char c = out[i];
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')))
			return 0;
	}
	return 1;
}
