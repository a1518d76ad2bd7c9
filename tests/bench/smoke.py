#!/usr/bin/env python3
"""A smoke run of one benchmark: the test suite's bench-smoke-* tests.

    smoke.py PUBLISHED-LOG COMMAND [ARG...]

Runs COMMAND with BENCH_SMOKE=1 (tiny cohorts and few repetitions, see
tests/bench/bench.h) and fails unless it exits 0, says in its log that it
is a smoke run, prints no figure that is not a number, and prints the same
goal figures ([PASS] or [MISS] lines), in the same order, as the same
benchmark did in the published run (PUBLISHED-LOG: docs/performance-run.txt),
the numbers in their names aside. So a benchmark that breaks, or that
no longer prints a figure of the published table, fails `meson test`, not
only `meson test --benchmark`. The figures themselves are not judged: a
smoke run's mean nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from summary import GOAL, SMOKE_MARK, goals  # noqa: E402 (after the line above)

FIGURE = re.compile(r"^\[(PASS|MISS|INFO)\] ")
NOT_A_NUMBER = re.compile(r"\b(nan|inf)\b", re.IGNORECASE)


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print("usage: smoke.py PUBLISHED-LOG COMMAND [ARG...]", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        published = goals(f.readlines())
    run = subprocess.run(argv[2:], env={**os.environ, "BENCH_SMOKE": "1"},
                         stdout=subprocess.PIPE, text=True, check=False)
    sys.stdout.write(run.stdout)
    lines = run.stdout.splitlines()
    problems = []
    if run.returncode != 0:
        problems.append(f"exit status {run.returncode}")
    if not any(line.startswith(SMOKE_MARK) for line in lines):
        problems.append("no smoke-run line: the benchmark does not read BENCH_SMOKE")
    problems += [f"not a number: {line}" for line in lines if FIGURE.match(line) and NOT_A_NUMBER.search(line)]
    problems += [f"not a figure line: {line}" for line in lines
                 if line.startswith(("[PASS]", "[MISS]")) and not GOAL.match(line)]
    mine = goals(lines)
    for name, figures in mine.items():
        if name not in published:
            problems.append(f"{name}: not a benchmark of the published run {argv[1]} "
                            f"(publish a run that has it: docs/performance.md, Reproduce)")
        elif figures != published[name]:
            missing = [g for g in published[name] if g not in figures]
            extra = [g for g in figures if g not in published[name]]
            problems.append(f"{name}: goal figures differ from the published run's "
                            f"(missing: {missing or 'none'}; not published: {extra or 'none'}; "
                            f"or another order)")
    if not mine:
        problems.append("no `# machine:` line and no goal figure")
    for p in problems:
        print(f"smoke: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
