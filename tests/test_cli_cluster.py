"""--dask against the real engine: a distributed.LocalCluster of worker processes (127.0.0.1).
Through the command line; the library tests are in test_cluster.py."""

import json
import os
import subprocess
import sys

import numpy as np

from support import REPO
from support.cluster import SAMPLE, _corpus, client


def _cli(*args, env=None):
    e = dict(os.environ)
    e["PYTHONPATH"] = REPO + os.pathsep + e.get("PYTHONPATH", "")
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "embedcli", *args], capture_output=True, text=True, env=e,
                          timeout=300)


def test_cli_vocab_and_encode_against_scheduler_address(client, tmp_path):
    """The command line with --dask tcp://127.0.0.1:PORT (and EMBEDCLI_DASK): same files as one machine."""
    address = client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    paths = _corpus(tmp_path)
    one = _cli("vocab", *paths, "-o", str(tmp_path / "one.json"), "-q", "--min-count", "2")
    assert one.returncode == 0, one.stderr
    many = _cli("vocab", *paths, "-o", str(tmp_path / "many.json"), "--min-count", "2", "--json", "--dask", address)
    assert many.returncode == 0, many.stderr
    assert json.loads(many.stdout)["size"] > 100
    assert (tmp_path / "many.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    vocab_path = str(tmp_path / "one.json")
    enc1 = _cli("encode", "-v", vocab_path, "-i", paths[1], "--maxlen", "9", "-o", str(tmp_path / "one.npy"), "-q")
    assert enc1.returncode == 0, enc1.stderr
    enc2 = _cli("encode", "-v", vocab_path, "-i", paths[1], "--maxlen", "9", "-o", str(tmp_path / "many.npy"),
                "--json", env={"EMBEDCLI_DASK": address})
    assert enc2.returncode == 0, enc2.stderr
    assert json.loads(enc2.stdout)["rows"] == np.load(tmp_path / "one.npy").shape[0]
    assert (tmp_path / "many.npy").read_bytes() == (tmp_path / "one.npy").read_bytes()
    # several inputs, one of them a table read as its text column (as on one machine)
    (tmp_path / "t.tsv").write_text("n\ttext\n1\thope to see you\n2\tnice to see you again\n", encoding="utf-8")
    inputs = ["-i", paths[0], "-i", str(tmp_path / "t.tsv"), "-i", paths[2], "--text-column", "text"]
    enc1 = _cli("encode", "-v", vocab_path, *inputs, "--maxlen", "9", "-o", str(tmp_path / "one2.npy"), "-q")
    assert enc1.returncode == 0, enc1.stderr
    enc2 = _cli("encode", "-v", vocab_path, *inputs, "--maxlen", "9", "-o", str(tmp_path / "many2.npy"), "-q",
                "--dask", address)
    assert enc2.returncode == 0, enc2.stderr
    assert (tmp_path / "many2.npy").read_bytes() == (tmp_path / "one2.npy").read_bytes()


def test_cli_errors_are_one_line(client, tmp_path):
    address = client.scheduler.address
    vocab = _cli("vocab", SAMPLE, "-o", str(tmp_path / "v.json"), "-q")
    assert vocab.returncode == 0
    cases = [
        (("vocab", "-", "-o", str(tmp_path / "x.json"), "--dask", address), "standard input"),
        (("vocab", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "x.json"), "--dask", address), "no such file"),
        (("encode", "-v", str(tmp_path / "v.json"), "-i", SAMPLE, "-o", str(tmp_path / "x.csv"), "--dask", address),
         "writes a .npy"),
        (("encode", "-v", str(tmp_path / "v.json"), "-i", SAMPLE, "-o", str(tmp_path / "d"), "--parts"),
         "--parts applies with --dask"),
        (("vocab", SAMPLE, "-o", str(tmp_path / "x.json"), "--dask", "local:none"), "local:N"),
        (("train", os.path.join(REPO, "sample_data", "labeled.txt"), "--objective", "classify", "-o",
          str(tmp_path / "m"), "--dask", address), "--dask is not available with --objective classify"),
        (("train", SAMPLE, "--dry-run", "--dask", address), "drop --dask"),
    ]
    for args, message in cases:
        res = _cli(*args)
        assert res.returncode != 0, args
        assert message in res.stderr, (args, res.stderr)
        assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_without_the_extra_one_line_says_how_to_install(tmp_path):
    """dask missing: --dask fails with one line naming the extra; without --dask dask is never imported."""
    code = (
        "import sys\n"
        "sys.modules['distributed'] = None\n"
        "from embedcli.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    e = dict(os.environ, PYTHONPATH=REPO)
    res = subprocess.run([sys.executable, "-c", code, "vocab", SAMPLE, "-o", str(tmp_path / "v.json"),
                          "--dask", "local:1"], capture_output=True, text=True, env=e, timeout=120)
    assert res.returncode == 2
    assert "pip install 'embedcli[dask]'" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    code = (
        "import sys\n"
        "from embedcli.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'fsspec'))\n"
        "print(bad)\n"
    )
    res = subprocess.run([sys.executable, "-c", code, "vocab", SAMPLE, "-o", str(tmp_path / "v.json"), "-q"],
                         capture_output=True, text=True, env=e, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_cli_train_dask_from_a_url_equals_one_machine(client, tmp_path):
    """train --dask with the corpus as a URL (read by the client through fsspec): one machine's table."""
    corpus = "file://" + os.path.abspath(SAMPLE)
    common = ["--dim", "8", "--epochs", "1", "--round-batches", "2", "-q"]
    one = _cli("train", SAMPLE, "-o", str(tmp_path / "one"), "--workers", "1", *common)
    assert one.returncode == 0, one.stderr
    many = _cli("train", corpus, "-o", str(tmp_path / "many"), "--dask", client.scheduler.address, *common)
    assert many.returncode == 0, many.stderr
    assert (tmp_path / "many" / "table.npy").read_bytes() == (tmp_path / "one" / "table.npy").read_bytes()
    assert corpus in (tmp_path / "many" / "config.yaml").read_text()
