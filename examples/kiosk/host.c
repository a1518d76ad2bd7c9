/*
 * The waiting-room kiosk as a kiosk vendor ships it: a C program that
 * embeds Lua 5.4, links the mesoscreen module in (no .so to find), and runs
 * the kiosk script with the command-line arguments.
 *
 *   mesoscreen-kiosk [kiosk options]      (mesoscreen-kiosk --help)
 *
 * KIOSK_SCRIPT (kiosk.lua) and KIOSK_LUA_PATH (where mesoscreen.lua is) are
 * set by the build; MESOSCREEN_KIOSK_SCRIPT overrides the script.
 */
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

/* The SWIG-generated module, linked into this program. */
extern int luaopen_mesoscreen_core(lua_State *L);

/* Message handler: the error with a traceback, as lua5.4 prints it. */
static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	if (!msg)
		msg = luaL_tolstring(L, 1, NULL);
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* Runs the script in protected mode; returns 0 or prints the error and returns 1. */
static int run(lua_State *L, const char *script, int argc, char **argv)
{
	int i;

	lua_pushcfunction(L, traceback);
	if (luaL_loadfile(L, script) != LUA_OK) {
		fprintf(stderr, "mesoscreen-kiosk: %s\n", lua_tostring(L, -1));
		return 1;
	}
	/* `arg` as lua5.4 sets it: arg[0] the script, arg[1..] its arguments */
	lua_createtable(L, argc, 1);
	lua_pushstring(L, script);
	lua_rawseti(L, -2, 0);
	for (i = 1; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i);
	}
	lua_setglobal(L, "arg");
	for (i = 1; i < argc; i++)
		lua_pushstring(L, argv[i]);
	if (lua_pcall(L, argc - 1, 0, 1) != LUA_OK) {
		fprintf(stderr, "mesoscreen-kiosk: %s\n", lua_tostring(L, -1));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *script = getenv("MESOSCREEN_KIOSK_SCRIPT");
	lua_State *L = luaL_newstate();
	int rc;

	if (!L) {
		fprintf(stderr, "mesoscreen-kiosk: cannot create a Lua state\n");
		return 1;
	}
	luaL_openlibs(L);

	/* require "mesoscreen_core" finds the linked-in module first */
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	lua_pushcfunction(L, luaopen_mesoscreen_core);
	lua_setfield(L, -2, "mesoscreen_core");
	lua_pop(L, 1);

	/* require "mesoscreen" (the Lua layer) finds mesoscreen.lua */
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "path");
	lua_pushfstring(L, "%s;%s", KIOSK_LUA_PATH, lua_tostring(L, -1));
	lua_setfield(L, -3, "path");
	lua_pop(L, 2);

	rc = run(L, script && *script ? script : KIOSK_SCRIPT, argc, argv);
	lua_close(L);
	return rc;
}
