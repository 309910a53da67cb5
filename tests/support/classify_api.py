"""Helpers and fixtures of the classify_api tests, shared by test_classify_api.py,
test_cli_classify_api.py."""

from __future__ import annotations

import os

import pytest

from embedcli.classify import Classifier, train_classifier

from support import REPO

SAMPLE_TRAIN = os.path.join(REPO, "sample_data", "labeled.txt")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "clickbait"
    train_classifier([SAMPLE_TRAIN], dim=20, epochs=5, seed=3, word_ngrams=2).save(out)
    return str(out)


@pytest.fixture(scope="module")
def clf(model_dir):
    return Classifier.load(model_dir)
