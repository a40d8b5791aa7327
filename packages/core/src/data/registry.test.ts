import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { NotFoundError } from '../errors.js';
import { collect } from './readers.js';
import { dataDir, datasetFiles, datasetRows, getDataset, listDatasets, loadText, previewDataset } from './registry.js';

describe('bundled data registry', () => {
  it('lists every dataset the curriculum needs, with licence and existing files', () => {
    const names = listDatasets().map((d) => d.name);
    for (const n of ['austen', 'gutenberg', 'bible-es-en', 'libreoffice-es-en', 'fine-foods', 'analogies', 'faq-squad', 'debian-pdfs', 'debian-faq-questions']) expect(names).toContain(n);
    for (const d of listDatasets()) {
      expect(d.license.length).toBeGreaterThan(0);
      for (const f of datasetFiles(d.name)) expect(existsSync(f)).toBe(true);
    }
    expect(existsSync(`${dataDir()}/README.md`)).toBe(true);
  });

  it('reads the real text', async () => {
    const pp = await loadText('austen', 'prideprejudice');
    expect(pp).toContain('It is a truth universally acknowledged');
    const rows = await collect(datasetRows('fine-foods'));
    expect(rows.length).toBe(getDataset('fine-foods').items);
    expect(new Set(rows.map((r) => r.values.score))).toEqual(new Set(['great', 'other']));
    const first = (await datasetRows('bible-es-en').next()).value!;
    expect(first.values.ref).toBe('Genesis 1:1');
    expect(first.values.es_rv1909).toContain('crió Dios los cielos');
  });

  it('previews and refuses unknown names', async () => {
    expect((await previewDataset('faq-squad', 2)).length).toBe(2);
    expect((await previewDataset('debian-pdfs', 5)).length).toBe(3);
    expect(() => getDataset('imdb')).toThrow(NotFoundError);
  });
});
