"""Cross-cutting reliability: no tracebacks for user mistakes, atomic writes, --debug. Through the
command line; the library tests are in test_reliability.py."""

import contextlib
import json
import os
import stat
import sys

from embedcli.cli import main
from embedcli.errors import EmbedcliError


def read_only_target(tmp_path):
    if os.geteuid() == 0:  # root writes anywhere on a normal file system; sysfs refuses even root
        return "/sys/embedcli-test-output.json"
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    return str(locked / "out.json")


def test_output_into_read_only_location(runner, seed_corpus, tmp_path):
    target = read_only_target(tmp_path)
    r = runner.invoke(main, ["vocab", str(seed_corpus), "-o", target])
    assert r.exit_code == 1, r.output
    assert r.output.count("\n") == 1 and "cannot write" in r.output and "Traceback" not in r.output


def test_debug_shows_the_traceback(runner, tmp_path):
    r = runner.invoke(main, ["--debug", "vocab", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "v.json")])
    assert r.exit_code == 1
    assert isinstance(r.exception, EmbedcliError)
    r = runner.invoke(main, ["vocab", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "v.json")],
                      env={"EMBEDCLI_DEBUG": "1"})
    assert isinstance(r.exception, EmbedcliError)
    r = runner.invoke(main, ["vocab", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "v.json")])
    assert isinstance(r.exception, SystemExit) and "Traceback" not in r.output


def test_help_of_every_command_has_an_example(runner):
    r = runner.invoke(main, ["--help"])
    assert r.exit_code == 0
    commands = [line.split()[0] for line in r.output.split("Commands:")[1].splitlines() if line.startswith("  ")]
    assert {"vocab", "encode"} <= set(commands)
    for name in commands:
        r = runner.invoke(main, [name, "--help"])
        assert r.exit_code == 0, name
        description = r.output.split("Options:")[0]
        assert "Example" in description, f"{name} --help has no example"
        examples = description.split("Example")[1]
        assert f"  embedcli {name} " in examples, f"{name} --help has no example of 'embedcli {name}'"


def test_version(runner):
    from embedcli import __version__

    r = runner.invoke(main, ["--version"])
    assert r.exit_code == 0 and __version__ in r.output


def test_unicode_is_text_not_an_error(runner, tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_bytes("\ufeffCafé café CAFÉ\r\ncafe\u0301\r\n".encode())
    out = tmp_path / "v.json"
    r = runner.invoke(main, ["vocab", str(corpus), "-o", str(out), "--no-specials", "-q"])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["tokens"] == ["café"] and data["counts"] == [4]


def test_one_very_long_line_is_read_in_bounded_memory(tmp_path):
    """A 40 MB corpus with no newline at all: vocab counts it exactly with bounded memory."""
    import resource
    import subprocess

    words = " ".join(f"word{i % 1000}" for i in range(1000)) + " "
    path = tmp_path / "one-line.txt"
    with open(path, "w") as f:
        for _ in range(5_000):  # ~40 MB, one line
            f.write(words)
    assert path.stat().st_size > 39_000_000
    out = tmp_path / "v.json"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([sys.executable, "-m", "embedcli", "vocab", str(path), "-o", str(out), "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    summary = json.loads(proc.stdout)
    assert summary["corpus_tokens"] == 5_000_000 and summary["size"] == 1002
    assert json.loads(out.read_text())["counts"][2:] == [5000] * 1000
    # the file is 40 MB; reading it whole as tokens would take several hundred MB
    assert peak_mb < 200 or before / 1024 >= 200, f"peak RSS {peak_mb:.0f} MB"


def test_output_to_a_fifo_or_device_is_written_into_it_not_replaced(runner, seed_corpus, tmp_path):
    # -o /dev/null, a named pipe, /dev/stdout: written in place; the rename of an atomic write replaced
    # them with a regular file (as root: /dev/null itself), or failed for want of a temporary file beside
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so that opening it to write does not wait
    try:
        r = runner.invoke(main, ["vocab", str(seed_corpus), "-o", str(fifo), "-q"])
        assert r.exit_code == 0, r.output
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        got = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert json.loads(got)["format"] == "embedcli-vocab"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporary file left


def _fifo(path, text):
    """A named pipe at ``path`` that a thread fills with ``text`` (str or bytes) once a reader opens it
    (as a shell's <(...) or /dev/stdin of a pipe: an input that cannot seek)."""
    import threading

    os.mkfifo(path)

    def write():
        with open(path, "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode("utf-8"))

    threading.Thread(target=write, daemon=True).start()
    return str(path)


def test_input_from_a_named_pipe_is_read_not_sought(runner, seed_corpus, tmp_path):
    # 'similar -i <(grep ...)', 'embed -i /dev/stdin': open_binary sought back after reading the first
    # bytes (to see a compression), an io.UnsupportedOperation traceback on a pipe
    model = tmp_path / "m"
    r = runner.invoke(main, ["train", str(seed_corpus), "-o", str(model), "--dim", "8", "--epochs", "1", "--min-count", "1",
                               "-q"])
    assert r.exit_code == 0, r.output
    words = seed_corpus.read_text(encoding="utf-8").split()[:2]
    r = runner.invoke(main, ["similar", str(model), "-i", _fifo(tmp_path / "q", "\n".join(words) + "\n"), "--json"])
    assert r.exit_code == 0, r.output
    assert [json.loads(line)["query"] for line in r.stdout.splitlines()] == words
    r = runner.invoke(main, ["embed", str(model), "-i", _fifo(tmp_path / "p", " ".join(words) + "\n"), "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["known"] == 2, r.output


def test_a_corpus_from_a_named_pipe_is_read_whole(runner, tmp_path):
    # 'train <(zcat corpus.gz)', 'vocab <(cat a b)': the command's size for its progress bar (and vocab's
    # plan of shards) opened the pipe to look for a compression, and the buffered bytes it read were gone:
    # a text corpus lost its first 8 KB without a word, a compressed one 'looks like a binary file'
    import gzip

    text = "".join(f"line {i} of the corpus with word{i % 50} and word{i % 7}\n" for i in range(2000))
    plain = tmp_path / "c.txt"
    plain.write_text(text, encoding="utf-8")
    args = ["--dim", "8", "--epochs", "1", "--min-count", "1", "--workers", "1", "-q"]
    assert runner.invoke(main, ["train", str(plain), "-o", str(tmp_path / "m"), *args]).exit_code == 0
    want = (tmp_path / "m" / "table.npy").read_bytes()
    for name, data in (("p", text.encode()), ("z", gzip.compress(text.encode()))):
        with _shell_pipe(data) as path:
            r = runner.invoke(main, ["train", path, "-o", str(tmp_path / f"m{name}"), *args])
        assert r.exit_code == 0, r.output
        assert (tmp_path / f"m{name}" / "table.npy").read_bytes() == want, name
    with _shell_pipe(text.encode()) as path:
        r = runner.invoke(main, ["vocab", path, "--min-count", "1", "--json", "-o", str(tmp_path / "v.json")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["corpus_tokens"] == len(text.split())


@contextlib.contextmanager
def _shell_pipe(data: bytes):
    """A shell's <(...): /dev/fd/N of a pipe that another process fills with ``data``, its read end held
    open by this process (so a reader that closes it early loses what it read, as in a shell)."""
    import subprocess

    writer = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read())"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    writer.stdin.write(data)  # (the pipe's buffer holds it: the tests' data is small)
    writer.stdin.close()
    try:
        yield f"/dev/fd/{writer.stdout.fileno()}"
    finally:
        writer.stdout.close()
        writer.wait(timeout=10)


def _full_disk(limit_bytes):
    """A child process whose files cannot grow past ``limit_bytes`` (as on a full disk: writes
    fail, EFBIG instead of ENOSPC), SIGXFSZ ignored so the write returns the error."""
    import resource
    import signal

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return limit


def _train_on_a_full_disk(tmp_path, limit_bytes, *extra):
    import subprocess

    words = [f"w{i}" for i in range(2000)]
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(words[j:j + 20]) for j in range(0, 2000, 20)) * 10 + "\n")
    out = tmp_path / "model"
    proc = subprocess.run([sys.executable, "-m", "embedcli", "train", str(corpus), "-o", str(out), "--dim", "64",
                           "--epochs", "1", "--min-count", "1", "--workers", "1", "--quiet", *extra],
                          capture_output=True, text=True, timeout=120, preexec_fn=_full_disk(limit_bytes))
    return proc, out


def test_a_full_disk_under_the_model_is_one_line(tmp_path):
    proc, out = _train_on_a_full_disk(tmp_path, 200_000)  # the ids fit; table.npy (2002 x 64) does not
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert "cannot write" in proc.stderr
    assert not out.exists() and sorted(os.listdir(tmp_path)) == ["c.txt"]


def test_a_full_tmp_dir_is_one_line_naming_it(tmp_path):
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    proc, out = _train_on_a_full_disk(tmp_path, 20_000, "--tmp-dir", str(tmp_dir))  # the ids do not fit
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert str(tmp_dir) in proc.stderr
    assert not out.exists() and os.listdir(tmp_dir) == []
