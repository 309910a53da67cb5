"""embedcli: see and own word embeddings.

The library is importable without click: ``embedcli.vocab``, ``embedcli.encode``,
``embedcli.train``, ``embedcli.model`` ... The command line lives in ``embedcli.cli``.
"""

__version__ = "0.1.0"
