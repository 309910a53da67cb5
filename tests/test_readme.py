"""The README stays true: its console examples run and print what it shows; its Python session
sessions (``pycon`` blocks) run as doctests.

The examples run in order in one scratch directory holding copies of ``sample_data/`` and
``configs/``, with ``embedcli`` being this checkout's code (``python -m embedcli``). Each
``$ command`` is run by bash; the lines after it, up to the next ``$`` or the end of the block,
are its expected output (stdout and stderr as they arrive in one pipe). A line ``...`` in the
README stands for any number of lines, ``...`` inside a line for any text; durations (``1.36s``)
and speeds (``461,523 words/s``) are compared as placeholders, since they are measured, and
lines are compared without their leading and trailing spaces. ``embedcli train`` runs with
``--workers 2``, as the README's figures were made (any number of workers gives the same bytes).
Decimal numbers are compared to within their last digits (:func:`numbers_close`): the README was
printed on one machine, and a CPU whose BLAS kernels sum the matrix products in another order
trains a table that differs in its last bits; text and integers must be equal.
"""

from __future__ import annotations

import doctest
import os
import re
import shutil
import subprocess
import sys

import pytest

from support import REPO

README = os.path.join(REPO, "README.md")


TIMING = [
    (re.compile(r"\b\d[\d,]*(\.\d+)? words/s"), "<N> words/s"),
    (re.compile(r"\b\d+(\.\d+)?s\b"), "<T>s"),
]


def blocks(kind: str) -> list[str]:
    with open(README, encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"```" + kind + r"\n(.*?)```", text, flags=re.S)


def console_examples() -> list[tuple[str, list[str]]]:
    examples: list[tuple[str, list[str]]] = []
    for block in blocks("console"):
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append((line[2:], []))
            else:
                examples[-1][1].append(line)
    return examples


def normalise(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        line = line.strip()  # a terminal centres table titles; a log file does not
        for pattern, placeholder in TIMING:
            line = pattern.sub(placeholder, line)
        out.append(line)
    return out


DECIMAL = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?")


def numbers_close(expected: str, actual: str) -> bool:
    """The same decimals to within what a change of the float32 products' last bits can move a
    trained table's printed numbers: ``abs(a - e) <= 1e-4 * abs(e) + 1.5 * 10**-places``
    (``places``: the decimals printed; a 4-place cosine may round the other way)."""
    a, e = float(actual), float(expected)
    mantissa = expected.split("e")[0].split("E")[0]
    places = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(expected.lower().split("e")[1]) if "e" in expected.lower() else 0
    return abs(a - e) <= 1e-4 * abs(e) + 1.5 * 10.0 ** (exponent - places)


def line_matches(expected: str, actual: str) -> bool:
    """Equal, where ``...`` inside ``expected`` stands for any text, and a decimal number of
    ``expected`` for one :func:`numbers_close` to it (the README's numbers were printed on one
    machine; another CPU's BLAS kernels sum the matrix products in another order, so a trained
    table's last bits, and a score's last digits, differ: the text and the integers do not)."""
    if expected == actual:
        return True
    pattern, numbers = [], []
    for k, part in enumerate(expected.split("...")):
        if k:
            pattern.append(".*")
        pos = 0
        for m in DECIMAL.finditer(part):
            pattern += [re.escape(part[pos : m.start()]), f"({DECIMAL.pattern})"]
            numbers.append(m.group())
            pos = m.end()
        pattern.append(re.escape(part[pos:]))
    m = re.fullmatch("".join(pattern), actual)
    return m is not None and all(numbers_close(e, a) for e, a in zip(numbers, m.groups()))


class NumbersChecker(doctest.OutputChecker):
    """doctest's comparison (``ELLIPSIS``, ``NORMALIZE_WHITESPACE``), then line by line with
    :func:`line_matches`, spaces left out (numpy pads an array's numbers to one width): a printed
    float may differ in its last digits on another CPU."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        if super().check_output(want, got, optionflags):
            return True
        wanted = ["".join(line.split()) for line in want.strip().splitlines()]
        gotten = ["".join(line.split()) for line in got.strip().splitlines()]
        return len(wanted) == len(gotten) and all(line_matches(w, g) for w, g in zip(wanted, gotten))


def matches(expected: list[str], actual: list[str]) -> bool:
    """``expected`` equals ``actual`` where a ``...`` line of ``expected`` takes any lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and line_matches(expected[0], actual[0]) and matches(expected[1:], actual[1:])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("readme")
    for name in ("sample_data", "configs"):
        shutil.copytree(os.path.join(REPO, name), work / name)
    bin_dir = work / ".bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "embedcli"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m embedcli "$@"\n')
    wrapper.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", COLUMNS="100",
               PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("EMBEDCLI_DEBUG", None)
    return work, env


def test_the_readme_has_console_examples_and_a_python_session():
    assert len(console_examples()) >= 15 and len(blocks("pycon")) >= 2


@pytest.fixture(scope="module")
def console_runs(workdir):
    """Every console example run in order: (command, expected lines, output lines, exit code)."""
    work, env = workdir
    runs = []
    for command, expected in console_examples():
        run = command
        if re.match(r"embedcli train\b", command) and "--workers" not in command:
            run = command + " --workers 2"
        proc = subprocess.run(["bash", "-c", run], cwd=work, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        runs.append((command, expected, proc.stdout.splitlines(), proc.returncode))
    return runs


def test_console_examples_print_what_the_readme_shows(console_runs):
    failures = []
    for command, expected, actual, code in console_runs:
        if code != 0:
            failures.append(f"$ {command}\nexit {code}\n" + "\n".join(actual))
        elif expected and not matches(normalise(expected), normalise(actual)):
            failures.append(f"$ {command}\n--- README\n" + "\n".join(expected) + "\n--- got\n" + "\n".join(actual))
    assert not failures, "\n\n".join(failures)


def test_python_sessions_run_as_shown(workdir, console_runs):
    work, _ = workdir  # console_runs trained models/default and models/clickbait there
    runner = doctest.DocTestRunner(checker=NumbersChecker(),
                                   optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    names: dict = {"embedcli": __import__("embedcli")}  # the sessions run in order, sharing names
    cwd = os.getcwd()
    os.chdir(work)
    try:
        for k, session in enumerate(blocks("pycon")):
            test = doctest.DocTestParser().get_doctest(session, names, f"README.md (Python session {k + 1})",
                                                        README, 0)
            runner.run(test, out=report.append, clear_globs=False)
    finally:
        os.chdir(cwd)
    assert runner.tries > 20 and runner.failures == 0, "".join(report)


def test_docstring_examples_run_as_shown(workdir, console_runs):
    """The examples in the public objects' docstrings (what ``help()`` shows), run in the README's
    working directory: ``emb`` is models/default, ``clf``'s models/classifier a classifier trained
    with the defaults."""
    import embedcli
    from embedcli.classify import Classifier

    work, _ = workdir
    cwd = os.getcwd()
    os.chdir(work)
    try:
        embedcli.train("sample_data/labeled.txt", objective="classify", output="models/classifier")
        names = {"embedcli": embedcli, "Vocab": embedcli.Vocab, "emb": embedcli.load("models/default"),
                 "vocab": embedcli.Vocab.build(["Hope to see you soon", "Nice to see you again"])}
        runner = doctest.DocTestRunner(checker=NumbersChecker(),
                                   optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        report: list[str] = []
        finder = doctest.DocTestFinder(recurse=False)
        objects = [Classifier, *vars(embedcli.Embeddings).values(), *vars(embedcli.Vocab).values()]
        for obj in objects:
            obj = getattr(obj, "__func__", obj)  # class and static methods
            if callable(obj) and getattr(obj, "__doc__", None):
                for test in finder.find(obj, getattr(obj, "__qualname__", repr(obj)), globs=dict(names)):
                    runner.run(test, out=report.append)
    finally:
        os.chdir(cwd)
    assert runner.tries >= 15 and runner.failures == 0, "".join(report)
