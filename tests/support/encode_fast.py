"""Helpers and fixtures of the encode_fast tests, shared by test_cli_encode_fast.py,
test_encode_fast.py."""

from __future__ import annotations


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p
