"""The Python API of contract.md: results, errors, rule sets, the table and
the questionnaire."""

from __future__ import annotations

import copy
import gc
import json
import math
import weakref

import pytest

import mesoscreen
from conftest import ROOT


def test_screen_contract_record(contract_record):
    r = mesoscreen.screen(contract_record)
    assert r.verdict in mesoscreen.VERDICTS
    assert r.verdict == "contraindicated"
    rules = [f.rule for f in r.findings]
    assert "PR.HAIR_TRANSPLANT" in rules and "CI.ALLERGY" in rules
    f = r.findings[rules.index("PR.HAIR_TRANSPLANT")]
    assert f.severity == "defer"
    assert f.because == ["plan.area = scalp", "patient.hair_transplant_months_ago = 3"]
    assert f.sources and all(isinstance(s, str) for s in f.sources)
    assert f.message
    assert r.ruleset.name == "builtin" and r.ruleset.version
    assert set(r.unrecognized) == {"medications", "allergies", "ingredients"}
    assert all(i.id.startswith("PRE.") for i in r.instructions.before)
    assert all(i.id.startswith("POST.") for i in r.instructions.after)
    assert r.fired == tuple(rules)
    assert r.ok


def test_result_is_the_library_json(contract_record):
    r = mesoscreen.screen(contract_record)
    d = r.to_dict()
    assert list(d) == ["verdict", "ruleset", "findings", "missing", "instructions", "unrecognized"]
    assert json.loads(r.to_json()) == d
    assert json.loads(r.to_json(indent=2)) == d
    d["verdict"] = "changed"  # a copy
    assert r.verdict != "changed"
    # the same as the command line's JSON
    from mesoscreen import _mesoscreen as c

    rs = mesoscreen.builtin()
    mesoscreen.screen(contract_record)
    assert json.loads(c.msc_result_to_json(rs._scratch()[1])) == r.to_dict()
    assert mesoscreen.Result(r.to_dict()) == r
    assert mesoscreen.Result(json_text=r.to_json()) == r


def test_missing_and_incomplete():
    r = mesoscreen.screen({"patient": {}, "plan": {"area": "face"}})
    assert r.verdict == "incomplete"
    facts = [m.fact for m in r.missing]
    assert "patient.pregnant" in facts
    assert all(m.question and m.rule for m in r.missing)


def test_repr_and_html(contract_record):
    r = mesoscreen.screen(contract_record)
    text = repr(r)
    assert "contraindicated" in text and "PR.HAIR_TRANSPLANT" in text
    assert "CONTRAINDICATED" in str(r)
    page = r._repr_html_()
    assert "CONTRAINDICATED" in page and "<table" in page
    for f in r.findings:
        assert f.rule in page
    # text from the record is escaped
    r2 = mesoscreen.screen({"patient": {"medications": ["<script>x</script>"]}})
    assert "<script>" not in r2._repr_html_()
    assert "&lt;script&gt;" in r2._repr_html_()


def test_numbers_numpy_and_nan():
    np = pytest.importorskip("numpy")
    a = mesoscreen.screen({"patient": {"hair_transplant_months_ago": 3}, "plan": {"area": "scalp"}})
    b = mesoscreen.screen(
        {"patient": {"hair_transplant_months_ago": np.int64(3), "pregnant": np.bool_(False)},
         "plan": {"area": "scalp", "depth_mm": np.float32(2.5), "ingredients": np.array(["biotin"])}}
    )
    assert "PR.HAIR_TRANSPLANT" in a.fired and "PR.HAIR_TRANSPLANT" in b.fired
    # NaN is unknown, like None
    nan = mesoscreen.screen({"patient": {"pregnant": math.nan}, "plan": {"area": "face"}})
    none = mesoscreen.screen({"patient": {"pregnant": None}, "plan": {"area": "face"}})
    assert nan == none
    # tuples are lists
    t = mesoscreen.screen({"patient": {"medications": ("aspirin",)}})
    assert "PR.BLOOD_THINNERS" in t.fired


@pytest.mark.parametrize(
    "record, field, code",
    [
        (None, "record", "MSC_EFIELD"),
        ([1, 2], "record", "MSC_EFIELD"),
        ("{}", "record", "MSC_EFIELD"),
        (42, "record", "MSC_EFIELD"),
        ({"patient": {"pregnant": "maybe"}}, "patient.pregnant", "MSC_EFIELD"),
        ({"patient": {"pregnant": 1}}, "patient.pregnant", "MSC_EFIELD"),
        ({"patient": {"pregnnt": True}}, "patient.pregnnt", "MSC_EFIELD"),
        ({"patients": {}}, "patients", "MSC_EFIELD"),
        ({"patient": []}, "patient", "MSC_EFIELD"),
        ({"plan": {"area": "elbow"}}, "plan.area", "MSC_EFIELD"),
        ({"plan": {"area": 3}}, "plan.area", "MSC_EFIELD"),
        ({"plan": {"depth_mm": "deep"}}, "plan.depth_mm", "MSC_EFIELD"),
        ({"plan": {"depth_mm": math.inf}}, "plan.depth_mm", "MSC_EFIELD"),
        ({"patient": {"medications": "aspirin"}}, "patient.medications", "MSC_EFIELD"),
        ({"patient": {"medications": ["aspirin", None]}}, "patient.medications[1]", "MSC_EFIELD"),
        ({"patient": {"medications": {"aspirin"}}}, "patient.medications", "MSC_EFIELD"),
        ({"patient": {"medications": [object()]}}, "patient.medications[0]", "MSC_EFIELD"),
        ({"patient": {"medications": ["x" * 300]}}, "patient.medications[0]", "MSC_ELIMIT"),
        ({"patient": {"medications": ["x" * 10_000_000]}}, "patient.medications[0]", "MSC_ELIMIT"),
        ({"patient": {"medications": ["aspirin"] * 100}}, "patient.medications", "MSC_ELIMIT"),
        ({"patient": {"allergies": ["latex\x00"]}}, "patient.allergies[0]", "MSC_EFIELD"),
        ({"plan": {"area": "\ud800"}}, "plan.area", "MSC_EFIELD"),
        # beyond a double, as the JSON edge (strtod) refuses it (10**40 is a
        # number of months the table accepts, through JSON as through a dict)
        ({"patient": {"hair_transplant_months_ago": 10**400}}, "patient.hair_transplant_months_ago", "MSC_EFIELD"),
        ({"patient": {1: True}}, "patient.1", "MSC_EFIELD"),
    ],
)
def test_bad_records_raise_record_error(record, field, code):
    with pytest.raises(mesoscreen.RecordError) as info:
        mesoscreen.screen(record)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, mesoscreen.Error)
    assert str(err).startswith(field + ":") or str(err).startswith(field + "["), str(err)
    assert err.code == code, str(err)
    assert err.status < 0


def test_deeply_nested_record_does_not_crash():
    deep: dict = {}
    node = deep
    for _ in range(100000):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(mesoscreen.RecordError):
        mesoscreen.screen({"patient": deep})


def test_screen_json():
    r = mesoscreen.screen_json('{"patient": {"pregnant": true}}')
    assert "CI.PREGNANCY" in r.fired
    assert mesoscreen.screen_json(b'{"patient": {"pregnant": true}}') == r
    with pytest.raises(mesoscreen.RecordError) as info:
        mesoscreen.screen_json('{"patient": {"pregnant": tru}}')
    assert info.value.code == "MSC_EPARSE" and "line 1" in str(info.value)
    with pytest.raises(mesoscreen.RecordError) as info:
        mesoscreen.screen_json(b"\xff\xfe")
    with pytest.raises(mesoscreen.RecordError) as info:
        mesoscreen.screen_json("{}" + " " * 100_000)
    assert info.value.code == "MSC_ELIMIT"
    with pytest.raises(TypeError):
        mesoscreen.screen_json(None)  # type: ignore[arg-type]


def test_the_record_is_not_changed(contract_record):
    before = copy.deepcopy(contract_record)
    mesoscreen.screen(contract_record)
    assert contract_record == before


def test_rules_table():
    t = mesoscreen.rules()
    assert isinstance(t, mesoscreen.RuleTable)
    ids = [r.id for r in t]
    assert "CI.PREGNANCY" in ids and "PR.DEPTH" in ids
    assert t["CI.PREGNANCY"].severity == "defer"
    assert "POST.NO_WATER" in t and t["POST.NO_WATER"].phase == "after"
    assert any(f.fact == "plan.area" and "scalp" in (f.values or []) for f in t.facts)
    assert [f.fact for f in t.facts if f.accepts_never] == ["patient.hair_transplant_months_ago"]
    assert "<table" in t._repr_html_()
    assert t.to_dict()["ruleset"]["name"] == "builtin"
    with pytest.raises(KeyError):
        t["NOPE"]


def test_questions():
    everything = mesoscreen.questions()
    facts = [q.fact for q in everything]
    assert "patient.pregnant" in facts and "plan.area" in facts
    scalp = mesoscreen.questions({"area": "scalp"})
    face = mesoscreen.questions({"area": "face"})
    assert "patient.hair_transplant_months_ago" in [q.fact for q in scalp]
    assert "patient.hair_transplant_months_ago" not in [q.fact for q in face]
    assert "plan.area" not in [q.fact for q in scalp]
    assert all(q.question and q.rules for q in scalp)
    # a partial record: only what is still open
    partial = mesoscreen.questions({"patient": {"pregnant": False}, "plan": {"area": "face"}})
    assert "patient.pregnant" not in [q.fact for q in partial]
    with pytest.raises(mesoscreen.RecordError) as info:
        mesoscreen.questions({"area": "elbow"})
    assert info.value.field == "plan.area"


def test_load_rules(tmp_path):
    clinic = ROOT / "examples" / "rules" / "clinic.rules"
    if not clinic.exists():
        clinic = tmp_path / "clinic.rules"
        clinic.write_text(
            'ruleset clinic\nversion 2\nsource C1 "Clinic protocol"\n\n'
            "rule CLINIC.NEEDLE_PHOBIA\n  severity caution\n  when patient.needle_phobia\n"
            '  message "Offer the needle-free technique."\n  sources C1\n'
        )
    rs = mesoscreen.load_rules(clinic)
    assert isinstance(rs, mesoscreen.RuleSet)
    assert rs.name.startswith("builtin+")
    assert [f.name for f in rs.rules().ruleset.files] == [str(clinic)]
    r = rs.screen({"plan": {"area": "face"}})
    assert r.ruleset.name == rs.name and r.ruleset.files
    assert len(rs.rules().rules) > len(mesoscreen.rules().rules)
    # the module-level functions keep the built-in table
    assert mesoscreen.screen({"plan": {"area": "face"}}).ruleset.name == "builtin"


def test_rules_errors(tmp_path):
    bad = tmp_path / "bad.rules"
    bad.write_text("rule X\n  severity bogus\n  when nope\n")
    with pytest.raises(mesoscreen.RulesError) as info:
        mesoscreen.load_rules(bad)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.code == "MSC_ERULES"
    assert len(err.errors) >= 2
    assert all(e.startswith(f"{bad}:") for e in err.errors)
    assert ":2:" in err.errors[0]
    with pytest.raises(OSError):
        mesoscreen.load_rules(tmp_path / "missing.rules")
    with pytest.raises(mesoscreen.RulesError):
        mesoscreen.RuleSet.from_text("rule\n", "inline")


def test_children_keep_the_rule_set_alive():
    rs = mesoscreen.RuleSet()
    first = rs.screen({"plan": {"area": "face"}})
    ref = weakref.ref(rs)
    owned = rs._tls.owned
    rules_handle = rs._rules
    del rs
    gc.collect()
    assert ref() is None  # the rule set object can go...
    assert rules_handle.ptr is not None  # ...its C rules stay while a record holds them
    assert owned[0]._parent is rules_handle
    del owned, rules_handle
    gc.collect()
    assert first.verdict  # a result is plain Python: it outlives everything


def test_parent_freed_last_whatever_the_finalization_order():
    from mesoscreen._core import _Owned

    freed = []
    parent = _Owned("rules", freed.append)
    child = _Owned("record", freed.append, parent)
    parent.__del__()  # the garbage collector may finalize the parent first
    assert freed == []
    child.__del__()
    assert freed == ["record", "rules"]
    child.__del__()
    parent.__del__()
    assert freed == ["record", "rules"]  # once each


def test_rule_set_in_a_garbage_cycle():
    for _ in range(50):
        rs = mesoscreen.RuleSet()
        rs.screen({"plan": {"area": "face"}})
        rs.screen_many([{"plan": {"area": "face"}}])
        cycle = [rs]
        cycle.append(cycle)
        del rs, cycle
    gc.collect()


def test_many_rule_sets_are_freed():
    for _ in range(200):
        rs = mesoscreen.RuleSet()
        rs.screen({"plan": {"area": "face"}})
        rs.screen_many([{"plan": {"area": "face"}}])
    gc.collect()


def test_screen_many():
    records = [
        {"patient": {"pregnant": True}, "plan": {"area": "face"}},
        {"patient": {"pregnant": "maybe"}},
        None,
        {"patient": {"medications": {"set"}}},
        {"patient": {"pregnant": False}},
    ]
    out = mesoscreen.screen_many(records)
    assert len(out) == len(records)
    assert out[0].ok and out[0].verdict == "defer"
    assert not out[1].ok and out[1].field == "patient.pregnant" and out[1].index == 1
    assert not out[2].ok and out[2].field == "record" and out[2].error.code == "MSC_EFIELD"
    assert not out[3].ok and out[3].field == "patient.medications"
    assert out[4].ok
    for i in (0, 4):
        assert out[i] == mesoscreen.screen(records[i])
    assert mesoscreen.screen_many([]) == []
    assert mesoscreen.screen_many(iter(records[:1]))[0].verdict == "defer"
    with pytest.raises(mesoscreen.RecordError) as info:
        mesoscreen.screen_many(records, errors="raise")
    assert info.value.index == 1
    with pytest.raises(TypeError):
        mesoscreen.screen_many({"patient": {}})


def test_equal_results_shared_unequal_never():
    """Results with the same content share their tuples (the extension
    caches whole results by a signature of what they hold); results that
    differ only in a "because" text or an unrecognised name stay apart,
    whichever path screened them."""
    from mesoscreen import _mesoscreen as c

    def record(med, allergy=None):
        rec = {"patient": {"medications": [med], "pregnant": False}, "plan": {"area": "face"}}
        if allergy:  # an unrecognised allergy is in no "because": only in unrecognized
            rec["patient"]["allergies"] = [allergy]
        return rec

    names = ["Aspirin 100 mg", "aspirin", "ASPIRIN 100MG", "Eliquis 5mg", "Aspirin 100 mg"]
    recs = [record(n) for n in names] + [record("aspirin", "Zzyzx"), record("aspirin", "Qwerty")]
    rs = mesoscreen.builtin()
    for way in ("screen", "many", "json"):
        if way == "screen":
            out = [rs.screen(r) for r in recs]
        elif way == "many":
            out = rs.screen_many(recs)
        else:
            out = [rs.screen_json(json.dumps(r)) for r in recs]
        for r, rec in zip(out, recs):
            rs.screen_json(json.dumps(rec))
            assert r.to_dict() == json.loads(c.msc_result_to_json(rs._scratch()[1])), (way, rec)
        because = [[f.because for f in r.findings] for r in out]
        assert because[0] == because[4] and out[0] == out[4]
        assert len({repr(b) for b in because[:4]}) == 4, because
        assert [f.because for f in out[5].findings] == [f.because for f in out[6].findings]
        assert out[5].unrecognized["allergies"] == ["Zzyzx"]
        assert out[6].unrecognized["allergies"] == ["Qwerty"]


def test_results_out_of_the_collector_until_they_hold_something_mutable():
    """The extension's Results hold only tuples, so it leaves them out of the
    garbage collector's lists; a Result goes back in before it keeps its
    dict or its typed views, and a cycle a caller makes through one of them
    is still collected."""
    rec = {"patient": {"medications": ["aspirin"], "pregnant": False}, "plan": {"area": "face"}}
    rs = mesoscreen.RuleSet()
    for made in (rs.screen(rec), rs.screen_many([rec])[0], rs.screen_json(json.dumps(rec))):
        assert not gc.is_tracked(made) and not gc.is_tracked(made._raw)
        assert made.verdict == "incomplete" and made.fired and made.unrecognized["medications"] == []
        assert not gc.is_tracked(made)  # read from the tuples: nothing kept
        assert made.findings[0].rule == made.fired[0]
        assert gc.is_tracked(made)
    r = rs.screen(rec)
    r.to_dict()
    assert gc.is_tracked(r)  # its dict is kept
    assert gc.is_tracked(mesoscreen.Result({"verdict": "clear"}))

    freed = []

    class Sentinel:
        def __del__(self):
            freed.append(True)

    r = rs.screen_many([rec])[0]
    r.findings[0].because.extend([r, Sentinel()])  # r -> its views -> a Finding -> its list -> r
    r = rs.screen(rec)
    r == r  # noqa: B015 (makes its dict)
    r._d["held"] = [r, Sentinel()]  # r -> its dict -> r
    del r
    gc.collect()
    assert freed == [True, True]


def test_clear_caches_forgets_the_records_texts():
    """clear_caches() drops the shared results (one of which holds a
    patient's unrecognised name) and this thread's scratch record and
    pools; results already returned are unchanged, and screening goes on
    giving the same results."""
    import sys

    rs = mesoscreen.RuleSet()
    rec = {"patient": {"medications": ["Zzyzxium 5 mg"], "pregnant": False}, "plan": {"area": "face"}}
    first = rs.screen_many([rec])[0]
    assert first.unrecognized["medications"] == ["Zzyzxium 5 mg"]
    again = rs.screen_many([rec])[0]
    assert again._raw is first._raw  # shared through the rule set's cache
    held = first.to_dict()
    before = sys.getrefcount(first._raw)
    rs.clear_caches()
    after_refs = sys.getrefcount(first._raw)  # (outside the assert: pytest's rewriting holds its operands)
    assert after_refs == before - 1  # the cache's reference is gone
    assert first.to_dict() == held
    assert not hasattr(rs._tls, "scratch") and not hasattr(rs._tls, "pools")
    after = rs.screen_many([rec])[0]
    assert after._raw is not first._raw and after.to_dict() == held
    assert rs.screen(rec).to_dict() == held
    mesoscreen.clear_caches()  # the built-in table's, whether made yet or not
    assert mesoscreen.screen(rec).to_dict()["verdict"] == held["verdict"]


def test_screen_many_large_chunks():
    recs = [{"patient": {"pregnant": i % 2 == 0}, "plan": {"area": "face"}} for i in range(10000)]
    recs[9999] = {"bad": 1}
    out = mesoscreen.screen_many(recs)
    assert [r.verdict for r in out[:4]] == ["defer", "incomplete", "defer", "incomplete"]
    assert not out[9999].ok and out[9999].index == 9999 and out[9999].field == "bad"


def test_extension_raises_with_code_and_status():
    from mesoscreen import _mesoscreen as c

    rs = mesoscreen.builtin()
    rec, _res = rs._scratch()
    with pytest.raises(ValueError) as info:
        c.msc_record_from_json(rec, '{"patient": {"pregnant": 3}}')
    assert info.value.code == "MSC_EFIELD" and info.value.status == -3
    assert str(info.value).startswith("patient.pregnant:")
    with pytest.raises(OSError) as info:
        comp = c.msc_compiler_new()
        try:
            c.msc_compiler_add_file(comp, "/nonexistent/x.rules")
        finally:
            c.msc_compiler_free(comp)
    assert info.value.code == "MSC_EIO"
    batch = c.msc_batch_new(rs._ptr, 0)
    try:
        assert c.msc_batch_status(batch, 5) == -2  # a status, not an exception
    finally:
        c.msc_batch_free(batch)


def test_version():
    assert mesoscreen.__version__.count(".") == 2
