"""Hostile input through the Python binding, for the sanitizer stage of CI
(`.ci/hardening asan`, which runs the Python suite with AddressSanitizer
and UBSan preloaded): every call either returns a result or raises the
binding's exception, never crashes, overflows, recurses without bound or
leaks. Only what test_api.py does not already cover: 1 MB strings in every
position, deep nesting and cycles in JSON text and in lists, invalid UTF-8
in JSON bytes, keys, list items and rule texts, and wrong types at the other
entry points (screen_json, screen_many, questions, rule texts).
"""

from __future__ import annotations

import math

import pytest

import mesoscreen

MB = 1 << 20


def refused(call, *codes):
    """`call` raises the binding's error (a ValueError) or a TypeError; with
    codes, a mesoscreen.Error whose code is one of them."""
    with pytest.raises((mesoscreen.Error, TypeError, ValueError)) as info:
        call()
    if codes:
        assert isinstance(info.value, mesoscreen.Error), repr(info.value)
        assert info.value.code in codes, str(info.value)[:200]
    return info.value


def answered(call):
    """`call` gives a result or raises the binding's error, nothing else."""
    try:
        r = call()
    except (mesoscreen.Error, TypeError, ValueError):
        return None
    assert r.verdict in mesoscreen.VERDICTS
    return r


# ------------------------------------------------------------------ 1 MB strings


@pytest.mark.parametrize(
    "record",
    [
        {"plan": {"area": "x" * MB}},                        # an enum word
        {"patient": {"pregnant": "y" * MB}},                 # a yes/no word
        {"patient": {"hair_transplant_months_ago": "9" * MB}},  # a number as text
        {"patient": {"conditions": ["Z" * MB]}},             # a code
        {"patient": {"allergies": ["lidocaine", "a" * MB]}},
        {"plan": {"ingredients": ["\u00e9" * (MB // 2)]}},   # 1 MB of 2-byte UTF-8
    ],
)
def test_megabyte_values_are_refused(record):
    refused(lambda: mesoscreen.screen(record), "MSC_ELIMIT", "MSC_EFIELD")


@pytest.mark.parametrize(
    "record",
    [
        {"patient": {"k" * MB: True}},   # a field name
        {"s" * MB: {}},                  # a section name
        {"patient": {"medications": ["aspirin"], "m" * MB: None}},
    ],
)
def test_megabyte_names_are_refused_and_the_message_stays_bounded(record):
    err = refused(lambda: mesoscreen.screen(record), "MSC_EFIELD", "MSC_ELIMIT")
    assert len(str(err)) < 4096


def test_megabyte_json_text():
    refused(lambda: mesoscreen.screen_json('{"patient": {"medications": ["' + "x" * MB + '"]}}'),
            "MSC_ELIMIT")
    refused(lambda: mesoscreen.screen_json(b"\xff" * MB), "MSC_ELIMIT", "MSC_EPARSE")
    refused(lambda: mesoscreen.screen_json("[" * MB), "MSC_ELIMIT", "MSC_EPARSE")


def test_megabyte_rule_texts():
    # a text over the 1 MiB limit
    refused(lambda: mesoscreen.RuleSet.from_text("#" * (MB + 1)), "MSC_ELIMIT")
    # just under it: one message of nearly 1 MB that fires, out through the result
    head = 'source BIG "big"\nrule BIG.ALWAYS\n  severity caution\n  when patient.pregnant\n  message "'
    tail = '"\n  sources BIG\n'
    rs = mesoscreen.RuleSet.from_text(head + "m" * (MB - len(head) - len(tail) - 16) + tail, "big.rules")
    r = rs.screen({"patient": {"pregnant": True}})
    big = [f for f in r.findings if f.rule == "BIG.ALWAYS"]
    assert big and len(big[0].message) > MB - 200
    assert "BIG.ALWAYS" in r.to_json()
    # an unterminated 1 MB string
    refused(lambda: mesoscreen.RuleSet.from_text('source A "' + "a" * (MB - 20)), "MSC_ERULES")
    # a 1 MB fact name (the language sets no length): compiled, listed, asked
    name = "patient." + "w" * (MB - 20)
    rs = mesoscreen.RuleSet.from_text("fact " + name + " yesno\n", "wide.rules")
    assert any(f.fact == name for f in rs.rules().facts)
    rs.questions()
    answered(lambda: rs.screen({"patient": {name[8:]: True}}))


# ------------------------------------------------------------------ deep nesting and cycles


def test_deep_json_text():
    for text in ('{"patient": ' + "[" * 30000 + "]" * 30000 + "}",
                 '{"patient": {"medications": ' + "[" * 30000 + "]" * 30000 + "}}",
                 '{"patient": ' + '{"a": ' * 6000 + "1" + "}" * 6000 + "}"):
        refused(lambda: mesoscreen.screen_json(text), "MSC_EFIELD", "MSC_EPARSE", "MSC_ELIMIT")
    refused(lambda: mesoscreen.screen_json("{" * 60000), "MSC_EPARSE", "MSC_ELIMIT")


def test_deep_lists_and_cycles():
    deep: list = []
    node = deep
    for _ in range(100000):
        node.append([])
        node = node[0]
    refused(lambda: mesoscreen.screen({"patient": {"medications": deep}}), "MSC_EFIELD")
    loop: list = []
    loop.append(loop)
    refused(lambda: mesoscreen.screen({"patient": {"medications": loop}}), "MSC_EFIELD")
    cyc: dict = {}
    cyc["patient"] = cyc
    refused(lambda: mesoscreen.screen(cyc), "MSC_EFIELD")
    sec: dict = {}
    sec["x"] = sec
    refused(lambda: mesoscreen.screen({"patient": sec}), "MSC_EFIELD")
    out = mesoscreen.screen_many([{"patient": sec}, {"patient": {"medications": loop}}, {}])
    assert not out[0].ok and not out[1].ok and out[2].ok


# ------------------------------------------------------------------ invalid UTF-8


@pytest.mark.parametrize(
    "text",
    [
        b'{"patient": {"medications": ["\xff"]}}',
        b'{"patient": {"medications": ["asp\xc0\xafirin"]}}',       # overlong
        b'{"patient": {"\xed\xa0\x80": true}}',                    # a surrogate as a key
        b'{"plan": {"area": "fa\xe2\x82"}}',                        # cut short
        b'{"\xf4\x90\x80\x80": {}}',                                # past U+10FFFF
        b'{"patient": {"allergies": ["latex\x00"]}}',              # a raw NUL
        b'{"patient": {"allergies": ["latex\\u0000"]}}',           # an escaped NUL
        b'{"patient": {"allergies": ["\\udc00x"]}}',               # an escaped lone low surrogate
    ],
)
def test_invalid_utf8_in_json(text):
    refused(lambda: mesoscreen.screen_json(text), "MSC_EPARSE", "MSC_EFIELD")


@pytest.mark.parametrize(
    "text",
    [
        # escaped high surrogates without their low half: JSON syntax, not
        # Unicode (the JSON parser makes them "?" or a wrong code point today)
        b'{"patient": {"allergies": ["\\ud800"]}}',
        b'{"patient": {"allergies": ["x\\ud800\\u0041"]}}',
        b'{"patient": {"medications": ["\\ud800\\ud800"]}}',
    ],
)
def test_escaped_surrogates_in_json(text):
    answered(lambda: mesoscreen.screen_json(text))


@pytest.mark.parametrize(
    "record",
    [
        {"patient": {"medications": ["\udcff"]}},
        {"patient": {"medications": ["aspirin", "\ud800\udc00"]}},
        {"patient": {"\udcff": True}},
        {"\ud800": {}},
        {"plan": {"ingredients": ["\x00"]}},
    ],
)
def test_unencodable_strings(record):
    refused(lambda: mesoscreen.screen(record), "MSC_EFIELD")


def test_invalid_utf8_in_rule_texts():
    refused(lambda: mesoscreen.RuleSet.from_text("ruleset \udcff\n"))
    refused(lambda: mesoscreen.RuleSet.from_text("ruleset a\x00b\n"), "MSC_ERULES")
    refused(lambda: mesoscreen.RuleSet.from_text('source A "\ud800"\n'))


# ------------------------------------------------------------------ wrong types and None


@pytest.mark.parametrize("text", [123, 1.5, ["{}"], {"patient": {}}, object()])
def test_screen_json_wrong_types(text):
    refused(lambda: mesoscreen.screen_json(text))


def test_screen_json_buffers():
    assert answered(lambda: mesoscreen.screen_json(bytearray(b'{"patient": {"pregnant": true}}'))) is not None
    answered(lambda: mesoscreen.screen_json(memoryview(b'{"patient": {}}')))


@pytest.mark.parametrize(
    "record",
    [
        {"patient": {"medications": [b"aspirin"]}},
        {"patient": {"medications": [1, 2]}},
        {"patient": {"medications": [math.nan]}},
        {b"patient": {}},
        {None: {}},
        {("patient",): {}},
        {"patient": {"hair_transplant_months_ago": 10 ** 400}},
        {"patient": {"hair_transplant_months_ago": -math.inf}},
        {"patient": {"hair_transplant_months_ago": [3]}},
        {"patient": {"pregnant": {"yes": True}}},
        {"plan": {"depth_mm": object()}},
        {"plan": "face"},
        {"plan": 3},
        {"patient": {"medications": iter(["aspirin"])}},
    ],
)
def test_wrong_value_types(record):
    answered(lambda: mesoscreen.screen(record))


class Hostile(dict):
    """A dict whose lookups and iteration raise."""

    def __getitem__(self, key):
        raise RuntimeError("no")

    def items(self):
        raise RuntimeError("no")


class BadStr(str):
    def __str__(self):
        raise RuntimeError("no")


def test_hostile_objects():
    for record in ({"patient": Hostile(pregnant=True)}, Hostile(patient={}),
                   {"patient": {"medications": [BadStr("aspirin")]}}):
        try:
            mesoscreen.screen(record)
        except (mesoscreen.Error, TypeError, ValueError, RuntimeError):
            pass


@pytest.mark.parametrize("records", [None, 3, "{}", b"{}"])
def test_screen_many_wrong_types(records):
    refused(lambda: mesoscreen.screen_many(records))


def test_screen_many_bad_entries():
    out = mesoscreen.screen_many([None, 1, "x", [], {"patient": None}, {}])
    assert len(out) == 6 and out[5].ok and not out[0].ok


@pytest.mark.parametrize("plan", [3, "face", ["face"], {"area": None}, {"area": "x" * MB}, {"nope": 1}])
def test_questions_with_bad_plans(plan):
    try:
        mesoscreen.questions(plan)
    except (mesoscreen.Error, TypeError, ValueError):
        pass


@pytest.mark.parametrize("paths", [(None,), (123,), (b"\xff",), ("",), ("/nonexistent/" + "d" * 5000,)])
def test_load_rules_wrong_paths(paths):
    with pytest.raises((mesoscreen.Error, TypeError, ValueError, OSError)):
        mesoscreen.load_rules(*paths)


@pytest.mark.parametrize("text", [None, 3, ["ruleset a"]])
def test_rule_text_wrong_types(text):
    with pytest.raises((mesoscreen.Error, TypeError, ValueError)):
        mesoscreen.RuleSet.from_text(text)


def test_extension_functions_with_none():
    from mesoscreen import _mesoscreen as c

    for call in (
        lambda: c.msc_screen(None, None, None),
        lambda: c.msc_record_from_json(None, "{}"),
        lambda: c.msc_compiler_add_text(None, "n", "x"),
        lambda: c.msc_rules_to_json(None),
        lambda: c.msc_result_to_json(None),
    ):
        with pytest.raises((TypeError, ValueError, mesoscreen.Error)):
            call()
    assert c.msc_rules_count(None) == 0
    c.msc_rules_free(None)


# ------------------------------------------------------------------ a column that changes while it is read


def _changing_type(change):
    """A class whose instances run `change` when the extension asks what
    they are (mesoscreen's `plain` reads type(value).__module__)."""

    class Meta(type):
        @property
        def __module__(cls):
            change()
            return "hostile"

    return Meta("Changing", (), {})()


def test_a_frame_column_that_changes_while_it_is_read():
    from mesoscreen import _mesoscreen as c

    rs = mesoscreen.builtin()
    fact = rs._column_index()["medications"]
    col = [["aspirin"] for _ in range(100)]
    col[50] = _changing_type(col.clear)
    with pytest.raises(ValueError):  # the list shrank: refused, never read past its end
        c.msc_py_frame_screen(rs._ctx, rs._batch(0), [(fact, col)], 100)
    np = pytest.importorskip("numpy")
    arr = np.empty(100, dtype=object)
    for i in range(100):
        arr[i] = ["aspirin", f"drug {i}"]

    def clear():
        arr[:] = None  # frees the lists not read yet

    arr[50] = _changing_type(clear)
    verdicts, rules, errors = c.msc_py_frame_screen(rs._ctx, rs._batch(0), [(fact, arr)], 100)
    assert len(verdicts) == len(rules) == 100
    assert [i for i, _ in errors] == [50] and errors[0][1].startswith("patient.medications: expected a list")
