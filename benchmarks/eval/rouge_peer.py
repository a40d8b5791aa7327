#!/usr/bin/python3
"""ROUGE peer for benchmarks/eval/bleu-rouge.mjs: rouge1/2/L/Lsum of the same KJV/WEB verse pairs,
with and without stemming, timed per run. Uses Google's rouge-score when --rouge-score DIR names a
directory holding it (a `rouge_score/` package as installed from PyPI, or the `rouge/` folder of
the google-research repository), else the committed reference implementation rouge_reference.py.
Prints one JSON line: the peer, per-run CPU/wall seconds per configuration, and mean rougeL F1."""
import argparse, gzip, json, os, sys, time

ap = argparse.ArgumentParser()
ap.add_argument('tsv')
ap.add_argument('n', type=int)
ap.add_argument('runs', type=int)
ap.add_argument('--rouge-score', default=None)
a = ap.parse_args()

peer = 'reference (benchmarks/eval/rouge_reference.py, NLTK PorterStemmer)'
if a.rouge_score:
    sys.path.insert(0, a.rouge_score)
    try:
        from rouge_score import rouge_scorer as rs
        make = rs.RougeScorer
    except ImportError:
        from rouge import rouge_scorer as rs
        make = rs.RougeScorer
    peer = 'rouge-score (%s)' % os.path.abspath(a.rouge_score)
else:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from rouge_reference import ReferenceRougeScorer as make

with gzip.open(a.tsv, 'rt', encoding='utf-8') as f:
    header = f.readline().rstrip('\n').split('\t')
    kjv, web = header.index('en_kjv'), header.index('en_web')
    rows = [line.rstrip('\n').split('\t') for _, line in zip(range(a.n), f)]
hyps = [r[kjv] for r in rows]
refs = [r[web] for r in rows]
types = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum']
out = {'peer': peer, 'segments': len(hyps)}
for stem in (False, True):
    wall, cpu = [], []
    score = None
    for _ in range(a.runs):
        t, c = time.perf_counter(), time.process_time()
        scorer = make(types, use_stemmer=stem)
        f = 0.0
        for h, r in zip(hyps, refs):
            f += scorer.score(r, h)['rougeL'].fmeasure
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - t)
        score = 100 * f / len(hyps)
    out['stem' if stem else 'plain'] = {'seconds': wall, 'cpu': cpu, 'score': score}
print(json.dumps(out))
