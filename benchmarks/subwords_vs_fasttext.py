"""embedcli --subwords 3-6 vs fastText (defaults), side by side in one run, per corpus.

    python benchmarks/subwords_vs_fasttext.py --corpus-dir /work/shared/corpora
    python benchmarks/subwords_vs_fasttext.py --corpus-dir /work/shared/corpora --corpora kjv enwiki both
    python benchmarks/subwords_vs_fasttext.py --corpus-dir /work/shared/corpora --objective cbow

Each corpus (``kjv``, ``enwiki`` or ``both`` = kjv then enwiki) goes through the preprocessing of
``train_vs_gensim.py`` (``gensim.utils.simple_preprocess``, lines of at most 1,000 tokens) into a
temporary file that both tools read. Both run as whole processes (reading, vocabulary, training,
saving), timed by wall clock and by CPU (user + system of the process and its children):
``fasttext skipgram`` (or ``cbow``) ``-dim 100 -ws 5 -neg 5 -minCount 5 -epoch 5 -thread 2``
(its defaults otherwise: character n-grams 3-6, 2,000,000 buckets, lr 0.05, t 1e-4) and ``embedcli train --subwords 3-6 --objective skipgram|cbow --dim 100 --window 5
--negative 5 --min-count 5 --epochs 5 --workers 2`` plus ``--embedcli-args`` (default: none).
fastText with two threads differs from run to run, so it runs ``--fasttext-runs`` times (seeds
1, 2, ...; default 2) around the embedcli run (fastText, embedcli, fastText, ...), and the
ratios and differences are against the mean of its runs; embedcli's table depends on the seed
and settings only. ``--baseline CHECKOUT`` also runs the embedcli of another source tree
(``python -m embedcli`` in that directory) just before this one, for a change's before/after in
the same run.

Quality is computed the same way for both, by gensim's ``KeyedVectors`` holding each tool's
vectors of its vocabulary words (fastText's ``.vec``, embedcli's ``table.npy``, both composed
from word and n-gram rows): WordSim-353 Spearman (``evaluate_word_pairs``), SimLex-999 Spearman
and the analogy accuracy on ``questions-words.txt`` (``evaluate_word_analogies``, 3CosAdd over the
300,000 most frequent words), files from gensim's test data. Pairs and questions with a word
outside a tool's vocabulary are skipped by gensim (the share is printed). The machine may be
shared: only the ratios of one run mean something, and CPU seconds are less sensitive to load
than wall seconds.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import EMBEDCLI, TIMING_POLL, measure  # noqa: E402
from train_vs_gensim import embedcli_vectors, prepare  # noqa: E402


CORPORA = {"kjv": ("kjv.txt",), "enwiki": ("enwiki.txt",), "both": ("kjv.txt", "enwiki.txt")}


def run_fasttext(path: str, out: str, args, seed: int) -> tuple[float, float]:
    exe = shutil.which("fasttext")
    if exe is None:
        sys.exit("fasttext is not installed (apt-get install fasttext)")
    cmd = [exe, args.objective, "-input", path, "-output", out, "-dim", str(args.dim), "-ws", "5", "-neg", "5",
           "-minCount", "5", "-epoch", str(args.epochs), "-thread", str(args.workers), "-seed", str(seed)]
    r = measure(cmd, poll=TIMING_POLL)
    return r["seconds"], r["cpu_seconds"]


def run_embedcli(path: str, out: str, args, checkout: str | None = None) -> tuple[float, float, dict]:
    """``embedcli train``; ``checkout``: the embedcli of that source tree (``python -m embedcli`` run
    in it, so that its package comes first, before PYTHONPATH's)."""
    cmd = [EMBEDCLI] if checkout is None else [sys.executable, "-m", "embedcli"]
    cmd += ["train", path, "-o", out, "--objective", args.objective, "--subwords", "3-6", "--dim", str(args.dim),
            "--window", "5", "--negative", "5", "--min-count", "5", "--epochs", str(args.epochs),
            "--workers", str(args.workers), "--json"] + shlex.split(args.embedcli_args)
    r = measure(cmd, cwd=None if checkout is None else os.path.abspath(checkout), poll=TIMING_POLL)
    return r["seconds"], r["cpu_seconds"], json.loads(r["stdout"])


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
    ap.add_argument("--corpora", nargs="+", default=["both"], choices=sorted(CORPORA),
                    help="kjv, enwiki and/or both (kjv then enwiki) [default: both]")
    ap.add_argument("--objective", default="skipgram", choices=["skipgram", "cbow"])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2, help="embedcli --workers and fasttext -thread")
    ap.add_argument("--fasttext-runs", type=int, default=2, help="fastText runs per corpus (seeds 1..N)")
    ap.add_argument("--max-tokens", type=int, default=None, help="use a slice of the corpus (quick iterations)")
    ap.add_argument("--embedcli-args", default="", help="extra embedcli train flags, e.g. '--buckets 2000000'")
    ap.add_argument("--skip-fasttext", action="store_true", help="embedcli only (tuning runs; no ratio)")
    ap.add_argument("--json", metavar="FILE", help="also write every run's figures to FILE")
    ap.add_argument("--baseline", metavar="CHECKOUT", help="also run the embedcli of another source tree (e.g. an "
                    "older commit's `git archive`), right before this one: a before/after in the same run")
    args = ap.parse_args()
    from gensim.test.utils import datapath

    sim_path = os.path.join(args.corpus_dir, "wordsim353.tsv")
    simlex_path = datapath("simlex999.txt")
    analogy_path = datapath("questions-words.txt")
    runs = []  # (corpus, tool, seed, wall, cpu, quality)
    ft_label = f"fasttext {args.objective}"
    e_label = f"embedcli {args.objective} --subwords 3-6 {args.embedcli_args}".strip()
    for corpus in args.corpora:
        with tempfile.TemporaryDirectory(prefix="subwords-bench-") as tmp:
            path = os.path.join(tmp, "corpus.txt")
            n = prepare(args.corpus_dir, path, args.max_tokens, names=CORPORA[corpus])
            print(f"{corpus}: {n:,} tokens", flush=True)
            seeds = [] if args.skip_fasttext else list(range(1, args.fasttext_runs + 1))
            # fastText, embedcli, fastText, ...: both sides see the machine's load of the same minutes
            mine = [("baseline", None)] * bool(args.baseline) + [("embedcli", None)]
            order = [("fasttext", s) for s in seeds[:1]] + mine + [("fasttext", s) for s in seeds[1:]]
            for tool, seed in order:
                if tool == "fasttext":
                    wall, cpu = run_fasttext(path, os.path.join(tmp, "ft"), args, seed)
                    q = quality(fasttext_vectors(os.path.join(tmp, "ft.vec")), sim_path, simlex_path, analogy_path)
                else:
                    out = os.path.join(tmp, "embedcli")
                    wall, cpu, summary = run_embedcli(path, out, args, args.baseline if tool == "baseline" else None)
                    q = quality(embedcli_vectors(out), sim_path, simlex_path, analogy_path)
                    q["buckets"] = summary["subwords"]["buckets"]
                    shutil.rmtree(out)
                runs.append({"corpus": corpus, "tokens": n, "tool": tool, "seed": seed, "wall": wall, "cpu": cpu, **q})
                print(f"  {tool}{'' if seed is None else f' seed {seed}'}: {wall:.1f} s wall, {cpu:.1f} s CPU, "
                      f"WordSim {q['wordsim']:.4f}, SimLex {q['simlex']:.4f}, analogy {q['analogy']:.1%}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"objective": args.objective, "embedcli_args": args.embedcli_args, "runs": runs}, f, indent=1)

    print()
    print("| corpus | tool | seconds (CPU) | WordSim-353 rho | SimLex-999 rho | analogy accuracy (semantic / syntactic) "
          "| analogies answered |")
    print("|---|---|---|---|---|---|---|")
    for r in runs:
        label = {"fasttext": f"{ft_label} seed {r['seed']}", "embedcli": e_label,
                 "baseline": f"{e_label} ({args.baseline})"}[r["tool"]]
        print(f"| {r['corpus']} | {label} | {r['wall']:.1f} ({r['cpu']:.1f}) | {r['wordsim']:.4f} | {r['simlex']:.4f} | "
              f"{r['analogy']:.1%} ({r['analogy_semantic']:.1%} / {r['analogy_syntactic']:.1%}) | "
              f"{r['analogy_answered']:,} |")
    print()
    for corpus in args.corpora:
        ft = [r for r in runs if r["corpus"] == corpus and r["tool"] == "fasttext"]
        e = next(r for r in runs if r["corpus"] == corpus and r["tool"] == "embedcli")
        if not ft:
            continue

        def mean(key):
            return float(np.mean([r[key] for r in ft]))

        def diff(name, key, scale, unit, fmt):
            lo, hi = min(r[key] for r in ft) * scale, max(r[key] for r in ft) * scale
            return f"{name} {(e[key] - mean(key)) * scale:+{fmt}}{unit} (fastText {lo:{fmt}} to {hi:{fmt}})"

        diffs = ", ".join([diff("WordSim", "wordsim", 1, "", ".4f"), diff("SimLex", "simlex", 1, "", ".4f"),
                           diff("analogy", "analogy", 100, " points", ".1f")])
        print(f"{corpus}: embedcli / fastText time = {e['wall'] / mean('wall'):.2f} wall, {e['cpu'] / mean('cpu'):.2f} CPU "
              f"(target <= 0.5); embedcli - fastText mean: {diffs} (target >= 0)")
        b = next((r for r in runs if r["corpus"] == corpus and r["tool"] == "baseline"), None)
        if b is not None:
            same = all(b[k] == e[k] for k in ("wordsim", "simlex", "analogy"))
            print(f"{corpus}: baseline / fastText time = {b['wall'] / mean('wall'):.2f} wall, "
                  f"{b['cpu'] / mean('cpu'):.2f} CPU; embedcli / baseline = {e['wall'] / b['wall']:.2f} wall, "
                  f"{e['cpu'] / b['cpu']:.2f} CPU; quality {'the same' if same else 'differs'}")


if __name__ == "__main__":
    main()
