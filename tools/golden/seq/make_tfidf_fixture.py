#!/usr/bin/python3
"""Golden fixture for @llm/seq's trainTfidfLogistic: scikit-learn's TfidfVectorizer(sublinear_tf=True)
+ LogisticRegression (newton-cg, converged tightly) on bundled fine-foods reviews.

Run from the repository root:  /usr/bin/python3 tools/golden/seq/make_tfidf_fixture.py
Writes packages/seq/fixtures/tfidf_logistic.json. The texts are not copied: the fixture names rows
of data/classification/fine-foods-train.tsv.gz (0-based, header excluded) and the test reads them.
Uses the ASCII-only reviews so that Python's \\w and the package's Unicode word class agree.
"""
import csv, gzip, io, json, re, sys
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

rows = []
with gzip.open('data/classification/fine-foods-train.tsv.gz', 'rt', encoding='utf-8') as f:
    r = csv.reader(f, delimiter='\t', quoting=csv.QUOTE_NONE)
    next(r)
    for i, (product, review, score) in enumerate(r):
        rows.append((i, re.sub(r'<br\s*/?>', ' ', review, flags=re.I), score))
ascii_rows = [x for x in rows if x[1].isascii()]
train, held = ascii_rows[:240], ascii_rows[240:300]

def analyzer(n):
    def f(text):
        w = re.findall(r"\w+|[^\w\s]+", text.lower())
        return [' '.join(w[i:i + k]) for k in range(1, n + 1) for i in range(len(w) - k + 1)]
    return f

def third_label(text, score):
    # A three-label variant to exercise the multinomial path: short reviews form their own class.
    return 'short' if len(text) < 200 else score

cases = []
for name, n, c, min_df, labelf in [
    ('binary', 2, 10.0, 1, lambda t, s: s),
    ('binary-trigrams-mindf2', 3, 1.0, 2, lambda t, s: s),
    ('multinomial', 2, 5.0, 1, third_label),
]:
    v = TfidfVectorizer(analyzer=analyzer(n), sublinear_tf=True, min_df=min_df)
    X = v.fit_transform([t for _, t, _ in train])
    y = [labelf(t, s) for _, t, s in train]
    # newton-cg, not the default lbfgs: its default stopping rule leaves a gradient of ~1e-3 here,
    # while Newton-CG converges to the optimum to many digits (the same objective and optimum).
    m = LogisticRegression(C=c, solver='newton-cg', tol=1e-7, max_iter=10000).fit(X, y)
    feats = v.get_feature_names_out()
    P = m.predict_proba(v.transform([t for _, t, _ in held]))
    pick = list(range(0, len(feats), max(1, len(feats) // 40)))
    cases.append({
        'name': name, 'ngrams': n, 'c': c, 'minCount': min_df,
        'labels': [str(l) for l in m.classes_],
        'trainLabels': y, 'heldLabels': [labelf(t, s) for _, t, s in held],
        'numFeatures': len(feats),
        'featureSample': [[str(feats[j]), float(v.idf_[j])] for j in pick],
        'coefSample': [[str(feats[j])] + [float(x) for x in m.coef_[:, j]] for j in pick],
        'intercepts': [float(x) for x in m.intercept_],
        'heldProba': [[round(float(x), 10) for x in p] for p in P],
    })

out = {
    'generator': f'tools/golden/seq/make_tfidf_fixture.py, scikit-learn {sklearn.__version__}',
    'data': 'data/classification/fine-foods-train.tsv.gz (0-based row numbers, header excluded)',
    'trainRows': [i for i, _, _ in train], 'heldRows': [i for i, _, _ in held],
    'cases': cases,
}
with open('packages/seq/fixtures/tfidf_logistic.json', 'w') as f:
    json.dump(out, f, separators=(',', ':'))
    f.write('\n')
print('wrote packages/seq/fixtures/tfidf_logistic.json', [c['numFeatures'] for c in cases])
