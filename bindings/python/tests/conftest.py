"""Shared fixtures: the repository's root, the shared test vectors."""

from __future__ import annotations

import json
import os
import pathlib

import pytest

ROOT = pathlib.Path(os.environ.get("MESOSCREEN_SOURCE_ROOT") or pathlib.Path(__file__).resolve().parents[3])
VECTORS = ROOT / "tests" / "vectors"


def vector_files() -> list[pathlib.Path]:
    """Every shared vector present (tests/vectors/*.json)."""
    return sorted(VECTORS.glob("*.json"))


def load_vector(path: pathlib.Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def contract_record() -> dict:
    """The intake record of contract.md."""
    return {
        "patient": {
            "pregnant": False,
            "breastfeeding": "no",
            "stroke_history": None,
            "insulin_dependent_diabetes": False,
            "cancer": False,
            "clotting_disorder": False,
            "urticaria": False,
            "heart_disease_multiple_drugs": False,
            "needle_phobia": False,
            "medications": ["aspirin 100 mg", "Eliquis"],
            "allergies": ["lidocaine"],
            "hair_transplant_months_ago": 3,
            "conditions": ["Z39.1"],
        },
        "plan": {
            "area": "scalp",
            "technique": "needle",
            "ingredients": ["biotin", "hyaluronic acid", "lidocaine"],
            "numbing_cream": True,
            "depth_mm": 2.5,
        },
    }
