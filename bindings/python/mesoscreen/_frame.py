"""Screening a pandas DataFrame (pandas is imported only here, when used).

Each column the rules know is taken once as a numpy array: a bool or
float64 column as it is (NaN is unknown), any other as its objects. The
rows are screened in chunks spread over worker threads (one library batch
per thread, one shared rule set); for each chunk the extension (pyfast.c)
reads the columns' objects under the GIL (each distinct object of a column
converted once, and checked against its field once), then fills the
library's record row by row with the setters by fact index (a list from
the list values of its names, each name normalised and looked up once per
chunk) and screens it through msc_batch_screen_fill() with the GIL
released, and returns the verdicts, the fired rule ids and the errors as
columns: no JSON, and no Python code per row.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Optional

from . import _mesoscreen as _c
from ._core import RecordError
from ._result import VERDICTS

if TYPE_CHECKING:
    import pandas

    from ._core import RuleSet

#: Rows below which one thread screens the whole frame.
_PARALLEL_ROWS = 20000
#: Rows converted and screened at a time: bounds the memory of a chunk
#: (about 4 bytes a cell, plus one action per distinct value), and keeps
#: chunks short enough that threads (the workers, or the caller's own
#: threads each screening a frame) overlap one chunk's conversion (under
#: the GIL) with another's screening (without it). 32,768 rows cost ~2 %
#: less CPU on one thread, but two threads then overlap so little that
#: they went from ~1.9x to ~1.5x one thread.
_CHUNK_ROWS = 8192
#: Rows of the first chunk; each next chunk is twice as large, up to
#: _CHUNK_ROWS. A thread holds the GIL while it reads a chunk, and another
#: thread that waits for it (a second thread screening a frame, or the
#: caller's thread starting it) cannot even begin until the first release:
#: with a first chunk of 8,192 rows that took 7 to 13 ms, a tenth of two
#: threads' time on 100,000 rows; with 1,024 rows, about a millisecond.
_FIRST_ROWS = 1024


def _chunks(n: int, step: int) -> list[tuple[int, int]]:
    """(start, stop) of each chunk of n rows: _FIRST_ROWS, then doubling up
    to step."""
    out: list[tuple[int, int]] = []
    start, size = 0, min(_FIRST_ROWS, step)
    while start < n:
        stop = min(start + size, n)
        out.append((start, stop))
        start, size = stop, min(2 * size, step)
    return out


def _columns(ruleset: "RuleSet", df: "pandas.DataFrame", ignore_unknown: bool) -> list[tuple[int, int]]:
    """(fact index, column position) of each column that is a record field,
    in the frame's order."""
    index = ruleset._column_index()
    out: list[tuple[int, int]] = []
    seen: dict[int, Any] = {}
    for pos, col in enumerate(df.columns):
        fact = index.get(col) if isinstance(col, str) else None
        if fact is None:
            if ignore_unknown:
                continue
            known = sorted({name for _path, name in ruleset._facts})
            raise RecordError(
                f"{col}: unknown column (expected record fields: {', '.join(known)}; "
                "pass ignore_unknown=True to leave other columns out)",
                "MSC_EFIELD",
                field=str(col),
            )
        if fact in seen:
            raise RecordError(f"{col}: the same field as column {seen[fact]!r}", "MSC_EFIELD", field=str(col))
        seen[fact] = col
        out.append((fact, pos))
    return out


def _values(series: "pandas.Series", np: Any) -> Any:
    """A column as a contiguous array: of bool or float64 (NaN for a missing
    number), or of its Python objects (None, NaN or pandas' NA for a
    missing value)."""
    dt = series.dtype
    if isinstance(dt, np.dtype):
        if dt.kind == "b":
            return np.ascontiguousarray(series.to_numpy(), dtype=np.bool_)
        if dt.kind in "iuf":
            return np.ascontiguousarray(series.to_numpy(dtype=np.float64))
        return np.ascontiguousarray(series.to_numpy(dtype=object))
    if getattr(dt, "kind", "O") in "iuf":  # pandas' nullable Int64, Float64...
        return np.ascontiguousarray(series.to_numpy(dtype=np.float64, na_value=np.nan))
    return np.ascontiguousarray(series.to_numpy(dtype=object, na_value=None))  # boolean, string, category...


def screen_frame(ruleset: "RuleSet", df: "pandas.DataFrame", *, ignore_unknown: bool = False,
                 workers: Optional[int] = None) -> "pandas.DataFrame":
    """Screens every row of ``df`` (see :func:`mesoscreen.screen_frame`)."""
    import numpy as np
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df: expected a pandas DataFrame, not {type(df).__name__}")
    if not df.columns.is_unique:
        dup = df.columns[df.columns.duplicated()][0]
        raise RecordError(f"{dup}: duplicate column", "MSC_EFIELD", field=str(dup))
    specs = [(fact, _values(df.iloc[:, pos], np)) for fact, pos in _columns(ruleset, df, ignore_unknown)]
    n = len(df)

    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if n >= _PARALLEL_ROWS else 1
    workers = max(1, int(workers))
    step = _CHUNK_ROWS if workers == 1 else max(2048, min(_CHUNK_ROWS, -(-n // (workers * 4))))
    ctx = ruleset._ctx

    def screen(chunk: tuple[int, int]) -> tuple[bytes, list[tuple[str, ...]], list[tuple[int, str]]]:
        start, stop = chunk
        # a view of each column's chunk: the extension reads the objects
        # under the GIL and holds what it keeps for the screening without it
        columns = [(fact, values[start:stop]) for fact, values in specs]
        return _c.msc_py_frame_screen(ctx, ruleset._batch(0), columns, stop - start)

    chunks = _chunks(n, step)
    if workers == 1 or len(chunks) <= 1:
        parts = [screen(c) for c in chunks]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mesoscreen") as pool:
            parts = list(pool.map(screen, chunks))

    codes = np.frombuffer(b"".join(p[0] for p in parts), dtype=np.int8)
    if len(codes) != n:  # pragma: no cover - the library gives one output per row
        raise RuntimeError(f"screened {len(codes)} rows of {n}")
    verdict = pd.Categorical.from_codes(codes, categories=list(VERDICTS), ordered=True)

    rules = np.fromiter(itertools.chain.from_iterable(p[1] for p in parts), dtype=object, count=n)
    error = np.full(n, None, dtype=object)
    for p, (s, _) in zip(parts, chunks):
        for index, message in p[2]:
            error[s + index] = message
    # the three arrays are this call's own: the frame takes them as they are
    return pd.DataFrame({"verdict": verdict, "rules": rules, "error": error}, index=df.index, copy=False)
