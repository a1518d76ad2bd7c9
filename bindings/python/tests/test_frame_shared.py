"""screen_frame converts each distinct object of a column once (pyfast.c:
the column's actions, a list's names and list values) and screens every
row: rows that share one object, rows that hold equal but separate
objects, and the library reading the same rows as flat JSON must all give
the same verdict, fired rules and error, row by row."""

from __future__ import annotations

import json
import math
import random

import pytest

import mesoscreen
from mesoscreen import _mesoscreen as c

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")


def fresh(v):
    """An equal value made of new objects (a new list of new str)."""
    if isinstance(v, list):
        return [fresh(x) for x in v]
    if isinstance(v, str):
        return (v + "#")[:-1]
    return v


def library_rows(df: "pd.DataFrame") -> list[tuple]:
    """(verdict, fired, error) of each row as the library reads it from flat
    JSON (batch.h's MSC_BATCH_FLAT: a null is unknown)."""
    def clean(v):
        return None if isinstance(v, float) and math.isnan(v) else v

    lines = "\n".join(json.dumps({k: clean(v) for k, v in row.items()}) for row in df.to_dict("records"))
    b = c.msc_batch_new(mesoscreen.builtin()._ptr, c.MSC_BATCH_FLAT)
    try:
        c.msc_batch_screen_lines(b, lines)
        out = []
        for i in range(len(df)):
            if c.msc_batch_status(b, i) == 0:
                out.append((mesoscreen.VERDICTS[c.msc_batch_verdict(b, i)],
                            tuple(x for x in c.msc_batch_fired(b, i).split(",") if x), None))
            else:
                out.append((None, (), c.msc_batch_error(b, i)))
        return out
    finally:
        c.msc_batch_free(b)


def frame_rows(out: "pd.DataFrame") -> list[tuple]:
    return [(None if pd.isna(v) else v, r, e) for v, r, e in zip(out.verdict, out.rules, out.error)]


LISTS = {
    "medications": [["aspirin 100 mg"], ["Eliquis", "ibuprofen"], [], ["mystery pill"], ["warfarin", "Eliquis"],
                    ["aspirin", "x" * 300], ["a\x00b"], ["aspirin", "a\x00"], ["aspirin", 3], ["aspirin"] * 65],
    "allergies": [["lidocaine"], [], ["biotin", "lidocaine"], ["x" * 300]],
    "conditions": [["Z39.1"], [], ["bogus"], ["I63.9", "Z39.1"]],
    "ingredients": [["biotin", "hyaluronic acid"], ["lidocaine"], [], ["collagen", "biotin"]],
}
WORDS = [True, False, None, "yes", "no", "unknown", "Yes", "maybe", "", "yes\x00"]


def cohort(n: int, seed: int, share: bool) -> "pd.DataFrame":
    """n rows drawn from small pools: with share, the rows hold the pools'
    own objects; without, each row equal objects of its own."""
    rnd = random.Random(seed)
    pick = (lambda pool: rnd.choice(pool)) if share else (lambda pool: fresh(rnd.choice(pool)))
    data = {name: [pick(pool + [None]) for _ in range(n)] for name, pool in LISTS.items()}
    data["pregnant"] = [pick(WORDS) for _ in range(n)]
    data["area"] = [pick(["face", "scalp", "elbow", None]) for _ in range(n)]
    data["hair_transplant_months_ago"] = [pick(["never", 3, 2.5, None, "3", math.nan]) for _ in range(n)]
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})


@pytest.mark.parametrize("seed", range(3))
def test_shared_and_separate_objects_give_the_same_rows(seed):
    shared, separate = cohort(3000, seed, True), cohort(3000, seed, False)
    expect = library_rows(shared)
    assert library_rows(separate) == expect
    for df in (shared, separate):
        assert frame_rows(mesoscreen.screen_frame(df, workers=1)) == expect
        assert frame_rows(mesoscreen.screen_frame(df, workers=2)) == expect
    assert any(e for _, _, e in expect) and any(v for v, _, _ in expect)


def test_a_shared_list_with_a_refused_entry_reports_it_on_every_row():
    bad = ["aspirin", "x" * 300]
    nul = ["aspirin", "a\x00"]
    code = ["bogus"]
    df = pd.DataFrame({"medications": pd.Series([bad, ["aspirin"], nul, bad, None] * 40, dtype=object),
                       "conditions": pd.Series([["Z39.1"], code, None, [], code] * 40, dtype=object)})
    expect = library_rows(df)
    out = frame_rows(mesoscreen.screen_frame(df))
    assert out == expect
    errors = {e for _, _, e in out if e}
    assert any(e.startswith("patient.medications") and "256" in e for e in errors), errors
    assert "patient.medications[1]: holds a NUL character" in errors
    assert any(e.startswith("patient.conditions") for e in errors), errors
    for i in range(len(df)):  # the same as the row screened alone
        assert out[i] == frame_rows(mesoscreen.screen_frame(df.iloc[[i]]))[0]


def test_one_list_object_in_two_columns_is_read_for_each_field():
    lido = ["lidocaine"]
    df = pd.DataFrame({"allergies": pd.Series([lido] * 50, dtype=object),
                       "ingredients": pd.Series([lido] * 50, dtype=object),
                       "medications": pd.Series([lido] * 50, dtype=object)})
    apart = pd.DataFrame({k: pd.Series([["lidocaine"] for _ in range(50)], dtype=object) for k in df.columns})
    out = frame_rows(mesoscreen.screen_frame(df))
    assert out == library_rows(df) == frame_rows(mesoscreen.screen_frame(apart))
    assert all(v == "contraindicated" and "CI.ALLERGY" in r for v, r, _ in out)


def test_columns_as_lists_and_as_object_arrays_give_the_same_output():
    df = cohort(2000, 11, True)
    rs = mesoscreen.builtin()
    index = rs._column_index()
    as_lists = [(index[k], df[k].tolist()) for k in df.columns]
    as_arrays = [(index[k], np.ascontiguousarray(df[k].to_numpy(dtype=object))) for k in df.columns]
    one = c.msc_py_frame_screen(rs._ctx, rs._batch(0), as_lists, len(df))
    two = c.msc_py_frame_screen(rs._ctx, rs._batch(0), as_arrays, len(df))
    assert one == two
    with pytest.raises(ValueError):
        c.msc_py_frame_screen(rs._ctx, rs._batch(0), as_arrays, len(df) - 1)


def test_numeric_and_bool_buffers_are_read_as_they_are():
    df = pd.DataFrame({"depth_mm": np.array([1.0, np.nan, 3.0, 150.0]), "pregnant": np.array([True, False] * 2),
                       "numbing_cream": np.array([1.0, 0.0, np.nan, 1.0])})  # a number for a yes/no: refused
    out = frame_rows(mesoscreen.screen_frame(df))
    assert out == library_rows(df.astype(object))


def test_equal_content_in_separate_objects_is_told_apart_by_every_byte():
    """Each row holds objects of its own (as a JSON reader makes them):
    screen_frame finds a str or list it converted before by its text, so
    texts that differ only in one byte, in length, past a NUL, in their
    column, or a list and a tuple, must still give each row its own
    answer: the library's, reading the same rows."""
    lists = [["aspirin"], ["aspirin", "biotin"], ("aspirin", "biotin"), ["aspirin", "biotix"], ["aspirinn"],
             ["é"], ["e"], ["a\x00b"], ["a\x00c"], [], ["lidocaine"], ["Lidocaine"], ["aspirin", 3]]
    words = ["yes", "yet", "no", "yes\x00", "yes\x00a", "Yes", "ye", "é", "unknown", "never", ""]
    rnd = random.Random(5)
    rows = 4000

    def column(pool):
        return pd.Series([fresh(list(v)) if isinstance(v, tuple) and rnd.random() < 0.5 else fresh(v)
                          for v in (rnd.choice(pool) for _ in range(rows))], dtype=object)

    df = pd.DataFrame({"medications": column(lists), "allergies": column(lists), "ingredients": column(lists),
                       "pregnant": column(words), "needle_phobia": column(words),
                       "hair_transplant_months_ago": column(words), "area": column(["face", "facf", "scalp", "é", "facé"])})
    expect = library_rows(df)
    assert frame_rows(mesoscreen.screen_frame(df, workers=1)) == expect
    assert any(v for v, _, _ in expect) and any(e for _, _, e in expect)


def test_a_lone_surrogate_is_refused_on_every_row_that_holds_one():
    """A str with no UTF-8 (a lone surrogate) is not found by its text: each
    row's is converted, and refused, as the shared one is."""
    bad = "\ud800"
    shared = pd.DataFrame({"area": pd.Series([bad, "face"] * 50, dtype=object),
                           "medications": pd.Series([[bad], ["aspirin"]] * 50, dtype=object)})
    apart = pd.DataFrame({k: pd.Series([fresh(v) for v in shared[k]], dtype=object) for k in shared.columns})
    one, two = frame_rows(mesoscreen.screen_frame(shared)), frame_rows(mesoscreen.screen_frame(apart))
    assert one == two
    assert all(e and v is None for v, _, e in one[0::2]) and all(e is None for _, _, e in one[1::2])
