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
 *   - numbers:  integers (counts, enums, codes) come out as Lua integers.
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
static void msc_lua_push_error(lua_State *L, int status)
{
	const char *message = msc_error_message();
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
