"""Rule sets, screening and errors, over the SWIG extension ``_mesoscreen``.

One code path: a record dict becomes JSON (``json``'s C encoder) and the
library's JSON edge reads it, so every check of contract.md is the C
library's. Cohorts go through the library's batch API with the GIL
released.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import warnings
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

_BATCH_FLAT: int = _c.MSC_BATCH_FLAT
_BATCH_KEEP_JSON: int = _c.MSC_BATCH_KEEP_JSON

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


# ------------------------------------------------------------- record -> JSON

_encode: Callable[[Any], str] = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode


def _path(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def _clean(value: Any, path: str) -> Any:
    """A JSON-ready copy of a record value: NaN, None, pandas.NA -> None;
    numpy scalars -> Python scalars; tuples -> lists; mappings -> dicts.
    Anything else is a RecordError naming the field."""
    where = path or "record"
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            raise RecordError(f"{where}: expected a finite number, not {value}", "MSC_EFIELD")
        return float(value)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise RecordError(f"{where}: key {k!r} is not a string", "MSC_EFIELD")
            out[k] = _clean(v, _path(path, k))
        return out
    if isinstance(value, (list, tuple)):
        return [_clean(v, f"{where}[{i}]") for i, v in enumerate(value)]
    kind = type(value)
    if kind.__name__ in ("NAType", "NaTType") or value is getattr(kind, "NA", object()):
        return None
    if kind.__module__ == "numpy" and hasattr(value, "tolist"):
        return _clean(value.tolist(), path)  # numpy scalars and arrays
    raise RecordError(
        f"{where}: expected a JSON value (str, number, bool, None, list or dict), not {kind.__name__}",
        "MSC_EFIELD",
    )


def _oversized(value: Any, path: str) -> Optional[RecordError]:
    """For a record the library refused as a whole: the first string that is
    over MAX_TEXT bytes, not valid UTF-8 or holding a NUL, a list over
    MAX_LIST, or an integer JSON cannot hold."""
    where = path or "record"
    if isinstance(value, str):
        try:
            n = len(value.encode("utf-8"))
        except UnicodeEncodeError:
            return RecordError(f"{where}: not valid UTF-8 (a lone surrogate)", "MSC_EFIELD")
        if "\x00" in value:
            return RecordError(f"{where}: holds a NUL character", "MSC_EFIELD")
        if n > MAX_TEXT:
            return RecordError(f"{where}: {n} bytes, more than the limit of {MAX_TEXT}", "MSC_ELIMIT")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if not -(2**63) <= value < 2**63:
            return RecordError(f"{where}: {value} is out of range", "MSC_EFIELD")
        return None
    if isinstance(value, Mapping):
        for k, v in value.items():
            e = _oversized(v, _path(path, str(k)))
            if e:
                return e
    elif isinstance(value, (list, tuple)):
        if path and len(value) > MAX_LIST:
            return RecordError(f"{where}: {len(value)} entries, more than the limit of {MAX_LIST}", "MSC_ELIMIT")
        for i, v in enumerate(value):
            e = _oversized(v, f"{where}[{i}]")
            if e:
                return e
    return None


def _record_json(record: Any) -> str:
    """The JSON text of a record dict, or a RecordError naming the field."""
    if type(record) is not dict:
        if not isinstance(record, Mapping):
            raise RecordError(
                f'record: expected a dict with "patient" and "plan", not {type(record).__name__}', "MSC_EFIELD"
            )
        record = dict(record)
    try:
        return _encode(record)
    except (TypeError, ValueError, OverflowError):
        return _encode(_clean(record, ""))
    except RecursionError:
        raise RecordError("record: nested too deeply", "MSC_EFIELD") from None


def _refine(error: BaseException, record: Any) -> BaseException:
    """A whole-record error (too large, unreadable JSON) pinned to the field that caused it."""
    if isinstance(error, RecordError) and (error.field in (None, "record")):
        better = _oversized(record, "")
        if better is not None:
            return better
    return error


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
        self._columns: Optional[dict[str, str]] = None
        self._fast = True  # results as dicts built in C (see _result)
        self._verified = False

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
        """The Result of the last screening into ``res``.

        The extension builds the result dict straight from the library's
        accessors (several times faster than its JSON text); the first
        result of each rule set is checked against the library's own JSON,
        and should they ever differ (a library newer than the binding), the
        JSON is used from then on.
        """
        if self._fast:
            d = _c.msc_py_result_dict(res, self._ptr)
            if self._verified:
                return Result._from_dict(d)
            self._verified = True
            if d == json.loads(_c.msc_result_to_json(res)):
                return Result._from_dict(d)
            self._fast = False
            warnings.warn(
                "mesoscreen: the extension's result differs from the library's result JSON "
                "(a library newer than the binding?); using the JSON, which is slower",
                RuntimeWarning,
                stacklevel=3,
            )
        return Result._from_json(_c.msc_result_to_json(res))

    def screen(self, record: Mapping[str, Any]) -> Result:
        """Screens one intake record (a dict of contract.md's shape).

        Returns a :class:`Result`. Raises :class:`RecordError` (a
        ValueError whose message names the field) if the record is refused:
        an unknown key, a wrong type, a bad word, a value over a limit.
        """
        text = _record_json(record)
        rec, res = self._scratch()
        try:
            if len(text) > MAX_RECORD_JSON:
                # refused by the library as a whole: find the field first
                err = _oversized(record, "")
                if err is not None:
                    raise err
            _c.msc_record_from_json(rec, text)
        except ValueError as e:
            raise _refine(_record_error(e), record) from None
        except UnicodeError:
            raise _oversized(record, "") or RecordError("record: not valid UTF-8", "MSC_EFIELD") from None
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

    def screen_many(self, records: Iterable[Mapping[str, Any]], *, errors: str = "report",
                    chunk_size: int = 4096) -> list[Union[Result, Rejected]]:
        """Screens a cohort of record dicts through the library's batch API
        (the GIL is released while the library screens).

        Returns one item per record, in order: a :class:`Result`, or, for a
        record that was refused, a :class:`Rejected` (``.ok`` false,
        ``.error`` the :class:`RecordError`, ``.index`` its position); the
        other records are screened all the same. With ``errors="raise"`` the
        first refused record raises its RecordError instead (with
        ``.index`` set).
        """
        if errors not in ("report", "raise"):
            raise ValueError('errors: expected "report" or "raise"')
        if isinstance(records, (Mapping, str, bytes)):
            raise TypeError("records: expected an iterable of record dicts, not a single record")
        out: list[Union[Result, Rejected]] = []
        lines: list[str] = []
        local: dict[int, BaseException] = {}

        def flush() -> None:
            base = len(out)
            batch = self._batch(_BATCH_KEEP_JSON)
            _c.msc_batch_screen_lines(batch, "\n".join(lines))
            for i, item in enumerate(_c.msc_py_batch_results(batch)):
                if isinstance(item, str):
                    out.append(Result._from_json(item))
                    continue
                err = local.pop(base + i, None)
                if err is None:
                    err = RecordError(item[1], item[0])
                    raw = records_seen[i]
                    err = _refine(err, raw)
                err.index = base + i  # type: ignore[attr-defined]
                if errors == "raise":
                    raise err
                out.append(Rejected(base + i, err))
            lines.clear()
            records_seen.clear()

        records_seen: list[Any] = []
        for index, record in enumerate(records):
            try:
                lines.append(_record_json(record))
            except RecordError as e:
                local[index] = e
                lines.append("null")  # a line the library refuses, keeping the numbering
            records_seen.append(record)
            if len(lines) >= chunk_size:
                flush()
        if lines:
            flush()
        return out

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
            try:
                _c.msc_record_from_json(rec, _record_json(record))
            except ValueError as e:
                raise _refine(_record_error(e), record) from None
        items = json.loads(_c.msc_questions_to_json(self._ptr, rec))
        return [
            Question(q["fact"], q["question"], q["type"], list(q.get("rules", [])),
                     list(q["values"]) if "values" in q else None)
            for q in items
        ]

    def _column_names(self) -> dict[str, str]:
        """Accepted DataFrame column names -> the bare field name."""
        if self._columns is None:
            cols: dict[str, str] = {}
            for f in self.rules().facts:
                cols[f.fact] = f.name
                cols[f.name] = f.name
            self._columns = cols
        return self._columns
