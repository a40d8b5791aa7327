#!/usr/bin/python3
"""Golden fixtures for @llm/embeddings, made by the reference tools (run from the repo root):

    node tools/golden/embeddings/write-ours.mjs        # our writer -> fixtures/ours.{txt,bin}
    /usr/bin/python3 tools/golden/embeddings/make_fixtures.py

Needs Debian's python3-gensim (4.2) and fasttext (0.9.2), and `pnpm install` (for the npm
`word2vec` package's examples/fixtures/vectors.txt). Writes packages/embeddings/fixtures/:
- gensim-w2v-fixture.json: gensim's most_similar / cosmul / doesnt_match / similarity and its
  analogy evaluation (bundled questions) on npm word2vec's vectors.txt;
- gensim-reads-ours.json: what gensim loads from the text and binary files OUR writer produced;
- gensim-written.{txt,bin}: the same vectors saved by gensim, for our reader;
- ft-tiny.bin, ft-tiny.vec, ft-tiny-words.json: a tiny fastText skip-gram model trained by the
  Debian fasttext binary, and its print-word-vectors output for in- and out-of-vocabulary words.
"""
import gzip, json, os, subprocess, tempfile
from gensim.models import KeyedVectors

ROOT = os.getcwd()
OUT = os.path.join(ROOT, 'packages/embeddings/fixtures')
W2V = os.path.join(ROOT, 'packages/embeddings/node_modules/word2vec/examples/fixtures/vectors.txt')
QUESTIONS_GZ = os.path.join(ROOT, 'data/embeddings/analogies.txt.gz')


def pairs(sims):
    return [[w, float(s)] for w, s in sims]


def w2v_fixture(tmp):
    kv = KeyedVectors.load_word2vec_format(W2V, binary=False)
    queries = [w for w in ['the', 'king', 'lord', 'good', 'love', 'father', 'death', 'heaven', 'Hamlet', 'zzz-not-a-word'] if w in kv.key_to_index]
    questions = os.path.join(tmp, 'questions-words.txt')
    with gzip.open(QUESTIONS_GZ, 'rt') as f, open(questions, 'w') as g:
        g.write(f.read())
    score, sections = kv.evaluate_word_analogies(questions, restrict_vocab=300000)
    res = {
        'source': 'npm word2vec 1.1.5 examples/fixtures/vectors.txt, loaded by gensim 4.2 KeyedVectors.load_word2vec_format',
        'count': len(kv.index_to_key), 'dim': kv.vector_size,
        'first': kv.index_to_key[:5],
        'firstVector': [float(x) for x in kv[kv.index_to_key[1]][:10]],
        'mostSimilar': {w: pairs(kv.most_similar(w, topn=10)) for w in queries},
        'analogy': pairs(kv.most_similar(positive=['king', 'woman'], negative=['man'], topn=5)),
        'cosmul': pairs(kv.most_similar_cosmul(positive=['king', 'woman'], negative=['man'], topn=5)),
        'doesntMatch': {'words': ['king', 'queen', 'father', 'sword'], 'answer': kv.doesnt_match(['king', 'queen', 'father', 'sword'])},
        'similarity': [['king', 'queen', float(kv.similarity('king', 'queen'))], ['love', 'death', float(kv.similarity('love', 'death'))]],
        'analogies': {
            'accuracy': float(score),
            'sections': {s['section']: {'correct': len(s['correct']), 'incorrect': len(s['incorrect'])} for s in sections},
        },
    }
    with open(os.path.join(OUT, 'gensim-w2v-fixture.json'), 'w') as f:
        json.dump(res, f, indent=1)


def reads_ours():
    res = {'source': 'gensim 4.2 loading files written by @llm/embeddings saveVectors'}
    for name, binary in [('ours.txt', False), ('ours.bin', True)]:
        kv = KeyedVectors.load_word2vec_format(os.path.join(OUT, name), binary=binary)
        res[name] = {
            'count': len(kv.index_to_key), 'dim': kv.vector_size, 'words': kv.index_to_key,
            'vectors': {w: [float(x) for x in kv[w]] for w in kv.index_to_key[:20]},
            'mostSimilar': {w: pairs(kv.most_similar(w, topn=5)) for w in ['she', 'anne', 'said']},
        }
        if not binary:
            kv.save_word2vec_format(os.path.join(OUT, 'gensim-written.txt'), binary=False)
            kv.save_word2vec_format(os.path.join(OUT, 'gensim-written.bin'), binary=True)
    with open(os.path.join(OUT, 'gensim-reads-ours.json'), 'w') as f:
        json.dump(res, f, indent=1)


def fasttext_tiny(tmp):
    corpus = os.path.join(tmp, 'persuasion.txt')
    with gzip.open(os.path.join(ROOT, 'data/corpora/janeausten/persuasion.txt.gz'), 'rt') as f, open(corpus, 'w') as g:
        g.write(f.read().lower())
    prefix = os.path.join(tmp, 'ft-tiny')
    subprocess.run(['fasttext', 'skipgram', '-input', corpus, '-output', prefix, '-dim', '8', '-epoch', '1', '-minCount', '20',
                    '-bucket', '2000', '-minn', '3', '-maxn', '5', '-thread', '1', '-verbose', '0'], check=True)
    words = ['anne', 'captain', 'wentworth', 'elliot', 'the', 'persuasion', 'unpersuadable', 'naïveté', 'x', 'kellynch-hall']
    out = subprocess.run(['fasttext', 'print-word-vectors', prefix + '.bin'], input='\n'.join(words) + '\n',
                         capture_output=True, text=True, check=True).stdout
    vecs = {}
    for line in out.strip().split('\n'):
        parts = line.rstrip().split(' ')
        vecs[parts[0]] = [float(x) for x in parts[1:]]
    os.replace(prefix + '.bin', os.path.join(OUT, 'ft-tiny.bin'))
    os.replace(prefix + '.vec', os.path.join(OUT, 'ft-tiny.vec'))
    with open(os.path.join(OUT, 'ft-tiny-words.json'), 'w') as f:
        json.dump({'source': 'Debian fasttext 0.9.2 print-word-vectors ft-tiny.bin', 'words': words, 'vectors': vecs}, f, indent=1)


with tempfile.TemporaryDirectory() as tmp:
    w2v_fixture(tmp)
    reads_ours()
    fasttext_tiny(tmp)
print('fixtures written to', OUT)
