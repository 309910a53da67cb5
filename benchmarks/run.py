#!/usr/bin/env python3
"""embedcli vs its peers, side by side in one run, every side a whole process.

    python benchmarks/run.py --corpus-dir /work/shared/corpora
    python benchmarks/run.py --corpus-dir /work/shared/corpora --scale 10 --repeat 3 --cases vocab encode
    python benchmarks/run.py --corpus-dir /work/shared/corpora --cases train scale --train-epochs 1

Cases (``--cases``, default all):

* ``vocab``: ``embedcli vocab`` (all cores, and ``-j 1``) vs Hugging Face tokenizers'
  ``WordLevelTrainer`` (Lowercase normaliser, Whitespace pre-tokenizer) on the same file, at ×1
  (kjv.txt + enwiki.txt) and ×SCALE (that text SCALE times).
* ``encode``: ``embedcli encode --maxlen 64 -o x.npy`` vs tokenizers ``encode_batch`` with
  padding/truncation to 64 (left = Keras' pre/pre) into an int32 ``.npy`` memory map, with the
  same vocabulary, at ×1 and ×SCALE.
* ``train``: skip-gram and CBOW, ``embedcli train`` vs gensim ``Word2Vec`` with 1 worker and
  with all cores, WordSim-353 Spearman beside each time (both evaluated by gensim's
  ``evaluate_word_pairs``), on the corpus tokenised by ``simple_preprocess`` in lines of at most
  1,000 tokens (the set-up of the corpora README; ``benchmarks/train_vs_gensim.py``'s ``prepare``).
* ``classify``: ``benchmarks/classify_vs_fasttext.py`` when the ``fasttext`` program exists.
* ``scale``: peak memory at ×SCALE over ×1 for vocab, encode and train (target ≤ 1.3), and the
  training time ratio ×SCALE / ×1 (linear = SCALE).

Every measurement is a subprocess: wall clock around it, peak resident memory of the whole
process tree (polled every 10 ms: the sum over a parent and its worker processes) and
``ru_maxrss`` from ``wait4`` (the largest single process). The table shows the median of
``--repeat`` runs and the ratio peer time / embedcli time (> 1: embedcli is faster). The
machine is shared: the load average before and after is printed; compare ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

PY = sys.executable
PEERS = os.path.join(HERE, "peers.py")
# the console script installed beside this Python (as in a virtualenv), not a shell wrapper
# found first on PATH: pyenv's shim alone adds about 0.1 s to every start
_BESIDE = os.path.join(os.path.dirname(PY), "embedcli")
EMBEDCLI = _BESIDE if os.access(_BESIDE, os.X_OK) else (shutil.which("embedcli") or "embedcli")


# -- measuring one process ----------------------------------------------------------------------
_COMPILED = False


def compile_embedcli() -> None:
    """Write embedcli's bytecode (``__pycache__``) once before the first timed run.

    An installed package has its ``.pyc`` files (pip compiles site-packages; an editable
    install writes them on first import), and so do the peers' packages here. Where
    ``PYTHONDONTWRITEBYTECODE`` is set (as on this machine) nothing writes them, and every timed
    ``embedcli`` process would compile its modules again (about 0.1 s of CPU a run) while
    gensim's start from bytecode."""
    global _COMPILED
    if _COMPILED:
        return
    _COMPILED = True
    import compileall

    import embedcli

    compileall.compile_dir(os.path.dirname(embedcli.__file__), quiet=1)


def _proc_kib(path: str, keys: tuple[str, ...]) -> dict[str, int]:
    """``key: N kB`` lines of a /proc file (smaps_rollup, status) as KiB; missing keys 0."""
    out = dict.fromkeys(keys, 0)
    with open(path, "rb") as f:
        for line in f:
            name, _, rest = line.partition(b":")
            key = name.decode()
            if key in out:
                out[key] = int(rest.split()[0])
    return out


def tree_memory(pids: list[int]) -> dict[str, int] | None:
    """Memory of a process tree right now, in bytes (Linux /proc; None elsewhere).

    * ``rss``: the sum of the processes' resident sets. A page shared by a parent and its
      forked children (copy-on-write pages not yet written, a ``MAP_SHARED`` mapping, the
      libraries) counts once per process, so this overstates what a forking program costs.
    * ``pss``: the sum of the proportional set sizes (``Pss`` of ``/proc/PID/smaps_rollup``): a
      page mapped by k processes counts 1/k in each, so pages shared inside the tree count once.
      File pages shared with unrelated processes (libpython, NumPy's libraries used by other
      programs on the machine) count only their share, which understates a little.
    * ``own``: what the OS provides for this tree alone: anonymous and shared-memory pages
      once (``Pss_Anon + Pss_Shmem`` summed: such pages are only shared inside the tree) plus
      the largest ``RssFile`` of one process (the children's file pages are the parent's,
      inherited by ``fork``), whoever else maps those files.
    """
    if not os.path.exists("/proc/self/smaps_rollup"):
        return None
    rss = pss = anon = file_max = 0
    for pid in pids:
        try:
            roll = _proc_kib(f"/proc/{pid}/smaps_rollup", ("Rss", "Pss", "Pss_Anon", "Pss_Shmem"))
            status = _proc_kib(f"/proc/{pid}/status", ("RssFile",))
        except (OSError, ValueError, IndexError):  # the process just ended
            continue
        rss += roll["Rss"]
        pss += roll["Pss"]
        anon += roll["Pss_Anon"] + roll["Pss_Shmem"]
        file_max = max(file_max, status["RssFile"])
    return {"rss": rss * 1024, "pss": pss * 1024, "own": (anon + file_max) * 1024}


def _tree_pids(pid: int) -> list[int]:
    """``pid`` and its descendants (``/proc/PID/task/*/children``)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


#: the memory sampling interval of timing runs. Sampling reads ``/proc/PID/smaps_rollup`` of every
#: process of the tree; every 10 ms that cost the harness ~18% of a core beside a 3-process
#: ``embedcli train --workers 2`` (1.9 s of CPU over a 10.7 s run) and less beside a one-process
#: peer, on the same 2 cores as the job: a bias against multi-process tools. Timing runs sample
#: every 0.1 s (the harness ~3% of a core); the memory case keeps 10 ms.
TIMING_POLL = 0.1


def _self_cpu() -> float:
    t = os.times()
    return t.user + t.system


def measure(cmd: list[str], *, cwd: str | None = None, poll: float = 0.01) -> dict:
    """Run ``cmd``; wall seconds, CPU seconds, peak memory of the process tree and of the largest process.

    Peaks (bytes, sampled every ``poll`` seconds, see :func:`tree_memory`): ``rss_tree`` (sum of
    the resident sets: shared pages once per process), ``pss_tree`` (proportional: pages shared
    inside the tree once) and ``own_tree`` (anonymous + shared memory once, plus one process's
    file pages); ``rss_max_process`` is ``ru_maxrss`` from ``wait4`` (the largest single
    process, sampled by the kernel: no polling gap). ``cpu_seconds`` is user + system seconds of the
    command and its reaped children.
    """
    compile_embedcli()
    try:
        import psutil
    except ImportError:  # pragma: no cover - the bench extra installs it
        psutil = None
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    own_cpu0 = _self_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd)
    peaks = {"rss": 0, "pss": 0, "own": 0}
    have_proc = os.path.exists("/proc/self/smaps_rollup")
    ps = psutil.Process(proc.pid) if psutil and not have_proc else None
    status = None
    rusage = None
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if have_proc:
            now = tree_memory(_tree_pids(proc.pid))
            for k in peaks:
                peaks[k] = max(peaks[k], now[k])
        elif ps is not None:
            try:
                rss = ps.memory_info().rss
                for child in ps.children(recursive=True):
                    try:
                        rss += child.memory_info().rss
                    except psutil.Error:
                        pass
                peaks["rss"] = max(peaks["rss"], rss)
            except psutil.Error:
                pass
        time.sleep(poll)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    stdout = out.read().decode("utf-8", "replace")
    stderr = err.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-2000:]}")
    # ru_maxrss of a child counts the harness' own pages copied by fork before exec, so it is
    # only a fallback when neither /proc nor psutil is there
    max_single = rusage.ru_maxrss * 1024  # KiB on Linux
    sampled = have_proc or ps is not None
    return {
        "seconds": seconds,
        "rss_tree": peaks["rss"] if sampled else max_single,
        "pss_tree": peaks["pss"] if have_proc else None,
        "own_tree": peaks["own"] if have_proc else None,
        "rss_max_process": max_single,
        # user + system CPU of the process and the children it waited for (worker processes,
        # threads): far less sensitive than wall time to other jobs on a shared machine
        "cpu_seconds": rusage.ru_utime + rusage.ru_stime,
        # this harness' own CPU while it sampled (it shares the machine with the job)
        "sampler_cpu_seconds": _self_cpu() - own_cpu0,
        "stdout": stdout,
    }


def repeat(cmd: list[str], n: int, before=None) -> dict:
    runs = []
    for _ in range(n):
        if before:
            before()
        runs.append(measure(cmd))
    secs = [r["seconds"] for r in runs]
    return {
        "seconds": statistics.median(secs),
        "seconds_min": min(secs),
        "seconds_all": [round(s, 3) for s in secs],
        "rss_tree": max(r["rss_tree"] for r in runs),
        "rss_max_process": max(r["rss_max_process"] for r in runs),
        "stdout": runs[-1]["stdout"],
        "cmd": " ".join(cmd),
    }


# -- corpora ------------------------------------------------------------------------------------
def concat(paths: list[str], out: str, times: int) -> str:
    """``times`` copies of the files one after the other (a newline between files)."""
    with open(out, "wb") as f:
        for _ in range(times):
            for p in paths:
                with open(p, "rb") as src:
                    data = src.read()
                f.write(data)
                if data and not data.endswith(b"\n"):
                    f.write(b"\n")
    return out


def count_words(path: str) -> int:
    n = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            n += len(block.split())
    return n


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {"python": platform.python_version()}
    for mod in ("embedcli", "numpy", "tokenizers", "gensim", "psutil"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - reported as missing
            versions[mod] = "missing"
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return {"cpu": cpu, "cores": cores, "platform": platform.platform(), "versions": versions,
            "fasttext": shutil.which("fasttext")}


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MB"


# -- cases --------------------------------------------------------------------------------------
class Bench:
    def __init__(self, args):
        self.args = args
        self.rows: list[dict] = []
        self.notes: list[str] = []
        self.work = args.workdir or tempfile.mkdtemp(prefix="embedcli-bench-")
        os.makedirs(self.work, exist_ok=True)
        d = args.corpus_dir
        self.sources = [os.path.join(d, "kjv.txt"), os.path.join(d, "enwiki.txt")]
        self.wordsim_path = os.path.join(d, "wordsim353.tsv")
        self.corpora: dict[int, str] = {}
        self.prepared: dict[int, str] = {}
        self.results: dict[str, dict] = {}

    def path(self, name: str) -> str:
        return os.path.join(self.work, name)

    def corpus(self, scale: int) -> str:
        if scale not in self.corpora:
            self.corpora[scale] = concat(self.sources, self.path(f"corpus_x{scale}.txt"), scale)
        return self.corpora[scale]

    def prepared_corpus(self, scale: int) -> str:
        if scale not in self.prepared:
            from train_vs_gensim import prepare

            one = self.path("prepared_x1.txt")
            if not os.path.exists(one):
                prepare(self.args.corpus_dir, one, None)
            self.prepared[1] = one
            if scale != 1:
                self.prepared[scale] = concat([one], self.path(f"prepared_x{scale}.txt"), scale)
        return self.prepared[scale]

    def add(self, case: str, scale: int, tool: str, res: dict, *, ref: str | None = None, **extra) -> None:
        row = {"case": case, "scale": scale, "tool": tool, **{k: v for k, v in res.items() if k != "stdout"}}
        row.update(extra)
        self.results[f"{case}|{scale}|{tool}"] = row
        if ref is not None:
            row["ref"] = ref
        self.rows.append(row)

    def get(self, case: str, scale: int, tool: str) -> dict | None:
        return self.results.get(f"{case}|{scale}|{tool}")

    # vocab -----------------------------------------------------------------------------------
    def case_vocab(self) -> None:
        n = self.args.repeat
        for scale in self.scales():
            corpus = self.corpus(scale)
            words = count_words(corpus)
            emb = repeat([EMBEDCLI, "vocab", corpus, "-o", self.path("v.json"), "-q", "--json"], n)
            size = json.load(open(self.path("v.json"), encoding="utf-8"))["size"]
            emb1 = repeat([EMBEDCLI, "vocab", corpus, "-o", self.path("v1.json"), "-q", "-j", "1"], n)
            same = open(self.path("v.json"), "rb").read() == open(self.path("v1.json"), "rb").read()
            tok = repeat([PY, PEERS, "tokenizers-vocab", corpus, self.path("tok.json")], n)
            tok_size = json.loads(tok["stdout"])["size"]
            info = f"{words / 1e6:.1f}M words"
            self.add("vocab", scale, "embedcli vocab (all cores)", emb, words=words,
                     note=f"{size:,} entries; {info}")
            self.add("vocab", scale, "embedcli vocab -j 1", emb1, note=f"identical file: {same}")
            self.add("vocab", scale, "tokenizers WordLevelTrainer", tok, peer=True,
                     note=f"{tok_size:,} entries (punctuation kept as words)")

    # encode ----------------------------------------------------------------------------------
    def case_encode(self) -> None:
        n = self.args.repeat
        vocab = self.path("encode_vocab.json")
        subprocess.run([EMBEDCLI, "vocab", self.corpus(1), "-o", vocab, "-q"], check=True)
        for scale in self.scales():
            corpus = self.corpus(scale)
            out_e, out_t = self.path("e.npy"), self.path("t.npy")
            emb = repeat([EMBEDCLI, "encode", "-v", vocab, "-i", corpus, "-o", out_e, "--maxlen", "64", "-q"], n)
            tok = repeat([PY, PEERS, "tokenizers-encode", corpus, vocab, out_t, "--maxlen", "64"], n)
            import numpy as np

            a, b = np.load(out_e, mmap_mode="r"), np.load(out_t, mmap_mode="r")
            same_rows = float(np.mean(np.all(a == b, axis=1))) if a.shape == b.shape else float("nan")
            self.add("encode", scale, "embedcli encode --maxlen 64", emb,
                     note=f"{a.shape[0]:,} × {a.shape[1]} int32")
            self.add("encode", scale, "tokenizers encode_batch", tok, peer=True,
                     note=f"{b.shape[0]:,} × {b.shape[1]}; {same_rows:.0%} rows identical (tokenisers differ)")

    # train -----------------------------------------------------------------------------------
    def train_pair(self, objective: str, scale: int, epochs: int, workers: int, n: int, tag: str) -> None:
        from train_vs_gensim import embedcli_vectors, wordsim

        corpus = self.prepared_corpus(scale)
        out = self.path(f"model_{objective}_{workers}")
        emb = repeat([EMBEDCLI, "train", corpus, "-o", out, "--objective", objective, "--dim", "100",
                      "--window", "5", "--negative", "5", "--min-count", "5", "--epochs", str(epochs),
                      "--workers", str(workers), "--seed", "1", "--json", "-q"], n)
        summary = json.loads(emb["stdout"])
        words = sum(h.get("words", 0) for h in summary.get("history", [])) or None
        emb_rho, _ = wordsim(embedcli_vectors(out), self.wordsim_path)
        kv_path = self.path(f"gensim_{objective}_{workers}.kv")
        gen = repeat([PY, PEERS, "gensim-train", corpus, kv_path, "--sg", "1" if objective == "skipgram" else "0",
                      "--epochs", str(epochs), "--workers", str(workers), "--min-count", "5"], n)
        from gensim.models import KeyedVectors

        gen_rho, _ = wordsim(KeyedVectors.load(kv_path), self.wordsim_path)
        gen_words = json.loads(gen["stdout"])["words"]
        self.add(tag, scale, f"embedcli train {objective} workers={workers}", emb, spearman=emb_rho,
                 words=words, note=f"WordSim ρ {emb_rho:.3f}; {(words or 0) / emb['seconds'] / 1e3:,.0f}k words/s")
        self.add(tag, scale, f"gensim Word2Vec {objective} workers={workers}", gen, peer=True, spearman=gen_rho,
                 note=f"WordSim ρ {gen_rho:.3f}; {gen_words / gen['seconds'] / 1e3:,.0f}k words/s")

    def case_train(self) -> None:
        cores = machine()["cores"] or 1
        for objective in ("skipgram", "cbow"):
            for workers in sorted({1, cores}):
                self.train_pair(objective, 1, self.args.train_epochs, workers, self.args.train_repeat,
                                f"train {objective}")

    # classify --------------------------------------------------------------------------------
    def case_classify(self) -> None:
        exe = shutil.which("fasttext")
        if not exe:
            self.notes.append("classify: skipped, the `fasttext` program is not installed "
                              "(Debian package fasttext); benchmarks/classify_vs_fasttext.py runs both sides")
            return
        res = measure([PY, os.path.join(HERE, "classify_vs_fasttext.py"), "--corpus-dir", self.args.corpus_dir,
                       "--json", "--repeats", str(self.args.repeat)])
        report = json.loads(res["stdout"])
        self.notes.append("classify: timed inside benchmarks/classify_vs_fasttext.py (fasttext as a subprocess, "
                          "embedcli's classifier in that script's process); peak RSS is the script's whole tree")
        for task in report if isinstance(report, list) else [report]:
            name = f"classify {task.get('task', '')}".strip()
            for tool, val in task.items():
                if isinstance(val, dict) and "median_s" in val:
                    secs = val["median_s"]
                    row = {"seconds": secs, "seconds_all": [round(r[tool]["seconds"], 3) for r in task.get("runs", [])
                                                            if tool in r] or [secs],
                           "rss_tree": res["rss_tree"], "rss_max_process": res["rss_max_process"],
                           "cmd": "benchmarks/classify_vs_fasttext.py"}
                    label = {"fasttext": "fasttext supervised", "embedcli": "embedcli classify",
                             "embedcli_cased": "embedcli classify (case kept)"}.get(tool, tool)
                    self.add(name, 1, label, row, peer=tool == "fasttext",
                             note=f"P@1 {val.get('mean_p1', float('nan')):.4f}")

    # scale -----------------------------------------------------------------------------------
    def case_scale(self) -> None:
        s = self.args.scale
        if s == 1:
            self.notes.append("scale: --scale 1, nothing to compare")
            return
        if not self.get("vocab", s, "embedcli vocab (all cores)"):
            self.case_vocab()
        if not self.get("encode", s, "embedcli encode --maxlen 64"):
            self.case_encode()
        # the all-cores count runs one process under 8 MB of input (×1) and two above: compare the
        # same layout too, at ×2 (over 8 MB) against ×SCALE
        small = 2 if s > 2 else 1
        for scale in (small, s):
            res = repeat([EMBEDCLI, "vocab", self.corpus(scale), "-o", self.path("vj.json"), "-q", "-j", "2"],
                         self.args.repeat)
            self.add("vocab -j 2", scale, "embedcli vocab -j 2", res)
        epochs = self.args.scale_train_epochs
        for scale in (1, s):
            self.train_pair("skipgram", scale, epochs, machine()["cores"] or 1, 1, "train scale")
        self.scale_rows = []
        for case, tool in (("vocab", "embedcli vocab (all cores)"), ("vocab", "embedcli vocab -j 1"),
                           ("encode", "embedcli encode --maxlen 64"),
                           ("train scale", f"embedcli train skipgram workers={machine()['cores'] or 1}")):
            a, b = self.get(case, 1, tool), self.get(case, s, tool)
            self.scale_rows.append({"what": tool, "rss_x1": a["rss_tree"], "rss_xs": b["rss_tree"],
                                    "mem_ratio": b["rss_tree"] / a["rss_tree"],
                                    "time_ratio": b["seconds"] / a["seconds"]})
        a, b = self.get("vocab -j 2", small, "embedcli vocab -j 2"), self.get("vocab -j 2", s, "embedcli vocab -j 2")
        self.scale_rows.append({"what": f"embedcli vocab -j 2 (×{small} instead of ×1: two processes at both sizes)",
                                "rss_x1": a["rss_tree"], "rss_xs": b["rss_tree"],
                                "mem_ratio": b["rss_tree"] / a["rss_tree"], "time_ratio": b["seconds"] / a["seconds"]})
        for case, tool in (("vocab", "tokenizers WordLevelTrainer"), ("encode", "tokenizers encode_batch"),
                           ("train scale", f"gensim Word2Vec skipgram workers={machine()['cores'] or 1}")):
            a, b = self.get(case, 1, tool), self.get(case, s, tool)
            self.scale_rows.append({"what": tool + " (peer)", "rss_x1": a["rss_tree"], "rss_xs": b["rss_tree"],
                                    "mem_ratio": b["rss_tree"] / a["rss_tree"],
                                    "time_ratio": b["seconds"] / a["seconds"]})

    def scales(self) -> list[int]:
        return sorted({1, self.args.scale})

    # report ----------------------------------------------------------------------------------
    def ratios(self) -> None:
        """Peer time / embedcli time for every embedcli row, against the peer of the same case."""
        for row in self.rows:
            if row.get("peer"):
                continue
            peers = [r for r in self.rows if r.get("peer") and r["case"] == row["case"] and r["scale"] == row["scale"]]
            if row["case"].startswith("train"):
                w = row["tool"].rsplit("workers=", 1)[-1]
                peers = [r for r in peers if r["tool"].endswith(f"workers={w}")]
            if peers:
                row["ratio"] = peers[0]["seconds"] / row["seconds"]
                row["peer_tool"] = peers[0]["tool"]

    def render(self, info: dict) -> None:
        from rich.console import Console
        from rich.table import Table

        console = Console(width=max(Console().width, 180))
        self.ratios()
        t = Table(title="embedcli vs peers (median wall clock of whole processes)", title_justify="left")
        for col in ("case", "×", "tool", "seconds", "runs", "peak RSS (tree)", "speed ratio", "notes"):
            t.add_column(col, justify="right" if col in ("×", "seconds", "peak RSS (tree)", "speed ratio") else "left")
        for r in self.rows:
            ratio = f"{r['ratio']:.2f}×" if "ratio" in r else ""
            t.add_row(r["case"], str(r["scale"]), r["tool"], f"{r['seconds']:.2f}",
                      " ".join(f"{s:.2f}" for s in r["seconds_all"]), mb(r["rss_tree"]), ratio, r.get("note", ""))
        console.print(t)
        if getattr(self, "scale_rows", None):
            s = Table(title=f"scale: ×{self.args.scale} corpus against ×1", title_justify="left")
            for col in ("what", "peak RSS ×1", f"peak RSS ×{self.args.scale}", "memory ratio", "time ratio"):
                s.add_column(col, justify="left" if col == "what" else "right")
            for r in self.scale_rows:
                s.add_row(r["what"], mb(r["rss_x1"]), mb(r["rss_xs"]), f"{r['mem_ratio']:.2f}",
                          f"{r['time_ratio']:.2f}")
            console.print(s)
        for note in self.notes:
            console.print(note)
        v = info["versions"]
        console.print(
            f"machine: {info['cpu']}, {info['cores']} cores, {info['platform']}; load average before "
            f"{info['load_before']}, after {info['load_after']}\nversions: "
            + ", ".join(f"{k} {val}" for k, val in v.items())
            + f"\nsettings: repeat {self.args.repeat}, scale ×{self.args.scale}, train epochs {self.args.train_epochs}"
            f" (scale case {self.args.scale_train_epochs}), work dir {self.work}, embedcli program {EMBEDCLI}"
            f"\ncommand: {info['command']}"
        )

    def markdown(self) -> str:
        lines = ["| case | × | tool | seconds (median) | runs | peak RSS | peer time / embedcli time | notes |",
                 "|---|---|---|---|---|---|---|---|"]
        for r in self.rows:
            ratio = f"**{r['ratio']:.2f}×**" if "ratio" in r else ""
            lines.append(f"| {r['case']} | {r['scale']} | {r['tool']} | {r['seconds']:.2f} | "
                         f"{' '.join(f'{s:.2f}' for s in r['seconds_all'])} | {mb(r['rss_tree'])} | {ratio} | "
                         f"{r.get('note', '')} |")
        if getattr(self, "scale_rows", None):
            lines += ["", f"| ×{self.args.scale} vs ×1 | peak RSS ×1 | peak RSS ×{self.args.scale} | memory ratio | "
                          "time ratio |", "|---|---|---|---|---|"]
            for r in self.scale_rows:
                lines.append(f"| {r['what']} | {mb(r['rss_x1'])} | {mb(r['rss_xs'])} | {r['mem_ratio']:.2f} | "
                             f"{r['time_ratio']:.2f} |")
        return "\n".join(lines)


CASES = ("vocab", "encode", "train", "classify", "scale")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus-dir", required=True, help="directory with kjv.txt, enwiki.txt, wordsim353.tsv")
    ap.add_argument("--scale", type=int, default=10, help="size of the large corpus, in copies of kjv+enwiki")
    ap.add_argument("--repeat", type=int, default=3, help="runs of every vocab/encode measurement (median shown)")
    ap.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    ap.add_argument("--train-epochs", type=int, default=5)
    ap.add_argument("--train-repeat", type=int, default=1, help="runs of every training measurement")
    ap.add_argument("--scale-train-epochs", type=int, default=1, help="epochs of the ×1/×SCALE training runs")
    ap.add_argument("--workdir", default=None, help="where the corpora copies and outputs go (default: a temp dir)")
    ap.add_argument("--json", dest="json_out", default=None, help="also write the results as JSON to this file")
    ap.add_argument("--markdown", action="store_true", help="also print the table as Markdown (for the README)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    for name in ("kjv.txt", "enwiki.txt"):
        if not os.path.exists(os.path.join(args.corpus_dir, name)):
            sys.exit(f"{args.corpus_dir}: no {name} here (see /work/shared/corpora/README.md)")
    if not (os.access(EMBEDCLI, os.X_OK) or shutil.which(EMBEDCLI)):
        sys.exit("the embedcli command is not installed: pip install -e '.[bench]'")
    info = machine()
    info["load_before"] = loadavg()
    info["command"] = "python benchmarks/run.py " + " ".join(sys.argv[1:])
    bench = Bench(args)
    try:
        for case in CASES:
            if case in args.cases:
                getattr(bench, f"case_{case}")()
        info["load_after"] = loadavg()
        bench.render(info)
        if args.markdown:
            print(bench.markdown())
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump({"machine": info, "rows": bench.rows, "scale": getattr(bench, "scale_rows", None),
                           "notes": bench.notes}, f, indent=1)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(bench.work, ignore_errors=True)


if __name__ == "__main__":
    main()
