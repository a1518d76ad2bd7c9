#!/usr/bin/env bash
# Quick start, first command: install what is needed, build, and screen an
# example record with the built-in rule table.
#   bash examples/quickstart.sh [RECORD.json]
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
if [ -d build/meson-private ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
meson compile -C build >/dev/null
record=${1:-examples/records/contract.json}
echo "== mesoscreen screen --pretty $record"
meson devenv -C build -w "$PWD" mesoscreen screen --pretty "$record"
