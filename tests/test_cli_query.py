"""similar / analogy: same order (and scores) as gensim's KeyedVectors.most_similar. Through the
command line; the library tests are in test_query.py."""

import json

import numpy as np
import pytest

from embedcli.cli import main

from support.query import model, words_kv


def test_similar_cli(model, runner):
    path, vocab, table = model
    w = vocab.tokens[5]
    res = runner.invoke(main, ["similar", path, w, "-k", "3", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert len(data) == 3 and set(data[0]) == {"token", "index", "score"}
    ref = words_kv(vocab, table).most_similar(w, topn=3)
    assert [d["token"] for d in data] == [r[0] for r in ref]
    res = runner.invoke(main, ["similar", path, w.upper()])  # normalised like the corpus
    assert res.exit_code == 0 and data[0]["token"] in res.output
    a, b, c = vocab.tokens[2:5]
    res = runner.invoke(main, ["similar", path, a, b, "--negative", c, "-k", "4", "--json"])
    assert res.exit_code == 0, res.output
    ref = words_kv(vocab, table).most_similar(positive=[a, b], negative=[c], topn=4)
    assert [(d["token"], d["score"]) for d in json.loads(res.stdout)] == ref


def test_restrict_vocab_of_similar_and_analogy(model, runner):
    from support.evaluate import words_kv as by_frequency

    path, vocab, table = model
    kv = by_frequency(vocab, table)  # sorted as gensim's own vocabularies: restrict_vocab=N = N most frequent
    a, b, c = vocab.tokens[10:13]
    res = runner.invoke(main, ["similar", path, a, "-k", "4", "--restrict-vocab", "100", "--json"])
    assert res.exit_code == 0, res.output
    ref = kv.most_similar(a, topn=4, restrict_vocab=100)
    assert [(d["token"], d["score"]) for d in json.loads(res.stdout)] == [(w, pytest.approx(x, abs=1e-6)) for w, x in ref]
    res = runner.invoke(main, ["analogy", path, a, b, c, "--restrict-vocab", "100", "--json"])
    ref = kv.most_similar(positive=[b, c], negative=[a], topn=5, restrict_vocab=100)
    assert [d["token"] for d in json.loads(res.stdout)] == [w for w, _ in ref]
    res = runner.invoke(main, ["similar", path, a, "--restrict-vocab", "0"])
    assert res.exit_code == 2 and res.stderr.strip() == "Error: --restrict-vocab must be at least 1 (got 0)"


def test_similar_answers_a_file_of_queries_with_the_model_loaded_once(model, runner, tmp_path):
    path, vocab, table = model
    kv = words_kv(vocab, table)
    a, b, c = vocab.tokens[5], vocab.tokens[6], vocab.tokens[7]
    queries = tmp_path / "q.txt"
    queries.write_text(f"{a}\n{b} {c}\n\nqqqzzz\n{a} qqqzzz\n", encoding="utf-8")
    res = runner.invoke(main, ["similar", path, "-i", str(queries), "-k", "3", "-n", c, "--json"])
    assert res.exit_code == 0, res.output
    got = [json.loads(line) for line in res.stdout.splitlines()]  # one JSON line per query, blank lines skipped
    assert [g["query"] for g in got] == [a, f"{b} {c}", "qqqzzz", f"{a} qqqzzz"]
    assert [g["unknown"] for g in got] == [[], [], ["qqqzzz"], ["qqqzzz"]]
    for g, pos in zip(got, ([a], [b, c], [], [a])):  # qqqzzz: only the negative word is left, as for one query
        want = kv.most_similar(positive=pos, negative=[c], topn=3)
        assert [(n["token"], n["score"]) for n in g["neighbours"]] == [(w, pytest.approx(x, abs=1e-6)) for w, x in want]
    # each query alone gives the same neighbours; a lone '-' reads the queries from stdin
    single = runner.invoke(main, ["similar", path, a, "-k", "3", "-n", c, "--json"])
    assert json.loads(single.stdout) == got[0]["neighbours"]
    piped = runner.invoke(main, ["similar", path, "-", "-k", "3", "-n", c, "--json"], input=queries.read_text())
    assert piped.exit_code == 0 and piped.stdout == res.stdout
    alone = runner.invoke(main, ["similar", path, "-i", str(queries), "-k", "2", "--json"])  # no -n this time
    assert [json.loads(line)["neighbours"] for line in alone.stdout.splitlines()][2] == []  # nothing known: no answer
    table = runner.invoke(main, ["similar", path, "-i", str(queries), "-k", "2"])
    assert table.exit_code == 0 and table.stdout.count("nearest to") == 3  # none for the query of no known word
    assert table.stderr.splitlines() == [f"{queries}: line {n}: skipped unknown word 'qqqzzz'; it is not in the "
                                         "vocabulary" for n in (4, 5)]
    for args, message in ((["similar", path], "give WORD... or -i/--input FILE"),
                          (["similar", path, a, "-i", str(queries)], "give WORDs or -i/--input FILE"),
                          (["similar", path, "-", a], "'-' (the queries from stdin) cannot be mixed with WORD"),
                          (["similar", path, "-", "-i", str(queries)], "give queries as arguments ('-' for stdin) "
                                                                       "or with -i/--input, not both")):
        bad = runner.invoke(main, args)
        assert bad.exit_code == 2 and message in bad.stderr


def test_a_query_file_goes_on_past_a_line_that_cannot_be_asked(model, runner, tmp_path):
    # 'e.g.' is two tokens, '--' none, '<unk>' a special token: each stopped similar -i / analogy -i
    # at its line, after the answers before it, with an error naming no line
    path, vocab, table = model
    kv = words_kv(vocab, table)
    a, b, c = vocab.tokens[10:13]
    queries = tmp_path / "q.txt"
    queries.write_text(f"{a}\n{a} e.g.\n--\n<unk>\n{b}\n", encoding="utf-8")
    res = runner.invoke(main, ["similar", path, "-i", str(queries), "-k", "2", "--json"])
    assert res.exit_code == 0, res.output
    got = [json.loads(line) for line in res.stdout.splitlines()]
    assert [g["query"] for g in got] == [a, f"{a} e.g.", "--", "<unk>", b]
    assert [[n["token"] for n in g["neighbours"]] for g in got] == \
        [[w for w, _ in kv.most_similar(a, topn=2)], [], [], [], [w for w, _ in kv.most_similar(b, topn=2)]]
    errors = [f"{queries}: line 2: 'e.g.' is several tokens (e g); give one word",
              f"{queries}: line 3: '--' contains no token (after normalisation)",
              f"{queries}: line 4: '<unk>' is a special token, not a word; it has no neighbours"]
    assert res.stderr.splitlines() == errors
    assert [g.get("error") for g in got] == [None] + [e.split(": ", 2)[2] for e in errors] + [None]
    table = runner.invoke(main, ["similar", path, "-i", str(queries), "-k", "2"])
    assert table.exit_code == 0 and table.stdout.count("nearest to") == 2 and table.stderr.splitlines() == errors
    questions = tmp_path / "a.txt"
    questions.write_text(f"{a} {b} e.g.\n<unk> {b} {c}\n{a} {b} {c}\n", encoding="utf-8")
    res = runner.invoke(main, ["analogy", path, "-i", str(questions), "-k", "1", "--json"])
    assert res.exit_code == 0, res.output
    got = [json.loads(line) for line in res.stdout.splitlines()]
    assert [(g["question"], g["answers"]) for g in got[:2]] == [(f"{a} {b} e.g.", []), (f"<unk> {b} {c}", [])]
    assert got[2]["answers"][0]["token"] == kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0]
    assert res.stderr.splitlines() == [f"{questions}: line 1: 'e.g.' is several tokens (e g); give one word",
                                       f"{questions}: line 2: '<unk>' is a special token, not a word; it has no "
                                       "neighbours"]
    res = runner.invoke(main, ["similar", path, "-i", str(queries), "--restrict-vocab", "0"])
    assert res.exit_code == 2 and res.stderr == "Error: --restrict-vocab must be at least 1 (got 0)\n"


def test_similar_skips_unknown_words_of_a_longer_query(model, runner):
    path, vocab, table = model
    a, b = vocab.tokens[5], vocab.tokens[6]
    res = runner.invoke(main, ["similar", path, a, "qqqzzz", b, "-n", "zzzqqq", "-k", "3", "--json"])
    assert res.exit_code == 0, res.output
    ref = words_kv(vocab, table).most_similar(positive=[a, b], topn=3)
    got = json.loads(res.stdout)  # gensim's words, its scores to the last float32 bit (BLAS may sum
    # a row of gensim's frequency-sorted matrix by another path than the same row of ours)
    assert [d["token"] for d in got] == [t for t, _ in ref]
    assert np.allclose([d["score"] for d in got], [s for _, s in ref], rtol=0, atol=1e-6)
    assert res.stderr.splitlines() == ["skipped unknown word 'qqqzzz'; it is not in the vocabulary",
                                       "skipped unknown word 'zzzqqq'; it is not in the vocabulary"]
    # `-n 3` as in `head -n 3`: the note says where the count goes
    res = runner.invoke(main, ["similar", path, a, "-n", "3", "--json"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)) == 10
    assert res.stderr.strip() == ("skipped unknown word '3'; it is not in the vocabulary (-n/--negative takes a "
                                  "word to move away from; for 3 neighbours use -k 3)")
    res = runner.invoke(main, ["similar", path, "qqqzzz", "zzzqqq"])
    assert res.exit_code == 1 and res.stdout == ""
    assert res.stderr.strip() == ("Error: no known word to search with: unknown word 'qqqzzz'; it is not in the "
                                  "vocabulary; unknown word 'zzzqqq'; it is not in the vocabulary")


def test_similarity_cli_equals_gensim(model, runner):
    path, vocab, table = model
    a, b = vocab.tokens[7], vocab.tokens[9]
    res = runner.invoke(main, ["similarity", path, a.upper(), b, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["a"] == a.upper() and data["b"] == b
    assert data["similarity"] == float(words_kv(vocab, table).similarity(a, b))
    res = runner.invoke(main, ["similarity", path, a, b])
    assert res.exit_code == 0 and res.stdout == f"{data['similarity']:.4f}\n"
    res = runner.invoke(main, ["similarity", path, a, "qqqzzz"])
    assert res.exit_code == 1 and "unknown word 'qqqzzz'" in res.stderr


def test_similar_unknown_word_suggests(model, runner):
    path, vocab, _ = model
    word = max(vocab.tokens[2:], key=len)
    typo = word[:-1] + ("x" if word[-1] != "x" else "y")
    res = runner.invoke(main, ["similar", path, typo])
    assert res.exit_code == 1
    assert f"unknown word {typo!r}" in res.output and word in res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1
    res = runner.invoke(main, ["similar", path, "x", "-k", "0"])
    assert res.exit_code == 2


def test_analogy_cli(model, runner):
    path, vocab, table = model
    a, b, c = vocab.tokens[10:13]
    res = runner.invoke(main, ["analogy", path, a, b, c, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    ref = words_kv(vocab, table).most_similar(positive=[b, c], negative=[a], topn=5)
    assert [d["token"] for d in data] == [r[0] for r in ref]
    res = runner.invoke(main, ["analogy", path, a, b, c, "-k", "2"])
    assert res.exit_code == 0 and data[0]["token"] in res.output and f"{a} : {b} :: {c} : ?" in res.output
    res = runner.invoke(main, ["analogy", path, a, b, c, "--cosmul", "-k", "3", "--json"])
    assert res.exit_code == 0, res.output
    ref = words_kv(vocab, table).most_similar_cosmul(positive=[b, c], negative=[a], topn=3)
    assert [(d["token"], d["score"]) for d in json.loads(res.stdout)] == [(w, pytest.approx(x, abs=1e-6)) for w, x in ref]
    res = runner.invoke(main, ["analogy", path, a, b, c, "--cosmul"])
    assert res.exit_code == 0 and "3CosMul" in res.output and "cosine" not in res.output
    res = runner.invoke(main, ["analogy", path, a, b])
    assert res.exit_code == 2 and "give three words A B C (got 2)" in res.stderr


def test_analogy_answers_a_file_of_questions(model, runner, tmp_path):
    path, vocab, table = model
    kv = words_kv(vocab, table)
    a, b, c, d = vocab.tokens[10:14]
    questions = tmp_path / "q.txt"
    questions.write_text(f"{a} {b} {c}\n\n{b} {c} {d}\nqqqzzz {b} {c}\n{a} {b}\n", encoding="utf-8")
    res = runner.invoke(main, ["analogy", path, "-i", str(questions), "-k", "3", "--json"])
    assert res.exit_code == 0, res.output
    got = [json.loads(line) for line in res.stdout.splitlines()]
    assert [(g["question"], g["unknown"]) for g in got] == [(f"{a} {b} {c}", []), (f"{b} {c} {d}", []),
                                                            (f"qqqzzz {b} {c}", ["qqqzzz"])]
    for g, (x, y, z) in zip(got, ((a, b, c), (b, c, d))):
        want = kv.most_similar(positive=[y, z], negative=[x], topn=3)
        assert [(n["token"], n["score"]) for n in g["answers"]] == [(w, pytest.approx(v, abs=1e-6)) for w, v in want]
    assert got[2]["answers"] == []
    assert res.stderr.splitlines() == [f"{questions}: line 4: unknown word 'qqqzzz'; it is not in the vocabulary",
                                       f"{questions}: line 5: skipped, not three words A B C"]
    single = runner.invoke(main, ["analogy", path, b, c, d, "-k", "3", "--json", "--cosmul"])
    many = runner.invoke(main, ["analogy", path, "-", "-k", "3", "--json", "--cosmul"], input=f"{b} {c} {d}\n")
    assert many.exit_code == 0 and json.loads(many.stdout)["answers"] == json.loads(single.stdout)
    table = runner.invoke(main, ["analogy", path, "-i", str(questions)])
    assert table.exit_code == 0 and table.stdout.count(" :: ") == 2
    bad = runner.invoke(main, ["analogy", path, a, b, c, "-i", str(questions)])
    assert bad.exit_code == 2 and "not both" in bad.stderr
