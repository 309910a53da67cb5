"""Shared by test_classify_subwords.py and test_cli_classify_subwords.py."""

# the label depends on the suffix only: an unseen word is classified by its n-grams
SUFFIXES = [
    "__label__verb running jumping singing",
    "__label__noun nation station relation",
    "__label__verb walking talking",
    "__label__noun creation motion",
    "__label__verb reading writing",
    "__label__noun fraction portion",
]
