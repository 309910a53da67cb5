"""Helpers and fixtures of the config tests, shared by test_cli_config.py, test_config.py."""


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path
