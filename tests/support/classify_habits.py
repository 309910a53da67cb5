"""Helpers and fixtures of the classify_habits tests, shared by test_classify_habits.py,
test_cli_classify_habits.py."""

from __future__ import annotations

import os

import pytest

from support import REPO

SAMPLE_TRAIN = os.path.join(REPO, "sample_data", "labeled.txt")


SAMPLE_TEST = os.path.join(REPO, "sample_data", "labeled_test.txt")


@pytest.fixture
def twelve_lines(tmp_path):
    path = tmp_path / "twelve.txt"
    with open(SAMPLE_TRAIN, encoding="utf-8") as f:
        path.write_text("".join(next(f) for _ in range(12)), encoding="utf-8")
    return path
