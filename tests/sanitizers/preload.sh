#!/bin/sh
# `meson test --wrapper` of the sanitizer stage's Python and Lua suites
# (.ci/hardening asan): python3 and lua5.4 are not built with
# AddressSanitizer, so its runtime has to be loaded before anything else,
# ahead of the extension modules that need it. Only the test's process
# tree gets LD_PRELOAD, not meson.
#
# MSC_SANITIZER_PRELOAD, set by .ci/hardening: colon-separated, the runtimes
# of the build's compiler (gcc: libasan.so, libubsan.so; clang:
# libclang_rt.asan-<arch>.so, which holds UBSan's handlers too) and the
# build's libmesoscreen.so, kept mapped until the leak check at exit (Lua's
# lua_close() unloads C modules first, and a report would then name no
# function).
set -eu
: "${MSC_SANITIZER_PRELOAD:?is set by .ci/hardening: the sanitizer runtimes to preload}"
LD_PRELOAD="$MSC_SANITIZER_PRELOAD${LD_PRELOAD:+:$LD_PRELOAD}"
export LD_PRELOAD
exec "$@"
