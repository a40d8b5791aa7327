#!/usr/bin/python3
"""BLEU peer for benchmarks/eval/bleu-rouge.mjs: NLTK's corpus_bleu (Debian python3-nltk) on the same
KJV/WEB verse pairs, timed per run in two ways:
  whitespace: str.split() tokens (the same tokens as @llm/eval's tokenize='none'), split inside the timing;
  treebank:   NLTK's own word tokenizer (TreebankWordTokenizer, what word_tokenize applies per
              sentence; punkt/perluniprops data are not in Debian) applied inside the timing, i.e. the
              full pipeline from strings, to set against @llm/eval's sacreBLEU default (13a).
Prints one JSON line: per-run wall and CPU seconds and the score of each."""
import gzip, json, sys, time
from nltk.tokenize import TreebankWordTokenizer
from nltk.translate.bleu_score import corpus_bleu

path, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with gzip.open(path, 'rt', encoding='utf-8') as f:
    header = f.readline().rstrip('\n').split('\t')
    kjv, web = header.index('en_kjv'), header.index('en_web')
    rows = [line.rstrip('\n').split('\t') for _, line in zip(range(n), f)]
hyps = [r[kjv] for r in rows]
refs = [r[web] for r in rows]
tb = TreebankWordTokenizer().tokenize
out = {'segments': len(hyps)}
for name, tok in (('whitespace', str.split), ('treebank', tb)):
    times, cpu = [], []
    score = None
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        score = corpus_bleu([[tok(r)] for r in refs], [tok(h) for h in hyps])
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    out[name] = {'seconds': times, 'cpu': cpu, 'score': score * 100}
print(json.dumps(out))
