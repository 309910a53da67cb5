"""The one on-disk id store: anonymous temporary files that a killed process cannot leave behind.
The library; the command-line tests are in test_cli_idstore.py."""

from __future__ import annotations

import os

import numpy as np
import pytest

from embedcli.errors import EmbedcliError
from embedcli.idstore import IdStore, scratch_array


def test_store_appends_reads_blocks_and_has_no_name(tmp_path):
    with IdStore(np.int32, tmp_path) as store:
        store.append(np.arange(10, dtype=np.int64))  # converted to the store's dtype
        store.append([])
        store.append(np.array([-1, 7], dtype=np.int32))
        assert os.listdir(tmp_path) == []  # never a name in the directory
        assert store.count == 12 and len(store) == 12
        assert store.array().tolist() == list(range(10)) + [-1, 7]
        blocks = list(store.blocks(5))
        assert [len(b) for b in blocks] == [5, 5, 2] and blocks[0].flags.writeable
        assert np.concatenate(blocks).tolist() == store.array().tolist()
        assert store.view().dtype == np.int32 and store.view()[-2:].tolist() == [-1, 7]
        assert store.read(11, 100).tolist() == [7]
    assert store.closed
    wide = IdStore(np.int64, tmp_path)
    wide.append(np.array([2**40]))
    assert wide.array().tolist() == [2**40]
    wide.close()
    arr = scratch_array((3, 4), np.int64, tmp_path)
    arr[1, 2] = 5
    assert arr.sum() == 5 and os.listdir(tmp_path) == []


def test_missing_tmp_dir_is_one_clear_error(tmp_path):
    with pytest.raises(EmbedcliError, match="no such directory"):
        IdStore(np.int32, tmp_path / "missing")
