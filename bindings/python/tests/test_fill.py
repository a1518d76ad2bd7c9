"""The extension's fast paths (pyfast.c): a record dict or a DataFrame's
columns filled with the library's setters, never through JSON, must accept
and refuse exactly what the library's JSON edge does, with the same
messages; hostile input gives a clean RecordError or TypeError; cohorts are
screened with the GIL released."""

from __future__ import annotations

import collections
import json
import math
import random
import threading
import time

import pytest

import mesoscreen
from conftest import ROOT, load_vector, vector_files
from mesoscreen import _mesoscreen as c

FILES = vector_files()
RULES: dict = {}


def ruleset(rules):
    if rules not in RULES:
        RULES[rules] = mesoscreen.builtin() if rules is None else mesoscreen.load_rules(ROOT / rules)
    return RULES[rules]


def outcome(fn, *args):
    """What screening gives: the result's dict, or the error's code and message."""
    try:
        return ("ok", fn(*args).to_dict())
    except mesoscreen.RecordError as e:
        return ("error", e.code, str(e))


def library_json(rs):
    """The library's own result JSON of the last screening on this thread."""
    return json.loads(c.msc_result_to_json(rs._scratch()[1]))


# ------------------------------------------------------------- dict == JSON


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_dict_path_equals_json_path_on_every_vector(path):
    v = load_vector(path)
    if isinstance(v["record"], str):
        pytest.skip("raw text")
    rs = ruleset(v.get("rules"))
    by_dict = outcome(rs.screen, v["record"])
    by_json = outcome(rs.screen_json, json.dumps(v["record"]))
    if not isinstance(v["record"], dict):  # "record: expected a dict ..., not list": Python's words
        assert by_dict[:2] == by_json[:2] and by_dict[2].split(":")[0] == by_json[2].split(":")[0] == "record"
        return
    assert by_dict == by_json
    if by_dict[0] == "ok":
        # the extension's result is the library's result JSON, key order included
        rs.screen(v["record"])
        lib = library_json(rs)
        assert json.dumps(by_dict[1]) == json.dumps(lib)
        assert json.loads(rs.screen(v["record"]).to_json()) == lib


FACTS = [(f.fact, f.type, f.values) for f in mesoscreen.rules().facts]
POOL = [
    None, True, False, 0, 1, -1, 2.5, -3.7, 1e300, 10**40, 10**400, "yes", "no", "unknown", "maybe", "never",
    "", "face", "scalp", "Face", "x" * 256, "x" * 257, "y" * 70000, "a\x00b", "é", [], ["aspirin"],
    ["aspirin", 3], ["a\x00"], ["x" * 300], ["Z39.1"], ["bogus code"], ["aspirin"] * 64, ["aspirin"] * 65,
    ["aspirin"] * 64 + [3], [None], [["nested"]], {}, {"a": 1}, ("aspirin", "Eliquis"), ["lidocaine", "biotin"],
    3.0, 0.5, 100, 101, -0.0, "3", "1e5", ["O09.1"], ["o091"], ["aspirin", "a\x00", "x" * 300],
]


def random_record(rnd: random.Random) -> dict:
    """A record of random sections, keys and values, valid or not."""
    rec: dict = {}
    for s in rnd.sample(["patient", "plan", "patient", "plan", "plans", "x"], rnd.randint(0, 3)):
        if rnd.random() < 0.1:
            rec[s] = rnd.choice([None, [], "x", 3, {}])
            continue
        if not isinstance(rec.setdefault(s, {}), dict):
            continue
        for path, _type, values in rnd.sample(FACTS, rnd.randint(0, 6)):
            section, key = path.split(".")
            if rnd.random() < 0.03:
                key += "x"
            if rnd.random() < 0.02:
                key = path
            target = rec.setdefault(section, {}) if isinstance(rec.get(section, {}), dict) else rec[s]
            target[key] = rnd.choice(POOL + (values or []) * 3)
    return rec


@pytest.mark.parametrize("seed", range(4))
def test_dict_path_equals_json_path_on_random_records(seed):
    """Accepted and refused alike, with the same first error, on thousands
    of records mixing valid and invalid sections, keys, types and values."""
    rs = mesoscreen.builtin()
    rnd = random.Random(seed)
    compared = 0
    for _ in range(1500):
        rec = random_record(rnd)
        text = json.dumps(rec)
        if len(text) > mesoscreen.MAX_RECORD_JSON:
            continue  # the JSON text's own limit: a dict has no text
        assert outcome(rs.screen, rec) == outcome(rs.screen_json, text), text[:500]
        compared += 1
    assert compared > 1000


# ------------------------------------------------------------ field errors


@pytest.mark.parametrize(
    "record, message, code",
    [
        ({"patient": {"pregnant": 1}}, 'patient.pregnant: expected true, false, null, "yes", "no" or "unknown"', "MSC_EFIELD"),
        ({"patient": {"pregnant": "maybe"}}, "patient.pregnant: expected true", "MSC_EFIELD"),
        ({"patient": {"pregnant": [True]}}, "patient.pregnant: expected true", "MSC_EFIELD"),
        ({"patient": {"hair_transplant_months_ago": True}}, 'patient.hair_transplant_months_ago: expected a number, "never" or null', "MSC_EFIELD"),
        ({"patient": {"hair_transplant_months_ago": "3"}}, "patient.hair_transplant_months_ago: expected a number", "MSC_EFIELD"),
        ({"patient": {"hair_transplant_months_ago": -1}}, "patient.hair_transplant_months_ago: -1 is below", "MSC_EFIELD"),
        ({"plan": {"depth_mm": math.inf}}, "plan.depth_mm: the number is not finite", "MSC_EFIELD"),
        ({"plan": {"depth_mm": "never"}}, "plan.depth_mm: expected a number or null", "MSC_EFIELD"),
        ({"plan": {"area": 3}}, "plan.area: expected a string or null", "MSC_EFIELD"),
        ({"plan": {"area": "elbow"}}, 'plan.area: "elbow" is not one of', "MSC_EFIELD"),
        ({"plan": {"area": "face\x00"}}, "plan.area: holds a NUL character", "MSC_EFIELD"),
        ({"plan": {"area": "\ud800"}}, "plan.area: not valid UTF-8", "MSC_EFIELD"),
        ({"plan": {"area": "x" * 1_000_000}}, "plan.area: 1000000 bytes, more than the limit", "MSC_ELIMIT"),
        ({"patient": {"medications": "aspirin"}}, "patient.medications: expected a list of strings", "MSC_EFIELD"),
        ({"patient": {"medications": ["a", 3]}}, "patient.medications[1]: expected a string", "MSC_EFIELD"),
        ({"patient": {"medications": ["a", None]}}, "patient.medications[1]: expected a string", "MSC_EFIELD"),
        ({"patient": {"medications": ["a"] * 65}}, "patient.medications: more than the limit of 64 entries", "MSC_ELIMIT"),
        ({"patient": {"medications": ["a", "b\x00"]}}, "patient.medications[1]: holds a NUL character", "MSC_EFIELD"),
        ({"patient": {"medications": ["x" * 300, "b\x00"]}}, "patient.medications[0]: 300 bytes", "MSC_ELIMIT"),
        ({"patient": {"medications": ["ok", "\udcff"]}}, "patient.medications[1]: not valid UTF-8", "MSC_EFIELD"),
        ({"patient": {"conditions": ["Z39.1", "pregnant"]}}, 'patient.conditions[1]: "pregnant" is not an ICD-10 code', "MSC_EFIELD"),
        ({"patient": {"pregnnt": True}}, "patient.pregnnt: unknown key", "MSC_EFIELD"),
        ({"patient": {"patient.pregnant": True}}, "patient.patient.pregnant: unknown key", "MSC_EFIELD"),
        ({"patient": {"area": "face"}}, "patient.area: unknown key", "MSC_EFIELD"),
        ({"patients": {}}, "patients: unknown key (expected patient or plan)", "MSC_EFIELD"),
        ({"patient": []}, "patient: expected an object or null", "MSC_EFIELD"),
        ({"patient": {"pregnant": "maybe"}, "bogus": {}}, "patient.pregnant:", "MSC_EFIELD"),  # the first error wins
        ({"bogus": {}, "patient": {"pregnant": "maybe"}}, "bogus: unknown key", "MSC_EFIELD"),
        ({"patient": {"pregnant": "maybe", "bogus": 1}}, "patient.pregnant:", "MSC_EFIELD"),
        ({"patient": {1: True}}, "patient.1: unknown key", "MSC_EFIELD"),
        ({"patient": {None: True}}, "patient.None: unknown key", "MSC_EFIELD"),
        ({("a", "b"): {}}, "('a', 'b'): unknown key", "MSC_EFIELD"),
        ("{}", 'record: expected a dict with "patient" and "plan", not str', "MSC_EFIELD"),
        (None, "record: expected a dict", "MSC_EFIELD"),
    ],
)
def test_errors_name_the_field(record, message, code):
    with pytest.raises(mesoscreen.RecordError) as info:
        mesoscreen.screen(record)
    assert str(info.value).startswith(message), str(info.value)
    assert info.value.code == code
    field = message.split(":")[0]
    assert info.value.field == field or field.startswith("("), info.value.field


def test_bools_are_not_numbers_and_numbers_not_bools():
    with pytest.raises(mesoscreen.RecordError):
        mesoscreen.screen({"plan": {"depth_mm": True}})
    with pytest.raises(mesoscreen.RecordError):
        mesoscreen.screen({"patient": {"pregnant": 0}})
    np = pytest.importorskip("numpy")
    with pytest.raises(mesoscreen.RecordError):
        mesoscreen.screen({"plan": {"depth_mm": np.bool_(True)}})
    assert mesoscreen.screen({"patient": {"pregnant": np.bool_(True)}}).fired == ("CI.PREGNANCY",)


def test_nan_is_unknown_and_none_section_absent():
    face = {"area": "face"}
    assert mesoscreen.screen({"patient": {"pregnant": math.nan}, "plan": face}) == \
        mesoscreen.screen({"patient": {"pregnant": None}, "plan": face})
    # a null section is absent, an empty one present (a plan's switches take their defaults)
    assert mesoscreen.screen({"plan": None}) == mesoscreen.screen({})
    assert mesoscreen.screen({"plan": {}}) == mesoscreen.screen_json('{"plan": {}}')
    assert mesoscreen.screen({"plan": {}}) != mesoscreen.screen({})


def test_a_refused_record_is_left_empty():
    rs = mesoscreen.builtin()
    rec, res = rs._scratch()
    c.msc_py_fill(rs._ctx, rec, {"patient": {"pregnant": True}, "plan": {"area": "face"}})
    for bad in ({"patient": {"pregnant": True, "cancer": "maybe"}},
                {"patient": {"pregnant": True, "medications": ["a", 3]}},
                {"patient": {"pregnant": True}, "x": {}}):
        with pytest.raises(mesoscreen.RecordError):
            c.msc_py_fill(rs._ctx, rec, bad)
        c.msc_screen(res, rs._ptr, rec)
        assert library_json(rs) == mesoscreen.screen({}).to_dict()


# ---------------------------------------------------------------- hostile


class Weird:
    def __str__(self):
        raise RuntimeError("no str")

    __repr__ = __str__


class CountingStr(str):
    calls = 0

    def __hash__(self):
        CountingStr.calls += 1
        return str.__hash__(self)

    def __eq__(self, other):
        raise RuntimeError("eq called")


class SneakyDict(dict):
    def items(self):
        raise RuntimeError("items called")

    def __iter__(self):
        raise RuntimeError("iter called")

    def __getitem__(self, key):
        raise RuntimeError("getitem called")


class Mapped(collections.abc.Mapping):
    def __init__(self, d):
        self.d = d

    def __getitem__(self, k):
        return self.d[k]

    def __iter__(self):
        return iter(self.d)

    def __len__(self):
        return len(self.d)


def test_hostile_inputs_give_clean_errors():
    deep: dict = {}
    node = deep
    for _ in range(100_000):
        node["x"] = {}
        node = node["x"]
    cases = [
        {"patient": deep},
        {"patient": {"pregnant": deep}},
        {"patient": {"medications": [deep]}},
        {"patient": {"medications": [[[[[["x"]]]]]]}},
        {"patient": {"medications": ["x" * 1_000_000]}},
        {"patient": {"medications": ["\udcff" * 10]}},
        {"patient": {"medications": [b"aspirin"]}},
        {"patient": {"medications": b"aspirin"}},
        {"patient": {"medications": list(range(1_000_000))}},
        {"patient": {"medications": {"aspirin": 1}}},
        {"patient": {"medications": iter(["aspirin"])}},
        {"patient": {"pregnant": Weird()}},
        {"patient": {Weird(): True}},
        {Weird(): {}},
        {"patient": {"pregnant": object()}},
        {"patient": {"pregnant": 1j}},
        {"patient": {"pregnant": b"yes"}},
        {"patient": {"pregnant": bytearray(b"yes")}},
        {"patient": {"hair_transplant_months_ago": float("nan")}},
        {"patient": {"hair_transplant_months_ago": -math.inf}},
        {"patient": {"hair_transplant_months_ago": 10**100000}},
        {"patient": {"hair_transplant_months_ago": -(10**100000)}},
        {"patient": {"\ud800": True}},
        {"\ud800": {}},
        {"patient\x00": {}},
        {"patient": {"pregnant\x00": True}},
        {"patient": {"x" * 1_000_000: True}},
        {"x" * 1_000_000: {}},
    ]
    for rec in cases:
        try:
            mesoscreen.screen(rec)
        except mesoscreen.RecordError as e:
            assert str(e).split(":")[0], e
    # str subclasses as keys: looked up by their text, no __hash__/__eq__ called
    rec = {CountingStr("patient"): {CountingStr("pregnant"): True}}
    CountingStr.calls = 0
    assert mesoscreen.screen(rec).fired == ("CI.PREGNANCY",)
    assert CountingStr.calls == 0
    # a dict subclass is read as the dict it is; any other mapping through its interface
    assert mesoscreen.screen(SneakyDict(patient=SneakyDict(pregnant=True))).fired == ("CI.PREGNANCY",)
    assert mesoscreen.screen(Mapped({"patient": Mapped({"pregnant": True})})).fired == ("CI.PREGNANCY",)
    # list and tuple subclasses are lists; str subclasses are strings
    class L(list):
        pass

    class S(str):
        pass

    r = mesoscreen.screen({"patient": {"medications": L([S("aspirin")])}, "plan": {"area": S("face")}})
    assert "PR.BLOOD_THINNERS" in r.fired


def test_a_mapping_that_raises_propagates_its_error():
    class Broken(collections.abc.Mapping):
        def __getitem__(self, k):
            raise KeyError(k)

        def __iter__(self):
            raise RuntimeError("broken mapping")

        def __len__(self):
            return 1

    with pytest.raises(RuntimeError):
        mesoscreen.screen(Broken())
    with pytest.raises(RuntimeError):
        mesoscreen.screen({"patient": Broken()})


def test_the_dict_may_change_while_it_is_screened():
    """The GIL is released while the record is filled: what the cells point
    to is held by the extension, so another thread may change the dict."""
    stop = threading.Event()
    rec = {"patient": {"medications": ["aspirin " + "x" * 50, "Eliquis"], "allergies": ["latex"]},
           "plan": {"area": "face", "ingredients": ["biotin"]}}

    def churn():
        i = 0
        while not stop.is_set():
            i += 1
            rec["patient"]["medications"] = ["med %d %s" % (i, "y" * (i % 200)), "Eliquis"]
            rec["patient"]["allergies"].append("a%d" % i)
            del rec["patient"]["allergies"][0]
            rec["plan"]["area"] = ["face", "neck"][i % 2]

    t = threading.Thread(target=churn)
    t.start()
    try:
        for _ in range(3000):
            r = mesoscreen.screen(rec)
            assert r.verdict in mesoscreen.VERDICTS
    finally:
        stop.set()
        t.join()


# ---------------------------------------------------------------- results


def test_results_share_the_rule_tables_text_and_stay_equal():
    a = mesoscreen.screen({"patient": {"pregnant": True}, "plan": {"area": "face"}})
    b = mesoscreen.screen({"patient": {"pregnant": True}, "plan": {"area": "face"}})
    assert a == b and a.to_dict() == b.to_dict()
    d = a.to_dict()
    d["findings"][0]["because"].append("changed")
    d["instructions"]["before"][0]["text"] = "changed"
    assert b.to_dict() != d and a.to_dict() == b.to_dict()
    f = a.findings[0]
    f.because.append("changed")
    assert b.findings[0].because != f.because
    assert a.fired == ("CI.PREGNANCY",) and a.verdict == "defer"
    assert a.ruleset.name == "builtin"


def test_result_api_on_the_compact_form(contract_record):
    r = mesoscreen.screen(contract_record)
    d = r.to_dict()
    assert [f.rule for f in r.findings] == [f["rule"] for f in d["findings"]]
    assert [(m.rule, m.fact, m.question) for m in r.missing] == [(m["rule"], m["fact"], m["question"]) for m in d["missing"]]
    assert [i.id for i in r.instructions.before] == [i["id"] for i in d["instructions"]["before"]]
    assert r.unrecognized == d["unrecognized"]
    assert r.overrides == []
    assert mesoscreen.Result(d) == r and mesoscreen.Result(json_text=r.to_json()) == r
    assert repr(r) == repr(mesoscreen.Result(d)) and r._repr_html_() == mesoscreen.Result(d)._repr_html_()
    assert str(r) == str(mesoscreen.Result(d))


def test_results_of_a_clinic_rule_set_carry_overrides():
    clinic = ROOT / "examples" / "rules" / "clinic.rules"
    if not clinic.exists():
        pytest.skip("no example clinic file")
    rs = mesoscreen.load_rules(clinic)
    for v in [load_vector(p) for p in FILES]:
        if v.get("rules") and isinstance(v["record"], dict) and "error" not in v:
            r = ruleset(v["rules"]).screen(v["record"])
            assert json.dumps(r.to_dict()) == json.dumps(library_json(ruleset(v["rules"])))
    r = rs.screen({"plan": {"area": "face"}})
    assert "overrides" in r.to_dict() and r.ruleset.files


# ----------------------------------------------------------------- cohorts


def test_screen_many_equals_screen_on_every_vector():
    recs = [load_vector(p)["record"] for p in FILES if not load_vector(p).get("rules")]
    recs = [r for r in recs if not isinstance(r, str)]
    many = mesoscreen.builtin().screen_many(recs, chunk_size=7)
    for i, (rec, item) in enumerate(zip(recs, many)):
        one = outcome(mesoscreen.screen, rec)
        if one[0] == "ok":
            assert item.ok and item.to_dict() == one[1]
        else:
            assert not item.ok and item.index == i and (item.error.code, str(item.error)) == one[1:]


def test_screen_many_results_read_as_screen_results():
    """Every view of screen_many's results reads as screen's, with the
    built-in rules and with rule files (provenance, overrides)."""
    recs = [v["record"] for v in map(load_vector, FILES) if isinstance(v["record"], dict) and not v.get("rules")]
    sets = [mesoscreen.builtin()] + [ruleset(v["rules"]) for v in map(load_vector, FILES) if v.get("rules")][:3]
    clinic = ROOT / "examples" / "rules" / "clinic.rules"
    if clinic.exists():
        sets.append(mesoscreen.load_rules(clinic))

    def views(r):
        return (r.verdict, r.ruleset, r.findings, r.missing, r.instructions, r.overrides, r.unrecognized, r.fired)

    for rs in sets:
        many = rs.screen_many(recs, chunk_size=5)
        for rec, item in zip(recs, many):
            if item.ok:
                assert views(item) == views(rs.screen(rec))
                assert item.to_dict() == rs.screen(rec).to_dict()


def test_screen_many_first_error_in_order():
    out = mesoscreen.screen_many([{"patient": {"pregnant": "maybe"}, "x": {}}, {"x": {}, "patient": {"pregnant": "maybe"}}])
    assert out[0].field == "patient.pregnant" and out[1].field == "x"


pd = None


def frame_and_lines(rnd: random.Random, n: int):
    import pandas

    pool = [None, math.nan, True, False, 0, 2.5, 10**40, "yes", "no", "maybe", "never", "", "face", "x" * 257,
            "a\x00b", "é", [], ["aspirin"], ["aspirin", 3], ["a\x00"], ["x" * 300], ["Z39.1"], ["bogus"],
            ["aspirin"] * 65, [None], {}, 101, "3"]
    data = {}
    for path, typ, values in rnd.sample(FACTS, rnd.randint(1, len(FACTS))):
        name = path.split(".")[1]
        good = {"yesno": [True, False, "yes", "no", None], "number": [1, 2.5, None, math.nan],
                "enum": list(values or []) + [None]}.get(typ, [["aspirin"], [], None, ["Eliquis", "biotin"]])
        data[name] = [rnd.choice(good) if rnd.random() < 0.9 else rnd.choice(pool) for _ in range(n)]
    df = pandas.DataFrame({k: pandas.Series(v, dtype=object) for k, v in data.items()})

    def clean(v):
        return None if isinstance(v, float) and math.isnan(v) else v

    lines = "\n".join(json.dumps({k: clean(v) for k, v in row.items()}) for row in df.to_dict("records"))
    return df, lines


@pytest.mark.parametrize("seed", range(3))
def test_frame_equals_the_librarys_flat_json_batch(seed):
    """Row by row, the verdict, the fired rules and the error message of
    screen_frame are those of the library reading the rows as flat JSON
    (batch.h's MSC_BATCH_FLAT: a null is unknown)."""
    pandas = pytest.importorskip("pandas")
    df, lines = frame_and_lines(random.Random(seed), 3000)
    out = mesoscreen.screen_frame(df, workers=2)
    rs = mesoscreen.builtin()
    b = c.msc_batch_new(rs._ptr, c.MSC_BATCH_FLAT)
    try:
        c.msc_batch_screen_lines(b, lines)
        for i in range(len(df)):
            if c.msc_batch_status(b, i) == 0:
                expect = (mesoscreen.VERDICTS[c.msc_batch_verdict(b, i)],
                          tuple(x for x in c.msc_batch_fired(b, i).split(",") if x), None)
            else:
                expect = (None, (), c.msc_batch_error(b, i))
            got = (None if pandas.isna(out.verdict.iloc[i]) else out.verdict.iloc[i], out.rules.iloc[i], out.error.iloc[i])
            assert got == expect, (i, df.iloc[i].to_dict())
    finally:
        c.msc_batch_free(b)


def test_frame_invalid_rows_are_reported_for_that_row_only():
    pandas = pytest.importorskip("pandas")
    df = pandas.DataFrame({
        "pregnant": [True, "maybe", False, None, 1],
        "medications": [["aspirin"], [], ["a", 3], ["a"] * 65, None],
        "area": ["face", "face", "face", "face", "elbow"],
    })
    out = mesoscreen.screen_frame(df)
    assert list(out.error) == [None, 'patient.pregnant: expected true, false, null, "yes", "no" or "unknown", not "maybe"',
                               "patient.medications[1]: expected a string",
                               "patient.medications: more than the limit of 64 entries",
                               'patient.pregnant: expected true, false, null, "yes", "no" or "unknown"']
    assert out.verdict[0] == "defer" and out.verdict[1:].isna().all()


def test_frame_columns_of_every_kind():
    pandas = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    n = 6
    df = pandas.DataFrame({
        "pregnant": np.array([True, False] * 3),
        "cancer": pandas.array([True, None, False] * 2, dtype="boolean"),
        "depth_mm": np.array([1.0, np.nan, 3.0, 150.0, 0.5, 2.0]),
        "hair_transplant_months_ago": pandas.array([1, None, 3, 4, 5, 6], dtype="Int64"),
        "area": pandas.Categorical(["scalp", "face", None, "neck", "scalp", "face"]),
        "technique": pandas.array(["needle", None, "gun", "needle", "needle", "needle"], dtype="string"),
        "numbing_cream": np.array([1, 0, 1, 0, 1, 0], dtype=np.int64),  # numbers: refused for a yes/no
        "ingredients": [["biotin"], ("lidocaine",), np.array(["biotin"]), [], None, ["collagen"]],
    })
    out = mesoscreen.screen_frame(df)
    by_rows = [mesoscreen.screen_frame(df.iloc[[i]]) for i in range(n)]
    for i in range(n):
        assert out.error.iloc[i] == by_rows[i].error.iloc[0]
    assert out.error[3].startswith("plan.depth_mm: 150 is above")  # the first error in the row's order
    assert all(e.startswith("plan.numbing_cream: expected true") for e in out.error.drop(index=3))
    ok = mesoscreen.screen_frame(df.drop(columns="numbing_cream"))
    assert ok.error.iloc[3].startswith("plan.depth_mm: 150 is above")
    assert ok.error.drop(index=3).isna().all(), list(ok.error)
    assert "PR.HAIR_TRANSPLANT" in ok.rules[0] and "PR.HAIR_TRANSPLANT" not in ok.rules[2]  # area unknown


# ------------------------------------------------------------- the GIL


def _longest_pause_while(fn) -> tuple[float, float]:
    """Runs fn in a thread while this one counts; returns (fn's duration,
    the longest time this thread could not run)."""
    done = threading.Event()
    spent = []

    def work():
        t = time.perf_counter()
        fn()
        spent.append(time.perf_counter() - t)
        done.set()

    th = threading.Thread(target=work)
    last = time.perf_counter()
    longest = 0.0
    th.start()
    while not done.is_set():
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
    th.join()
    return spent[0], longest


def test_frames_and_cohorts_are_screened_without_the_gil():
    pandas = pytest.importorskip("pandas")
    df = pandas.DataFrame({"pregnant": [True, False, None] * 40000, "area": ["face", "scalp", None] * 40000,
                           "medications": [["aspirin"], ["Eliquis", "ibuprofen"], []] * 40000})
    rs = mesoscreen.builtin()
    columns = [(rs._column_index()[k], df[k].tolist()) for k in df.columns]
    took, paused = _longest_pause_while(lambda: c.msc_py_frame_screen(rs._ctx, rs._batch(0), columns, len(df)))
    assert paused < 0.6 * took, (took, paused)  # only the conversion holds it
    recs = [{"patient": {"pregnant": i % 2 == 0, "medications": ["aspirin"]}, "plan": {"area": "face"}} for i in range(30000)]
    pool = c.msc_py_pool_new(rs._ctx, len(recs))
    took, paused = _longest_pause_while(lambda: c.msc_py_screen_many(rs._ctx, pool, recs))
    assert paused < 0.8 * took, (took, paused)


def test_threads_screen_many_and_frames_give_the_same_results():
    pandas = pytest.importorskip("pandas")
    rnd = random.Random(9)
    recs = [random_record(rnd) for _ in range(800)]
    recs = [r for r in recs if len(json.dumps(r)) <= mesoscreen.MAX_RECORD_JSON]
    expect = [r.to_dict() if r.ok else str(r.error) for r in mesoscreen.screen_many(recs)]
    df, _ = frame_and_lines(random.Random(3), 20000)
    expect_frame = mesoscreen.screen_frame(df, workers=1)
    barrier = threading.Barrier(4)

    def work(k):
        barrier.wait()
        if k % 2:
            return [r.to_dict() if r.ok else str(r.error) for r in mesoscreen.builtin().screen_many(recs, chunk_size=50)] == expect
        return mesoscreen.screen_frame(df, workers=2).equals(expect_frame)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(work, range(8)))
