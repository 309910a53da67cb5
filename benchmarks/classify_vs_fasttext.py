#!/usr/bin/env python3
"""embedcli's classifier vs ``fasttext supervised``, side by side, on labelled KJV verses.

The labelled set is built from ``kjv.txt`` (one verse per line, canonical order):

* ``testament``: Old vs New Testament (2 labels);
* ``books``: six book groups (law, history, wisdom, prophets, gospels+Acts, epistles+Revelation).

The group boundaries are found from the first verse of Joshua, Job, Isaiah, Matthew and Romans
(the file has a few more lines than the 31,102 verses, so fixed verse counts would drift; the
script says so and stops if an anchor is missing). The verses are shuffled with a seeded
generator, split train/test, written in fastText format, and both tools train with their default
settings (dim 100, lr 0.1, 5 epochs, min count 1, word n-grams 1 unless ``--word-ngrams``, no
character n-grams unless ``--subwords 3-6``: embedcli ``subwords="3-6"``, fastText ``-minn 3 -maxn 6``) on the
same files; accuracy is P@1 on the test split (one label per line, so P@1 = accuracy).
embedcli runs twice: with its default text settings (NFKC, lower case) and with case kept
(``lower=False``), which is closer to fastText (it splits on whitespace and keeps case, so the
KJV's ``LORD`` and ``Lord`` stay two words). Times are wall-clock of reading, training and
writing the model for both tools, measured in the same run, tools rotated between repeats.

    python benchmarks/classify_vs_fasttext.py --corpus-dir /work/shared/corpora
    python benchmarks/classify_vs_fasttext.py --corpus-dir /work/shared/corpora --task books --repeats 3

Without the ``fasttext`` program (Debian package ``fasttext``) only embedcli's side runs, and the
script says so.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from embedcli.text import TextSettings
from embedcli.classify import Classifier, train_classifier

VARIANTS = {  # embedcli settings compared with fastText's defaults
    "embedcli": TextSettings(),  # embedcli's defaults: NFKC, lower case
    "embedcli_cased": TextSettings(lower=False),  # case kept, as fastText does (LORD vs Lord)
}

ANCHORS = [  # (label starting at this verse, start of the verse)
    ("history", "Now after the death of Moses the servant of the LORD it came to pass"),
    ("wisdom", "There was a man in the land of Uz, whose name was Job"),
    ("prophets", "The vision of Isaiah the son of Amoz"),
    ("gospels", "The book of the generation of Jesus Christ"),
    ("epistles", "Paul, a servant of Jesus Christ, called to be an apostle"),
]
NEW_TESTAMENT = "gospels"


def labelled_verses(path: str, task: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        verses = [line.rstrip("\n") for line in f if line.strip()]
    starts = {}
    for label, anchor in ANCHORS:
        hits = [i for i, v in enumerate(verses) if v.startswith(anchor)]
        if len(hits) != 1:
            sys.exit(f"{path}: expected exactly one verse starting {anchor!r} (found {len(hits)}); "
                     "is this the KJV one-verse-per-line file?")
        starts[label] = hits[0]
    bounds = [(0, "law")] + sorted((i, label) for label, i in starts.items())
    out = []
    for k, (lo, label) in enumerate(bounds):
        hi = bounds[k + 1][0] if k + 1 < len(bounds) else len(verses)
        if task == "testament":
            label = "new" if lo >= starts[NEW_TESTAMENT] else "old"
        out.extend(f"__label__{label} {v}" for v in verses[lo:hi])
    return out


def write_split(lines: list[str], seed: int, test_fraction: float, directory: str) -> tuple[str, str, int, int]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lines))
    n_test = int(round(len(lines) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    paths = []
    for name, idx in (("train.txt", train), ("test.txt", test)):
        p = os.path.join(directory, name)
        with open(p, "w", encoding="utf-8") as f:
            f.writelines(lines[i] + "\n" for i in idx)
        paths.append(p)
    return paths[0], paths[1], len(train), len(test)


def run_embedcli(train: str, test: str, workdir: str, seed: int, word_ngrams: int,
                 settings: TextSettings, lr: float | None = None, subwords: str = "0") -> dict:
    out = os.path.join(workdir, f"embedcli{seed}")
    t0 = time.perf_counter()  # training + writing the model, like `fasttext supervised`
    model = train_classifier([train], seed=seed, word_ngrams=word_ngrams, settings=settings, subwords=subwords,
                             **({} if lr is None else {"lr": lr}))
    model.save(out)
    seconds = time.perf_counter() - t0
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    result = Classifier.load(out).evaluate(test, k=1)
    shutil.rmtree(out)
    return {"seconds": seconds, "p_at_1": result["precision"], "n": result["n"], "model_bytes": size,
            "vocab": len(model.vocab), "final_loss": model.history[-1]["loss"]}


def run_fasttext(exe: str, train: str, test: str, workdir: str, seed: int, word_ngrams: int,
                 threads: int | None, lr: float | None = None, subwords: str = "0") -> dict:
    out = os.path.join(workdir, f"ft{seed}")
    cmd = [exe, "supervised", "-input", train, "-output", out, "-seed", str(seed)]
    if subwords != "0":
        minn, maxn = subwords.split("-")
        cmd += ["-minn", minn, "-maxn", maxn]
    if word_ngrams != 1:
        cmd += ["-wordNgrams", str(word_ngrams)]
    if lr is not None:
        cmd += ["-lr", str(lr)]
    if threads:
        cmd += ["-thread", str(threads)]
    t0 = time.perf_counter()  # reading, training and writing model.bin
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    size = os.path.getsize(out + ".bin")
    res = subprocess.run([exe, "test", out + ".bin", test], check=True, capture_output=True, text=True)
    n = int(re.search(r"^N\s+(\d+)", res.stdout, re.M).group(1))
    p1 = float(re.search(r"^P@1\s+([0-9.]+)", res.stdout, re.M).group(1))
    # fastText prints P@1 with 3 digits: recompute it exactly from its predictions
    pred = subprocess.run([exe, "predict", out + ".bin", test], check=True, capture_output=True, text=True)
    with open(test, encoding="utf-8") as f:
        gold = [line.split(" ", 1)[0] for line in f]
    predicted = pred.stdout.splitlines()
    exact = sum(p.strip() == g for p, g in zip(predicted, gold)) / len(gold)
    if abs(exact - p1) > 0.0015:
        sys.exit(f"fasttext test says P@1 {p1} but its predictions give {exact:.4f}")
    for ext in (".bin", ".vec"):
        if os.path.exists(out + ext):
            os.unlink(out + ext)
    return {"seconds": seconds, "p_at_1": exact, "n": n, "model_bytes": size, "command": " ".join(cmd)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus-dir", required=True, help="directory with kjv.txt")
    ap.add_argument("--task", choices=["testament", "books", "both"], default="both")
    ap.add_argument("--test-fraction", type=float, default=0.2)
    ap.add_argument("--repeats", type=int, default=3, help="runs per tool (seeds 1..N; same split)")
    ap.add_argument("--split-seed", type=int, default=2024)
    ap.add_argument("--word-ngrams", type=int, default=1)
    ap.add_argument("--subwords", default="0",
                    help="character n-grams MIN-MAX for both tools (embedcli --subwords, fastText -minn/-maxn)")
    ap.add_argument("--lr", type=float, default=None, help="learning rate for both tools (default: each one's, 0.1)")
    ap.add_argument("--fasttext", default="fasttext", help="the fastText program")
    ap.add_argument("--threads", type=int, default=None,
                    help="fastText -thread (default: fastText's own default, 12)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()

    kjv = os.path.join(args.corpus_dir, "kjv.txt")
    if not os.path.isfile(kjv):
        sys.exit(f"{kjv}: not found (give --corpus-dir with kjv.txt)")
    exe = shutil.which(args.fasttext)
    if exe is None:
        print(f"fastText side SKIPPED: program {args.fasttext!r} not found "
              "(apt-get install fasttext); running embedcli only", file=sys.stderr)
    tasks = ["testament", "books"] if args.task == "both" else [args.task]
    report = []
    with tempfile.TemporaryDirectory(prefix="classify-bench-") as tmp:
        for task in tasks:
            lines = labelled_verses(kjv, task)
            train, test, n_train, n_test = write_split(lines, args.split_seed, args.test_fraction, tmp)
            words = sum(len(l.split()) - 1 for l in lines)
            print(f"\n== task {task}: {len(lines):,} verses ({words:,} words), "
                  f"{n_train:,} train / {n_test:,} test, word n-grams {args.word_ngrams}, "
                  f"subwords {args.subwords}, "
                  f"lr {args.lr if args.lr is not None else 'default'}", file=sys.stderr)
            rows = []
            tools = list(VARIANTS) + (["fasttext"] if exe is not None else [])
            for seed in range(1, args.repeats + 1):
                # rotate the order so no tool always runs first on a warmer (or busier) machine
                order = tools[seed % len(tools):] + tools[: seed % len(tools)]
                row = {"seed": seed}
                for tool in order:
                    if tool == "fasttext":
                        row[tool] = run_fasttext(exe, train, test, tmp, seed, args.word_ngrams, args.threads,
                                                 args.lr, args.subwords)
                    else:
                        row[tool] = run_embedcli(train, test, tmp, seed, args.word_ngrams, VARIANTS[tool], args.lr,
                                                 args.subwords)
                rows.append(row)
                print(f"  seed {seed}: " + " | ".join(
                    f"{t} P@1 {row[t]['p_at_1']:.4f} in {row[t]['seconds']:.2f}s" for t in tools), file=sys.stderr)
            summary = {"task": task, "train": n_train, "test": n_test, "words": words,
                       "word_ngrams": args.word_ngrams, "subwords": args.subwords, "lr": args.lr, "runs": rows}
            for tool in tools:
                summary[tool] = {"mean_p1": float(np.mean([r[tool]["p_at_1"] for r in rows])),
                                 "median_s": float(np.median([r[tool]["seconds"] for r in rows])),
                                 "model_bytes": int(rows[0][tool]["model_bytes"])}
            for tool in VARIANTS:
                e = summary[tool]
                msg = (f"  {tool}: mean P@1 {e['mean_p1']:.4f}, median {e['median_s']:.2f}s, "
                       f"model {e['model_bytes'] / 1e6:.2f} MB")
                if exe is not None:
                    f = summary["fasttext"]
                    e["p1_minus_fasttext"] = e["mean_p1"] - f["mean_p1"]
                    e["time_ratio_vs_fasttext"] = e["median_s"] / f["median_s"]
                    e["size_ratio_vs_fasttext"] = e["model_bytes"] / f["model_bytes"]
                    msg += (f" | fastText {f['mean_p1']:.4f}, {f['median_s']:.2f}s, {f['model_bytes'] / 1e6:.2f} MB"
                            f" | P@1 difference {e['p1_minus_fasttext']:+.4f}, time ratio "
                            f"{e['time_ratio_vs_fasttext']:.2f}x, size ratio {e['size_ratio_vs_fasttext']:.3f}x")
                print(msg, file=sys.stderr)
            report.append(summary)
    if args.json:
        print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
