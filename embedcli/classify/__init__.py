"""A fastText-style supervised text classifier in pure NumPy.

Modules, one job each:

* :mod:`embedcli.classify.ngrams` -- fastText's word n-gram hashes and buckets, the compact n-gram rows
* :mod:`embedcli.classify.data` -- reading labelled files once into temporary int32 spools, input rows
* :mod:`embedcli.classify.model` -- a phrase's input rows (:func:`input_rows`), the loss and its gradients
* :mod:`embedcli.classify.train` -- the SGD loop, :func:`train_classifier`, :func:`dry_run_classifier`
* :mod:`embedcli.classify.predict` -- :class:`Classifier`: predictions and P@k/R@k, like fastText's module

Model (as in fastText's ``supervised`` mode, Joulin et al. 2016, "Bag of Tricks"):

* a phrase is the **average** of the rows of its words (``Model.table``, one row per vocabulary
  token) and, with ``word_ngrams > 1``, of the rows of its hashed word n-grams
  (``arrays["ngrams"]``), fastText's ``addWordNgrams`` buckets; only the buckets that training
  n-grams use have a row (see :mod:`embedcli.classify.ngrams`). The bucket depends only on the
  words (never on Python's salted ``hash()`` nor on the vocabulary order), and n-grams around
  out-of-vocabulary words still get a bucket, as in fastText. What a phrase's rows are is said
  in one function, :func:`embedcli.classify.model.input_rows`, used by training and prediction.
* a linear softmax over the labels: ``p = softmax(output @ hidden + bias)``. fastText has no bias
  but appends ``</s>`` to every line, whose row acts as one; embedcli's tokenizer has no ``</s>``,
  so an explicit bias (``arrays["bias"]``) plays that part, and a phrase without any known word
  gets the label prior the bias learnt instead of an arbitrary label.
* words not in the vocabulary are ignored (fastText's behaviour), at training and prediction,
  unless the model has character n-grams (``subwords="3-6"``, fastText's ``-minn 3 -maxn 6``): then
  every word also counts by the rows of its character n-grams (:mod:`embedcli.subwords`), hashed into
  the same buckets as the word n-grams, and a word outside the vocabulary counts by those alone.

Training is SGD with fastText's defaults (dim 100, lr 0.1, 5 epochs, min count 1, word n-grams 1,
input rows uniform in ±1/dim, output rows zero) and its **linear learning-rate decay** from ``lr``
to ``min_lr`` over all the training examples. It is vectorised over mini-batches of
``batch_size`` lines: the per-example gradients of a batch are *summed* (not averaged), so each
example moves the weights by the same step as in fastText's one-line-at-a-time SGD; the examples
of a batch just do not see each other's update (like fastText's lock-free threads, but
deterministic). The loss is computed in float64.

**Multi-label lines.** fastText's softmax loss picks one of the line's labels at random at each
step. embedcli uses the expectation of that step instead: the target distribution puts ``1/m``
on each of the ``m`` labels of the line (cross-entropy against soft targets). The gradient is
exactly the average of the ``m`` gradients fastText chooses from, with no sampling noise, and a
single-label line is the ordinary softmax cross-entropy.

**Order.** fastText reads the file in order; embedcli shuffles the examples at every epoch with the
seeded generator (lines are read in blocks of ``SHUFFLE_BLOCK`` lines, the block order and the
lines inside each block are permuted), so a file sorted by label still trains well.

**Streaming.** The input is read once, line by line; the ids are written to flat int32 files in a
temporary directory (ids, per-line offsets, label ids) and the epochs read them back block by
block, so memory grows with the vocabulary and the number of labels, not with the corpus.

Everything random comes from one ``numpy.random.Generator`` seeded with ``seed``: the same
inputs, settings and seed give byte-identical models.
"""

from .model import forward_backward, input_rows, rows_gradient  # noqa: F401
from .ngrams import NgramRows, fnv1a, ngram_buckets, ngram_hashes  # noqa: F401
from .predict import Classifier  # noqa: F401
from .train import OBJECTIVE, dry_run_classifier, train_classifier  # noqa: F401
