#!/usr/bin/env python3
"""Time to quality: embedcli, gensim and fastText at their defaults (and at lr 0.05), side by side.

    python benchmarks/train_quality.py --corpus-dir ../shared/corpora
    python benchmarks/train_quality.py --corpus-dir ../shared/corpora --corpora kjv --grid
    python benchmarks/train_quality.py --corpus-dir ../shared/corpora --memory --scale 10

Every run is a whole process (``benchmarks/run.py``'s ``measure``: wall clock, CPU time of the
process and its children, peak RSS of the process tree) on the same file: each corpus tokenised by gensim's ``simple_preprocess`` in lines
of at most 1,000 tokens (``train_vs_gensim.prepare``), only dim 100, window 5, negative 5,
min count 5 and 5 epochs set (``--epochs``), every other setting the tool's default:

* ``embedcli train``, defaults, ``--workers 2``; and ``--lr 0.05``;
* gensim ``Word2Vec(sg=1, workers=2)``, defaults (alpha 0.025, sample 1e-3); and alpha 0.05;
* ``fasttext skipgram -minn 0 -maxn 0 -thread 2`` (word vectors only; its defaults: lr 0.05,
  t 1e-4), when the ``fasttext`` program exists (Debian package ``fasttext``);
* the same three for CBOW (``--objectives``).

Each line also shows the training phase alone, measured inside the process: embedcli's epochs
(the ``seconds`` of its ``history.json``), gensim's ``train`` from begin to end (its callbacks);
the rest of a run is the start (the interpreter, the imports, the vocabulary scan, encoding) and
the save. fastText, a binary, has no such figure.

Quality, all computed by gensim's ``KeyedVectors`` on each tool's vectors: WordSim-353
Spearman (``wordsim353.tsv`` of the corpus directory), SimLex-999 Spearman and the analogy
accuracy of ``questions-words.txt`` (both from gensim's test data; 30,000 most frequent words).
On these small corpora every figure moves between seeds: ``--seeds N`` runs each tool N times,
seed by seed (every tool once per seed, so that a change in the machine's speed during the run falls
on all of them), and reports the median wall and CPU seconds and the mean quality. Timing runs
sample memory every 0.1 s (``run.TIMING_POLL``: sampling every 10 ms took ~18% of a core from a
3-process job on a 2-core machine); the memory case samples every 10 ms.

``--grid`` adds embedcli's lr x epochs grid; ``--memory`` one epoch over kjv+enwiki repeated
``--scale`` times (the x10 corpus of issue 10: 12.2M tokens), embedcli (default, 1, 2 and 4
workers) and gensim (2 workers) side by side: peak RSS and PSS of the whole process tree,
CPU seconds (see :func:`memory_case`). ``--no-compare --memory`` runs only that case.

What the memory figures mean. The RSS of a process counts every page it maps, so summing RSS
over a parent and the workers it forked counts the pages they share (the matrices in a shared
mapping, copy-on-write pages not yet written, libraries) once per process. PSS (proportional
set size, ``/proc/PID/smaps_rollup``) divides each page by the number of processes mapping it,
so the tree's summed PSS counts a shared page once: what the OS has to provide for the job.
"own" is PSS without the discount for library pages that unrelated programs also map.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from run import EMBEDCLI, PEERS, PY, TIMING_POLL, concat, measure  # noqa: E402
from train_vs_gensim import embedcli_vectors as embedcli_kv, prepare  # noqa: E402

FIXED = dict(dim=100, window=5, negative=5, min_count=5)
CORPORA = {"kjv": ("kjv.txt",), "enwiki": ("enwiki.txt",), "both": ("kjv.txt", "enwiki.txt")}


def quality(kv, corpus_dir: str) -> dict:
    from gensim.test.utils import datapath

    logging.disable(logging.WARNING)
    ws = kv.evaluate_word_pairs(os.path.join(corpus_dir, "wordsim353.tsv"))[1][0]
    sl = kv.evaluate_word_pairs(datapath("simlex999.txt"))[1][0]
    an = kv.evaluate_word_analogies(datapath("questions-words.txt"))[0]
    return {"ws353": float(ws), "simlex": float(sl), "analogy": float(an)}


def run_embedcli(path, out, objective, epochs, seed, extra=()):
    cmd = [EMBEDCLI, "train", path, "-o", out, "--objective", objective, "--dim", "100", "--window", "5",
           "--negative", "5", "--min-count", "5", "--epochs", str(epochs), "--workers", "2",
           "--seed", str(seed), "--quiet", *extra]
    r = measure(cmd, poll=TIMING_POLL)
    with open(os.path.join(out, "history.json")) as f:  # the epochs' seconds: the training phase
        r["train_seconds"] = sum(e["seconds"] for e in json.load(f))
    return r, embedcli_kv(out)


def run_gensim(path, out, objective, epochs, seed, alpha=None, sample=None):
    from gensim.models import KeyedVectors

    cmd = [PY, PEERS, "gensim-train", path, out, "--sg", "1" if objective == "skipgram" else "0",
           "--epochs", str(epochs), "--workers", "2", "--seed", str(seed)]
    if alpha is not None:
        cmd += ["--alpha", str(alpha)]
    if sample is not None:
        cmd += ["--sample", str(sample)]
    r = measure(cmd, poll=TIMING_POLL)
    r["train_seconds"] = json.loads(r["stdout"])["train_seconds"]
    return r, KeyedVectors.load(out)


def run_fasttext(path, out, objective, epochs, seed, lr=None):
    from gensim.models import KeyedVectors

    cmd = ["fasttext", objective, "-input", path, "-output", out, "-minn", "0", "-maxn", "0", "-thread", "2",
           "-dim", "100", "-ws", "5", "-neg", "5", "-minCount", "5", "-epoch", str(epochs), "-verbose", "0"]
    if lr is not None:
        cmd += ["-lr", str(lr)]
    r = measure(cmd, poll=TIMING_POLL)
    return r, KeyedVectors.load_word2vec_format(out + ".vec")


def _result_line(head: str, seconds: float, cpu: float, phase: float | None, q: dict, width: int) -> str:
    """A run's log line: wall and CPU seconds, the training phase (fastText, a binary, has none)
    and the quality figures."""
    shown = f"train {phase:6.2f}s" if phase is not None else "train      -"
    return (f"{head}{seconds:{width}.2f}s  cpu {cpu:{width}.2f}s  {shown}  WS353 {q['ws353']:.3f}  "
            f"SimLex {q['simlex']:.3f}  analogy {q['analogy']:.3f}")


def mean(xs):
    return statistics.mean(xs) if xs else float("nan")


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus-dir", required=True)
    ap.add_argument("--corpora", nargs="*", default=["kjv", "enwiki", "both"], choices=sorted(CORPORA))
    ap.add_argument("--text", nargs="+", default=[], metavar="NAME=PATH",
                    help="more corpora, each a text file anywhere (prepared as the others), e.g. held-out "
                         "corpora made by heldout_corpora.py")
    ap.add_argument("--objectives", nargs="+", default=["skipgram", "cbow"], choices=["skipgram", "cbow"])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--grid", action="store_true", help="embedcli lr x epochs grid, for each of --objectives")
    ap.add_argument("--grid-lr", nargs="+", type=float, default=[0.025, 0.05, 0.1, 0.2])
    ap.add_argument("--grid-epochs", nargs="+", type=int, default=[5, 10])
    ap.add_argument("--no-compare", action="store_true", help="only the grid / memory cases")
    ap.add_argument("--memory", action="store_true", help="peak RSS, one epoch, corpus x --scale")
    ap.add_argument("--scale", type=int, default=10)
    args = ap.parse_args()
    have_fasttext = shutil.which("fasttext") is not None
    print(f"load average {os.getloadavg()}", flush=True)
    sources = dict(CORPORA)
    for spec in args.text:
        name, sep, text = spec.partition("=")
        if not sep or not name or not os.path.isfile(text):
            ap.error(f"--text {spec}: expected NAME=PATH of an existing file")
        sources[name] = (os.path.abspath(text),)  # os.path.join(corpus_dir, an absolute path) is that path
    rows = []
    with tempfile.TemporaryDirectory(prefix="train-quality-") as tmp:
        for name in ([] if args.no_compare and not args.grid else [*args.corpora, *(t.partition("=")[0] for t in args.text)]):
            path = os.path.join(tmp, f"{name}.txt")
            n = prepare(args.corpus_dir, path, None, names=sources[name])
            print(f"\n== {name}: {n:,} tokens", flush=True)
            runs = []
            if not args.no_compare:
                for objective in args.objectives:
                    tools = [
                        ("embedcli defaults", lambda o, s: run_embedcli(path, o, objective, args.epochs, s)),
                        ("embedcli lr 0.05", lambda o, s: run_embedcli(path, o, objective, args.epochs, s,
                                                                       ["--lr", "0.05"])),
                        ("gensim defaults", lambda o, s: run_gensim(path, o, objective, args.epochs, s)),
                        ("gensim alpha 0.05", lambda o, s: run_gensim(path, o, objective, args.epochs, s, alpha=0.05)),
                    ]
                    if have_fasttext:
                        tools.append(("fasttext defaults", lambda o, s: run_fasttext(path, o, objective, args.epochs, s)))
                    runs += [(objective, label, fn) for label, fn in tools]
            if args.grid:
                for objective in args.objectives:
                    for lr in args.grid_lr:
                        for ep in args.grid_epochs:
                            runs.append((objective, f"embedcli lr {lr:g} epochs {ep}",
                                         lambda o, s, lr=lr, ep=ep, obj=objective: run_embedcli(
                                             path, o, obj, ep, s, ["--lr", str(lr)])))
            # seed by seed, every tool once per seed: a drift of the machine's speed during the run
            # falls on every tool alike (not on whichever ran its repetitions then)
            res: dict[int, list] = {k: [] for k in range(len(runs))}
            for seed in range(1, args.seeds + 1):
                for k, (objective, label, fn) in enumerate(runs):
                    out = os.path.join(tmp, f"out-{len(rows) + k}-{seed}")
                    r, kv = fn(out, seed)
                    q = quality(kv, args.corpus_dir)
                    res[k].append((r["seconds"], r["rss_tree"], q, r["cpu_seconds"], r.get("train_seconds")))
                    if args.seeds > 1:
                        print(_result_line(f"{name:6} {objective:8} {label:28} seed {seed}  ", r["seconds"],
                                           r["cpu_seconds"], r.get("train_seconds"), q, 6), flush=True)
                    if os.path.isdir(out):
                        shutil.rmtree(out)
            for k, (objective, label, fn) in enumerate(runs):
                got = res[k]
                phases = [x[4] for x in got if x[4] is not None]
                row = (name, objective, label, median([x[0] for x in got]), max(x[1] for x in got),
                       {q: mean([x[2][q] for x in got]) for q in got[0][2]}, median([x[3] for x in got]),
                       median(phases) if phases else None)
                rows.append(row)
                print(_result_line(f"{name:6} {objective:8} {label:28} ", row[3], row[6], row[7], row[5], 7), flush=True)
            os.unlink(path)
        if args.memory:
            memory_case(args, tmp)
    print(f"\nload average {os.getloadavg()}")
    print("\n| corpus | objective | run | seconds | time vs embedcli defaults | CPU seconds | CPU vs embedcli defaults "
          "| training phase s | vs embedcli defaults | WordSim-353 | SimLex-999 | analogy |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    base = {(r[0], r[1]): (r[3], r[6], r[7]) for r in rows if r[2] == "embedcli defaults"}
    for name, objective, label, sec, _, q, cpu, phase in rows:
        b = base.get((name, objective))
        ratio = f"{sec / b[0]:.2f}x" if b else "-"
        cpu_ratio = f"{cpu / b[1]:.2f}x" if b else "-"
        phase_ratio = f"{phase / b[2]:.2f}x" if b and phase is not None and b[2] else "-"
        print(f"| {name} | {objective} | {label} | {sec:.2f} | {ratio} | {cpu:.2f} | {cpu_ratio} | "
              f"{'-' if phase is None else f'{phase:.2f}'} | {phase_ratio} | {q['ws353']:.3f} | "
              f"{q['simlex']:.3f} | {q['analogy']:.3f} |")


def memory_case(args, tmp: str) -> None:
    """One epoch of skip-gram over the corpus x scale, embedcli and gensim side by side.

    Same job for both (dim 100, window 5, negative 5, min count 5, one epoch, the vectors
    saved): ``embedcli train`` with its default ``--workers`` (the machine's cores), 1, 2 and 4, and
    gensim ``Word2Vec(workers=2)``. Each a whole process, sampled every 10 ms by
    ``run.measure``: peak RSS of the process tree, peak PSS of the tree (a page shared by the
    parent and its forked workers counts once: what the OS has to provide) and peak "own"
    (anonymous + shared memory once, plus one process's file pages: PSS without the discount
    for libraries that unrelated processes also map), the largest single process' ``ru_maxrss``,
    and CPU seconds (user + system, the process and its children).
    """
    src = os.path.join(tmp, "both.txt")
    prepare(args.corpus_dir, src, None, names=CORPORA["both"])
    big = concat([src], os.path.join(tmp, f"x{args.scale}.txt"), args.scale)
    os.unlink(src)
    common = ["--epochs", "1", "--dim", "100", "--window", "5", "--negative", "5", "--min-count", "5", "--quiet"]
    runs = [
        ("embedcli (default workers)", [EMBEDCLI, "train", big, "-o", os.path.join(tmp, "mem-e0"), *common]),
        ("embedcli --workers 1", [EMBEDCLI, "train", big, "-o", os.path.join(tmp, "mem-e1"), *common,
                                  "--workers", "1"]),
        ("embedcli --workers 2", [EMBEDCLI, "train", big, "-o", os.path.join(tmp, "mem-e2"), *common,
                                  "--workers", "2"]),
        ("embedcli --workers 4", [EMBEDCLI, "train", big, "-o", os.path.join(tmp, "mem-e4"), *common,
                                  "--workers", "4"]),
        ("gensim workers=2", [PY, PEERS, "gensim-train", big, os.path.join(tmp, "mem-g"), "--epochs", "1",
                              "--workers", "2", "--dim", "100", "--window", "5", "--negative", "5",
                              "--min-count", "5"]),
    ]
    print(f"\nmemory, one epoch over x{args.scale} ({os.path.getsize(big) / 2**20:.0f} MB of text), "
          f"load average {os.getloadavg()}", flush=True)
    print("| run | peak RSS tree MB | peak PSS tree MB | peak own MB | largest process MB | CPU s | wall s |")
    print("|---|---|---|---|---|---|---|")
    res = {}
    for label, cmd in runs:
        r = res[label] = measure(cmd)
        mb = lambda x: "-" if x is None else f"{x / 2**20:.0f}"  # noqa: E731
        print(f"| {label} | {mb(r['rss_tree'])} | {mb(r['pss_tree'])} | {mb(r['own_tree'])} | "
              f"{mb(r['rss_max_process'])} | {r['cpu_seconds']:.1f} | {r['seconds']:.1f} |", flush=True)
    g = res["gensim workers=2"]
    for label in ("embedcli --workers 2", "embedcli (default workers)"):
        e = res[label]
        ratios = [f"RSS {e['rss_tree'] / g['rss_tree']:.2f}"]
        if e["pss_tree"] and g["pss_tree"]:
            ratios += [f"PSS {e['pss_tree'] / g['pss_tree']:.2f}", f"own {e['own_tree'] / g['own_tree']:.2f}"]
        print(f"{label} / gensim workers=2 peak memory: {', '.join(ratios)}; "
              f"CPU gensim / embedcli {g['cpu_seconds'] / e['cpu_seconds']:.2f}x", flush=True)


if __name__ == "__main__":
    main()
