"""Helpers and fixtures of the cluster tests, shared by test_cli_cluster.py, test_cluster.py."""

import os

import pytest

from embedcli.cluster import connect

from support import REPO

SAMPLE = os.path.join(REPO, "sample_data", "corpus.txt")


TEXT = (
    "Hope to see you soon\nNice to see you again\n\n"
    "Ünïcödé naïve café — ﬁne, well-known don’t\r\nΣΊΣΥΦΟΣ ὈΔΥΣΣΕΎΣ\n"
    "   \n<\u0338 ≠ a=b\nlast line without newline"
)


@pytest.fixture(scope="module")
def client():
    with connect("local:2") as c:
        yield c


def _corpus(tmp_path, n_files=3):
    """Sample corpus cut into files (BOM on the first, awkward text in the middle)."""
    lines = open(SAMPLE, encoding="utf-8").read().splitlines(keepends=True)[:1500]
    cut = [0, 400, 900, len(lines)]
    paths = []
    for k in range(n_files):
        p = tmp_path / f"part{k}.txt"
        body = "".join(lines[cut[k]:cut[k + 1]])
        if k == 0:
            body = "\ufeff" + body
        if k == 1:
            body = body + TEXT + "\n"
        p.write_text(body, encoding="utf-8")
        paths.append(str(p))
    return paths
