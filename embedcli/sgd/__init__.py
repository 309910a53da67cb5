"""Training embedding tables in pure NumPy: skip-gram and CBOW with negative sampling.

* :mod:`embedcli.sgd.sgns` -- loss and gradient of one batch (pure functions)
* :mod:`embedcli.sgd.trainer` -- the SGD loop (subsampling, dynamic windows, workers)
* :mod:`embedcli.sgd.run` -- whole runs: corpus to model directory, resume, dry run
"""

from .run import TrainResult, dry_run, resume_model, train_model  # noqa: F401
