"""Benchmark: the Python binding (mesoscreen), on seeded synthetic cohorts.

    python3 bench_python.py PATH-TO-bench-cohort

with PYTHONPATH set as `meson devenv` sets it (meson's benchmark() does).
Figures (median of N repetitions, time.perf_counter):

  - screen(dict) per record                           goal <= 10 us
  - screen_frame on a 1,000,000-row DataFrame (each row its own objects,
    as a JSON reader makes them), end to end           goal <= 2 s
  - screen_frame vs a plain Python loop calling screen per row
    (20,000 rows, extrapolated per row)               goal >= 20x
  - the batch API from 2 threading.Threads vs 1 (each thread screens half
    of the cohort; screen_many and screen_frame)      goal >= 1.7x
    (the median of paired ratios: see paired())

and, to read them by, [INFO] lines: screen(dict) followed by reading the
result's views (they are made on first use), screen_frame's CPU time per
row (all threads), the plain loops, a control before each thread ratio
(two CPU-bound processes vs one: how much of a second core the machine
gives at that moment) with the load average, and after each thread ratio
its ceiling: the same work split between 2 forked processes vs 1, with no
GIL and nothing shared (see ceiling()).

The cohorts come from bench-cohort (cohort.h: a seeded mixture of healthy,
contraindicated and unknown answers, brand names), never stored data.
Exit status 0 whatever the figures (MISS lines say which goal is not met);
2 on an error. Environment: BENCH_REPS (default 7), BENCH_SEED,
BENCH_FRAME_ROWS (default 1000000), BENCH_SMOKE (a smoke run, as the test
suite's bench-smoke-python makes one: tiny cohorts and few repetitions, to
show that the benchmark runs and prints every figure; its figures mean
nothing, and the log says so).
"""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time

SMOKE = os.environ.get("BENCH_SMOKE", "") not in ("", "0")
#: The line that says a log is a smoke run's (as bench.h's BENCH_SMOKE_LINE).
SMOKE_LINE = "# smoke run (BENCH_SMOKE): tiny cohorts, few repetitions; the figures mean nothing"


def size(full: int, smoke: int) -> int:
    """full, or smoke in a smoke run: a size or a count of the benchmark."""
    return smoke if SMOKE else full


SEED = int(os.environ.get("BENCH_SEED", "20261121"))
REPS = int(os.environ.get("BENCH_REPS", str(size(7, 1))))
FRAME_ROWS = int(os.environ.get("BENCH_FRAME_ROWS", str(size(1000000, 3000))))
LOOP_ROWS = size(20000, 500)
RECORDS = size(5000, 200)  # screen(dict)
MANY = size(20000, 500)  # screen_many's cohort for the thread ratio
SUB_ROWS = size(100000, 2000)  # the frame's rows for the thread ratio


def machine(what: str) -> None:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    print(f"# machine: {platform.machine()} | {model} | nproc {os.cpu_count()} | "
          f"build {os.environ.get('BENCH_BUILDTYPE', 'unknown')} | {what} | "
          f"Python {platform.python_version()} | {load()}", flush=True)
    if SMOKE:
        print(SMOKE_LINE, flush=True)


def load() -> str:
    """The machine's load average (other work competes for the cores)."""
    try:
        return "load average %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "load average unknown"


def report(figure: str, values: list[float], unit: str, kind: str = "info", goal: float = 0.0) -> float:
    """Prints one figure (median of values) and returns the median.
    kind: "max" (median <= goal), "min" (median >= goal) or "info"."""
    med = statistics.median(values)
    best = max(values) if kind == "min" else min(values)
    line = f"{figure}: median {med:.4g} {unit} ({'best' if kind == 'min' else 'min'} {best:.4g}, N={len(values)})"
    print_goal(line, med, unit, kind, goal)
    return med


def report_value(figure: str, value: float, unit: str, kind: str = "info", goal: float = 0.0) -> None:
    print_goal(f"{figure}: {value:.4g} {unit}", value, unit, kind, goal)


def print_goal(line: str, value: float, unit: str, kind: str, goal: float) -> None:
    if kind == "info":
        print(f"[INFO] {line}", flush=True)
        return
    ok = value <= goal if kind == "max" else value >= goal
    op = "<=" if kind == "max" else ">="
    print(f"[{'PASS' if ok else 'MISS'}] {line}; goal {op} {goal:g} {unit}", flush=True)


def cohort(gen: str, n: int, fmt: str, seed: int = SEED) -> list[str]:
    out = subprocess.run([gen, "--seed", str(seed), "--format", fmt, str(n)],
                         check=True, stdout=subprocess.PIPE).stdout
    return out.decode().splitlines()


def timed(fn, reps: int = REPS, cpu: list | None = None) -> list[float]:
    """Seconds of fn() over reps repetitions (after one warm-up call);
    with `cpu`, the process's CPU seconds of each repetition are appended
    to it (all threads: what the work costs, whatever else runs)."""
    fn()
    times = []
    for _ in range(reps):
        gc.collect()
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(time.process_time() - c0)
    return times


def paired(one, two, reps: int = 2 * REPS - 1,
           self_timed: bool = False) -> tuple[list[float], list[float], list[float]]:
    """Seconds of one() and two() in pairs, each repetition timing both in
    turn first (so that a change in the shared machine's load falls on both
    halves of a pair), garbage collected before each; returns their times
    and each pair's ratio one/two. self_timed: one() and two() return their
    own seconds (in_processes) instead of being timed around."""
    one()
    two()
    t1, t2 = [], []
    for r in range(reps):
        for fn, times in ((one, t1), (two, t2)) if r % 2 == 0 else ((two, t2), (one, t1)):
            gc.collect()
            t0 = time.perf_counter()
            own = fn()
            times.append(own if self_timed else time.perf_counter() - t0)
    return t1, t2, [a / b for a, b in zip(t1, t2)]


def in_threads(parts, fn) -> None:
    """fn(part) for each part, each in a thread of its own, all at once."""
    threads = [threading.Thread(target=fn, args=(p,)) for p in parts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def in_processes(parts, fn) -> float:
    """Seconds for fn(part), each part in a forked process of its own, all
    started at once: the same work as in_threads() with no GIL and nothing
    shared. Each child runs fn(part) once before the start (its copy-on-write
    pages copied, its caches warm, as a thread's are after the warm-up
    pair), then once timed from the start to the last child's end."""
    go_r, go_w = os.pipe()
    kids = []
    for p in parts:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                os.close(go_w)
                fn(p)
                gc.collect()
                os.write(w, b"r")  # ready
                if os.read(go_r, 1) == b"x":  # the start (end of file: the parent gave up)
                    fn(p)
                    os.write(w, repr(time.perf_counter()).encode())
                    code = 0
            finally:
                os._exit(code)
        os.close(w)
        kids.append((pid, r))
    os.close(go_r)
    try:
        for pid, r in kids:  # every child warm and waiting
            if os.read(r, 1) != b"r":
                raise RuntimeError("bench: a child process failed")
        t0 = time.perf_counter()
        os.write(go_w, b"x" * len(parts))
        texts = [os.read(r, 64) for _, r in kids]  # each child's end time, b"" if it failed
        if not all(texts):
            raise RuntimeError("bench: a child process failed")
        return max(float(t) for t in texts) - t0
    finally:
        os.close(go_w)
        for pid, r in kids:
            os.close(r)
            os.waitpid(pid, 0)


def ceiling(what: str, fn, whole: list, halves: list) -> None:
    """The same work as a thread ratio's, in 2 forked processes vs 1, timed
    right after the threads' pairs (not between them: a fork leaves the
    parent's pages copy-on-write, which its next run would pay for). No
    GIL and nothing shared: how much a second core gives this work on this
    machine now, the ceiling of the threads' ratio."""
    if not hasattr(os, "fork"):
        return
    _, _, ratio = paired(lambda: in_processes(whole, fn), lambda: in_processes(halves, fn), self_timed=True)
    report(f"  {what}, 2 processes vs 1 (no GIL, nothing shared: the ceiling for the threads; "
           "speed-up of each pair)", ratio, "x")


def frame_from_lines(lines, pd):
    """A DataFrame with one column per field from flat JSON Lines: None where
    a field is absent, lists in object columns. Every row holds its own
    objects, as json.loads made them (equal strings and lists are equal
    objects apart), which is what pandas.read_json or a DataFrame of
    json.loads rows holds: screen_frame cannot find a value again by its
    address, only by its text."""
    columns: dict[str, list] = {}
    n = 0
    for line in lines:
        for key, value in json.loads(line).items():
            col = columns.get(key)
            if col is None:
                col = columns[key] = [None] * n
            col.append(value)
        n += 1
        for col in columns.values():
            if len(col) < n:
                col.append(None)
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})


PATIENT_FIELDS = {"pregnant", "breastfeeding", "stroke_history", "insulin_dependent_diabetes", "cancer",
                  "clotting_disorder", "urticaria", "heart_disease_multiple_drugs", "needle_phobia",
                  "medications", "allergies", "hair_transplant_months_ago", "conditions"}


def nest(row: dict) -> dict:
    """A flat row (bare field names) as an intake record dict."""
    rec: dict = {}
    for key, value in row.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        rec.setdefault("patient" if key in PATIENT_FIELDS else "plan", {})[key] = value
    return rec


def frame_figures(gen: str, pd, mesoscreen):
    """screen_frame on a 1,000,000-row DataFrame, and against the plain
    loops on its first rows. Returns the frame's seconds and its first
    SUB_ROWS rows, copied, for the thread ratios (None on an error). The
    million-row frame and its output are freed on return, before the
    thread ratios: timed() collects garbage before each repetition, and
    with a million rows alive that walk over every live object leaves the
    caches cold for the run it precedes (two threads lost about 12 % to it,
    one thread about 2 %: screen_frame in two threads read 1.65x instead
    of 1.86x with 3 million objects alive)."""
    t0 = time.perf_counter()
    df = frame_from_lines(cohort(gen, FRAME_ROWS, "flat"), pd)
    print(f"# DataFrame: {len(df):,} rows x {len(df.columns)} columns, built in "
          f"{time.perf_counter() - t0:.1f} s (not timed)", flush=True)
    out = mesoscreen.screen_frame(df)
    if len(out) != len(df) or out["error"].notna().any():
        print("bench: screen_frame refused rows: " + str(out["error"].dropna().head(3).tolist()), file=sys.stderr)
        return None
    print("# verdicts: " + ", ".join(f"{k} {v / len(df):.0%}" for k, v in
                                     out["verdict"].value_counts(sort=False).items()), flush=True)
    print(f"# {load()}", flush=True)
    frame_cpu: list[float] = []
    frame_s = report(f"Python screen_frame, {len(df):,}-row DataFrame, end to end (default workers)",
                     timed(lambda: mesoscreen.screen_frame(df), max(3, REPS // 2 + 1), frame_cpu), "s",
                     "max", 2.0 * len(df) / 1e6)
    report("  screen_frame CPU time, all threads", [c * 1e6 / len(df) for c in frame_cpu], "us/row")

    # -- a plain Python loop calling screen per row, on the frame's first rows
    head = df.iloc[:LOOP_ROWS]
    nested = [nest(row) for row in head.to_dict("records")]
    screen = mesoscreen.screen

    def loop_prebuilt():
        for rec in nested:
            screen(rec)

    def loop_rows():
        for row in head.itertuples(index=False):
            screen(nest(row._asdict()))

    per_row = report(f"  plain loop: screen(dict) per row, {len(head):,} rows as pre-built dicts",
                     [t * 1e6 / len(head) for t in timed(loop_prebuilt, max(3, REPS // 2 + 1))], "us/row")
    per_row_it = report(f"  plain loop: itertuples -> dict -> screen, {len(head):,} rows",
                        [t * 1e6 / len(head) for t in timed(loop_rows, max(3, REPS // 2 + 1))], "us/row")
    frame_per_row = frame_s * 1e6 / len(df)
    report_value("Python screen_frame vs plain loop of screen() over pre-built dicts (per-row ratio)",
                 per_row / frame_per_row, "x", "min", 20)
    report_value("  screen_frame vs plain loop with itertuples (per-row ratio)", per_row_it / frame_per_row, "x")

    return frame_s, df.iloc[:SUB_ROWS].copy()


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: bench_python.py PATH-TO-bench-cohort", file=sys.stderr)
        return 2
    gen = sys.argv[1]
    import pandas as pd

    import mesoscreen

    machine(f"Python binding (mesoscreen {mesoscreen.__version__}, pandas {pd.__version__})")

    # -- screen(dict) per record
    records = [json.loads(line) for line in cohort(gen, RECORDS, "nested")]
    screen = mesoscreen.screen

    def screen_all():
        for rec in records:
            screen(rec)

    us = [t * 1e6 / len(records) for t in timed(screen_all)]
    screen_us = report(f"Python screen(dict) per record ({len(records):,} seeded records)", us, "us/record", "max", 10)

    def screen_and_read():
        for rec in records:
            r = screen(rec)
            r.verdict, r.findings, r.missing, r.instructions, r.unrecognized  # noqa: B018

    report("  screen(dict) and reading verdict, findings, missing, instructions, unrecognized",
           [t * 1e6 / len(records) for t in timed(screen_and_read)], "us/record")

    # -- screen_frame on a 1,000,000-row DataFrame, and the plain loops
    figures = frame_figures(gen, pd, mesoscreen)
    if figures is None:
        return 2
    frame_s, sub = figures
    gc.collect()

    # -- the batch API from 2 threads vs 1. Control first: how much of a
    # second core the machine gives right now (two CPU-bound processes vs one)
    def procs(k):
        ps = [subprocess.Popen([gen, "--seed", str(SEED + i), str(size(200000, 2000))], stdout=subprocess.DEVNULL)
              for i in range(k)]
        for p in ps:
            p.wait()

    def control():
        c1 = statistics.median(timed(lambda: procs(1), 3))
        c2 = statistics.median(timed(lambda: procs(2), 3))
        report_value(f"  control: 2 CPU-bound processes vs 1 on this machine now (throughput ratio; {load()})",
                     2 * c1 / c2, "x")

    control()

    # -- the batch API from 2 threads vs 1: 20,000 record dicts of their
    # own (not the 5,000 above four times over: the two halves would then
    # be the same dicts, and every reference count the threads both touch
    # would move between the cores, which two cohorts never share)
    many = [json.loads(line) for line in cohort(gen, MANY, "nested", SEED + 1)]
    half = len(many) // 2

    def many_one():
        in_threads([many], mesoscreen.screen_many)

    def many_two():
        in_threads([many[:half], many[half:]], mesoscreen.screen_many)

    t1, t2, ratio = paired(many_one, many_two)
    report(f"  screen_many, {len(many):,} records, 1 thread", t1, "s")
    report(f"  screen_many, {len(many):,} records, 2 threads (half each)", t2, "s")
    report("Python batch (screen_many) with 2 threads vs 1 (speed-up of each pair)", ratio, "x", "min", 1.7)
    ceiling(f"screen_many, {len(many):,} records", mesoscreen.screen_many, [many], [many[:half], many[half:]])

    hsub = len(sub) // 2
    for workers in (1, 2):
        report(f"  screen_frame(workers={workers}), {len(sub):,} rows (its own thread pool)",
               timed(lambda: mesoscreen.screen_frame(sub, workers=workers), max(3, REPS // 2 + 1)), "s")

    def frame_part(part):
        mesoscreen.screen_frame(part, workers=1)

    def frame_one():
        in_threads([sub], frame_part)

    def frame_two():
        in_threads([sub.iloc[:hsub], sub.iloc[hsub:]], frame_part)

    control()
    t1, t2, ratio = paired(frame_one, frame_two)
    report(f"  screen_frame(workers=1), {len(sub):,} rows, 1 thread", t1, "s")
    report(f"  screen_frame(workers=1), {len(sub):,} rows, 2 threads (half each)", t2, "s")
    report("Python batch (screen_frame) with 2 threads vs 1 (speed-up of each pair)", ratio, "x", "min", 1.7)
    ceiling(f"screen_frame(workers=1), {len(sub):,} rows", frame_part, [sub], [sub.iloc[:hsub], sub.iloc[hsub:]])
    print(f"# summary: screen(dict) {screen_us:.3g} us; screen_frame {frame_s:.3g} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
