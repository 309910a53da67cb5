#!/usr/bin/env python3
"""``--dask local:N`` against plain multi-core on one machine: what the cluster path costs.

    python benchmarks/dask_vs_cores.py --corpus-dir /work/shared/corpora --scale 10
    python benchmarks/dask_vs_cores.py --corpus-dir /work/shared/corpora --cases train --dask-workers 2 4

Every side is a whole ``embedcli`` process (``benchmarks/run.py``'s ``measure``: wall clock and
peak RSS of the process tree, the Dask scheduler and worker processes included), on the same
files, in one run:

* ``startup``: ``embedcli vocab`` of a one-line file with ``--dask local:N`` (starting and
  stopping a LocalCluster of N worker processes) against plain.
* ``vocab``: the ×SCALE corpus (kjv.txt + enwiki.txt SCALE times): ``embedcli vocab -j N`` vs
  ``--dask local:N``; the two vocabulary files are compared byte for byte.
* ``encode``: ``embedcli encode --maxlen 64 -o x.npy`` (one process: the single-machine encoder
  has no workers) vs ``--dask local:N``; the two ``.npy`` files are compared byte for byte.
* ``train``: skip-gram (dim 100, window 5, negative 5, min count 5, seed 1) on the prepared
  corpus (``train_vs_gensim.prepare``: kjv + enwiki, lines of at most 1,000 tokens, 1.22M
  words; ``--train-corpus`` to give another) for ``--train-epochs`` epochs: ``--workers 1``,
  ``--workers N`` and ``--dask local:K`` for every K of ``--dask-workers``; beside each the
  CPU seconds of the whole process tree (user + sys, Dask workers included), WordSim-353,
  whether ``table.npy`` is byte for byte the ``--workers 1`` one, and (Dask) the rounds and
  the megabytes of arrays sent to / received from the workers (``history.json``).

The ratio column is Dask time / plain time (> 1: the cluster path is slower here). A
LocalCluster on one machine can only add overhead to the multi-core path; the figures say how
much, i.e. what a real cluster must win back by adding machines.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from run import EMBEDCLI, concat, count_words, loadavg, machine, mb, repeat  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus-dir", required=True, help="directory with kjv.txt, enwiki.txt, wordsim353.tsv")
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2, help="N: cores for the plain side, worker processes for local:N")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--train-epochs", type=int, default=5)
    ap.add_argument("--train-corpus", default=None, help="train on this file instead of the prepared kjv + enwiki")
    ap.add_argument("--dask-workers", type=int, nargs="+", default=[2, 4], help="K of the --dask local:K train runs")
    ap.add_argument("--cases", nargs="+", default=["startup", "vocab", "encode", "train"],
                    choices=["startup", "vocab", "encode", "train"])
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--json", dest="json_out", default=None)
    args = ap.parse_args()
    work = args.workdir or tempfile.mkdtemp(prefix="embedcli-dask-bench-")
    os.makedirs(work, exist_ok=True)
    path = lambda name: os.path.join(work, name)  # noqa: E731
    n, N = args.repeat, args.workers
    dask = ["--dask", f"local:{N}"]
    rows = []

    def add(case, tool, res, **extra):
        rows.append({"case": case, "tool": tool, **{k: v for k, v in res.items() if k != "stdout"}, **extra})
        print(f"{case:8} {tool:45} {res['seconds']:8.2f} s  {mb(res['rss_tree']):>9}  {extra.get('note', '')}",
              flush=True)

    info = machine()
    for mod in ("dask", "distributed"):
        info["versions"][mod] = __import__(mod).__version__
    info["load_before"] = loadavg()
    sources = [os.path.join(args.corpus_dir, "kjv.txt"), os.path.join(args.corpus_dir, "enwiki.txt")]
    try:
        if "startup" in args.cases:
            tiny = path("tiny.txt")
            with open(tiny, "w") as f:
                f.write("hope to see you soon\n")
            add("startup", "vocab (plain)", repeat([EMBEDCLI, "vocab", tiny, "-o", path("t1.json"), "-q"], n))
            add("startup", f"vocab --dask local:{N}", repeat([EMBEDCLI, "vocab", tiny, "-o", path("t2.json"), "-q"] + dask, n))
        if "vocab" in args.cases or "encode" in args.cases:
            corpus = concat(sources, path(f"corpus_x{args.scale}.txt"), args.scale)
            words = count_words(corpus)
        if "vocab" in args.cases:
            a = repeat([EMBEDCLI, "vocab", corpus, "-o", path("v1.json"), "-q", "-j", str(N)], n)
            b = repeat([EMBEDCLI, "vocab", corpus, "-o", path("v2.json"), "-q"] + dask, n)
            same = open(path("v1.json"), "rb").read() == open(path("v2.json"), "rb").read()
            add("vocab", f"embedcli vocab -j {N}", a, note=f"{words / 1e6:.1f}M words")
            add("vocab", f"embedcli vocab --dask local:{N}", b, ratio=b["seconds"] / a["seconds"],
                note=f"identical file: {same}; dask/plain {b['seconds'] / a['seconds']:.2f}x")
        if "encode" in args.cases:
            vocab = path("encode_vocab.json")
            repeat([EMBEDCLI, "vocab", corpus, "-o", vocab, "-q", "-j", str(N)], 1)
            a = repeat([EMBEDCLI, "encode", "-v", vocab, "-i", corpus, "--maxlen", "64", "-o", path("e1.npy"), "-q"], n)
            b = repeat([EMBEDCLI, "encode", "-v", vocab, "-i", corpus, "--maxlen", "64", "-o", path("e2.npy"), "-q"]
                       + dask, n)
            same = open(path("e1.npy"), "rb").read() == open(path("e2.npy"), "rb").read()
            add("encode", "embedcli encode --maxlen 64 (one process)", a)
            add("encode", f"embedcli encode --maxlen 64 --dask local:{N}", b, ratio=b["seconds"] / a["seconds"],
                note=f"identical file: {same}; dask/plain {b['seconds'] / a['seconds']:.2f}x")
        if "train" in args.cases:
            import resource

            from train_vs_gensim import embedcli_vectors, prepare, wordsim

            corpus = args.train_corpus
            if corpus is None:
                corpus = path("prepared_x1.txt")
                prepare(args.corpus_dir, corpus, None)
            words = count_words(corpus)
            common = ["train", corpus, "--dim", "100", "--window", "5", "--negative", "5", "--min-count", "5",
                      "--epochs", str(args.train_epochs), "--seed", "1", "-q"]
            wsp = os.path.join(args.corpus_dir, "wordsim353.tsv")
            sides = [("--workers 1", ["--workers", "1"]), (f"--workers {N}", ["--workers", str(N)])]
            sides += [(f"--dask local:{k}", ["--dask", f"local:{k}"]) for k in args.dask_workers]
            base = None
            for i, (label, extra) in enumerate(sides):
                out = path(f"m{i}")
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                res = repeat([EMBEDCLI, *common, *extra, "-o", out], n)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / n
                rho = wordsim(embedcli_vectors(out), wsp)[0]
                table = open(os.path.join(out, "table.npy"), "rb").read()
                base = base or (res, cpu, table)
                history = json.load(open(os.path.join(out, "history.json")))
                traffic = {k: sum(e.get(k, 0) for e in history) for k in ("rounds", "sent_mb", "received_mb")}
                note = (f"cpu {cpu:.1f} s ({cpu / base[1]:.2f}x); WordSim {rho:.4f}; same table as --workers 1: "
                        f"{table == base[2]}; time {res['seconds'] / base[0]['seconds']:.2f}x --workers 1")
                if "--dask" in extra:
                    note += (f"; {traffic['rounds']} rounds, {traffic['sent_mb']:.0f} MB sent, "
                             f"{traffic['received_mb']:.0f} MB received")
                else:
                    note = f"{words / 1e6:.2f}M words x {args.train_epochs} epochs; " + note
                add("train", f"embedcli train skipgram {label}", res, cpu=cpu, wordsim=rho,
                    same_table=table == base[2], traffic=traffic, ratio=res["seconds"] / base[0]["seconds"], note=note)
        info["load_after"] = loadavg()
        print(f"machine: {info['cpu']}, {info['cores']} cores; load average before {info['load_before']}, "
              f"after {info['load_after']}; versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump({"machine": info, "rows": rows}, f, indent=1)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
