"""``Embeddings``: a trained table with its vocabulary, queried like gensim's ``KeyedVectors``.

    import embedcli
    emb = embedcli.load("models/default")
    emb["god"]                        # the row of a word, a float32 vector
    emb.most_similar("god", topn=5)   # [(token, cosine), ...] in gensim's order, with its numbers
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, Sequence

import numpy as np

from .errors import EmbedcliError, FormatError, ParameterError, UnknownWordError, check_callback, check_integer
from .model import Model
from .vocab import Vocab


def _words(arg: str | Iterable[str] | None) -> list[str]:
    if arg is None:
        return []
    if isinstance(arg, str):
        return [arg]
    if not hasattr(arg, "__iter__"):
        raise ParameterError("words must be a string or a list of strings, got {kind} ({value!r})",
                             kind=type(arg).__name__, value=arg)
    return list(arg)


def _paths(arg: str | os.PathLike | Iterable[str | os.PathLike]) -> list[str]:
    """File names: one path (a string or a ``pathlib.Path``) or a list of them."""
    if isinstance(arg, os.PathLike):
        return [os.fspath(arg)]
    return [os.fspath(p) if isinstance(p, os.PathLike) else p for p in _words(arg)]


def _queries(arg) -> list:
    """Query words, where a 1-D array is one query vector (gensim's ``most_similar`` takes both)."""
    if isinstance(arg, np.ndarray) and arg.ndim == 1:
        return [arg]
    return _words(arg)


def is_vector_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a pretrained vector file rather than a model: a file that is not a
    ``.npy`` table (a model is a directory, or its ``table.npy`` with ``vocab.json`` beside it)."""
    p = os.fspath(path)
    return os.path.isfile(p) and not p.endswith(".npy")


def _unitvec(vec: np.ndarray) -> np.ndarray:
    """gensim's ``matutils.unitvec`` of a float32 vector: scaled in float64, returned as float32
    (an all-zero vector is returned as it is)."""
    d = vec.astype(np.float64)
    norm = np.sqrt(np.dot(d, d))
    return (d * (1.0 / norm)).astype(np.float32) if norm > 0 else vec


def _norm32(vec: np.ndarray) -> np.float32:
    """A row's float32 norm as gensim's ``norms`` holds it (``np.linalg.norm`` over axis 1: the
    bytes gensim divides by in ``get_vector(norm=True)`` and its unit rows)."""
    return np.linalg.norm(vec[None, :], axis=1)[0]


def _running_mean(rows) -> np.ndarray:
    """The mean of float32 rows as gensim's ``get_mean_vector`` sums them: one after the other."""
    mean = np.zeros(len(rows[0]), dtype=np.float32)
    for row in rows:
        mean += row
    return mean / np.float32(len(rows))


class Embeddings:
    """A lookup table (row ``i`` = vector of token ``i``) and its vocabulary.

    Words are normalised as the vocabulary's text was (``emb["God"]`` is the row of ``god`` in a
    lower-cased vocabulary); an unknown word raises :class:`KeyError` naming it, with close
    spellings. ``len(emb)`` and ``emb.vocab`` count every row, ``<pad>`` and ``<unk>`` included
    (the table is index-aligned with the vocabulary); the queries only consider words.
    """

    def __init__(self, vocab: Vocab, table: np.ndarray, *, model: Model | None = None):
        if model is None:
            model = Model(vocab, np.ascontiguousarray(table, dtype=np.float32))
        self.model = model
        self._indexes: dict = {}  # restrict_vocab (None: every word) -> its VectorIndex

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Embeddings":
        """A model directory written by ``embedcli train`` / :meth:`save` (or a ``table.npy``
        with ``vocab.json`` beside it), or a pretrained vector file: word2vec text or binary,
        GloVe (:meth:`from_vectors`). :func:`embedcli.load` gives a classifier model as a
        :class:`~embedcli.Classifier` instead."""
        if is_vector_file(path):
            return cls.from_vector_file(path)
        return cls.from_model(Model.load(path))

    @classmethod
    def from_vector_file(cls, path: str | os.PathLike) -> "Embeddings":
        """:meth:`from_vectors` for a path given where a model is expected: a file that does not
        read as vectors says what a model can be."""
        from .io import looks_like_json
        from .model import CONFIG_FILE, TABLE_FILE, VOCAB_FILE

        expected = "expected an embedcli model directory or a word2vec/GloVe vector file"
        p, directory = os.fspath(path), os.path.dirname(os.fspath(path)) or "."
        is_json = looks_like_json(p)
        if ((is_json or os.path.basename(p) == CONFIG_FILE)  # model/config.yaml, model/vocab.json ...
                and all(os.path.isfile(os.path.join(directory, f)) for f in (VOCAB_FILE, TABLE_FILE))):
            raise FormatError(f"{p}: a file of the model directory {directory}; give the directory itself")
        if is_json:  # a vocabulary, a model's history...
            raise FormatError(f"{p}: a JSON file, not a model ({expected})")
        try:
            return cls.from_vectors(path)
        except FormatError as exc:
            raise FormatError(f"{exc} ({expected})") from None

    @classmethod
    def from_vectors(cls, path: str | os.PathLike, format: str = "auto",
                     progress: Callable[[int], None] | None = None) -> "Embeddings":
        """A pretrained vector file (word2vec text or binary, GloVe; ``format`` ``"auto"``
        detects it) as embeddings, as gensim's ``KeyedVectors.load_word2vec_format``: its words
        in file order (a repeated word keeps its first vector), no ``<pad>``/``<unk>``, counts
        unknown (0, so "most frequent" means file order, which is how such files are sorted).

        Queries are normalised as the file's words were: lower-cased when no word has a capital
        letter (GloVe) and not otherwise (word2vec's GoogleNews), punctuation kept as tokens
        when the file has vectors for punctuation marks; an exact spelling always matches."""
        from .text import TextSettings
        from .tokenizer import tokenize
        from .vectors import read_vectors

        check_callback(progress)
        info, words, table = read_vectors(os.fspath(path), format, progress)
        lower = not any(w != w.lower() for w in words)
        keep_punct = any(not tokenize(w) for w in words[:100_000] if w)  # a word of punctuation only
        settings = TextSettings(lower=lower, keep_punct=keep_punct)
        vocab = Vocab(tokens=words, counts=[0] * len(words), settings=settings, specials={})
        return cls(vocab, table, model=Model(vocab, table, path=os.fspath(path)))

    @classmethod
    def from_model(cls, model: Model) -> "Embeddings":
        """The word rows of any model (a classifier's too: its input table holds word vectors)."""
        return cls(model.vocab, model.table, model=model)

    # -- the table ---------------------------------------------------------------------------
    @property
    def vocab(self) -> Vocab:
        return self.model.vocab

    @property
    def table(self) -> np.ndarray:
        """The (len(vocab), dim) float32 lookup table."""
        return self.model.table

    @property
    def dim(self) -> int:
        return self.model.dim

    @property
    def objective(self) -> str | None:
        return self.model.objective

    @property
    def path(self) -> str | None:
        return self.model.path

    @property
    def subwords(self):
        """A model trained with subwords: its :class:`~embedcli.subwords.SubwordVectors` (a vector
        for any word from its character n-grams); ``None`` otherwise."""
        return self.model.subwords

    def __len__(self) -> int:
        return len(self.vocab)

    def __iter__(self):
        """The tokens in row order (``index_to_key``), as ``len`` counts them."""
        return iter(self.vocab.tokens)

    def __repr__(self) -> str:
        return f"Embeddings(vocab={len(self.vocab)}, dim={self.dim}, objective={self.objective!r})"

    def index(self, word: str) -> int:
        """The row of ``word`` (normalised as the vocabulary was); :class:`KeyError` if unknown."""
        return self.vocab[word]

    def __getitem__(self, word: str | Sequence[str]) -> np.ndarray:
        """The row of ``word``, a read-only view of the table (as gensim's ``get_vector``: writing
        to it would change the model; ``.copy()`` it to change it); with subwords (a model trained
        with ``subwords``) a word outside the vocabulary gets the mean of its character n-gram rows
        instead of a KeyError. A list (tuple, array) of words gives their ``(n, dim)`` rows, as
        gensim's ``wv[["a", "b"]]``."""
        if isinstance(word, (list, tuple, np.ndarray)):
            rows = [self[w] for w in word]
            return np.vstack(rows) if rows else np.zeros((0, self.dim), dtype=self.table.dtype)
        sub = self.model.subwords
        if sub is not None:
            from .inspect import word_token

            token = word_token(self.vocab, word)
            if token not in self.vocab.index:
                return sub.vector(token)
        row = self.table[self.vocab[word]]
        row.flags.writeable = False  # the view only: the table stays writable
        return row

    # -- gensim's KeyedVectors names, for code written against them ----------------------------
    @property
    def vectors(self) -> np.ndarray:
        """gensim's ``KeyedVectors.vectors``: :attr:`table` (its rows include ``<pad>`` and
        ``<unk>`` where the vocabulary has them: row ``i`` is token ``i``, as in the model)."""
        return self.table

    @property
    def index_to_key(self) -> list[str]:
        """gensim's ``index_to_key``: the tokens by row (``vocab.tokens``)."""
        return self.vocab.tokens

    @property
    def vector_size(self) -> int:
        """gensim's ``vector_size``: :attr:`dim`."""
        return self.dim

    @property
    def key_to_index(self) -> dict[str, int]:
        """gensim's ``key_to_index``: token -> row (``vocab.index``; tokens as stored, so
        ``emb.index(word)`` is the lookup that normalises a word as the vocabulary was)."""
        return self.vocab.index

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        """gensim's ``get_vector``: ``emb[word]``, scaled to unit length with ``norm`` (divided by
        its float32 norm, as gensim divides by its ``norms``: the same bytes)."""
        vec = self[word]
        if not norm:
            return vec
        n = _norm32(vec)
        return vec / n if n else vec

    def save_word2vec_format(self, path: str | os.PathLike, binary: bool = False, limit: int | None = None):
        """gensim's ``save_word2vec_format``: :meth:`export` as ``word2vec`` (``binary``:
        ``word2vec-binary``), the words only, the first ``limit`` of them."""
        return self.export(path, format="word2vec-binary" if binary else "word2vec", limit=limit)

    # -- fastText's module names -------------------------------------------------------------
    def get_word_vector(self, word: str) -> np.ndarray:
        """fastText's ``get_word_vector``: ``emb[word]`` (with subwords, any word's n-gram vector)."""
        return self[word]

    def get_sentence_vector(self, text: str | Sequence[str]) -> np.ndarray:
        """fastText's ``get_sentence_vector`` of a word-vector model: the mean of the text's word
        vectors, each over its norm (``embed(text, normalize=True)``; a text is a string or a
        token list)."""
        from .sources import one_text

        return self.embed([one_text(text)], normalize=True)[0]

    def get_words(self) -> list[str]:
        """fastText's ``get_words``: the words of the vocabulary, without ``<pad>`` and ``<unk>``."""
        specials = set(self.vocab.special_ids())
        return [t for i, t in enumerate(self.vocab.tokens) if i not in specials]

    def get_dimension(self) -> int:
        """fastText's ``get_dimension``: :attr:`dim`."""
        return self.dim

    def get_nearest_neighbors(self, word: str, k: int = 10) -> list[tuple[float, str]]:
        """fastText's ``get_nearest_neighbors``: :meth:`most_similar` as ``(score, word)`` pairs."""
        return [(score, w) for w, score in self.most_similar(word, topn=k)]

    def get_analogies(self, word_a: str, word_b: str, word_c: str, k: int = 10) -> list[tuple[float, str]]:
        """fastText's ``get_analogies``: the words nearest to ``a - b + c`` (its argument order:
        ``get_analogies("berlin", "germany", "france")`` asks for france's berlin), as
        ``(score, word)`` pairs; :meth:`analogy` with ``(b, a, c)``."""
        return [(score, w) for w, score in self.analogy(word_b, word_a, word_c, topn=k)]

    def get_normed_vectors(self) -> np.ndarray:
        """gensim's ``get_normed_vectors``: every row scaled to unit length (all-zero rows, such as
        ``<pad>``'s, stay zeros)."""
        norms = np.linalg.norm(self.table, axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = self.table / norms
        out[norms[:, 0] == 0] = 0
        return out.astype(np.float32, copy=False)

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        try:
            self.vocab[word]
        except EmbedcliError:
            return False
        return True

    # -- queries -------------------------------------------------------------------------------
    def _vector_index(self, restrict_vocab: int | None = None):
        from .query import VectorIndex

        if restrict_vocab is not None:
            restrict_vocab = check_integer(restrict_vocab, "restrict_vocab", 1)
        index = self._indexes.get(restrict_vocab)
        if index is None:
            if restrict_vocab is not None:  # one restricted index kept at a time, beside the full one
                self._indexes = {k: v for k, v in self._indexes.items() if k is None}
            index = self._indexes[restrict_vocab] = VectorIndex(self.vocab, self.table, restrict_vocab)
        return index

    def most_similar(self, positive: str | Iterable[str] | None = None, negative: str | Iterable[str] | None = None,
                     topn: int = 10, *, restrict_vocab: int | None = None,
                     cosmul: bool = False) -> list[tuple[str, float]]:
        """The ``topn`` nearest words by cosine to the mean of the unit vectors of ``positive``
        minus ``negative`` words, as gensim's ``KeyedVectors.most_similar`` computes it on the word
        rows (same order, same float32 numbers); the query words are left out. A query may also be
        a vector (a 1-D array of ``dim`` numbers), taken as it is, as gensim takes one.
        ``restrict_vocab``: only the N most frequent words are answers, as gensim's (a vector
        file's words count in file order). ``cosmul``: as :meth:`most_similar_cosmul`."""
        from .query import most_similar

        check_integer(topn, "topn", 1)
        res = most_similar(self.vocab, self.table, _queries(positive), _queries(negative), topn,
                           index=self._vector_index(restrict_vocab), subwords=self.model.subwords, cosmul=cosmul)
        return [(n.token, n.score) for n in res]

    def similar_by_vector(self, vector: np.ndarray, topn: int = 10, *,
                          restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """The ``topn`` words nearest by cosine to ``vector`` (gensim's ``similar_by_vector``):
        a sentence vector from :meth:`embed`, a row of another table, a sum of rows..."""
        return self.most_similar(positive=[np.asarray(vector)], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_word(self, word: str, topn: int = 10, *, restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """gensim's ``similar_by_word``: :meth:`most_similar` of one word."""
        return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)

    def distance(self, a: str, b: str) -> float:
        """Cosine distance, ``1 - similarity(a, b)`` (gensim's ``distance``)."""
        return 1.0 - self.similarity(a, b)

    def closer_than(self, a: str, b: str) -> list[str]:
        """The words nearer to ``a`` than ``b`` is, by cosine, in vocabulary order (gensim's
        ``closer_than``; ``a`` itself is left out)."""
        index = self._vector_index(None)
        i, j = self.index(a), self.index(b)
        scores = index.scores(index.unit(i))
        p = index.position.get(j)
        if p is None:
            raise ParameterError("{word!r} is a special token, not a word", word=b)
        closer = np.flatnonzero(scores > scores[p])  # the same arithmetic for every word, b included
        return [self.vocab.tokens[int(index.ids[k])] for k in closer if index.ids[k] != i]

    def rank(self, a: str, b: str) -> int:
        """Where ``b`` ranks among ``a``'s neighbours: 1 for the nearest (gensim's ``rank``:
        ``len(closer_than(a, b)) + 1``)."""
        return len(self.closer_than(a, b)) + 1

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words, as gensim's ``similarity`` computes it (each vector
        scaled to unit length in float64, then a float32 dot product); 0.0 with an all-zero row.
        With subwords, a word outside the vocabulary has its n-gram vector (see ``emb[word]``)."""
        return float(np.dot(_unitvec(self[a]), _unitvec(self[b])))

    def most_similar_cosmul(self, positive: str | Iterable[str] | None = None,
                            negative: str | Iterable[str] | None = None, topn: int = 10, *,
                            restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """gensim's ``KeyedVectors.most_similar_cosmul``: the ``topn`` words of the highest product
        of ``(1 + cos) / 2`` with the ``positive`` words over that with the ``negative`` ones
        (Levy and Goldberg's multiplicative objective; 3CosMul for an analogy); the query words
        are left out. ``restrict_vocab`` is applied (gensim's accepts it and ignores it)."""
        return self.most_similar(positive, negative, topn, restrict_vocab=restrict_vocab, cosmul=True)

    def analogy(self, a: str, b: str, c: str, topn: int = 5, method: str = "3cosadd", *,
                restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """A is to B as C is to ?: 3CosAdd, ``most_similar(positive=[b, c], negative=[a])``; with
        ``method="3cosmul"``, ``most_similar_cosmul(positive=[b, c], negative=[a])``."""
        from .query import is_cosmul

        return self.most_similar(positive=[b, c], negative=[a], topn=topn, restrict_vocab=restrict_vocab,
                                 cosmul=is_cosmul(method))

    def split_known(self, words: str | Iterable[str]) -> tuple[list[str], list[UnknownWordError]]:
        """The words that have a vector, in order, and an :class:`~embedcli.errors.UnknownWordError`
        (with close spellings) for each other one; with subwords every word has a vector. A word
        that is not a string is a :class:`ParameterError`."""
        known, unknown = [], []
        for w in _words(words):
            if self.model.subwords is not None and isinstance(w, str):  # its character n-grams
                known.append(w)
                continue
            try:
                self.index(w)
            except UnknownWordError as exc:
                unknown.append(exc)
                continue
            known.append(w)
        return known, unknown

    def _known_words(self, words: str | Iterable[str], what: str) -> list[str]:
        """The words of ``words`` that have a vector, in order; unknown ones are left out with a
        warning (as gensim does in ``doesnt_match`` and ``n_similarity``)."""
        import warnings

        words = _words(words)
        known, unknown = self.split_known(words)
        if unknown:
            left = ", ".join(repr(e.word) for e in unknown)
            warnings.warn(f"{what}: left out unknown word(s) {left}", UserWarning, stacklevel=3)
        if not known:
            raise ParameterError("{words} has no known word (got {value!r})", "words", value=words)
        return known

    def doesnt_match(self, words: Iterable[str]) -> str:
        """The word that goes least with the others, as gensim's ``doesnt_match``: the one of
        lowest cosine with the unit-length mean of the words' unit vectors."""
        known = self._known_words(words, "doesnt_match")
        rows = [self[w] for w in known]
        # gensim's arithmetic step by step (two words are equally far from their mean: the last
        # bits decide, as they do in gensim): each row over its float32 norm, the running mean
        units = np.vstack([r / _norm32(r) for r in rows])
        dists = units @ _unitvec(_running_mean(units))
        return sorted(zip(dists, known), reverse=True)[-1][1]

    def n_similarity(self, words1: Iterable[str], words2: Iterable[str]) -> float:
        """Cosine of the means of two word lists' vectors, as gensim's ``n_similarity``."""
        mean1 = _running_mean([self[w] for w in self._known_words(words1, "n_similarity")])
        mean2 = _running_mean([self[w] for w in self._known_words(words2, "n_similarity")])
        return float(np.dot(_unitvec(mean1), _unitvec(mean2)))

    # -- phrases -------------------------------------------------------------------------------
    def encode(self, phrases, maxlen: int | None = None, padding: str | None = None, truncating: str | None = None,
               oov: str | None = None):
        """Ids of phrases, as :meth:`embedcli.Vocab.encode`."""
        return self.vocab.encode(phrases, maxlen=maxlen, padding=padding, truncating=truncating, oov=oov)

    def phrase_rows(self, phrase: str, maxlen: int | None = None, padding: str = "pre",
                    truncating: str = "pre") -> np.ndarray:
        """The (n, dim) rows of a phrase: ``table[ids]``, what a Keras ``Embedding`` layer returns
        for the encoded phrase (unknown words give the ``<unk>`` row; with subwords, their n-gram
        vector, as ``emb[word]``). :meth:`phrase_lookup` says which token each row is."""
        rows = self.phrase_lookup(phrase, maxlen=maxlen, padding=padding, truncating=truncating)
        if not rows:
            return np.zeros((0, self.dim), dtype=self.table.dtype)
        return np.stack([r.vector for r in rows])

    def phrase_lookup(self, phrase: str, maxlen: int | None = None, padding: str = "pre",
                      truncating: str = "pre") -> list:
        """What ``embedcli show-table --phrase`` shows: for each position of the encoded phrase
        (padded and cut as Keras ``pad_sequences`` with ``maxlen``), a
        :class:`~embedcli.inspect.PhraseRow` with ``position``, ``token``, ``index``, ``input``
        (the phrase's word, ``None`` for padding), ``vector`` and ``subword_ngrams`` (with
        subwords: a word outside the vocabulary gets the mean of that many n-gram rows, zeros for
        0; ``None`` for the other rows).

        >>> [(r.token, r.index) for r in emb.phrase_lookup("the zebra", maxlen=3)]
        [('<pad>', 0), ('the', 8), ('<unk>', 1)]
        """
        from .inspect import phrase_rows

        return phrase_rows(self.vocab, self.table, phrase, maxlen=maxlen, padding=padding, truncating=truncating,
                           subwords=self.model.subwords)

    def explain(self, word: str):
        """One-hot × table, computed and compared with the word's row (``show-table --explain``):
        an :class:`~embedcli.inspect.Explanation` (``one_hot``, ``row``, ``product``, ``equal``,
        and with subwords ``ngram_rows``, the n-gram rows averaged into the row). With subwords, a
        word outside the vocabulary gives a :class:`~embedcli.subwords.SubwordExplanation`: its
        n-gram counts × the n-gram rows / their number, against its vector.

        >>> e = emb.explain("cat"); (e.index, int(e.one_hot.sum()), e.equal)
        (67, 1, True)
        """
        from .inspect import explain, word_token

        sub = self.model.subwords
        if sub is not None and word_token(self.vocab, word) not in self.vocab.index:
            from .subwords import explain_subwords

            return explain_subwords(self.model, word)
        e = explain(self.vocab, self.table, word)
        if sub is not None and e.index not in self.vocab.special_ids():
            e.ngram_rows = len(sub.ngrams(e.token))
        return e

    def word_vectors(self, words: Iterable[str], oov: str = "error") -> list:
        """The vector of each word (``embedcli vectors``), as :class:`~embedcli.subwords.WordVector`
        (``word``, ``token``, ``index``, ``source``: ``"vocabulary"``, ``"subwords"`` or
        ``"unknown"``, ``vector``). Without subwords an unknown word raises :class:`KeyError`
        naming it; ``oov="skip"`` leaves it out, ``oov="zero"`` gives it a zero vector (as
        fastText's print-word-vectors does without n-grams)."""
        from .subwords import word_vectors

        return word_vectors(self.model, _words(words), oov)

    def embed(self, phrases: str | Iterable[str], normalize: bool = False) -> np.ndarray:
        """One vector per phrase: the mean of the rows of its known words (with ``normalize``,
        of their unit-normalised rows, as fastText's sentence vectors, which leave out all-zero
        rows). Unknown words are left out (with subwords they count by their n-gram vectors); a
        phrase without any known word gives zeros. Returns ``(dim,)`` for one string,
        ``(n, dim)`` float32 otherwise."""
        return self.embed_with_counts(phrases, normalize)[0]

    def embed_with_counts(self, phrases: str | Iterable[str], normalize: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`embed` and, per phrase, how many of its words were known (0 = a zero vector).
        ``phrases``: one string, or an iterable of strings or of token lists (joined by spaces)."""
        from .sources import phrase_strings

        single = isinstance(phrases, str)
        phrases = [phrases] if single else list(phrase_strings(phrases))
        sub = self.model.subwords
        if sub is not None:  # every word counts: unknown ones by their n-gram vectors (fastText)
            return self._embed_subwords(phrases, normalize, single)
        seqs = self.vocab.encode(phrases, oov="skip")
        specials = np.array(self.vocab.special_ids(), dtype=np.int64)
        out = np.zeros((len(seqs), self.dim), dtype=np.float32)
        known = np.zeros(len(seqs), dtype=np.int64)
        for k, ids in enumerate(seqs):
            ids = np.asarray(ids, dtype=np.int64)
            ids = ids[~np.isin(ids, specials)]
            if not len(ids):
                continue
            known[k] = _mean_into(out[k], self.table[ids], normalize)
        return (out[0], known[:1]) if single else (out, known)

    def _embed_subwords(self, phrases: list[str], normalize: bool, single: bool):
        """:meth:`embed_with_counts` of a model with subwords: a word outside the vocabulary
        contributes the mean of its n-gram rows (a word without any n-gram, nothing)."""
        from .tokenizer import tokenize

        sub = self.model.subwords
        index = self.vocab.index
        specials = set(self.vocab.special_ids())
        out = np.zeros((len(phrases), self.dim), dtype=np.float32)
        known = np.zeros(len(phrases), dtype=np.int64)
        for k, phrase in enumerate(phrases):
            vecs = []
            for tok in tokenize(phrase, self.vocab.settings):
                i = index.get(tok)
                if i is None:
                    v = sub.vector(tok)
                    if v.any():
                        vecs.append(v)
                elif i not in specials:
                    vecs.append(self.table[i])
            if vecs:
                known[k] = _mean_into(out[k], np.asarray(vecs), normalize)
        return (out[0], known[:1]) if single else (out, known)

    # -- evaluation, saving --------------------------------------------------------------------
    def evaluate(self, similarity: str | os.PathLike | Sequence[str] = (),
                 analogies: str | os.PathLike | Sequence[str] = (), *,
                 files: str | os.PathLike | Sequence[str] = (), restrict_vocab: int | None = None,
                 case_insensitive: bool = True, analogy_method: str = "3cosadd", dummy4unknown: bool = False,
                 encoding_errors: str = "strict", progress: Callable[[int], None] | None = None) -> dict:
        """Word-pair correlation and analogy accuracy, as gensim's ``evaluate_word_pairs`` and
        ``evaluate_word_analogies``: ``{"similarity": [PairsResult ...], "analogies": [AnalogyResult ...]}``
        (one per file; ``.spearman``, ``.pearson``, ``.accuracy``, ``.to_dict()``). ``files``: either
        kind, each read as what it holds (:func:`embedcli.evaluate.file_kind`), after the
        ``similarity`` and ``analogies`` files. ``analogy_method``: ``"3cosadd"`` (gensim's) or
        ``"3cosmul"`` (``most_similar_cosmul``). ``dummy4unknown`` (gensim's): a pair with an
        unknown word counts as similarity 0 and a question with one as a wrong answer, instead of
        being left out, so that a model is not rewarded for knowing fewer words.
        ``encoding_errors``: invalid UTF-8 in the files stops with its line (``"strict"``), or is
        replaced with U+FFFD (``"replace"``) or dropped (``"ignore"``). ``progress(n)`` gets the
        number of analogy questions answered."""
        from .evaluate import RESTRICT_VOCAB, evaluate_analogies, evaluate_pairs, file_kind
        from .io import is_stream, iter_lines

        rv = RESTRICT_VOCAB if restrict_vocab is None else restrict_vocab
        check_integer(rv, "restrict_vocab", 1)
        check_callback(progress)
        sim, ana = _paths(similarity), _paths(analogies)
        once: dict[str, list[str]] = {}  # standard input or a pipe among files: read once, judged and scored
        for path in _paths(files):
            if is_stream(path) and path not in once:
                once[path] = list(iter_lines(path, encoding_errors=encoding_errors))
            kind = file_kind(path, encoding_errors=encoding_errors, lines=once.get(path))
            (sim if kind == "similarity" else ana).append(path)
        if not sim and not ana:
            raise ParameterError("give {similarity} and/or {analogies} files", "similarity", "analogies")
        return {
            "similarity": [evaluate_pairs(self.vocab, self.table, p, restrict_vocab=rv,
                                          case_insensitive=case_insensitive, subwords=self.model.subwords,
                                          lines=once.get(p), dummy4unknown=dummy4unknown,
                                          encoding_errors=encoding_errors)
                           for p in sim],
            "analogies": [evaluate_analogies(self.vocab, self.table, p, restrict_vocab=rv,
                                             case_insensitive=case_insensitive, progress=progress,
                                             subwords=self.model.subwords, method=analogy_method,
                                             lines=once.get(p), dummy4unknown=dummy4unknown,
                                             encoding_errors=encoding_errors)
                          for p in ana],
        }

    def save(self, path: str | os.PathLike) -> None:
        """Write the model directory (vocab.json, table.npy, config.yaml ...), atomically."""
        self.model.save(path)

    def export(self, path: str | os.PathLike, format: str = "word2vec", include_specials: bool = False,
               limit: int | None = None, progress: Callable[[int], None] | None = None):
        """Write the table in another format: ``word2vec`` (gensim's ``load_word2vec_format``
        reads it), ``word2vec-binary``, ``tsv`` (TensorBoard projector: ``path`` is a directory
        or a prefix of two files), ``csv``, ``json``, ``npy``; ``"-"`` is stdout (not for tsv).
        word2vec, tsv and csv leave out ``<pad>``/``<unk>`` unless ``include_specials``; ``limit``
        keeps the first ``limit`` rows written (for those formats: the first ``limit`` words, what
        gensim's ``load_word2vec_format(limit=)`` reads of the whole export). ``progress(n)`` gets the rows written. Returns
        an :class:`~embedcli.export.ExportResult` (``format``, ``paths``, ``rows``, ``dim``).

        >>> emb.export("projector/", format="tsv", limit=100)   # the first 100 words
        ExportResult(format='tsv', paths=['projector/vectors.tsv', 'projector/metadata.tsv'], rows=100, dim=50)
        """
        from .export import WORDS_ONLY_FORMATS, export
        from .inspect import row_order

        if limit is not None and limit < 1:
            raise ParameterError("{limit} must be at least 1 (got {value})", "limit", value=limit)
        check_callback(progress)
        words_only = format in WORDS_ONLY_FORMATS and not include_specials
        indices = None if limit is None else row_order(self.vocab, limit, words_only=words_only)
        return export(format, os.fspath(path), self.vocab, self.table, indices=indices, progress=progress,
                      include_specials=include_specials)

    def to_dict(self, limit: int | None = None) -> dict:
        """The table (its first ``limit`` rows) as JSON-ready data: ``{"format", "version",
        "vocab_size", "dim", "rows": [{"index", "token", "vector"}, ...]}`` (what
        ``show-table --json`` prints and ``export(format="json")`` writes)."""
        from .export import table_json
        from .inspect import row_order

        return table_json(self.vocab, self.table, row_order(self.vocab, limit))

    def plot(self, path: str | os.PathLike, limit: int = 20) -> dict:
        """A 2-D PCA scatter plot of the ``limit`` most frequent words, written to ``path`` (.png,
        .pdf, .svg ...; needs ``pip install 'embedcli[plot]'``). Returns ``{"path", "words",
        "coordinates", "explained_variance"}``.

        >>> emb.plot("words.png", limit=50)["explained_variance"]   # PC1, PC2
        [0.0739..., 0.0623...]
        """
        from .inspect import plot_pca

        if limit < 1:
            raise ParameterError("{limit} must be at least 1 (got {value})", "limit", value=limit)
        return plot_pca(os.fspath(path), self.vocab, self.table, limit)


def _mean_into(out: np.ndarray, rows: np.ndarray, normalize: bool) -> int:
    """A phrase vector: ``out[:] =`` the float64 mean of ``rows`` (with ``normalize``, of each row
    over its norm, leaving out rows without a direction, as fastText). Returns the rows averaged
    (0: ``out`` is left at zeros)."""
    rows = rows.astype(np.float64)
    if normalize:
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        rows = rows[norms[:, 0] > 0] / norms[norms[:, 0] > 0]
    if not len(rows):
        return 0
    out[:] = rows.mean(axis=0)
    return len(rows)
