#!/usr/bin/python3
"""Larger-data ROUGE fixture for @llm/eval: rouge1/2/L/Lsum over 10,000 verse pairs of the bundled
bible-es-en data (KJV as prediction, WEB as target) and over 2,500 four-verse, four-line summaries
(rougeLsum's multi-sentence path), with and without stemming.

Run from the repository root:
  /usr/bin/python3 tools/golden/eval/make_rouge_large.py [--rouge-score DIR]

With --rouge-score DIR the numbers come from Google's rouge-score found in DIR (PyPI's
`rouge_score/` package or the google-research `rouge/` folder); without it, from
benchmarks/eval/rouge_reference.py (rouge-score's algorithm on Debian's NLTK). The fixture records
which. Writes packages/eval/fixtures/golden/rouge-large.json.gz: per configuration, the sums over all
items of precision/recall/F1 per type (Python's left-to-right float sum), and every 50th item's scores.
"""
import argparse, gzip, json, os, sys

ap = argparse.ArgumentParser()
ap.add_argument('--rouge-score', default=None)
a = ap.parse_args()
ROOT = os.getcwd()
if a.rouge_score:
    sys.path.insert(0, a.rouge_score)
    try:
        from rouge_score.rouge_scorer import RougeScorer as make
    except ImportError:
        from rouge.rouge_scorer import RougeScorer as make
    peer = 'rouge-score (google-research rouge/, run from a local copy)'
else:
    sys.path.insert(0, os.path.join(ROOT, 'benchmarks/eval'))
    from rouge_reference import ReferenceRougeScorer as make
    peer = 'benchmarks/eval/rouge_reference.py'

with gzip.open(os.path.join(ROOT, 'data/parallel/bible-es-en.tsv.gz'), 'rt', encoding='utf-8') as f:
    header = f.readline().rstrip('\n').split('\t')
    kjv, web = header.index('en_kjv'), header.index('en_web')
    rows = [line.rstrip('\n').split('\t') for _, line in zip(range(10000), f)]
pairs = [(r[web], r[kjv]) for r in rows]
docs = [('\n'.join(r[web] for r in rows[i:i + 4]), '\n'.join(r[kjv] for r in rows[i:i + 4])) for i in range(0, 10000, 4)]
TYPES = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum']
out = {'peer': peer, 'pairs': len(pairs), 'docs': len(docs), 'types': TYPES, 'every': 50, 'configs': {}}
for data_name, data in (('pairs', pairs), ('docs', docs)):
    for stem in (False, True):
        scorer = make(TYPES, use_stemmer=stem)
        sums = {t: [0.0, 0.0, 0.0] for t in TYPES}
        sample = []
        for i, (target, prediction) in enumerate(data):
            s = scorer.score(target, prediction)
            for t in TYPES:
                for k in range(3):
                    sums[t][k] += s[t][k]
            if i % 50 == 0:
                sample.append({t: list(s[t]) for t in TYPES})
        out['configs']['%s-%s' % (data_name, 'stem' if stem else 'plain')] = {'sums': sums, 'sample': sample}
path = os.path.join(ROOT, 'packages/eval/fixtures/golden/rouge-large.json.gz')
with gzip.open(path, 'wt', encoding='utf-8') as f:
    json.dump(out, f)
print('wrote', path, os.path.getsize(path), 'bytes; peer:', peer)
