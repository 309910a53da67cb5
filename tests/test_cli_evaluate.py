"""evaluate: Spearman/Pearson and analogy accuracy agree with gensim (reference client) and scipy.
Through the command line; the library tests are in test_evaluate.py."""

import json
import os

import pytest

from embedcli.cli import main

from support.evaluate import SAMPLE, _gensim_analogies, sample_model, words_kv


def test_evaluate_cli(sample_model, runner):
    path, vocab, table = sample_model
    sim, ana = os.path.join(SAMPLE, "similarity.tsv"), os.path.join(SAMPLE, "analogies.txt")
    res = runner.invoke(main, ["evaluate", path, "--similarity", sim, "--analogies", ana, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    (p, _), (s, _), oov = words_kv(vocab, table).evaluate_word_pairs(sim)
    assert data["similarity"][0]["spearman"] == pytest.approx(s, abs=5e-3)
    assert data["similarity"][0]["pearson"] == pytest.approx(p, abs=5e-3)
    assert data["similarity"][0]["oov_share"] * 100 == pytest.approx(oov)
    score, _ = _gensim_analogies(words_kv(vocab, table), ana)
    assert data["analogies"][0]["accuracy"] == pytest.approx(score, abs=5e-3)
    assert [x["section"] for x in data["analogies"][0]["sections"]] == ["capital-country", "gender", "plural"]
    res = runner.invoke(main, ["evaluate", path, "--similarity", sim, "--analogies", ana])
    assert res.exit_code == 0 and "Spearman" in res.output and "capital-country" in res.output
    # --restrict-vocab: the N most frequent words, like gensim on its frequency-sorted vocabulary
    res = runner.invoke(main, ["evaluate", path, "--similarity", sim, "--analogies", ana, "--json",
                               "--restrict-vocab", "400"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    (p, _), (s, _), oov = words_kv(vocab, table).evaluate_word_pairs(sim, restrict_vocab=400)
    assert data["similarity"][0]["spearman"] == pytest.approx(s, abs=5e-3)
    assert data["similarity"][0]["oov_share"] * 100 == pytest.approx(oov)
    score, sections = _gensim_analogies(words_kv(vocab, table), ana, restrict_vocab=400)
    assert data["analogies"][0]["accuracy"] == pytest.approx(score, abs=5e-3)
    assert [(x["section"], x["correct"], x["incorrect"]) for x in data["analogies"][0]["sections"]] == sections[:-1]
    assert data["analogies"][0]["oov_questions"] > 0
    # --dummy4unknown: gensim's dummy4unknown=True (unknown pairs scored 0, unknown questions wrong)
    res = runner.invoke(main, ["evaluate", path, "--similarity", sim, "--analogies", ana, "--json",
                               "--restrict-vocab", "400", "--dummy4unknown"])
    dummy = json.loads(res.stdout)
    (p, _), (s, _), oov = words_kv(vocab, table).evaluate_word_pairs(sim, restrict_vocab=400, dummy4unknown=True)
    assert dummy["similarity"][0]["spearman"] == pytest.approx(s, abs=5e-3)
    assert dummy["similarity"][0]["spearman"] != data["similarity"][0]["spearman"]
    score, sections = _gensim_analogies(words_kv(vocab, table), ana, restrict_vocab=400, dummy4unknown=True)
    assert dummy["analogies"][0]["accuracy"] == pytest.approx(score, abs=5e-3)
    assert dummy["analogies"][0]["accuracy"] < data["analogies"][0]["accuracy"]
    assert [(x["section"], x["correct"], x["incorrect"]) for x in dummy["analogies"][0]["sections"]] == sections[:-1]
    res = runner.invoke(main, ["evaluate", path, "--analogies", ana, "--restrict-vocab", "400", "--dummy4unknown"])
    assert res.exit_code == 0 and "questions counted wrong" in res.stderr
    res = runner.invoke(main, ["evaluate", path])
    assert res.exit_code == 2 and "--similarity" in res.output
    # files given without a flag are read as what they hold: the same figures as with the flags
    flagged = runner.invoke(main, ["evaluate", path, "--similarity", sim, "--analogies", ana, "--json"])
    res = runner.invoke(main, ["evaluate", path, ana, sim, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == json.loads(flagged.stdout)
    # --cosmul: the analogies answered with 3CosMul (gensim's most_similar_cosmul in its evaluation loop)
    res = runner.invoke(main, ["evaluate", path, ana, "--cosmul", "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)["analogies"][0]
    score, sections = _gensim_analogies(words_kv(vocab, table), ana, method="3cosmul")
    assert got["method"] == "3cosmul" and got["accuracy"] == pytest.approx(score, abs=5e-3)
    assert [(x["section"], x["correct"], x["incorrect"]) for x in got["sections"]] == sections[:-1]
    assert json.loads(flagged.stdout)["analogies"][0]["method"] == "3cosadd"
    res = runner.invoke(main, ["evaluate", path, ana, "--cosmul"])
    assert res.exit_code == 0 and "analogies (3CosMul): " in res.output
    res = runner.invoke(main, ["evaluate", path, os.path.join(SAMPLE, "corpus.txt")])
    assert res.exit_code == 1 and "corpus.txt: neither word pairs" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(main, ["evaluate", path, "--similarity", "missing.tsv"])
    assert res.exit_code == 1 and "missing.tsv" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("name", ["similarity.tsv", "analogies.txt"])
def test_evaluate_a_file_from_stdin_is_read_as_what_it_holds(sample_model, runner, name):
    """FILE '-': standard input, judged (word pairs or analogies) and scored from one reading, as
    the same file given by name."""
    path, _, _ = sample_model
    with open(os.path.join(SAMPLE, name), encoding="utf-8") as f:
        text = f.read()
    named = runner.invoke(main, ["evaluate", path, os.path.join(SAMPLE, name), "--json"])
    res = runner.invoke(main, ["evaluate", path, "-", "--json"], input=text)
    assert res.exit_code == 0, res.output
    got, expected = json.loads(res.stdout), json.loads(named.stdout)
    for results in (got["similarity"] + got["analogies"], expected["similarity"] + expected["analogies"]):
        for r in results:
            r.pop("file", None), r.pop("path", None)
    assert got == expected


def test_files_of_words_with_invalid_utf8_take_the_encoding_errors_flag_they_point_to(sample_model, runner, tmp_path):
    # 'invalid UTF-8 ...; use --encoding-errors replace to go on' named a flag that evaluate, similar -i,
    # analogy -i and vectors -i did not have ('No such option')
    path, vocab, table = sample_model
    pairs = tmp_path / "p.tsv"
    pairs.write_bytes(b"cat\tdog\t8\nkitten\tpuppy\t7\ncat\tpiano\t1\n\xff\tdog\t3\nguitar\tpiano\t6\n")
    questions = tmp_path / "q.txt"
    questions.write_bytes(b": s\nlisbon portugal london england\nrome \xffitaly moscow russia\n")
    words = tmp_path / "w.txt"
    words.write_bytes(b"cat dog\n\xff\n")
    for args in (["evaluate", path, str(pairs)], ["evaluate", path, "--similarity", str(pairs)],
                 ["evaluate", path, "--analogies", str(questions)], ["similar", path, "-i", str(words)],
                 ["analogy", path, "-i", str(questions)], ["vectors", path, "-i", str(words), "--oov", "skip"]):
        res = runner.invoke(main, args)
        assert res.exit_code == 1 and "invalid UTF-8 (byte 0xff); use --encoding-errors replace" in res.stderr, args
        res = runner.invoke(main, args + ["--encoding-errors", "replace"])
        assert res.exit_code == 0, (args, res.output)
    res = runner.invoke(main, ["evaluate", path, str(pairs), "--encoding-errors", "ignore", "--json"])
    assert [json.loads(res.stdout)["similarity"][0][k] for k in ("pairs", "oov_pairs")] == [4, 1]  # '' is unknown
    res = runner.invoke(main, ["evaluate", path, "-", "--encoding-errors", "replace", "--json"],
                        input=pairs.read_bytes())
    assert res.exit_code == 0 and json.loads(res.stdout)["similarity"][0]["oov_pairs"] == 1, res.output


def test_a_file_from_a_pipe_is_read_once_to_judge_and_score_it(sample_model, runner, tmp_path):
    # 'evaluate MODEL <(zcat wordsim.tsv.gz)': file_kind read the pipe's lines to judge the file and
    # scoring then found it empty ('no word pairs found'), as it once did for standard input
    import threading

    path, _, _ = sample_model
    results = {}
    for name in ("similarity.tsv", "analogies.txt"):
        fifo = tmp_path / name
        os.mkfifo(fifo)
        with open(os.path.join(SAMPLE, name), encoding="utf-8") as f:
            text = f.read()

        def write(fifo=fifo, text=text):
            with open(fifo, "w", encoding="utf-8") as f:
                f.write(text)

        threading.Thread(target=write, daemon=True).start()
        res = runner.invoke(main, ["evaluate", path, str(fifo), "--json"])
        assert res.exit_code == 0, res.output
        results[name] = json.loads(res.stdout)
    by_name = json.loads(runner.invoke(main, ["evaluate", path, os.path.join(SAMPLE, "similarity.tsv"),
                                              os.path.join(SAMPLE, "analogies.txt"), "--json"]).stdout)
    for kind, name in (("similarity", "similarity.tsv"), ("analogies", "analogies.txt")):
        (got,), (want,) = results[name][kind], by_name[kind]
        assert {**got, "file": None} == {**want, "file": None}


def test_nothing_answered_has_no_accuracy(sample_model, runner, tmp_path):
    """An analogy file none of whose questions the model can answer showed each section 'n/a' but
    the total '0.0%', as if every question had been answered wrong."""
    path = tmp_path / "a.txt"
    path.write_text(": capital\nzzqa zzqb zzqc zzqd\n", encoding="utf-8")
    res = runner.invoke(main, ["evaluate", sample_model[0], str(path)])
    assert res.exit_code == 0, res.output
    rows = [line.split("│")[1:-1] for line in res.stdout.splitlines() if line.startswith("│")]
    assert [[c.strip() for c in row] for row in rows] == [["capital", "0", "0", "n/a"], ["total", "0", "0", "n/a"]]
