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
