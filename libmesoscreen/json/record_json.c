/*
 * JSON intake record in. yajl reads the text as a stream of events and
 * every value goes straight to the record setters (by fact index), with no
 * document tree in between: the checks are the setters', written once. Any
 * error empties the record, so a record is never half-read.
 *
 * yajl does not survive a failed allocation (it writes through the NULL),
 * so its allocator never returns one: when ours fails it jumps back to the
 * entry point, which frees every block yajl holds and reports MSC_ENOMEM.
 * Nothing else runs between the jump and the allocation that failed but
 * yajl's own code, whose state is then thrown away whole.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "internal.h"

/* ---------------------------------------------------------------- yajl's memory */

typedef struct block {
	struct block *prev, *next;
	max_align_t data[];
} block;

typedef struct reader {
	jmp_buf oom;
	block *blocks;            /* everything yajl holds */
	msc_record *rec;
	int flat;
	int depth;                /* 1 in the record, 2 in a section, 3 in a list */
	int section;              /* nested: the section being read */
	int fact;                 /* the fact of the current key, or -1 */
	unsigned char *seen_section;
	int rc;                   /* the error that stopped the reading */
	size_t count;             /* list: entries so far */
	size_t off[MSC_MAX_LIST], len[MSC_MAX_LIST];
	msc_buf text;             /* list: the entries, NUL-separated */
} reader;

static void link_block(reader *r, block *b)
{
	b->prev = NULL;
	b->next = r->blocks;
	if (r->blocks)
		r->blocks->prev = b;
	r->blocks = b;
}

static void unlink_block(reader *r, block *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		r->blocks = b->next;
	if (b->next)
		b->next->prev = b->prev;
}

static void *y_malloc(void *ctx, size_t size)
{
	reader *r = ctx;
	block *b = msc__malloc(sizeof(block) + size);
	if (!b)
		longjmp(r->oom, 1);
	link_block(r, b);
	return b->data;
}

static void y_free(void *ctx, void *p)
{
	reader *r = ctx;
	block *b;
	if (!p) /* GCOVR_EXCL_LINE: yajl 2.1 never frees NULL; kept as free() allows it */
		return; /* GCOVR_EXCL_LINE */
	b = (block *)((char *)p - offsetof(block, data));
	unlink_block(r, b);
	msc__free(b);
}

static void *y_realloc(void *ctx, void *p, size_t size)
{
	reader *r = ctx;
	block *b, *nb;
	if (!p)
		return y_malloc(ctx, size);
	b = (block *)((char *)p - offsetof(block, data));
	unlink_block(r, b);
	nb = msc__realloc(b, sizeof(block) + size);
	if (!nb) {
		link_block(r, b); /* still yajl's, freed with the rest */
		longjmp(r->oom, 1);
	}
	link_block(r, nb);
	return nb->data;
}

static void free_blocks(reader *r)
{
	while (r->blocks) {
		block *b = r->blocks;
		r->blocks = b->next;
		msc__free(b);
	}
}

/* ---------------------------------------------------------------- values */

typedef enum { V_NULL, V_BOOL, V_NUMBER, V_STRING, V_ARRAY, V_OBJECT } vkind;

/* Stops the reading with the error already recorded by the setters or here. */
static int stop(reader *r, int rc)
{
	r->rc = rc;
	return rc == MSC_OK;
}

static int type_error(reader *r, const msc_fact *f)
{
	const char *path = f->info.path;
	switch (f->type) {
	case MSC_FT_YESNO:
		return stop(r, msc__fail(MSC_EFIELD, "%s: expected true, false, null, \"yes\", \"no\" or \"unknown\"", path));
	case MSC_FT_NUMBER:
		return stop(r, msc__fail(MSC_EFIELD, "%s: expected a number%s or null", path,
					 f->info.accepts_never ? ", \"never\"" : ""));
	case MSC_FT_ENUM:
		return stop(r, msc__fail(MSC_EFIELD, "%s: expected a string or null", path));
	default:
		return stop(r, msc__fail(MSC_EFIELD, "%s: expected a list of strings, [] for none, or null", path));
	}
}

/* A value (not inside a list) for the current fact. */
static int value(reader *r, vkind kind, int b, const char *s, size_t n)
{
	const msc_fact *f = &r->rec->rules->facts[r->fact];
	int fi = r->fact;

	if (kind == V_NULL)
		return stop(r, msc__record_unset(r->rec, fi));
	switch (f->type) {
	case MSC_FT_YESNO:
		if (kind == V_BOOL)
			return stop(r, msc__record_set_answer(r->rec, fi, b ? MSC_YES : MSC_NO));
		if (kind == V_STRING)
			return stop(r, msc__record_set_word(r->rec, fi, s, n));
		break;
	case MSC_FT_NUMBER:
		if (kind == V_NUMBER) {
			/* JSON's grammar, checked by yajl: strtod reads it whole */
			char small[64], *copy = n < sizeof(small) ? small : msc__strndup(s, n);
			double d;
			if (!copy)
				return stop(r, MSC_ENOMEM);
			memcpy(copy, s, n);
			copy[n] = '\0';
			d = strtod(copy, NULL);
			if (copy != small)
				msc__free(copy);
			return stop(r, msc__record_set_number(r->rec, fi, d));
		}
		if (kind == V_STRING && f->info.accepts_never && n == 5 && memcmp(s, "never", 5) == 0)
			return stop(r, msc__record_set_word(r->rec, fi, s, n));
		break;
	case MSC_FT_ENUM:
		if (kind == V_STRING)
			return stop(r, msc__record_set_word(r->rec, fi, s, n));
		break;
	default:
		if (kind == V_ARRAY) {
			r->count = 0;
			r->text.len = 0;
			r->depth = 3;
			return 1;
		}
	}
	return type_error(r, f);
}

/* An entry of a list. */
static int entry(reader *r, vkind kind, const char *s, size_t n)
{
	const char *path = r->rec->rules->facts[r->fact].info.path;
	if (kind != V_STRING)
		return stop(r, msc__fail(MSC_EFIELD, "%s[%zu]: expected a string", path, r->count));
	if (r->count == MSC_MAX_LIST)
		return stop(r, msc__fail(MSC_ELIMIT, "%s: more than the limit of %d entries", path, MSC_MAX_LIST));
	r->off[r->count] = r->text.len;
	r->len[r->count] = n;
	if (msc_buf_append(&r->text, s, n) || msc_buf_append(&r->text, "", 1))
		return stop(r, MSC_ENOMEM);
	r->count++;
	return 1;
}

/* A value where the reader is: in a list, a section or the record. */
static int any(reader *r, vkind kind, int b, const char *s, size_t n)
{
	if (r->depth == 3)
		return entry(r, kind, s, n);
	if (r->depth == 0) /* the whole document */
		return kind == V_OBJECT ? (r->depth = 1)
					: stop(r, msc__fail(MSC_EFIELD, "record: expected a JSON object%s",
							    r->flat ? "" : " with \"patient\" and \"plan\""));
	if (r->depth == 1 && !r->flat) { /* a section */
		const char *name = r->rec->rules->sections[r->section];
		if (kind == V_NULL)
			return 1;
		if (kind != V_OBJECT)
			return stop(r, msc__fail(MSC_EFIELD, "%s: expected an object or null", name));
		r->rec->present[r->section] = 1;
		r->depth = 2;
		return 1;
	}
	if (kind == V_OBJECT) {
		r->depth++; /* refused by type_error below; depth keeps end_map balanced */
		return type_error(r, &r->rec->rules->facts[r->fact]);
	}
	if (r->flat)
		r->rec->present[r->rec->rules->facts[r->fact].section] = 1;
	return value(r, kind, b, s, n);
}

/* ---------------------------------------------------------------- events */

static int on_null(void *ctx)
{
	return any(ctx, V_NULL, 0, NULL, 0);
}

static int on_boolean(void *ctx, int b)
{
	return any(ctx, V_BOOL, b, NULL, 0);
}

static int on_number(void *ctx, const char *s, size_t n)
{
	return any(ctx, V_NUMBER, 0, s, n);
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
	return any(ctx, V_STRING, 0, (const char *)s, n);
}

static int on_start_map(void *ctx)
{
	return any(ctx, V_OBJECT, 0, NULL, 0);
}

static int on_end_map(void *ctx)
{
	reader *r = ctx;
	r->depth--;
	return 1;
}

static int on_start_array(void *ctx)
{
	return any(ctx, V_ARRAY, 0, NULL, 0);
}

static int on_end_array(void *ctx)
{
	reader *r = ctx;
	const char *items[MSC_MAX_LIST];
	size_t i;
	for (i = 0; i < r->count; i++)
		items[i] = r->text.data + r->off[i];
	r->depth = 2 - r->flat;
	return stop(r, msc__record_set_list(r->rec, r->fact, items, r->len, r->count));
}

static int on_key(void *ctx, const unsigned char *key, size_t n)
{
	reader *r = ctx;
	const msc_rules *rules = r->rec->rules;
	const char *k = (const char *)key;
	char path[2 * MSC_MAX_TEXT + 2];
	int fi = -1;

	if (r->depth == 1 && !r->flat) {
		int s = n <= MSC_MAX_TEXT ? msc__rules_section_index(rules, k, n) : -1;
		if (s < 0)
			return stop(r, msc__fail(MSC_EFIELD, "%.*s: unknown key (expected patient or plan)",
						 (int)(n < 64 ? n : 64), k));
		if (r->seen_section[s])
			return stop(r, msc__fail(MSC_EFIELD, "%s: given twice", rules->sections[s]));
		r->seen_section[s] = 1;
		r->section = s;
		return 1;
	}
	if (r->flat) {
		if (!memchr(k, '.', n))
			fi = msc__rules_fact_index(rules, k, n);
		if (fi < 0)
			return stop(r, msc__fail(MSC_EFIELD, "%.*s: unknown column", (int)(n < 64 ? n : 64), k));
	} else {
		const char *sec = rules->sections[r->section];
		size_t sn = strlen(sec);
		if (sn + n + 1 < sizeof(path) && !memchr(k, '.', n)) {
			memcpy(path, sec, sn);
			path[sn] = '.';
			memcpy(path + sn + 1, k, n);
			fi = msc__rules_fact_index(rules, path, sn + 1 + n);
		}
		if (fi < 0)
			return stop(r, msc__fail(MSC_EFIELD, "%s.%.*s: unknown key", sec, (int)(n < 64 ? n : 64), k));
	}
	/* the record was emptied first: a fact already set was given twice */
	if (r->rec->hot[fi].set)
		return stop(r, msc__fail(MSC_EFIELD, "%s: given twice", rules->facts[fi].info.path));
	r->fact = fi;
	return 1;
}

static const yajl_callbacks callbacks = {
	on_null, on_boolean, NULL, NULL, on_number, on_string,
	on_start_map, on_key, on_end_map, on_start_array, on_end_array
};

/* ---------------------------------------------------------------- entry */

/* The line and column (from 1, in bytes) of offset `at`. */
static void position(const char *json, size_t at, size_t *line, size_t *col)
{
	size_t i;
	*line = *col = 1;
	for (i = 0; i < at; i++) {
		if (json[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int hex4(const char *p, const char *end, unsigned *out)
{
	int i;
	(void)end; /* the callers have checked that 4 bytes follow */
	*out = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
			     c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
		if (d > 15)
			return 0;
		*out = *out * 16 + d;
	}
	return 1;
}

/* yajl turns a lone UTF-16 surrogate escape ("\ud800" without its pair)
 * into "?", which would then be read as a name: it is refused first. A
 * backslash can only stand in a string, so every one starts an escape. */
static int lone_surrogate(const char *json, size_t len)
{
	const char *p = json, *end = json + len;
	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		unsigned u, lo;
		size_t line, col;
		if (end - p < 6 || p[1] != 'u' || !hex4(p + 2, end, &u)) {
			p += end - p < 2 ? end - p : 2; /* other escapes; yajl judges the malformed */
			continue;
		}
		if (u >= 0xD800 && u <= 0xDBFF && end - p >= 12 && p[6] == '\\' && p[7] == 'u' &&
		    hex4(p + 8, end, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
			p += 12; /* a pair */
			continue;
		}
		if (u >= 0xD800 && u <= 0xDFFF) {
			position(json, (size_t)(p - json), &line, &col);
			return msc__fail(MSC_EPARSE, "line %zu, column %zu: \\u%.4s is half of a UTF-16 pair, not a character",
					 line, col, p + 2);
		}
		p += 6;
	}
	return MSC_OK;
}

/* "line 3, column 17: invalid char in json text" */
static int parse_error(yajl_handle h, const char *json, size_t len, size_t at)
{
	unsigned char *text = yajl_get_error(h, 0, NULL, 0);
	const char *msg = text ? (const char *)text : "malformed JSON";
	size_t line, col, n;
	int rc;

	(void)len; /* at is within the text: yajl's count, or the end */
	position(json, at, &line, &col);
	/* "parse error: premature EOF\n" -> "premature EOF" */
	if (strncmp(msg, "parse error: ", 13) == 0)
		msg += 13;
	else if (strncmp(msg, "lexical error: ", 15) == 0)
		msg += 15;
	n = strcspn(msg, "\n");
	while (n && (msg[n - 1] == ' ' || msg[n - 1] == '.'))
		n--;
	rc = msc__fail(MSC_EPARSE, "line %zu, column %zu: %.*s", line, col, (int)n, msg);
	if (text)
		yajl_free_error(h, text);
	return rc;
}

static int parse(reader *r, const char *json, size_t len)
{
	yajl_alloc_funcs funcs;
	yajl_handle h;
	yajl_status st;
	size_t at;
	int rc;

	funcs.malloc = y_malloc;
	funcs.realloc = y_realloc;
	funcs.free = y_free;
	funcs.ctx = r;
	h = yajl_alloc(&callbacks, &funcs, r);
	st = yajl_parse(h, (const unsigned char *)json, len);
	at = yajl_get_bytes_consumed(h);
	if (st == yajl_status_ok) {
		st = yajl_complete_parse(h);
		at = len; /* what is missing is at the end */
	}
	if (st == yajl_status_client_canceled)
		rc = r->rc;
	else if (st != yajl_status_ok)
		rc = parse_error(h, json, len, at);
	else
		rc = MSC_OK;
	yajl_free(h);
	return rc;
}

int msc__record_from_json(msc_record *rec, const char *json, size_t len, int flat)
{
	reader *r;
	int rc;

	if (!rec || (!json && len))
		return msc__fail(MSC_EINVAL, "record or json is NULL");
	msc_record_clear(rec);
	if (len > MSC_MAX_RECORD_JSON)
		return msc__fail(MSC_ELIMIT, "record: %zu bytes, more than the limit of %d", len,
				 MSC_MAX_RECORD_JSON);
	if (json && (rc = lone_surrogate(json, len)) != MSC_OK)
		return rc;
	r = msc__calloc(1, sizeof(*r) + rec->section_count);
	if (!r)
		return msc__fail(MSC_ENOMEM, "out of memory while reading the record");
	r->rec = rec;
	r->flat = flat;
	r->fact = -1;
	r->seen_section = (unsigned char *)(r + 1);
	if (setjmp(r->oom) == 0)
		rc = parse(r, json ? json : "", len);
	else
		rc = MSC_ENOMEM; /* yajl's allocation failed: its blocks are freed below */
	free_blocks(r);
	msc_buf_free(&r->text);
	msc__free(r);
	if (rc == MSC_ENOMEM)
		rc = msc__fail(MSC_ENOMEM, "out of memory while reading the record");
	if (rc)
		msc_record_clear(rec); /* never half-read */
	return rc;
}

MSC_EXTERN(int) msc_record_from_json(msc_record *rec, const char *json, size_t len)
{
	return msc__record_from_json(rec, json, len, 0);
}
