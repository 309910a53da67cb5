#!/usr/bin/env python3
"""embedcli's classifier vs ``fasttext supervised``, side by side, on labelled KJV verses.

The labelled set is built from ``kjv.txt`` (one verse per line, canonical order):

* ``testament``: Old vs New Testament (2 labels);
* ``books``: six book groups (law, history, wisdom, prophets, gospels+Acts, epistles+Revelation).

The group boundaries are found from the first verse of Joshua, Job, Isaiah, Matthew and Romans
(the file has a few more lines than the 31,102 verses, so fixed verse counts would drift; the
script says so and stops if an anchor is missing). The verses are shuffled with a seeded
generator, split train/test, written in fastText format, and both tools train with their default
settings (dim 100, lr 0.1, 5 epochs, min count 1, word n-grams 1 unless ``--word-ngrams``) on the
same files; accuracy is P@1 on the test split (one label per line, so P@1 = accuracy).

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

from embedcli.train.classify import Classifier, evaluate, train_classifier

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


def run_embedcli(train: str, test: str, seed: int, word_ngrams: int) -> dict:
    t0 = time.perf_counter()
    model = train_classifier([train], seed=seed, word_ngrams=word_ngrams)
    seconds = time.perf_counter() - t0
    result = evaluate(Classifier(model), test, k=1)
    return {"seconds": seconds, "p_at_1": result["precision"], "n": result["n"],
            "vocab": len(model.vocab), "final_loss": model.history[-1]["loss"]}


def run_fasttext(exe: str, train: str, test: str, workdir: str, seed: int, word_ngrams: int,
                 threads: int | None) -> dict:
    out = os.path.join(workdir, f"ft{seed}")
    cmd = [exe, "supervised", "-input", train, "-output", out, "-seed", str(seed)]
    if word_ngrams != 1:
        cmd += ["-wordNgrams", str(word_ngrams)]
    if threads:
        cmd += ["-thread", str(threads)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
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
    return {"seconds": seconds, "p_at_1": exact, "n": n, "command": " ".join(cmd)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus-dir", required=True, help="directory with kjv.txt")
    ap.add_argument("--task", choices=["testament", "books", "both"], default="both")
    ap.add_argument("--test-fraction", type=float, default=0.2)
    ap.add_argument("--repeats", type=int, default=3, help="runs per tool (seeds 1..N; same split)")
    ap.add_argument("--split-seed", type=int, default=2024)
    ap.add_argument("--word-ngrams", type=int, default=1)
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
                  f"{n_train:,} train / {n_test:,} test, word n-grams {args.word_ngrams}", file=sys.stderr)
            rows = []
            for seed in range(1, args.repeats + 1):
                # alternate the order so neither tool always runs on a warmer machine
                order = ["embedcli", "fasttext"] if seed % 2 else ["fasttext", "embedcli"]
                row = {"seed": seed}
                for tool in order:
                    if tool == "embedcli":
                        row["embedcli"] = run_embedcli(train, test, seed, args.word_ngrams)
                    elif exe is not None:
                        row["fasttext"] = run_fasttext(exe, train, test, tmp, seed, args.word_ngrams, args.threads)
                rows.append(row)
                e, f = row["embedcli"], row.get("fasttext")
                line = f"  seed {seed}: embedcli P@1 {e['p_at_1']:.4f} in {e['seconds']:.2f}s"
                if f:
                    line += (f" | fastText P@1 {f['p_at_1']:.4f} in {f['seconds']:.2f}s"
                             f" | Δ {e['p_at_1'] - f['p_at_1']:+.4f}, time ratio {e['seconds'] / f['seconds']:.2f}")
                print(line, file=sys.stderr)
            summary = {"task": task, "train": n_train, "test": n_test, "words": words,
                       "word_ngrams": args.word_ngrams, "runs": rows}
            e_acc = float(np.mean([r["embedcli"]["p_at_1"] for r in rows]))
            e_sec = float(np.median([r["embedcli"]["seconds"] for r in rows]))
            summary["embedcli_mean_p1"], summary["embedcli_median_s"] = e_acc, e_sec
            msg = f"  mean P@1 embedcli {e_acc:.4f} (median {e_sec:.2f}s)"
            if exe is not None:
                f_acc = float(np.mean([r["fasttext"]["p_at_1"] for r in rows]))
                f_sec = float(np.median([r["fasttext"]["seconds"] for r in rows]))
                summary.update(fasttext_mean_p1=f_acc, fasttext_median_s=f_sec,
                               p1_difference=e_acc - f_acc, time_ratio=e_sec / f_sec)
                msg += (f" vs fastText {f_acc:.4f} (median {f_sec:.2f}s): difference {e_acc - f_acc:+.4f}, "
                        f"embedcli/fastText time {e_sec / f_sec:.2f}x")
            print(msg, file=sys.stderr)
            report.append(summary)
    if args.json:
        print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
