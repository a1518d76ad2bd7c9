"""Result objects: what screening says, as plain Python objects.

A :class:`Result` holds the library's result in the compact form the
extension builds in one call (or a dict of contract.md, or its JSON text).
Its typed views (findings, missing, instructions) and its dict (the same
keys and order as the library's result JSON) are made on first use, so
screening many records costs little until the results are read.
"""

from __future__ import annotations

import copy
import html
import json
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional, Sequence

# The extension leaves the Results it makes out of the garbage collector
# (they hold only immutable tuples): a Result is put back before it keeps
# anything mutable, which a caller could make refer back to it.
from ._mesoscreen import msc_py_track as _track

__all__ = [
    "VERDICTS",
    "Finding",
    "Missing",
    "Instruction",
    "Instructions",
    "Ruleset",
    "RuleFile",
    "Override",
    "Result",
    "Rejected",
    "Rule",
    "InstructionRule",
    "Fact",
    "RuleTable",
    "Question",
]

#: The verdicts, mildest first (the library's scale: the worst is the maximum).
VERDICTS: tuple[str, ...] = ("clear", "caution", "incomplete", "defer", "contraindicated")

_COLOURS = {
    "clear": ("#1b5e20", "#e8f5e9"),
    "caution": ("#8d6e00", "#fff8e1"),
    "incomplete": ("#37474f", "#eceff1"),
    "defer": ("#e65100", "#fff3e0"),
    "contraindicated": ("#b71c1c", "#ffebee"),
}


@dataclass(slots=True)
class Finding:
    """A rule that fired."""

    rule: str
    """Rule id, e.g. ``"CI.PREGNANCY"``."""
    severity: str
    """``"contraindicated"``, ``"defer"`` or ``"caution"``."""
    message: str
    """What the clinic is told, citing the sources."""
    because: list[str] = field(default_factory=list)
    """The facts that triggered it, e.g. ``"plan.area = scalp"``."""
    sources: list[str] = field(default_factory=list)
    """Titles of the cited source documents."""


@dataclass(slots=True)
class Missing:
    """A question still unanswered that could change the verdict."""

    rule: str
    """The rule that needs the answer."""
    fact: str
    """The record field that answers it, e.g. ``"patient.stroke_history"``."""
    question: str
    """The question to ask the patient."""


@dataclass(slots=True)
class Instruction:
    """A pre-care or aftercare instruction that applies."""

    id: str
    text: str


@dataclass(slots=True)
class Instructions:
    """The instructions that apply, before and after the session, in table order."""

    before: list[Instruction] = field(default_factory=list)
    after: list[Instruction] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class RuleFile:
    """A clinic rule file compiled on top of the built-in table (provenance)."""

    name: str
    """The file's path or the name given to the text."""
    ruleset: Optional[str]
    """Its ``ruleset`` statement."""
    version: Optional[str]
    """Its ``version`` statement."""
    sha256: str
    """SHA-256 of its text."""


@dataclass(slots=True, frozen=True)
class Ruleset:
    """Which rule set produced a result: the built-in table's name and
    version, and the clinic rule files on top of it."""

    name: str
    version: str
    files: tuple[RuleFile, ...] = ()

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> "Ruleset":
        files = tuple(RuleFile(f["name"], f.get("ruleset"), f.get("version"), f["sha256"]) for f in d.get("files", ()))
        return cls(d["name"], d["version"], files)


@dataclass(slots=True)
class Override:
    """A clinic rule file's change to a documented rule that affects this result."""

    rule: str
    action: str
    """``"overridden"`` or ``"disabled"``."""
    reason: str
    """The reason the rule file states."""
    changed_by: str
    """The rule file."""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _badge(verdict: Optional[str]) -> str:
    fg, bg = _COLOURS.get(verdict or "", ("#37474f", "#eceff1"))
    return (
        f'<span style="display:inline-block;padding:2px 10px;border-radius:4px;'
        f'font-weight:bold;color:{fg};background:{bg};border:1px solid {fg}">'
        f"{_e((verdict or 'rejected').upper())}</span>"
    )


_TABLE = 'style="border-collapse:collapse;text-align:left;margin:4px 0"'
_CELL = 'style="border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left"'


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th {_CELL}>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td {_CELL}>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table {_TABLE}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _lines(items: Sequence[str]) -> str:
    return "<br>".join(_e(i) for i in items)


def _dict_from_raw(raw: tuple) -> dict[str, Any]:
    """contract.md's dict of a result in the extension's compact form (see
    pyfast.c, build_result): the keys in the order of the library's JSON."""
    verdict, ruleset, findings, missing, before, after, overrides, unrecognized = raw
    d: dict[str, Any] = {
        "verdict": verdict,
        "ruleset": ruleset,  # one per rule set, shared: to_dict() copies
        "findings": [
            {"rule": r, "severity": s, "message": m, "because": list(b), "sources": list(src)}
            for r, s, m, b, src in findings
        ],
        "missing": [{"rule": r, "fact": f, "question": q} for r, f, q in missing],
        "instructions": {
            "before": [{"id": i, "text": t} for i, t in before],
            "after": [{"id": i, "text": t} for i, t in after],
        },
    }
    if overrides is not None:
        d["overrides"] = [{"rule": r, "action": a, "reason": why, "changed_by": by} for r, a, why, by in overrides]
    meds, allergies, ingredients = unrecognized
    d["unrecognized"] = {"medications": list(meds), "allergies": list(allergies), "ingredients": list(ingredients)}
    return d


class Result:
    """The outcome of screening one record (contract.md's result).

    Attributes are read-only views of the result:

    - ``verdict``: ``"contraindicated"``, ``"defer"``, ``"incomplete"``,
      ``"caution"`` or ``"clear"``;
    - ``findings``: the rules that fired (:class:`Finding`);
    - ``missing``: questions still open that could change the verdict
      (:class:`Missing`);
    - ``instructions``: pre-care and aftercare (:class:`Instructions`);
    - ``unrecognized``: names the lexicons did not know, per list
      (``medications``, ``allergies``, ``ingredients``);
    - ``ruleset``: the rule set's name and version (:class:`Ruleset`).

    ``to_dict()`` and ``to_json()`` give the result in contract.md's shape.
    In Jupyter the result renders as a table (``_repr_html_``).

    A result of the library is held in the compact form the extension
    builds in one call (tuples of str, shared where they come from the rule
    table); the typed views and the dict are made from it on first use.
    """

    __slots__ = ("_data", "_json", "_raw", "_views")

    #: Always true for a result; a :class:`Rejected` record has ``ok`` false.
    ok = True

    def __init__(self, data: Optional[Mapping[str, Any]] = None, *, json_text: Optional[str] = None) -> None:
        """Makes a result from its dict (contract.md's shape) or its JSON text."""
        if data is None and json_text is None:
            raise TypeError("Result() needs the result dict or its JSON text")
        _track(self)  # a no-op unless __init__ is called again on one the extension made
        self._data: Optional[dict[str, Any]] = dict(data) if data is not None else None
        self._json: Optional[str] = json_text
        self._raw: Optional[tuple] = None
        self._views: Optional[dict[str, Any]] = None

    @classmethod
    def _from_raw(cls, raw: tuple) -> "Result":
        r = cls.__new__(cls)
        r._raw = raw
        r._data = None
        r._json = None
        r._views = None
        return r

    @classmethod
    def _from_dict(cls, data: dict[str, Any]) -> "Result":
        r = cls.__new__(cls)
        r._raw = None
        r._data = data
        r._json = None
        r._views = None
        return r

    @classmethod
    def _from_json(cls, text: str) -> "Result":
        r = cls.__new__(cls)
        r._raw = None
        r._data = None
        r._json = text
        r._views = None
        return r

    @property
    def _d(self) -> dict[str, Any]:
        d = self._data
        if d is None:
            if self._raw is not None:
                _track(self)
                d = self._data = _dict_from_raw(self._raw)
            else:
                d = self._data = json.loads(self._json)  # type: ignore[arg-type]
        return d

    def _view(self, name: str, make: Any) -> Any:
        views = self._views
        if views is None:
            _track(self)
            views = self._views = {}
        v = views.get(name)
        if v is None:
            v = views[name] = make()
        return v

    @property
    def verdict(self) -> str:
        """The verdict: the worst finding, or ``"incomplete"`` while a blocking question is open."""
        raw = self._raw
        return raw[0] if raw is not None else self._d["verdict"]

    @property
    def ruleset(self) -> Ruleset:
        """The rule set that produced the result."""
        raw = self._raw
        return self._view("ruleset", lambda: Ruleset._from(raw[1] if raw is not None else self._d["ruleset"]))

    @property
    def findings(self) -> list[Finding]:
        """The rules that fired, in table order."""
        raw = self._raw

        def make() -> list[Finding]:
            if raw is not None:
                return [Finding(r, s, m, list(b), list(src)) for r, s, m, b, src in raw[2]]
            return [Finding(f["rule"], f["severity"], f["message"], list(f["because"]), list(f["sources"]))
                    for f in self._d["findings"]]

        return self._view("findings", make)

    @property
    def missing(self) -> list[Missing]:
        """The questions still unanswered that could change the verdict."""
        raw = self._raw

        def make() -> list[Missing]:
            if raw is not None:
                return [Missing(r, f, q) for r, f, q in raw[3]]
            return [Missing(m["rule"], m["fact"], m["question"]) for m in self._d["missing"]]

        return self._view("missing", make)

    @property
    def instructions(self) -> Instructions:
        """Pre-care (``before``) and aftercare (``after``) instructions that apply."""
        raw = self._raw

        def make() -> Instructions:
            if raw is not None:
                return Instructions([Instruction(i, t) for i, t in raw[4]], [Instruction(i, t) for i, t in raw[5]])
            ins = self._d["instructions"]
            return Instructions(
                [Instruction(i["id"], i["text"]) for i in ins["before"]],
                [Instruction(i["id"], i["text"]) for i in ins["after"]],
            )

        return self._view("instructions", make)

    @property
    def overrides(self) -> list[Override]:
        """A clinic rule file's changes to documented rules that affect this result, with their reasons."""
        raw = self._raw
        if raw is not None:
            return [Override(r, a, why, by) for r, a, why, by in raw[6] or ()]
        return [Override(o["rule"], o["action"], o["reason"], o["changed_by"]) for o in self._d.get("overrides", ())]

    @property
    def unrecognized(self) -> dict[str, list[str]]:
        """Names not in the lexicons: ``{"medications": [...], "allergies": [...], "ingredients": [...]}``."""
        raw = self._raw
        if raw is not None:
            meds, allergies, ingredients = raw[7]
            return {"medications": list(meds), "allergies": list(allergies), "ingredients": list(ingredients)}
        return {k: list(v) for k, v in self._d["unrecognized"].items()}

    @property
    def fired(self) -> tuple[str, ...]:
        """The ids of the rules that fired, in table order."""
        raw = self._raw
        if raw is not None:
            return tuple(f[0] for f in raw[2])
        return tuple(f["rule"] for f in self._d["findings"])

    def to_dict(self) -> dict[str, Any]:
        """The result as a new dict in contract.md's shape."""
        return copy.deepcopy(self._d)

    def to_json(self, indent: Optional[int] = None) -> str:
        """The result as JSON in contract.md's shape (one line unless ``indent`` is given)."""
        if indent is None and self._json is not None:
            return self._json
        if indent is None:
            return json.dumps(self._d, ensure_ascii=False, separators=(",", ":"))
        return json.dumps(self._d, ensure_ascii=False, indent=indent)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return self._d == other._d

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        d = self._d
        findings = [f"{f['rule']} ({f['severity']})" for f in d["findings"]]
        missing = [m["fact"] for m in d["missing"]]
        return (
            f"<Result verdict={d['verdict']!r} findings={findings!r} missing={missing!r} "
            f"ruleset='{d['ruleset']['name']} {d['ruleset']['version']}'>"
        )

    def __str__(self) -> str:
        d = self._d
        out = [f"Verdict: {d['verdict'].upper()}"]
        for f in d["findings"]:
            out.append(f"  [{f['severity']}] {f['rule']}: {f['message']}")
            for b in f["because"]:
                out.append(f"      because {b}")
        if d["missing"]:
            out.append("  Still to ask:")
            for m in d["missing"]:
                out.append(f"    {m['fact']} ({m['rule']}): {m['question']}")
        for k, names in d["unrecognized"].items():
            if names:
                out.append(f"  Unrecognised {k}: {', '.join(names)}")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        """The verdict and the findings as an HTML table (Jupyter)."""
        d = self._d
        parts = [
            f"<div><div style=\"margin:4px 0\">Verdict: {_badge(d['verdict'])} "
            f"<span style=\"color:#777;font-size:smaller\">rule set {_e(d['ruleset']['name'])} "
            f"{_e(d['ruleset']['version'])}</span></div>"
        ]
        if d["findings"]:
            rows = [
                [
                    f"<code>{_e(f['rule'])}</code>",
                    _badge(f["severity"]),
                    _e(f["message"]),
                    _lines(f["because"]),
                    _lines(f["sources"]),
                ]
                for f in d["findings"]
            ]
            parts.append(_table(["Rule", "Severity", "Message", "Because", "Sources"], rows))
        else:
            parts.append("<div>No rule fired.</div>")
        if d["missing"]:
            rows = [[f"<code>{_e(m['fact'])}</code>", _e(m["question"]), f"<code>{_e(m['rule'])}</code>"] for m in d["missing"]]
            parts.append("<div style=\"margin-top:6px\"><b>Still to ask</b></div>")
            parts.append(_table(["Field", "Question", "Needed by"], rows))
        if d.get("overrides"):
            rows = [
                [f"<code>{_e(o['rule'])}</code>", _e(o["action"]), _e(o["reason"]), _e(o["changed_by"])]
                for o in d["overrides"]
            ]
            parts.append("<div style=\"margin-top:6px\"><b>Clinic changes to documented rules</b></div>")
            parts.append(_table(["Rule", "Change", "Reason", "Rule file"], rows))
        unknown = {k: v for k, v in d["unrecognized"].items() if v}
        if unknown:
            parts.append(
                "<div style=\"margin-top:6px\"><b>Not recognised</b>: "
                + "; ".join(f"{_e(k)}: {_e(', '.join(v))}" for k, v in unknown.items())
                + "</div>"
            )
        for phase, title in (("before", "Before the session"), ("after", "After the session")):
            items = d["instructions"][phase]
            if items:
                lis = "".join(f"<li><code>{_e(i['id'])}</code> {_e(i['text'])}</li>" for i in items)
                parts.append(f"<details><summary>{title} ({len(items)})</summary><ul>{lis}</ul></details>")
        parts.append("</div>")
        return "".join(parts)


@dataclass(slots=True)
class Rejected:
    """A record of a cohort that was rejected; the others were screened.

    ``verdict`` is None and ``ok`` false, so a list of results can be
    filtered with ``[r for r in results if r.ok]``.
    """

    index: int
    """The record's position in the cohort."""
    error: Exception
    """The :class:`mesoscreen.RecordError` (its message names the field)."""
    verdict: None = None
    ok: bool = False

    @property
    def message(self) -> str:
        """The error message, starting with the field."""
        return str(self.error)

    @property
    def field(self) -> Optional[str]:
        """The field that was refused, or None if the message names none."""
        return getattr(self.error, "field", None)

    def _repr_html_(self) -> str:
        return f"<div>Record {self.index}: {_badge(None)} {_e(self.error)}</div>"


# ----------------------------------------------------------------- rule table


@dataclass(slots=True)
class Rule:
    """A contraindication or precaution of the rule table."""

    id: str
    severity: str
    when: str
    """The condition as written in the table."""
    message: str
    sources: list[str]
    origin: str
    """The rule text that defined it (``"builtin"`` or a clinic file)."""
    changed_by: Optional[str] = None
    """The clinic rule file that overrode or disabled it, if any."""
    disabled: bool = False
    reason: Optional[str] = None
    """Why a clinic rule file changed it."""


@dataclass(slots=True)
class InstructionRule:
    """A pre-care (``phase="before"``) or aftercare (``"after"``) instruction of the table."""

    id: str
    phase: str
    when: str
    text: str
    sources: list[str]
    origin: str
    changed_by: Optional[str] = None
    disabled: bool = False
    reason: Optional[str] = None


@dataclass(slots=True)
class Fact:
    """A field an intake record can carry."""

    fact: str
    """Its path, e.g. ``"patient.pregnant"``; the bare name (``"pregnant"``) is its column name."""
    type: str
    """``"yesno"``, ``"number"``, ``"enum"``, ``"medications"``, ``"allergies"``, ``"ingredients"`` or ``"codes"``."""
    question: str
    values: Optional[list[str]] = None
    """The accepted words, for an enum."""
    accepts_never: bool = False
    """A number that also takes the word ``"never"`` (months since a hair transplant)."""

    @property
    def name(self) -> str:
        """The bare name (the DataFrame column name)."""
        return self.fact.split(".", 1)[-1]


@dataclass(slots=True)
class Question:
    """A question of the questionnaire: its answer can still change the verdict."""

    fact: str
    question: str
    type: str
    rules: list[str]
    """The rules that need the answer."""
    values: Optional[list[str]] = None


class RuleTable:
    """The rule table of a rule set: ``rules``, ``instructions`` and ``facts``.

    Iterating gives the rules; ``table["CI.PREGNANCY"]`` finds a rule or an
    instruction by id. Renders as a table in Jupyter.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)
        rs = data["ruleset"]
        self.ruleset = Ruleset._from(rs)
        self.rules: list[Rule] = [
            Rule(r["id"], r["severity"], r.get("when", "always"), r["message"], list(r["sources"]), r.get("origin", ""),
                 r.get("changed_by"), bool(r.get("disabled", False)), r.get("reason"))
            for r in data["rules"]
        ]
        self.instructions: list[InstructionRule] = [
            InstructionRule(i["id"], i["phase"], i.get("when", "always"), i["text"], list(i["sources"]), i.get("origin", ""),
                            i.get("changed_by"), bool(i.get("disabled", False)), i.get("reason"))
            for i in data["instructions"]
        ]
        self.facts: list[Fact] = [
            Fact(f["fact"], f["type"], f.get("question", ""), list(f["values"]) if "values" in f else None,
                 bool(f.get("accepts_never", False)))
            for f in data["facts"]
        ]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def __getitem__(self, rule_id: str) -> "Rule | InstructionRule":
        for r in self.rules:
            if r.id == rule_id:
                return r
        for i in self.instructions:
            if i.id == rule_id:
                return i
        raise KeyError(rule_id)

    def __contains__(self, rule_id: object) -> bool:
        return any(r.id == rule_id for r in self.rules) or any(i.id == rule_id for i in self.instructions)

    def to_dict(self) -> dict[str, Any]:
        """The table as a new dict (``{"ruleset", "rules", "instructions", "facts"}``)."""
        return copy.deepcopy(self._data)

    def __repr__(self) -> str:
        return (
            f"<RuleTable {self.ruleset.name} {self.ruleset.version}: {len(self.rules)} rules, "
            f"{len(self.instructions)} instructions, {len(self.facts)} facts>"
        )

    def _repr_html_(self) -> str:
        rows = [
            [f"<code>{_e(r.id)}</code>", _badge(r.severity), f"<code>{_e(r.when)}</code>", _e(r.message), _lines(r.sources)]
            for r in self.rules
        ]
        ins = [
            [f"<code>{_e(i.id)}</code>", _e(i.phase), f"<code>{_e(i.when)}</code>", _e(i.text), _lines(i.sources)]
            for i in self.instructions
        ]
        return (
            f"<div><b>Rule set {_e(self.ruleset.name)} {_e(self.ruleset.version)}</b>"
            + _table(["Rule", "Severity", "When", "Message", "Sources"], rows)
            + _table(["Instruction", "Phase", "When", "Text", "Sources"], ins)
            + "</div>"
        )
