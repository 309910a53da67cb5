"""Make held-out corpora for checking the training defaults on text they were not chosen on.

    apt-get install dict-gcide wordnet-base
    python benchmarks/heldout_corpora.py /tmp/heldout
    python benchmarks/train_quality.py --corpus-dir ../shared/corpora --corpora \\
        --text gcide=/tmp/heldout/gcide.txt wordnet=/tmp/heldout/wordnet.txt

The defaults of ``embedcli train`` were measured on kjv and enwiki (``../shared/corpora``); these
two corpora are of other kinds, from Debian packages, and are never copied into the project:

* ``gcide.txt``: the GNU Collaborative International Dictionary of English (Webster's 1913 and
  additions; package ``dict-gcide``), entries and quotations, a random sample of its paragraphs
  (seed 0) up to ``--tokens`` tokens;
* ``wordnet.txt``: the glosses and examples of every WordNet 3.0 synset (package ``wordnet-base``),
  one per line, shuffled (seed 0).

Each line is tokenised with gensim's ``simple_preprocess`` (as ``train_vs_gensim.prepare`` does
with the shared corpora) and cut to 1,000 tokens.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import re

GCIDE = "/usr/share/dictd/gcide.dict.dz"
WORDNET = "/usr/share/wordnet"
SOURCE_MARKS = re.compile(r"\[(1913 Webster|PJC|WordNet 1\.5|Obs\.)\]")


def gcide(out_path: str, tokens: int) -> int:
    from gensim.utils import simple_preprocess

    with gzip.open(GCIDE, "rt", encoding="utf-8", errors="replace") as f:
        text = SOURCE_MARKS.sub(" ", f.read())
    paragraphs = re.split(r"\n\s*\n", text)
    random.Random(0).shuffle(paragraphs)
    n = 0
    with open(out_path, "w", encoding="utf-8") as out:
        for p in paragraphs:
            toks = simple_preprocess(p)[:1000]
            if len(toks) < 3:
                continue
            out.write(" ".join(toks) + "\n")
            n += len(toks)
            if n >= tokens:
                break
    return n


def wordnet(out_path: str) -> int:
    from gensim.utils import simple_preprocess

    lines = []
    for part in ("noun", "verb", "adj", "adv"):
        with open(os.path.join(WORDNET, f"data.{part}"), encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:  # the licence header; lines without a gloss
                    continue
                toks = simple_preprocess(line.split("|", 1)[1])[:1000]
                if len(toks) >= 2:
                    lines.append(" ".join(toks))
    random.Random(0).shuffle(lines)
    with open(out_path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return sum(len(line.split()) for line in lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--tokens", type=int, default=1_500_000, help="gcide's size in tokens")
    args = ap.parse_args()
    for path in (GCIDE, WORDNET):
        if not os.path.exists(path):
            raise SystemExit(f"{path} not found: apt-get install dict-gcide wordnet-base")
    os.makedirs(args.out_dir, exist_ok=True)
    n = gcide(os.path.join(args.out_dir, "gcide.txt"), args.tokens)
    print(f"gcide.txt: {n:,} tokens")
    n = wordnet(os.path.join(args.out_dir, "wordnet.txt"))
    print(f"wordnet.txt: {n:,} tokens")


if __name__ == "__main__":
    main()
