"""Training a trained model further, side by side: embedcli ``train --continue-from`` against
gensim's ``build_vocab(update=True)`` + ``train`` on its saved model.

    python benchmarks/continue_vs_gensim.py --corpus-dir ../shared/corpora
    python benchmarks/continue_vs_gensim.py --corpus-dir ../shared/corpora --objectives cbow --seeds 2

Each tool trains on kjv (5 epochs), then that model is trained 5 more epochs on enwiki (new words
added), every step a whole process on the files ``train_vs_gensim.prepare`` makes (gensim's
``simple_preprocess``, lines of at most 1,000 tokens), dim 100, window 5, negative 5, min count 5,
2 workers, each tool's defaults otherwise. Printed: the continued step's seconds (wall, CPU), the
vocabulary before and after, and the quality of the kjv model and of the continued one (WordSim-353,
SimLex-999, analogies, as ``train_quality.py`` computes them), with a model trained on both corpora
at once for reference.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from run import EMBEDCLI, PEERS, PY, TIMING_POLL, measure  # noqa: E402
from train_quality import quality  # noqa: E402
from train_vs_gensim import embedcli_vectors, prepare  # noqa: E402

COMMON = ["--dim", "100", "--window", "5", "--negative", "5", "--min-count", "5", "--workers", "2", "--quiet"]


def embedcli_step(corpus: str, out: str, objective: str, seed: int, base: str | None = None) -> dict:
    cmd = [EMBEDCLI, "train", corpus, "-o", out, "--objective", objective, "--seed", str(seed), *COMMON]
    if base is not None:
        cmd += ["--continue-from", base]
    r = measure(cmd, poll=TIMING_POLL)  # (a failed run raises, with its stderr)
    with open(os.path.join(out, "vocab.json"), encoding="utf-8") as f:
        r["vocab"] = len(json.load(f)["tokens"]) - 2  # words (the two specials left out)
    return r


def gensim_step(corpus: str, out: str, objective: str, seed: int, base: str | None = None, full: str | None = None) -> dict:
    if base is None:
        cmd = [PY, PEERS, "gensim-train", corpus, out, "--sg", "1" if objective == "skipgram" else "0",
               "--workers", "2", "--seed", str(seed), "--full", full]
    else:
        cmd = [PY, PEERS, "gensim-continue", base, corpus, out, "--epochs", "5"]
    r = measure(cmd, poll=TIMING_POLL)
    r["vocab"] = json.loads(r["stdout"])["vocab"]
    return r


def row(name: str, r: dict | None, q: dict) -> str:
    timing = f"{r['seconds']:.2f} ({r['cpu_seconds']:.2f}) | {r['vocab']:,}" if r is not None else "- | -"
    return f"| {name} | {timing} | {q['ws353']:.3f} | {q['simlex']:.3f} | {q['analogy']:.3f} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus-dir", required=True)
    ap.add_argument("--objectives", nargs="+", default=["skipgram", "cbow"], choices=["skipgram", "cbow"])
    ap.add_argument("--seeds", type=int, default=1)
    args = ap.parse_args()
    from gensim.models import KeyedVectors

    with tempfile.TemporaryDirectory(prefix="embedcli-continue-") as tmp:
        files = {}
        for name, names in (("kjv", ("kjv.txt",)), ("enwiki", ("enwiki.txt",)), ("both", ("kjv.txt", "enwiki.txt"))):
            files[name] = os.path.join(tmp, name + ".txt")
            prepare(args.corpus_dir, files[name], None, names=names)
        print("| run | continued step: seconds (CPU) | words | WordSim-353 | SimLex-999 | analogy |")
        print("|---|---|---|---|---|---|")
        for objective in args.objectives:
            for seed in range(1, args.seeds + 1):
                d = os.path.join(tmp, f"{objective}{seed}")
                os.makedirs(d)
                e1 = embedcli_step(files["kjv"], os.path.join(d, "e1"), objective, seed)
                e2 = embedcli_step(files["enwiki"], os.path.join(d, "e2"), objective, seed, os.path.join(d, "e1"))
                g1 = gensim_step(files["kjv"], os.path.join(d, "g1.kv"), objective, seed, full=os.path.join(d, "g1.model"))
                g2 = gensim_step(files["enwiki"], os.path.join(d, "g2.kv"), objective, seed, base=os.path.join(d, "g1.model"))
                eb = embedcli_step(files["both"], os.path.join(d, "eb"), objective, seed)
                gb = gensim_step(files["both"], os.path.join(d, "gb.kv"), objective, seed, full=os.path.join(d, "gb.model"))
                tag = f"{objective} seed {seed}"
                print(row(f"{tag}: embedcli kjv", e1, quality(embedcli_vectors(os.path.join(d, 'e1')), args.corpus_dir)))
                print(row(f"{tag}: embedcli kjv, then --continue-from on enwiki", e2,
                          quality(embedcli_vectors(os.path.join(d, "e2")), args.corpus_dir)))
                print(row(f"{tag}: gensim kjv", g1, quality(KeyedVectors.load(os.path.join(d, "g1.kv")), args.corpus_dir)))
                print(row(f"{tag}: gensim kjv, then build_vocab(update=True) + train on enwiki", g2,
                          quality(KeyedVectors.load(os.path.join(d, "g2.kv")), args.corpus_dir)))
                print(row(f"{tag}: embedcli both at once", eb, quality(embedcli_vectors(os.path.join(d, 'eb')), args.corpus_dir)))
                print(row(f"{tag}: gensim both at once", gb, quality(KeyedVectors.load(os.path.join(d, "gb.kv")), args.corpus_dir)))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
