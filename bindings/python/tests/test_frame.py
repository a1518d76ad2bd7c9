"""Screening a pandas DataFrame: one record per row, in C."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

import mesoscreen

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

SECTION = {f.name: f.fact.split(".")[0] for f in mesoscreen.rules().facts}


def nested(row: dict) -> dict:
    """A flat row as an intake record: a null cell is an absent field, and a
    section is present when one of its fields is not null (batch.h)."""
    rec: dict = {}
    for k, v in row.items():
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        if isinstance(v, np.generic):
            v = v.item()
        rec.setdefault(SECTION[k], {})[k] = v
    return rec


def cohort(n: int, seed: int = 7) -> "pd.DataFrame":
    rng = np.random.default_rng(seed)
    yesno = lambda p: np.where(rng.random(n) < 0.1, None, rng.random(n) < p).astype(object)  # noqa: E731
    meds = [[], ["aspirin 100 mg"], ["Eliquis"], ["paracetamol"], ["mystery pill"], None]
    return pd.DataFrame(
        {
            "pregnant": yesno(0.05),
            "breastfeeding": rng.choice(["yes", "no", "unknown", None], n, p=[0.05, 0.8, 0.05, 0.1]),
            "stroke_history": rng.random(n) < 0.02,
            "cancer": yesno(0.02),
            "medications": [meds[i] for i in rng.integers(0, len(meds), n)],
            "allergies": [["lidocaine"] if x < 0.05 else [] for x in rng.random(n)],
            "hair_transplant_months_ago": np.where(rng.random(n) < 0.7, np.nan, rng.integers(0, 24, n)),
            "area": rng.choice(["face", "scalp", "neck", "hands"], n),
            "ingredients": [["biotin", "hyaluronic acid"] if x < 0.5 else ["lidocaine"] for x in rng.random(n)],
            "numbing_cream": rng.random(n) < 0.5,
            "depth_mm": np.round(rng.uniform(0.5, 5, n), 1),
        },
        index=pd.Index([f"p{i:05d}" for i in range(n)], name="patient_id"),
    )


def test_frame_matches_screen_per_row():
    df = cohort(300)
    out = mesoscreen.screen_frame(df)
    assert list(out.columns[:3]) == ["verdict", "rules", "error"]
    assert out.index.equals(df.index)
    assert out.error.isna().all()
    for (idx, row), (_, got) in zip(df.iterrows(), out.iterrows()):
        expect = mesoscreen.screen(nested(row.to_dict()))
        assert got.verdict == expect.verdict, idx
        assert got.rules == expect.fired, idx


def test_verdict_is_an_ordered_categorical():
    out = mesoscreen.screen_frame(cohort(200))
    assert isinstance(out.verdict.dtype, pd.CategoricalDtype)
    assert list(out.verdict.cat.categories) == list(mesoscreen.VERDICTS)
    assert out.verdict.cat.ordered
    assert ((out.verdict >= "defer") == out.verdict.isin(["defer", "contraindicated"])).all()


def test_index_preserved_any_kind():
    df = cohort(50)
    df.index = pd.Index([5, 3, 3, 9] + list(range(100, 146)))
    out = mesoscreen.screen_frame(df)
    assert out.index.equals(df.index)
    df2 = df.iloc[::-1]
    out2 = mesoscreen.screen_frame(df2)
    assert out2.index.equals(df2.index)
    assert list(out2.verdict) == list(out.verdict)[::-1]


def test_nan_none_and_missing_columns_are_unknown():
    df = pd.DataFrame({"pregnant": [True, None, np.nan, False], "area": ["face", "face", "face", None]})
    out = mesoscreen.screen_frame(df)
    assert list(out.verdict[:1]) == ["defer"]
    assert out.verdict[1] == "incomplete" and out.verdict[2] == "incomplete"
    assert out.verdict[3] == "incomplete"  # the rest is unknown
    assert "CI.PREGNANCY" in out.rules[0]


def test_dtypes():
    df = pd.DataFrame(
        {
            "pregnant": pd.array([True, False, pd.NA], dtype="boolean"),
            "stroke_history": np.array([False, True, False]),
            "hair_transplant_months_ago": pd.array([3, pd.NA, 12], dtype="Int64"),
            "depth_mm": np.array([2.5, 2.0, 9.0], dtype=np.float32),
            "area": pd.Categorical(["scalp", "face", "face"]),
            "medications": [np.array(["aspirin"]), ("Eliquis",), []],
        }
    )
    out = mesoscreen.screen_frame(df)
    assert out.error.isna().all(), list(out.error)
    assert "PR.HAIR_TRANSPLANT" in out.rules[0] and "PR.BLOOD_THINNERS" in out.rules[0]
    assert "CI.STROKE" in out.rules[1] and out.verdict[1] == "contraindicated"
    assert "PR.DEPTH" in out.rules[2]


def test_an_invalid_row_is_reported_and_the_others_screened():
    df = cohort(20)
    df["area"] = df["area"].astype(object)
    df.iloc[3, df.columns.get_loc("area")] = "elbow"
    df.iloc[7, df.columns.get_loc("pregnant")] = "maybe"
    df.iloc[9, df.columns.get_loc("medications")] = "aspirin"  # not a list
    out = mesoscreen.screen_frame(df)
    bad = {3: "plan.area:", 7: "patient.pregnant:", 9: "patient.medications:"}
    for i in range(20):
        if i in bad:
            assert out.error.iloc[i].startswith(bad[i]), out.error.iloc[i]
            assert pd.isna(out.verdict.iloc[i]) and out.rules.iloc[i] == ()
        else:
            assert out.error.iloc[i] is None and out.verdict.iloc[i] in mesoscreen.VERDICTS


def test_unknown_columns():
    df = cohort(5)
    df["name"] = "x"
    with pytest.raises(mesoscreen.RecordError) as info:
        mesoscreen.screen_frame(df)
    assert info.value.field == "name" and str(info.value).startswith("name:")
    out = mesoscreen.screen_frame(df, ignore_unknown=True)
    assert out.verdict.equals(mesoscreen.screen_frame(df.drop(columns="name")).verdict)


def test_path_column_names():
    df = pd.DataFrame({"patient.pregnant": [True], "plan.area": ["face"]})
    out = mesoscreen.screen_frame(df)
    assert out.rules[0] == ("CI.PREGNANCY",)
    with pytest.raises(mesoscreen.RecordError):
        mesoscreen.screen_frame(pd.DataFrame({"patient.pregnant": [True], "pregnant": [True]}))
    with pytest.raises(mesoscreen.RecordError):
        mesoscreen.screen_frame(pd.DataFrame([[True, True]], columns=["pregnant", "pregnant"]))


def test_empty_and_columnless_frames():
    out = mesoscreen.screen_frame(cohort(10).iloc[:0])
    assert len(out) == 0 and list(out.columns) == ["verdict", "rules", "error"]
    out = mesoscreen.screen_frame(pd.DataFrame(index=range(3)))
    assert list(out.verdict) == ["incomplete"] * 3


def test_not_a_frame():
    with pytest.raises(TypeError):
        mesoscreen.screen_frame([{"pregnant": True}])  # type: ignore[arg-type]


def test_workers_give_the_same_result():
    df = cohort(30000)
    one = mesoscreen.screen_frame(df, workers=1)
    four = mesoscreen.screen_frame(df, workers=4)
    pd.testing.assert_frame_equal(one, four)


def test_chunks_start_small_and_cover_every_row_once():
    from mesoscreen import _frame

    for n in (0, 1, 1023, 1024, 1025, 5000, 100_000):
        chunks = _frame._chunks(n, 8192)
        starts, ends = [a for a, _ in chunks], [b for _, b in chunks]
        assert starts == [0] + ends[:-1] and ends[-1] == n if n else chunks == []
        full = [min(1024 << i, 8192) for i in range(len(chunks))]  # 1,024 rows, doubling to 8,192
        assert [b - a for a, b in chunks[:-1]] == full[:-1]
        assert 0 < ends[-1] - starts[-1] <= full[-1] if n else True
    assert _frame._chunks(10, 2) == [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]  # step below the first size


def test_rows_and_errors_keep_their_place_across_chunks(monkeypatch):
    from mesoscreen import _frame

    df = cohort(40)
    bad = [0, 2, 3, 6, 7, 13, 14, 29, 39]  # at and beside the chunk edges below
    df.loc[df.index[bad], "depth_mm"] = 150.0
    whole = mesoscreen.screen_frame(df, workers=1)
    assert [i for i, e in enumerate(whole.error) if e is not None] == bad
    monkeypatch.setattr(_frame, "_FIRST_ROWS", 1)
    monkeypatch.setattr(_frame, "_CHUNK_ROWS", 8)  # chunks of 1, 2, 4, 8, 8, 8, 8, 1 rows
    assert [b - a for a, b in _frame._chunks(40, 8)] == [1, 2, 4, 8, 8, 8, 8, 1]
    pd.testing.assert_frame_equal(mesoscreen.screen_frame(df, workers=1), whole)


def test_load_rules_frame(root):
    clinic = root / "examples" / "rules" / "clinic.rules"
    if not clinic.exists():
        pytest.skip("no example clinic file")
    rs = mesoscreen.load_rules(clinic)
    df = pd.DataFrame({"age": [16, 40], "guardian_consent": [False, None], "area": ["face", "face"]})
    out = rs.screen_frame(df)
    assert "CLINIC.MINOR_CONSENT" in out.rules[0] and "CLINIC.MINOR_CONSENT" not in out.rules[1]
    with pytest.raises(mesoscreen.RecordError):
        mesoscreen.screen_frame(df)  # the built-in table has no `age`


def test_pandas_only_imported_when_used():
    code = "import sys, mesoscreen; mesoscreen.screen({}); assert 'pandas' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_100k_rows_in_c():
    df = cohort(100_000)
    t = time.perf_counter()
    out = mesoscreen.screen_frame(df)
    elapsed = time.perf_counter() - t
    print(f"screen_frame: 100k rows in {elapsed:.2f} s")
    assert len(out) == 100_000 and out.error.isna().all()
    assert elapsed < 10, elapsed  # a Python loop per row would be far slower still
