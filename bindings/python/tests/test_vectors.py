"""The shared test vectors (tests/vectors/README.md) through the Python
binding: the same results as the C suite and the other bindings."""

from __future__ import annotations

import functools
import json

import pytest

import mesoscreen
from conftest import ROOT, load_vector, vector_files

FILES = vector_files()


@functools.lru_cache(maxsize=None)
def ruleset(rules: str | None) -> mesoscreen.RuleSet:
    return mesoscreen.builtin() if rules is None else mesoscreen.load_rules(ROOT / rules)


def screen(v: dict) -> mesoscreen.Result:
    rs = ruleset(v.get("rules"))
    record = v["record"]
    if isinstance(record, str):  # raw text, e.g. malformed JSON
        return rs.screen_json(record)
    return rs.screen(record)


def compare(result: mesoscreen.Result, expect: dict) -> None:
    assert result.verdict == expect["verdict"]
    assert [(f.rule, f.severity, f.because) for f in result.findings] == [
        (f["rule"], f["severity"], f["because"]) for f in expect["findings"]
    ]
    assert [(m.rule, m.fact) for m in result.missing] == [(m["rule"], m["fact"]) for m in expect["missing"]]
    assert [i.id for i in result.instructions.before] == expect["instructions"]["before"]
    assert [i.id for i in result.instructions.after] == expect["instructions"]["after"]
    assert result.unrecognized == expect["unrecognized"]


def test_vectors_present():
    if not FILES:
        pytest.skip("no vectors in tests/vectors yet")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_vector(path):
    v = load_vector(path)
    if "error" in v:
        with pytest.raises(mesoscreen.RecordError) as info:
            screen(v)
        err = info.value
        assert isinstance(err, ValueError)
        assert err.code == v["error"]["code"], str(err)
        field = v["error"].get("field")
        if field is not None:
            assert str(err).startswith(field + ":"), str(err)
            assert err.field == field
        return
    result = screen(v)
    compare(result, v["expect"])
    # to_dict()/to_json() give the same content as the library's own JSON
    assert json.loads(result.to_json()) == result.to_dict()


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_vector_result_dict_matches_library_json(path):
    """The extension's result dict (built from the accessors) equals the
    library's result JSON, key for key and in the same key order."""
    from mesoscreen import _mesoscreen as c

    v = load_vector(path)
    if "error" in v or isinstance(v["record"], str):
        pytest.skip("no result")
    rs = ruleset(v.get("rules"))
    screen(v)
    _rec, res = rs._scratch()
    fast = c.msc_py_result_dict(res, rs._ptr)
    slow = json.loads(c.msc_result_to_json(res))
    assert fast == slow
    assert json.dumps(fast) == json.dumps(slow)  # same key order


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_vector_in_a_cohort(path):
    """Each vector again through screen_many (the batch API): same result."""
    v = load_vector(path)
    if isinstance(v["record"], str):
        pytest.skip("raw text")
    rs = ruleset(v.get("rules"))
    out = rs.screen_many([{"plan": {"area": "face"}}, v["record"]])
    assert out[0].ok
    item = out[1]
    if "error" in v:
        assert not item.ok and item.verdict is None and item.index == 1
        assert item.error.code == v["error"]["code"]
        if v["error"].get("field") is not None:
            assert item.message.startswith(v["error"]["field"] + ":")
    else:
        compare(item, v["expect"])
