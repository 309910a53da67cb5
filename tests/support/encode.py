"""Helpers and fixtures of the encode tests, shared by test_cli_encode.py, test_encode.py."""

import numpy as np


def keras_pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    """A line-by-line transcription of keras.utils.pad_sequences (Keras 3) for int sequences."""
    lengths = [len(x) for x in sequences]
    if maxlen is None:
        maxlen = max(lengths)
    x = np.full((len(sequences), maxlen), value, dtype="int32")
    for idx, s in enumerate(sequences):
        if not len(s):
            continue
        if truncating == "pre":
            trunc = s[-maxlen:]
        elif truncating == "post":
            trunc = s[:maxlen]
        else:
            raise ValueError(truncating)
        trunc = np.asarray(trunc, dtype="int32")
        if padding == "post":
            x[idx, : len(trunc)] = trunc
        elif padding == "pre":
            x[idx, -len(trunc):] = trunc
        else:
            raise ValueError(padding)
    return x
