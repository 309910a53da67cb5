"""Training embedding tables in pure NumPy: skip-gram and CBOW with negative sampling.

* :mod:`embedcli.train.sgns` -- loss and gradient of one batch (pure functions)
* :mod:`embedcli.train.trainer` -- the SGD loop (subsampling, dynamic windows, workers)
* :mod:`embedcli.train.run` -- whole runs: corpus to model directory, resume, dry run
"""

from .run import TrainResult, dry_run, resume_model, train_model  # noqa: F401
