"""embedcli --subwords 3-6 vs `fasttext skipgram` (defaults), side by side in one run.

    python benchmarks/subwords_vs_fasttext.py --corpus-dir /work/shared/corpora

Both corpora (kjv.txt, enwiki.txt) go through the preprocessing of ``train_vs_gensim.py``
(``gensim.utils.simple_preprocess``, lines of at most 1,000 tokens) into one temporary file that
both tools read. Both run as whole processes (reading, vocabulary, training, saving), timed by
wall clock: ``fasttext skipgram -dim 100 -ws 5 -neg 5 -minCount 5 -epoch 5 -thread 2`` (its
defaults otherwise: character n-grams 3-6, 2,000,000 buckets, lr 0.05, t 1e-4) and ``embedcli
train --subwords 3-6 --dim 100 --window 5 --negative 5 --min-count 5 --epochs 5 --workers 2``
plus ``--embedcli-args`` (default: none).

Quality is computed the same way for both, by gensim's ``KeyedVectors`` holding each tool's
vectors of its vocabulary words (fastText's ``.vec``, embedcli's ``table.npy``, both composed
from word and n-gram rows): WordSim-353 Spearman (``evaluate_word_pairs``), SimLex-999 Spearman
and the analogy accuracy on ``questions-words.txt`` (``evaluate_word_analogies``, 3CosAdd over the
300,000 most frequent words), files from gensim's test data. Pairs and questions with a word
outside a tool's vocabulary are skipped by gensim (the share is printed). The machine is shared:
only the ratios of one run mean something.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_vs_gensim import embedcli_vectors, prepare  # noqa: E402


def run_fasttext(path: str, out: str, args) -> float:
    exe = shutil.which("fasttext")
    if exe is None:
        sys.exit("fasttext is not installed (apt-get install fasttext)")
    cmd = [exe, "skipgram", "-input", path, "-output", out, "-dim", str(args.dim), "-ws", "5", "-neg", "5",
           "-minCount", "5", "-epoch", str(args.epochs), "-thread", str(args.workers), "-seed", "1"]
    start = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if res.returncode != 0:
        sys.exit(f"fasttext failed: {res.stderr[-2000:]}")
    return seconds


def run_embedcli(path: str, out: str, args) -> tuple[float, dict]:
    cmd = ["embedcli", "train", path, "-o", out, "--subwords", "3-6", "--dim", str(args.dim), "--window", "5",
           "--negative", "5", "--min-count", "5", "--epochs", str(args.epochs), "--workers", str(args.workers),
           "--json"] + shlex.split(args.embedcli_args)
    start = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if res.returncode != 0:
        sys.exit(f"embedcli failed: {res.stderr[-2000:]}")
    return seconds, json.loads(res.stdout)


def fasttext_vectors(vec_path: str):
    from gensim.models import KeyedVectors

    kv = KeyedVectors.load_word2vec_format(vec_path, binary=False, unicode_errors="replace")
    if "</s>" in kv.key_to_index:  # fastText's end-of-line token is not a word
        keep = [w for w in kv.index_to_key if w != "</s>"]
        out = KeyedVectors(kv.vector_size)
        out.add_vectors(keep, kv[keep])
        kv = out
    return kv


def quality(kv, sim_path: str, simlex_path: str, analogy_path: str) -> dict:
    logging.disable(logging.WARNING)
    _, ws, ws_oov = kv.evaluate_word_pairs(sim_path)
    _, sl, sl_oov = kv.evaluate_word_pairs(simlex_path)
    acc, sections = kv.evaluate_word_analogies(analogy_path)
    total = next(s for s in sections if s["section"] == "Total accuracy")
    answered = len(total["correct"]) + len(total["incorrect"])
    sem = [s for s in sections if s["section"] != "Total accuracy" and not s["section"].startswith("gram")]
    syn = [s for s in sections if s["section"].startswith("gram")]

    def part(secs):
        c = sum(len(s["correct"]) for s in secs)
        n = c + sum(len(s["incorrect"]) for s in secs)
        return c / n if n else float("nan")

    return {"wordsim": float(ws[0]), "wordsim_oov": float(ws_oov), "simlex": float(sl[0]), "simlex_oov": float(sl_oov),
            "analogy": float(acc), "analogy_answered": answered, "analogy_semantic": part(sem),
            "analogy_syntactic": part(syn)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus-dir", required=True)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2, help="embedcli --workers and fasttext -thread")
    ap.add_argument("--max-tokens", type=int, default=None, help="use a slice of the corpus (quick iterations)")
    ap.add_argument("--embedcli-args", default="", help="extra embedcli train flags, e.g. '--lr 0.05'")
    ap.add_argument("--skip-fasttext", action="store_true", help="embedcli only (tuning runs; no ratio)")
    args = ap.parse_args()
    from gensim.test.utils import datapath

    sim_path = os.path.join(args.corpus_dir, "wordsim353.tsv")
    simlex_path = datapath("simlex999.txt")
    analogy_path = datapath("questions-words.txt")
    with tempfile.TemporaryDirectory(prefix="subwords-bench-") as tmp:
        path = os.path.join(tmp, "corpus.txt")
        n = prepare(args.corpus_dir, path, args.max_tokens)
        print(f"prepared corpus: {n:,} tokens", flush=True)
        rows = []
        if not args.skip_fasttext:
            ft_sec = run_fasttext(path, os.path.join(tmp, "ft"), args)
            ft = quality(fasttext_vectors(os.path.join(tmp, "ft.vec")), sim_path, simlex_path, analogy_path)
            rows.append(("fasttext skipgram (defaults, -thread %d)" % args.workers, ft_sec, ft))
            print(f"fasttext: {ft_sec:.1f}s {ft}", flush=True)
        out = os.path.join(tmp, "embedcli")
        e_sec, summary = run_embedcli(path, out, args)
        e = quality(embedcli_vectors(out), sim_path, simlex_path, analogy_path)
        label = f"embedcli --subwords 3-6 --workers {args.workers} {args.embedcli_args}".strip()
        rows.append((label, e_sec, e))
        print(f"embedcli: {e_sec:.1f}s {e} buckets {summary['subwords']['buckets']:,}", flush=True)

    print()
    print("| tool | seconds | WordSim-353 rho | SimLex-999 rho | analogy accuracy (semantic / syntactic) | "
          "analogies answered |")
    print("|---|---|---|---|---|---|")
    for label, sec, q in rows:
        print(f"| {label} | {sec:.1f} | {q['wordsim']:.4f} | {q['simlex']:.4f} | {q['analogy']:.1%} "
              f"({q['analogy_semantic']:.1%} / {q['analogy_syntactic']:.1%}) | {q['analogy_answered']:,} |")
    if len(rows) == 2:
        (_, ft_sec, ft), (_, e_sec, e) = rows
        print(f"\nembedcli time / fastText time = {e_sec / ft_sec:.2f} (target <= 0.5); "
              f"WordSim {e['wordsim'] - ft['wordsim']:+.4f}, SimLex {e['simlex'] - ft['simlex']:+.4f}, "
              f"analogy {e['analogy'] - ft['analogy']:+.1%} (embedcli - fastText; target >= 0)")


if __name__ == "__main__":
    main()
