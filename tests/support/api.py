"""Helpers and fixtures of the api tests, shared by test_api.py, test_cli_api.py."""

import pathlib

import pytest

import embedcli

from support import REPO

CORPUS = pathlib.Path(REPO, "sample_data", "corpus.txt")


FAST = {"dim": 16, "epochs": 2, "min_count": 2}


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


@pytest.fixture(scope="module")
def emb():
    return embedcli.train(CORPUS, workers=1, **FAST)
