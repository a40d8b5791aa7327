#!/usr/bin/python3
"""Independent cross-check of the linear ceiling on fine-foods with scikit-learn (Debian's
python3-sklearn), not part of the example's method: 5-fold CV over the 3,622 train+dev reviews
(test never read) of TF-IDF word n-gram, word+char n-gram and NB-weighted (Wang & Manning 2012)
logistic regressions, their average, and a learning curve.

    node -e "import('./packages/seq/dist/index.js').then(async ({loadFineFoods}) => { const d = await loadFineFoods(); \
      const fs = await import('node:fs'); fs.writeFileSync('/tmp/ff-trainval.jsonl', [...d.train, ...d.dev].map((r) => JSON.stringify(r)).join('\\n')); })"
    /usr/bin/python3 examples/level-1/lstm-classifier/crosscheck_sklearn.py /tmp/ff-trainval.jsonl
"""
import json, re, sys
import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

rows = [json.loads(l) for l in open(sys.argv[1])]
X = np.array([r['text'] for r in rows], dtype=object)
y = np.array([r['label'] == 'great' for r in rows], dtype=int)
folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))

def words(n):  # the package's splitter: lower-cased words and punctuation runs, then n-grams
    def f(t):
        w = re.findall(r"\w+|[^\w\s]+", t.lower())
        return [' '.join(w[i:i + k]) for k in range(1, n + 1) for i in range(len(w) - k + 1)]
    return f

def tfidf(C, char=False):
    def fit(a, ya, b):
        vs = [TfidfVectorizer(analyzer=words(2), sublinear_tf=True)]
        if char: vs.append(TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 5), min_df=2, sublinear_tf=True))
        A = hstack([v.fit_transform(a) for v in vs]).tocsr(); B = hstack([v.transform(b) for v in vs]).tocsr()
        return LogisticRegression(C=C, max_iter=3000).fit(A, ya).predict_proba(B)[:, 1]
    return fit

def nblr(C):
    def fit(a, ya, b):
        v = CountVectorizer(analyzer=words(3), binary=True)
        A = v.fit_transform(a); B = v.transform(b)
        p = 1 + A[ya == 1].sum(0); q = 1 + A[ya == 0].sum(0)
        r = np.asarray(np.log((p / p.sum()) / (q / q.sum()))).ravel()
        return LogisticRegression(C=C, max_iter=3000).fit(A.multiply(r).tocsr(), ya).predict_proba(B.multiply(r).tocsr())[:, 1]
    return fit

def cv(fit, frac=1.0):
    P = np.zeros(len(y))
    for k, (tr, te) in enumerate(folds):
        tr = np.random.RandomState(k).permutation(tr)[:int(round(len(tr) * frac))]
        P[te] = fit(X[tr], y[tr], X[te])
    return P

acc = lambda P: ((P > 0.5) == y).mean() * 100
print(f'majority: {max(y.mean(), 1 - y.mean()) * 100:.1f}%')
res = {}
for name, fit in [*((f'TF-IDF word 1-2 LR C={C}', tfidf(C)) for C in (3, 10, 30)),
                  *((f'TF-IDF word 1-2 + char 2-5 LR C={C}', tfidf(C, True)) for C in (3, 10)),
                  *((f'NB-weighted LR word 1-3 C={C}', nblr(C)) for C in (0.1, 1))]:
    res[name] = cv(fit); print(f'{name}: {acc(res[name]):.1f}%', flush=True)
ens = (res['TF-IDF word 1-2 LR C=10'] + res['TF-IDF word 1-2 + char 2-5 LR C=3'] + res['NB-weighted LR word 1-3 C=0.1']) / 3
print(f'average of TF-IDF word, word+char and NB-LR: {acc(ens):.1f}%')
for frac in (0.125, 0.25, 0.5):
    print(f'learning curve, TF-IDF word 1-2 LR C=10, {int(len(y) * 0.8 * frac)} training reviews: {acc(cv(tfidf(10), frac)):.1f}%', flush=True)
