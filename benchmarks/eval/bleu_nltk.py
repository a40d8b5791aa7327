#!/usr/bin/python3
"""Peer for benchmarks/eval/bleu-rouge.mjs: NLTK's corpus_bleu (Debian python3-nltk) on the same
10k KJV/WEB verse pairs, whitespace tokens. Prints one JSON line: per-run wall and CPU seconds and the score."""
import gzip, json, sys, time
from nltk.translate.bleu_score import corpus_bleu

path, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with gzip.open(path, 'rt', encoding='utf-8') as f:
    header = f.readline().rstrip('\n').split('\t')
    kjv, web = header.index('en_kjv'), header.index('en_web')
    rows = [line.rstrip('\n').split('\t') for _, line in zip(range(n), f)]
hyps = [r[kjv] for r in rows]
refs = [r[web] for r in rows]
times, cpu = [], []
score = None
for _ in range(runs):
    t, c = time.perf_counter(), time.process_time()
    score = corpus_bleu([[r.split()] for r in refs], [h.split() for h in hyps])
    times.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
print(json.dumps({'seconds': times, 'cpu': cpu, 'score': score * 100, 'segments': len(hyps)}))
