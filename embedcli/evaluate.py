"""Intrinsic evaluation: word-pair similarity correlation and analogy accuracy, like gensim.

Both follow ``gensim.models.KeyedVectors`` (4.x) on a ``KeyedVectors`` holding the *word* rows of
the table (specials excluded) sorted by frequency (the vocabulary's counts, descending, ties by
index), which is how gensim's own vocabularies are sorted. So ``restrict_vocab=N`` means the N most
frequent words, as in gensim, also for a vocabulary in order of first appearance (for a
frequency-ordered vocabulary that is simply its first N words):

* :func:`evaluate_pairs` is ``evaluate_word_pairs``: tab-separated ``word1 word2 score`` lines,
  ``#`` lines are comments, lines that do not split into three fields with a finite numeric score
  are skipped (and reported); only the ``restrict_vocab`` most frequent words are known; with
  ``case_insensitive`` (default) words are compared upper-cased and a word with several case
  variants takes the vector of its most frequent one. Pairs with an unknown word are skipped and
  counted (``oov_share`` = skipped / (used + skipped)); a pair with an all-zero vector has cosine 0
  (gensim's ``similarity``). Pearson's r of the scores and Spearman's
  rho (Pearson of average ranks, so ties are handled like ``scipy.stats.spearmanr``), in NumPy.
* :func:`evaluate_analogies` is ``evaluate_word_analogies``: ``: section`` headers, then
  ``a b c expected`` lines; a question is answered with 3CosAdd (``most_similar(positive=[b, c],
  negative=[a], topn=5)`` restricted to the ``restrict_vocab`` most frequent words, skipping the input
  words), correct when the best remaining word is ``expected``. Questions with an unknown word are
  skipped and counted; accuracy per section and overall over the answered questions. With
  ``method="3cosmul"`` the questions are answered with Levy and Goldberg's 3CosMul
  (``most_similar_cosmul``), which gensim's ``evaluate_word_analogies`` names as a
  ``similarity_function`` but does not implement (it always uses 3CosAdd).

With ``subwords`` (a model trained with character n-grams) nothing is skipped for an unknown word:
a word outside the known words gets its vector from the vocabulary's table or, outside the
vocabulary, from its n-grams (normalised like the vocabulary first), and is counted in
``subword_pairs`` / ``subword_questions``. An analogy whose expected answer is not a known word
cannot be answered right (only known words are candidates) and counts as incorrect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .errors import EmbedcliError, FormatError
from .io import display_name, iter_lines
from .query import VectorIndex, is_cosmul
from .vocab import Vocab

RESTRICT_VOCAB = 300000


# -- statistics ------------------------------------------------------------------------------
def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks starting at 1, ties get the average of their ranks (``scipy.stats.rankdata``)."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    # starts of runs of equal values
    new = np.concatenate(([True], xs[1:] != xs[:-1])) if n else np.zeros(0, bool)
    run_id = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)
    avg = (starts + ends + 1) / 2.0  # mean of ranks start+1 .. end
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = avg[run_id]
    return ranks


def pearson(x, y) -> float:
    """Pearson's r (NaN when either input is constant or there are fewer than 2 values)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(x) != len(y):
        raise ValueError("x and y must have the same length")
    if len(x) < 2:
        return float("nan")
    xm = x - x.mean()
    ym = y - y.mean()
    nx, ny = np.linalg.norm(xm), np.linalg.norm(ym)
    if nx == 0 or ny == 0:
        return float("nan")
    r = float(np.dot(xm / nx, ym / ny))
    return max(-1.0, min(1.0, r))


def spearman(x, y) -> float:
    """Spearman's rho with average ranks for ties (``scipy.stats.spearmanr``)."""
    return pearson(rankdata(x), rankdata(y))


def _finite(v: float) -> float | None:
    return None if v != v else v


# -- shared vocabulary view --------------------------------------------------------------------
class _Known:
    """gensim's ``ok_vocab``: the ``restrict_vocab`` most frequent words in frequency order,
    optionally upper-cased."""

    def __init__(self, vocab: Vocab, table: np.ndarray, restrict_vocab: int | None, case_insensitive: bool):
        self.index = VectorIndex(vocab, table, restrict_vocab, order="frequency")
        keys = [vocab.tokens[i] for i in self.index.ids.tolist()]
        self.case_insensitive = case_insensitive
        self.keys = [k.upper() for k in keys] if case_insensitive else keys
        ok: dict[str, int] = {}
        for p, k in enumerate(self.keys):
            ok.setdefault(k, p)  # the most frequent case variant wins (the first in frequency order)
        self.ok = ok

    def key(self, word: str) -> str:
        return word.upper() if self.case_insensitive else word


def _any_word_vector(vocab: Vocab, table: np.ndarray, subwords, word: str) -> np.ndarray | None:
    """A word's table row, or its n-gram vector outside the vocabulary (None: not one token)."""
    from .inspect import word_token

    try:
        token = word_token(vocab, word)
    except EmbedcliError:
        return None
    i = vocab.index.get(token)
    return np.asarray(table[i], dtype=np.float32) if i is not None else subwords.vector(token)


# -- word pairs --------------------------------------------------------------------------------
@dataclass
class PairsResult:
    path: str
    pearson: float | None
    spearman: float | None
    pairs: int  # pairs scored by the table
    oov_pairs: int  # pairs with an unknown word: skipped, or with dummy4unknown scored 0
    oov_share: float  # oov_pairs / (pairs + oov_pairs)
    invalid_lines: list[int] = field(default_factory=list)
    oov_examples: list[str] = field(default_factory=list)  # the first (up to 5) unknown words, each once
    subword_pairs: int = 0  # pairs with a word outside the known words, answered from subwords
    dummy4unknown: bool = False  # the oov pairs are in the correlations, as similarity 0

    def to_dict(self) -> dict:
        return {
            "file": self.path,
            "pearson": self.pearson,
            "spearman": self.spearman,
            "pairs": self.pairs,
            "oov_pairs": self.oov_pairs,
            "oov_share": self.oov_share,
            "subword_pairs": self.subword_pairs,
            "dummy4unknown": self.dummy4unknown,
            "invalid_lines": self.invalid_lines,
        }


def evaluate_pairs(
    vocab: Vocab,
    table: np.ndarray,
    path: str,
    *,
    restrict_vocab: int | None = RESTRICT_VOCAB,
    case_insensitive: bool = True,
    delimiter: str = "\t",
    encoding_errors: str = "strict",
    subwords=None,
    lines: Sequence[str] | None = None,
    dummy4unknown: bool = False,
) -> PairsResult:
    """Spearman and Pearson correlation of the table's cosines with a word-pair file's scores, as
    gensim's ``evaluate_word_pairs``: a pair with an unknown word is left out and counted, or with
    ``dummy4unknown`` scored as similarity 0 (gensim's option: a model is not rewarded for
    knowing fewer words)."""
    known = _Known(vocab, table, restrict_vocab, case_insensitive)
    vi = known.index
    name = display_name(path)
    gold: list[float] = []
    model: list[float] = []
    oov = n_subword = 0
    invalid: list[int] = []
    oov_examples: list[str] = []
    for line_no, line in enumerate(iter_lines(path, encoding_errors=encoding_errors) if lines is None else lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(delimiter)
        try:
            a, b, sim_text = parts
            sim = float(sim_text)
        except ValueError:
            sim = None
        if sim is None or not np.isfinite(sim):  # 'nan' or 'inf' is not a score either
            invalid.append(line_no)
            continue
        ka, kb = known.key(a), known.key(b)
        if subwords is not None and (ka not in known.ok or kb not in known.ok):
            va = vi.vectors[known.ok[ka]] if ka in known.ok else _any_word_vector(vocab, table, subwords, a)
            vb = vi.vectors[known.ok[kb]] if kb in known.ok else _any_word_vector(vocab, table, subwords, b)
            if va is not None and vb is not None:
                n_subword += 1
        elif ka not in known.ok or kb not in known.ok:
            va = vb = None
        else:
            va = vi.vectors[known.ok[ka]]
            vb = vi.vectors[known.ok[kb]]
        if va is None or vb is None:
            oov += 1
            word = a if ka not in known.ok else b
            if len(oov_examples) < 5 and word not in oov_examples:
                oov_examples.append(word)
            if dummy4unknown:
                gold.append(sim)
                model.append(0.0)
            continue
        na, nb = np.linalg.norm(va), np.linalg.norm(vb)
        cos = float(np.dot(va / na, vb / nb)) if na and nb else 0.0  # an all-zero vector: 0, as gensim's similarity
        gold.append(sim)
        model.append(cos)
    if not gold:
        if invalid and not oov:
            raise FormatError(
                f"{name}: line {invalid[0]}: no valid 'word1<TAB>word2<TAB>score' lines found"
            )
        raise EmbedcliError(
            f"{name}: no usable word pairs: all {oov} pairs have a word outside the vocabulary"
            if oov
            else f"{name}: no word pairs found (expected 'word1<TAB>word2<TAB>score' lines)"
        )
    return PairsResult(
        path=name,
        pearson=_finite(pearson(gold, model)),
        spearman=_finite(spearman(gold, model)),
        pairs=len(gold) - (oov if dummy4unknown else 0),
        oov_pairs=oov,
        oov_share=oov / (len(gold) + (0 if dummy4unknown else oov)),
        invalid_lines=invalid,
        oov_examples=oov_examples,
        subword_pairs=n_subword,
        dummy4unknown=dummy4unknown,
    )


# -- which kind of file ------------------------------------------------------------------------
SNIFF_LINES = 50


def file_kind(path: str, *, encoding_errors: str = "strict", lines: Sequence[str] | None = None) -> str:
    """``"similarity"`` or ``"analogies"``: what an evaluation file holds, from its first data line.

    A ``: section`` header or a line of four words is an analogy file (word2vec's
    questions-words.txt); ``word1<TAB>word2<TAB>score`` with a numeric score is a word-pair file
    (WordSim-353, SimLex-999). ``#`` comments, blank lines and a header without a numeric score
    (``Word 1<TAB>Word 2<TAB>Human (mean)``) are passed over, for the first ``SNIFF_LINES`` lines.
    Raises :class:`FormatError` naming the file when neither fits. ``lines``: the file's lines,
    already read (standard input, which can be read only once)."""
    name = display_name(path)
    for line_no, line in enumerate(iter_lines(path, encoding_errors=encoding_errors) if lines is None else lines, 1):
        if line_no > SNIFF_LINES:
            break
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) == 3:  # before the four words of a question: 'new york<TAB>city<TAB>7.5' is a pair
            try:
                float(parts[2])
            except ValueError:
                continue  # a header line
            return "similarity"
        if line.startswith(": ") or len(line.split()) == 4:
            return "analogies"
    raise FormatError(f"{name}: neither word pairs ('word1<TAB>word2<TAB>score' lines) nor analogy questions "
                      f"(': section' headers, 'a b c d' lines) in its first {SNIFF_LINES} lines")


# -- analogies ---------------------------------------------------------------------------------
@dataclass
class Section:
    name: str
    correct: int = 0
    incorrect: int = 0

    @property
    def total(self) -> int:
        return self.correct + self.incorrect

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def to_dict(self) -> dict:
        return {
            "section": self.name,
            "correct": self.correct,
            "incorrect": self.incorrect,
            "total": self.total,
            "accuracy": self.accuracy,
        }


@dataclass
class AnalogyResult:
    path: str
    sections: list[Section]
    total: Section
    questions: int  # questions read (valid lines)
    oov_questions: int  # with an unknown word: skipped, or with dummy4unknown counted as wrong answers
    invalid_lines: list[int] = field(default_factory=list)
    subword_questions: int = 0  # with a word outside the known words, answered with subword vectors
    method: str = "3cosadd"  # how the questions were answered: 3cosadd or 3cosmul
    dummy4unknown: bool = False  # the oov questions are in the sections' incorrect answers

    @property
    def accuracy(self) -> float:
        return self.total.accuracy

    @property
    def oov_share(self) -> float:
        return self.oov_questions / self.questions if self.questions else 0.0

    def to_dict(self) -> dict:
        return {
            "file": self.path,
            "method": self.method,
            "accuracy": self.accuracy,
            "correct": self.total.correct,
            "answered": self.total.total,
            "questions": self.questions,
            "oov_questions": self.oov_questions,
            "oov_share": self.oov_share,
            "subword_questions": self.subword_questions,
            "dummy4unknown": self.dummy4unknown,
            "sections": [s.to_dict() for s in self.sections],
            "invalid_lines": self.invalid_lines,
        }


def evaluate_analogies(
    vocab: Vocab,
    table: np.ndarray,
    path: str,
    *,
    restrict_vocab: int | None = RESTRICT_VOCAB,
    case_insensitive: bool = True,
    encoding_errors: str = "strict",
    batch: int = 256,
    progress: Callable[[int], None] | None = None,
    subwords=None,
    method: str = "3cosadd",
    lines: Sequence[str] | None = None,
    dummy4unknown: bool = False,
) -> AnalogyResult:
    """Accuracy on analogy questions, as gensim's ``evaluate_word_analogies``: a question with an
    unknown word is left out and counted, or with ``dummy4unknown`` counted as answered wrongly
    (gensim's option)."""
    cosmul = is_cosmul(method)
    known = _Known(vocab, table, restrict_vocab, case_insensitive)
    vi = known.index
    name = display_name(path)
    sections: list[Section] = []
    questions: list[tuple[int, int, int, int, str, Section]] = []  # a, b, c positions, expected key
    n_questions = oov = n_subword = 0
    n_known = len(vi.vectors)
    extra: list[np.ndarray] = []  # subword vectors of query words outside the known words
    extra_keys: list[str] = []
    extra_at: dict[str, int] = {}
    invalid: list[int] = []
    for line_no, line in enumerate(iter_lines(path, encoding_errors=encoding_errors) if lines is None else lines, 1):
        if line.startswith(": "):
            sections.append(Section(line.lstrip(": ").strip()))
            continue
        words = line.split()
        if not words:
            continue
        if not sections:
            raise FormatError(f"{name}: line {line_no}: question before the first ': section' header")
        if len(words) != 4:
            invalid.append(line_no)
            continue
        n_questions += 1
        a, b, c, expected = (known.key(w) for w in words)
        if subwords is not None and any(w not in known.ok for w in (a, b, c, expected)):
            pos = []
            for word, key in zip(words[:3], (a, b, c)):
                if key in known.ok:
                    pos.append(known.ok[key])
                    continue
                if key not in extra_at:
                    vec = _any_word_vector(vocab, table, subwords, word)
                    if vec is None:
                        break
                    extra_at[key] = n_known + len(extra)
                    extra.append(vec)
                    extra_keys.append(key)
                pos.append(extra_at[key])
            if len(pos) == 3:
                n_subword += 1
                questions.append((pos[0], pos[1], pos[2], expected, sections[-1]))
                continue
        if any(w not in known.ok for w in (a, b, c, expected)):
            oov += 1
            if dummy4unknown:
                sections[-1].incorrect += 1
            continue
        questions.append((known.ok[a], known.ok[b], known.ok[c], expected, sections[-1]))
    if n_questions == 0:
        raise FormatError(f"{name}: no analogy questions found (expected ': section' lines and 'a b c d' lines)")

    unit = vi.vectors.astype(np.float32, copy=True)
    norms = vi.norms
    if extra:  # query rows only: never candidates
        unit = np.concatenate([unit, np.stack(extra).astype(np.float32)])
        all_norms = np.concatenate([norms, np.linalg.norm(unit[n_known:], axis=1)])
    else:
        all_norms = norms
    with np.errstate(invalid="ignore", divide="ignore"):
        unit /= all_norms[:, None]
    zero = all_norms == 0
    keys = known.keys + extra_keys
    topn = 5
    for start in range(0, len(questions), batch):
        qs = questions[start : start + batch]
        pa = np.array([q[0] for q in qs])
        pb = np.array([q[1] for q in qs])
        pc = np.array([q[2] for q in qs])
        with np.errstate(invalid="ignore", divide="ignore"):
            if cosmul:  # gensim's most_similar_cosmul: cosines shifted into [0, 1], b * c / a
                shifted = lambda p: (1 + (unit[p] @ vi.vectors.T) / norms) / 2  # noqa: E731
                scores = shifted(pb) * shifted(pc) / (shifted(pa) + 0.000001)
            else:
                mean = (unit[pb] + unit[pc] - unit[pa]).astype(np.float64) / 3.0
                mean = (mean / np.linalg.norm(mean, axis=1, keepdims=True)).astype(np.float32)
                scores = (mean @ vi.vectors.T) / norms
        scores[:, zero[:n_known]] = -np.inf
        scores[np.isnan(scores)] = -np.inf
        rows = np.arange(len(qs))
        for p in (pa, pb, pc):
            inside = p < n_known
            scores[rows[inside], p[inside]] = -np.inf  # gensim drops the input words from the ranking
        k = min(topn, scores.shape[1])
        if k < scores.shape[1]:
            part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        else:
            part = np.tile(np.arange(scores.shape[1]), (len(qs), 1))
        for r, q in enumerate(qs):
            cand = part[r]
            cand = cand[np.lexsort((cand, -scores[r, cand]))]
            ignore = {keys[q[0]], keys[q[1]], keys[q[2]]}
            predicted = None
            for pos in cand.tolist():
                if scores[r, pos] == -np.inf:
                    continue
                predicted = keys[pos]
                if predicted in known.ok and predicted not in ignore:
                    break
            section = q[4]
            if predicted == q[3] and not (zero[q[0]] or zero[q[1]] or zero[q[2]]):
                section.correct += 1
            else:
                section.incorrect += 1
        if progress is not None:
            progress(len(qs))
    total = Section("Total accuracy", sum(s.correct for s in sections), sum(s.incorrect for s in sections))
    return AnalogyResult(name, sections, total, n_questions, oov, invalid, n_subword, method, dummy4unknown)
