"""--dask against the real engine: a distributed.LocalCluster of worker processes (127.0.0.1).
Through the command line; the library tests are in test_cluster.py."""

import json
import os
import signal
import subprocess
import sys
import time

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


def test_cli_train_dask_expands_url_wildcards_as_vocab_and_encode_do(client, tmp_path):
    """train --dask 'file:///.../part*.txt': the files the wildcard matches, sorted (as vocab and encode
    --dask read them), one machine's table from them, and config.yaml names them. Before: 'no such file'."""
    paths = _corpus(tmp_path)
    common = ["--dim", "8", "--epochs", "1", "--round-batches", "2", "--min-count", "2", "-q"]
    one = _cli("train", *paths, "-o", str(tmp_path / "one"), "--workers", "1", *common)
    assert one.returncode == 0, one.stderr
    pattern = "file://" + str(tmp_path / "part*.txt")
    many = _cli("train", pattern, "-o", str(tmp_path / "many"), "--dask", client.scheduler.address, *common)
    assert many.returncode == 0, many.stderr
    assert (tmp_path / "many" / "table.npy").read_bytes() == (tmp_path / "one" / "table.npy").read_bytes()
    saved = (tmp_path / "many" / "config.yaml").read_text()
    assert all("file://" + p in saved for p in paths), saved
    res = _cli("train", "file://" + str(tmp_path / "nothing*.txt"), "-o", str(tmp_path / "x"), "--dask",
               client.scheduler.address, *common)
    assert res.returncode != 0 and "no file matches" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_env_default_is_for_jobs_a_cluster_runs(tmp_path):
    """With EMBEDCLI_DASK exported (as docs/scaling.md shows), the jobs a cluster cannot run (encode
    of phrases, of stdin or into a .csv, vocab of stdin, a classifier, --dry-run) run on this machine,
    as without it. Before, each failed with a '--dask ...' error for a flag nobody typed. The address
    here is unreachable: none of them may try it. A typed --dask still refuses them."""
    env = {"EMBEDCLI_DASK": "tcp://127.0.0.1:9"}
    vocab = str(tmp_path / "v.json")
    assert _cli("vocab", SAMPLE, "-o", vocab, "-q", env={"EMBEDCLI_DASK": ""}).returncode == 0
    text = open(SAMPLE, encoding="utf-8").read()[:5000]
    labeled = os.path.join(REPO, "sample_data", "labeled.txt")
    cases = [
        (("encode", "-v", vocab, "nice to see you"), None),
        (("encode", "-v", vocab, "-i", SAMPLE, "-o", str(tmp_path / "e.csv"), "-q"), None),
        (("encode", "-v", vocab, "-i", "-", "-o", str(tmp_path / "e.npy"), "-q"), text),
        (("vocab", "-", "-o", str(tmp_path / "v2.json"), "-q"), text),
        (("train", "--objective", "classify", labeled, "-o", str(tmp_path / "clf"), "--dim", "8", "--epochs", "1",
          "-q"), None),
        (("train", SAMPLE, "--dry-run", "-q"), None),
    ]
    for args, stdin in cases:
        res = subprocess.run([sys.executable, "-m", "embedcli", *args], input=stdin, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
                                  **env}, timeout=120)
        assert res.returncode == 0, (args, res.stderr)
    res = _cli("encode", "-v", vocab, "nice to see you", "--dask", "tcp://127.0.0.1:9")
    assert res.returncode == 2 and "--dask encodes a file" in res.stderr


def _sigint_ignored(pid: int) -> bool:
    with open(f"/proc/{pid}/status") as f:
        mask = next(int(line.split()[1], 16) for line in f if line.startswith("SigIgn:"))
    return bool(mask & (1 << (signal.SIGINT - 1)))


def _workers_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-ww", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if "spawn_main" in line]


def _wait_for(condition, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _train_on_local_cluster(corpus, out):
    """``train --dask local:2`` (200 epochs) in a process group of its own that takes Ctrl-C as
    from a terminal, once its first epoch is done."""
    e = dict(os.environ)
    e["PYTHONPATH"] = REPO + os.pathsep + e.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "embedcli", "train", str(corpus), "-o", str(out), "--epochs", "200",
         "--dim", "8", "--dask", "local:2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    first = proc.stderr.readline()
    if not first.startswith("epoch 1/200"):
        proc.kill()
        proc.wait()
        raise AssertionError(first)
    return proc


def _ctrl_c(proc) -> str:
    """Ctrl-C to the run's process group, as a terminal sends it; its stderr after that."""
    os.killpg(proc.pid, signal.SIGINT)
    return proc.communicate(timeout=120)[1]


def _kill(proc) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_ctrl_c_of_train_on_a_local_cluster_is_one_line(tmp_path):
    """Ctrl-C reaches the whole foreground process group, local:N's worker processes too (also one
    restarted after it died): they leave it to the command, which stops them and says one line.
    Before, every worker printed a KeyboardInterrupt traceback of its own."""
    words = [f"w{i}" for i in range(2000)]
    rng = np.random.default_rng(0)
    ids = rng.zipf(1.2, 200_000) % len(words)
    corpus = tmp_path / "big.txt"
    corpus.write_text("\n".join(" ".join(words[k] for k in ids[i:i + 20]) for i in range(0, len(ids), 20)) + "\n",
                      encoding="utf-8")
    proc = _train_on_local_cluster(corpus, tmp_path / "m")
    try:
        workers = _workers_of(proc.pid)
        assert len(workers) == 2, workers
        assert all(_sigint_ignored(w) for w in workers)
        os.kill(workers[0], signal.SIGKILL)  # the nanny starts another one
        _wait_for(lambda: len(set(_workers_of(proc.pid)) - {workers[0]}) == 2, "no worker was restarted")
        again = (set(_workers_of(proc.pid)) - set(workers)).pop()
        _wait_for(lambda: _sigint_ignored(again), "the restarted worker does not ignore Ctrl-C")
        assert proc.poll() is None, "training finished before the signal: make the corpus bigger"
        rest = _ctrl_c(proc)
    finally:
        _kill(proc)
    assert proc.returncode == 130, rest
    assert "KeyboardInterrupt" not in rest and "Dask Worker process" not in rest, rest
    assert rest.strip().splitlines()[-1].startswith("Error: interrupted"), rest
    assert not (tmp_path / "m").exists()
    _wait_for(lambda: not _workers_of(proc.pid) and not [w for w in workers + [again] if os.path.exists(f"/proc/{w}")],
              "worker processes left behind", timeout=60)


def test_ctrl_c_during_a_round_leaves_no_unretrieved_task_traceback(tmp_path):
    """Ctrl-C while the client waits for a round's results (most of a run's time): the round's
    futures are cancelled, and an interrupted Client.gather left tasks that logged "Task exception
    was never retrieved ... AllExit" with a traceback when the client closed (about one run in
    two). Interrupted at a few moments of the run, each gives only the 'interrupted' line."""
    corpus = tmp_path / "c.txt"
    rng = np.random.default_rng(1)
    ids = rng.zipf(1.3, 150_000) % 1500
    corpus.write_text("\n".join(" ".join(f"w{k}" for k in ids[i:i + 15]) for i in range(0, len(ids), 15)) + "\n",
                      encoding="utf-8")
    for delay in (0.3, 1.1, 1.9, 2.7):
        proc = _train_on_local_cluster(corpus, tmp_path / "m")
        try:
            time.sleep(delay)
            rest = _ctrl_c(proc)
        finally:
            _kill(proc)
        assert proc.returncode == 130, rest
        assert "never retrieved" not in rest and "AllExit" not in rest, (delay, rest)


def test_a_malformed_scheduler_address_is_one_line(tmp_path):
    """An address distributed cannot parse (no port, a port that is not a number, a scheme it does
    not know) is a user mistake: one line naming --dask, exit 2, not a ValueError traceback."""
    for address in ("127.0.0.1:notaport", "tcp://", "http://127.0.0.1:1"):
        res = _cli("vocab", SAMPLE, "-o", str(tmp_path / "x.json"), "--dask", address)
        assert res.returncode == 2, (address, res.stderr)
        assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert res.stderr.startswith(f"Error: --dask {address}: not a scheduler address"), res.stderr
    assert not (tmp_path / "x.json").exists()


def test_cli_encode_reports_as_one_machine(client, tmp_path):
    """encode --dask --json gives one machine's keys and values (rows cut, padded, longest) plus
    the cluster's; the summary line prints an output name with brackets as it is."""
    vocab_path = str(tmp_path / "v.json")
    assert _cli("vocab", SAMPLE, "-o", vocab_path, "-q").returncode == 0
    one = _cli("encode", "-v", vocab_path, "-i", SAMPLE, "--maxlen", "6", "-o", str(tmp_path / "one.npy"), "--json")
    assert one.returncode == 0, one.stderr
    many = _cli("encode", "-v", vocab_path, "-i", SAMPLE, "--maxlen", "6", "-o", str(tmp_path / "many.npy"), "--json",
                "--dask", client.scheduler.address)
    assert many.returncode == 0, many.stderr
    one, many = json.loads(one.stdout), json.loads(many.stdout)
    assert one["truncated"] > 0
    assert {k: many[k] for k in one if k != "output"} == {k: v for k, v in one.items() if k != "output"}
    out = str(tmp_path / "a[/b].npy")
    res = _cli("encode", "-v", vocab_path, "-i", SAMPLE, "--maxlen", "6", "-o", out, "--dask", client.scheduler.address)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    assert f"written to {out} (npy)" in res.stdout and f"cut to 6 ids (longest: {one['longest']})" in res.stdout


def test_cli_encode_notes_padding_with_a_word_as_one_machine(client, tmp_path):
    """A vocabulary without <pad>: one machine notes on stderr that rows were padded with a word's
    id; encode --dask gives the same note (it printed none)."""
    vocab_path = str(tmp_path / "v.json")
    assert _cli("vocab", SAMPLE, "-o", vocab_path, "-q", "--no-specials").returncode == 0
    args = ["encode", "-v", vocab_path, "-i", SAMPLE, "--maxlen", "12", "--oov", "skip"]
    one = _cli(*args, "-o", str(tmp_path / "one.npy"))
    many = _cli(*args, "-o", str(tmp_path / "many.npy"), "--dask", client.scheduler.address)
    assert one.returncode == many.returncode == 0, many.stderr
    assert "has no <pad>" in one.stderr and many.stderr == one.stderr
    assert (tmp_path / "many.npy").read_bytes() == (tmp_path / "one.npy").read_bytes()
