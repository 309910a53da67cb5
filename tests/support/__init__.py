"""Helpers shared by test modules (test modules never import each other): ``support.X`` holds
what the library tests (test_X.py) and the command-line tests (test_cli_X.py) of a topic share."""

import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
