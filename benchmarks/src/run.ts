#!/usr/bin/env node
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createProgress, nativeStatus, Rng, tf, writeFileAtomic, writeJsonAtomic } from '@llm/core';
import { formatResults, markdownResults, runCase, type BenchCase, type CaseResult, type Contender, type HarnessOptions } from './harness.js';
import { ortMatmulContender } from './peers/onnx.js';
import { pythonContender, type PythonPeerConfig } from './peers/python.js';
import { attentionParams, attentionWorkload, lstmWorkload, matmulWorkload, tfContender, type AttentionConfig, type LstmConfig } from './workloads.js';

/**
 * `npm run bench` (root) → `pnpm --filter @llm/benchmarks run bench [-- options]`.
 *   --only <regex>   run the cases whose id matches (e.g. `matmul`, `gpt`)
 *   --reps N --warmup N   override the repetitions
 *   --quick          fewer repetitions (about two minutes)
 *   --gpt            add the GPT case (6 layers, d 256, ctx 128, batch 16; several minutes)
 *   --out FILE       write the JSON results; --md FILE write the Markdown table
 *   --json           print only the JSON (one line)
 */

const NUMPY_1: PythonPeerConfig = { name: 'numpy/OpenBLAS 1t', lib: 'numpy', blasThreads: 1 };
const NUMPY_2: PythonPeerConfig = { name: 'numpy/OpenBLAS 2t', lib: 'numpy', blasThreads: 2 };
const TORCH_1C: PythonPeerConfig = { name: 'torch 1t + OpenBLAS 1t', lib: 'torch', blasThreads: 1, torchThreads: 1 };
const TORCH_2C: PythonPeerConfig = { name: 'torch 1t + OpenBLAS 2t', lib: 'torch', blasThreads: 2, torchThreads: 1 };
const TORCH_2T: PythonPeerConfig = { name: 'torch 2t + OpenBLAS 2t', lib: 'torch', blasThreads: 2, torchThreads: 2 };

interface Planned {
  bench: BenchCase;
  options: HarnessOptions;
}

function matmulCase(n: number): BenchCase {
  const rng = new Rng(`bench-matmul-${n}`);
  const a = rng.normalArray(n * n);
  const b = rng.normalArray(n * n);
  const build = matmulWorkload(a, b, n);
  const ours: Contender[] = [
    tfContender('tfjs native 2t', 'native', build, { nativeThreads: 2 }),
    tfContender('tfjs native 1t', 'native', build, { nativeThreads: 1 }),
    tfContender('tfjs wasm', 'wasm', build),
  ];
  if (n <= 512) ours.push(tfContender('tfjs cpu', 'cpu', build));
  return {
    id: `matmul-${n}`,
    title: `float32 matmul ${n}×${n}·${n}×${n}`,
    work: { amount: 2 * n ** 3, unit: 'GFLOP/s', scale: 1e9 },
    reference: NUMPY_2.name,
    contenders: [
      ...ours,
      pythonContender(NUMPY_1, 'matmul', { n }),
      pythonContender(NUMPY_2, 'matmul', { n }),
      ortMatmulContender('onnxruntime 1t', n, 1, a, b),
      ortMatmulContender('onnxruntime 2t', n, 2, a, b),
    ],
  };
}

function trainCase(id: string, title: string, tokens: number, ours: Contender[], workload: string, params: Record<string, number>, peers = [TORCH_1C, TORCH_2C, TORCH_2T]): BenchCase {
  return {
    id,
    title,
    work: { amount: tokens, unit: 'tok/s' },
    reference: TORCH_2C.name,
    contenders: [...ours, ...peers.map((p) => pythonContender(p, workload, params))],
  };
}

function plan(quick: boolean, withGpt: boolean): Planned[] {
  const base: HarnessOptions = { warmup: quick ? 1 : 2, reps: quick ? 3 : 7, maxSecondsPerContender: quick ? 6 : 15 };
  const out: Planned[] = [256, 512, 1024].map((n) => ({ bench: matmulCase(n), options: base }));

  const lstm: LstmConfig = { batch: 32, seq: 32, vocab: 256, embed: 64, hidden: 128, classes: 4 };
  out.push({
    bench: trainCase('lstm-train-step', `Embedding(${lstm.vocab},${lstm.embed})→LSTM(${lstm.hidden})→Dense(${lstm.classes}), batch ${lstm.batch}×${lstm.seq}, one Adam step`, lstm.batch * lstm.seq, [
      tfContender('tfjs native 2t', 'native', lstmWorkload(lstm), { nativeThreads: 2 }),
      tfContender('tfjs native 2t + NativeAdam', 'native', lstmWorkload(lstm, true), { nativeThreads: 2 }),
      tfContender('tfjs wasm', 'wasm', lstmWorkload(lstm)),
    ], 'lstm', { ...lstm }),
    options: { ...base, reps: quick ? 3 : 5 },
  });

  const att: AttentionConfig = { batch: 8, seq: 64, dim: 128, heads: 4, layers: 1, vocab: 0 };
  out.push({
    bench: trainCase('attention-train-step', `causal self-attention block (pre-LN, ${att.heads} heads, GELU MLP) d ${att.dim}, batch ${att.batch}×${att.seq}, one Adam step`, att.batch * att.seq, [
      tfContender('tfjs native 2t', 'native', attentionWorkload(att), { nativeThreads: 2 }),
      tfContender('tfjs native 2t + NativeAdam', 'native', attentionWorkload(att, true), { nativeThreads: 2 }),
      tfContender('tfjs wasm', 'wasm', attentionWorkload(att)),
    ], 'attention', { ...att }),
    options: { ...base, reps: quick ? 3 : 5 },
  });

  if (withGpt) {
    const gpt: AttentionConfig = { batch: 16, seq: 128, dim: 256, heads: 8, layers: 6, vocab: 256 };
    const params = attentionParams(gpt);
    out.push({
      bench: trainCase('gpt-6L-train-step', `GPT ${gpt.layers} layers d ${gpt.dim} ctx ${gpt.seq} batch ${gpt.batch} vocab ${gpt.vocab} (${(params / 1e6).toFixed(1)}M params), one Adam step`, gpt.batch * gpt.seq, [
        tfContender('tfjs native 2t', 'native', attentionWorkload(gpt), { nativeThreads: 2 }),
        tfContender('tfjs native 2t + NativeAdam', 'native', attentionWorkload(gpt, true), { nativeThreads: 2 }),
        tfContender('tfjs wasm', 'wasm', attentionWorkload(gpt)),
      ], 'attention', { ...gpt }, [TORCH_1C, TORCH_2C]),
      options: { warmup: 1, reps: 3, maxSecondsPerContender: 40, minReps: 2 },
    });
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      reps: { type: 'string' },
      warmup: { type: 'string' },
      quick: { type: 'boolean', default: false },
      gpt: { type: 'boolean', default: false },
      out: { type: 'string' },
      md: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const filter = values.only ? new RegExp(values.only) : undefined;
  const cases = plan(values.quick, values.gpt).filter((p) => !filter || filter.test(p.bench.id));
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  const started = new Date().toISOString();
  const loadBefore = loadavg();
  const progress = createProgress({ total: cases.length, label: 'bench', unit: ' cases' });
  const results: CaseResult[] = [];
  for (const p of cases) {
    const options: HarnessOptions = {
      ...p.options,
      ...(values.reps ? { reps: Number(values.reps) } : {}),
      ...(values.warmup ? { warmup: Number(values.warmup) } : {}),
      signal: controller.signal,
      onProgress: (m) => process.stderr.write(`  ${m}\n`),
    };
    results.push(await runCase(p.bench, options));
    progress.tick();
    if (!values.json) process.stderr.write(`${formatResults(results.slice(-1))}\n\n`);
  }
  progress.done();
  const report = {
    started,
    finished: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadavgBefore: loadBefore, loadavgAfter: loadavg() },
    tfjs: tf.version_core,
    native: nativeStatus(),
    note: 'times are medians of interleaved repetitions; ours/peer speed = peer median time / our median time (>1: ours faster)',
    results,
  };
  if (values.out) await writeJsonAtomic(values.out, report);
  if (values.md) await writeFileAtomic(values.md, `${markdownResults(results)}\n`);
  if (!values.json) process.stdout.write(`${formatResults(results)}\n`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
