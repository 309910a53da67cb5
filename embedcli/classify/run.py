"""Classifier runs from resolved settings: what :func:`embedcli.api.run_training` and
:func:`embedcli.sgd.run.dry_run` do for ``objective: classify`` (one path for every objective:
same settings object, same progress events, a :class:`~embedcli.sgd.run.TrainResult`)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Callable

from ..config import TrainSettings, saved_settings
from ..errors import ParameterError
from ..text import TextSettings
from ..sgd.run import TrainResult, check_init, check_output
from .train import RUN_FACTS, dry_run_classifier, subwords_summary, train_classifier


@dataclass
class ClassifierResult(TrainResult):
    """A trained classifier: the common summary plus labels, examples and n-gram rows."""

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        facts = self.model.config.get(RUN_FACTS, {})
        counts = self.model.objects.get("label_counts", [])
        out.update({
            "labels": dict(zip(self.model.objects.get("labels", []), counts)),
            "examples": facts.get("examples"),
            "skipped_unlabeled": facts.get("skipped_unlabeled"),
            "skipped_no_known_word": facts.get("skipped_no_known_word"),
            "word_ngrams": self.model.config.get("word_ngrams"),
            "distinct_ngrams": facts.get("distinct_ngrams"),
            "buckets": self.model.config.get("buckets"),
            "subwords": subwords_summary(self.model.config.get("subwords", 0), self.model.config.get("buckets"),
                                         facts.get("distinct_subwords")),
            "ngram_rows": facts.get("ngram_rows"),
            "final_accuracy": self.model.history[-1].get("accuracy") if self.model.history else None,
        })
        return out


def _options(settings: TrainSettings) -> dict[str, Any]:
    return dict(
        dim=settings.dim, epochs=settings.epochs, lr=settings.lr, min_lr=settings.min_lr,
        min_count=settings.min_count, max_size=settings.max_size, word_ngrams=settings.word_ngrams,
        buckets=settings.buckets, subwords=settings.subwords, seed=settings.seed,
        settings=TextSettings(lower=settings.lower, keep_punct=settings.keep_punct),
        label_prefix=settings.label_prefix, encoding_errors=settings.encoding_errors, tmp_dir=settings.tmp_dir,
    )


def _check_supported(settings: TrainSettings) -> None:
    if settings.checkpoint_every:
        raise ParameterError("{checkpoint_every} is not available with objective classify (a classifier "
                             "trains in one go)", "checkpoint_every")
    if settings.vocab:
        raise ParameterError("{vocab} is not available with objective classify (its vocabulary comes from "
                             "the labelled lines)", "vocab")


def train_run(
    settings: TrainSettings,
    *,
    callback: Callable[[dict], None] | None = None,
    corpus_progress: Callable[[int], None] | None = None,
    make_parent: bool = False,
    init_progress: Callable[[int], None] | None = None,
) -> ClassifierResult:
    """Train a classifier with ``settings`` and save it to ``settings.output`` (``None``: keep it
    in memory only, as ``result.model``).

    The saved ``config.yaml`` holds every setting (so ``embedcli train --config MODEL/config.yaml``
    repeats the run, with ``buckets`` resolved to the number used) and, under ``classifier``,
    what the run found. Nothing is written until training has finished.
    """
    start = time.perf_counter()
    _check_supported(settings)
    if settings.output is not None:
        check_output(settings.output, make_parent)
    check_init(settings)  # a wrong --init file or dimension fails before the examples are read
    model = train_classifier(settings.corpus, **_options(settings), corpus_progress=corpus_progress,
                             callback=callback, init=settings.init, freeze=settings.freeze,
                             init_progress=init_progress)
    model.config = {**saved_settings(settings), **model.config}
    if settings.output is not None:
        model.save(settings.output)
    facts = model.config[RUN_FACTS]
    return ClassifierResult(model, settings.output, time.perf_counter() - start, facts["corpus_tokens"],
                            model.history[-1]["words"] if model.history else 0, 0,
                            init=model.objects.get("init"), _neighbours={})  # no word neighbours for a classifier


def dry_run(settings: TrainSettings, *, corpus_progress=None, calibrate_seconds: float = 1.0) -> dict[str, Any]:
    """Read and count as :func:`train_run` would; estimate the model size and time; write nothing."""
    _check_supported(settings)
    info = check_init(settings)
    out = dry_run_classifier(settings.corpus, **_options(settings), corpus_progress=corpus_progress,
                             calibrate_seconds=calibrate_seconds)
    out["init"] = None if info is None else {"file": os.path.abspath(settings.init), "format": info.format,
                                             "dim": info.dim, "frozen": bool(settings.freeze)}
    out["lr"], out["min_lr"] = float(settings.lr), float(settings.min_lr)
    return out
