#!/usr/bin/env python3
"""The goal table of a benchmark run, from its log.

    meson test -C build-rel --benchmark -v 2>&1 | tee bench.log
    python3 tests/bench/summary.py bench.log
    python3 tests/bench/summary.py --check docs/performance.md docs/performance-run.txt

Every `[PASS]` and `[MISS]` line the benchmarks printed becomes one row of
a Markdown table (figure, goal, measured, verdict), in the order they ran,
followed by the machine lines. Nothing is chosen or rounded by hand: the
table in docs/performance.md is this script's output for the run whose log
sits next to it (docs/performance-run.txt), and `--check DOC` (a test of
the suite) fails unless DOC holds that table line for line. Exits 1 if the
log holds no goal line, is a smoke run's (BENCH_SMOKE: its figures mean
nothing), or the check fails.
"""

from __future__ import annotations

import re
import sys

GOAL = re.compile(r"^\[(PASS|MISS)\] (?P<figure>.*): (?P<measured>[^:;]*); goal (?P<goal>.*)$")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]\d+)?")
#: How a smoke run's log begins a line (bench.h's BENCH_SMOKE_LINE).
SMOKE_MARK = "# smoke run (BENCH_SMOKE)"
DIGITS = re.compile(r"\d[\d,.]*")


def shape(text: str) -> str:
    """text with every number as `#`: a figure's name whatever the sizes
    and versions in it ("cohort of 10k records" -> "cohort of #k records")."""
    return DIGITS.sub("#", text)


def goals(lines: list[str]) -> dict[str, list[str]]:
    """The shapes of the goal figures of each benchmark in a log, in their
    order, by the shape of the benchmark's name (the fifth field of the
    `# machine:` line that comes before them)."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        line = line.strip()
        if line.startswith("# machine:"):
            fields = line.split(" | ")
            current = out.setdefault(shape(fields[4]) if len(fields) > 4 else "?", [])
        m = GOAL.match(line)
        if m:
            if current is None:
                current = out.setdefault("?", [])
            current.append(shape(m.group("figure")))
    return out


def plain(text: str) -> str:
    """Numbers in e-notation (1.542e+05) written out (154,200)."""
    def one(m: re.Match) -> str:
        s = m.group(0)
        if "e" not in s:
            return s
        v = float(s)
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:g}"
    return NUMBER.sub(one, text)


def rows(lines: list[str]) -> tuple[list[str], list[str]]:
    table, machines = [], []
    for line in lines:
        line = line.strip()
        if line.startswith("# machine:"):
            machines.append(line[2:])
            continue
        m = GOAL.match(line)
        if not m:
            continue
        measured = plain(m.group("measured")).replace("median ", "")
        table.append(f"| {m.group('figure')} | {plain(m.group('goal'))} | {measured} | {m.group(1)} |")
    return table, machines


def table_text(log: str) -> str | None:
    """The Markdown table of a log; None if it holds no goal line or is a
    smoke run's (its figures mean nothing)."""
    with open(log, encoding="utf-8", errors="replace") as f:
        lines = f.readlines()
    if any(line.startswith(SMOKE_MARK) for line in lines):
        print(f"{log}: a smoke run's log (BENCH_SMOKE): its figures mean nothing", file=sys.stderr)
        return None
    table, machines = rows(lines)
    if not table:
        print(f"{log}: no [PASS] or [MISS] line", file=sys.stderr)
        return None
    out = ["| figure (as the benchmark prints it) | goal | measured (median unless said) | |", "|---|---|---|---|"]
    out += table
    out.append("")
    out += [f"- {m}" for m in dict.fromkeys(machines)]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    check = len(argv) == 4 and argv[1] == "--check"
    if len(argv) != 2 and not check:
        print("usage: summary.py BENCHMARK-LOG | summary.py --check DOC BENCHMARK-LOG", file=sys.stderr)
        return 2
    log = argv[-1]
    text = table_text(log)
    if text is None:
        return 1
    if not check:
        sys.stdout.write(text)
        return 0
    with open(argv[2], encoding="utf-8") as f:
        doc = f.read()
    if text not in doc:
        print(f"{argv[2]}: does not hold the table of {log}; paste the output of "
              f"`summary.py {log}` into it", file=sys.stderr)
        return 1
    print(f"ok: {argv[2]} holds the table of {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
