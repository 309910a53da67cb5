"""gensim's and fastText's names for embedcli's settings, in one table: the config file's unknown
keys (:func:`embedcli.config.key_hint`), ``embedcli.train``'s unknown keyword arguments and the
command line's unknown flags (:data:`embedcli.cli.PEER_FLAGS`) are all answered from it. Kept
apart from :mod:`embedcli.config` so that the command line reads it without importing YAML."""

#: a peer's name for a setting -> embedcli's key (config key, keyword argument; the flag is
#: ``--`` + the key with ``-`` for ``_``)
PEER_KEYS = {
    "vector_size": "dim", "size": "dim", "iter": "epochs", "epoch": "epochs", "alpha": "lr", "learning_rate": "lr",
    "min_alpha": "min_lr", "mincount": "min_count", "minCount": "min_count", "ws": "window", "neg": "negative",
    "thread": "workers", "threads": "workers", "wordNgrams": "word_ngrams", "bucket": "buckets",
    "max_vocab_size": "max_size", "t": "sample", "sg": "objective", "minn": "subwords", "maxn": "subwords",
    "min_n": "subwords", "max_n": "subwords", "pretrainedVectors": "init", "label": "label_prefix",
}


#: fastText's commands -> what does the same job in embedcli (answered when a fastText habit is
#: typed as an embedcli command: ``embedcli predict-prob ...``)
PEER_COMMANDS = {
    "supervised": "'embedcli train --objective classify'", "skipgram": "'embedcli train'",
    "cbow": "'embedcli train --objective cbow'", "predict-prob": "'embedcli predict --prob'",
    "test-label": "'embedcli test --per-label'", "nn": "'embedcli similar'",
    "analogies": "'embedcli analogy MODEL B A C' for its query A B C (A - B + C)",
    "print-word-vectors": "'embedcli vectors'", "dump": "'embedcli info'",
    # fastText's sentence vector of word vectors is the mean of the unit-normalised rows
    "print-sentence-vectors": "'embedcli embed --normalize' ('embedcli embed' for a classifier)",
}


def flag(key: str) -> str:
    """The command-line flag of a setting: ``min_count`` -> ``--min-count``."""
    return "--" + key.replace("_", "-")
