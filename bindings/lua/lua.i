/*
 * Lua-only typemaps of the shared interface (included by ../mesoscreen.i
 * under SWIGLUA). The generated module is `mesoscreen_core`, a thin,
 * C-shaped layer; mesoscreen.lua on top of it is the API of contract.md.
 *
 *   - status:   a negative int raises a Lua error whose value is a table
 *               {code = "MSC_EFIELD", status = -3, message = "..."} (its
 *               __tostring gives the message); MSC_OK is returned as 0;
 *   - handles:  `msc_x **out` becomes an extra return value (a pointer the
 *               caller frees with msc_x_free: the Lua layer does, in __gc);
 *   - JSON out: `char **out, size_t *length` becomes a Lua string;
 *   - strings:  `const char *text, size_t length` (and json, jsonl) take a
 *               Lua string; `const char *const *items, size_t count` a
 *               sequence of strings;
 *   - numbers:  integers (counts, enums, codes) come out as Lua integers;
 *   - records and results as Lua tables, in one call each: msc_lua_* at
 *     the end of this file (ms.screen's path).
 */

/* Every struct of the API is a view of memory the library owns: read only. */
%immutable;

/* Process configuration for C programs: a Lua state brings its own allocator. */
%ignore msc_allocator;
%ignore msc_set_allocator;

%{
#include <string.h>

static int msc_lua_error_tostring(lua_State *L)
{
	lua_getfield(L, 1, "message");
	return 1;
}

/* Pushes the error value of a failed call: {code, status, message, kind}. */
static void msc_lua_push_error_message(lua_State *L, int status, const char *message)
{
	const char *kind;

	switch (msc_swig_error_type(status)) {
	case SWIG_MemoryError: kind = "MemoryError"; break;
	case SWIG_IOError: kind = "IOError"; break;
	case SWIG_TypeError: kind = "TypeError"; break;
	default: kind = "ValueError"; break;
	}

	lua_createtable(L, 0, 4);
	lua_pushstring(L, msc_status_name(status));
	lua_setfield(L, -2, "code");
	lua_pushinteger(L, status);
	lua_setfield(L, -2, "status");
	lua_pushstring(L, *message ? message : msc_status_name(status));
	lua_setfield(L, -2, "message");
	lua_pushstring(L, kind);
	lua_setfield(L, -2, "kind");
	if (luaL_newmetatable(L, "mesoscreen.error")) {
		lua_pushcfunction(L, msc_lua_error_tostring);
		lua_setfield(L, -2, "__tostring");
	}
	lua_setmetatable(L, -2);
}

/* ... with the library's last error message. */
static void msc_lua_push_error(lua_State *L, int status)
{
	msc_lua_push_error_message(L, status, msc_error_message());
}
%}

/* The status of every function that can fail. SWIG_fail runs the freearg
 * typemaps before lua_error(), so raising here leaks nothing. */
%typemap(out) int
%{	if ($1 < 0) {
		msc_lua_push_error(L, $1);
		SWIG_fail;
	}
	lua_pushinteger(L, (lua_Integer)$1); SWIG_arg++;%}

/* ... except msc_batch_status(), whose value is a record's status, not the call's. */
%typemap(out) int msc_batch_status
%{	lua_pushinteger(L, (lua_Integer)$1); SWIG_arg++;%}

/* Integers stay integers (SWIG's defaults push every number as a float). */
%typemap(out) size_t, unsigned, unsigned int, long, unsigned long, enum SWIGTYPE
%{	lua_pushinteger(L, (lua_Integer)$1); SWIG_arg++;%}

/* Handles made by msc_x_new(&out, ...): an extra return value. */
%define MSC_LUA_OUT_HANDLE(TYPE)
%typemap(in, numinputs=0) TYPE **out (TYPE *handle = NULL)
%{	$1 = &handle;%}
%typemap(argout) TYPE **out
%{	SWIG_NewPointerObj(L, handle$argnum, $*descriptor, 0); SWIG_arg++;%}
%enddef
MSC_LUA_OUT_HANDLE(msc_rules)
MSC_LUA_OUT_HANDLE(msc_compiler)
MSC_LUA_OUT_HANDLE(msc_record)
MSC_LUA_OUT_HANDLE(msc_result)
MSC_LUA_OUT_HANDLE(msc_batch)

/* JSON text handed to the caller: a Lua string; freed on every path. */
%typemap(in, numinputs=0) (char **out, size_t *length) (char *text = NULL, size_t length = 0)
%{	$1 = &text; $2 = &length;%}
%typemap(argout) (char **out, size_t *length)
%{	lua_pushlstring(L, text$argnum, length$argnum); SWIG_arg++;%}
%typemap(freearg) (char **out, size_t *length)
%{	msc_free(text$argnum);%}

/* Text with its length, from a Lua string (embedded NULs included). */
%typemap(in, checkfn="lua_isstring") (const char *text, size_t length),
	(const char *json, size_t length), (const char *jsonl, size_t length)
%{	$1 = ($1_ltype)lua_tolstring(L, $input, &$2);%}

/* A list from a sequence: the array lives in a userdata, so no error can
 * leak it. An entry that is not a string is passed as NULL, which the C
 * setter refuses with a message naming the field and the entry. */
%typemap(in, checkfn="lua_istable") (const char *const *items, size_t count)
%{	{
		size_t i, n = (size_t)lua_rawlen(L, $input);
		const char **items = n ? lua_newuserdatauv(L, n * sizeof(*items), 0) : NULL;
		for (i = 0; i < n; i++) {
			lua_rawgeti(L, $input, (lua_Integer)i + 1);
			items[i] = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
			lua_pop(L, 1); /* the string stays alive in the table */
		}
		$1 = ($1_ltype)items;
		$2 = n;
	}%}

/* Entry `index` of a string array of `count` entries (because, sources,
 * values), or nil when out of range. */
%inline %{
const char *msc_lua_string_at(const char *const *strings, size_t count, size_t index)
{
	return strings && index < count ? strings[index] : NULL;
}
%}

/* ------------------------------------------------------------------------
 * ms.screen's path: one call fills the record from a Lua table and one
 * builds the whole result as a Lua table (no JSON, no wrapper objects).
 *
 *   ctx = msc_lua_context(rules, record, result, null)
 *       a context over a rule set's record and result (borrowed: the Lua
 *       rule set owns and frees them, after msc_lua_context_close(ctx));
 *       the record must be made for `rules` (it is set by fact index);
 *       `null` is the table that stands for JSON null (ms.null)
 *   msc_lua_screen(ctx, record [, level])  fills, screens, returns the result
 *       table (with `level`, an error is raised as its message at that level)
 *   msc_lua_screen_json(ctx, text) the same for a JSON record
 *   msc_lua_fill(ctx, record)     only fills the context's record
 *   msc_lua_context_close(ctx)    the context is unusable from now on
 *
 * The record is read as the JSON edge reads a JSON record
 * (libmesoscreen/json/record_json.c): the value's type is dispatched on
 * the fact's type to the public setters by fact index (a key's index comes
 * from a Lua table made once, so the library looks no path up; words and
 * list entries go with their lengths), and any error empties the record
 * and raises an error value as the other functions do (with the field's
 * path first in its message). Tables are read raw: metatables are never
 * called, and only the schema's three levels are walked (record, section,
 * list), so cycles and deep nesting are type errors, never a recursion.
 * ---------------------------------------------------------------------- */
%{
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>

#define MSC_LUA_CTX "mesoscreen.context"
#define MSC_LUA_SHOWN 64 /* bytes of a key or word shown in a message */

enum { MSC_LUA_YESNO, MSC_LUA_NUMBER, MSC_LUA_ENUM, MSC_LUA_LIST, MSC_LUA_OTHER };
/* the context's user values */
enum { MSC_LUA_UV_NULL = 1, MSC_LUA_UV_SECTIONS, MSC_LUA_UV_KEYS, MSC_LUA_UV_TEXTS, MSC_LUA_UV_COUNT = MSC_LUA_UV_TEXTS };

typedef struct msc_lua_fact {
	const char *path;      /* "patient.pregnant", owned by the rule set */
	int kind;              /* MSC_LUA_* */
	int accepts_never;     /* a number fact that takes "never" */
	int codes;             /* a list whose codes set other facts: 1 conditions, 2 medications */
} msc_lua_fact;

/* A text of the rule set: its address, and its index in the context's
 * array of Lua strings (MSC_LUA_UV_TEXTS). */
typedef struct msc_lua_text {
	const char *text;       /* NULL: a free slot */
	lua_Integer index;
} msc_lua_text;

typedef struct msc_lua_ctx {
	const msc_rules *rules; /* NULL once closed */
	msc_record *record;
	msc_result *result;
	int overrides;          /* the set has clinic changes: results list them */
	int own_message;        /* the last failure's message is `message` (else the library's) */
	int busy;               /* a call holds it (msc_lua_enter) */
	char sections[128];     /* "patient or plan", for messages */
	char all_sections[128]; /* "patient and plan" */
	char message[512];
	size_t fact_count;
	msc_lua_text *texts;    /* open addressing on the address, in this block */
	size_t text_mask;       /* slots - 1 (a power of two) */
	msc_lua_fact facts[];   /* fact_count facts, then the text slots */
} msc_lua_ctx;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int msc_lua_fail(msc_lua_ctx *c, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
	c->own_message = 1;
	return status;
}

/* A library call's status: its message is the library's. */
static int msc_lua_status(msc_lua_ctx *c, int status)
{
	c->own_message = 0;
	return status;
}

/* Raises the error value of a failed call; with `level` > 0, its message
 * instead, at that level of the caller (as error(message, level) does). */
static int msc_lua_raise(lua_State *L, msc_lua_ctx *c, int status, int level)
{
	const char *message = c->own_message ? c->message : msc_error_message();
	if (level > 0) {
		luaL_where(L, level);
		lua_pushstring(L, *message ? message : msc_status_name(status));
		lua_concat(L, 2);
	} else {
		msc_lua_push_error_message(L, status, message);
	}
	return lua_error(L);
}

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t msc_lua_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
	    (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
		return 0; /* overlong, surrogate, past U+10FFFF */
	return len;
}

/* Text from a record for a message: at most MSC_LUA_SHOWN bytes of it,
 * whole UTF-8 characters only; control characters and bytes that are not
 * UTF-8 are shown as '?'. `size` must exceed MSC_LUA_SHOWN + 3 (else ""). */
static const char *msc_lua_clip(const char *text, size_t n, char *buf, size_t size)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, o = 0;
	if (size < MSC_LUA_SHOWN + 4) {
		buf[0] = '\0';
		return buf;
	}
	while (i < n && o < MSC_LUA_SHOWN) {
		size_t len = msc_lua_utf8_len(s + i, n - i);
		if (len == 0 || s[i] < 0x20 || s[i] == 0x7F) {
			buf[o++] = '?';
			i++;
		} else if (o + len > MSC_LUA_SHOWN) {
			break;
		} else {
			memcpy(buf + o, s + i, len);
			o += len;
			i += len;
		}
	}
	if (i < n)
		buf[o++] = '.', buf[o++] = '.', buf[o++] = '.';
	buf[o] = '\0';
	return buf;
}

/* A key (string, number or boolean) as text for a message, or NULL. */
static const char *msc_lua_key_text(lua_State *L, int idx, char *buf, size_t size)
{
	switch (lua_type(L, idx)) {
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, idx, &n);
		return msc_lua_clip(s, n, buf, size);
	}
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			snprintf(buf, size, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
		else
			snprintf(buf, size, "%.14g", (double)lua_tonumber(L, idx));
		return buf;
	case LUA_TBOOLEAN:
		return lua_toboolean(L, idx) ? "true" : "false";
	default:
		return NULL;
	}
}

/* What a value is, for "expected ..., not <what>". */
static const char *msc_lua_what(lua_State *L, int idx, int null_idx, char *buf, size_t size)
{
	char clip[MSC_LUA_SHOWN + 8];
	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		snprintf(buf, size, "\"%s\"", msc_lua_key_text(L, idx, clip, sizeof(clip)));
		return buf;
	case LUA_TNUMBER:
	case LUA_TBOOLEAN:
		return msc_lua_key_text(L, idx, buf, size);
	case LUA_TTABLE:
		return lua_rawequal(L, idx, null_idx) ? "ms.null" : "a table";
	case LUA_TNIL:
	case LUA_TNONE:
		return "nil";
	default:
		snprintf(buf, size, "a %s", lua_typename(L, lua_type(L, idx)));
		return buf;
	}
}

/* The index of a fact of the context: the rule set's, which the setters
 * by index take. */
static size_t msc_lua_index(const msc_lua_ctx *c, const msc_lua_fact *f)
{
	return (size_t)(f - c->facts);
}

/* A Lua string for a setter, with its length: no NUL inside (refused here,
 * with this binding's message, before the library sees it). */
static int msc_lua_word(lua_State *L, msc_lua_ctx *c, const msc_lua_fact *f, int idx)
{
	size_t n;
	const char *s = lua_tolstring(L, idx, &n);
	if (memchr(s, '\0', n))
		return msc_lua_fail(c, MSC_EFIELD, "%s: holds a NUL character", f->path);
	return msc_lua_status(c, msc_record_set_word_at(c->record, msc_lua_index(c, f), s, n));
}

#define MSC_LUA_LIST_WORDS "expected a list of strings, {} for none, or ms.null"

/* A list fact from a sequence of strings (raw: 1..n, no holes). One pass
 * over the table checks its keys and notes each entry 1..MSC_MAX_LIST
 * (NULL: not a string); the entries are then judged in order, as a second
 * pass would (the first bad one is reported), and set with their lengths. */
static int msc_lua_list(lua_State *L, msc_lua_ctx *c, const msc_lua_fact *f, int idx, int null_idx)
{
	const char *items[MSC_MAX_LIST];
	size_t lens[MSC_MAX_LIST];
	char what[MSC_LUA_SHOWN + 16];
	lua_Integer count = 0, max = 0;
	size_t i, n;

	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_Integer k;
		if (!lua_isinteger(L, -2) || (k = lua_tointeger(L, -2)) < 1) {
			lua_pop(L, 2);
			return msc_lua_fail(c, MSC_EFIELD, "%s: " MSC_LUA_LIST_WORDS ", not a table with keys other than 1..n",
					    f->path);
		}
		/* a string stays alive in the list, which is on the stack */
		if (k <= MSC_MAX_LIST)
			items[k - 1] = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &lens[k - 1]) : NULL;
		lua_pop(L, 1);
		count++;
		if (k > max)
			max = k;
	}
	if (count != max)
		return msc_lua_fail(c, MSC_EFIELD, "%s: " MSC_LUA_LIST_WORDS ", not a list with holes", f->path);
	n = (size_t)count;
	if (n > MSC_MAX_LIST)
		return msc_lua_fail(c, MSC_ELIMIT, "%s: %zu entries, more than the limit of %d", f->path, n,
				    MSC_MAX_LIST);
	/* keys 1..n, each once: every entry was noted */
	for (i = 0; i < n; i++) {
		if (!items[i]) {
			int rc;
			lua_rawgeti(L, idx, (lua_Integer)i + 1);
			rc = msc_lua_fail(c, MSC_EFIELD, "%s[%zu]: expected a string, not %s", f->path, i,
					  msc_lua_what(L, -1, null_idx, what, sizeof(what)));
			lua_pop(L, 1);
			return rc;
		}
		if (memchr(items[i], '\0', lens[i]))
			return msc_lua_fail(c, MSC_EFIELD, "%s[%zu]: holds a NUL character", f->path, i);
	}
	return msc_lua_status(c, msc_record_set_list_at(c->record, msc_lua_index(c, f), items, lens, n));
}

/* One value -> one setter, on the fact's type, as the JSON edge does. */
static int msc_lua_set(lua_State *L, msc_lua_ctx *c, const msc_lua_fact *f, int idx, int null_idx)
{
	char what[MSC_LUA_SHOWN + 16];
	size_t fi = msc_lua_index(c, f);
	int t = lua_type(L, idx);

	if (t == LUA_TTABLE && lua_rawequal(L, idx, null_idx)) {
		/* unknown. For a yes/no fact as MSC_UNKNOWN, which the header
		 * says is the same: msc_record_unset_at() also forgets a code of
		 * another list that set the fact (insulin in medications sets
		 * insulin_dependent_diabetes), so the result would depend on the
		 * order of the table's keys. */
		if (f->kind == MSC_LUA_YESNO)
			return msc_lua_status(c, msc_record_set_answer_at(c->record, fi, MSC_UNKNOWN));
		return msc_lua_status(c, msc_record_unset_at(c->record, fi));
	}
	switch (f->kind) {
	case MSC_LUA_YESNO:
		if (t == LUA_TBOOLEAN)
			return msc_lua_status(c, msc_record_set_answer_at(c->record, fi,
									  lua_toboolean(L, idx) ? MSC_YES : MSC_NO));
		if (t == LUA_TSTRING)
			return msc_lua_word(L, c, f, idx);
		return msc_lua_fail(c, MSC_EFIELD, "%s: expected true, false, ms.null, \"yes\", \"no\" or \"unknown\", not %s",
				    f->path, msc_lua_what(L, idx, null_idx, what, sizeof(what)));
	case MSC_LUA_NUMBER:
		if (t == LUA_TNUMBER)
			return msc_lua_status(c, msc_record_set_number_at(c->record, fi, (double)lua_tonumber(L, idx)));
		/* as in JSON, a number as text is not a number: only "never" */
		if (t == LUA_TSTRING && f->accepts_never && strcmp(lua_tostring(L, idx), "never") == 0 &&
		    lua_rawlen(L, idx) == 5)
			return msc_lua_status(c, msc_record_set_word_at(c->record, fi, "never", 5));
		return msc_lua_fail(c, MSC_EFIELD, "%s: expected a number%s or ms.null, not %s", f->path,
				    f->accepts_never ? ", \"never\"" : "",
				    msc_lua_what(L, idx, null_idx, what, sizeof(what)));
	case MSC_LUA_ENUM:
		if (t == LUA_TSTRING)
			return msc_lua_word(L, c, f, idx);
		return msc_lua_fail(c, MSC_EFIELD, "%s: expected a string or ms.null, not %s", f->path,
				    msc_lua_what(L, idx, null_idx, what, sizeof(what)));
	case MSC_LUA_LIST:
		if (t == LUA_TTABLE)
			return msc_lua_list(L, c, f, idx, null_idx);
		return msc_lua_fail(c, MSC_EFIELD, "%s: " MSC_LUA_LIST_WORDS ", not %s", f->path,
				    msc_lua_what(L, idx, null_idx, what, sizeof(what)));
	default: /* a fact type this binding does not know: the setter of the value's type judges */
		switch (t) {
		case LUA_TBOOLEAN:
			return msc_lua_status(c, msc_record_set_answer_at(c->record, fi,
									  lua_toboolean(L, idx) ? MSC_YES : MSC_NO));
		case LUA_TNUMBER:
			return msc_lua_status(c, msc_record_set_number_at(c->record, fi, (double)lua_tonumber(L, idx)));
		case LUA_TSTRING:
			return msc_lua_word(L, c, f, idx);
		case LUA_TTABLE:
			return msc_lua_list(L, c, f, idx, null_idx);
		default:
			return msc_lua_fail(c, MSC_EFIELD, "%s: expected true, false, a number, a string, a list or ms.null, not %s",
					    f->path, msc_lua_what(L, idx, null_idx, what, sizeof(what)));
		}
	}
}

#define MSC_LUA_DEFER 8

/* The fields of one section: table at `idx`, its key -> fact index table
 * at `keys`. The lists whose codes set other facts (conditions,
 * medications) are set last, conditions first: after each of them the
 * library works the codes out again from all of them, so the list set
 * first is read twice, and conditions are the cheaper one to read twice. */
static int msc_lua_fill_section(lua_State *L, msc_lua_ctx *c, const char *section, int idx, int keys, int null_idx)
{
	char key[MSC_LUA_SHOWN + 8];
	int deferred[MSC_LUA_DEFER], at[MSC_LUA_DEFER], nd = 0, top = lua_gettop(L), rc = MSC_OK, pass, d;

	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_Integer fi;
		/* key at -2, value at -1 */
		if (lua_type(L, -2) != LUA_TSTRING || lua_rawlen(L, -2) > MSC_MAX_TEXT) {
			const char *k = msc_lua_key_text(L, -2, key, sizeof(key));
			rc = k ? msc_lua_fail(c, MSC_EFIELD, "%s.%s: unknown key", section, k)
			       : msc_lua_fail(c, MSC_EFIELD, "%s: unknown key, a %s (expected field names)", section,
					      lua_typename(L, lua_type(L, -2)));
			goto done;
		}
		lua_pushvalue(L, -2);
		fi = lua_rawget(L, keys) == LUA_TNUMBER ? lua_tointeger(L, -1) : -1;
		lua_pop(L, 1);
		if (fi < 0 || (size_t)fi >= c->fact_count) {
			rc = msc_lua_fail(c, MSC_EFIELD, "%s.%s: unknown key", section,
					  msc_lua_key_text(L, -2, key, sizeof(key)));
			goto done;
		}
		if (c->facts[fi].codes && nd < MSC_LUA_DEFER && lua_type(L, -1) == LUA_TTABLE &&
		    !lua_rawequal(L, -1, null_idx) && lua_checkstack(L, 4)) {
			lua_insert(L, -2); /* the value under the key, kept until the end */
			at[nd] = lua_gettop(L) - 1;
			deferred[nd++] = (int)fi;
			continue;
		}
		rc = msc_lua_set(L, c, &c->facts[fi], lua_gettop(L), null_idx);
		lua_pop(L, 1);
		if (rc)
			goto done;
	}
	for (pass = 1; pass <= 2 && rc == MSC_OK; pass++)
		for (d = 0; d < nd && rc == MSC_OK; d++)
			if (c->facts[deferred[d]].codes == pass)
				rc = msc_lua_set(L, c, &c->facts[deferred[d]], at[d], null_idx);
done:
	lua_settop(L, top);
	return rc;
}

/* The record from the table at `idx`: {section = {field = value}}. */
static int msc_lua_fill_record(lua_State *L, msc_lua_ctx *c, int ctx_idx, int idx)
{
	char what[MSC_LUA_SHOWN + 16];
	int top = lua_gettop(L), null_idx, sections, rc = MSC_OK;

	msc_record_clear(c->record);
	lua_getiuservalue(L, ctx_idx, MSC_LUA_UV_NULL);
	null_idx = lua_gettop(L);
	lua_getiuservalue(L, ctx_idx, MSC_LUA_UV_SECTIONS);
	sections = lua_gettop(L);
	if (lua_type(L, idx) != LUA_TTABLE || lua_rawequal(L, idx, null_idx)) {
		rc = msc_lua_fail(c, MSC_EFIELD, "record: expected a table with %s, not %s", c->all_sections,
				  msc_lua_what(L, idx, null_idx, what, sizeof(what)));
		goto done;
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const char *section;
		int value = lua_gettop(L);
		/* key at value - 1 */
		if (lua_type(L, value - 1) != LUA_TSTRING) {
			const char *k = msc_lua_key_text(L, value - 1, what, sizeof(what));
			rc = k ? msc_lua_fail(c, MSC_EFIELD, "record: expected a table with %s, not the key %s", c->all_sections, k)
			       : msc_lua_fail(c, MSC_EFIELD, "record: expected a table with %s, not a key that is a %s",
					      c->all_sections, lua_typename(L, lua_type(L, value - 1)));
			goto done;
		}
		lua_pushvalue(L, value - 1);
		if (lua_rawget(L, sections) != LUA_TTABLE) {
			size_t n;
			const char *s = lua_tolstring(L, value - 1, &n);
			char key[MSC_LUA_SHOWN + 8];
			rc = msc_lua_fail(c, MSC_EFIELD, "%s: unknown key (expected %s)", msc_lua_clip(s, n, key, sizeof(key)),
					  c->sections);
			goto done;
		}
		section = lua_tostring(L, value - 1);
		if (lua_type(L, value) == LUA_TTABLE && lua_rawequal(L, value, null_idx)) {
			lua_pop(L, 2); /* ms.null: absent, as JSON null */
			continue;
		}
		if (lua_type(L, value) != LUA_TTABLE) {
			rc = msc_lua_fail(c, MSC_EFIELD, "%s: expected a table or ms.null, not %s", section,
					  msc_lua_what(L, value, null_idx, what, sizeof(what)));
			goto done;
		}
		if ((rc = msc_lua_status(c, msc_record_set_present(c->record, section))) != MSC_OK ||
		    (rc = msc_lua_fill_section(L, c, section, value, value + 1, null_idx)) != MSC_OK)
			goto done;
		lua_pop(L, 2);
	}
done:
	lua_settop(L, top);
	if (rc)
		msc_record_clear(c->record); /* never half-read */
	return rc;
}

/* Building the result: the keys are Lua strings made once per context
 * (pushed on the stack for the call, set with lua_rawset), and so are the
 * texts of the rule set (ids, messages, sources, fact paths, questions,
 * from its public rule and fact tables): a result's string at the address
 * of one of them is that text (the rule set owns it and never changes it
 * while it lives), so it is found by its address (a hash in the context)
 * and pushed from the context's array of strings instead of being copied
 * again. Any other string (because, unrecognised names, a rule's own
 * question) is pushed as it is. */
#define MSC_LUA_KEYS(X) X(verdict) X(ruleset) X(name) X(version) X(files) X(sha256) \
	X(findings) X(rule) X(severity) X(message) X(because) X(sources) X(missing) \
	X(fact) X(question) X(instructions) X(before) X(after) X(id) X(text) \
	X(overrides) X(action) X(reason) X(changed_by) X(unrecognized) X(medications) \
	X(allergies) X(ingredients)
#define MSC_LUA_KEY_ENUM(k) MSC_LUA_K_##k,
#define MSC_LUA_KEY_NAME(k) #k,
enum { MSC_LUA_KEYS(MSC_LUA_KEY_ENUM) MSC_LUA_K_COUNT };
static const char *const msc_lua_key_names[] = { MSC_LUA_KEYS(MSC_LUA_KEY_NAME) };

typedef struct msc_lua_out {
	lua_State *L;
	const msc_lua_ctx *c;
	int keys;   /* stack index of the first key */
	int texts;  /* stack index of the rule set's texts (an array) */
} msc_lua_out;

static size_t msc_lua_text_slot(const char *s, size_t mask)
{
	return (size_t)(((uintptr_t)s >> 3) * (uintptr_t)0x9E3779B1u) & mask;
}

/* Pushes a string (nil for NULL): the rule set's own from its array. */
static void msc_lua_push_text(msc_lua_out *o, const char *s)
{
	const msc_lua_ctx *c = o->c;
	size_t i;

	if (!s) {
		lua_pushnil(o->L);
		return;
	}
	for (i = msc_lua_text_slot(s, c->text_mask); c->texts[i].text; i = (i + 1) & c->text_mask)
		if (c->texts[i].text == s) {
			lua_rawgeti(o->L, o->texts, c->texts[i].index);
			return;
		}
	lua_pushstring(o->L, s);
}

/* Every text of the rule set that a result can point at, given to `fn`. */
static void msc_lua_rule_texts(const msc_rules *rules, void (*fn)(void *, const char *), void *arg)
{
	size_t i, j, n = msc_rules_file_count(rules);

	fn(arg, msc_rules_name(rules));
	fn(arg, msc_rules_version(rules));
	for (i = 0; i < n; i++) {
		const msc_rules_file *f = msc_rules_file_get(rules, i);
		fn(arg, f->name);
		fn(arg, f->ruleset);
		fn(arg, f->version);
		fn(arg, f->sha256);
	}
	n = msc_rules_fact_count(rules);
	for (i = 0; i < n; i++) {
		const msc_fact_info *f = msc_rules_fact(rules, i);
		fn(arg, f->path);
		fn(arg, f->question);
	}
	n = msc_rules_count(rules);
	for (i = 0; i < n; i++) {
		const msc_rule_info *r = msc_rules_get(rules, i);
		fn(arg, r->id);
		fn(arg, r->message);
		for (j = 0; j < r->source_count; j++)
			fn(arg, r->sources[j]);
		fn(arg, r->reason);
		fn(arg, r->changed_by);
	}
}

static void msc_lua_count_text(void *arg, const char *s)
{
	*(size_t *)arg += s != NULL;
}

typedef struct msc_lua_text_adder {
	lua_State *L;   /* the array of strings on top */
	msc_lua_ctx *c;
} msc_lua_text_adder;

/* Adds a text to the context's slots and to the array on top. */
static void msc_lua_add_text(void *arg, const char *s)
{
	msc_lua_text_adder *a = arg;
	msc_lua_ctx *c = a->c;
	size_t i;

	if (!s)
		return;
	for (i = msc_lua_text_slot(s, c->text_mask); c->texts[i].text; i = (i + 1) & c->text_mask)
		if (c->texts[i].text == s)
			return;
	c->texts[i].text = s;
	c->texts[i].index = (lua_Integer)lua_rawlen(a->L, -1) + 1;
	lua_pushstring(a->L, s);
	lua_rawseti(a->L, -2, c->texts[i].index);
}

/* t[key] = s for the table on top (nothing for NULL); `known`: maybe a text of the rule set. */
static void msc_lua_set_text(msc_lua_out *o, int key, const char *s, int known)
{
	if (!s)
		return;
	lua_pushvalue(o->L, o->keys + key);
	if (known)
		msc_lua_push_text(o, s);
	else
		lua_pushstring(o->L, s);
	lua_rawset(o->L, -3);
}

/* t[key] = the table on top, for the table under it. */
static void msc_lua_set_table(msc_lua_out *o, int key)
{
	lua_pushvalue(o->L, o->keys + key);
	lua_insert(o->L, -2);
	lua_rawset(o->L, -3);
}

static void msc_lua_push_strings(msc_lua_out *o, const char *const *strings, size_t count, int known)
{
	size_t i;
	lua_createtable(o->L, count < 64 ? (int)count : 64, 0);
	for (i = 0; i < count; i++) {
		if (known)
			msc_lua_push_text(o, strings[i]);
		else
			lua_pushstring(o->L, strings[i]);
		lua_rawseti(o->L, -2, (lua_Integer)i + 1);
	}
}

/* The result table: the shape of the result JSON (contract.md). */
static void msc_lua_push_result(lua_State *L, msc_lua_ctx *c, int ctx_idx)
{
	static const int lists[] = { MSC_LUA_K_medications, MSC_LUA_K_allergies, MSC_LUA_K_ingredients };
	const msc_result *res = c->result;
	size_t i, n, files = msc_rules_file_count(c->rules);
	msc_lua_out out, *o = &out;
	int k, p;

	luaL_checkstack(L, MSC_LUA_K_COUNT + 16, NULL);
	out.L = L;
	out.c = c;
	lua_getiuservalue(L, ctx_idx, MSC_LUA_UV_TEXTS);
	out.texts = lua_gettop(L);
	lua_getiuservalue(L, ctx_idx, MSC_LUA_UV_KEYS);
	out.keys = lua_gettop(L) + 1;
	for (k = 0; k < MSC_LUA_K_COUNT; k++)
		lua_rawgeti(L, out.keys - 1, k + 1);

	lua_createtable(L, 0, 7);
	msc_lua_set_text(o, MSC_LUA_K_verdict, msc_verdict_name(msc_result_verdict(res)), 0);

	lua_createtable(L, 0, files ? 3 : 2);
	msc_lua_set_text(o, MSC_LUA_K_name, msc_rules_name(c->rules), 1);
	msc_lua_set_text(o, MSC_LUA_K_version, msc_rules_version(c->rules), 1);
	if (files) {
		lua_createtable(L, (int)files, 0);
		for (i = 0; i < files; i++) {
			const msc_rules_file *f = msc_rules_file_get(c->rules, i);
			lua_createtable(L, 0, 4);
			msc_lua_set_text(o, MSC_LUA_K_name, f->name, 1);
			msc_lua_set_text(o, MSC_LUA_K_ruleset, f->ruleset, 1);
			msc_lua_set_text(o, MSC_LUA_K_version, f->version, 1);
			msc_lua_set_text(o, MSC_LUA_K_sha256, f->sha256, 1);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		msc_lua_set_table(o, MSC_LUA_K_files);
	}
	msc_lua_set_table(o, MSC_LUA_K_ruleset);

	n = msc_result_finding_count(res);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		const msc_finding *f = msc_result_finding(res, i);
		lua_createtable(L, 0, 5);
		msc_lua_set_text(o, MSC_LUA_K_rule, f->rule, 1);
		msc_lua_set_text(o, MSC_LUA_K_severity, msc_verdict_name(f->severity), 0);
		msc_lua_set_text(o, MSC_LUA_K_message, f->message, 1);
		msc_lua_push_strings(o, f->because, f->because_count, 0);
		msc_lua_set_table(o, MSC_LUA_K_because);
		msc_lua_push_strings(o, f->sources, f->source_count, 1);
		msc_lua_set_table(o, MSC_LUA_K_sources);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	msc_lua_set_table(o, MSC_LUA_K_findings);

	n = msc_result_missing_count(res);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		const msc_missing *m = msc_result_missing(res, i);
		lua_createtable(L, 0, 3);
		msc_lua_set_text(o, MSC_LUA_K_rule, m->rule, 1);
		msc_lua_set_text(o, MSC_LUA_K_fact, m->fact, 1);
		msc_lua_set_text(o, MSC_LUA_K_question, m->question, 1);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	msc_lua_set_table(o, MSC_LUA_K_missing);

	lua_createtable(L, 0, 2);
	for (p = 0; p < 2; p++) {
		n = msc_result_instruction_count(res, (msc_phase)p);
		lua_createtable(L, (int)n, 0);
		for (i = 0; i < n; i++) {
			const msc_instruction *ins = msc_result_instruction(res, (msc_phase)p, i);
			lua_createtable(L, 0, 2);
			msc_lua_set_text(o, MSC_LUA_K_id, ins->id, 1);
			msc_lua_set_text(o, MSC_LUA_K_text, ins->text, 1);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		msc_lua_set_table(o, p == 0 ? MSC_LUA_K_before : MSC_LUA_K_after);
	}
	msc_lua_set_table(o, MSC_LUA_K_instructions);

	if (c->overrides) { /* a clinic's changes to documented rules that affect it */
		n = msc_result_override_count(res);
		lua_createtable(L, (int)n, 0);
		for (i = 0; i < n; i++) {
			const msc_override *ov = msc_result_override(res, i);
			lua_createtable(L, 0, 4);
			msc_lua_set_text(o, MSC_LUA_K_rule, ov->rule, 1);
			msc_lua_set_text(o, MSC_LUA_K_action, ov->action, 1);
			msc_lua_set_text(o, MSC_LUA_K_reason, ov->reason, 1);
			msc_lua_set_text(o, MSC_LUA_K_changed_by, ov->changed_by, 1);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		msc_lua_set_table(o, MSC_LUA_K_overrides);
	}

	lua_createtable(L, 0, 3);
	for (p = 0; p < 3; p++) {
		n = msc_result_unrecognized_count(res, (msc_list)p);
		lua_createtable(L, (int)n, 0);
		for (i = 0; i < n; i++) {
			lua_pushstring(L, msc_result_unrecognized(res, (msc_list)p, i));
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		msc_lua_set_table(o, lists[p]);
	}
	msc_lua_set_table(o, MSC_LUA_K_unrecognized);

	/* only the result stays */
	lua_replace(L, out.texts);
	lua_settop(L, out.texts);
}

/* The context at `idx`, held for this call: a finalizer that runs while
 * the result is being built (Lua runs them when it allocates) and screens
 * with the same rule set again gets an error instead of changing the
 * record and result under the call. The hold ends when the call returns
 * or raises (a to-be-closed slot). */
static msc_lua_ctx *msc_lua_enter(lua_State *L, int idx, int nargs)
{
	msc_lua_ctx *c = luaL_checkudata(L, idx, MSC_LUA_CTX);
	if (!c->rules)
		luaL_error(L, "mesoscreen: the rule set was freed");
	if (c->busy)
		luaL_error(L, "mesoscreen: the rule set is screening already (a call from a finalizer?)");
	lua_settop(L, nargs);
	luaL_checkstack(L, 24, NULL);
	c->busy = 1;
	lua_pushvalue(L, idx);
	lua_toclose(L, -1);
	return c;
}

static int msc_lua_leave(lua_State *L)
{
	msc_lua_ctx *c = lua_touserdata(L, 1);
	if (c)
		c->busy = 0;
	return 0;
}

/* msc_lua_screen(ctx, record [, level]): the result table of a record
 * table. An error of the record raises the error value, or with `level`
 * its message at that level (ms.screen's errors, with no pcall). */
static int msc_lua_screen(lua_State *L)
{
	int level = (int)luaL_optinteger(L, 3, 0);
	msc_lua_ctx *c = msc_lua_enter(L, 1, 3);
	int rc = msc_lua_fill_record(L, c, 1, 2);
	if (rc == MSC_OK)
		rc = msc_lua_status(c, msc_screen(c->result, c->rules, c->record));
	if (rc)
		return msc_lua_raise(L, c, rc, level);
	msc_lua_push_result(L, c, 1);
	return 1;
}

/* msc_lua_screen_json(ctx, text): the result table of a JSON record. */
static int msc_lua_screen_json(lua_State *L)
{
	msc_lua_ctx *c = msc_lua_enter(L, 1, 2);
	size_t n;
	const char *json;
	int rc;

	if (lua_type(L, 2) != LUA_TSTRING) { /* not a number made text */
		char what[MSC_LUA_SHOWN + 16];
		lua_getiuservalue(L, 1, MSC_LUA_UV_NULL);
		rc = msc_lua_fail(c, MSC_EFIELD, "record: expected JSON text, not %s",
				  msc_lua_what(L, 2, lua_gettop(L), what, sizeof(what)));
	} else {
		json = lua_tolstring(L, 2, &n);
		rc = msc_lua_status(c, msc_record_from_json(c->record, json, n));
		if (rc == MSC_OK)
			rc = msc_lua_status(c, msc_screen(c->result, c->rules, c->record));
	}
	if (rc)
		return msc_lua_raise(L, c, rc, 0);
	msc_lua_push_result(L, c, 1);
	return 1;
}

/* msc_lua_fill(ctx, record): only fills the context's record (for tests). */
static int msc_lua_fill(lua_State *L)
{
	msc_lua_ctx *c = msc_lua_enter(L, 1, 2);
	int rc = msc_lua_fill_record(L, c, 1, 2);
	if (rc)
		return msc_lua_raise(L, c, rc, 0);
	return 0;
}

static int msc_lua_context_close(lua_State *L)
{
	msc_lua_ctx *c = luaL_checkudata(L, 1, MSC_LUA_CTX);
	c->rules = NULL;
	c->record = NULL;
	c->result = NULL;
	return 0;
}

static int msc_lua_fact_kind(const char *type)
{
	if (strcmp(type, "yesno") == 0)
		return MSC_LUA_YESNO;
	if (strcmp(type, "number") == 0)
		return MSC_LUA_NUMBER;
	if (strcmp(type, "enum") == 0)
		return MSC_LUA_ENUM;
	if (strcmp(type, "medications") == 0 || strcmp(type, "allergies") == 0 ||
	    strcmp(type, "ingredients") == 0 || strcmp(type, "codes") == 0)
		return MSC_LUA_LIST;
	return MSC_LUA_OTHER;
}

static void *msc_lua_arg_ptr(lua_State *L, int idx, swig_type_info *type, const char *what)
{
	void *p = NULL;
	if (!SWIG_IsOK(SWIG_ConvertPtr(L, idx, &p, type, 0)) || !p)
		luaL_argerror(L, idx, what);
	return p;
}

static int msc_lua_context(lua_State *L)
{
	const msc_rules *rules = msc_lua_arg_ptr(L, 1, SWIGTYPE_p_msc_rules, "expected an msc_rules");
	msc_record *record = msc_lua_arg_ptr(L, 2, SWIGTYPE_p_msc_record, "expected an msc_record");
	msc_result *result = msc_lua_arg_ptr(L, 3, SWIGTYPE_p_msc_result, "expected an msc_result");
	size_t i, n = msc_rules_fact_count(rules), used_or = 0, used_and = 0, texts = 0, slots = 16;
	msc_lua_text_adder adder;
	msc_lua_ctx *c;
	int sections, nsections = 0;

	luaL_checktype(L, 4, LUA_TTABLE);
	msc_lua_rule_texts(rules, msc_lua_count_text, &texts);
	while (slots < 2 * texts)
		slots *= 2;
	c = lua_newuserdatauv(L, sizeof(*c) + n * sizeof(c->facts[0]) + slots * sizeof(msc_lua_text),
			      MSC_LUA_UV_COUNT);
	memset(c, 0, sizeof(*c));
	c->texts = (msc_lua_text *)(void *)&c->facts[n];
	memset(c->texts, 0, slots * sizeof(msc_lua_text));
	c->text_mask = slots - 1;
	c->rules = rules;
	c->record = record;
	c->result = result;
	c->fact_count = n;
	if (luaL_newmetatable(L, MSC_LUA_CTX)) {
		lua_pushcfunction(L, msc_lua_leave);
		lua_setfield(L, -2, "__close");
		lua_pushliteral(L, MSC_LUA_CTX);
		lua_setfield(L, -2, "__name");
	}
	lua_setmetatable(L, -2);
	lua_pushvalue(L, 4);
	lua_setiuservalue(L, -2, MSC_LUA_UV_NULL);

	/* section -> {bare key -> fact index} */
	lua_newtable(L);
	sections = lua_gettop(L);
	for (i = 0; i < n; i++) {
		const msc_fact_info *info = msc_rules_fact(rules, i);
		msc_lua_fact *f = &c->facts[i];
		const char *dot = strchr(info->path, '.');

		f->path = info->path;
		f->kind = msc_lua_fact_kind(info->type);
		f->codes = strcmp(info->type, "codes") == 0 ? 1 : strcmp(info->type, "medications") == 0 ? 2 : 0;
		f->accepts_never = f->kind == MSC_LUA_NUMBER && info->accepts_never;
		if (!dot || strchr(dot + 1, '.'))
			continue; /* not a field of a section: no key reaches it (as in JSON) */
		lua_pushlstring(L, info->path, (size_t)(dot - info->path));
		if (lua_rawget(L, sections) != LUA_TTABLE) {
			lua_pop(L, 1);
			lua_newtable(L);
			lua_pushlstring(L, info->path, (size_t)(dot - info->path));
			lua_pushvalue(L, -2);
			lua_rawset(L, sections);
			if (used_and + (size_t)(dot - info->path) + 6 < sizeof(c->all_sections)) {
				used_or += (size_t)snprintf(c->sections + used_or, sizeof(c->sections) - used_or, "%s%.*s",
							    nsections ? " or " : "", (int)(dot - info->path), info->path);
				used_and += (size_t)snprintf(c->all_sections + used_and, sizeof(c->all_sections) - used_and,
							     "%s%.*s", nsections ? " and " : "", (int)(dot - info->path),
							     info->path);
			}
			nsections++;
		}
		lua_pushstring(L, dot + 1);
		lua_pushinteger(L, (lua_Integer)i);
		lua_rawset(L, -3);
		lua_pop(L, 1);
	}
	lua_setiuservalue(L, -2, MSC_LUA_UV_SECTIONS);
	lua_createtable(L, MSC_LUA_K_COUNT, 0);
	for (i = 0; i < MSC_LUA_K_COUNT; i++) {
		lua_pushstring(L, msc_lua_key_names[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setiuservalue(L, -2, MSC_LUA_UV_KEYS);
	/* the rule set's texts, by address */
	lua_createtable(L, (int)(texts < INT_MAX ? texts : 0), 0);
	adder.L = L;
	adder.c = c;
	msc_lua_rule_texts(rules, msc_lua_add_text, &adder);
	n = msc_rules_count(rules);
	for (i = 0; i < n; i++)
		if (msc_rules_get(rules, i)->changed_by)
			c->overrides = 1;
	lua_setiuservalue(L, -2, MSC_LUA_UV_TEXTS);
	return 1;
}
%}
%native(msc_lua_context) int msc_lua_context(lua_State *L);
%native(msc_lua_context_close) int msc_lua_context_close(lua_State *L);
%native(msc_lua_screen) int msc_lua_screen(lua_State *L);
%native(msc_lua_fill) int msc_lua_fill(lua_State *L);
%native(msc_lua_screen_json) int msc_lua_screen_json(lua_State *L);
