#!/usr/bin/python3
"""Golden fixtures for @llm/eval from Debian's python3-nltk (NLTK 3.8).

Run from the repository root:  /usr/bin/python3 tools/golden/eval/make_golden.py

Writes packages/eval/fixtures/golden/:
  porter.tsv.gz  word, NLTK_EXTENSIONS, MARTIN_EXTENSIONS, ORIGINAL_ALGORITHM stems of every distinct
                 lowercase alphanumeric token of the bundled Austen novels and the KJV/WEB Bible
                 (tokenized the way rouge-score tokenizes: lowercase, [^a-z0-9]+ -> space).
  nltk-bleu.json.gz nltk.translate.bleu_score.corpus_bleu / sentence_bleu (no smoothing) on whitespace-
                 tokenized verse pairs from the bundled bible-es-en data (KJV vs WEB, and a two-reference
                 case), which must equal sacreBLEU-style BLEU with tokenize=none, smooth=none.
"""
import gzip, io, json, re, sys, os
import nltk
from nltk.stem.porter import PorterStemmer
from nltk.translate.bleu_score import corpus_bleu, sentence_bleu, SmoothingFunction

ROOT = os.getcwd()
OUT = os.path.join(ROOT, 'packages/eval/fixtures/golden')
os.makedirs(OUT, exist_ok=True)

def rows():
    with gzip.open(os.path.join(ROOT, 'data/parallel/bible-es-en.tsv.gz'), 'rt', encoding='utf-8') as f:
        header = f.readline().rstrip('\n').split('\t')
        for line in f:
            parts = line.rstrip('\n').split('\t')
            yield dict(zip(header, parts))

bible = list(rows())

# --- Porter stemmer, three modes -------------------------------------------------------------
words = set()
austen_dir = os.path.join(ROOT, 'data/corpora/janeausten')
texts = []
for name in sorted(os.listdir(austen_dir)):
    with gzip.open(os.path.join(austen_dir, name), 'rt', encoding='utf-8') as f:
        texts.append(f.read())
for r in bible:
    texts.append(r.get('en_kjv', '') + ' ' + r.get('en_web', ''))
for t in texts:
    for w in re.sub(r'[^a-z0-9]+', ' ', t.lower()).split():
        words.add(w)
modes = [PorterStemmer(PorterStemmer.NLTK_EXTENSIONS), PorterStemmer(PorterStemmer.MARTIN_EXTENSIONS), PorterStemmer(PorterStemmer.ORIGINAL_ALGORITHM)]
# a few words that exercise the special cases of each mode
words.update(['skies', 'dying', 'lying', 'tying', 'news', 'innings', 'outings', 'cannings', 'howe', 'proceed', 'exceed', 'succeed',
              'ties', 'pies', 'died', 'spied', 'generalli', 'hopefulli', 'analogi', 'conformabli', 'sky', 'enjoy', 'spy', 'at', 'is', 'ab'])
def gz_text(path):
    # mtime=0: the same input gives byte-identical fixtures
    return io.TextIOWrapper(gzip.GzipFile(path, 'wb', mtime=0), encoding='utf-8')

with gz_text(os.path.join(OUT, 'porter.tsv.gz')) as f:
    f.write('word\tNLTK_EXTENSIONS\tMARTIN_EXTENSIONS\tORIGINAL_ALGORITHM\n')
    for w in sorted(words):
        f.write('\t'.join([w] + [m.stem(w) for m in modes]) + '\n')
print('porter words', len(words), file=sys.stderr)

# --- nltk corpus_bleu -------------------------------------------------------------------------
cases = []
def add_case(name, hyps, refsets, **kw):
    hyp_toks = [h.split() for h in hyps]
    ref_toks = [[r.split() for r in rs] for rs in refsets]
    score = corpus_bleu(ref_toks, hyp_toks)
    cases.append({'name': name, 'hyps': hyps, 'refs': refsets, 'nltk_corpus_bleu': score})

sample = bible[:300]
add_case('kjv-vs-web-300', [r['en_kjv'] for r in sample], [[r['en_web']] for r in sample])
add_case('web-vs-kjv-300', [r['en_web'] for r in sample], [[r['en_kjv']] for r in sample])
# two references per segment: hypothesis WEB verse i, references KJV verse i and WEB verse i+1
sample2 = bible[1000:1200]
add_case('web-vs-kjv+nextweb-200', [r['en_web'] for r in sample2[:-1]], [[r['en_kjv'], sample2[i + 1]['en_web']] for i, r in enumerate(sample2[:-1])])
# sentence-level, smoothing method 1 (epsilon 0.1 added to zero counts) vs no smoothing
sents = []
for r in bible[2000:2040]:
    h, ref = r['en_kjv'].split(), r['en_web'].split()
    sents.append({'hyp': r['en_kjv'], 'ref': r['en_web'], 'nltk_sentence_bleu': sentence_bleu([ref], h)})
with gz_text(os.path.join(OUT, 'nltk-bleu.json.gz')) as f:
    json.dump({'nltk_version': nltk.__version__, 'corpus': cases, 'sentence': sents}, f, ensure_ascii=False)
print('bleu cases', len(cases), file=sys.stderr)

# --- inter-rater agreement (nltk.metrics.agreement) -------------------------------------------
import random
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import interval_distance, binary_distance
rnd = random.Random(4)
agree = []
for case in range(6):
    n_raters = 2 if case < 3 else 4
    items = 30 + 5 * case
    truth = [rnd.randint(1, 5) for _ in range(items)]
    ratings = {}
    for r in range(n_raters):
        col = []
        for u in range(items):
            if n_raters > 2 and rnd.random() < 0.15:
                col.append(None)  # missing rating
            else:
                col.append(min(5, max(1, truth[u] + rnd.choice([-1, 0, 0, 0, 1]))))
        ratings['r%d' % r] = col
    data = [(r, 'u%d' % u, v) for r, col in ratings.items() for u, v in enumerate(col) if v is not None]
    entry = {'ratings': ratings,
             'alpha_nominal': AnnotationTask(data=data, distance=binary_distance).alpha(),
             'alpha_interval': AnnotationTask(data=data, distance=interval_distance).alpha()}
    if n_raters == 2:
        entry['kappa'] = AnnotationTask(data=data, distance=binary_distance).kappa()
    agree.append(entry)
json.dump({'nltk_version': nltk.__version__, 'cases': agree}, open(os.path.join(OUT, 'agreement.json'), 'w'))
print('agreement cases', len(agree), file=sys.stderr)
