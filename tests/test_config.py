"""Config files for `embedcli train`: keys, types, paths, errors, precedence. The library; the
command-line tests are in test_cli_config.py."""

import os
import re

import pytest
import yaml

from embedcli import config as cfg
from embedcli.errors import EmbedcliError, ParameterError, UsageError

from support.config import write


def test_relative_paths_resolve_against_the_config_directory(tmp_path):
    sub = tmp_path / "conf"
    sub.mkdir()
    f = write(sub / "c.yaml", "corpus: [../data/a.txt, /abs/b.txt]\noutput: out/model\ndim: 7\nsample: 0\n")
    s = cfg.load_config_file(f)
    assert s["corpus"] == [str(tmp_path / "data" / "a.txt"), "/abs/b.txt"]
    assert s["output"] == str(sub / "out" / "model")
    assert s["dim"] == 7 and s["sample"] == 0.0 and isinstance(s["sample"], float)


def test_single_corpus_string_becomes_a_list(tmp_path):
    s = cfg.load_config_file(write(tmp_path / "c.yaml", "corpus: text.txt\n"))
    assert s["corpus"] == [str(tmp_path / "text.txt")]


def test_unknown_key_names_key_and_file(tmp_path):
    f = write(tmp_path / "c.yaml", "dim: 10\nlearning_rate: 0.1\n")
    with pytest.raises(UsageError) as exc:
        cfg.load_config_file(f)
    msg = str(exc.value)
    assert "learning_rate" in msg and str(f) in msg and "\n" not in msg
    assert msg.endswith("unknown key 'learning_rate'; embedcli calls it 'lr'")  # gensim's/fastText's names


@pytest.mark.parametrize("key, hint", [
    ("vector_size", "; embedcli calls it 'dim'"), ("alpha", "; embedcli calls it 'lr'"),
    ("minn", "; embedcli calls it 'subwords' (MIN-MAX, like 3-6)"),
    ("min_n", "; embedcli calls it 'subwords' (MIN-MAX, like 3-6)"), ("max_n", "; embedcli calls it 'subwords'"),
    ("pretrainedVectors", "; embedcli calls it 'init'"),
    ("sg", "; embedcli calls it 'objective' (skipgram, cbow or classify)"),
    ("label", "; embedcli calls it 'label_prefix'"), ("dimm", "; did you mean 'dim'?"), ("Min_Cont", "; did you mean 'min_count'?"),
    ("colour", " (known keys: batch_words, buckets, "),
])
def test_unknown_key_says_what_it_probably_meant(tmp_path, key, hint):
    f = write(tmp_path / "c.yaml", f"{key}: 5\n")
    with pytest.raises(UsageError, match=f"c.yaml: unknown key '{key}'" + re.escape(hint)):
        cfg.load_config_file(f)


@pytest.mark.parametrize("text,key", [("dim: ten\n", "dim"), ("lr: [1]\n", "lr"), ("epochs: 2.5\n", "epochs"),
                                      ("lower: 'yes'\n", "lower"), ("objective: glove\n", "objective"),
                                      ("dim: true\n", "dim"), ("corpus: 3\n", "corpus")])
def test_wrong_type_names_key_and_file(tmp_path, text, key):
    f = write(tmp_path / "c.yaml", text)
    with pytest.raises(UsageError) as exc:
        cfg.load_config_file(f)
    assert repr(key) in str(exc.value) and str(f) in str(exc.value)


def test_not_yaml(tmp_path):
    f = write(tmp_path / "c.yaml", "dim: [1, 2\nlr: : :\n")
    with pytest.raises(EmbedcliError) as exc:
        cfg.load_config_file(f)
    assert "not valid YAML" in str(exc.value) and "line" in str(exc.value)
    with pytest.raises(EmbedcliError, match="mapping"):
        cfg.load_config_file(write(tmp_path / "d.yaml", "- a\n- b\n"))


def test_metadata_keys_of_model_config_are_ignored(tmp_path):
    f = write(tmp_path / "config.yaml", yaml.safe_dump({
        "format": "embedcli-model", "version": 1, "embedcli_version": "0.1.0", "numpy_version": "2.0",
        "vocab_size": 10, "dim": 8, "arrays": ["output"], "objects": ["train_state"], "epochs": 3}))
    s = cfg.load_config_file(f)
    assert s == {"dim": 8, "epochs": 3, "ns_exponent": cfg.LEGACY_NS_EXPONENT}  # a model from before the key


def test_flags_override_file_and_defaults_fill_the_rest(tmp_path):
    s = cfg.merge({"dim": 8, "epochs": 3}, {"epochs": 9, "lr": None})
    assert s.dim == 8 and s.epochs == 9 and s.lr == cfg.DEFAULTS["lr"]
    assert s.explicit == {"dim", "epochs"}
    cfg.validate(s)


@pytest.mark.parametrize("key,value,fragment", [
    ("dim", 0, "--dim"), ("epochs", -1, "--epochs"), ("lr", float("nan"), "--lr"), ("lr", 0.0, "--lr"),
    ("lr", -0.1, "--lr"), ("window", 0, "--window"), ("negative", 0, "--negative"), ("sample", -1.0, "--sample"),
    ("min_lr", 1.0, "--min-lr"), ("min_count", 0, "--min-count"), ("workers", 0, "--workers"),
    ("ns_exponent", float("inf"), "--ns-exponent"),
])
def test_validate_names_the_parameter_and_the_cli_the_flag(key, value, fragment):
    s = cfg.merge({}, {}).replace(**{key: value})
    with pytest.raises(ParameterError) as exc:
        cfg.validate(s)
    assert str(exc.value).startswith(key + " ") and "--" not in str(exc.value)
    assert exc.value.cli_message().startswith(fragment + " ")


def test_default_config_lookup(tmp_path, monkeypatch):
    (tmp_path / "configs").mkdir()
    write(tmp_path / "configs" / "default.yaml", "dim: 3\n")
    assert cfg.default_config_path(tmp_path) == tmp_path / "configs" / "default.yaml"
    empty = tmp_path / "empty"
    empty.mkdir()
    packaged = cfg.default_config_path(empty)
    assert packaged is not None and packaged.name == "default.yaml" and os.path.isfile(packaged)


def test_repo_default_config_is_valid():
    path = cfg.default_config_path()
    s = cfg.merge(cfg.load_config_file(path), {})
    cfg.validate(s)
    assert s.corpus and s.output.endswith(os.path.join("models", "default"))


def test_objective_defaults_unless_set():
    s = cfg.merge({}, {"objective": "cbow"})
    assert s.lr == 0.05 and s.batch_words == 1024
    s = cfg.merge({"lr": 0.01}, {"objective": "cbow"})
    assert s.lr == 0.01 and s.batch_words == 1024
    s = cfg.merge({}, {"objective": "cbow", "batch_words": 64})
    assert s.batch_words == 64
    s = cfg.merge({}, {"objective": "classify"})
    assert s.lr == 0.1 and s.min_count == 1 and s.min_lr == 0.0
    s = cfg.merge({}, {})
    assert s.lr == 0.05 and s.batch_words == 256 and s.min_count == 5


def test_sample_default_follows_subwords_unless_set(tmp_path):
    """Not set, ``sample`` is 1e-3 (word2vec's), for skip-gram with subwords SUBWORD_SAMPLE; a value from a
    file or a parameter is kept; the resolved value is what config.yaml saves and a resume reads."""
    sub = cfg.SUBWORD_SAMPLE
    assert cfg.DEFAULTS["sample"] is None  # "not set"
    assert cfg.SAMPLE == 1e-3 and 0 < sub < 1e-3
    assert cfg.merge({}, {}).sample == 1e-3
    assert cfg.merge({}, {"subwords": "3-6"}).sample == sub
    assert cfg.merge({"subwords": "2-4"}, {"objective": "skipgram"}).sample == sub
    assert cfg.merge({}, {"subwords": 0}).sample == 1e-3
    for objective in ("cbow", "classify"):  # CBOW keeps 1e-3 with subwords; classify does not subsample
        assert cfg.merge({}, {"subwords": "3-6", "objective": objective}).sample == 1e-3
    for file, flags in (({}, {"subwords": "3-6", "sample": 1e-3}), ({"sample": 0.001}, {"subwords": "3-6"}),
                        ({"sample": 1e-3, "subwords": "3-6"}, {})):
        s = cfg.merge(file, flags)
        assert s.sample == 1e-3 and "sample" in s.explicit
    assert cfg.merge({}, {"subwords": "3-6", "sample": 0}).sample == 0.0
    # a config file may leave it unset with null (as the default config does by leaving it out)
    f = write(tmp_path / "c.yaml", "subwords: 3-6\nsample: null\n")
    s = cfg.merge(cfg.load_config_file(f), {})
    assert s.sample == sub and "sample" not in s.explicit
    # the settings object resolves it too, once: a saved config.yaml holds the value and keeps it
    assert cfg.TrainSettings(subwords="3-6").sample == sub and cfg.TrainSettings().sample == 1e-3
    s = cfg.merge({}, {"subwords": "3-6"})
    saved = write(tmp_path / "config.yaml", yaml.safe_dump(cfg.saved_settings(s)))
    assert yaml.safe_load(open(saved))["sample"] == sub
    again = cfg.merge(cfg.load_config_file(saved), {})
    assert again.sample == sub and "sample" in again.explicit and again.subwords == "3-6"
    # an older model saved 1e-3 with subwords: its resume keeps 1e-3
    old = write(tmp_path / "old.yaml", yaml.safe_dump({**cfg.saved_settings(s), "sample": 0.001}))
    assert cfg.merge(cfg.load_config_file(old), {}).sample == 1e-3


def test_ns_exponent_default_follows_subwords_unless_set(tmp_path):
    """Not set, ``ns_exponent`` is word2vec's 0.75, for skip-gram with subwords fastText's 0.5; a
    value from a file or a parameter is kept; config.yaml saves the value used; a model's config.yaml
    from before the setting existed gives 0.75, what that run used."""
    assert cfg.DEFAULTS["ns_exponent"] is None  # "not set"
    assert (cfg.NS_EXPONENT, cfg.SUBWORD_NS_EXPONENT, cfg.LEGACY_NS_EXPONENT) == (0.75, 0.5, 0.75)
    assert cfg.merge({}, {}).ns_exponent == 0.75 and cfg.TrainSettings().ns_exponent == 0.75
    assert cfg.merge({}, {"subwords": "3-6", "objective": "skipgram"}).ns_exponent == 0.5
    for objective in ("cbow", "classify"):  # CBOW keeps 0.75 with subwords; classify has no negatives
        assert cfg.merge({}, {"subwords": "3-6", "objective": objective}).ns_exponent == 0.75
    assert cfg.merge({"subwords": "2-4"}, {}).ns_exponent == 0.5 and cfg.TrainSettings(subwords="3-6").ns_exponent == 0.5
    assert cfg.merge({}, {"subwords": 0}).ns_exponent == 0.75
    for file, flags, want in (("", {"subwords": "3-6", "ns_exponent": 0.75}, 0.75), ("ns_exponent: 1\n", {}, 1.0),
                              ("ns_exponent: 0\n", {"subwords": "3-6"}, 0.0), ("", {"ns_exponent": -0.5}, -0.5)):
        s = cfg.merge(cfg.load_config_file(write(tmp_path / "f.yaml", file)), flags)
        assert s.ns_exponent == want and isinstance(s.ns_exponent, float) and "ns_exponent" in s.explicit
    f = write(tmp_path / "c.yaml", "subwords: 3-6\nns_exponent: null\n")
    s = cfg.merge(cfg.load_config_file(f), {})
    assert s.ns_exponent == 0.5 and "ns_exponent" not in s.explicit
    saved = write(tmp_path / "config.yaml", yaml.safe_dump({"format": "embedcli-model", "version": 3,
                                                            **cfg.saved_settings(s)}))
    assert yaml.safe_load(open(saved))["ns_exponent"] == 0.5
    assert cfg.merge(cfg.load_config_file(saved), {}).ns_exponent == 0.5
    old = {k: v for k, v in yaml.safe_load(open(saved)).items() if k != "ns_exponent"}
    old_file = write(tmp_path / "old.yaml", yaml.safe_dump(old))
    assert cfg.merge(cfg.load_config_file(old_file), {}).ns_exponent == cfg.LEGACY_NS_EXPONENT
    # a user's config file (no "format" key) without the key: the default for the run
    assert cfg.merge(cfg.load_config_file(write(tmp_path / "u.yaml", "subwords: 3-6\n")), {}).ns_exponent == 0.5
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ParameterError, match="ns_exponent"):
            cfg.validate(cfg.merge({}, {"ns_exponent": bad}))
    with pytest.raises(ParameterError, match="ns_exponent"):
        cfg.merge({}, {"ns_exponent": "x"})
    # replace() resolves a default exponent again, keeps a set one
    plain = cfg.merge({}, {})
    assert plain.replace(subwords="3-6").ns_exponent == 0.5
    assert plain.replace(subwords="3-6").replace(subwords=0).ns_exponent == 0.75
    assert plain.replace(subwords="3-6").replace(objective="cbow").ns_exponent == 0.75
    assert cfg.merge({}, {"ns_exponent": 0.75}).replace(subwords="3-6").ns_exponent == 0.75


def test_replace_resolves_a_default_sample_again():
    """settings.replace(subwords=...) or (objective=...) gives the sample the new run would have had,
    unless the sample was set."""
    sub = cfg.SUBWORD_SAMPLE
    plain = cfg.merge({}, {})
    assert plain.replace(subwords="3-6").sample == sub
    assert plain.replace(subwords="3-6").replace(objective="cbow").sample == 1e-3
    assert cfg.merge({}, {"subwords": "3-6"}).replace(subwords=0).sample == 1e-3
    assert cfg.merge({}, {"sample": 1e-3}).replace(subwords="3-6").sample == 1e-3  # set: kept
    assert cfg.merge({}, {"sample": 2e-4}).replace(subwords="3-6").sample == 2e-4
    assert plain.replace(subwords="3-6", sample=1e-3).sample == 1e-3
    assert plain.replace(dim=8).sample == 1e-3


def test_a_saved_in_memory_models_config_repeats(tmp_path):
    """A model trained in memory (embedcli.train without output) and saved later has 'output: null'
    in its config.yaml: as a --config file that is "not set", not a bad path."""
    path = tmp_path / "config.yaml"
    path.write_text("output: null\ndim: 8\n")
    settings = cfg.merge(cfg.load_config_file(path), {})
    assert settings.output == "models/default" and settings.dim == 8
