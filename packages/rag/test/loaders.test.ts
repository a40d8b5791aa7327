import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, datasetFiles, FormatError, loadText } from '@llm/core';
import { htmlToDocument, loadMediaWikiDump, loadPaths, loadPdf, markdownToDocument, wikitextToText } from '../src/index.js';
import type { IngestFailure } from '../src/index.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const faqPdf = datasetFiles('debian-pdfs', 'debian-faq')[0]!;

describe('PDF loader', () => {
  it('keeps page numbers and the text of every page', async () => {
    const doc = await loadPdf(faqPdf);
    expect(doc.pages.length).toBe(73);
    expect(doc.pages.every((p, i) => p.page === i + 1)).toBe(true);
    const all = doc.pages.map((p) => p.text).join('\n');
    expect(all).toContain('The Debian Project was created by Ian Murdock in 1993');
    // Text in other fonts (addresses, file names) is kept, not dropped.
    expect(all).toContain('listmaster@lists.debian.org');
    expect(all).toContain('/etc/dpkg/dpkg.cfg');
  });

  it('an encrypted PDF is a FormatError for that file; the rest of the folder is still loaded', async () => {
    await expect(loadPdf(join(fixtures, 'encrypted.pdf'))).rejects.toThrow(/encrypted/);
    const dir = mkdtempSync(join(tmpdir(), 'llm-rag-folder-'));
    mkdirSync(join(dir, 'sub'));
    copyFileSync(join(fixtures, 'encrypted.pdf'), join(dir, 'a-encrypted.pdf'));
    writeFileSync(join(dir, 'b-broken.pdf'), '%PDF-1.4\nthis is not really a pdf');
    writeFileSync(join(dir, 'sub', 'c.md'), '# Notes\n\nHello **world**.');
    writeFileSync(join(dir, 'd.txt'), 'plain text');
    writeFileSync(join(dir, 'ignored.bin'), 'x');
    const failures: IngestFailure[] = [];
    const docs = await collect(loadPaths([dir], { onError: (f) => failures.push(f) }));
    expect(docs.map((d) => d.source.split('/').pop())).toEqual(['d.txt', 'c.md']);
    expect(failures.map((f) => f.source.split('/').pop())).toEqual(['a-encrypted.pdf', 'b-broken.pdf']);
    expect(failures.every((f) => f.code === 'E_FORMAT')).toBe(true);
    await expect(loadPdf(join(dir, 'b-broken.pdf'))).rejects.toThrow(FormatError);
  });
});

describe('HTML and Markdown', () => {
  it('strips navigation, scripts and footers from HTML', () => {
    const para = 'It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife. '.repeat(4);
    const html = `<html><head><title>Pride</title><script>var x = 1;</script></head><body>
      <nav><a href="/">Home</a> | <a href="/about">About</a></nav><header>Site header</header>
      <article><h1>Chapter 1</h1><p>${para}</p><p>${para}</p></article>
      <footer>Copyright footer</footer></body></html>`;
    const doc = htmlToDocument(html, 'p.html');
    expect(doc.title).toBe('Pride');
    const text = doc.pages[0]!.text;
    expect(text).toContain('It is a truth universally acknowledged');
    expect(text).not.toContain('var x');
    expect(text).not.toContain('Home');
    expect(text).not.toContain('Copyright footer');
  });

  it('reduces Markdown to text with headings as lines', () => {
    const doc = markdownToDocument('# Title\n\nSome *emphasis* and a [link](http://x).\n\n- one\n- two\n\n```\ncode here\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n', 'r.md');
    expect(doc.title).toBe('Title');
    expect(doc.pages[0]!.text).toBe('Title\n\nSome emphasis and a link.\n\none\n\ntwo\n\ncode here\n\na | b\n\n1 | 2');
  });
});

describe('MediaWiki dumps', () => {
  it('reduces wikitext to clean text', () => {
    const wt = "{{Infobox novel|name=Emma|author=[[Jane Austen]]}}\n'''Emma''' is a novel by [[Jane Austen|Austen]].<ref>{{cite book|title=x}}</ref> See [https://example.org the site].\n== Plot ==\n* Emma meets [[Harriet Smith]].\n{| class=\"wikitable\"\n|-\n| a || b\n|}\n[[File:Emma.jpg|thumb|A [[cover]]]]\n[[Category:Novels]]<!-- hidden -->";
    expect(wikitextToText(wt)).toBe('Emma is a novel by Austen. See the site.\nPlot\nEmma meets Harriet Smith.');
  });

  it('streams the pages of a real-format export, skipping redirects and other namespaces', async () => {
    const emma = (await loadText('austen', 'emma')).split('\n').filter((l) => l.trim()).slice(40, 60).join(' ');
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const page = (id: number, ns: number, title: string, text: string, redirect = '') => `  <page>\n    <title>${esc(title)}</title>\n    <ns>${ns}</ns>\n    <id>${id}</id>\n${redirect}    <revision>\n      <id>${id * 10}</id>\n      <timestamp>2024-01-01T00:00:00Z</timestamp>\n      <contributor><username>Test</username><id>1</id></contributor>\n      <model>wikitext</model>\n      <format>text/x-wiki</format>\n      <text bytes="${text.length}" xml:space="preserve">${esc(text)}</text>\n    </revision>\n  </page>\n`;
    const xml = `<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="0.11" xml:lang="en">\n  <siteinfo>\n    <sitename>Test</sitename>\n    <dbname>testwiki</dbname>\n    <namespaces><namespace key="0" case="first-letter" /><namespace key="1" case="first-letter">Talk</namespace></namespaces>\n  </siteinfo>\n`
      + page(1, 0, 'Emma (novel)', `{{Short description|1815 novel}}\n'''Emma''' opens: ${emma}<ref name="a">Austen, 1815.</ref>\n== Reception ==\nIt was [[Walter Scott|reviewed]] by Scott.`)
      + page(2, 0, 'Emma novel', '#REDIRECT [[Emma (novel)]]', '    <redirect title="Emma (novel)" />\n')
      + page(3, 1, 'Talk:Emma (novel)', 'Discussion & notes')
      + '</mediawiki>\n';
    const dir = mkdtempSync(join(tmpdir(), 'llm-wiki-'));
    writeFileSync(join(dir, 'dump.xml'), xml);
    const docs = await collect(loadMediaWikiDump(join(dir, 'dump.xml')));
    expect(docs.map((d) => d.title)).toEqual(['Emma (novel)']);
    const text = docs[0]!.pages[0]!.text;
    expect(text.startsWith('Emma opens:')).toBe(true);
    expect(text).toContain(emma.slice(0, 60));
    expect(text).toContain('Reception\nIt was reviewed by Scott.');
    expect(text).not.toContain('Austen, 1815');
    expect(docs[0]!.metadata).toMatchObject({ pageId: '1', namespace: 0 });
    writeFileSync(join(dir, 'bad.xml'), '<mediawiki><page><title>x</title></mediawiki>');
    await expect(collect(loadMediaWikiDump(join(dir, 'bad.xml')))).rejects.toThrow(FormatError);
  });
});
