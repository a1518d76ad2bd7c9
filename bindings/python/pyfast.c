/*
 * The Python binding's fast paths (declared in pyfast.h).
 *
 * Records. A Python value reaches the library in two steps:
 *
 *   1. convert(), under the GIL, makes a cell of it: a C view of the value
 *      (null, a bool, a number, a word as UTF-8, a list of words) that
 *      knows nothing of the field. The cell points into Python objects that
 *      are held (or owned by a private list) until the record is screened,
 *      so that step 2 can run with the GIL released;
 *   2. resolve(), with or without the GIL, checks the cell against the
 *      fact's type exactly as the JSON edge checks a JSON value
 *      (libmesoscreen/json/record_json.c) and chooses the same public
 *      setter (msc_record_set_answer, _number, _word, _list,
 *      msc_record_unset): an action, which run() then calls, and whose own
 *      checks and messages then apply.
 *
 * The same functions serve a record dict (screen, screen_many, questions:
 * record_ops() walks {"patient": {...}, "plan": {...}} as the JSON edge
 * walks the object, and apply() resolves and runs each cell) and a
 * DataFrame's columns (screen_frame: each distinct value of a column is
 * converted and resolved once, then msc_batch_screen_fill() runs each
 * row's actions). A refused value never raises halfway: it becomes a cell
 * that is refused in its turn, and an unknown key stops the reading only
 * after the fields before it were applied, so the first error in the
 * record's order is the one reported, as with JSON.
 *
 * Results. build_result() makes the result from the accessors in one call,
 * as tuples of str (a compact form that mesoscreen.Result turns into
 * contract.md's dict when asked). What comes from the rule set (rule ids,
 * messages, sources, questions, instruction texts, the ruleset block) is
 * the same from one result to the next: its strs are cached in the
 * context, keyed by the library's pointer and checked against the text
 * each time (a cache hit is proven equal, never assumed), and tuples of
 * the same items are interned, so that a cohort's results share them.
 * Whole results are shared too: result_sig() writes down what a result
 * holds (with the GIL released in screen_many), and result_raw() reuses
 * the tuples of an earlier result with the very same bytes.
 *
 * Every function that touches a Python object runs with the GIL held; the
 * code between Py_BEGIN_ALLOW_THREADS and Py_END_ALLOW_THREADS touches only
 * cells, actions, records, results and batches.
 */
#include "pyfast.h"

#include <structmember.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PRINTF_LIKE(f, a)
#define PREFETCH(p) ((void)(p))
#endif

#define CTX_NAME "mesoscreen._ctx"
#define POOL_NAME "mesoscreen._pool"
#define NO_INDEX ((size_t)-1)
#define NO_ACTION UINT32_MAX
#define MAX_POOL 65536

/* ------------------------------------------------------------- utilities */

static PyObject *text(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* A message as str (invalid UTF-8 from a cut is replaced). */
static PyObject *text(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	return PyUnicode_DecodeUTF8(buf, n, "replace");
}

/* Library text as str; NULL gives "". */
static PyObject *pstr(const char *s)
{
	return PyUnicode_DecodeUTF8(s ? s : "", s ? (Py_ssize_t)strlen(s) : 0, "replace");
}

static char *dup_text(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* Grows a buffer that may start as a caller's local array (`local`);
 * -1 if there is no memory. No Python call: safe without the GIL. */
static int grow_nogil(void **arr, size_t *cap, size_t need, size_t size, const void *local)
{
	size_t n;
	void *p;

	if (need <= *cap)
		return 0;
	n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / size)
		return -1;
	if (local && *arr == local) {
		p = malloc(n * size);
		if (p && *cap)
			memcpy(p, *arr, *cap * size);
	} else {
		p = realloc(*arr, n * size);
	}
	if (!p)
		return -1;
	*arr = p;
	*cap = n;
	return 0;
}

/* grow_nogil(), with MemoryError if there is no memory. */
static int grow(void **arr, size_t *cap, size_t need, size_t size, const void *local)
{
	if (grow_nogil(arr, cap, need, size, local)) {
		PyErr_NoMemory();
		return -1;
	}
	return 0;
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* A hash of n bytes, eight at a time. */
static uint64_t bytes_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = mix(h ^ w) * 0x9e3779b97f4a7c15ULL;
	}
	/* the last 0-7 bytes, in at most two loads (overlapping: the length
	 * is in the hash already) */
	if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		w = (uint64_t)a << 32 | b;
	} else {
		w = n ? (uint64_t)(unsigned char)s[0] << 16 | (uint64_t)(unsigned char)s[n / 2] << 8 |
				(unsigned char)s[n - 1]
		      : 0;
	}
	return mix(h ^ w);
}

/* -------------------------------------------------------------- the context */

enum { FK_YESNO, FK_NUMBER, FK_ENUM, FK_LIST };

typedef struct pyfact {
	char *path;         /* "patient.pregnant" (owned) */
	const char *name;   /* "pregnant", in path */
	int section;
	int kind;           /* FK_* */
	int accepts_never;  /* a number fact that takes "never" */
} pyfact;

/* Keys of the ruleset dict, interned once. */
enum { KY_NAME, KY_VERSION, KY_FILES, KY_RULESET, KY_SHA256, KY_COUNT };
static const char *const key_names[KY_COUNT] = { "name", "version", "files", "ruleset", "sha256" };

/* Any other text likely to repeat (a rule's own question, an override's
 * action) as str, by its pointer: valid while the text at that pointer is
 * still the same (checked on every hit). */
#define STR_BITS 12
typedef struct str_slot {
	const char *p;
	PyObject *o;
	const char *u;  /* o's UTF-8 */
	Py_ssize_t n;
} str_slot;

/* A short text of a result ("plan.area = scalp", an unrecognised name) as
 * str, by its content: the same str for the same text, wherever the result
 * keeps it. */
#define WORD_BITS 10
#define WORD_MAX 120
typedef struct word_slot {
	uint64_t h;
	size_t n;
	PyObject *o;
	char s[WORD_MAX];
} word_slot;

/* Tuples of a result, interned by the identity of their items (which a
 * tuple holds, so that an identity is never reused while it is cached). */
#define TUPLE_BITS 12

/* The names a record dict's keys may have: a section's (section -1) or a
 * fact's bare name in its section, placed by Python's own hash of the name
 * (a dict's str keys carry it, computed once, so a look-up hashes nothing)
 * and confirmed by the bytes. Open addressing, filled once (key_add); an
 * empty slot has name NULL. */
typedef struct key_slot {
	const char *name;
	size_t len;
	Py_hash_t hash;
	int section, index;
} key_slot;

/* Tuples of the rule set's own texts (an instruction's id and text, a
 * missing entry's rule, fact and question) by the texts' addresses: the
 * texts cannot change while the rule set lives, so a hit compares no
 * content (own_tuple). */
#define ITEM_BITS 10
typedef struct item_slot {
	const char *p[3];
	PyObject *t;
} item_slot;

/* A batch's fired rule ids ("CI.PREGNANCY,PR.DEPTH") as a tuple, by text. */
#define FIRED_BITS 10
typedef struct fired_slot {
	uint64_t h;
	size_t n;
	char *s;
	PyObject *t;
} fired_slot;

/* Whole results (build_result's tuples) by their signature (result_sig):
 * records whose results are equal share one. The signature is made where
 * the result is, with the GIL released if it is; under the GIL a hit is
 * one comparison of bytes. */
#define RAW_BITS 10
#define SIG_MAX 1024
typedef struct raw_slot {
	uint64_t h;
	size_t n;
	unsigned char *sig;
	PyObject *raw;
} raw_slot;

/* The texts the rule set owns (its msc_rule_info, msc_fact_info and file
 * strings), by pointer: immutable while the rule set lives, so that a hit
 * needs no comparison. Open addressing, filled once. */
typedef struct own_slot {
	const char *p;
	PyObject *o;
} own_slot;

typedef struct ctx {
	const msc_rules *rules;
	PyObject *owner, *plain, *record_error, *mapping;
	PyTypeObject *result_type;   /* mesoscreen.Result */
	PyObject *result_slots[4];   /* "_raw", "_data", "_json", "_views" */
	Py_ssize_t result_offset[4]; /* where the type keeps each (slot_offset), or 0 */
	own_slot *own;
	size_t own_mask;
	size_t nfacts, nsections;
	pyfact *facts;
	char **sections;
	char sections_text[256];   /* "patient or plan" */
	key_slot *keys_by_name;    /* (section, bare name) -> fact; (-1, section) -> section */
	size_t key_mask;
	PyObject *keys[KY_COUNT];
	PyObject *verdicts[MSC_CONTRAINDICATED + 1];
	PyObject *ruleset;         /* the "ruleset" block of every result */
	char *ruleset_name, *ruleset_version;
	int overrides;             /* results carry "overrides" */
	str_slot strs[1u << STR_BITS];
	word_slot words[1u << WORD_BITS];
	PyObject *tuples[1u << TUPLE_BITS];
	item_slot items[1u << ITEM_BITS];
	fired_slot fired[1u << FIRED_BITS];
	raw_slot raws[1u << RAW_BITS];
} ctx;

static ctx *get_ctx(PyObject *cap)
{
	return (ctx *)PyCapsule_GetPointer(cap, CTX_NAME);
}

/* Drops what the context keeps of the results it made (their strs, tuples
 * and whole results by content: texts of the records screened among
 * them); the rule set's own texts stay. */
static void ctx_forget(ctx *x)
{
	size_t i;

	for (i = 0; i < (1u << STR_BITS); i++)
		Py_CLEAR(x->strs[i].o);
	memset(x->strs, 0, sizeof(x->strs));
	for (i = 0; i < (1u << WORD_BITS); i++)
		Py_CLEAR(x->words[i].o);
	memset(x->words, 0, sizeof(x->words));
	for (i = 0; i < (1u << TUPLE_BITS); i++)
		Py_CLEAR(x->tuples[i]);
	for (i = 0; i < (1u << FIRED_BITS); i++) {
		free(x->fired[i].s);
		Py_CLEAR(x->fired[i].t);
	}
	memset(x->fired, 0, sizeof(x->fired));
	for (i = 0; i < (1u << RAW_BITS); i++) {
		free(x->raws[i].sig);
		Py_CLEAR(x->raws[i].raw);
	}
	memset(x->raws, 0, sizeof(x->raws));
}

PyObject *msc_py_ctx_forget(PyObject *cap)
{
	ctx *x = get_ctx(cap);

	if (!x)
		return NULL;
	ctx_forget(x);
	Py_RETURN_NONE;
}

static void ctx_free(ctx *x)
{
	size_t i;

	if (!x)
		return;
	for (i = 0; i < x->nfacts; i++)
		free(x->facts[i].path);
	free(x->facts);
	for (i = 0; i < x->nsections; i++)
		free(x->sections[i]);
	free(x->sections);
	free(x->keys_by_name);
	for (i = 0; i < KY_COUNT; i++)
		Py_XDECREF(x->keys[i]);
	for (i = 0; i <= MSC_CONTRAINDICATED; i++)
		Py_XDECREF(x->verdicts[i]);
	ctx_forget(x);
	for (i = 0; i < (1u << ITEM_BITS); i++)
		Py_XDECREF(x->items[i].t);
	for (i = 0; x->own && i <= x->own_mask; i++)
		Py_XDECREF(x->own[i].o);
	free(x->own);
	for (i = 0; i < 4; i++)
		Py_XDECREF(x->result_slots[i]);
	Py_XDECREF((PyObject *)x->result_type);
	free(x->ruleset_name);
	free(x->ruleset_version);
	Py_XDECREF(x->ruleset);
	Py_XDECREF(x->mapping);
	Py_XDECREF(x->plain);
	Py_XDECREF(x->record_error);
	Py_XDECREF(x->owner); /* last: it may free the rule set */
	free(x);
}

static void ctx_capsule_free(PyObject *cap)
{
	ctx_free((ctx *)PyCapsule_GetPointer(cap, CTX_NAME));
}

/* Steals v; -1 if v is NULL or the insertion fails. */
static int put(PyObject *dict, PyObject *key, PyObject *v)
{
	int rc;
	if (!v)
		return -1;
	rc = PyDict_SetItem(dict, key, v);
	Py_DECREF(v);
	return rc;
}

static PyObject *str_or_none(const char *s)
{
	if (s)
		return pstr(s);
	Py_RETURN_NONE;
}

/* {"name", "version"} and, with clinic files, "files" (as the result JSON). */
static PyObject *ruleset_dict(const ctx *x, const char *name, const char *version)
{
	PyObject *d = PyDict_New(), *files, *e;
	size_t i, n = msc_rules_file_count(x->rules);

	if (!d || put(d, x->keys[KY_NAME], pstr(name)) || put(d, x->keys[KY_VERSION], pstr(version)))
		goto fail;
	if (n) {
		files = PyList_New((Py_ssize_t)n);
		if (put(d, x->keys[KY_FILES], files))
			goto fail;
		for (i = 0; i < n; i++) {
			const msc_rules_file *f = msc_rules_file_get(x->rules, i);
			if (!(e = PyDict_New()))
				goto fail;
			PyList_SET_ITEM(files, (Py_ssize_t)i, e);
			if (put(e, x->keys[KY_NAME], pstr(f->name)) ||
			    put(e, x->keys[KY_RULESET], str_or_none(f->ruleset)) ||
			    put(e, x->keys[KY_VERSION], str_or_none(f->version)) ||
			    put(e, x->keys[KY_SHA256], pstr(f->sha256)))
				goto fail;
		}
	}
	return d;
fail:
	Py_XDECREF(d);
	return NULL;
}

static int add_section(ctx *x, const char *name, size_t n)
{
	size_t i;
	void *arr;

	for (i = 0; i < x->nsections; i++)
		if (strlen(x->sections[i]) == n && memcmp(x->sections[i], name, n) == 0)
			return (int)i;
	arr = realloc(x->sections, (x->nsections + 1) * sizeof(char *));
	if (!arr)
		return -1;
	x->sections = arr;
	if (!(x->sections[x->nsections] = dup_text(name, n)))
		return -1;
	return (int)x->nsections++;
}

static size_t key_hash(const ctx *x, int section, Py_hash_t hash)
{
	return (size_t)mix((uint64_t)hash + (uint64_t)(section + 1)) & x->key_mask;
}

/* The index of (section, name), or -1; hash is Python's hash of the name. */
static int key_find(const ctx *x, int section, Py_hash_t hash, const char *s, size_t n)
{
	size_t h = key_hash(x, section, hash);
	const key_slot *k;

	for (; (k = &x->keys_by_name[h])->name; h = (h + 1) & x->key_mask)
		if (k->hash == hash && k->section == section && k->len == n && memcmp(k->name, s, n) == 0)
			return k->index;
	return -1;
}

/* Adds (section, name) -> index; the table has room (twice the names).
 * -1 with a Python exception. */
static int key_add(ctx *x, int section, const char *name, int index)
{
	size_t n = strlen(name), h;
	PyObject *o = PyUnicode_DecodeUTF8(name, (Py_ssize_t)n, NULL);
	Py_hash_t hash = o ? PyObject_Hash(o) : -1;

	Py_XDECREF(o);
	if (hash == -1)
		return -1;
	for (h = key_hash(x, section, hash); x->keys_by_name[h].name; h = (h + 1) & x->key_mask)
		;
	x->keys_by_name[h].name = name;
	x->keys_by_name[h].len = n;
	x->keys_by_name[h].hash = hash;
	x->keys_by_name[h].section = section;
	x->keys_by_name[h].index = index;
	return 0;
}

static own_slot *own_find(const ctx *x, const char *p)
{
	size_t h = (size_t)mix((uint64_t)(uintptr_t)p) & x->own_mask;
	while (x->own[h].p && x->own[h].p != p)
		h = (h + 1) & x->own_mask;
	return &x->own[h];
}

static int own_add(ctx *x, const char *p)
{
	own_slot *sl;
	if (!p)
		return 0;
	sl = own_find(x, p);
	if (sl->p)
		return 0;
	if (!(sl->o = pstr(p)))
		return -1;
	sl->p = p;
	return 0;
}

/* Every text the rule set hands out through its public information. */
static int own_texts(ctx *x, int add, size_t *count)
{
	const msc_rules *r = x->rules;
	size_t i, j, n = 0;
	int rc = 0;
#define OWN(s) (n++, rc = rc || (add && own_add(x, (s))))
	OWN(msc_rules_name(r));
	OWN(msc_rules_version(r));
	for (i = 0; i < msc_rules_count(r); i++) {
		const msc_rule_info *in = msc_rules_get(r, i);
		OWN(in->id);
		OWN(in->message);
		OWN(in->origin);
		OWN(in->reason);
		OWN(in->changed_by);
		for (j = 0; j < in->source_count; j++)
			OWN(in->sources[j]);
	}
	for (i = 0; i < msc_rules_fact_count(r); i++) {
		const msc_fact_info *f = msc_rules_fact(r, i);
		OWN(f->path);
		OWN(f->question);
	}
	for (i = 0; i < msc_rules_file_count(r); i++) {
		const msc_rules_file *f = msc_rules_file_get(r, i);
		OWN(f->name);
	}
#undef OWN
	*count = n;
	return rc ? -1 : 0;
}

/* Where objects of type t keep the __slots__ member `name` (an object
 * member the type itself declares), or 0 if it is not one: new_result then
 * sets it by name. */
static Py_ssize_t slot_offset(PyTypeObject *t, PyObject *name)
{
	PyObject *d = t->tp_dict ? PyDict_GetItemWithError(t->tp_dict, name) : NULL;
	const PyMemberDef *m;

	PyErr_Clear();
	if (!d || !Py_IS_TYPE(d, &PyMemberDescr_Type) || ((PyDescrObject *)d)->d_type != t)
		return 0;
	m = ((PyMemberDescrObject *)d)->d_member;
	if (m->type != T_OBJECT_EX || (m->flags & READONLY) || m->offset < (Py_ssize_t)sizeof(PyObject) ||
	    m->offset > t->tp_basicsize - (Py_ssize_t)sizeof(PyObject *))
		return 0;
	return m->offset;
}

PyObject *msc_py_ctx_new(const msc_rules *rules, PyObject *owner, PyObject *plain, PyObject *record_error,
			 PyObject *result_type)
{
	static const char *const slot_names[4] = { "_raw", "_data", "_json", "_views" };
	PyObject *abc, *cap;
	size_t i, o;
	ctx *x;

	if (!rules || !owner || !PyCallable_Check(plain) || !PyCallable_Check(record_error) ||
	    !PyType_Check(result_type)) {
		PyErr_SetString(PyExc_TypeError, "msc_py_ctx_new: rules, owner, plain, record_error, result type");
		return NULL;
	}
	if (!(x = calloc(1, sizeof(*x))))
		return PyErr_NoMemory();
	x->rules = rules;
	Py_INCREF(result_type);
	x->result_type = (PyTypeObject *)result_type;
	for (i = 0; i < 4; i++) {
		if (!(x->result_slots[i] = PyUnicode_InternFromString(slot_names[i])))
			goto fail;
		x->result_offset[i] = slot_offset(x->result_type, x->result_slots[i]);
	}
	Py_INCREF(owner);
	x->owner = owner;
	Py_INCREF(plain);
	x->plain = plain;
	Py_INCREF(record_error);
	x->record_error = record_error;
	if (!(abc = PyImport_ImportModule("collections.abc")))
		goto fail;
	x->mapping = PyObject_GetAttrString(abc, "Mapping");
	Py_DECREF(abc);
	if (!x->mapping)
		goto fail;

	x->nfacts = msc_rules_fact_count(rules);
	if (!(x->facts = calloc(x->nfacts ? x->nfacts : 1, sizeof(pyfact)))) {
		PyErr_NoMemory();
		goto fail;
	}
	for (i = 0; i < x->nfacts; i++) {
		const msc_fact_info *info = msc_rules_fact(rules, i);
		const char *dot = info ? strchr(info->path, '.') : NULL;
		pyfact *f = &x->facts[i];
		if (!dot) {
			PyErr_Format(PyExc_RuntimeError, "fact %zu has no section", i);
			goto fail;
		}
		if (!(f->path = dup_text(info->path, strlen(info->path))) ||
		    (f->section = add_section(x, info->path, (size_t)(dot - info->path))) < 0) {
			PyErr_NoMemory();
			goto fail;
		}
		f->name = f->path + (dot - info->path) + 1;
		if (strcmp(info->type, "yesno") == 0)
			f->kind = FK_YESNO;
		else if (strcmp(info->type, "number") == 0)
			f->kind = FK_NUMBER;
		else if (strcmp(info->type, "enum") == 0)
			f->kind = FK_ENUM;
		else
			f->kind = FK_LIST;
		f->accepts_never = f->kind == FK_NUMBER && info->accepts_never;
	}

	/* look-ups of the dict path: section name -> index, bare name -> fact */
	for (x->key_mask = 15; x->key_mask < 2 * (x->nsections + x->nfacts); x->key_mask = 2 * x->key_mask + 1)
		;
	if (!(x->keys_by_name = calloc(x->key_mask + 1, sizeof(key_slot))))
		goto nomem;
	o = 0;
	for (i = 0; i < x->nsections; i++) {
		if (key_add(x, -1, x->sections[i], (int)i))
			goto fail;
		o += (size_t)snprintf(x->sections_text + o, sizeof(x->sections_text) - o, "%s%s",
				      i == 0 ? "" : i + 1 == x->nsections ? " or " : ", ", x->sections[i]);
		if (o >= sizeof(x->sections_text))
			o = sizeof(x->sections_text) - 1;
	}
	for (i = 0; i < x->nfacts; i++)
		if (key_add(x, x->facts[i].section, x->facts[i].name, (int)i))
			goto fail;

	/* what results share */
	for (i = 0; i < KY_COUNT; i++)
		if (!(x->keys[i] = PyUnicode_InternFromString(key_names[i])))
			goto fail;
	for (i = 0; i <= MSC_CONTRAINDICATED; i++)
		if (!(x->verdicts[i] = PyUnicode_InternFromString(msc_verdict_name((int)i))))
			goto fail;
	if (!(x->ruleset_name = dup_text(msc_rules_name(rules), strlen(msc_rules_name(rules)))) ||
	    !(x->ruleset_version = dup_text(msc_rules_version(rules), strlen(msc_rules_version(rules)))))
		goto nomem;
	if (!(x->ruleset = ruleset_dict(x, x->ruleset_name, x->ruleset_version)))
		goto fail;
	for (i = 0; i < msc_rules_count(rules) && !x->overrides; i++)
		x->overrides = msc_rules_get(rules, i)->changed_by != NULL;
	own_texts(x, 0, &o);
	for (x->own_mask = 15; x->own_mask < 2 * o; x->own_mask = 2 * x->own_mask + 1)
		;
	if (!(x->own = calloc(x->own_mask + 1, sizeof(own_slot))))
		goto nomem;
	if (own_texts(x, 1, &o))
		goto fail;

	if (!(cap = PyCapsule_New(x, CTX_NAME, ctx_capsule_free)))
		goto fail;
	return cap;
nomem:
	PyErr_NoMemory();
fail:
	ctx_free(x);
	return NULL;
}

PyObject *msc_py_ctx_facts(PyObject *cap)
{
	ctx *x = get_ctx(cap);
	PyObject *list;
	size_t i;

	if (!x || !(list = PyList_New((Py_ssize_t)x->nfacts)))
		return NULL;
	for (i = 0; i < x->nfacts; i++) {
		PyObject *t = Py_BuildValue("(ss)", x->facts[i].path, x->facts[i].name);
		if (!t) {
			Py_DECREF(list);
			return NULL;
		}
		PyList_SET_ITEM(list, (Py_ssize_t)i, t);
	}
	return list;
}

/* ------------------------------------------------------------------ cells */

/* What a Python value is, for the library. */
enum {
	C_ABSENT = 0, /* not given (calloc'd cells) */
	C_NULL,       /* None, NaN: unknown */
	C_BOOL,       /* b */
	C_NUMBER,     /* u.d */
	C_WORD,       /* a str: u.s, n bytes (a lone surrogate kept as such: not
		       * valid UTF-8, which the setters refuse); whether it holds a
		       * NUL is found when it is resolved (without the GIL for a
		       * record dict: the store holds the str) */
	C_LIST,       /* a list or tuple of str: n entries from items[u.off];
		       * b: E_ITEM (entry n is not a str), E_LONG (n entries,
		       * too many) or E_NUL (entry n holds a NUL) */
	C_OTHER       /* anything else */
};

/* Refusals of the binding's own (the setters report the others). */
enum { E_NONE = 0, E_TYPE, E_ITEM, E_NUL, E_LONG };

typedef union cellval {
	double d;
	const char *s;
	size_t off;
} cellval;

typedef struct cell {
	cellval u;
	size_t n;
	unsigned char kind, b;
} cell;

/* A column's object already converted: the index of its action (see the
 * frame, below). */
typedef struct memo_slot {
	PyObject *key;
	uint32_t col, act;
} memo_slot;

/*
 * An open-addressed index (a power of two of slots) over dense entries
 * whose first member is their uint64_t hash: a slot holds the upper 32
 * bits of its entry's hash and 1 + the entry's position, 0 if empty, so
 * that a probe rejects most other entries without reading them, and
 * growing it clears 8 bytes a slot. Used by a frame's names and texts.
 */
#define IDX_SLOT(h, i) (((h) >> 32 << 32) | (uint64_t)((i) + 1))
#define IDX_POS(e) ((uint32_t)(e) - 1)
#define IDX_SAME(e, h) ((e) >> 32 == (h) >> 32)

/* Doubles the index (from `first` slots) if one more entry would fill
 * more than half of it, filing again the n entries (each `stride` bytes);
 * -1 with an exception. */
static int index_grow(uint64_t **idx, size_t *cap, const void *entries, size_t n, size_t stride, size_t first)
{
	size_t i, k, c = *cap ? 2 * *cap : first;
	uint64_t *t;

	if (2 * (n + 1) <= *cap)
		return 0;
	if (!(t = calloc(c, sizeof(uint64_t)))) {
		PyErr_NoMemory();
		return -1;
	}
	for (i = 0; i < n; i++) {
		uint64_t h = *(const uint64_t *)(const void *)((const char *)entries + i * stride);
		for (k = (size_t)h & (c - 1); t[k]; k = (k + 1) & (c - 1))
			;
		t[k] = IDX_SLOT(h, i);
	}
	free(*idx);
	*idx = t;
	*cap = c;
	return 0;
}

/*
 * The names of a DataFrame chunk's list entries: one per distinct text of
 * a list fact, found while the list is converted under the GIL (its text
 * is then at hand), and held by the first str that had it; a list's
 * entries then point to their names' texts, so that the store holds one
 * str per name rather than one per entry. A name's list value
 * (msc_list_value: the entry normalised and looked up once) is made on
 * first use, without the GIL: a cohort's lists combine a few hundred
 * names, so that a row's list is set from its names' values instead of
 * doing that again. A name the library refuses, or one there was no
 * memory for, has no value: its list then goes through
 * msc_record_set_list_at(), which reports it.
 */
typedef struct lv_name {
	uint64_t h;               /* first: the index reads it */
	const char *s;
	size_t n;
	int fact, made;
	msc_list_value *lv;       /* once made: NULL if refused or no memory */
} lv_name;

typedef struct lv_names {
	const msc_rules *rules;
	int fact;                 /* of the column being converted */
	lv_name *v;
	size_t n, cap;
	uint64_t *slots;          /* the index of v (index_grow) */
	size_t nslots;
	uint32_t *ids;            /* per entry of the store's items: its name */
	size_t idcap;
} lv_names;

/* What cells point into: the list entries, the references that keep them
 * alive, and (for columns) the actions of objects already converted. */
typedef struct store {
	const char **items;
	size_t nitems, icap;
	const void *items_local;
	PyObject **keep;
	size_t nkeep, kcap;
	const void *keep_local;
	memo_slot *memo;
	size_t memo_cap, memo_n;
	struct text_slot *texts;  /* a frame's: strs and lists of str by content */
	size_t texts_n, texts_ecap;
	uint64_t *tindex;         /* the index that finds them (see text_get) */
	size_t tindex_cap;
	lv_names *names;          /* a frame's: list entries by name */
} store;

static void store_init(store *st, const char **items, size_t icap, PyObject **keep, size_t kcap)
{
	memset(st, 0, sizeof(*st));
	st->items = items;
	st->items_local = items;
	st->icap = icap;
	st->keep = keep;
	st->keep_local = keep;
	st->kcap = kcap;
}

/* Drops the references (GIL held) and frees the buffers. */
static void store_release(store *st)
{
	size_t i;
	for (i = 0; i < st->nkeep; i++)
		Py_DECREF(st->keep[i]);
	if ((const void *)st->items != st->items_local)
		free(st->items);
	if ((const void *)st->keep != st->keep_local)
		free(st->keep);
	free(st->memo);
	free(st->texts);
	free(st->tindex);
	memset(st, 0, sizeof(*st));
}

static int store_keep(store *st, PyObject *o)
{
	void *arr = st->keep;
	if (grow(&arr, &st->kcap, st->nkeep + 1, sizeof(PyObject *), st->keep_local))
		return -1;
	st->keep = arr;
	Py_INCREF(o);
	st->keep[st->nkeep++] = o;
	return 0;
}

static int memo_init(store *st, size_t cap)
{
	if (!(st->memo = calloc(cap, sizeof(memo_slot)))) {
		PyErr_NoMemory();
		return -1;
	}
	st->memo_cap = cap;
	return 0;
}

static size_t memo_hash(const store *st, PyObject *key, uint32_t col)
{
	return (size_t)mix((uint64_t)(uintptr_t)key ^ ((uint64_t)col << 56)) & (st->memo_cap - 1);
}

/* The action of `key` in column `col`, or NO_ACTION. */
static uint32_t memo_get(const store *st, PyObject *key, uint32_t col)
{
	size_t h = memo_hash(st, key, col);
	while (st->memo[h].key) {
		if (st->memo[h].key == key && st->memo[h].col == col)
			return st->memo[h].act;
		h = (h + 1) & (st->memo_cap - 1);
	}
	return NO_ACTION;
}

/* The store holds the keys, so that an address is never reused while it
 * is a key (the caller's column may change while `plain` runs). */
static int memo_put(store *st, PyObject *key, uint32_t col, uint32_t act)
{
	size_t h;
	if (2 * (st->memo_n + 1) > st->memo_cap) {
		memo_slot *old = st->memo;
		size_t i, cap = st->memo_cap;
		if (memo_init(st, cap * 2)) {
			st->memo = old;
			return -1;
		}
		for (i = 0; i < cap; i++)
			if (old[i].key) {
				h = memo_hash(st, old[i].key, old[i].col);
				while (st->memo[h].key)
					h = (h + 1) & (st->memo_cap - 1);
				st->memo[h] = old[i];
			}
		free(old);
	}
	if (store_keep(st, key))
		return -1;
	h = memo_hash(st, key, col);
	while (st->memo[h].key)
		h = (h + 1) & (st->memo_cap - 1);
	st->memo[h].key = key;
	st->memo[h].col = col;
	st->memo[h].act = act;
	st->memo_n++;
	return 0;
}

/*
 * A column's str, or list of str, already converted, found again by its
 * content: a DataFrame made by a JSON reader (pandas.read_json, or a
 * DataFrame of json.loads rows) holds every row's own objects, equal but
 * apart, which the memo (by address) never finds twice. Only an exact str
 * whose UTF-8 is at hand (no lone surrogate), or an exact list or tuple
 * of at most MSC_MAX_LIST such strs, is found so: its conversion depends
 * on its text alone. An entry's text is that of the first object with it,
 * which the store holds; a list's entries are the store's items
 * from `off`, whose names (lv_names) keep their lengths.
 * The entries are dense (texts, in the order filed), found through an
 * index (tindex, index_grow).
 */
enum { TK_NONE, TK_STR, TK_LIST };

typedef struct text_slot {
	uint64_t h;               /* first: the index reads it */
	const char *s;            /* TK_STR: the UTF-8 */
	size_t n;                 /* its bytes; TK_LIST: entries from items[off] */
	size_t off;
	uint32_t col, act;
	int kind;
} text_slot;

typedef struct text_key {
	uint64_t h;
	int kind;                 /* TK_NONE: not found by content */
	const char *s[MSC_MAX_LIST]; /* TK_STR: s[0]; TK_LIST: each entry's UTF-8 */
	size_t len[MSC_MAX_LIST];
	size_t n;                 /* TK_STR: bytes (len[0]); TK_LIST: entries */
} text_key;

/* An exact str's UTF-8 (read in place if it is ASCII); NULL if it has
 * none at hand (a lone surrogate: converting it says why). */
static const char *key_utf8(PyObject *v, size_t *len)
{
	Py_ssize_t n = 0;
	const char *s;

	if (PyUnicode_IS_COMPACT_ASCII(v)) {
		*len = (size_t)PyUnicode_GET_LENGTH(v);
		return (const char *)PyUnicode_1BYTE_DATA(v);
	}
	if (!(s = PyUnicode_AsUTF8AndSize(v, &n)))
		PyErr_Clear();
	*len = (size_t)n;
	return s;
}

/* The content key of `v` in column `col` (kind TK_NONE if it has none). */
static void text_key_of(PyObject *v, uint32_t col, text_key *k)
{
	Py_ssize_t i, n;
	uint64_t h;

	k->kind = TK_NONE;
	if (PyUnicode_CheckExact(v)) {
		if ((k->s[0] = key_utf8(v, &k->len[0]))) {
			k->n = k->len[0];
			k->h = mix(bytes_hash(k->s[0], k->n) ^ ((uint64_t)col << 40) ^ TK_STR);
			k->kind = TK_STR;
		}
		return;
	}
	if (!PyList_CheckExact(v) && !PyTuple_CheckExact(v))
		return;
	if ((n = PySequence_Fast_GET_SIZE(v)) > MSC_MAX_LIST)
		return;
	h = (uint64_t)n ^ ((uint64_t)col << 40) ^ TK_LIST;
	for (i = 0; i < n; i++) {
		PyObject *e = PySequence_Fast_GET_ITEM(v, i);
		if (!PyUnicode_CheckExact(e) || !(k->s[i] = key_utf8(e, &k->len[i])))
			return;
		h = mix(h ^ bytes_hash(k->s[i], k->len[i])) * 0x9e3779b97f4a7c15ULL;
	}
	k->n = (size_t)n;
	k->h = mix(h);
	k->kind = TK_LIST;
}

/* Is entry `sl` the content `k` (every byte, a NUL too)? */
static int text_equal(const store *st, const text_slot *sl, const text_key *k, uint32_t col)
{
	size_t i;

	if (sl->h != k->h || sl->kind != k->kind || sl->col != col || sl->n != k->n)
		return 0;
	if (k->kind == TK_STR)
		return memcmp(sl->s, k->s[0], k->n) == 0;
	for (i = 0; i < k->n; i++) {
		const lv_name *e = &st->names->v[st->names->ids[sl->off + i]];
		if (e->n != k->len[i] || memcmp(e->s, k->s[i], e->n) != 0)
			return 0;
	}
	return 1;
}

/* The action of the content `k` in column `col`, or NO_ACTION. */
static uint32_t text_get(const store *st, const text_key *k, uint32_t col)
{
	size_t h, mask = st->tindex_cap - 1;
	uint64_t e;

	if (k->kind == TK_NONE || !st->tindex)
		return NO_ACTION;
	for (h = (size_t)k->h & mask; (e = st->tindex[h]) != 0; h = (h + 1) & mask)
		if (IDX_SAME(e, k->h) && text_equal(st, &st->texts[IDX_POS(e)], k, col))
			return st->texts[IDX_POS(e)].act;
	return NO_ACTION;
}

/* Files the action of content `k` (its object held by the store; a list's
 * entries at items[off], named); -1 with an exception. */
static int text_put(store *st, const text_key *k, uint32_t col, uint32_t act, size_t off)
{
	text_slot *sl;
	size_t h, mask;
	void *arr = st->texts;

	if (k->kind == TK_NONE)
		return 0;
	if (st->texts_n >= UINT32_MAX - 1) {
		PyErr_NoMemory();
		return -1;
	}
	if (grow(&arr, &st->texts_ecap, st->texts_n + 1, sizeof(text_slot), NULL))
		return -1;
	st->texts = arr;
	if (index_grow(&st->tindex, &st->tindex_cap, st->texts, st->texts_n, sizeof(text_slot), 1024))
		return -1;
	mask = st->tindex_cap - 1;
	for (h = (size_t)k->h & mask; st->tindex[h]; h = (h + 1) & mask)
		;
	st->tindex[h] = IDX_SLOT(k->h, st->texts_n);
	sl = &st->texts[st->texts_n++];
	sl->h = k->h;
	sl->kind = k->kind;
	sl->s = k->kind == TK_STR ? k->s[0] : NULL;
	sl->n = k->n;
	sl->off = off;
	sl->col = col;
	sl->act = act;
	return 0;
}

/* A str's UTF-8 (cached in the str object, so it lives as long as the
 * str); a lone surrogate makes it invalid UTF-8 (in a bytes object the
 * store holds), for the setter to refuse as it refuses such JSON. */
static const char *utf8(store *st, PyObject *v, Py_ssize_t *n, int *kept)
{
	const char *s;
	PyObject *b;

	*kept = 0;
	if (PyUnicode_IS_COMPACT_ASCII(v)) { /* its text is its UTF-8 */
		*n = PyUnicode_GET_LENGTH(v);
		return (const char *)PyUnicode_1BYTE_DATA(v);
	}
	s = PyUnicode_AsUTF8AndSize(v, n);
	if (s || !PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
		return s;
	PyErr_Clear();
	if (!(b = PyUnicode_AsEncodedString(v, "utf-8", "surrogatepass")))
		return NULL;
	*kept = 1;
	s = store_keep(st, b) ? NULL : PyBytes_AS_STRING(b);
	*n = PyBytes_GET_SIZE(b);
	Py_DECREF(b);
	return s;
}

static int convert_word(store *st, PyObject *v, cell *c, int hold)
{
	Py_ssize_t n;
	int kept;
	const char *s = utf8(st, v, &n, &kept);

	if (!s)
		return -1;
	c->kind = C_WORD;
	c->u.s = s;
	c->n = (size_t)n;
	return hold && !kept ? store_keep(st, v) : 0;
}

static void names_release(lv_names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		msc_list_value_free(nm->v[i].lv);
	free(nm->v);
	free(nm->slots);
	free(nm->ids);
}

/* Entry `item` of the store (s, n bytes, from str `o`) by its name: the
 * name's text, made from this one (held) if it is new; NULL with an
 * exception. */
static const char *name_of(store *st, PyObject *o, const char *s, size_t n, int kept, size_t item)
{
	lv_names *nm = st->names;
	uint64_t h = mix(bytes_hash(s, n) ^ (uint64_t)(unsigned)nm->fact);
	lv_name *e;
	uint64_t slot;
	size_t k;
	void *arr;

	if (nm->n >= UINT32_MAX - 1) {
		PyErr_NoMemory();
		return NULL;
	}
	if (index_grow(&nm->slots, &nm->nslots, nm->v, nm->n, sizeof(lv_name), 256))
		return NULL;
	for (k = (size_t)h & (nm->nslots - 1); (slot = nm->slots[k]) != 0; k = (k + 1) & (nm->nslots - 1)) {
		if (!IDX_SAME(slot, h))
			continue;
		e = &nm->v[IDX_POS(slot)];
		if (e->h == h && e->fact == nm->fact && e->n == n && memcmp(e->s, s, n) == 0) {
			nm->ids[item] = IDX_POS(slot);
			return e->s;
		}
	}
	arr = nm->v;
	if (grow(&arr, &nm->cap, nm->n + 1, sizeof(lv_name), NULL) || (!kept && store_keep(st, o)))
		return NULL;
	nm->v = arr;
	e = &nm->v[nm->n];
	memset(e, 0, sizeof(*e));
	e->h = h;
	e->s = s;
	e->n = n;
	e->fact = nm->fact;
	nm->slots[k] = IDX_SLOT(h, nm->n);
	nm->ids[item] = (uint32_t)nm->n++;
	return s;
}

/* The value of a name, made on first use (no GIL needed); NULL if it has none. */
static const msc_list_value *name_value(lv_names *nm, uint32_t id)
{
	lv_name *e = &nm->v[id];

	if (!e->made) {
		e->made = 1;
		if (msc_list_value_new(&e->lv, nm->rules, (size_t)e->fact, &e->s, NULL, 1))
			e->lv = NULL;
	}
	return e->lv;
}

/* A list or tuple (or a subclass: its items are read directly), checked as
 * the JSON edge reads an array: entry by entry, a non-string refused, a
 * 65th entry refused; then entry by entry as msc_record_set_list() does,
 * where a NUL is refused in its turn (see apply). */
static int convert_list(store *st, PyObject *v, cell *c)
{
	Py_ssize_t i, n = PySequence_Fast_GET_SIZE(v);
	PyObject **objs = PySequence_Fast_ITEMS(v);
	void *arr = st->items;
	size_t nul = NO_INDEX;

	c->kind = C_LIST;
	for (i = 0; i < n && i <= MSC_MAX_LIST; i++) {
		if (!PyUnicode_Check(objs[i])) {
			c->b = E_ITEM;
			c->n = (size_t)i;
			return 0;
		}
		if (i == MSC_MAX_LIST) {
			c->b = E_LONG;
			c->n = (size_t)n;
			return 0;
		}
	}
	if (grow(&arr, &st->icap, st->nitems + (size_t)n, sizeof(char *), st->items_local))
		return -1;
	st->items = arr;
	arr = st->names ? st->names->ids : NULL;
	if (st->names && grow(&arr, &st->names->idcap, st->nitems + (size_t)n, sizeof(uint32_t), NULL))
		return -1;
	if (st->names)
		st->names->ids = arr;
	for (i = 0; i < n; i++) {
		Py_ssize_t len;
		int kept;
		const char *s = utf8(st, objs[i], &len, &kept);
		if (!s)
			return -1;
		if (nul == NO_INDEX && memchr(s, '\0', (size_t)len))
			nul = (size_t)i;
		/* the list itself may change once the GIL is released: hold the
		 * entries, or their names */
		if (st->names)
			s = name_of(st, objs[i], s, (size_t)len, kept, st->nitems + (size_t)i);
		else if (!kept && store_keep(st, objs[i]))
			s = NULL;
		if (!s)
			return -1;
		st->items[st->nitems + (size_t)i] = s;
	}
	c->u.off = st->nitems;
	c->n = (size_t)n;
	if (nul != NO_INDEX) {
		c->b = E_NUL;
		c->n = nul;
	}
	st->nitems += (size_t)n;
	return 0;
}

/*
 * A Python value as a cell: None -> null; bool; int and float -> number
 * (NaN -> null: a DataFrame's missing value; an int too large for a double
 * -> infinity, which the setter refuses as it refuses such a JSON number);
 * str -> word; list or tuple -> list. Anything else goes once through the context's `plain` (numpy
 * scalars and arrays, pandas NA) and is C_OTHER if it is still none of
 * these. `hold`: keep a reference to a str used (a record dict may change
 * once the GIL is released; a column's store holds its own). `top`: may
 * use `plain`. Returns -1 only with a Python exception (memory, or `plain`
 * raised).
 */
static int convert(ctx *x, store *st, PyObject *v, cell *c, int hold, int top)
{
	memset(c, 0, sizeof(*c));
	c->kind = C_OTHER;
	if (v == Py_None) {
		c->kind = C_NULL;
		return 0;
	}
	if (PyBool_Check(v)) {
		c->kind = C_BOOL;
		c->b = v == Py_True;
		return 0;
	}
	if (PyUnicode_Check(v))
		return convert_word(st, v, c, hold);
	if (PyFloat_Check(v)) {
		double d = PyFloat_AS_DOUBLE(v);
		c->kind = isnan(d) ? C_NULL : C_NUMBER;
		c->u.d = d;
		return 0;
	}
	if (PyLong_Check(v)) {
		int overflow = 0;
		long long ll = PyLong_AsLongLongAndOverflow(v, &overflow);
		double d = (double)ll;
		if (ll == -1 && PyErr_Occurred())
			return -1;
		if (overflow) {
			d = PyLong_AsDouble(v);
			if (d == -1.0 && PyErr_Occurred()) {
				if (!PyErr_ExceptionMatches(PyExc_OverflowError))
					return -1;
				PyErr_Clear();
				d = overflow < 0 ? -HUGE_VAL : HUGE_VAL;
			}
		}
		c->kind = C_NUMBER;
		c->u.d = d;
		return 0;
	}
	if (PyList_Check(v) || PyTuple_Check(v)) {
		if (convert_list(st, v, c))
			return -1;
	} else if (top) {
		PyObject *p = PyObject_CallOneArg(x->plain, v);
		int rc = 0;
		if (!p)
			return -1;
		if (p != v)
			rc = store_keep(st, p) || convert(x, st, p, c, 0, 0) ? -1 : 0;
		Py_DECREF(p);
		if (rc)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ apply */

typedef struct errinfo {
	int err;     /* E_*; E_NONE: the library's last error says what */
	int fact;
	size_t idx;  /* the list entry, NO_INDEX, or for E_LONG the count */
} errinfo;

static int refuse_at(errinfo *e, int err, int fact, size_t idx)
{
	e->err = err;
	e->fact = fact;
	e->idx = idx;
	return err == E_LONG ? MSC_ELIMIT : MSC_EFIELD;
}

/*
 * What a cell does to its fact: the one value -> setter dispatch, in two
 * steps. resolve() checks the cell against the fact's type as the JSON
 * edge checks a value (libmesoscreen/json/record_json.c: value, entry),
 * and accepts nothing else; run() calls the setter it chose (by fact
 * index), whose own checks and messages then apply. A column resolves
 * each distinct value once and runs it for every row that holds it.
 */
enum {
	A_NONE,         /* absent: nothing to set */
	A_UNSET,        /* msc_record_unset_at() */
	A_ANSWER,       /* msc_record_set_answer_at(), b the msc_answer */
	A_NUMBER,       /* msc_record_set_number_at(), u.d */
	A_WORD,         /* msc_record_set_word_at(), u.s and n */
	A_LIST,         /* n entries from items[u.off], by msc_record_set_list_at();
			 * a frame resolves it before the rows into: */
	A_LIST_VALUES,  /* each entry has a list value (lvs[u.off]): set from them */
	A_LIST_ITEMS,   /* one has none: set from the entries, as A_LIST */
	A_LIST_NUL,     /* the n entries before one that holds a NUL, then E_NUL */
	A_REFUSE        /* a refusal of the binding's own: b the E_*, n its idx */
};

typedef struct action {
	cellval u;
	size_t n;
	unsigned char op;
	signed char b;
} action;

static void refusal_action(action *a, int err, size_t idx)
{
	a->op = A_REFUSE;
	a->b = (signed char)err;
	a->n = idx;
}

static void resolve(const ctx *x, int fi, const cell *c, action *a)
{
	const pyfact *f = &x->facts[fi];

	a->u = c->u;
	a->n = c->n;
	a->b = 0;
	switch (c->kind) {
	case C_ABSENT:
		a->op = A_NONE;
		return;
	case C_NULL:
		a->op = A_UNSET;
		return;
	case C_BOOL:
		if (f->kind != FK_YESNO)
			break;
		a->op = A_ANSWER;
		a->b = c->b ? MSC_YES : MSC_NO;
		return;
	case C_NUMBER:
		if (f->kind != FK_NUMBER)
			break;
		a->op = A_NUMBER;
		return;
	case C_WORD:
		if (f->kind == FK_YESNO || f->kind == FK_ENUM) {
			if (memchr(c->u.s, '\0', c->n))
				refusal_action(a, E_NUL, NO_INDEX);
			else
				a->op = A_WORD; /* the setter takes the words it expects as they are */
			return;
		}
		if (f->kind != FK_NUMBER || !f->accepts_never || c->n != 5 || memcmp(c->u.s, "never", 5) != 0)
			break;
		a->op = A_WORD;
		return;
	case C_LIST:
		if (f->kind != FK_LIST)
			break;
		if (c->b == E_ITEM || c->b == E_LONG)
			refusal_action(a, c->b, c->n);
		else
			a->op = c->b == E_NUL ? A_LIST_NUL : A_LIST;
		return;
	default:
		break;
	}
	refusal_action(a, E_TYPE, NO_INDEX);
}

/* Runs an action (no GIL needed): the setter's status, or a refusal of the
 * binding's own described in `e`. A list is set from its entries here. */
static int run(msc_record *rec, int fi, const action *a, const char *const *items, errinfo *e)
{
	size_t at = (size_t)fi;
	int rc;

	switch (a->op) {
	case A_NONE:
		return MSC_OK;
	case A_UNSET:
		return msc_record_unset_at(rec, at);
	case A_ANSWER:
		return msc_record_set_answer_at(rec, at, (msc_answer)a->b);
	case A_NUMBER:
		return msc_record_set_number_at(rec, at, a->u.d);
	case A_WORD:
		return msc_record_set_word_at(rec, at, a->u.s, a->n);
	case A_LIST:
	case A_LIST_VALUES: /* (a frame sets these itself) */
	case A_LIST_ITEMS:
		return msc_record_set_list_at(rec, at, a->n ? items + a->u.off : NULL, NULL, a->n);
	case A_LIST_NUL:
		/* the setter checks the entries before it first, as it would in
		 * one call (the record is emptied anyway) */
		rc = msc_record_set_list_at(rec, at, a->n ? items + a->u.off : NULL, NULL, a->n);
		return rc ? rc : refuse_at(e, E_NUL, fi, a->n);
	default:
		return refuse_at(e, a->b, fi, a->n);
	}
}

/* A cell of a record dict, resolved and run. */
static int apply(const ctx *x, msc_record *rec, int fi, const cell *c, const char *const *items, errinfo *e)
{
	action a;

	resolve(x, fi, c, &a);
	return run(rec, fi, &a, items, e);
}

/* The message of a refusal of the binding's own (the JSON edge's words). */
static PyObject *refusal_text(const ctx *x, const errinfo *e)
{
	const pyfact *f = &x->facts[e->fact];
	char where[MSC_MAX_TEXT + 64];

	if (e->idx == NO_INDEX || e->err == E_LONG)
		snprintf(where, sizeof(where), "%s", f->path);
	else
		snprintf(where, sizeof(where), "%s[%zu]", f->path, e->idx);
	switch (e->err) {
	case E_TYPE:
		switch (f->kind) {
		case FK_YESNO:
			return text("%s: expected true, false, null, \"yes\", \"no\" or \"unknown\"", where);
		case FK_NUMBER:
			return text("%s: expected a number%s or null", where, f->accepts_never ? ", \"never\"" : "");
		case FK_ENUM:
			return text("%s: expected a string or null", where);
		default:
			return text("%s: expected a list of strings, [] for none, or null", where);
		}
	case E_ITEM:
		return text("%s: expected a string", where);
	case E_NUL:
		return text("%s: holds a NUL character", where);
	case E_LONG:
		return text("%s: more than the limit of %d entries", where, MSC_MAX_LIST);
	default:
		return text("%s: refused", where);
	}
}

/* Raises the exception of a refused record (steals msg). */
static void raise_record(const ctx *x, int code, PyObject *msg)
{
	PyObject *exc;

	if (!msg)
		return;
	if (code == MSC_ENOMEM) {
		PyErr_SetObject(PyExc_MemoryError, msg);
	} else if (code == MSC_EINVAL) {
		PyErr_SetObject(PyExc_TypeError, msg);
	} else if ((exc = PyObject_CallFunction(x->record_error, "Os", msg, msc_status_name(code)))) {
		PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
		Py_DECREF(exc);
	}
	Py_DECREF(msg);
}

/* ------------------------------------------------------------ record dicts */

/* One step of reading a record dict: a field's cell, or a section that is
 * present (fact < 0: section -1 - fact). */
typedef struct op {
	int fact;
	cell c;
} op;

typedef struct opvec {
	op *v;
	size_t n, cap;
	const void *local;
} opvec;

static op *push_op(opvec *ops, int fact)
{
	void *arr = ops->v;
	op *o;
	if (grow(&arr, &ops->cap, ops->n + 1, sizeof(op), ops->local))
		return NULL;
	ops->v = arr;
	o = &ops->v[ops->n++];
	memset(o, 0, sizeof(*o));
	o->fact = fact;
	return o;
}

static void ops_release(opvec *ops)
{
	if ((const void *)ops->v != ops->local)
		free(ops->v);
}

/* A record refused while it was read (unknown key, not a dict...). */
typedef struct refusal {
	int code;
	PyObject *msg;
} refusal;

static int refuse(refusal *r, PyObject *msg)
{
	r->code = MSC_EFIELD;
	r->msg = msg;
	return msg ? 0 : -1;
}

/* A key for a message: its text (UTF-8, cut to fit), whatever it is. */
static void key_text(PyObject *key, char *buf, size_t size)
{
	PyObject *s = PyUnicode_Check(key) ? (Py_INCREF(key), key) : PyObject_Str(key);
	PyObject *b = s ? PyUnicode_AsEncodedString(s, "utf-8", "backslashreplace") : NULL;

	if (b)
		snprintf(buf, size, "%s", PyBytes_AS_STRING(b));
	else
		snprintf(buf, size, "<%s>", Py_TYPE(key)->tp_name);
	if (!b)
		PyErr_Clear();
	Py_XDECREF(b);
	Py_XDECREF(s);
}

/* The fact (or, for section -1, the section) a key names, or -1 (not a
 * str, or no such name). -2 with an exception. A str's own hash is the
 * one its dict already computed and keeps (str's, never a subclass's: a
 * subclass is looked up through a plain str copy, so that it cannot run
 * code for its hash or equality); an ASCII str's text is read in place. */
static int lookup(const ctx *x, int section, PyObject *key)
{
	const char *s;
	Py_ssize_t n;
	Py_hash_t hash;
	PyObject *plain;
	int fi;

	if (!PyUnicode_Check(key))
		return -1;
	if (!PyUnicode_CheckExact(key)) {
		if (!(plain = PyUnicode_FromObject(key)))
			return -2;
		fi = lookup(x, section, plain);
		Py_DECREF(plain);
		return fi;
	}
	/* the hash its dict computed, kept in the str */
	if ((hash = ((PyASCIIObject *)key)->hash) == -1 && (hash = PyObject_Hash(key)) == -1)
		return -2;
	if (PyUnicode_IS_COMPACT_ASCII(key)) {
		s = (const char *)PyUnicode_DATA(key);
		n = PyUnicode_GET_LENGTH(key);
	} else if (!(s = PyUnicode_AsUTF8AndSize(key, &n))) {
		PyErr_Clear();
		return -1; /* a lone surrogate: no name */
	}
	return key_find(x, section, hash, s, (size_t)n);
}

/* A mapping that is not a dict, as a dict held by the store; NULL (no
 * exception) if it is not a mapping. */
static PyObject *as_dict(ctx *x, store *st, PyObject *v, int *error)
{
	PyObject *d;
	int m;

	*error = 0;
	if (PyDict_Check(v))
		return v;
	if ((m = PyObject_IsInstance(v, x->mapping)) <= 0) {
		*error = m < 0;
		return NULL;
	}
	if (!(d = PyDict_New()) || PyDict_Merge(d, v, 1) < 0 || store_keep(st, d)) {
		Py_XDECREF(d);
		*error = 1;
		return NULL;
	}
	Py_DECREF(d);
	return d;
}

static int section_ops(ctx *x, store *st, opvec *ops, PyObject *skey, PyObject *sval, refusal *r)
{
	PyObject *sec, *key, *v;
	Py_ssize_t pos = 0;
	char name[80];
	int s = lookup(x, -1, skey), error;

	if (s == -2)
		return -1;
	if (s < 0) {
		key_text(skey, name, sizeof(name));
		return refuse(r, text("%.64s: unknown key (expected %s)", name, x->sections_text));
	}
	if (sval == Py_None)
		return 0; /* null: as if absent */
	if (!(sec = as_dict(x, st, sval, &error)))
		return error ? -1 : refuse(r, text("%s: expected an object or null", x->sections[s]));
	if (!push_op(ops, -1 - s))
		return -1;
	while (PyDict_Next(sec, &pos, &key, &v)) {
		int fi = lookup(x, s, key), rc;
		op *o;
		if (fi == -2)
			return -1;
		if (fi < 0) {
			key_text(key, name, sizeof(name));
			return refuse(r, text("%s.%.64s: unknown key", x->sections[s], name));
		}
		if (!(o = push_op(ops, fi)))
			return -1;
		Py_INCREF(v);
		rc = convert(x, st, v, &o->c, 1, 1);
		Py_DECREF(v);
		if (rc)
			return -1;
	}
	return 0;
}

/*
 * Reads a record dict into ops, in its order, as the JSON edge reads the
 * object (read_nested): a null section is absent, any other section is
 * present even if empty, an unknown section or key refuses the record.
 * Returns -1 with a Python exception, else 0 (r->msg set if refused).
 */
static int record_ops(ctx *x, store *st, opvec *ops, PyObject *record, refusal *r)
{
	PyObject *dict, *skey, *sval;
	Py_ssize_t pos = 0;
	int rc = 0, error;

	r->msg = NULL;
	if (!(dict = as_dict(x, st, record, &error))) {
		if (error)
			return -1;
		return refuse(r, text("record: expected a dict with \"patient\" and \"plan\", not %.64s",
				      Py_TYPE(record)->tp_name));
	}
	while (!rc && !r->msg && PyDict_Next(dict, &pos, &skey, &sval)) {
		Py_INCREF(skey);
		Py_INCREF(sval);
		rc = section_ops(x, st, ops, skey, sval, r);
		Py_DECREF(skey);
		Py_DECREF(sval);
	}
	return rc;
}

/* Fills a record from ops (no GIL needed). On error the record is emptied
 * and, for the library's errors, its message copied into libmsg. */
static int fill_record(const ctx *x, msc_record *rec, const op *ops, size_t n, const char *const *items,
		       errinfo *e, char *libmsg, size_t libmsg_size)
{
	size_t i;
	int rc = MSC_OK;

	msc_record_clear(rec);
	for (i = 0; i < n && rc == MSC_OK; i++)
		rc = ops[i].fact < 0 ? msc_record_set_present(rec, x->sections[-1 - ops[i].fact])
				     : apply(x, rec, ops[i].fact, &ops[i].c, items, e);
	if (rc) {
		if (libmsg)
			snprintf(libmsg, libmsg_size, "%s", e->err ? "" : msc_error_message());
		msc_record_clear(rec); /* never half-read */
	}
	return rc;
}

/* --------------------------------------------------------------- results */

/* A text of the rule set (or any text likely to repeat) as str: one the
 * rule set hands out is found by its pointer alone, any other is checked. */
static PyObject *cstr(ctx *x, const char *s)
{
	str_slot *sl;
	PyObject *o;
	const char *u;
	Py_ssize_t n;

	if (!s)
		s = "";
	{
		own_slot *own = own_find(x, s);
		if (own->p) {
			Py_INCREF(own->o);
			return own->o;
		}
	}
	sl = &x->strs[mix((uint64_t)(uintptr_t)s) >> (64 - STR_BITS)];
	if (sl->p == s && strncmp(sl->u, s, (size_t)sl->n) == 0 && s[sl->n] == '\0') {
		Py_INCREF(sl->o);
		return sl->o;
	}
	if (!(o = pstr(s)))
		return NULL;
	if (!(u = PyUnicode_AsUTF8AndSize(o, &n))) {
		PyErr_Clear();
		return o; /* not cached */
	}
	Py_XDECREF(sl->o);
	sl->p = s;
	sl->o = o;
	sl->u = u;
	sl->n = n;
	Py_INCREF(o);
	return o;
}

/* A short text of a result as str, cached by its content (a longer one is
 * decoded each time). */
static PyObject *wstr(ctx *x, const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	word_slot *sl;
	size_t n;

	if (!s)
		s = "";
	for (n = 0; s[n] && n < WORD_MAX; n++)
		h = (h ^ (unsigned char)s[n]) * 1099511628211ULL;
	if (s[n])
		return pstr(s);
	sl = &x->words[mix(h) >> (64 - WORD_BITS)];
	if (sl->o && sl->h == h && sl->n == n && memcmp(sl->s, s, n) == 0) {
		Py_INCREF(sl->o);
		return sl->o;
	}
	Py_XDECREF(sl->o);
	if (!(sl->o = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "replace")))
		return NULL;
	sl->h = h;
	sl->n = n;
	memcpy(sl->s, s, n);
	Py_INCREF(sl->o);
	return sl->o;
}

/* A tuple of items (stolen); NULL, the items released, if one is NULL. */
static PyObject *tuple_new(PyObject **items, size_t n)
{
	PyObject *t = NULL;
	size_t i;

	for (i = 0; i < n && items[i]; i++)
		;
	if (i == n && (t = PyTuple_New((Py_ssize_t)n)) != NULL) {
		for (i = 0; i < n; i++)
			PyTuple_SET_ITEM(t, (Py_ssize_t)i, items[i]);
		return t;
	}
	for (i = 0; i < n; i++)
		Py_XDECREF(items[i]);
	return NULL;
}

/*
 * A tuple of items (stolen), the same object as an earlier one with the
 * very same items: results are immutable and mostly made of the rule
 * table's texts, so that most of a cohort's results share their parts
 * instead of allocating them again (and the garbage collector has fewer
 * objects to visit). Only the allocation is saved: every record is
 * screened.
 */
static PyObject *intern_tuple(ctx *x, PyObject **items, size_t n)
{
	uint64_t h = n;
	PyObject *t, **sl;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!items[i])
			return tuple_new(items, n); /* releases them */
		h = mix(h ^ (uint64_t)(uintptr_t)items[i]);
	}
	if (n == 0)
		return PyTuple_New(0);
	sl = &x->tuples[h >> (64 - TUPLE_BITS)];
	t = *sl;
	if (t && (size_t)PyTuple_GET_SIZE(t) == n) {
		for (i = 0; i < n && PyTuple_GET_ITEM(t, (Py_ssize_t)i) == items[i]; i++)
			;
		if (i == n) {
			while (n--)
				Py_DECREF(items[n]);
			Py_INCREF(t);
			return t;
		}
	}
	if (!(t = tuple_new(items, n)))
		return NULL;
	Py_XDECREF(*sl);
	Py_INCREF(t);
	*sl = t;
	return t;
}

/* Up to this many items, a tuple is interned; a longer one is not. */
#define INTERN_MAX 64

/* A tuple of n texts as str: the rule set's (sources) through the pointer
 * cache, a result's own (because) through the content cache. */
static PyObject *strings(ctx *x, const char *const *s, size_t n, int own)
{
	PyObject *items[INTERN_MAX], *t;
	size_t i;

	if (n <= INTERN_MAX) {
		for (i = 0; i < n; i++)
			items[i] = own ? wstr(x, s[i]) : cstr(x, s[i]);
		return intern_tuple(x, items, n);
	}
	if (!(t = PyTuple_New((Py_ssize_t)n)))
		return NULL;
	for (i = 0; i < n; i++) {
		PyObject *v = own ? wstr(x, s[i]) : cstr(x, s[i]);
		if (!v) {
			Py_DECREF(t);
			return NULL;
		}
		PyTuple_SET_ITEM(t, (Py_ssize_t)i, v);
	}
	return t;
}

/* A tuple of n (at most 3) texts as str (cstr), the same tuple for the
 * same texts; cached by their addresses when all are the rule set's. */
static PyObject *own_tuple(ctx *x, const char *const *p, size_t n)
{
	uint64_t h = n;
	PyObject *v[3], *t;
	item_slot *sl;
	size_t i;

	for (i = 0; i < n; i++)
		h = mix(h ^ (uint64_t)(uintptr_t)p[i]);
	sl = &x->items[h >> (64 - ITEM_BITS)];
	if (sl->t && (size_t)PyTuple_GET_SIZE(sl->t) == n) {
		for (i = 0; i < n && sl->p[i] == p[i]; i++)
			;
		if (i == n) {
			Py_INCREF(sl->t);
			return sl->t;
		}
	}
	for (i = 0; i < n; i++)
		v[i] = cstr(x, p[i]);
	if (!(t = intern_tuple(x, v, n)))
		return NULL;
	for (i = 0; i < n && p[i] && own_find(x, p[i])->p; i++)
		;
	if (i == n) {
		Py_XDECREF(sl->t);
		memset(sl->p, 0, sizeof(sl->p));
		memcpy(sl->p, p, n * sizeof(*p));
		Py_INCREF(t);
		sl->t = t;
	}
	return t;
}

static PyObject *verdict_str(ctx *x, int v)
{
	if (v >= MSC_CLEAR && v <= MSC_CONTRAINDICATED) {
		Py_INCREF(x->verdicts[v]);
		return x->verdicts[v];
	}
	return pstr(msc_verdict_name(v));
}

/*
 * `o` (may be NULL) left out of the garbage collector's lists. For the
 * objects a result is made of that can never be part of a reference cycle:
 * the whole result tuple (its items are strs, None, tuples of them and the
 * rule set's dict, none of which can refer back to it) and a
 * mesoscreen.Result until something mutable hangs from it (Result's own
 * code calls msc_py_track() first). Untracked, the many results of a
 * cohort cost the collector nothing: it neither walks them on each
 * collection nor counts them among the survivors that set off a full
 * collection, which all runs with the GIL held.
 */
static PyObject *untracked(PyObject *o)
{
	if (o)
		PyObject_GC_UnTrack(o);
	return o;
}

PyObject *msc_py_track(PyObject *obj)
{
	if (PyObject_IS_GC(obj) && !PyObject_GC_IsTracked(obj))
		PyObject_GC_Track(obj);
	Py_RETURN_NONE;
}

/* A tuple of n tuples that item(x, res, i, k) makes (interned when short). */
typedef PyObject *(*item_fn)(ctx *x, const msc_result *res, size_t i, int k);

static PyObject *tuple_of(ctx *x, const msc_result *res, size_t n, int k, item_fn item)
{
	PyObject *items[INTERN_MAX], *t;
	size_t i;

	if (n <= INTERN_MAX) {
		for (i = 0; i < n; i++)
			items[i] = item(x, res, i, k);
		return intern_tuple(x, items, n);
	}
	if (!(t = PyTuple_New((Py_ssize_t)n)))
		return NULL;
	for (i = 0; i < n; i++) {
		PyObject *v = item(x, res, i, k);
		if (!v) {
			Py_DECREF(t);
			return NULL;
		}
		PyTuple_SET_ITEM(t, (Py_ssize_t)i, v);
	}
	return t;
}

static PyObject *finding_item(ctx *x, const msc_result *res, size_t i, int k)
{
	const msc_finding *f = msc_result_finding(res, i);
	PyObject *v[5];
	(void)k;
	v[0] = cstr(x, f->rule);
	v[1] = verdict_str(x, (int)f->severity);
	v[2] = cstr(x, f->message);
	v[3] = strings(x, f->because, f->because_count, 1);
	v[4] = strings(x, f->sources, f->source_count, 0);
	return intern_tuple(x, v, 5);
}

static PyObject *missing_item(ctx *x, const msc_result *res, size_t i, int k)
{
	const msc_missing *m = msc_result_missing(res, i);
	const char *p[3];
	(void)k;
	p[0] = m->rule;
	p[1] = m->fact;
	p[2] = m->question;
	return own_tuple(x, p, 3);
}

static PyObject *instruction_item(ctx *x, const msc_result *res, size_t i, int k)
{
	const msc_instruction *in = msc_result_instruction(res, (msc_phase)k, i);
	const char *p[2];
	p[0] = in->id;
	p[1] = in->text;
	return own_tuple(x, p, 2);
}

static PyObject *override_item(ctx *x, const msc_result *res, size_t i, int k)
{
	const msc_override *ov = msc_result_override(res, i);
	PyObject *v[4];
	(void)k;
	v[0] = cstr(x, ov->rule);
	v[1] = cstr(x, ov->action);
	v[2] = ov->reason ? cstr(x, ov->reason) : str_or_none(NULL);
	v[3] = cstr(x, ov->changed_by);
	return intern_tuple(x, v, 4);
}

static PyObject *unrecognized_item(ctx *x, const msc_result *res, size_t i, int k)
{
	return wstr(x, msc_result_unrecognized(res, (msc_list)k, i));
}

/*
 * The result in one call, as a tuple of tuples of str (they hold no
 * reference cycles; the parts that repeat from one result to the next are
 * interned, see intern_tuple):
 *
 *   (verdict, ruleset, findings, missing, before, after, overrides, unrecognized)
 *
 * ruleset is the dict of contract.md (one per rule set, shared); findings
 * a tuple of (rule, severity, message, because, sources) with because and
 * sources tuples; missing a tuple of (rule, fact, question); before and
 * after tuples of (id, text); overrides None, or (the rule set has clinic
 * changes) a tuple of (rule, action, reason or None, changed_by);
 * unrecognized (medications, allergies, ingredients), tuples of names.
 * _result.Result turns it into contract.md's dict, the keys in the order of
 * msc_result_to_json(), when asked (the tests compare them on every
 * vector). Whatever this reads of the result, result_sig() must write:
 * results with equal signatures share what this made.
 */
static PyObject *build_result(ctx *x, const msc_result *res)
{
	const char *name = msc_result_ruleset_name(res), *version = msc_result_ruleset_version(res);
	PyObject *v[8], *u[3];
	int k;

	v[0] = verdict_str(x, (int)msc_result_verdict(res));
	if (name && version && strcmp(name, x->ruleset_name) == 0 && strcmp(version, x->ruleset_version) == 0) {
		Py_INCREF(x->ruleset);
		v[1] = x->ruleset;
	} else {
		v[1] = ruleset_dict(x, name, version);
	}
	v[2] = tuple_of(x, res, msc_result_finding_count(res), 0, finding_item);
	v[3] = tuple_of(x, res, msc_result_missing_count(res), 0, missing_item);
	v[4] = tuple_of(x, res, msc_result_instruction_count(res, MSC_BEFORE), MSC_BEFORE, instruction_item);
	v[5] = tuple_of(x, res, msc_result_instruction_count(res, MSC_AFTER), MSC_AFTER, instruction_item);
	v[6] = x->overrides ? tuple_of(x, res, msc_result_override_count(res), 0, override_item) : str_or_none(NULL);
	for (k = 0; k < 3; k++)
		u[k] = tuple_of(x, res, msc_result_unrecognized_count(res, (msc_list)k), k, unrecognized_item);
	v[7] = intern_tuple(x, u, 3);
	return untracked(tuple_new(v, 8)); /* the whole: one per record, not interned */
}

/*
 * A result's signature: everything build_result() reads of it, written
 * out so that two results with the same bytes make equal tuples (a part
 * added to build_result() must be added here, or results that differ in
 * it would be shared). A text
 * the rule set owns is written as its address, any other text (a
 * "because", an unrecognised name) as its length and bytes. `own` says
 * whether the result was screened here with the context's rule set (then
 * every text but those two kinds is the rule set's); if not, each address
 * is checked against the context's own table (filled once, so reading it
 * needs no GIL), and the signature starts with a different byte. It is
 * written at the end of a buffer that grows with malloc only (no Python
 * call: it runs with the GIL released). Returns its length, or 0 (the
 * buffer as it was) if this result is not to be shared: longer than
 * SIG_MAX, from a rule set of another name or version, or no memory.
 */
typedef struct sigbuf {
	unsigned char *b;
	size_t n, cap;
	const unsigned char *local;  /* b's first, caller-owned array, or NULL */
} sigbuf;

typedef struct sigw {
	const ctx *x;
	unsigned char *o, *end;
	int own, full;
} sigw;

static void sig_bytes(sigw *w, const void *p, size_t n)
{
	if ((size_t)(w->end - w->o) < n) {
		w->full = 1;
		return;
	}
	memcpy(w->o, p, n);
	w->o += n;
}

static void sig_count(sigw *w, size_t n)
{
	uint32_t v = (uint32_t)n;
	sig_bytes(w, &v, sizeof(v));
}

/* A text of the rule set's (rule ids, messages, sources, questions,
 * instructions), or any other text if the result is not known to be. */
static void sig_owned(sigw *w, const char *s)
{
	unsigned char tag;

	if (w->own) {
		sig_bytes(w, &s, sizeof(s));
		return;
	}
	tag = !s ? 0 : own_find(w->x, s)->p ? 1 : 2;
	sig_bytes(w, &tag, 1);
	if (tag == 1) {
		sig_bytes(w, &s, sizeof(s));
	} else if (tag == 2) {
		size_t n = strlen(s);
		sig_count(w, n);
		sig_bytes(w, s, n);
	}
}

/* A text of the result's own (never NULL). */
static void sig_text(sigw *w, const char *s)
{
	size_t n = strlen(s);
	sig_count(w, n);
	sig_bytes(w, s, n);
}

static size_t result_sig(const ctx *x, const msc_result *res, sigbuf *b, int own)
{
	const char *name = msc_result_ruleset_name(res), *version = msc_result_ruleset_version(res);
	size_t i, j, n;
	unsigned char head[2];
	sigw w;
	int k;

	if (!name || !version || strcmp(name, x->ruleset_name) != 0 || strcmp(version, x->ruleset_version) != 0)
		return 0;
	{
		void *arr = b->b;
		if (grow_nogil(&arr, &b->cap, b->n + SIG_MAX, 1, b->local))
			return 0;
		b->b = arr;
	}
	w.x = x;
	w.o = b->b + b->n;
	w.end = w.o + SIG_MAX;
	w.own = own;
	w.full = 0;
	head[0] = (unsigned char)own;
	head[1] = (unsigned char)msc_result_verdict(res);
	sig_bytes(&w, head, 2);
	sig_count(&w, n = msc_result_finding_count(res));
	for (i = 0; i < n; i++) {
		const msc_finding *f = msc_result_finding(res, i);
		unsigned char sev = (unsigned char)f->severity;
		sig_owned(&w, f->rule);
		sig_bytes(&w, &sev, 1);
		sig_owned(&w, f->message);
		sig_count(&w, f->because_count);
		for (j = 0; j < f->because_count; j++)
			sig_text(&w, f->because[j] ? f->because[j] : "");
		sig_count(&w, f->source_count);
		for (j = 0; j < f->source_count; j++)
			sig_owned(&w, f->sources[j]);
	}
	sig_count(&w, n = msc_result_missing_count(res));
	for (i = 0; i < n; i++) {
		const msc_missing *m = msc_result_missing(res, i);
		sig_owned(&w, m->rule);
		sig_owned(&w, m->fact);
		sig_owned(&w, m->question);
	}
	for (k = MSC_BEFORE; k <= MSC_AFTER; k++) {
		sig_count(&w, n = msc_result_instruction_count(res, (msc_phase)k));
		for (i = 0; i < n; i++) {
			const msc_instruction *in = msc_result_instruction(res, (msc_phase)k, i);
			sig_owned(&w, in->id);
			sig_owned(&w, in->text);
		}
	}
	if (x->overrides) {
		sig_count(&w, n = msc_result_override_count(res));
		for (i = 0; i < n; i++) {
			const msc_override *ov = msc_result_override(res, i);
			sig_owned(&w, ov->rule);
			sig_owned(&w, ov->action);
			sig_owned(&w, ov->reason);
			sig_owned(&w, ov->changed_by);
		}
	}
	for (k = 0; k < 3; k++) {
		sig_count(&w, n = msc_result_unrecognized_count(res, (msc_list)k));
		for (i = 0; i < n; i++) {
			const char *u = msc_result_unrecognized(res, (msc_list)k, i);
			sig_text(&w, u ? u : "");
		}
	}
	if (w.full)
		return 0;
	n = (size_t)(w.o - (b->b + b->n));
	b->n += n;
	return n;
}

/* The hash result_raw() files a signature of n bytes by (0: none). No
 * Python object is read: screen_many finds it without the GIL. */
static uint64_t sig_hash(const unsigned char *sig, size_t n)
{
	return n ? bytes_hash((const char *)sig, n) : 0;
}

/* build_result(), shared with every earlier result of the same signature
 * (sig, n bytes, its bytes_hash h; n 0: not shared) that is still cached. */
static PyObject *result_raw(ctx *x, const msc_result *res, const unsigned char *sig, size_t n, uint64_t h)
{
	raw_slot *sl;
	PyObject *raw;
	unsigned char *copy;

	if (n == 0)
		return build_result(x, res);
	sl = &x->raws[h >> (64 - RAW_BITS)];
	if (sl->raw && sl->h == h && sl->n == n && memcmp(sl->sig, sig, n) == 0) {
		Py_INCREF(sl->raw);
		return sl->raw;
	}
	if (!(raw = build_result(x, res)) || !(copy = malloc(n)))
		return raw; /* not cached */
	memcpy(copy, sig, n);
	free(sl->sig);
	Py_XSETREF(sl->raw, raw);
	Py_INCREF(raw);
	sl->h = h;
	sl->n = n;
	sl->sig = copy;
	return raw;
}

/* A result's tuples through the cache (GIL held); own as result_sig's. */
static PyObject *shared_raw(ctx *x, const msc_result *res, int own)
{
	unsigned char local[SIG_MAX];
	sigbuf b = { local, 0, sizeof(local), local };
	size_t n = result_sig(x, res, &b, own);
	PyObject *raw = result_raw(x, res, b.b, n, sig_hash(b.b, n));

	if (b.b != local)
		free(b.b);
	return raw;
}

/* A mesoscreen.Result holding `raw` (stolen), made here rather than by a
 * Python call: one allocation and its four slots, written in place (the
 * allocation leaves them NULL) or, for a slot the type does not keep as
 * slot_offset() expects, set by name. */
static PyObject *new_result(ctx *x, PyObject *raw)
{
	PyObject *r;
	int i;

	if (!raw)
		return NULL;
	if (!(r = x->result_type->tp_alloc(x->result_type, 0))) {
		Py_DECREF(raw);
		return NULL;
	}
	for (i = 0; i < 4; i++) {
		PyObject *v = i ? Py_None : raw;
		if (x->result_offset[i]) {
			PyObject **slot = (PyObject **)((char *)r + x->result_offset[i]);
			Py_INCREF(v);
			Py_XSETREF(*slot, v);
		} else if (PyObject_SetAttr(r, x->result_slots[i], v) < 0) {
			Py_DECREF(r);
			Py_DECREF(raw);
			return NULL;
		}
	}
	Py_DECREF(raw);
	return untracked(r);
}

PyObject *msc_py_result(PyObject *cap, const msc_result *res)
{
	ctx *x = get_ctx(cap);
	if (!x)
		return NULL;
	if (!res) {
		PyErr_SetString(PyExc_TypeError, "result is NULL");
		return NULL;
	}
	return new_result(x, shared_raw(x, res, 0));
}

/* ------------------------------------------------------------- one record */

#define LOCAL_ITEMS 256
#define LOCAL_KEEP 128
#define LOCAL_OPS 48

static PyObject *fill_or_screen(PyObject *cap, msc_record *rec, msc_result *res, PyObject *record)
{
	const char *items_local[LOCAL_ITEMS];
	PyObject *keep_local[LOCAL_KEEP];
	op ops_local[LOCAL_OPS];
	char libmsg[1024] = "";
	opvec ops = { ops_local, 0, LOCAL_OPS, ops_local };
	refusal r = { MSC_OK, NULL };
	errinfo e = { E_NONE, 0, 0 };
	ctx *x = get_ctx(cap);
	store st;
	int rc = MSC_OK;

	if (!x)
		return NULL;
	if (!rec) {
		PyErr_SetString(PyExc_TypeError, "record is NULL");
		return NULL;
	}
	store_init(&st, items_local, LOCAL_ITEMS, keep_local, LOCAL_KEEP);
	if (record_ops(x, &st, &ops, record, &r) < 0) {
		store_release(&st);
		ops_release(&ops);
		msc_record_clear(rec);
		return NULL;
	}
	/* the fields before a refusal still come first: one of them may be
	 * refused before it, as the JSON edge reads them in order */
	Py_BEGIN_ALLOW_THREADS
	rc = fill_record(x, rec, ops.v, ops.n, st.items, &e, libmsg, sizeof(libmsg));
	if (rc == MSC_OK && r.msg)
		msc_record_clear(rec);
	else if (rc == MSC_OK && res && (rc = msc_screen(res, x->rules, rec)) != MSC_OK)
		snprintf(libmsg, sizeof(libmsg), "%s", msc_error_message());
	Py_END_ALLOW_THREADS
	store_release(&st);
	ops_release(&ops);
	if (r.msg && rc == MSC_OK) {
		raise_record(x, r.code, r.msg);
		return NULL;
	}
	Py_XDECREF(r.msg);
	if (rc) {
		raise_record(x, rc, e.err ? refusal_text(x, &e) : text("%s", *libmsg ? libmsg : msc_status_name(rc)));
		return NULL;
	}
	if (!res)
		Py_RETURN_NONE;
	return new_result(x, shared_raw(x, res, 1));
}

PyObject *msc_py_fill(PyObject *cap, msc_record *rec, PyObject *record)
{
	return fill_or_screen(cap, rec, NULL, record);
}

PyObject *msc_py_screen(PyObject *cap, msc_record *rec, msc_result *res, PyObject *record)
{
	if (!res) {
		PyErr_SetString(PyExc_TypeError, "result is NULL");
		return NULL;
	}
	return fill_or_screen(cap, rec, res, record);
}

/* ------------------------------------------------------------ many records */

typedef struct pool {
	PyObject *ctx;
	msc_record *rec;
	msc_result **res;
	size_t size;
	/* what the last call's buffers came to: the next call's start with
	 * that room, so that a cohort's chunks do not grow them each time */
	size_t want_ops, want_items, want_keep, want_sig;
} pool;

static void pool_free(pool *p)
{
	size_t i;
	if (!p)
		return;
	msc_record_free(p->rec);
	for (i = 0; p->res && i < p->size; i++)
		msc_result_free(p->res[i]);
	free(p->res);
	Py_XDECREF(p->ctx); /* after the record: the context keeps the rule set */
	free(p);
}

static void pool_capsule_free(PyObject *cap)
{
	pool_free((pool *)PyCapsule_GetPointer(cap, POOL_NAME));
}

PyObject *msc_py_pool_new(PyObject *cap, size_t size)
{
	ctx *x = get_ctx(cap);
	PyObject *out;
	pool *p;
	size_t i;

	if (!x)
		return NULL;
	if (size == 0 || size > MAX_POOL) {
		PyErr_Format(PyExc_ValueError, "pool size: 1 to %d", MAX_POOL);
		return NULL;
	}
	if (!(p = calloc(1, sizeof(*p))) || !(p->res = calloc(size, sizeof(msc_result *)))) {
		free(p);
		return PyErr_NoMemory();
	}
	p->size = size;
	Py_INCREF(cap);
	p->ctx = cap;
	if (msc_record_new(&p->rec, x->rules) != MSC_OK)
		goto nomem;
	for (i = 0; i < size; i++)
		if (msc_result_new(&p->res[i]) != MSC_OK)
			goto nomem;
	if (!(out = PyCapsule_New(p, POOL_NAME, pool_capsule_free))) {
		pool_free(p);
		return NULL;
	}
	return out;
nomem:
	pool_free(p);
	return PyErr_NoMemory();
}

typedef struct many_row {
	size_t first, end;  /* its ops */
	refusal r;
	errinfo e;
	int status;
	char *libmsg;
	size_t sig, sig_n;  /* its result's signature in the call's sigbuf */
	uint64_t sig_h;     /* and its hash, found without the GIL */
} many_row;

PyObject *msc_py_screen_many(PyObject *cap, PyObject *poolobj, PyObject *records)
{
	ctx *x = get_ctx(cap);
	pool *p = x ? (pool *)PyCapsule_GetPointer(poolobj, POOL_NAME) : NULL;
	PyObject *out = NULL;
	many_row *rows = NULL;
	opvec ops = { NULL, 0, 0, NULL };
	size_t i, n, ok = 0;
	int oom = 0;
	store st;
	sigbuf sigs = { NULL, 0, 0, NULL };

	if (!p)
		return NULL;
	if (p->ctx != cap || !PyList_Check(records)) {
		PyErr_SetString(PyExc_TypeError, "screen_many: the pool of this rule set and a list of records");
		return NULL;
	}
	n = (size_t)PyList_GET_SIZE(records);
	if (n > p->size) {
		PyErr_Format(PyExc_ValueError, "screen_many: %zu records, more than the pool's %zu", n, p->size);
		return NULL;
	}
	store_init(&st, NULL, 0, NULL, 0);
	if (!(rows = calloc(n ? n : 1, sizeof(many_row)))) {
		PyErr_NoMemory();
		goto done;
	}
	{
		/* the buffers start as large as the last call's came to */
		void *o = NULL, *it = NULL, *k = NULL, *sg = NULL;
		int rc = grow(&o, &ops.cap, p->want_ops, sizeof(op), NULL) ||
			 grow(&it, &st.icap, p->want_items, sizeof(char *), NULL) ||
			 grow(&k, &st.kcap, p->want_keep, sizeof(PyObject *), NULL) ||
			 grow(&sg, &sigs.cap, p->want_sig, 1, NULL);
		ops.v = o;
		st.items = it;
		st.keep = k;
		sigs.b = sg;
		if (rc)
			goto done;
	}
	/* under the GIL: every record into cells */
	for (i = 0; i < n; i++) {
		PyObject *record = PyList_GET_ITEM(records, (Py_ssize_t)i);
		int rc;
		rows[i].first = ops.n;
		Py_INCREF(record);
		rc = record_ops(x, &st, &ops, record, &rows[i].r);
		Py_DECREF(record);
		if (rc < 0)
			goto done;
		rows[i].end = ops.n;
		if (PyList_GET_SIZE(records) != (Py_ssize_t)n) {
			PyErr_SetString(PyExc_RuntimeError, "screen_many: the list of records changed");
			goto done;
		}
	}
	/* without it: fill and screen */
	Py_BEGIN_ALLOW_THREADS
	for (i = 0; i < n && !oom; i++) {
		many_row *row = &rows[i];
		int rc = fill_record(x, p->rec, ops.v + row->first, row->end - row->first, st.items, &row->e, NULL, 0);
		if (rc == MSC_OK && row->r.msg)
			continue; /* refused after its last field */
		if (rc == MSC_OK && (rc = msc_screen(p->res[i], x->rules, p->rec)) == MSC_OK) {
			row->sig = sigs.n;
			row->sig_n = result_sig(x, p->res[i], &sigs, 1);
			row->sig_h = sig_hash(sigs.b + row->sig, row->sig_n);
		}
		if (rc) {
			row->status = rc;
			if (!row->e.err) {
				const char *m = msc_error_message();
				row->libmsg = dup_text(m, strlen(m));
			}
			oom = rc == MSC_ENOMEM;
		}
	}
	Py_END_ALLOW_THREADS
	if (oom) {
		PyErr_SetString(PyExc_MemoryError, "out of memory while screening");
		goto done;
	}
	/* with it again: the results */
	if (!(out = PyList_New((Py_ssize_t)n)))
		goto done;
	for (i = 0; i < n; i++) {
		many_row *row = &rows[i];
		PyObject *item;
		if (row->status) {
			PyObject *msg = row->e.err ? refusal_text(x, &row->e)
						   : text("%s", row->libmsg ? row->libmsg : msc_status_name(row->status));
			item = msg ? Py_BuildValue("(sN)", msc_status_name(row->status), msg) : NULL;
		} else if (row->r.msg) {
			item = Py_BuildValue("(sO)", msc_status_name(row->r.code), row->r.msg);
		} else {
			item = new_result(x, result_raw(x, p->res[i], row->sig_n ? sigs.b + row->sig : NULL, row->sig_n, row->sig_h));
			ok++;
		}
		if (!item) {
			Py_CLEAR(out);
			goto done;
		}
		PyList_SET_ITEM(out, (Py_ssize_t)i, item);
	}
	out = Py_BuildValue("(Nn)", out, (Py_ssize_t)(n - ok)); /* N: the list is the tuple's */
done:
	p->want_ops = ops.n;
	p->want_items = st.nitems;
	p->want_keep = st.nkeep;
	p->want_sig = sigs.n + SIG_MAX;
	free(sigs.b);
	store_release(&st);
	ops_release(&ops);
	for (i = 0; rows && i < n; i++) {
		Py_XDECREF(rows[i].r.msg);
		free(rows[i].libmsg);
	}
	free(rows);
	return out;
}

/* ---------------------------------------------------------------- columns */

/*
 * A chunk of a DataFrame, converted under the GIL and filled without it.
 * A column of objects (a list, or a numpy array of objects) becomes one
 * action per distinct value and, per row, the index of its action: None,
 * False and True once per column, a str, a list or any other object once
 * per column and object (the memo), a number once per row; a row that
 * holds the object of the row before takes its action again. A float64 or
 * bool buffer is read as it is while the rows are filled. Each list action
 * finds the values of its entries once, before the rows (A_LIST_VALUES), so
 * that a row sets its list in one call, without a look-up per entry. Only
 * the conversion (and its results) are shared between rows: every row is
 * filled and screened.
 */
enum { COL_OBJECTS, COL_DOUBLES, COL_BOOLS };

typedef struct fcol {
	int fact, kind;
	uint32_t fixed[3];        /* the actions of None, False, True (NO_ACTION until used) */
	const void *data;         /* COL_DOUBLES, COL_BOOLS: the buffer's values */
	Py_buffer view;           /* held until the chunk is screened */
	int has_view;
} fcol;

typedef struct frame {
	const ctx *x;
	size_t rows, cols;
	fcol *col;
	uint32_t *idx;            /* rows x cols, row by row: a COL_OBJECTS cell's action */
	action *acts;
	size_t nacts, acap;
	const char *const *items;
	const msc_list_value **lvs; /* per entry of items: its value, once its list is resolved */
	errinfo *errs;            /* per row: a refusal of the binding's own */
	lv_names names;           /* the chunk's list entries by name */
} frame;

/* Adds the action of a cell of column c; NO_ACTION with an exception. */
static uint32_t add_action(frame *fr, size_t c, const cell *cl)
{
	void *arr = fr->acts;

	if (fr->nacts >= NO_ACTION) {
		PyErr_NoMemory();
		return NO_ACTION;
	}
	if (grow(&arr, &fr->acap, fr->nacts + 1, sizeof(action), NULL))
		return NO_ACTION;
	fr->acts = arr;
	resolve(fr->x, fr->col[c].fact, cl, &fr->acts[fr->nacts]);
	return (uint32_t)fr->nacts++;
}

/* Is `data` a numpy array (exactly: its array interface is numpy's own)?
 * -1 with an exception. Only an imported numpy can have made one. */
static int is_ndarray(PyObject *data)
{
	PyObject *name, *np, *t;
	int is;

	if (!(name = PyUnicode_FromString("numpy")))
		return -1;
	np = PyImport_GetModule(name);
	Py_DECREF(name);
	if (!np)
		return PyErr_Occurred() ? -1 : 0;
	t = PyObject_GetAttrString(np, "ndarray");
	Py_DECREF(np);
	if (!t) {
		PyErr_Clear();
		return 0;
	}
	is = (PyObject *)Py_TYPE(data) == t;
	Py_DECREF(t);
	return is;
}

/* The objects of a contiguous one-dimensional numpy array of objects, as
 * its array interface gives them: 1, 0 if it is another array, -1 with an
 * exception. A slot may be NULL (None). */
static int array_objects(PyObject *data, size_t rows, PyObject *const **objs)
{
	PyObject *ai = PyObject_GetAttrString(data, "__array_interface__");
	PyObject *type, *shape, *strides, *ptr;
	int rc = 0;

	if (!ai)
		return -1;
	if (!PyDict_Check(ai)) {
		Py_DECREF(ai);
		return 0;
	}
	type = PyDict_GetItemString(ai, "typestr");
	shape = PyDict_GetItemString(ai, "shape");
	strides = PyDict_GetItemString(ai, "strides");
	ptr = PyDict_GetItemString(ai, "data");
	if (type && PyUnicode_Check(type) && PyUnicode_CompareWithASCIIString(type, "|O") == 0 && shape &&
	    PyTuple_Check(shape) && PyTuple_GET_SIZE(shape) == 1 && ptr && PyTuple_Check(ptr) &&
	    PyTuple_GET_SIZE(ptr) >= 1 && (!strides || strides == Py_None)) {
		size_t n = PyLong_AsSize_t(PyTuple_GET_ITEM(shape, 0));
		void *p = PyLong_AsVoidPtr(PyTuple_GET_ITEM(ptr, 0));
		if (PyErr_Occurred()) {
			rc = -1;
		} else if (n != rows) {
			PyErr_Format(PyExc_ValueError, "%zu values for %zu rows", n, rows);
			rc = -1;
		} else {
			*objs = p;
			rc = 1;
		}
	}
	Py_DECREF(ai);
	return rc;
}

/* The objects of a column of objects (a list, or a numpy array of
 * objects): 1, 0 if it is neither, -1 with an exception. Found again
 * after Python code ran (`plain`), since that code may change it. */
static int column_objects(PyObject *data, size_t rows, size_t c, PyObject *const **objs)
{
	int rc;

	if (PyList_Check(data)) {
		if ((size_t)PyList_GET_SIZE(data) != rows) {
			PyErr_Format(PyExc_ValueError, "column %zu: %zd values for %zu rows", c, PyList_GET_SIZE(data),
				     rows);
			return -1;
		}
		*objs = PySequence_Fast_ITEMS(data);
		return 1;
	}
	if ((rc = is_ndarray(data)) <= 0)
		return rc;
	if ((rc = array_objects(data, rows, objs)) < 0 && PyErr_ExceptionMatches(PyExc_ValueError)) {
		PyErr_Clear();
		PyErr_Format(PyExc_ValueError, "column %zu: an array of other than %zu values", c, rows);
	}
	return rc;
}

/* The action of None, False or True in column c, made on first use. */
static uint32_t fixed_action(ctx *x, store *st, frame *fr, size_t c, PyObject *v)
{
	uint32_t *k = &fr->col[c].fixed[v == Py_None ? 0 : v == Py_False ? 1 : 2];
	cell cl;

	if (*k == NO_ACTION && convert(x, st, v, &cl, 0, 0) == 0)
		*k = add_action(fr, c, &cl);
	return *k;
}

/* The action of an object of column c (data), converted if the column has
 * not seen it yet (a str or list of str: its text; anything else: the
 * object itself); NO_ACTION with an exception. The store holds the object
 * it converts (and its str or its list's entries); `held`: whether `v` is
 * one so held (None, False and True are immortal), which cannot go away
 * while the chunk is read. */
static uint32_t object_action(ctx *x, store *st, frame *fr, size_t c, PyObject *v, PyObject *data,
			      PyObject *const **objs, int *held)
{
	uint32_t k;
	text_key tk;
	cell cl;
	int other, rc;

	*held = !PyFloat_CheckExact(v) && !PyLong_CheckExact(v);
	if (v == Py_None || v == Py_False || v == Py_True)
		return fixed_action(x, st, fr, c, v);
	if (!*held)
		return convert(x, st, v, &cl, 0, 0) ? NO_ACTION : add_action(fr, c, &cl);
	/* a str or list of str by its text, anything else by its address */
	text_key_of(v, (uint32_t)c, &tk);
	if ((k = tk.kind != TK_NONE ? text_get(st, &tk, (uint32_t)c) : memo_get(st, v, (uint32_t)c)) != NO_ACTION) {
		*held = tk.kind == TK_NONE;
		return k;
	}
	/* anything but these goes through `plain`, which may run any code */
	other = !PyUnicode_Check(v) && !PyList_Check(v) && !PyTuple_Check(v) && !PyFloat_Check(v) && !PyLong_Check(v);
	Py_INCREF(v);
	rc = convert(x, st, v, &cl, 0, 1);
	if (rc == 0 && ((k = add_action(fr, c, &cl)) == NO_ACTION ||
			(tk.kind == TK_NONE ? memo_put(st, v, (uint32_t)c, k)
					    : store_keep(st, v) || text_put(st, &tk, (uint32_t)c, k,
									       cl.kind == C_LIST ? cl.u.off : 0))))
		rc = -1;
	Py_DECREF(v);
	if (rc == 0 && other && column_objects(data, fr->rows, c, objs) <= 0) {
		if (!PyErr_Occurred())
			PyErr_Format(PyExc_RuntimeError, "column %zu changed while it was read", c);
		rc = -1;
	}
	return rc ? NO_ACTION : k;
}

/*
 * A column's objects are scattered in memory, and a list's entries more so
 * (each row's list made apart, by a JSON reader for instance): what
 * converting a row reads is fetched ahead of its turn, a step at a time,
 * as each step's address arrives: the object; in a column of lists, then
 * its array of entries, then the entries.
 */
#define AHEAD 4
#define AHEAD_ENTRIES 4

static void prefetch_lists(PyObject *const *objs, size_t r, size_t rows)
{
	PyObject *v;
	Py_ssize_t i;

	if (r + 2 * AHEAD < rows && (v = objs[r + 2 * AHEAD]) && PyList_CheckExact(v))
		PREFETCH(PySequence_Fast_ITEMS(v));
	if (r + AHEAD < rows && (v = objs[r + AHEAD]) && PyList_CheckExact(v))
		for (i = 0; i < PyList_GET_SIZE(v) && i < AHEAD_ENTRIES; i++) {
			PREFETCH(PyList_GET_ITEM(v, i));
			PREFETCH((const char *)PyList_GET_ITEM(v, i) + 64);
		}
}

/* A column of objects into its cells' actions. */
/* A column's last few distinct objects and their actions: most columns
 * hold a handful of objects (True, False, None, "yes", an area), found
 * here by address without a look at the object or the memo. Only objects
 * that cannot go away while the chunk is read are kept: None, False,
 * True, and those the store holds (the objects converted, not one found
 * by its text). */
#define RECENT 8

static int frame_objects(ctx *x, store *st, frame *fr, size_t c, PyObject *data, PyObject *const *objs)
{
	uint32_t *out = fr->idx + c, k = NO_ACTION, recent_k[RECENT];
	PyObject *prev = NULL, *recent[RECENT] = { NULL };
	unsigned next = 0, j, looks = 0, found = 0;
	int lists = 0, held, use_recent = 1;
	size_t r;

	for (r = 0; r < fr->rows; r++, out += fr->cols) {
		PyObject *v = objs[r] ? objs[r] : Py_None;
		if (r + 3 * AHEAD < fr->rows)
			PREFETCH(objs[r + 3 * AHEAD]);
		if (lists)
			prefetch_lists(objs, r, fr->rows);
		/* a column often repeats the object of the row before */
		if (v != prev) {
			for (j = 0; use_recent && j < RECENT && recent[j] != v; j++)
				;
			/* a column of objects each row's own (a JSON reader's
			 * strings) never finds one here: stop looking */
			if (use_recent && ++looks == 256)
				use_recent = found * 8 >= looks;
			if (use_recent && j < RECENT) {
				found++;
				k = recent_k[j];
			} else {
				if ((k = object_action(x, st, fr, c, v, data, &objs, &held)) == NO_ACTION)
					return -1;
				lists = lists || PyList_CheckExact(v);
				if (held && use_recent) {
					recent[next] = v;
					recent_k[next] = k;
					next = (next + 1) % RECENT;
				}
			}
			prev = v;
		}
		*out = k;
	}
	return 0;
}

/* A float64 or bool column, read while the rows are filled: the buffer is
 * held (and its array cannot resize) until the chunk is screened. */
static int frame_buffer(frame *fr, size_t c, PyObject *data)
{
	fcol *col = &fr->col[c];
	Py_buffer *view = &col->view;

	if (PyObject_GetBuffer(data, view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
		return -1;
	col->has_view = 1;
	col->data = view->buf;
	if (view->format && strcmp(view->format, "d") == 0 && view->itemsize == sizeof(double) &&
	    (size_t)view->len == fr->rows * sizeof(double)) {
		col->kind = COL_DOUBLES;
	} else if (view->format && strcmp(view->format, "?") == 0 && view->itemsize == 1 &&
		   (size_t)view->len == fr->rows) {
		col->kind = COL_BOOLS;
	} else {
		PyErr_Format(PyExc_TypeError, "column %zu: expected a list, or %zu float64 or bool values", c,
			     fr->rows);
		return -1;
	}
	return 0;
}

/* One column (fact, values) into the frame. */
static int frame_column(ctx *x, store *st, frame *fr, size_t c, PyObject *t)
{
	PyObject *const *objs = NULL, *data;
	long fi;
	int rc;

	if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 2 || !PyLong_Check(PyTuple_GET_ITEM(t, 0))) {
		PyErr_Format(PyExc_TypeError, "column %zu: expected (fact_index, values)", c);
		return -1;
	}
	fi = PyLong_AsLong(PyTuple_GET_ITEM(t, 0));
	if (fi < 0 || (size_t)fi >= x->nfacts) {
		if (!PyErr_Occurred())
			PyErr_Format(PyExc_ValueError, "column %zu: no fact %ld", c, fi);
		return -1;
	}
	fr->col[c].fact = (int)fi;
	fr->names.fact = (int)fi;
	fr->col[c].fixed[0] = fr->col[c].fixed[1] = fr->col[c].fixed[2] = NO_ACTION;
	data = PyTuple_GET_ITEM(t, 1);
	if ((rc = column_objects(data, fr->rows, c, &objs)) < 0)
		return -1;
	return rc ? frame_objects(x, st, fr, c, data, objs) : frame_buffer(fr, c, data);
}

/* Resolves a list action: the values of its entries, if each has one
 * (else its entries are set, and the setter reports them). */
static void list_values(frame *fr, action *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!(fr->lvs[a->u.off + i] = name_value(&fr->names, fr->names.ids[a->u.off + i]))) {
			a->op = A_LIST_ITEMS;
			return;
		}
	a->op = A_LIST_VALUES;
}

/* Without the GIL, before the rows: every list action resolved, in one
 * pass over the chunk's actions (each name's value made on first use). */
static void frame_lists(frame *fr)
{
	size_t i;

	for (i = 0; i < fr->nacts; i++)
		if (fr->acts[i].op == A_LIST)
			list_values(fr, &fr->acts[i]);
}

static int frame_action(frame *fr, msc_record *rec, int fi, const action *a, errinfo *e)
{
	switch (a->op) {
	case A_ANSWER:
		return msc_record_set_answer_at(rec, (size_t)fi, (msc_answer)a->b);
	case A_UNSET:
		return msc_record_unset_at(rec, (size_t)fi);
	case A_LIST_VALUES:
		return msc_record_set_list_values(rec, (size_t)fi, a->n ? fr->lvs + a->u.off : NULL, a->n);
	default:
		return run(rec, fi, a, fr->items, e);
	}
}

/* A value of a float64 or bool buffer, as the cell convert() makes of it. */
static int frame_value(const frame *fr, msc_record *rec, const fcol *col, size_t i, errinfo *e)
{
	action a;
	cell cl;

	memset(&cl, 0, sizeof(cl));
	if (col->kind == COL_DOUBLES) {
		cl.u.d = ((const double *)col->data)[i];
		cl.kind = isnan(cl.u.d) ? C_NULL : C_NUMBER;
	} else {
		cl.kind = C_BOOL;
		cl.b = ((const unsigned char *)col->data)[i] != 0;
	}
	resolve(fr->x, col->fact, &cl, &a);
	return run(rec, col->fact, &a, NULL, e);
}

/* msc_batch_fill_fn: row i, column by column (no GIL). */
static int frame_fill(msc_record *rec, size_t i, void *arg)
{
	frame *fr = arg;
	const uint32_t *row = fr->idx + i * fr->cols;
	errinfo e = { E_NONE, 0, 0 };
	int rc = MSC_OK;
	size_t c;

	/* the next row's actions (a number's, a list's) are fetched while
	 * this one is screened */
	if (i + 1 < fr->rows)
		for (c = 0; c < fr->cols; c++)
			if (fr->col[c].kind == COL_OBJECTS)
				PREFETCH(&fr->acts[row[fr->cols + c]]);
	for (c = 0; c < fr->cols && rc == MSC_OK; c++) {
		const fcol *col = &fr->col[c];
		rc = col->kind == COL_OBJECTS ? frame_action(fr, rec, col->fact, &fr->acts[row[c]], &e)
					      : frame_value(fr, rec, col, i, &e);
	}
	fr->errs[i] = e;
	return rc;
}

/* A batch's fired ids as a tuple of str, the same tuple for the same text. */
static PyObject *fired_tuple(ctx *x, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	uint64_t h;
	const char *q;
	fired_slot *sl;
	PyObject *t;
	Py_ssize_t count, j = 0;

	if (!n)
		return PyTuple_New(0);
	h = bytes_hash(s, n);
	sl = &x->fired[h >> (64 - FIRED_BITS)];
	if (sl->t && sl->h == h && sl->n == n && memcmp(sl->s, s, n) == 0) {
		Py_INCREF(sl->t);
		return sl->t;
	}
	for (count = 1, q = s; *q; q++)
		count += *q == ',';
	if (!(t = PyTuple_New(count)))
		return NULL;
	for (q = s; j < count; j++) {
		const char *end = strchr(q, ',');
		size_t len = end ? (size_t)(end - q) : strlen(q);
		PyObject *id = PyUnicode_DecodeUTF8(q, (Py_ssize_t)len, "replace");
		if (!id) {
			Py_DECREF(t);
			return NULL;
		}
		PyTuple_SET_ITEM(t, j, id);
		q += len + 1;
	}
	free(sl->s);
	Py_XDECREF(sl->t);
	sl->t = NULL;
	if ((sl->s = dup_text(s, n))) {
		sl->h = h;
		sl->n = n;
		Py_INCREF(t);
		sl->t = t;
	}
	return t;
}

static PyObject *frame_output(ctx *x, const msc_batch *batch, const frame *fr)
{
	PyObject *verdicts = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)fr->rows);
	PyObject *rules = PyList_New((Py_ssize_t)fr->rows), *errors = PyList_New(0), *out = NULL;
	size_t i;
	char *v;

	if (!verdicts || !rules || !errors)
		goto done;
	if (msc_batch_count(batch) != fr->rows) {
		PyErr_Format(PyExc_RuntimeError, "the batch screened %zu rows of %zu", msc_batch_count(batch), fr->rows);
		goto done;
	}
	v = PyBytes_AS_STRING(verdicts);
	for (i = 0; i < fr->rows; i++) {
		int status = msc_batch_status(batch, i);
		PyObject *ids;
		if (status != MSC_OK) {
			PyObject *msg = fr->errs[i].err ? refusal_text(x, &fr->errs[i]) : pstr(msc_batch_error(batch, i));
			PyObject *e = msg ? Py_BuildValue("(nN)", (Py_ssize_t)i, msg) : NULL;
			int rc = e ? PyList_Append(errors, e) : -1;
			Py_XDECREF(e);
			if (rc)
				goto done;
			v[i] = -1;
			ids = PyTuple_New(0);
		} else {
			v[i] = (char)msc_batch_verdict(batch, i);
			ids = fired_tuple(x, msc_batch_fired(batch, i));
		}
		if (!ids)
			goto done;
		PyList_SET_ITEM(rules, (Py_ssize_t)i, ids);
	}
	out = PyTuple_Pack(3, verdicts, rules, errors);
done:
	Py_XDECREF(verdicts);
	Py_XDECREF(rules);
	Py_XDECREF(errors);
	return out;
}

static void frame_release(frame *fr)
{
	size_t c;

	for (c = 0; fr->col && c < fr->cols; c++)
		if (fr->col[c].has_view)
			PyBuffer_Release(&fr->col[c].view);
	names_release(&fr->names);
	free(fr->col);
	free(fr->idx);
	free(fr->acts);
	free(fr->lvs);
	free(fr->errs);
}

PyObject *msc_py_frame_screen(PyObject *cap, msc_batch *batch, PyObject *columns, size_t rows)
{
	ctx *x = get_ctx(cap);
	PyObject *out = NULL;
	frame fr;
	store st;
	size_t c;
	int rc;

	if (!x)
		return NULL;
	if (!batch || !PyList_Check(columns)) {
		PyErr_SetString(PyExc_TypeError, "screen_frame: a batch and a list of columns");
		return NULL;
	}
	memset(&fr, 0, sizeof(fr));
	store_init(&st, NULL, 0, NULL, 0);
	fr.x = x;
	fr.names.rules = x->rules;
	st.names = &fr.names;
	fr.rows = rows;
	fr.cols = (size_t)PyList_GET_SIZE(columns);
	if (fr.cols && rows > SIZE_MAX / sizeof(uint32_t) / fr.cols) {
		PyErr_NoMemory();
		goto done;
	}
	if (!(fr.col = calloc(fr.cols ? fr.cols : 1, sizeof(fcol))) ||
	    !(fr.idx = malloc((rows * fr.cols + 1) * sizeof(uint32_t))) ||
	    !(fr.errs = malloc((rows ? rows : 1) * sizeof(errinfo)))) {
		PyErr_NoMemory();
		goto done;
	}
	if (memo_init(&st, 1024))
		goto done;
	/* under the GIL: each column once into actions */
	for (c = 0; c < fr.cols; c++)
		if (frame_column(x, &st, &fr, c, PyList_GET_ITEM(columns, (Py_ssize_t)c)))
			goto done;
	fr.items = st.items;
	if (st.nitems && !(fr.lvs = malloc(st.nitems * sizeof(*fr.lvs)))) {
		PyErr_NoMemory();
		goto done;
	}
	/* without it: every row through the batch */
	Py_BEGIN_ALLOW_THREADS
	frame_lists(&fr);
	rc = msc_batch_screen_fill(batch, rows, frame_fill, &fr);
	Py_END_ALLOW_THREADS
	if (rc < 0) {
		raise_record(x, rc, pstr(msc_error_message()));
		goto done;
	}
	out = frame_output(x, batch, &fr);
done:
	frame_release(&fr);
	store_release(&st);
	return out;
}
