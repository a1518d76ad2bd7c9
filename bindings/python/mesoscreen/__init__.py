"""mesoscreen: screening a patient and a planned mesotherapy treatment
against a rule table that cites its sources (Python binding of libmesoscreen).

>>> import mesoscreen
>>> r = mesoscreen.screen({"patient": {"pregnant": True}, "plan": {"area": "face"}})
>>> r.verdict
'defer'
>>> [f.rule for f in r.findings]
['CI.PREGNANCY']

Records are dicts of contract.md's shape (``{"patient": {...}, "plan":
{...}}``); absent or None means unknown. A refused record raises
:class:`RecordError` (a ValueError) whose message names the field.

Records reach the library through its own setters, value by value (no
JSON in between), with exactly the checks of its JSON edge. Cohorts:
:func:`screen_many` (a list of dicts) and :func:`screen_frame` (a pandas
DataFrame with one column per field) screen in C, with the GIL released. :func:`load_rules` compiles a clinic's rule file on top of the
built-in table; the module-level functions use the built-in table.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Union

from . import _mesoscreen
from ._core import MAX_LIST, MAX_RECORD_JSON, MAX_TEXT, Error, RecordError, RuleSet, RulesError
from ._result import (
    VERDICTS,
    Fact,
    Finding,
    Instruction,
    InstructionRule,
    Instructions,
    Missing,
    Override,
    Question,
    Rejected,
    Result,
    Rule,
    RuleFile,
    Ruleset,
    RuleTable,
)

if TYPE_CHECKING:
    import pandas

__all__ = [
    "screen",
    "screen_json",
    "screen_many",
    "screen_frame",
    "rules",
    "questions",
    "load_rules",
    "clear_caches",
    "builtin",
    "RuleSet",
    "Result",
    "Rejected",
    "Finding",
    "Missing",
    "Instruction",
    "Instructions",
    "Ruleset",
    "RuleFile",
    "Override",
    "RuleTable",
    "Rule",
    "InstructionRule",
    "Fact",
    "Question",
    "Error",
    "RecordError",
    "RulesError",
    "VERDICTS",
    "MAX_TEXT",
    "MAX_LIST",
    "MAX_RECORD_JSON",
    "__version__",
]

#: The version of the libmesoscreen actually loaded.
__version__: str = _mesoscreen.msc_version()

_builtin: Optional[RuleSet] = None
_builtin_lock = threading.Lock()


def builtin() -> RuleSet:
    """The built-in rule set, compiled once on first use and shared."""
    global _builtin
    rs = _builtin
    if rs is None:
        with _builtin_lock:
            if _builtin is None:
                _builtin = RuleSet()
            rs = _builtin
    return rs


def screen(record: Mapping[str, Any]) -> Result:
    """Screens one intake record against the built-in rule table.

    ``record`` is a dict of contract.md's shape::

        {"patient": {"pregnant": False, "medications": ["aspirin"], ...},
         "plan": {"area": "scalp", "ingredients": ["biotin"], ...}}

    Returns a :class:`Result` (``.verdict``, ``.findings``, ``.missing``,
    ``.instructions``, ``.unrecognized``, ``.ruleset``). Raises
    :class:`RecordError` (a ValueError) naming the field if the record is
    refused.
    """
    return (_builtin or builtin()).screen(record)


def screen_json(text: Union[str, bytes]) -> Result:
    """Screens one intake record given as JSON text, against the built-in table."""
    return (_builtin or builtin()).screen_json(text)


def screen_many(records: Iterable[Mapping[str, Any]], *, errors: str = "report") -> list[Union[Result, Rejected]]:
    """Screens a cohort of record dicts against the built-in table, in C.

    Returns one item per record, in order: a :class:`Result`, or a
    :class:`Rejected` (``.ok`` false, ``.error`` naming the field) for a
    record that was refused; the others are screened all the same. With
    ``errors="raise"`` the first refused record raises its RecordError.
    The records are filled and screened with the GIL released, in chunks.
    """
    return builtin().screen_many(records, errors=errors)


def screen_frame(df: "pandas.DataFrame", *, ignore_unknown: bool = False,
                 workers: Optional[int] = None) -> "pandas.DataFrame":
    """Screens a pandas DataFrame, one record per row, against the built-in table.

    Columns are named after the record's fields: bare names (``pregnant``,
    ``medications``, ``area``, ``ingredients``...) or paths
    (``patient.pregnant``). A None, NaN or pandas NA is unknown, as a JSON
    null is (batch.h's MSC_BATCH_FLAT: even a plan switch such as
    ``numbing_cream``, which takes its default ``no`` only when its column
    is missing altogether); list fields hold lists (or tuples, numpy
    arrays). Bool and numeric columns are read as they are, others value by
    value, with the same checks as a record dict. Another column raises
    :class:`RecordError` unless ``ignore_unknown`` is true.

    Returns a DataFrame on the same index with the columns ``verdict`` (an
    ordered categorical, mildest first; missing for a refused row),
    ``rules`` (a tuple of the ids of the rules that fired) and ``error``
    (None, or the message naming the field for a refused row: the other
    rows are screened all the same). Each column is converted once, and the
    rows are filled and screened in C with the GIL released (the library's
    msc_batch_screen_fill), in chunks over ``workers`` threads (default:
    the CPU count for large frames).
    """
    return builtin().screen_frame(df, ignore_unknown=ignore_unknown, workers=workers)


def rules() -> RuleTable:
    """The built-in rule table: ``.rules``, ``.instructions``, ``.facts``."""
    return builtin().rules()


def questions(plan: Optional[Mapping[str, Any]] = None) -> list[Question]:
    """The questionnaire of the built-in table: every question, or, for a plan
    dict (``{"area": "scalp"}``), only those that can change its verdict."""
    return builtin().questions(plan)


def clear_caches() -> None:
    """Forgets what screening with the built-in table keeps of the records
    screened (see :meth:`RuleSet.clear_caches`); a rule set of
    :func:`load_rules` has its own."""
    if _builtin is not None:
        _builtin.clear_caches()


def load_rules(*paths: Union[str, "os.PathLike[str]"]) -> RuleSet:
    """Compiles clinic rule files on top of the built-in table.

    Returns a :class:`RuleSet` whose ``screen``, ``screen_many``,
    ``screen_frame``, ``rules`` and ``questions`` use it. Raises
    :class:`RulesError` (every error in ``.errors``, as
    ``"file:line:column: message"``) or OSError.
    """
    return RuleSet.from_file(*paths)
