#!/usr/bin/python3
"""Golden tokenizations for @llm/eval's BLEU tokenizers, produced with Python's `re`/`regex`
(Debian python3-regex) applying the mteval-v13a / v14-international / zh rules that sacreBLEU
documents, on real multilingual lines from the bundled data (Spanish and English Bible verses,
LibreOffice help paragraphs). This checks that the JavaScript regexes (Unicode \\p{P}, \\p{S},
\\P{N}) and Python's whitespace split behave identically on real text.

Run from the repository root:  /usr/bin/python3 tools/golden/eval/make_tokenizers.py
Writes packages/eval/fixtures/golden/tokenizers.json.gz
"""
import gzip, io, json, os, re
import regex

ROOT = os.getcwd()

def rows(path, n, skip=0):
    with gzip.open(os.path.join(ROOT, path), 'rt', encoding='utf-8') as f:
        header = f.readline().rstrip('\n').split('\t')
        out = []
        for i, line in enumerate(f):
            if i < skip:
                continue
            out.append(dict(zip(header, line.rstrip('\n').split('\t'))))
            if len(out) >= n:
                break
        return out

lines = []
for r in rows('data/parallel/bible-es-en.tsv.gz', 150, skip=5000):
    lines += [r['es_rv1909'], r['en_web']]
lo = rows('data/parallel/libreoffice-help-es-en.tsv.gz', 150, skip=1000)
for r in lo:
    lines += [v for k, v in r.items() if k != 'id'][:2]
lines += ['我爱北京天安门。Hello, world!', 'don’t stop “quoted” — 3.14-2 &amp; &lt;tag&gt; <skipped>x', 'Ünïcödé ½ ² € ™ © ¿¡ «» 1,000.5']

RE_13A = [(re.compile(r'([\{-\~\[-\` -\&\(-\+\:-\@\/])'), r' \1 '), (re.compile(r'([^0-9])([\.,])'), r'\1 \2 '),
          (re.compile(r'([\.,])([^0-9])'), r' \1 \2'), (re.compile(r'([0-9])(-)'), r'\1 \2 ')]
def post(line):
    for r, s in RE_13A:
        line = r.sub(s, line)
    return ' '.join(line.split())
def t13a(line):
    line = line.replace('<skipped>', '').replace('-\n', '').replace('\n', ' ')
    if '&' in line:
        line = line.replace('&quot;', '"').replace('&amp;', '&').replace('&lt;', '<').replace('&gt;', '>')
    return post(f' {line} ')
RE_INTL = [(regex.compile(r'(\P{N})(\p{P})'), r'\1 \2 '), (regex.compile(r'(\p{P})(\P{N})'), r' \1 \2'), (regex.compile(r'(\p{S})'), r' \1 ')]
def tintl(line):
    for r, s in RE_INTL:
        line = r.sub(s, line)
    return ' '.join(line.split())
ZH = [(u'\u3400', u'\u4db5'), (u'\u4e00', u'\u9fa5'), (u'\u9fa6', u'\u9fbb'), (u'\uf900', u'\ufa2d'), (u'\ufa30', u'\ufa6a'),
      (u'\ufa70', u'\ufad9'), (u'\u20000', u'\u2a6d6'), (u'\u2f800', u'\u2fa1d'), (u'\uff00', u'\uffef'), (u'\u2e80', u'\u2eff'),
      (u'\u3000', u'\u303f'), (u'\u31c0', u'\u31ef'), (u'\u2f00', u'\u2fdf'), (u'\u2ff0', u'\u2fff'), (u'\u3100', u'\u312f'),
      (u'\u31a0', u'\u31bf'), (u'\ufe10', u'\ufe1f'), (u'\ufe30', u'\ufe4f'), (u'\u2600', u'\u26ff'), (u'\u2700', u'\u27bf'),
      (u'\u3200', u'\u32ff'), (u'\u3300', u'\u33ff')]
def tzh(line):
    out = ''
    for ch in line.strip():
        out += f' {ch} ' if any(a <= ch <= b for a, b in ZH) else ch
    return post(out)

cases = [{'line': l, '13a': t13a(l.rstrip()), 'intl': tintl(l.rstrip()), 'zh': tzh(l.rstrip())} for l in lines]
buf = io.BytesIO()
with gzip.GzipFile(fileobj=buf, mode='wb', mtime=0) as g:
    g.write(json.dumps(cases, ensure_ascii=False).encode('utf-8'))
open(os.path.join(ROOT, 'packages/eval/fixtures/golden/tokenizers.json.gz'), 'wb').write(buf.getvalue())
print(len(cases), 'lines')
