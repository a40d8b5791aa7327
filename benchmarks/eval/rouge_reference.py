#!/usr/bin/python3
"""A reference implementation of Google's rouge-score (rouge_scorer.RougeScorer with its default
tokenizer) for machines where the rouge-score package cannot be installed (it is on PyPI only and
not packaged in Debian). Written from rouge-score's documented algorithm, for Debian's python3 +
python3-nltk; it uses the same pieces rouge-score uses: NLTK's PorterStemmer, collections.Counter
n-gram counts over token tuples, a full LCS table of Python lists with rouge-score's backtracking
for rougeLsum, and ROUGE-1.5.5's no-double-counting union LCS.

  tokenize: lowercase; every run of characters outside [a-z0-9] becomes one space; split on
            whitespace; Porter-stem tokens longer than 3 characters (use_stemmer); keep tokens
            matching ^[a-z0-9]+$.
  rougeN:   clipped n-gram overlap; precision = overlap / max(#prediction n-grams, 1),
            recall = overlap / max(#target n-grams, 1).
  rougeL:   LCS length / len(prediction), / len(target).
  rougeLsum: newline-separated sentences; for each target sentence, the union of the target
            indices on one backtracked LCS with each prediction sentence; union tokens count as hits
            while both texts still have unmatched occurrences of that token.
  F-measure: 2PR / (P + R), 0 when P + R = 0.

benchmarks/eval/bleu-rouge.mjs times it (or the real package, with --rouge-score DIR) against
@llm/eval, and tools/golden/eval/make_rouge_large.py writes its numbers for the equality test.
"""
import collections
import re

from nltk.stem.porter import PorterStemmer

_SEPARATORS = re.compile(r"[^a-z0-9]+")
_WHITESPACE = re.compile(r"\s+")
_VALID = re.compile(r"^[a-z0-9]+$")


class Score(collections.namedtuple("Score", ["precision", "recall", "fmeasure"])):
    pass


def f_measure(p, r):
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _ratios(hits, n_pred, n_target):
    p = hits / n_pred
    r = hits / n_target
    return Score(p, r, f_measure(p, r))


class ReferenceRougeScorer:
    """score(target, prediction) -> {rouge_type: Score}, like rouge_scorer.RougeScorer."""

    def __init__(self, rouge_types, use_stemmer=False):
        for t in rouge_types:
            if t not in ("rougeL", "rougeLsum") and not re.match(r"rouge[1-9]$", t):
                raise ValueError("Invalid rouge type: %s" % t)
        self.rouge_types = list(rouge_types)
        self.stemmer = PorterStemmer() if use_stemmer else None

    def tokens(self, text):
        pieces = _WHITESPACE.split(_SEPARATORS.sub(" ", text.lower()))
        if self.stemmer is not None:
            pieces = [self.stemmer.stem(w) if len(w) > 3 else w for w in pieces]
        return [w for w in pieces if _VALID.match(w)]

    def score(self, target, prediction):
        lsum_only = self.rouge_types == ["rougeLsum"]
        tt = None if lsum_only else self.tokens(target)
        pt = None if lsum_only else self.tokens(prediction)
        out = {}
        for t in self.rouge_types:
            if t == "rougeL":
                out[t] = lcs_score(tt, pt)
            elif t == "rougeLsum":
                out[t] = summary_lcs_score([self.tokens(s) for s in target.split("\n") if s],
                                           [self.tokens(s) for s in prediction.split("\n") if s])
            else:
                out[t] = ngram_score(tt, pt, int(t[5:]))
        return out


def count_ngrams(tokens, n):
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def ngram_score(target, prediction, n):
    tc = count_ngrams(target, n)
    pc = count_ngrams(prediction, n)
    overlap = sum(min(c, pc[g]) for g, c in tc.items())
    p = overlap / max(sum(pc.values()), 1)
    r = overlap / max(sum(tc.values()), 1)
    return Score(p, r, f_measure(p, r))


def lcs_table(a, b):
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        row, above, x = table[i], table[i - 1], a[i - 1]
        for j in range(1, len(b) + 1):
            row[j] = above[j - 1] + 1 if x == b[j - 1] else max(above[j], row[j - 1])
    return table


def lcs_score(target, prediction):
    if not target or not prediction:
        return Score(0, 0, 0)
    return _ratios(lcs_table(target, prediction)[-1][-1], len(prediction), len(target))


def lcs_indices(ref, can):
    """Indices into ref of one LCS, read back from the table (rouge-score's backtracking order)."""
    table = lcs_table(ref, can)
    i, j, picked = len(ref), len(can), []
    while i > 0 and j > 0:
        if ref[i - 1] == can[j - 1]:
            picked.append(i - 1)
            i, j = i - 1, j - 1
        elif table[i][j - 1] > table[i - 1][j]:
            j -= 1
        else:
            i -= 1
    return picked


def summary_lcs_score(ref_sents, can_sents):
    if not ref_sents or not can_sents:
        return Score(0, 0, 0)
    m = sum(len(s) for s in ref_sents)
    n = sum(len(s) for s in can_sents)
    if not m or not n:
        return Score(0, 0, 0)
    left_ref = collections.Counter(t for s in ref_sents for t in s)
    left_can = collections.Counter(t for s in can_sents for t in s)
    hits = 0
    for ref in ref_sents:
        union = set()
        for can in can_sents:
            union.update(lcs_indices(ref, can))
        for i in sorted(union):
            tok = ref[i]
            if left_can[tok] > 0 and left_ref[tok] > 0:
                hits += 1
                left_can[tok] -= 1
                left_ref[tok] -= 1
    return _ratios(hits, n, m)
