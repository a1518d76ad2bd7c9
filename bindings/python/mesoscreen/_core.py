"""Rule sets, screening and errors, over the SWIG extension ``_mesoscreen``.

A record dict is read by the extension's fast path (pyfast.c): each value
goes to the library's own setter (msc_record_set_answer, _number, _word,
_list), checked against the field's type exactly as the library's JSON edge
checks a JSON value, so every check of contract.md is the C library's and
the shared vectors give the same results through ``screen`` and
``screen_json``. The record is filled and screened with the GIL released,
and the result is built in C in one call (a compact form that
:class:`Result` turns into contract.md's dict when asked). Cohorts
(``screen_many``, ``screen_frame``) are read under the GIL and screened
without it.
"""

from __future__ import annotations

import json
import os
import re
import threading
import warnings
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional, Union

from . import _mesoscreen as _c
from ._result import VERDICTS, Question, Rejected, Result, RuleTable

if TYPE_CHECKING:  # pandas is imported only by screen_frame()
    import pandas

__all__ = [
    "Error",
    "RecordError",
    "RulesError",
    "RuleSet",
    "MAX_TEXT",
    "MAX_LIST",
    "MAX_RECORD_JSON",
]

#: Limits on input (a value at the limit is accepted, one past it refused).
MAX_TEXT: int = _c.MSC_MAX_TEXT
MAX_LIST: int = _c.MSC_MAX_LIST
MAX_RECORD_JSON: int = _c.MSC_MAX_RECORD_JSON


assert tuple(_c.msc_verdict_name(i) for i in range(len(VERDICTS))) == VERDICTS

# ---------------------------------------------------------------------- errors

# "patient.medications[0]: ...", "plans: ...", "record: ..." (not "line 1, column 2: ...")
_FIELD = re.compile(r"([^\s:,]+): ")


class Error(Exception):
    """An error of libmesoscreen.

    ``code`` is the library's status name (``"MSC_EFIELD"``), ``status``
    its number (-3).
    """

    def __init__(self, message: str, code: str = "MSC_EINVAL", status: Optional[int] = None) -> None:
        super().__init__(message)
        self.code: str = code
        self.status: int = status if status is not None else _STATUS.get(code, -2)


_STATUS = {
    "MSC_ENOMEM": -1,
    "MSC_EINVAL": -2,
    "MSC_EFIELD": -3,
    "MSC_ELIMIT": -4,
    "MSC_EPARSE": -5,
    "MSC_EIO": -6,
    "MSC_ERULES": -7,
}


class RecordError(Error, ValueError):
    """An intake record was refused: unknown key, wrong type, bad word,
    over a limit, or malformed JSON.

    The message starts with the field's path (``"patient.pregnant: expected
    true, false, ..."``), which is also ``field`` (None for malformed JSON,
    where the message gives the line and column).
    """

    def __init__(self, message: str, code: str = "MSC_EFIELD", status: Optional[int] = None,
                 field: Optional[str] = None) -> None:
        super().__init__(message, code, status)
        if field is None:
            m = _FIELD.match(message)
            field = m.group(1) if m else None
        self.field: Optional[str] = field


class RulesError(Error, ValueError):
    """A rule text was refused; ``errors`` lists every error as
    ``"name:line:column: message"``."""

    def __init__(self, message: str, code: str = "MSC_ERULES", status: Optional[int] = None,
                 errors: Optional[list[str]] = None) -> None:
        self.errors: list[str] = list(errors or [])
        if self.errors and message not in self.errors:
            message = message + "\n" + "\n".join(self.errors)
        super().__init__(message, code, status)


def _record_error(exc: BaseException) -> BaseException:
    """The package's exception for an error the extension raised for a record."""
    code = getattr(exc, "code", None)
    if isinstance(exc, ValueError) and code in ("MSC_EFIELD", "MSC_ELIMIT", "MSC_EPARSE"):
        return RecordError(str(exc), code, getattr(exc, "status", None))
    return exc


# ------------------------------------------------------------ record values


def _plain(value: Any) -> Any:
    """A value the extension does not know, as a plain one: a numpy scalar
    or array as its Python value (``tolist()``), pandas' NA and NaT as None.
    Anything else is returned unchanged, and the extension then refuses it
    for the field it was given for. Called by the extension (pyfast.c),
    never for str, int, float, bool, None, list, tuple or dict."""
    try:
        kind = type(value)
        module = kind.__module__
        if kind.__name__ in ("NAType", "NaTType") and module.startswith("pandas"):
            return None
        if module == "numpy" and hasattr(value, "tolist"):
            return value.tolist()
    except Exception:  # a hostile type: refused as it is
        pass
    return value


_screen = _c.msc_py_screen

# ---------------------------------------------------------------- ownership


class _Owned:
    """A library object and its free function.

    A child (a record, a batch) names its parent (the rule set) and keeps it
    alive; the parent is freed only once every child has been freed, even
    when the garbage collector finalizes them in any order (a cycle through
    a traceback, interpreter shutdown): msc_record_free() reads its rule
    set, so the rule set must go last.
    """

    __slots__ = ("ptr", "_free", "_parent", "_children", "_dead", "__weakref__")
    _lock = threading.RLock()

    def __init__(self, ptr: Any, free: Callable[[Any], None], parent: "Optional[_Owned]" = None) -> None:
        self.ptr = ptr
        self._free = free
        self._parent = parent
        self._children = 0
        self._dead = False
        if parent is not None:
            with _Owned._lock:
                parent._children += 1

    def __del__(self) -> None:
        self._dead = True
        self._release()

    def _release(self) -> None:
        with _Owned._lock:
            if not self._dead or self._children or self.ptr is None:
                return
            ptr, self.ptr = self.ptr, None
        self._free(ptr)
        parent = self._parent
        if parent is not None:
            with _Owned._lock:
                parent._children -= 1
            parent._release()


def _compile(add: Callable[[Any], None]) -> _Owned:
    comp = _Owned(_c.msc_compiler_new(), _c.msc_compiler_free)
    try:
        add(comp.ptr)
        return _Owned(_c.msc_compiler_get_rules(comp.ptr), _c.msc_rules_free)
    except ValueError as e:
        errors = [_c.msc_compiler_error(comp.ptr, i) for i in range(_c.msc_compiler_error_count(comp.ptr))]
        raise RulesError(str(e), getattr(e, "code", "MSC_ERULES"), getattr(e, "status", None), errors) from None


# ------------------------------------------------------------------ rule set


class RuleSet:
    """A compiled, immutable rule set: the built-in table, plus any clinic rule files.

    ``RuleSet()`` is the built-in table; :meth:`from_file` and
    :meth:`from_text` compile rule text on top of it. A rule set can be
    shared by any number of threads; each thread screens with its own
    record and result, kept for reuse.
    """

    def __init__(self) -> None:
        """The built-in rule table (the documented rules)."""
        self._init(_Owned(_c.msc_rules_builtin(), _c.msc_rules_free))

    def _init(self, rules: _Owned) -> None:
        self._rules = rules
        self._ptr = rules.ptr
        self._tls = threading.local()
        self._table: Optional[RuleTable] = None
        # the extension's view of the rule set: its facts, and the caches
        # that build results (it keeps `rules` alive)
        self._ctx = _c.msc_py_ctx_new(rules.ptr, rules, _plain, RecordError, Result)
        self._facts: list[tuple[str, str]] = _c.msc_py_ctx_facts(self._ctx)
        self._columns: Optional[dict[str, int]] = None
        self._fast = self._check()

    def _check(self) -> bool:
        """Whether the extension's results are the library's result
        JSON for this rule set (same keys, same order, same values), on a
        record that fills every part of a result. Should they ever differ
        (a library newer than the binding), results come from the JSON,
        which is slower, and a RuntimeWarning says so."""
        probe = {"patient": {"pregnant": True, "medications": ["aspirin 100 mg", "no such medicine"]},
                 "plan": {"area": "scalp", "numbing_cream": True, "ingredients": ["biotin"]}}
        rec, res = self._scratch()
        try:
            _c.msc_py_fill(self._ctx, rec, probe)
        except RecordError:  # a rule set without these facts
            _c.msc_record_clear(rec)
        _c.msc_screen(res, self._ptr, rec)
        fast = _c.msc_py_result(self._ctx, res).to_dict()
        if json.dumps(fast) == json.dumps(json.loads(_c.msc_result_to_json(res))):
            return True
        warnings.warn(
            "mesoscreen: the extension's result differs from the library's result JSON "
            "(a library newer than the binding?); using the JSON, which is slower",
            RuntimeWarning,
            stacklevel=4,
        )
        return False

    @classmethod
    def from_file(cls, *paths: Union[str, "os.PathLike[str]"]) -> "RuleSet":
        """Compiles clinic rule files on top of the built-in table.

        Raises :class:`RulesError` (with every error in ``.errors``) if a
        file is invalid, OSError if one cannot be read.
        """

        def add(comp: Any) -> None:
            for p in paths:
                _c.msc_compiler_add_file(comp, os.fsdecode(p))

        rs = cls.__new__(cls)
        rs._init(_compile(add))
        return rs

    @classmethod
    def from_text(cls, text: str, name: str = "<text>") -> "RuleSet":
        """Compiles rule text (named ``name`` in errors) on top of the built-in table."""
        if not isinstance(text, (str, bytes)):
            raise TypeError(f"text: expected str, not {type(text).__name__}")
        rs = cls.__new__(cls)
        rs._init(_compile(lambda comp: _c.msc_compiler_add_text(comp, name, text)))
        return rs

    @property
    def name(self) -> str:
        """The rule set's name (``"builtin"``, or the names of the texts compiled into it)."""
        return _c.msc_rules_name(self._ptr)

    @property
    def version(self) -> str:
        """The rule set's version."""
        return _c.msc_rules_version(self._ptr)

    def __repr__(self) -> str:
        return f"<RuleSet {self.name} {self.version}>"

    # -- one record

    def _scratch(self) -> tuple[Any, Any]:
        tls = self._tls
        try:
            return tls.scratch
        except AttributeError:
            rec = _Owned(_c.msc_record_new(self._ptr), _c.msc_record_free, self._rules)
            res = _Owned(_c.msc_result_new(), _c.msc_result_free)
            tls.owned = (rec, res)
            tls.scratch = (rec.ptr, res.ptr)
            return tls.scratch

    def _result(self, res: Any) -> Result:
        """The Result of the last screening into ``res``: the extension
        builds it in one call (see :meth:`_check`)."""
        if self._fast:
            return _c.msc_py_result(self._ctx, res)
        return Result._from_json(_c.msc_result_to_json(res))

    def screen(self, record: Mapping[str, Any]) -> Result:
        """Screens one intake record (a dict of contract.md's shape).

        Returns a :class:`Result`. Raises :class:`RecordError` (a
        ValueError whose message names the field) if the record is refused:
        an unknown key, a wrong type, a bad word, a value over a limit.

        The dict is read by the extension with the library's setters (the
        same checks as the JSON edge, value by value); the GIL is released
        while the record is filled and screened.
        """
        try:
            rec, res = self._tls.scratch
        except AttributeError:
            rec, res = self._scratch()
        if self._fast:
            return _screen(self._ctx, rec, res, record)
        _c.msc_py_fill(self._ctx, rec, record)
        _c.msc_screen(res, self._ptr, rec)
        return self._result(res)

    def screen_json(self, text: Union[str, bytes]) -> Result:
        """Screens one intake record given as JSON text (str or UTF-8 bytes).

        Raises :class:`RecordError` as :meth:`screen` does; for malformed
        JSON the message gives the line and column.
        """
        if not isinstance(text, (str, bytes, bytearray, memoryview)):
            raise TypeError(f"text: expected str or bytes, not {type(text).__name__}")
        rec, res = self._scratch()
        try:
            _c.msc_record_from_json(rec, text)
        except ValueError as e:
            raise _record_error(e) from None
        except UnicodeError:
            raise RecordError("record: not valid UTF-8", "MSC_EPARSE") from None
        _c.msc_screen(res, self._ptr, rec)
        return self._result(res)

    def clear_caches(self) -> None:
        """Forgets what screening keeps of the records screened.

        To build results fast, the rule set keeps the texts and result
        tuples it made last (about 1,024 results and a few thousand texts),
        and each thread keeps its last record, results and batch output for
        reuse. Some of these are a patient's: a finding's ``because`` line
        (``"patient.medications = warfarin"``), an unrecognised name. This
        drops the rule set's caches and the calling thread's record,
        results and batches (they are made again on the next screening);
        other threads' are dropped when they end. Results already returned
        are not changed. Call it when a session's patient data must not
        outlive it, for instance before a notebook is shared.
        """
        _c.msc_py_ctx_forget(self._ctx)
        tls = self._tls
        for name in ("scratch", "owned", "pools", "batches"):
            if hasattr(tls, name):
                delattr(tls, name)

    # -- cohorts

    def _batch(self, flags: int) -> Any:
        tls = self._tls
        batches = getattr(tls, "batches", None)
        if batches is None:
            batches = tls.batches = {}
        owned = batches.get(flags)
        if owned is None:
            owned = batches[flags] = _Owned(_c.msc_batch_new(self._ptr, flags), _c.msc_batch_free, self._rules)
        return owned.ptr

    def _pool(self, size: int) -> Any:
        """This thread's record and `size` results for screen_many (the
        capsule frees them; it keeps the rule set alive)."""
        tls = self._tls
        pools = getattr(tls, "pools", None)
        if pools is None:
            pools = tls.pools = {}
        pool = pools.get(size)
        if pool is None:
            pool = pools[size] = _c.msc_py_pool_new(self._ctx, size)
        return pool

    def screen_many(self, records: Iterable[Mapping[str, Any]], *, errors: str = "report",
                    chunk_size: int = 256) -> list[Union[Result, Rejected]]:
        """Screens a cohort of record dicts.

        Returns one item per record, in order: a :class:`Result`, or, for a
        record that was refused, a :class:`Rejected` (``.ok`` false,
        ``.error`` the :class:`RecordError`, ``.index`` its position); the
        other records are screened all the same. With ``errors="raise"`` the
        first refused record raises its RecordError instead (with
        ``.index`` set).

        The records go in chunks of ``chunk_size``: the extension reads a
        chunk's dicts under the GIL, fills and screens them with the GIL
        released, then builds their results; several threads screening
        cohorts at once overlap.
        """
        if errors not in ("report", "raise"):
            raise ValueError('errors: expected "report" or "raise"')
        if isinstance(records, (Mapping, str, bytes)):
            raise TypeError("records: expected an iterable of record dicts, not a single record")
        chunk_size = int(chunk_size)
        if not 1 <= chunk_size <= 65536:
            raise ValueError("chunk_size: 1 to 65536")
        out: list[Union[Result, Rejected]] = []
        append = out.append
        it = iter(records)
        base = 0
        if not self._fast:
            for index, record in enumerate(it):
                try:
                    append(self.screen(record))
                except RecordError as e:
                    e.index = index  # type: ignore[attr-defined]
                    if errors == "raise":
                        raise
                    append(Rejected(index, e))
            return out
        ctx, pool, many = self._ctx, self._pool(chunk_size), _c.msc_py_screen_many
        while True:
            chunk = list(islice(it, chunk_size))
            if not chunk:
                return out
            items, refused = many(ctx, pool, chunk)
            if not refused:
                out += items
            else:
                for i, item in enumerate(items):
                    if type(item) is not tuple:
                        append(item)
                        continue
                    err = RecordError(item[1], item[0])  # (code, message)
                    err.index = base + i  # type: ignore[attr-defined]
                    if errors == "raise":
                        raise err
                    append(Rejected(base + i, err))
            base += len(chunk)

    def screen_frame(self, df: "pandas.DataFrame", *, ignore_unknown: bool = False,
                     workers: Optional[int] = None) -> "pandas.DataFrame":
        """Screens a pandas DataFrame, one record per row (see :func:`mesoscreen.screen_frame`)."""
        from ._frame import screen_frame

        return screen_frame(self, df, ignore_unknown=ignore_unknown, workers=workers)

    # -- the table and the questionnaire

    def rules(self) -> RuleTable:
        """The rule table: rules, instructions and the facts a record can carry."""
        if self._table is None:
            self._table = RuleTable(json.loads(_c.msc_rules_to_json(self._ptr)))
        return self._table

    def questions(self, plan: Optional[Mapping[str, Any]] = None) -> list[Question]:
        """The questionnaire: the questions whose answer can still change the verdict.

        Without ``plan``, every question; with a plan dict (``{"area":
        "scalp", ...}``) only those that matter for that plan. A partial
        record (``{"patient": {...}, "plan": {...}}``) is accepted too: then
        only the questions still open for it are given.
        """
        rec, _ = self._scratch()
        if plan is None:
            _c.msc_record_clear(rec)
        else:
            if not isinstance(plan, Mapping):
                raise RecordError(f"plan: expected a dict, not {type(plan).__name__}", "MSC_EFIELD")
            record = plan if plan and set(plan) <= {"patient", "plan"} else {"plan": plan}
            _c.msc_py_fill(self._ctx, rec, record)
        items = json.loads(_c.msc_questions_to_json(self._ptr, rec))
        return [
            Question(q["fact"], q["question"], q["type"], list(q.get("rules", [])),
                     list(q["values"]) if "values" in q else None)
            for q in items
        ]

    def _column_index(self) -> dict[str, int]:
        """Accepted DataFrame column names (bare names and paths) -> the
        fact's index in the extension."""
        if self._columns is None:
            cols: dict[str, int] = {}
            for i, (path, name) in enumerate(self._facts):
                cols[path] = i
                cols[name] = i
            self._columns = cols
        return self._columns
