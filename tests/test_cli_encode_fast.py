"""The fast file encoder (PieceEncoder / iter_encoded_file / encode_file_to_npy) gives exactly the
ids of the reference path (iter_lines + encode_tokens_lines + pad_sequences). Through the
command line; the library tests are in test_encode_fast.py."""

from __future__ import annotations

import numpy as np

from embedcli.cli import main

from support.encode_fast import _write


def test_cli_fast_npy_path_equals_the_spool_path(runner, tmp_path):
    corpus = _write(tmp_path, "c.txt", "".join(f"Line {i} of w{i % 13}, don't-stop {'x ' * (i % 70)}\n"
                                               for i in range(500)))
    r = runner.invoke(main, ["vocab", str(corpus), "-o", str(tmp_path / "v.json"), "-q", "--min-count", "3"])
    assert r.exit_code == 0, r.output
    for padding in ("pre", "post"):
        fast_out, csv_out = tmp_path / f"f{padding}.npy", tmp_path / f"s{padding}.csv"
        args = ["encode", "-v", str(tmp_path / "v.json"), "-i", str(corpus), "--maxlen", "64", "--padding", padding]
        r = runner.invoke(main, args + ["-o", str(fast_out), "--json"])
        assert r.exit_code == 0, r.output
        assert '"rows": 500' in r.output
        r = runner.invoke(main, args + ["-o", str(csv_out), "-q"])
        assert r.exit_code == 0, r.output
        via_spool = np.loadtxt(csv_out, delimiter=",", dtype=np.int32)
        assert (np.load(fast_out) == via_spool).all()
