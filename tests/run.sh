#!/usr/bin/env bash
# Quick start, second command: install what is needed, build, and run every
# test suite (C, Python, Lua), then build the intake example against the
# installed library through pkg-config, as an outside program would.
#   bash tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
build=${BUILD:-build}
if [ -d "$build/meson-private" ]; then meson setup --reconfigure "$build"; else meson setup "$build"; fi
meson compile -C "$build"

status=0
meson test -C "$build" --print-errorlogs || status=$?

# An outside program, against the installed header and pkg-config file.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
meson install -C "$build" --destdir "$stage" >/dev/null
pcdir=$(dirname "$(find "$stage" -name mesoscreen.pc | head -n 1)")
libdir=$(dirname "$(find "$stage" -name 'libmesoscreen.so' | head -n 1)")
outside=passed
if PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$stage" \
     make -s -C examples/intake -B intake CC=cc "CFLAGS=-O2 -Wall -Wextra -Wpedantic -Werror" >/dev/null &&
   LD_LIBRARY_PATH="$libdir" examples/intake/intake examples/records/pregnant.json | grep '^Verdict: DEFER' >/dev/null; then
  echo "outside program (pkg-config, installed library): ok"
else
  echo "outside program (pkg-config, installed library): FAILED"
  outside=failed
  status=1
fi
rm -f examples/intake/intake

# One plain closing line, whatever the runners were.
/usr/bin/python3 - "$build/meson-logs/testlog.json" "$outside" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): passed += 1
    elif r == "SKIP": skipped += 1
    else: failed += 1
if sys.argv[2] == "passed": passed += 1
else: failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
