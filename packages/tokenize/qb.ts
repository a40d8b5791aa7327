import { loadText } from '@llm/core';
import { getEncoding } from './src/index.js';
import { encode as g100 } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as g200 } from 'gpt-tokenizer/encoding/o200k_base';
const text = await loadText('austen');
const lines = text.split('\n');
const mb = Buffer.byteLength(text) / 1e6;
for (const [name, g] of [['cl100k_base', g100], ['o200k_base', g200]] as const) {
  const e = getEncoding(name);
  const run = (f: (s: string) => number[]) => { const t0 = performance.now(); let n = 0; for (const l of lines) n += f(l).length; return [mb / ((performance.now() - t0) / 1000), n]; };
  for (let r = 0; r < 3; r++) {
    const a = run((s) => e.encodeOrdinary(s));
    const b = run((s) => g(s));
    console.log(name, 'ours', a[0].toFixed(2), 'gpt-tok', b[0].toFixed(2), 'ratio', (a[0] / b[0]).toFixed(2), a[1] === b[1]);
  }
}
