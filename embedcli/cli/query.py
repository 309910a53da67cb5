"""``embedcli similar``, ``similarity``, ``analogy``, ``embed``, ``evaluate``: query a table through
:class:`embedcli.Embeddings` (cosine as gensim computes it; sentence vectors as fastText's)."""

from __future__ import annotations

import functools
import itertools
import os
from typing import Sequence

import click
import numpy as np
from rich.table import Table

from ..embeddings import Embeddings
from ..errors import EmbedcliError, UsageError
from ..evaluate import RESTRICT_VOCAB
from ..io import STDIO, atomic_path, atomic_write, check_writable, display_name, iter_lines
from . import main
from .common import (
    args_or_stdin,
    decoded_args,
    encoding_errors_option,
    err_console,
    escape,
    handle_errors,
    json_option,
    out_console,
    print_json,
    progress_bar,
    quiet_option,
)

EMBED_BATCH = 8192  # phrases per call of Embeddings.embed_with_counts


def topn_option(default: int, help: str):
    return click.option("-k", "--topn", "k", type=int, default=default, show_default=True, help=help)


def _check_k_restrict(k: int, restrict_vocab: int | None) -> None:
    if k < 1:
        raise UsageError(f"-k must be at least 1 (got {k})")
    if restrict_vocab is not None and restrict_vocab < 1:
        raise UsageError(f"--restrict-vocab must be at least 1 (got {restrict_vocab})")


def _neighbours(emb: Embeddings, pairs: list[tuple[str, float]]) -> list[dict]:
    return [{"token": t, "index": emb.vocab.index[t], "score": s} for t, s in pairs]


def _neighbours_table(title: str, res: list[dict], precision: int = 4, score: str = "cosine") -> Table:
    t = Table(title=title, title_style="bold", min_width=len(title))  # the title on one line
    t.add_column("rank", justify="right")
    t.add_column("token")
    t.add_column("index", justify="right")
    t.add_column(score, justify="right", style="cyan")
    for r, n in enumerate(res, 1):
        t.add_row(str(r), escape(n["token"]), str(n["index"]), f"{n['score']:.{precision}f}")
    return t


_answers_restricted = click.option(
    "--restrict-vocab", type=int, default=None, metavar="N",
    help="Only the N most frequent words are answers, as gensim's restrict_vocab (a vector file's words count "
         "in file order) [default: every word].")


@main.command("similar")
@click.argument("model", metavar="MODEL")
@click.argument("words", nargs=-1, metavar="WORD...")
@click.option("-n", "--negative", "negative", multiple=True, metavar="WORD",
              help="A word to move away from (repeatable), as gensim's negative=[...].")
@topn_option(10, "Neighbours to list.")
@_answers_restricted
@click.option("-i", "--input", "input_path", metavar="FILE",
              help="Many queries: one per line of FILE, its words the WORDs of that query ('-' = stdin, as is a "
                   "lone WORD '-'), all answered with the model loaded once; with --json one JSON line each.")
@encoding_errors_option
@json_option
@handle_errors
def similar_command(model, words, negative, k, restrict_vocab, input_path, encoding_errors, as_json):
    """Nearest words to WORD (or to the mean of several WORDs, minus --negative ones) by cosine.

    The same list, order and scores as gensim's most_similar(positive=WORDS, negative=NEGATIVE)
    on the word rows. The query words and <pad>/<unk> are never listed. An unknown word among
    several is reported on stderr and left out; the query fails only if no word is known.
    MODEL is a model directory, or a word2vec (text or binary) or GloVe vector file, as every
    query command takes it.

    \b
    Examples:
      embedcli similar models/default cat
      embedcli similar models/default paris germany --negative france -k 3
      embedcli similar models/default cat dog --json
      embedcli similar glove.6B.100d.txt king --restrict-vocab 50000
      embedcli similar glove.6B.100d.txt -i words.txt -k 5 --json > neighbours.jsonl
    """
    _check_k_restrict(k, restrict_vocab)
    words, input_path = args_or_stdin(words, input_path, "queries", "WORD")
    if words and input_path is not None:
        raise UsageError("give WORDs or -i/--input FILE (one query per line), not both")
    if not words and input_path is None:
        raise UsageError("give WORD... or -i/--input FILE (one query per line)")
    emb = Embeddings.load(model)
    if input_path is None:
        _similar_query(emb, words, negative, k, restrict_vocab, as_json, single=True)
        return
    for line_no, line in enumerate(iter_lines(input_path, encoding_errors=encoding_errors), 1):
        if not line.split():
            continue
        where = f"{display_name(input_path)}: line {line_no}: "
        try:
            _similar_query(emb, tuple(line.split()), negative, k, restrict_vocab, as_json, single=False,
                           where=where)
        except EmbedcliError as exc:  # a word that is not one token, a special token...: this query only
            _line_error(where, exc, {"query": " ".join(line.split()), "neighbours": [], "unknown": []}, as_json)


def _line_error(where: str, exc: EmbedcliError, record: dict, as_json: bool) -> None:
    """A query of a file (similar -i, analogy -i) that cannot be asked: reported with its line, and
    with --json its line of no answers and the error, so the run goes on to the next line."""
    err_console.print(escape(f"{where}{exc.message}"), soft_wrap=True)
    if as_json:
        print_json({**record, "error": exc.message})


def _similar_query(emb: Embeddings, words: tuple[str, ...], negative: tuple[str, ...], k: int,
                   restrict_vocab: int | None, as_json: bool, single: bool, where: str = "") -> None:
    """One query of ``similar``: its table, or its JSON (a JSON line with the query among many).
    Without a known word, one query is an error; among many it is reported (``where``: its file
    and line) and has no neighbours."""
    pos, skipped = emb.split_known(words)
    neg, skipped_neg = emb.split_known(negative)
    skipped += skipped_neg
    if not pos and not neg and single:
        if len(skipped) == 1:
            raise skipped[0]
        raise EmbedcliError("no known word to search with: " + "; ".join(e.message for e in skipped))
    for exc in skipped:
        hint = ""
        if exc.word in negative and exc.word.isdigit():  # `-n 3` meant as a count, as in `head -n 3`
            hint = f" (-n/--negative takes a word to move away from; for {exc.word} neighbours use -k {exc.word})"
        err_console.print(escape(f"{where}skipped {exc.message}{hint}"), soft_wrap=True)
    res = _neighbours(emb, emb.most_similar(positive=pos, negative=neg, topn=k, restrict_vocab=restrict_vocab)) \
        if pos or neg else []
    if as_json:
        print_json(res if single else {"query": " ".join(words), "neighbours": res,
                                       "unknown": [e.word for e in skipped]})
        return
    if not pos and not neg:  # reported above; no table
        return
    title = (" + ".join(repr(w) for w in pos) + "".join(f" - {w!r}" for w in neg)).strip()
    out_console.print(_neighbours_table(f"nearest to {escape(title)}", res))


@main.command("similarity")
@click.argument("model", metavar="MODEL")
@click.argument("a")
@click.argument("b")
@json_option
@handle_errors
def similarity_command(model, a, b, as_json):
    """Cosine similarity of two words (gensim's similarity(A, B)).

    \b
    Examples:
      embedcli similarity models/default cat dog
      embedcli similarity models/default cat dog --json
    """
    emb = Embeddings.load(model)
    score = emb.similarity(a, b)
    if as_json:
        print_json({"a": a, "b": b, "similarity": score})
    else:
        out_console.print(f"{score:.4f}")


@main.command("analogy")
@click.argument("model", metavar="MODEL")
@click.argument("words", nargs=-1, metavar="A B C")
@topn_option(5, "Answers to list.")
@click.option("--cosmul", is_flag=True,
              help="3CosMul (Levy and Goldberg; gensim's most_similar_cosmul) instead of 3CosAdd.")
@_answers_restricted
@click.option("-i", "--input", "input_path", metavar="FILE",
              help="Many questions: 'A B C' on each line of FILE ('-' = stdin, as is a lone '-'), all answered "
                   "with the model loaded once; with --json one JSON line each.")
@encoding_errors_option
@json_option
@handle_errors
def analogy_command(model, words, k, cosmul, restrict_vocab, input_path, encoding_errors, as_json):
    """A is to B as C is to ?  (3CosAdd: B - A + C on unit vectors, like gensim).

    Same result as gensim's most_similar(positive=[B, C], negative=[A]); A, B and C are not answers.
    With --cosmul, gensim's most_similar_cosmul: each candidate's (1 + cos) / 2 with B times that
    with C, over that with A, so that one large similarity does not decide alone.

    \b
    Examples:
      embedcli analogy models/default man king woman      # → queen, hopefully
      embedcli analogy models/default man king woman --cosmul -k 3 --json
      embedcli analogy glove.6B.100d.txt -i questions.txt -k 1 --json > answers.jsonl
    """
    _check_k_restrict(k, restrict_vocab)
    words, input_path = args_or_stdin(words, input_path, "questions", "A B C")
    if words and input_path is not None:
        raise UsageError("give A B C or -i/--input FILE (one question per line), not both")
    if input_path is None and len(words) != 3:
        raise UsageError(f"give three words A B C (got {len(words)}), or -i/--input FILE (one question per line)")
    emb = Embeddings.load(model)
    method = "3cosmul" if cosmul else "3cosadd"
    if input_path is None:
        res = _neighbours(emb, emb.analogy(*words, topn=k, method=method, restrict_vocab=restrict_vocab))
        if as_json:
            print_json(res)
            return
        out_console.print(_analogy_table(words, res, cosmul))
        return
    for line_no, line in enumerate(iter_lines(input_path, encoding_errors=encoding_errors), 1):
        question = line.split()
        if not question:
            continue
        where = f"{display_name(input_path)}: line {line_no}: "
        if len(question) != 3:
            err_console.print(escape(f"{where}skipped, not three words A B C"), soft_wrap=True)
            continue
        try:
            _, skipped = emb.split_known(question)
            res = [] if skipped else _neighbours(emb, emb.analogy(*question, topn=k, method=method,
                                                                  restrict_vocab=restrict_vocab))
        except EmbedcliError as exc:  # a word that is not one token, a special token...: this question only
            _line_error(where, exc, {"question": " ".join(question), "answers": [], "unknown": []}, as_json)
            continue
        for exc in skipped:
            err_console.print(escape(f"{where}{exc.message}"), soft_wrap=True)
        if as_json:
            print_json({"question": " ".join(question), "answers": res, "unknown": [e.word for e in skipped]})
        elif res:
            out_console.print(_analogy_table(question, res, cosmul))


def _analogy_table(question: Sequence[str], res: list[dict], cosmul: bool) -> Table:
    a, b, c = question
    return _neighbours_table(escape(f"{a} : {b} :: {c} : ?"), res, score="3CosMul" if cosmul else "cosine")


def _embed_target(output: str | None) -> str | None:
    """``npy`` or ``jsonl`` from the extension of ``-o`` (None: print)."""
    if output is None:
        return None
    if output == STDIO:
        return "jsonl"
    ext = os.path.splitext(output)[1].lower()
    if ext not in (".npy", ".jsonl"):
        raise UsageError(f"-o {output}: give a .npy (float32 array) or .jsonl (one vector per line) file")
    check_writable(output)
    return ext[1:]


@main.command("embed")
@click.argument("model", metavar="MODEL")
@click.argument("phrases", nargs=-1, metavar="[PHRASE...]")
@click.option("-i", "--input", "input_path", metavar="FILE",
              help="Phrases, one per line ('-' = stdin, as is a lone PHRASE '-').")
@click.option("-o", "--output", metavar="OUT.npy|OUT.jsonl",
              help="Write the vectors: .npy = float32 array (phrases x dim), .jsonl = one JSON object per "
                   "phrase ('-' = stdout). Default: print them.")
@click.option("--normalize", is_flag=True,
              help="Average the unit-normalised rows (fastText's sentence vectors) instead of the raw rows.")
@encoding_errors_option
@json_option
@quiet_option
@handle_errors
def embed_command(model, phrases, input_path, output, normalize, encoding_errors, as_json, quiet):
    """One vector per phrase: the mean of the rows of its known words, for a downstream model.

    Words are normalised and split as the vocabulary's text was; unknown words are left out. A
    phrase without any known word (or an empty one) gives a zero vector and is counted in the
    summary (stderr). For a classifier, the vector it scores (fastText's print-sentence-vectors
    of a supervised model): the mean of the phrase's word rows and word/character n-gram rows
    ("known" counts those rows; --normalize gives the word rows' mean as for word vectors).

    \b
    Examples:
      embedcli embed models/default "the cat sat on the mat" "a dog"
      embedcli embed models/default -i sample_data/phrases.txt -o phrases.npy --normalize
      embedcli embed models/default -i phrases.txt -o - | head -1
      cat phrases.txt | embedcli embed models/default - --json
    """
    phrases, input_path = args_or_stdin(phrases, input_path)
    if phrases and input_path:
        raise UsageError("give PHRASE arguments or -i FILE, not both")
    if not phrases and not input_path:
        raise UsageError("give PHRASE arguments or -i FILE ('-' for stdin)")
    if as_json and output is not None:
        raise UsageError("--json prints the vectors; with -o they go to the file (use .jsonl for JSON lines)")
    target = _embed_target(output)
    phrases = decoded_args(phrases, encoding_errors)
    emb = Embeddings.load(model)
    embed_batch = functools.partial(emb.embed_with_counts, normalize=normalize)
    if emb.objective == "classify" and not normalize:  # what the classifier scores, n-grams included
        from ..classify import Classifier

        embed_batch = Classifier(emb.model).sentence_vectors_with_counts
    lines = iter(phrases) if phrases else iter_lines(input_path, encoding_errors=encoding_errors)
    counts = {"phrases": 0, "empty": 0}

    def batches():
        """(phrases, vectors, known words per phrase) for blocks of EMBED_BATCH phrases."""
        while True:
            batch = list(itertools.islice(lines, EMBED_BATCH))
            if not batch:
                return
            vecs, known = embed_batch(batch)
            counts["phrases"] += len(batch)
            counts["empty"] += int(np.count_nonzero(known == 0))
            yield batch, vecs, known

    with progress_bar("embedding", None, quiet=quiet or target is None, unit="phrases") as advance:
        if target == "npy":
            _write_npy(output, batches(), emb.dim, advance)
        elif target == "jsonl":
            with atomic_write(output) as f:
                for batch, vecs, known in batches():
                    f.write("".join(_json_line(t, v, n) + "\n" for t, v, n in zip(batch, vecs, known)))
                    advance(len(batch))
        else:
            rows = [(t, v, int(n)) for batch, vecs, known in batches() for t, v, n in zip(batch, vecs, known)]
            if as_json:
                from ..export import json_vector

                print_json([{"text": t, "known": n, "vector": json_vector(v)} for t, v, n in rows])
            else:
                _print_vectors(rows, emb.dim)
    if not quiet and not as_json:
        where = f" to {output}" if output not in (None, STDIO) else ""
        err_console.print(
            f"embedded {counts['phrases']:,} phrase(s){where}: {emb.dim}-d "
            f"{'mean of unit-normalised rows' if normalize else 'mean of rows'}; "
            f"{counts['empty']:,} without any known word (zero vectors)", soft_wrap=True
        )


def _json_line(text: str, vec: np.ndarray, known: int) -> str:
    import json

    from ..export import json_vector

    return json.dumps({"text": text, "known": int(known), "vector": json_vector(vec)}, ensure_ascii=False)


def _write_npy(path: str, batches, dim: int, advance) -> None:
    """Stream float32 rows into ``path`` (.npy): rows go to a scratch file beside it, then into
    the array once their number is known; the file appears only when complete."""
    with atomic_path(path) as tmp:
        raw = tmp + ".rows"
        n = 0
        try:
            with open(raw, "wb") as f:
                for batch, vecs, _ in batches:
                    np.ascontiguousarray(vecs, dtype="<f4").tofile(f)
                    n += len(batch)
                    advance(len(batch))
            rows = np.memmap(raw, dtype="<f4", mode="r", shape=(n, dim)) if n else np.zeros((0, dim), "<f4")
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype="<f4", shape=(n, dim))
            for start in range(0, n, 65536):
                out[start:start + 65536] = rows[start:start + 65536]
            out.flush()
            del out, rows
        finally:
            if os.path.exists(raw):
                os.unlink(raw)


def _print_vectors(rows: list[tuple[str, np.ndarray, int]], dim: int, precision: int = 4) -> None:
    t = Table(title=f"phrase vectors ({dim}-d)", title_style="bold")
    t.add_column("phrase")
    t.add_column("known", justify="right")
    t.add_column("vector")
    for text, vec, known in rows:
        vals = [f"{v:.{precision}f}" for v in vec[:6]]
        if len(vec) > 6:
            vals.append(f"… ({len(vec) - 6} more)")
        t.add_row(escape(text), str(known), "[" + ", ".join(vals) + "]")
    out_console.print(t)


@main.command("evaluate")
@click.argument("model", metavar="MODEL")
@click.argument("files", nargs=-1, metavar="[FILE]...")
@click.option("--similarity", "similarity_files", multiple=True, metavar="FILE",
              help="Word-pair file (WordSim-353/SimLex: word1<TAB>word2<TAB>score, # comments). Repeatable.")
@click.option("--analogies", "analogy_files", multiple=True, metavar="FILE",
              help="Analogy questions (word2vec questions-words.txt: ': section' lines, 'a b c d'). Repeatable.")
@click.option("--restrict-vocab", type=int, default=RESTRICT_VOCAB, show_default=True,
              help="Only the N most frequent words (by the vocabulary's counts) count as known and as "
                   "answers, like gensim's restrict_vocab.")
@click.option("--case-sensitive", is_flag=True, help="Match words exactly (default: case-insensitive, like gensim).")
@click.option("--cosmul", is_flag=True, help="Answer the analogies with 3CosMul (Levy and Goldberg; as `analogy "
                                             "--cosmul`) instead of gensim's 3CosAdd.")
@click.option("--dummy4unknown", is_flag=True,
              help="Count a pair with an unknown word as similarity 0 and a question with one as a wrong answer "
                   "(gensim's dummy4unknown) instead of leaving them out.")
@encoding_errors_option
@json_option
@quiet_option
@handle_errors
def evaluate_command(model, files, similarity_files, analogy_files, restrict_vocab, case_sensitive, cosmul,
                     dummy4unknown, encoding_errors, as_json, quiet):
    """Score the table on word similarity (Spearman, Pearson) and analogies (accuracy).

    Numbers follow gensim's evaluate_word_pairs / evaluate_word_analogies: pairs and
    questions with an unknown word are skipped and counted as out-of-vocabulary (with
    --dummy4unknown scored 0 and counted wrong, as gensim's option). A FILE
    given without --similarity or --analogies is read as whichever it holds: word pairs
    (word1<TAB>word2<TAB>score) or analogy questions (': section' headers, 'a b c d').

    \b
    Examples:
      embedcli evaluate models/default sample_data/similarity.tsv sample_data/analogies.txt
      embedcli evaluate models/default --similarity sample_data/similarity.tsv
      embedcli evaluate models/default --analogies sample_data/analogies.txt --json
    """
    if not files and not similarity_files and not analogy_files:
        raise UsageError("give FILE, --similarity FILE or --analogies FILE (word pairs or analogy questions)")
    if restrict_vocab < 1:
        raise UsageError(f"--restrict-vocab must be at least 1 (got {restrict_vocab})")
    emb = Embeddings.load(model)
    with progress_bar("analogies", None, quiet=quiet or not (analogy_files or files), unit="questions") as adv:
        res = emb.evaluate(similarity=similarity_files, analogies=analogy_files, files=files,
                           restrict_vocab=restrict_vocab, case_insensitive=not case_sensitive,
                           analogy_method="3cosmul" if cosmul else "3cosadd", dummy4unknown=dummy4unknown,
                           encoding_errors=encoding_errors, progress=adv)
    pairs, analogies = res["similarity"], res["analogies"]
    if as_json:
        print_json({"similarity": [r.to_dict() for r in pairs], "analogies": [r.to_dict() for r in analogies]})
        return
    if pairs:
        t = Table(title="word similarity", title_style="bold")
        for col in ("file", "Spearman", "Pearson", "pairs", "out of vocabulary"):
            t.add_column(col, justify="left" if col == "file" else "right")
        for r in pairs:
            fmt = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
            t.add_row(escape(r.path), fmt(r.spearman), fmt(r.pearson), str(r.pairs),
                      f"{r.oov_pairs} ({r.oov_share:.1%})"
                      + (f", {r.subword_pairs} from subwords" if r.subword_pairs else ""))
        out_console.print(t)
        for r in pairs:
            if r.invalid_lines and not quiet:
                err_console.print(f"{escape(r.path)}: skipped {len(r.invalid_lines)} malformed line(s), first at line "
                                  f"{r.invalid_lines[0]}")
            if r.oov_examples and not quiet:
                err_console.print(escape(f"{r.path}: unknown words include {', '.join(r.oov_examples)}"))
    for r in analogies:
        t = Table(title=f"analogies{' (3CosMul)' if r.method == '3cosmul' else ''}: {escape(r.path)}",
                  title_style="bold")
        for col in ("section", "correct", "answered", "accuracy"):
            t.add_column(col, justify="left" if col == "section" else "right")
        for s in r.sections:
            t.add_row(escape(s.name), str(s.correct), str(s.total), f"{s.accuracy:.1%}" if s.total else "n/a")
        t.add_row("[bold]total[/]", str(r.total.correct), str(r.total.total),
                  f"[bold]{r.accuracy:.1%}[/]" if r.total.total else "n/a")  # nothing answered: no accuracy
        out_console.print(t)
        if not quiet:
            err_console.print(f"{escape(r.path)}: {r.oov_questions} of {r.questions} questions "
                              f"{'counted wrong' if r.dummy4unknown else 'skipped'} "
                              f"({r.oov_share:.1%}) for out-of-vocabulary words"
                              + (f"; {r.subword_questions} answered with subword vectors" if r.subword_questions else "")
                              + (f"; {len(r.invalid_lines)} malformed line(s)" if r.invalid_lines else ""))
