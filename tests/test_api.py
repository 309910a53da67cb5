"""The Python API (embedcli.load / train / Embeddings / Vocab / Classifier), checked against the
command line (same bytes) and gensim (same neighbours and scores). The library; the command-line
tests are in test_cli_api.py."""

import os
import re

import numpy as np
import pytest
from gensim.models import KeyedVectors

import embedcli
from embedcli.errors import EmbedcliError, ParameterError, UnknownWordError
from embedcli.vocab import Vocab

from support.api import CORPUS, FAST, emb, lines


def gensim_words(emb):
    ids = [i for i in range(len(emb.vocab)) if i not in emb.vocab.special_ids()]
    kv = KeyedVectors(emb.dim)
    kv.add_vectors([emb.vocab.tokens[i] for i in ids], emb.table[ids])
    return kv


def test_train_from_a_generator_and_a_path_give_the_same_table(tmp_path):
    gen = (line for line in lines(CORPUS))
    a = embedcli.train(gen, workers=1, **FAST)
    b = embedcli.train(str(CORPUS), workers=1, **FAST)
    c = embedcli.train([CORPUS], workers=1, **FAST)  # a list of Path objects is a list of files
    assert a.table.tobytes() == b.table.tobytes() == c.table.tobytes()


def test_train_is_in_memory_unless_output_is_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    embedcli.train(lines(CORPUS)[:50], workers=1, dim=8, epochs=1, min_count=1)
    assert os.listdir(tmp_path) == []
    out = tmp_path / "m"
    emb = embedcli.train(lines(CORPUS)[:50], workers=1, dim=8, epochs=1, min_count=1, output=out)
    again = embedcli.load(out)
    assert repr(again) == repr(emb) and again.table.tobytes() == emb.table.tobytes()
    assert again.model.config["corpus"] == []  # the temporary file of the strings is not recorded


def test_token_lists_are_gensim_corpora_with_the_bytes_of_their_sentences():
    """gensim's corpus shape (an iterable of token lists) trains as the sentences the tokens join."""
    sentences = ["hope to see you soon", "nice to see you again", "see you"] * 40
    tokens = [s.split() for s in sentences]
    kw = dict(dim=8, epochs=2, min_count=1, workers=1, seed=4)
    a = embedcli.train(tokens, **kw)
    b = embedcli.train(sentences, **kw)
    c = embedcli.train((tuple(t) for t in tokens), **kw)  # a generator of tuples too
    assert a.table.tobytes() == b.table.tobytes() == c.table.tobytes()
    assert embedcli.Vocab.build(tokens).tokens == embedcli.Vocab.build(sentences).tokens
    # phrases too: encode, embed, a classifier's predict
    assert a.vocab.encode(tokens[:3]) == a.vocab.encode(sentences[:3])
    assert (a.vocab.encode(tokens[:2], maxlen=4) == a.vocab.encode(sentences[:2], maxlen=4)).all()
    assert a.embed(tokens[:3]).tobytes() == a.embed(sentences[:3]).tobytes()
    labeled = [["__label__greet", *t] for t in tokens]
    clf = embedcli.train(labeled, objective="classify", dim=8, epochs=2, min_count=1, workers=1)
    assert clf.predict(tokens[:2]) == clf.predict(sentences[:2])
    with pytest.raises(ParameterError, match=r"^phrases: item 1 is int, not a string or a list of tokens$"):
        a.vocab.encode(["hope", 3])


def test_arguments_that_disagree_with_a_given_vocabulary_are_errors():
    texts = ["Hope to see you soon", "Nice to see you again"] * 30
    vocab = embedcli.Vocab.build(texts)
    with pytest.raises(ParameterError, match=r"^order frequency: the vocabulary given was built with order appearance, "
                                             r"and with vocab its own settings are used; drop order"):
        embedcli.train(texts, vocab=vocab, order="frequency", dim=8, epochs=1, workers=1)
    same = embedcli.train(texts, vocab=vocab, min_count=1, lower=True, dim=8, epochs=1, workers=1)  # they agree
    assert same.vocab.tokens == vocab.tokens


def test_train_errors_name_parameters_not_flags(tmp_path):
    with pytest.raises(ParameterError, match=r"^dim must be at least 1 \(got 0\)$"):
        embedcli.train(["a b c"], dim=0)
    with pytest.raises(ParameterError, match=r"^min_lr must not exceed lr 0.01"):
        embedcli.train(["a b c"], lr=0.01, min_lr=0.5)
    with pytest.raises(ParameterError, match=r"^epochs: expected an integer, got 'many'$"):
        embedcli.train(["a b c"], epochs="many")
    with pytest.raises(ParameterError, match=r"^corpus: no such file: nowhere.txt"):
        embedcli.train("nowhere.txt")
    with pytest.raises(ParameterError, match=r"^corpus: item 1 is int, not a string or a list of tokens$"):
        embedcli.train(["a b", 3])
    with pytest.raises(ParameterError, match=r"^corpus: item 0 is a list holding int, not only strings \(tokens\)$"):
        embedcli.train([["a", 3]])
    with pytest.raises(ParameterError, match=r"^corpus: item 1 has a token with a line break \('b\\nc'\)$"):
        embedcli.train([["a"], ["b\nc"]])
    with pytest.raises(ParameterError, match=r"^min_count 5 removes every word of the texts given"):
        embedcli.train(["a b c"], min_count=5)
    with pytest.raises(EmbedcliError, match=r"^the texts given: no words found"):
        embedcli.train(["...", "!"])
    with pytest.raises(EmbedcliError, match=r"^the texts given: no line has two words in the vocabulary"):
        embedcli.train(["hope", "to", "see"] * 10, min_count=1)  # a word list, not sentences
    # gensim's and fastText's parameter names: Python's TypeError, saying embedcli's name
    with pytest.raises(TypeError, match=r"^train\(\) got an unexpected keyword argument 'alpha'; embedcli calls it 'lr'$"):
        embedcli.train(["a b c"], alpha=0.05)
    with pytest.raises(TypeError, match=r"^train\(\) got an unexpected keyword argument 'vector_size'; embedcli calls "
                                        r"it 'dim'$"):
        embedcli.train(["a b c"], vector_size=50)
    with pytest.raises(TypeError, match=r"'epoch'; embedcli calls it 'epochs'$"):
        embedcli.train(["a b c"], epoch=5)
    with pytest.raises(TypeError, match=r"'min_n'; embedcli calls it 'subwords' \(MIN-MAX, like 3-6\)$"):
        embedcli.train(["a b c"], min_n=3, max_n=6)  # gensim's FastText
    # init is a file or a model directory: Embeddings in memory (a loaded GloVe file) are named, not
    # os.fspath's "expected str, bytes or os.PathLike object, not Embeddings"
    glove = embedcli.Embeddings(Vocab(tokens=["a", "b"], counts=[0, 0], specials={}), np.ones((2, 4), np.float32))
    with pytest.raises(ParameterError, match=r"^init: expected a vector file or a model directory, got Embeddings"):
        embedcli.train(["a b c"], init=glove)
    # likewise vocab, output and tmp_dir (a Vocab or a path): not os.fspath's TypeError
    with pytest.raises(ParameterError, match=r"^vocab: expected a Vocab or a vocabulary file, got Embeddings \(its "
                                             r"vocabulary is \.vocab\)$"):
        embedcli.train(["a b c"], vocab=glove)
    with pytest.raises(ParameterError, match=r"^vocab: expected a Vocab or a vocabulary file, got list$"):
        embedcli.train(["a b c"], vocab=["a", "b"])
    with pytest.raises(ParameterError, match=r"^output: expected a directory path, got bool$"):
        embedcli.train(["a b c"], output=True)
    with pytest.raises(ParameterError, match=r"^tmp_dir: expected a directory path, got int$"):
        embedcli.train(["a b c"], tmp_dir=5)


def test_a_bad_tmp_dir_is_one_error_for_strings_as_for_files(tmp_path):
    """The strings of a corpus are written to a temporary file in ``tmp_dir``: a missing directory
    (or a file) is the one line a corpus file gets there, not mkdtemp's FileNotFoundError."""
    text = ["hope to see you soon", "nice to see you again"] * 5
    a_file = tmp_path / "f.txt"
    a_file.write_text("hope to see you\n")
    for tmp_dir, why in ((tmp_path / "missing", "no such directory"), (a_file, r"cannot create a file \(.*\)")):
        for corpus in (text, a_file):
            with pytest.raises(EmbedcliError, match=r"^temporary directory %s: %s$" % (re.escape(str(tmp_dir)), why)):
                embedcli.train(corpus, tmp_dir=tmp_dir, dim=4, epochs=1, min_count=1, workers=1)


def test_a_progress_that_cannot_be_called_is_named_before_any_work(emb, tmp_path):
    """progress=5 (or a list meant to collect the events) is one ParameterError before the text is
    read, not "'int' object is not callable" from inside the trainer after the corpus was counted."""
    text = lines(CORPUS)[:50]
    words = tmp_path / "w.txt"
    emb.save_word2vec_format(words, limit=5)
    calls = [lambda p: embedcli.train(text, dim=4, epochs=1, min_count=1, workers=1, progress=p),
             lambda p: embedcli.train(text, objective="classify", dim=4, epochs=1, workers=1, progress=p),
             lambda p: Vocab.build(text, progress=p), lambda p: emb.vocab.extend(text, progress=p),
             lambda p: Vocab.count_shard(text, progress=p), lambda p: emb.vocab.encode_to(None, text, progress=p),
             lambda p: embedcli.Embeddings.from_vectors(words, progress=p),
             lambda p: emb.evaluate(analogies=os.path.join(os.path.dirname(CORPUS), "analogies.txt"), progress=p),
             lambda p: emb.export(tmp_path / "v.txt", progress=p)]
    for call in calls:
        for bad, kind in ((5, "int"), ([], "list")):
            with pytest.raises(ParameterError, match=r"^progress: expected a function to call or None, got %s$" % kind):
                call(bad)
    assert not (tmp_path / "v.txt").exists()


def test_numpy_numbers_are_settings_like_python_s(tmp_path):
    """A grid search over ``np.arange``/``np.linspace`` gives numpy integers and floats: the same
    table as the Python numbers, saved as plain numbers in config.yaml (not 'dim: expected an
    integer, got np.int64(16)')."""
    text = lines(CORPUS)[:200]
    want = embedcli.train(text, workers=1, dim=16, epochs=1, min_count=2, lr=0.05, sample=float(np.float32(0.001)),
                          seed=3)
    got = embedcli.train(text, workers=np.int64(1), dim=np.int64(16), epochs=np.int32(1), min_count=np.uint8(2),
                         lr=np.float64(0.05), sample=np.float32(0.001), seed=np.int64(3),
                         output=tmp_path / "m")
    assert got.table.tobytes() == want.table.tobytes()
    saved = (tmp_path / "m" / "config.yaml").read_text()
    assert "dim: 16\n" in saved and "np." not in saved and "!!" not in saved
    assert embedcli.train(text, workers=1, dim=16, epochs=1, min_count=2, lr=np.float32(0.25)).model.config["lr"] \
        == float(np.float32(0.25))
    # the value as numpy shows it: np.float64(16.0) since numpy 2, 16.0 before
    with pytest.raises(ParameterError, match="^dim: expected an integer, got %s$" % re.escape(repr(np.float64(16)))):
        embedcli.train(text, dim=np.float64(16))
    with pytest.raises(ParameterError, match="^epochs: expected an integer, got %s$" % re.escape(repr(np.bool_(True)))):
        embedcli.train(text, epochs=np.bool_(True))


def test_library_training_leaves_malloc_alone_unless_asked(monkeypatch):
    from embedcli import heap

    calls = []
    monkeypatch.setattr(heap, "tune_malloc", lambda: calls.append(1) or True)
    monkeypatch.delenv("EMBEDCLI_TUNE_MALLOC", raising=False)
    embedcli.train(["a b c a b"], dim=4, epochs=1, min_count=1, workers=1)
    assert calls == []
    monkeypatch.setenv("EMBEDCLI_TUNE_MALLOC", "1")
    embedcli.train(["a b c a b"], dim=4, epochs=1, min_count=1, workers=1)
    assert calls


def test_getitem_normalises_like_the_vocabulary_and_unknown_words_are_key_errors(emb):
    i = emb.vocab.index["stockholm"]
    assert np.array_equal(emb["Stockholm"], emb.table[i]) and np.array_equal(emb["stockholm"], emb.table[i])
    assert "STOCKHOLM" in emb and "stockholmm" not in emb and 3 not in emb
    with pytest.raises(KeyError) as exc:
        emb["stockholmm"]
    assert isinstance(exc.value, UnknownWordError)
    assert str(exc.value) == "unknown word 'stockholmm'; did you mean stockholm, school?"
    assert exc.value.suggestions == ["stockholm", "school"] and exc.value.word == "stockholmm"
    with pytest.raises(KeyError, match="unknown word 'qqqqqq'; it is not in the vocabulary"):
        emb["qqqqqq"]


def test_a_word_vector_is_read_only_as_gensim_s(emb):
    """``emb[word]`` is a view of the table's row: writing to it (``v /= norm`` in a notebook)
    would change the model behind the queries' backs. It is read-only, as gensim's
    ``KeyedVectors.get_vector`` is; a copy can be changed."""
    before = emb.table.copy()
    for vec in (emb["stockholm"], emb.get_vector("stockholm"), emb.get_word_vector("stockholm")):
        with pytest.raises(ValueError, match="read-only"):
            vec *= -1
    copy = emb["stockholm"].copy()
    copy *= -1
    assert emb.table.tobytes() == before.tobytes() and emb.table.flags.writeable


def test_a_list_of_words_gives_their_rows_as_gensim(emb):
    """gensim's ``wv[["a", "b"]]``: the (n, dim) rows of the words, in order (a tuple or an array
    of strings too); each word as ``emb[word]``, an unknown one a KeyError naming it."""
    kv = gensim_words(emb)
    words = ["stockholm", "sweden", "stockholm"]
    rows = emb[words]
    assert rows.dtype == np.float32 and rows.shape == (3, emb.dim)
    assert rows.tobytes() == kv[words].tobytes() == emb.table[[emb.index(w) for w in words]].tobytes()
    assert emb[("Stockholm", "Sweden")].tobytes() == rows[:2].tobytes()
    assert emb[np.array(words)].tobytes() == rows.tobytes()
    assert emb[[]].shape == (0, emb.dim)
    with pytest.raises(KeyError, match="unknown word 'qqqzzz'"):
        emb[["stockholm", "qqqzzz"]]
    with pytest.raises(ParameterError, match=r"^a word must be a string, got int \(3\)$"):
        emb[["stockholm", 3]]


def test_iterating_gives_the_tokens_by_row(emb):
    """``for word in emb`` / ``list(vocab)``: the tokens in row order, as ``len`` counts them and
    ``in`` finds them (not Python's fallback that calls ``emb[0]``: 'a word must be a string')."""
    assert list(emb) == emb.index_to_key == emb.vocab.tokens and len(list(emb)) == len(emb)
    assert list(emb.vocab) == emb.vocab.tokens and all(t in emb and t in emb.vocab for t in emb)
    assert dict(zip(emb, emb.vectors))["stockholm"].tobytes() == emb["stockholm"].tobytes()


def test_most_similar_equals_gensim(emb):
    kv = gensim_words(emb)
    for word in ("stockholm", "president", "heart"):  # gensim's numbers: the same float32 product of each
        # row with the query, to the last bit where BLAS sums that row in the same order (here; a CPU's
        # kernel may sum a row by another path in gensim's matrix, which lacks <pad> and <unk>)
        assert_same_neighbours(emb.most_similar(word, topn=7), kv.most_similar(word, topn=7))
        assert_same_neighbours(emb.most_similar(positive=[word]), kv.most_similar(positive=[word]))
    assert_same_neighbours(emb.most_similar(positive=["president", "poland"], negative=["warsaw"], topn=5),
                           kv.most_similar(positive=["president", "poland"], negative=["warsaw"], topn=5))
    assert_same_neighbours(emb.analogy("warsaw", "poland", "stockholm", topn=3),
                           kv.most_similar(positive=["poland", "stockholm"], negative=["warsaw"], topn=3))


def test_restrict_vocab_equals_gensim(emb):
    from support.evaluate import words_kv as by_frequency

    kv = by_frequency(emb.vocab, emb.table)  # sorted as gensim's own vocabularies: restrict_vocab=N = N most frequent
    for word in ("stockholm", "president", "heart"):
        for n in (50, 300, 1000):
            assert_same_neighbours(emb.most_similar(word, topn=5, restrict_vocab=n),
                                   kv.most_similar(word, topn=5, restrict_vocab=n))
    assert emb.most_similar("heart", topn=5, restrict_vocab=50) != emb.most_similar("heart", topn=5)
    assert_same_neighbours(emb.analogy("warsaw", "poland", "stockholm", topn=3, restrict_vocab=400),
                           kv.most_similar(positive=["poland", "stockholm"], negative=["warsaw"], topn=3,
                                           restrict_vocab=400))
    top = set(kv.index_to_key[:300])  # 3CosMul among the 300 most frequent (gensim's cosmul ignores the argument)
    assert all(w in top for w, _ in emb.most_similar_cosmul("heart", topn=10, restrict_vocab=300))
    with pytest.raises(ParameterError, match=r"^restrict_vocab must be at least 1 \(got 0\)$"):
        emb.most_similar("heart", restrict_vocab=0)


def test_gensim_keyedvectors_methods_equal_gensim(emb):
    kv = gensim_words(emb)
    assert_same_neighbours(emb.most_similar_cosmul(positive=["poland", "stockholm"], negative=["warsaw"], topn=5),
                           kv.most_similar_cosmul(positive=["poland", "stockholm"], negative=["warsaw"], topn=5))
    assert_same_neighbours(emb.analogy("warsaw", "poland", "stockholm", topn=3, method="3cosmul"),
                           kv.most_similar_cosmul(positive=["poland", "stockholm"], negative=["warsaw"], topn=3))
    assert_same_neighbours(emb.most_similar_cosmul("heart", topn=4), kv.most_similar_cosmul("heart", topn=4))
    rng = np.random.default_rng(3)
    words = emb.vocab.tokens[2:400]
    for n in (2, 3, 4, 6):
        for _ in range(10):
            group = [str(w) for w in rng.choice(words, n, replace=False)]
            assert emb.doesnt_match(group) == kv.doesnt_match(group), group
            other = [str(w) for w in rng.choice(words, 3, replace=False)]
            assert emb.n_similarity(group, other) == pytest.approx(float(kv.n_similarity(group, other)), abs=1e-6)
    assert emb.doesnt_match(["stockholm", "warsaw", "Poland", "heart"]) == "heart"  # normalised as the vocabulary
    with pytest.warns(UserWarning, match=r"doesnt_match: left out unknown word\(s\) 'qqqzzz'"):
        assert emb.doesnt_match(["stockholm", "qqqzzz", "warsaw", "heart"]) == kv.doesnt_match(
            ["stockholm", "warsaw", "heart"])
    with pytest.warns(UserWarning, match="n_similarity"), pytest.raises(ParameterError, match="words has no known"):
        emb.n_similarity(["qqqzzz"], ["heart"])
    with pytest.raises(ParameterError, match=r"a word must be a string, got int \(3\)"):
        emb.doesnt_match(["heart", 3, "warsaw"])


def assert_same_neighbours(mine, theirs):
    """The same words in the same order; the scores of a mean of several unit vectors may differ
    from gensim's in the last float32 bit (the order of the additions)."""
    assert [t for t, _ in mine] == [t for t, _ in theirs]
    assert np.allclose([s for _, s in mine], [s for _, s in theirs], rtol=0, atol=1e-6)


def test_topn_that_is_not_a_count_is_a_parameter_error(emb):
    """gensim's ``topn=None`` (every score) or a float: one ParameterError naming topn, not
    "'<' not supported between 'NoneType' and 'int'" or numpy's "Partition index must be integer"."""
    for call in (lambda t: emb.most_similar("stockholm", topn=t), lambda t: emb.similar_by_vector(emb["sweden"], t),
                 lambda t: emb.analogy("sweden", "stockholm", "poland", topn=t),
                 lambda t: emb.get_nearest_neighbors("stockholm", k=t)):
        for bad in (None, 2.0, "3", True):
            with pytest.raises(ParameterError, match=r"^topn must be an integer, at least 1 \(got %s\)$"
                               % re.escape(repr(bad))):
                call(bad)
        with pytest.raises(ParameterError, match=r"^topn must be at least 1 \(got 0\)$"):
            call(0)
        assert len(call(np.int64(2))) == 2


def test_restrict_vocab_that_is_not_a_count_is_a_parameter_error(emb, tmp_path):
    """restrict_vocab=2.5 or '10' failed with Python's 'slice indices must be integers' or "'<' not
    supported between 'str' and 'int'"; evaluate took -5 as 'all but the 5 least frequent words'
    where most_similar refuses it. One ParameterError naming restrict_vocab, for every query."""
    pairs = tmp_path / "p.tsv"
    pairs.write_text("stockholm\tsweden\t9\nwarsaw\tpoland\t9\nheart\tsweden\t1\n", encoding="utf-8")
    for call in (lambda n: emb.most_similar("stockholm", restrict_vocab=n),
                 lambda n: emb.analogy("sweden", "stockholm", "poland", restrict_vocab=n),
                 lambda n: emb.similar_by_vector(emb["sweden"], restrict_vocab=n),
                 lambda n: emb.evaluate(similarity=pairs, restrict_vocab=n)):
        for bad in (2.5, "10", True):
            with pytest.raises(ParameterError, match=r"^restrict_vocab must be an integer, at least 1 \(got %s\)$"
                               % re.escape(repr(bad))):
                call(bad)
        for bad in (0, -5):
            with pytest.raises(ParameterError, match=r"^restrict_vocab must be at least 1 \(got %s\)$" % bad):
                call(bad)
        call(np.int64(len(emb)))
    assert emb.evaluate(similarity=pairs, restrict_vocab=np.int64(len(emb)))["similarity"][0].pairs == 3


def test_similarity_equals_gensim(emb):
    kv = gensim_words(emb)
    words = [t for t in emb.vocab.tokens[2:300]]
    for a, b in zip(words, words[::-1]):
        assert emb.similarity(a, b) == float(kv.similarity(a, b)), (a, b)  # the same arithmetic, bit for bit
    assert emb.similarity("Stockholm", "SWEDEN") == emb.similarity("stockholm", "sweden")


def test_embed_is_the_mean_of_known_rows(emb):
    a, b = emb.vocab["president"], emb.vocab["sweden"]
    vecs, known = emb.embed_with_counts(["President Sweden qqqzzz", "qqqzzz", ""])
    assert np.allclose(vecs[0], (emb.table[a].astype(np.float64) + emb.table[b]) / 2, atol=1e-7)
    assert known.tolist() == [2, 0, 0] and not vecs[1].any() and not vecs[2].any()
    unit = emb.embed("president sweden", normalize=True)
    want = (emb.table[a] / np.linalg.norm(emb.table[a]) + emb.table[b] / np.linalg.norm(emb.table[b])) / 2
    assert unit.shape == (emb.dim,) and np.allclose(unit, want, atol=1e-7)


def test_save_and_export(emb, tmp_path):
    emb.save(tmp_path / "m")
    assert embedcli.load(tmp_path / "m").table.tobytes() == emb.table.tobytes()
    emb.export(tmp_path / "v.txt")
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"))
    assert np.array_equal(kv["stockholm"], emb["stockholm"])
    with pytest.raises(ParameterError, match="^unknown format 'xml'"):
        emb.export(tmp_path / "v.xml", format="xml")


def test_evaluate_takes_a_pathlib_path_as_it_takes_a_string(emb):
    """One ``pathlib.Path`` is one file, as one string is (not "words must be a string")."""
    from support import REPO
    import pathlib

    sim, ana = pathlib.Path(REPO, "sample_data", "similarity.tsv"), pathlib.Path(REPO, "sample_data", "analogies.txt")
    want = emb.evaluate(similarity=str(sim), analogies=str(ana))
    got = emb.evaluate(similarity=sim, analogies=ana)
    assert [r.to_dict() for r in got["similarity"]] == [r.to_dict() for r in want["similarity"]]
    assert [r.to_dict() for r in got["analogies"]] == [r.to_dict() for r in want["analogies"]]
    by_kind = emb.evaluate(files=sim)
    assert [r.to_dict() for r in by_kind["similarity"]] == [r.to_dict() for r in want["similarity"]]


def test_embeddings_encode_takes_vocab_encode_s_arguments(emb):
    """``emb.encode`` is documented as ``Vocab.encode``: the same arguments, ``oov`` included."""
    phrases = ["Stockholm qqqzzz sweden", "qqqzzz"]
    for oov in ("unk", "skip"):
        assert emb.encode(phrases, oov=oov) == emb.vocab.encode(phrases, oov=oov)
        assert emb.encode(phrases, maxlen=4, padding="post", oov=oov).tobytes() == \
            emb.vocab.encode(phrases, maxlen=4, padding="post", oov=oov).tobytes()
    with pytest.raises(ParameterError, match=r"^unknown word 'qqqzzz'"):
        emb.encode(phrases, oov="error")


def test_vocab_encode_decode_getitem():
    v = embedcli.Vocab.build(["Hope to see you soon", "Nice to see you again"])
    assert v.tokens == ["<pad>", "<unk>", "hope", "to", "see", "you", "soon", "nice", "again"]
    assert v["Hope"] == 2 and v.encode("Hope to see you soon") == [2, 3, 4, 5, 6]
    assert v.encode(["see you", "Nice to see you again later"]) == [[4, 5], [7, 3, 4, 5, 8, 1]]
    arr = v.encode(["see you", "Nice to see you again later"], maxlen=4)
    assert arr.dtype == np.int32 and arr.tolist() == [[0, 0, 4, 5], [4, 5, 8, 1]]
    assert v.decode(arr) == ["see you", "see you again <unk>"] and v.decode([2, 3]) == "hope to"
    # one id (an int, a numpy integer, a 0-d array) is its token; the padding id an empty string
    assert v.decode(2) == "hope" and v.decode(np.int64(4)) == "see" and v.decode(np.array(5)) == "you"
    assert v.decode(0) == "" and v.decode(arr[0, 0]) == ""
    with pytest.raises(IndexError, match="id 9 is outside the vocabulary"):
        v.decode(9)
    # ids in a float array (np.zeros then filled) decode when whole; a fraction (a model's scores
    # given by mistake), a string or None is named, not cut to an integer id or a deep TypeError
    assert v.decode(np.array([[0.0, 2.0, 3.0]])) == ["hope to"] and v.decode(4.0) == "see"
    for bad, shown in (([2.7], "2.7"), (np.array([[0.2, 2.9]]), re.escape(repr(np.float64(0.2)))), ([[2, 3.5]], "3.5"),
                       ([True], "True"), ([float("nan")], "nan")):
        with pytest.raises(ParameterError, match=r"^ids: expected integer ids, got %s$" % shown):
            v.decode(bad)
    for bad, kind in (("hope to", "str"), (None, "NoneType"), (b"\x02", "bytes")):
        with pytest.raises(ParameterError, match=r"^ids: expected ids \(integers, or lists or arrays of them\), "
                                                 r"got %s$" % kind):
            v.decode(bad)
    bare = embedcli.Vocab.build(["Hope to see you soon"], specials=False)
    assert bare.tokens == ["hope", "to", "see", "you", "soon"]
    with pytest.raises(ParameterError, match=r"^unknown word 'again' \(not in the vocabulary\); oov skip drops"):
        bare.encode("hope again")
    with pytest.raises(ParameterError, match="^this vocabulary has no <unk> token: use oov error or oov skip$"):
        bare.encode("hope again", oov="unk")
    assert bare.encode("hope again", oov="skip") == [0]
    with pytest.raises(KeyError, match="did you mean hope"):
        v["hopes"]
    with pytest.raises(ParameterError, match="^unknown order 'alpha'"):
        embedcli.Vocab.build(["a"], order="alpha")
    with pytest.raises(ParameterError, match=r"^maxlen must be at least 1 \(got 0\)$"):
        v.encode("hope", maxlen=0)


def test_vocab_encode_with_padding_but_no_maxlen_pads_to_the_longest_as_keras():
    """``pad_sequences(seqs, padding="post")`` without maxlen pads to the longest sequence; so does
    ``encode(phrases, padding="post")`` (it returned the ragged lists, the padding left out), as
    ``embedcli encode --padding post`` without --maxlen does. No padding argument: the lists."""
    from support.encode import keras_pad_sequences

    v = embedcli.Vocab.build(["Hope to see you soon", "Nice to see you again"])
    phrases = ["Hope to see", "Nice", ""]
    seqs = v.encode(phrases)
    assert seqs == [[2, 3, 4], [7], []]
    for kw in ({"padding": "post"}, {"padding": "pre"}, {"truncating": "post"},
               {"padding": "post", "truncating": "post"}):
        got = v.encode(phrases, **kw)
        want = keras_pad_sequences(seqs, padding=kw.get("padding", "pre"), truncating=kw.get("truncating", "pre"))
        assert isinstance(got, np.ndarray) and got.dtype == np.int32 and got.tolist() == want.tolist()
    assert v.encode("Hope to see", padding="post").tolist() == [2, 3, 4]
    assert v.encode(phrases, padding="post").tolist() == [[2, 3, 4], [7, 0, 0], [0, 0, 0]]
    with pytest.raises(ParameterError, match=r"^padding must be 'pre' or 'post' \(got 'middle'\)$"):
        v.encode(phrases, padding="middle")


def test_public_names_are_exported():
    for name in ("load", "train", "describe", "Embeddings", "Vocab", "Classifier", "TrainSettings", "ParameterError"):
        assert name in dir(embedcli) and getattr(embedcli, name) is not None
    with pytest.raises(AttributeError):
        embedcli.Model


def test_train_is_the_function_and_the_trainer_package_imports_normally():
    import importlib.util
    import subprocess
    import sys

    from support import REPO

    code = ("import embedcli.sgd.run as run, embedcli, inspect; from embedcli.sgd.trainer import Trainer; "
            "assert inspect.isfunction(embedcli.train) and run.train_model and Trainer; "
            "import embedcli.api; assert embedcli.train is embedcli.api.train; "
            "assert not hasattr(embedcli, 'sgd') or inspect.ismodule(embedcli.sgd)")
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert importlib.util.find_spec("embedcli.train") is None  # no subpackage of that name any more


def test_vector_queries_and_ranks_equal_gensim(emb):
    """Vectors as queries (similar_by_vector, most_similar with arrays among the words), distance,
    closer_than and rank: gensim's KeyedVectors methods, with gensim's answers."""
    kv = gensim_words(emb)
    v = emb["heart"] + emb.embed("the patient examined three stomachs")
    assert_same_neighbours(emb.similar_by_vector(v, topn=8), kv.similar_by_vector(v, topn=8))
    from support.evaluate import words_kv as by_frequency  # restrict_vocab=N: the N most frequent

    assert_same_neighbours(emb.similar_by_vector(v, topn=5, restrict_vocab=200),
                           by_frequency(emb.vocab, emb.table).similar_by_vector(v, topn=5, restrict_vocab=200))
    for method in ("most_similar", "most_similar_cosmul"):  # an array is taken as it is, not normalised
        mine = getattr(emb, method)(positive=["poland", v * 3], negative=["warsaw"], topn=5)
        assert_same_neighbours(mine, getattr(kv, method)(positive=["poland", v * 3], negative=["warsaw"], topn=5))
    assert_same_neighbours(emb.most_similar(v), kv.most_similar(v))  # one array: one query, not a list of numbers
    assert emb.similar_by_word("heart", topn=4) == emb.most_similar("heart", topn=4)
    words = emb.vocab.tokens[2:60]
    for a, b in zip(words, words[7:]):
        assert emb.distance(a, b) == pytest.approx(float(kv.distance(a, b)), abs=1e-7)
        assert emb.closer_than(a, b) == kv.closer_than(a, b), (a, b)
        assert emb.rank(a, b) == kv.rank(a, b)
    with pytest.raises(ParameterError, match="a query vector must be 16 numbers, got an array of shape"):
        emb.similar_by_vector(np.zeros(5))
    with pytest.raises(ParameterError, match="NaN"):
        emb.similar_by_vector(np.full(emb.dim, np.nan))


def test_gensim_attribute_names(emb):
    """Code written against gensim's KeyedVectors finds its names: vectors, vector_size, index_to_key,
    key_to_index, get_vector(norm=), get_normed_vectors, with gensim's values (rows are the model's,
    <pad> and <unk> included)."""
    kv = gensim_words(emb)
    assert emb.vectors is emb.table and emb.index_to_key == emb.vocab.tokens
    assert emb.vector_size == kv.vector_size == emb.dim  # np.zeros(wv.vector_size) for a sentence without words
    assert emb.key_to_index["heart"] == emb.index("Heart") == emb.index_to_key.index("heart")
    for word in ("heart", "stockholm", "the"):
        assert emb.get_vector(word).tobytes() == kv.get_vector(word).tobytes()
        assert emb.get_vector(word, norm=True).tobytes() == kv.get_vector(word, norm=True).tobytes()
    normed = emb.get_normed_vectors()
    assert normed[2:].tobytes() == kv.get_normed_vectors().tobytes() and not normed[emb.vocab.pad_id].any()


def test_save_word2vec_format_is_read_by_gensim(emb, tmp_path):
    for binary in (False, True):
        path = tmp_path / f"v{int(binary)}"
        emb.save_word2vec_format(path, binary=binary, limit=50)
        kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
        assert kv.index_to_key == emb.vocab.tokens[2:52]
        assert kv.vectors.tobytes() == emb.table[2:52].tobytes()


def test_save_word2vec_format_compresses_by_name_as_gensim(emb, tmp_path):
    # gensim (smart_open) writes v.txt.gz as gzip and reads a file by its name: a plain file named
    # .gz is "Not a gzipped file" to it, so the name says how the export is written
    import bz2
    import gzip
    import lzma

    for suffix, opener in ((".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)):
        for binary in (False, True):
            path = tmp_path / f"v{int(binary)}{suffix}"
            plain = tmp_path / f"v{int(binary)}"
            emb.save_word2vec_format(path, binary=binary)
            emb.save_word2vec_format(plain, binary=binary)
            with opener(path, "rb") as f:
                assert f.read() == plain.read_bytes()
            kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
            assert kv.index_to_key == emb.vocab.tokens[2:] and kv.vectors.tobytes() == emb.table[2:].tobytes()
            assert embedcli.load(path).vocab.tokens == emb.vocab.tokens[2:]
    from embedcli.export import read_json_table

    emb.export(tmp_path / "t.json.gz", format="json")
    _, tokens, vectors = read_json_table(str(tmp_path / "t.json.gz"))
    assert tokens == emb.vocab.tokens and vectors.tobytes() == emb.table.tobytes()
    emb.export(tmp_path / "t.npy.xz", format="npy")
    with lzma.open(tmp_path / "t.npy.xz") as f:
        assert np.load(f).tobytes() == emb.table.tobytes()
    first = (tmp_path / "v0.gz").read_bytes()
    emb.save_word2vec_format(tmp_path / "v0.gz")
    assert (tmp_path / "v0.gz").read_bytes() == first  # the same bytes each time (no time stamp)


def test_fasttext_module_names(emb):
    """fastText's Python module names: get_word_vector, get_words, get_dimension,
    get_nearest_neighbors and get_analogies ((score, word) pairs; get_analogies(a, b, c) is a - b + c)."""
    assert emb.get_word_vector("Heart").tobytes() == emb["heart"].tobytes() and emb.get_dimension() == emb.dim
    assert emb.get_words() == emb.vocab.tokens[2:]
    assert emb.get_nearest_neighbors("heart", k=4) == [(s, w) for w, s in emb.most_similar("heart", topn=4)]
    # fastText's order: warsaw - poland + sweden = stockholm; embedcli's analogy(poland, warsaw, sweden)
    got = emb.get_analogies("warsaw", "poland", "sweden", k=3)
    assert got == [(s, w) for w, s in emb.analogy("poland", "warsaw", "sweden", topn=3)]
    kv = gensim_words(emb)
    assert [w for _, w in got] == [w for w, _ in kv.most_similar(positive=["warsaw", "sweden"], negative=["poland"],
                                                                  topn=3)]


def test_fasttext_get_sentence_vector(emb):
    """fastText's get_sentence_vector of a word-vector model: each word's vector over its norm,
    averaged (unknown words left out; zeros without a known word), as embed(normalize=True)."""
    words = ["Heart", "stockholm", "qqqzzz", "the"]
    rows = [emb.get_word_vector(w).astype(np.float64) for w in words if w in emb]
    expected = np.mean([r / np.linalg.norm(r) for r in rows], axis=0)
    got = emb.get_sentence_vector(" ".join(words))
    assert got.shape == (emb.dim,) and got.dtype == np.float32 and np.allclose(got, expected, rtol=0, atol=1e-7)
    assert got.tobytes() == emb.embed(" ".join(words), normalize=True).tobytes()
    assert emb.get_sentence_vector(words).tobytes() == got.tobytes()  # a token list
    assert not emb.get_sentence_vector("qqqzzz").any() and not emb.get_sentence_vector("").any()
    with pytest.raises(ParameterError, match=r"^text: expected a string or a list of tokens \(got NoneType\)$"):
        emb.get_sentence_vector(None)
