import pytest
from click.testing import CliRunner

SEED_TEXT = "Hope to see you soon\nNice to see you again\n"


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def seed_corpus(tmp_path):
    path = tmp_path / "seed.txt"
    path.write_text(SEED_TEXT, encoding="utf-8")
    return path


@pytest.fixture
def big_corpus(tmp_path):
    """400,000 Zipf-distributed tokens over 3,000 words, 20 per line: a few seconds per epoch, so a
    run can be watched (logs) or killed (temporary files) while it trains."""
    import numpy as np

    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(3000)])
    ids = rng.zipf(1.2, 400_000) % len(words)
    path = tmp_path / "big.txt"
    path.write_text("\n".join(" ".join(words[ids[i : i + 20]]) for i in range(0, len(ids), 20)) + "\n")
    return path
