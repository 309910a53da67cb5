"""Peaks of traced allocations while encoding and training, measured in a fresh process.

``tracemalloc`` traces every thread of a process, and a test process may still run threads that
earlier tests started (a Dask client, a thread pool) and that allocate meanwhile; so each
measurement runs alone in a new interpreter (``python -m support.train_memory CASE ARGS``) and
prints its figures as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc

import numpy as np

from . import REPO


def write_corpus(path, times: int) -> str:
    """Zipf text over 1,500 words (24,000 tokens), ``times`` times over: the same vocabulary and
    frequencies for every ``times``."""
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(1500)])
    ids = rng.zipf(1.3, 24_000) % len(words)
    text = "\n".join(" ".join(words[ids[i : i + 15]]) for i in range(0, len(ids), 15)) + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text * times)
    return str(path)


def measure(case: str, *args) -> dict:
    """Run ``case`` (``peaks`` or ``block``) in a new interpreter; its JSON result."""
    env = dict(os.environ)
    tests = os.path.join(REPO, "tests")
    env["PYTHONPATH"] = os.pathsep.join([REPO, tests] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    proc = subprocess.run([sys.executable, "-m", "support.train_memory", case, *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=600, cwd=tests)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _peaks(path: str) -> dict:
    """Encoding and one epoch of training with small reads (text chunks, id blocks, the trainer's
    blocks and chunks), min count 1: traced bytes above what was live before each."""
    from embedcli import corpus as corpus_mod, io
    from embedcli.config import merge
    from embedcli.corpus import encode_corpus
    from embedcli.sgd import trainer as trainer_mod
    from embedcli.sgd.run import trainable_rows

    io.CHUNK_BYTES = 1 << 14
    corpus_mod.SCAN_CHUNK = 1 << 14
    corpus_mod.BLOCK = 1 << 12
    trainer_mod.READ_BLOCK = 1 << 11
    trainer_mod.READ_CHUNK = 1 << 9
    settings = merge({}, dict(corpus=[path], epochs=1, dim=32, window=5, negative=5, min_count=1,
                              round_batches=4, batch_words=256, seed=3))
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    vocab, corpus = encode_corpus([path], min_count=1, in_child=False)  # here, to trace it
    encoding = tracemalloc.get_traced_memory()[1] - base
    with corpus:
        trainable = trainable_rows(vocab)
        trainer = trainer_mod.Trainer(corpus, np.array(vocab.counts), trainable, settings, 1)
        state = trainer_mod.init_state(len(vocab), 32, 3, trainable)
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        trainer.run(state)
        training = tracemalloc.get_traced_memory()[1] - base
        return {"encoding": encoding, "training": training, "words": corpus.n_words,
                "read_block": trainer_mod.READ_BLOCK}


def _block(path: str) -> dict:
    """Iterating one epoch's batches of a corpus that is one block (sample 0: every token kept)."""
    from embedcli.config import merge
    from embedcli.corpus import encode_corpus
    from embedcli.sgd import trainer as trainer_mod
    from embedcli.sgd.run import trainable_rows

    trainer_mod.READ_BLOCK = 1 << 18
    trainer_mod.READ_CHUNK = 1 << 12
    vocab, corpus = encode_corpus([path], min_count=5)
    settings = merge({}, dict(corpus=[path], epochs=1, window=5, negative=5, sample=0.0, round_batches=4))
    with corpus:
        trainer = trainer_mod.Trainer(corpus, np.array(vocab.counts), trainable_rows(vocab), settings, 1)
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        n = sum(1 for _ in trainer._batches(0))
        peak = tracemalloc.get_traced_memory()[1] - base
        return {"entries": corpus.n_entries, "batches": n, "peak": peak, "read_block": trainer_mod.READ_BLOCK}


def _rss(path: str, workers: str) -> dict:
    """``embedcli.train``'s whole run (encoding, ``workers`` processes, the model): the peak
    resident size (KiB) of this process (``VmHWM``: ``getrusage`` would count the test process
    that started this one, whose high-water mark an ``exec`` keeps) and of the largest child
    process (the encoding process, a worker: forked, not exec'd; ``getrusage``)."""
    import resource

    from embedcli.config import merge
    from embedcli.heap import tune_malloc
    from embedcli.sgd import trainer as trainer_mod
    from embedcli.sgd.run import train_model

    from embedcli import corpus as corpus_mod, io

    io.CHUNK_BYTES = corpus_mod.SCAN_CHUNK = 1 << 14  # both corpora span many reads of every kind
    corpus_mod.BLOCK = 1 << 12
    trainer_mod.READ_BLOCK = 1 << 14
    trainer_mod.READ_CHUNK = 1 << 12
    tune_malloc()  # as the train command does: freed heap memory stays resident
    settings = merge({}, dict(corpus=[path], epochs=1, dim=16, window=5, negative=5, min_count=1,
                              workers=int(workers), seed=3))
    settings.output = None
    result = train_model(settings)
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return {"self": hwm,
            "children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            "words": result.words_per_epoch}


if __name__ == "__main__":
    case, args = sys.argv[1], sys.argv[2:]
    print(json.dumps({"peaks": _peaks, "block": _block, "rss": _rss}[case](*args)))
