/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { testServer, type TestServer } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  // CI must install it: apt-get install -y chromium
  console.warn(`SKIPPED web chat end-to-end test: ${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium)`);
}

describe.skipIf(!haveChromium)('web chat in headless Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    s = await testServer({ withRag: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.app.close();
  });

  it('streams a chat answer, picks a model, and answers in RAG mode with citations', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${s.url}/`);
    // The picker lists the chat models (and aliases), not the embedding model.
    await page.waitForFunction(() => document.querySelectorAll('#model option').length > 0);
    const options = await page.$$eval('#model option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual(['austen', 'gpt-4o-mini']);
    await page.selectOption('#model', 'gpt-4o-mini');

    // Watch the assistant bubble grow while the answer streams.
    await page.fill('#input', 'Tell me about Mr. Darcy.');
    const lengths: number[] = [];
    await page.exposeFunction('recordLength', (n: number) => { lengths.push(n); });
    await page.evaluate(() => {
      const w = window as unknown as { recordLength: (n: number) => void };
      new MutationObserver(() => {
        const last = document.querySelector('#log .assistant:last-child');
        if (last) w.recordLength((last.textContent ?? '').length);
      }).observe(document.getElementById('log')!, { childList: true, subtree: true, characterData: true });
    });
    await page.click('#send');
    await page.waitForSelector('#log .assistant[data-done="true"]', { timeout: 30_000 });
    const answer = await page.textContent('#log .assistant');
    expect((answer ?? '').length).toBeGreaterThan(0);
    expect(new Set(lengths).size).toBeGreaterThan(2); // several partial renders: it streamed
    expect(await page.textContent('#log .user')).toBe('Tell me about Mr. Darcy.');

    // RAG mode: answer with numbered citations.
    await page.check('#rag');
    await page.fill('#input', 'How do I install a package with apt?');
    await page.click('#send');
    await page.waitForSelector('#log .assistant:nth-of-type(4)[data-done="true"]', { timeout: 30_000 });
    const rag = page.locator('#log .assistant').last();
    expect(await rag.textContent()).toContain('[1]');
    const cites = await rag.locator('.citations li').allTextContents();
    expect(cites.length).toBeGreaterThan(0);
    expect(cites[0]).toContain('debian-faq.txt p. 7');
    expect(errors).toEqual([]);
    await page.close();
  });
});
