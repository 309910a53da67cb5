"""Helpers and fixtures of the train_subwords tests, shared by test_cli_train_subwords.py,
test_train_subwords.py."""

from __future__ import annotations

import pytest

from support.train import synthetic_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return synthetic_corpus(tmp_path_factory.mktemp("corpus") / "c.txt", lines=600)
