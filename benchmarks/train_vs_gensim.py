"""embedcli train vs gensim Word2Vec, side by side in one run: wall-clock and WordSim-353.

    python benchmarks/train_vs_gensim.py --corpus-dir /work/shared/corpora

Both corpora (kjv.txt, enwiki.txt) are tokenised with ``gensim.utils.simple_preprocess``
and cut into lines of at most 1,000 tokens, written to one temporary file that both sides
read. embedcli runs as a subprocess (``embedcli train FILE ...``: reading, vocabulary,
training and saving included); gensim runs in this process (``Word2Vec(LineSentence(FILE),
...)``: vocabulary scan and training, import excluded). WordSim-353 is computed for both by
gensim's ``KeyedVectors.evaluate_word_pairs`` (embedcli's table is loaded into a
KeyedVectors), so the two Spearman figures are computed the same way.

The machine is shared: only the ratios of one run mean something. WordSim-353 on a 1.2M-token
corpus is noisy (gensim's own figure moves by ±0.02 between seeds and thread schedules), so
each tool runs with seeds 1..N (``--seeds``, default 3) and the table shows means.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def prepare(corpus_dir: str, out_path: str, max_tokens: int | None, cut: int = 1000,
            names: tuple[str, ...] = ("kjv.txt", "enwiki.txt")) -> int:
    from gensim.utils import simple_preprocess

    n = 0
    with open(out_path, "w", encoding="utf-8") as out:
        for name in names:
            with open(os.path.join(corpus_dir, name), encoding="utf-8") as f:
                for line in f:
                    toks = simple_preprocess(line)
                    for i in range(0, len(toks), cut):
                        piece = toks[i : i + cut]
                        if piece:
                            out.write(" ".join(piece) + "\n")
                            n += len(piece)
                    if max_tokens and n >= max_tokens:
                        break
            if max_tokens and n >= max_tokens:
                break
    return n


def run_embedcli(path: str, out: str, objective: str, args, seed: int) -> tuple[float, dict]:
    cmd = ["embedcli", "train", path, "-o", out, "--objective", objective, "--dim", str(args.dim),
           "--window", "5", "--negative", "5", "--min-count", "5", "--epochs", str(args.epochs),
           "--workers", str(args.workers), "--seed", str(seed), "--json"]
    start = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if res.returncode != 0:
        sys.exit(f"embedcli failed: {res.stderr}")
    return seconds, json.loads(res.stdout)


def run_gensim(path: str, objective: str, workers: int, args, seed: int, alpha: float = 0.025):
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    start = time.perf_counter()
    model = Word2Vec(LineSentence(path), sg=1 if objective == "skipgram" else 0, vector_size=args.dim,
                     window=5, negative=5, min_count=5, epochs=args.epochs, workers=workers, seed=seed,
                     alpha=alpha)
    return time.perf_counter() - start, model.wv


def embedcli_vectors(model_dir: str):
    from gensim.models import KeyedVectors

    from embedcli.model import Model

    m = Model.load(model_dir)
    specials = set(m.vocab.special_ids())
    keep = [i for i in range(len(m.vocab)) if i not in specials]
    kv = KeyedVectors(m.dim)
    kv.add_vectors([m.vocab.tokens[i] for i in keep], m.table[keep])
    return kv


def wordsim(kv, path: str) -> tuple[float, float]:
    import logging

    logging.disable(logging.WARNING)
    pearson, spearman, oov = kv.evaluate_word_pairs(path)
    return float(spearman[0]), float(oov)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus-dir", required=True)
    ap.add_argument("--objectives", nargs="+", default=["skipgram", "cbow"], choices=["skipgram", "cbow"])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2, help="embedcli --workers (gensim runs with 1 and 2)")
    ap.add_argument("--max-tokens", type=int, default=None, help="use a slice of the corpus (quick iterations)")
    ap.add_argument("--no-gensim-1", action="store_true", help="skip gensim workers=1")
    ap.add_argument("--no-gensim-alpha", action="store_true", help="skip gensim cbow with alpha 0.05")
    ap.add_argument("--seeds", type=int, default=3, help="runs per tool with seeds 1..N (WordSim is noisy)")
    args = ap.parse_args()

    sim_path = os.path.join(args.corpus_dir, "wordsim353.tsv")
    seeds = list(range(1, args.seeds + 1))
    with tempfile.TemporaryDirectory(prefix="train-bench-") as tmp:
        path = os.path.join(tmp, "corpus.txt")
        n = prepare(args.corpus_dir, path, args.max_tokens)
        print(f"prepared corpus: {n:,} tokens ({path})", flush=True)
        rows = []
        for objective in args.objectives:
            runs = {"e": [], "g2": [], "g1": [], "g2a": []}
            for seed in seeds:
                out = os.path.join(tmp, f"model-{objective}-{seed}")
                e_sec, summary = run_embedcli(path, out, objective, args, seed)
                e_rho, _ = wordsim(embedcli_vectors(out), sim_path)
                runs["e"].append((e_sec, e_rho))
                g2_sec, g2_kv = run_gensim(path, objective, 2, args, seed)
                runs["g2"].append((g2_sec, wordsim(g2_kv, sim_path)[0]))
                line = (f"{objective} seed {seed}: embedcli {e_sec:.2f}s rho {e_rho:.4f} "
                        f"(final loss {summary['final_loss']:.4f}); gensim w2 {g2_sec:.2f}s rho {runs['g2'][-1][1]:.4f}")
                if not args.no_gensim_1:
                    g1_sec, g1_kv = run_gensim(path, objective, 1, args, seed)
                    runs["g1"].append((g1_sec, wordsim(g1_kv, sim_path)[0]))
                    line += f"; gensim w1 {g1_sec:.2f}s rho {runs['g1'][-1][1]:.4f}"
                if objective == "cbow" and not args.no_gensim_alpha:
                    # embedcli's CBOW default lr is word2vec.c's 0.05; gensim's default is 0.025
                    ga_sec, ga_kv = run_gensim(path, objective, 2, args, seed, alpha=0.05)
                    runs["g2a"].append((ga_sec, wordsim(ga_kv, sim_path)[0]))
                    line += f"; gensim w2 alpha 0.05 {ga_sec:.2f}s rho {runs['g2a'][-1][1]:.4f}"
                print(line, flush=True)
            rows.append((objective, runs))

    def mean(pairs, i):
        return float(np.mean([p[i] for p in pairs])) if pairs else None

    def std(pairs, i):
        return float(np.std([p[i] for p in pairs])) if pairs else None

    print()
    print(f"means over seeds {seeds}; embedcli --workers {args.workers}")
    print("| objective | embedcli s | gensim w=2 s | gensim w=1 s | speed vs gensim w=2 | speed vs gensim w=1 | "
          "WordSim rho embedcli | rho gensim w=2 | rho gensim w=1 | rho diff (embedcli - gensim w=2) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for objective, runs in rows:
        e_sec, g2_sec, g1_sec = mean(runs["e"], 0), mean(runs["g2"], 0), mean(runs["g1"], 0)
        e_rho, g2_rho, g1_rho = mean(runs["e"], 1), mean(runs["g2"], 1), mean(runs["g1"], 1)
        g1s = f"{g1_sec:.2f}" if g1_sec else "-"
        r1 = f"{g1_sec / e_sec:.2f}x" if g1_sec else "-"
        g1r = f"{g1_rho:.4f} ± {std(runs['g1'], 1):.4f}" if g1_rho is not None else "-"
        print(f"| {objective} | {e_sec:.2f} | {g2_sec:.2f} | {g1s} | {g2_sec / e_sec:.2f}x | {r1} | "
              f"{e_rho:.4f} ± {std(runs['e'], 1):.4f} | {g2_rho:.4f} ± {std(runs['g2'], 1):.4f} | {g1r} | "
              f"{e_rho - g2_rho:+.4f} |")
    for objective, runs in rows:
        if runs["g2a"]:
            ga_sec, ga_rho = mean(runs["g2a"], 0), mean(runs["g2a"], 1)
            e_sec, e_rho = mean(runs["e"], 0), mean(runs["e"], 1)
            print(f"| {objective} vs gensim alpha=0.05 (embedcli's cbow lr) | {e_sec:.2f} | {ga_sec:.2f} | - | "
                  f"{ga_sec / e_sec:.2f}x | - | {e_rho:.4f} | {ga_rho:.4f} ± {std(runs['g2a'], 1):.4f} | - | "
                  f"{e_rho - ga_rho:+.4f} |")
    print("\nspeed = gensim seconds / embedcli seconds (higher is faster; target >= 0.5x gensim workers=2); "
          "rho: mean ± std over the seeds")


if __name__ == "__main__":
    main()
