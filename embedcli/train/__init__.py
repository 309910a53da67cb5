"""Trainers of embedding tables (pure NumPy): skip-gram, CBOW and the fastText-style classifier
(:mod:`embedcli.train.classify`)."""
