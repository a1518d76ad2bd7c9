"""Several threads screening at once give the same results as one thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import mesoscreen
from conftest import load_vector, vector_files


def records() -> list:
    vectors = [load_vector(p) for p in vector_files()]
    recs = [v["record"] for v in vectors if isinstance(v["record"], dict) and not v.get("rules")]
    recs += [
        {"patient": {"pregnant": i % 3 == 0, "medications": ["aspirin"] if i % 2 else []},
         "plan": {"area": ["face", "scalp"][i % 2], "depth_mm": 1 + i % 4}}
        for i in range(50)
    ]
    return recs


def outcome(rs: mesoscreen.RuleSet, rec: dict):
    try:
        return rs.screen(rec).to_dict()
    except mesoscreen.RecordError as e:
        return ("error", e.code, str(e))


def test_threads_screen_at_once():
    rs = mesoscreen.builtin()
    recs = records()
    expect = [outcome(rs, r) for r in recs]
    barrier = threading.Barrier(8)

    def work(k: int):
        barrier.wait()
        got = []
        for _ in range(20):
            got.append([outcome(rs, r) for r in recs[k % 3:] + recs[: k % 3]])
        return k, got

    with ThreadPoolExecutor(8) as pool:
        for k, runs in pool.map(work, range(8)):
            rotated = expect[k % 3:] + expect[: k % 3]
            for run in runs:
                assert run == rotated


def test_threads_share_a_loaded_rule_set(root):
    clinic = root / "examples" / "rules" / "clinic.rules"
    rs = mesoscreen.load_rules(clinic) if clinic.exists() else mesoscreen.RuleSet()
    recs = records()
    expect = [outcome(rs, r) for r in recs]
    with ThreadPoolExecutor(6) as pool:
        for got in pool.map(lambda _: [outcome(rs, r) for r in recs], range(12)):
            assert got == expect


def test_threads_screen_many_and_frames_at_once():
    pd = pytest.importorskip("pandas")
    recs = records()
    expect_many = [r.to_dict() if r.ok else str(r.error) for r in mesoscreen.screen_many(recs)]
    df = pd.DataFrame({"pregnant": [True, False, None] * 4000, "area": ["face", "scalp", None] * 4000,
                       "depth_mm": [0.5, 2.5, None] * 4000})
    expect_frame = mesoscreen.screen_frame(df, workers=1)

    def work(k: int):
        if k % 2:
            got = [r.to_dict() if r.ok else str(r.error) for r in mesoscreen.screen_many(recs)]
            return got == expect_many
        return mesoscreen.screen_frame(df, workers=2).equals(expect_frame)

    with ThreadPoolExecutor(6) as pool:
        assert all(pool.map(work, range(12)))
