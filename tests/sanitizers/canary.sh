#!/usr/bin/env bash
# Proves that the sanitizer stage would see a leak of ours made from each
# interpreter (.ci/hardening asan runs it after the Python and Lua suites):
# a rule set is leaked on purpose, and LeakSanitizer must report it, with
# libmesoscreen's allocator in the stack, whatever the suppressions and
# options of the stage. A clean suite proves nothing without this.
#   bash tests/sanitizers/canary.sh BUILD_DIR
# Uses the environment of the stage: MSC_SANITIZER_PRELOAD, ASAN_OPTIONS,
# LSAN_OPTIONS (the Python suppressions), UBSAN_OPTIONS.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=$(cd "$1" && pwd)
wrap=tests/sanitizers/preload.sh
status=0

expect_leak() { # what, output file, exit code
  if [ "$3" -ne 0 ] && grep -q "ERROR: LeakSanitizer: detected memory leaks" "$2" && grep -q " in msc__" "$2"; then
    echo "ok - $1: the leak on purpose is reported"
  else
    echo "not ok - $1: the leak on purpose was not reported (exit $3); the stage would hide leaks of ours:"
    sed 's/^/#   /' "$2" | head -40
    status=1
  fi
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Python: straight into the library (ctypes), called from the interpreter as
# the binding calls it, under the Python suite's suppressions.
"$wrap" /usr/bin/python3 - "$build/libmesoscreen/libmesoscreen.so" >"$out" 2>&1 <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
rules = ctypes.c_void_p()
assert lib.msc_rules_builtin(ctypes.byref(rules)) == 0
rules = None  # never msc_rules_free()d
PY
expect_leak "Python" "$out" $?

# Lua: a handle of the core module (mesoscreen_core) is a plain pointer
# that the garbage collector does not free.
LUA_CPATH_5_4="$build/bindings/lua/?.so;;" LSAN_OPTIONS= "$wrap" lua5.4 -e '
local core = require "mesoscreen_core"
local rc, rules = core.msc_rules_builtin()
assert(rc == 0 and rules)
rules = nil
collectgarbage(); collectgarbage()' >"$out" 2>&1
expect_leak "Lua" "$out" $?
exit $status
