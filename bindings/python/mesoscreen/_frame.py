"""Screening a pandas DataFrame (pandas is imported only here, when used).

pandas writes the rows as JSON in C (``DataFrame.to_json``), the library
screens them in C through its batch API with the GIL released, in chunks
spread over worker threads (one batch per thread, one shared rule set), and
the output comes back as columns: no Python loop over the rows.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Optional

from . import _mesoscreen as _c
from ._core import _BATCH_FLAT, RecordError
from ._result import VERDICTS

if TYPE_CHECKING:
    import pandas

    from ._core import RuleSet

#: Rows below which one thread screens the whole frame.
_PARALLEL_ROWS = 20000


def _columns(ruleset: "RuleSet", df: "pandas.DataFrame", ignore_unknown: bool) -> "pandas.DataFrame":
    """The frame restricted to record fields, columns renamed to bare names."""
    accepted = ruleset._column_names()
    keep: list[Any] = []
    rename: dict[Any, str] = {}
    seen: dict[str, Any] = {}
    for col in df.columns:
        name = accepted.get(col) if isinstance(col, str) else None
        if name is None:
            if ignore_unknown:
                continue
            known = sorted({v for v in accepted.values()})
            raise RecordError(
                f"{col}: unknown column (expected record fields: {', '.join(known)}; "
                "pass ignore_unknown=True to leave other columns out)",
                "MSC_EFIELD",
                field=str(col),
            )
        if name in seen:
            raise RecordError(f"{col}: the same field as column {seen[name]!r}", "MSC_EFIELD", field=str(col))
        seen[name] = col
        keep.append(col)
        if name != col:
            rename[col] = name
    if len(keep) != len(df.columns):
        df = df.loc[:, keep]
    if rename:
        df = df.rename(columns=rename)
    return df


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
    data = _columns(ruleset, df, ignore_unknown)
    n = len(data)

    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if n >= _PARALLEL_ROWS else 1
    workers = max(1, int(workers))
    if workers == 1:
        step = max(n, 1) if n <= 100000 else 50000
    else:
        step = max(2000, min(50000, -(-n // (workers * 4))))

    def rows_json(start: int) -> str:
        # NaN and None become null (unknown); default_handler turns anything
        # JSON cannot hold into text, which the library then refuses for
        # that row only, naming the field.
        return data.iloc[start:start + step].to_json(orient="records", default_handler=str)

    def screen(text: str) -> tuple[bytes, list[tuple[str, ...]], list[tuple[int, str, str]]]:
        batch = ruleset._batch(_BATCH_FLAT)
        _c.msc_py_batch_screen_array(batch, text)
        return _c.msc_py_batch_columns(batch)

    starts = range(0, n, step)
    if workers == 1 or len(starts) <= 1:
        parts = [screen(rows_json(s)) for s in starts]
    else:
        # pandas writes chunk k+1 while the workers screen chunk k.
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mesoscreen") as pool:
            futures = [pool.submit(screen, rows_json(s)) for s in starts]
            parts = [f.result() for f in futures]

    codes = np.frombuffer(b"".join(p[0] for p in parts), dtype=np.int8)
    if len(codes) != n:  # pragma: no cover - the library gives one output per row
        raise RuntimeError(f"screened {len(codes)} rows of {n}")
    verdict = pd.Categorical.from_codes(codes, categories=list(VERDICTS), ordered=True)

    def rules_iter():
        for p in parts:
            yield from p[1]

    rules = np.fromiter(rules_iter(), dtype=object, count=n)
    error = np.full(n, None, dtype=object)
    for p, s in zip(parts, starts):
        for index, _code, message in p[2]:
            error[s + index] = message
    return pd.DataFrame({"verdict": verdict, "rules": rules, "error": error}, index=df.index)
