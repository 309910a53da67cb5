#!/usr/bin/env python3
"""The peer side of the benchmarks, each run as its own process by ``benchmarks/run.py``.

    python benchmarks/peers.py tokenizers-vocab CORPUS OUT.json
    python benchmarks/peers.py tokenizers-encode CORPUS VOCAB.json OUT.npy --maxlen 64
    python benchmarks/peers.py gensim-train CORPUS OUT.json --sg 1 --workers 2 ... [--full MODEL]
    python benchmarks/peers.py gensim-continue MODEL NEW_CORPUS OUT --epochs 5

Every sub-command does the whole job a user would run (load, compute, write the result) and
prints one JSON line with what it produced, so the harness can check the two sides did the
same amount of work.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def tokenizers_vocab(args) -> dict:
    """Hugging Face tokenizers ``WordLevelTrainer``: Lowercase normaliser, Whitespace pre-tokenizer."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(
        vocab_size=1 << 30, min_frequency=1, special_tokens=["<pad>", "<unk>"], show_progress=False
    )
    tok.train([args.corpus], trainer)
    tok.save(args.output)
    return {"size": tok.get_vocab_size()}


def tokenizers_encode(args) -> dict:
    """tokenizers ``encode_batch`` with padding/truncation to ``maxlen`` (Keras' pre/pre), into
    an int32 ``.npy`` written through a memory map; lines read in batches."""
    import numpy as np
    from numpy.lib.format import open_memmap
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    with open(args.vocab, encoding="utf-8") as f:
        tokens = json.load(f)["tokens"]  # an embedcli vocabulary: same ids on both sides
    tok = Tokenizer(models.WordLevel(vocab={t: i for i, t in enumerate(tokens)}, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.enable_padding(direction="left", pad_id=0, pad_token="<pad>", length=args.maxlen)
    tok.enable_truncation(max_length=args.maxlen, direction="left")
    with open(args.corpus, "rb") as f:
        n_rows = sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 22), b""))
    out = open_memmap(args.output, mode="w+", dtype=np.int32, shape=(n_rows, args.maxlen))
    row = 0
    with open(args.corpus, encoding="utf-8") as f:
        while True:
            batch = [line.rstrip("\n") for _, line in zip(range(args.batch), f)]
            if not batch:
                break
            enc = tok.encode_batch(batch)
            out[row : row + len(batch)] = np.array([e.ids for e in enc], dtype=np.int32)
            row += len(batch)
    out.flush()
    return {"rows": row, "maxlen": args.maxlen}


def gensim_train(args) -> dict:
    """gensim ``Word2Vec`` over ``LineSentence`` of a corpus already tokenised with
    ``simple_preprocess`` (``benchmarks/train_vs_gensim.py``'s ``prepare``): vocabulary scan,
    training and saving the vectors, WordSim-353 afterwards (not timed in-process).
    ``train_seconds``: the training phase alone (``train`` begin to end, by gensim's callbacks)."""
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec
    from gensim.models.word2vec import LineSentence

    class Phase(CallbackAny2Vec):
        """When ``train`` begins and ends (gensim calls these once each: nothing per word)."""

        begin = end = None

        def on_train_begin(self, model):
            self.begin = time.perf_counter()

        def on_train_end(self, model):
            self.end = time.perf_counter()

    phase = Phase()
    start = time.perf_counter()
    model = Word2Vec(
        LineSentence(args.corpus), vector_size=args.dim, window=args.window, negative=args.negative,
        min_count=args.min_count, sg=args.sg, epochs=args.epochs, workers=args.workers, seed=args.seed,
        callbacks=[phase],
        **({"alpha": args.alpha} if args.alpha is not None else {}),
        **({"sample": args.sample} if args.sample is not None else {}),
    )
    seconds = time.perf_counter() - start
    model.wv.save(args.output)  # KeyedVectors, evaluated by the harness outside the timed process
    if args.full:  # the whole model, to be trained further (gensim-continue)
        model.save(args.full)
    return {"seconds_in_process": round(seconds, 3), "train_seconds": round(phase.end - phase.begin, 3),
            "words": model.corpus_total_words * args.epochs, "vocab": len(model.wv)}


def gensim_continue(args) -> dict:
    """gensim's online training of a saved ``Word2Vec``: ``build_vocab(update=True)`` on a new
    corpus (``LineSentence``), then ``train`` for ``epochs`` more epochs (its learning rate from
    alpha down again), as its documentation shows; the vectors saved as ``gensim-train`` does."""
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    start = time.perf_counter()
    model = Word2Vec.load(args.model)
    before = len(model.wv)
    model.build_vocab(LineSentence(args.corpus), update=True)
    model.train(LineSentence(args.corpus), total_examples=model.corpus_count, epochs=args.epochs)
    seconds = time.perf_counter() - start
    model.wv.save(args.output)
    return {"seconds_in_process": round(seconds, 3), "vocab": len(model.wv), "words_added": len(model.wv) - before}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("tokenizers-vocab")
    p.add_argument("corpus")
    p.add_argument("output")
    p = sub.add_parser("tokenizers-encode")
    p.add_argument("corpus")
    p.add_argument("vocab")
    p.add_argument("output")
    p.add_argument("--maxlen", type=int, default=64)
    p.add_argument("--batch", type=int, default=10000)
    p = sub.add_parser("gensim-train")
    p.add_argument("corpus")
    p.add_argument("output")
    p.add_argument("--sg", type=int, default=1)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--alpha", type=float, default=None, help="learning rate (gensim's default 0.025 when not given)")
    p.add_argument("--sample", type=float, default=None, help="subsampling (gensim's default 1e-3 when not given)")
    p.add_argument("--full", default=None, help="also save the whole model here (for gensim-continue)")
    p = sub.add_parser("gensim-continue")
    p.add_argument("model", help="a model saved by gensim-train --full")
    p.add_argument("corpus")
    p.add_argument("output")
    p.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    fn = {"tokenizers-vocab": tokenizers_vocab, "tokenizers-encode": tokenizers_encode,
          "gensim-train": gensim_train, "gensim-continue": gensim_continue}[args.cmd]
    print(json.dumps(fn(args)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
