#!/usr/bin/env node
/**
 * GPT benchmark (issue 7): 6 layers, d 256, 8 heads, context 128, vocab 8192, batch 16.
 *  - training tokens/s (forward + backward + AdamW) and forward tokens/s: ours (tfjs, active
 *    backend) vs PyTorch CPU (Debian python3-torch) on the same model shape, in the same run;
 *  - decode latency per token with and without the KV cache (ours).
 * Prints medians and ratios. Run after building: `node benchmarks/transformer/gpt.mjs [--quick]`.
 * PyTorch runs with as many threads as our backend uses (1 on wasm) unless TORCH_THREADS is set.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { initBackend, tf, Rng, backendReport } = await import(join(root, 'packages/core/dist/index.js'));
const { Gpt2, AdamW, causalLmLoss, trainStep, generateIds, exportOnnx, OnnxCausalLM } = await import(join(root, 'packages/transformer/dist/index.js'));
const { mkdtempSync } = await import('node:fs');
const { tmpdir } = await import('node:os');

const quick = process.argv.includes('--quick');
const cfg = { vocabSize: 8192, nPositions: 128, nEmbd: 256, nLayer: 6, nHead: 8, nInner: 1024, activation: 'gelu_new', layerNormEps: 1e-5, dropout: 0 };
const B = quick ? 4 : 16;
const T = 128;
const reps = quick ? 2 : 3;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await initBackend();
const backend = backendReport()?.active ?? 'unknown';
const model = new Gpt2(cfg).initRandom(0);
const rng = new Rng(1);
const batch = () => Array.from({ length: B }, () => Array.from({ length: T + 1 }, () => rng.int(cfg.vocabSize)));

// forward
const fwd = [];
for (let r = 0; r < reps + 1; r++) {
  const ids = batch().map((x) => x.slice(0, T));
  const t0 = performance.now();
  const out = tf.tidy(() => model.forward(ids));
  await out.data();
  out.dispose();
  if (r > 0) fwd.push((B * T) / ((performance.now() - t0) / 1000));
}
// the same model exported to ONNX, run by onnxruntime-node (1 intra-op thread, like wasm)
const onnxDir = mkdtempSync(join(tmpdir(), 'bench-onnx-'));
await exportOnnx(model, onnxDir);
const onnx = await OnnxCausalLM.load(onnxDir, { intraOpNumThreads: Number(process.env.ORT_THREADS ?? 1) });
const ortFwd = [];
for (let r = 0; r < reps + 1; r++) {
  const ids = batch().map((x) => x.slice(0, T));
  const t0 = performance.now();
  await onnx.logits(ids);
  if (r > 0) ortFwd.push((B * T) / ((performance.now() - t0) / 1000));
}
onnx.dispose();
// ONNX decode with the KV-cache export
const kvDir = mkdtempSync(join(tmpdir(), 'bench-onnx-kv-'));
await exportOnnx(model, kvDir, { kvCache: true });
const onnxKv = await OnnxCausalLM.load(kvDir, { intraOpNumThreads: Number(process.env.ORT_THREADS ?? 1) });
const onnxDecode = async () => {
  const n = quick ? 8 : 32;
  const ids = Array.from({ length: 64 }, (_, i) => (i * 31) % cfg.vocabSize);
  await onnxKv.lastLogits(ids);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const l = await onnxKv.lastLogits(ids);
    let best = 0;
    for (let j = 1; j < l.length; j++) if (l[j] > l[best]) best = j;
    ids.push(best);
  }
  return (performance.now() - t0) / n;
};
const onnxMsPerToken = await onnxDecode();
onnxKv.dispose();
// training
const opt = new AdamW({ lr: 1e-4 });
const train = [];
for (let r = 0; r < reps + 1; r++) {
  const b = batch();
  const t0 = performance.now();
  trainStep(model, opt, 1, () => causalLmLoss(model, b), { maxGradNorm: 1 });
  if (r > 0) train.push((B * T) / ((performance.now() - t0) / 1000));
}
// decode latency, prompt 64, 32 new tokens
const decode = async (useCache) => {
  const prompt = Array.from({ length: 64 }, (_, i) => (i * 31) % cfg.vocabSize);
  const n = quick ? 8 : 32;
  const t0 = performance.now();
  let first = 0;
  let k = 0;
  for await (const _ of generateIds(model, prompt, { maxTokens: n, temperature: 0, eosTokenIds: [], useCache })) {
    if (k++ === 0) first = performance.now();
  }
  return { msPerToken: (performance.now() - first) / (n - 1), prefillMs: first - t0 };
};
const withCache = await decode(true);
const withoutCache = await decode(false);

// PyTorch, same shapes
const threads = process.env.TORCH_THREADS ?? (backend === 'wasm' || backend === 'cpu' ? '1' : '0');
const py = `
import sys, time, json, torch
sys.path.insert(0, ${JSON.stringify(join(root, 'tools/golden/transformer'))})
import make_fixtures as mf
t = int(${threads})
if t > 0: torch.set_num_threads(t)
c = {"vocab_size": 8192, "n_positions": 128, "n_embd": 256, "n_layer": 6, "n_head": 8, "n_inner": 1024, "layer_norm_epsilon": 1e-5}
m = mf.GPT2LMHeadModel(c)
torch.manual_seed(0)
B, T, reps = ${B}, ${T}, ${reps}
def med(x): return sorted(x)[len(x)//2]
fwd, tr = [], []
with torch.no_grad():
    for r in range(reps + 1):
        ids = torch.randint(0, 8192, (B, T)); t0 = time.perf_counter(); m(ids); dt = time.perf_counter() - t0
        if r: fwd.append(B*T/dt)
opt = torch.optim.AdamW(m.parameters(), lr=1e-4)
for r in range(reps + 1):
    ids = torch.randint(0, 8192, (B, T + 1)); t0 = time.perf_counter()
    _, logits = m(ids[:, :-1]); loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 8192), ids[:, 1:].reshape(-1))
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step(); dt = time.perf_counter() - t0
    if r: tr.append(B*T/dt)
print(json.dumps({"forward": med(fwd), "train": med(tr), "threads": torch.get_num_threads(), "torch": torch.__version__}))
`;
const res = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8' });
let torch = null;
if (res.status === 0) torch = JSON.parse(res.stdout.trim().split('\n').pop());
else console.error(`PyTorch run failed: ${res.stderr.slice(-500)}`);

const fmt = (x) => x.toFixed(0).padStart(8);
console.log(`GPT 6×256, 8 heads, ctx ${T}, vocab 8192, batch ${B} — ours on tfjs '${backend}'${torch ? `, PyTorch ${torch.torch} CPU with ${torch.threads} thread(s)` : ''}`);
console.log(`                 ours tok/s   torch tok/s   ours/torch`);
console.log(`forward        ${fmt(median(fwd))}      ${torch ? fmt(torch.forward) : '       -'}      ${torch ? (median(fwd) / torch.forward).toFixed(2) : '-'}`);
console.log(`forward (ONNX, onnxruntime-node)  ${fmt(median(ortFwd))} tok/s = ${(median(ortFwd) / median(fwd)).toFixed(2)} × our tfjs forward`);
console.log(`train step     ${fmt(median(train))}      ${torch ? fmt(torch.train) : '       -'}      ${torch ? (median(train) / torch.train).toFixed(2) : '-'}`);
console.log(`decode (prompt 64): ${withCache.msPerToken.toFixed(1)} ms/token with KV cache, ${withoutCache.msPerToken.toFixed(1)} ms/token without (×${(withoutCache.msPerToken / withCache.msPerToken).toFixed(1)})`);
console.log(`decode (prompt 64), ONNX with KV cache in onnxruntime-node: ${onnxMsPerToken.toFixed(1)} ms/token`);
console.log(JSON.stringify({ onnxMsPerToken, backend, batch: B, forwardTokS: median(fwd), onnxForwardTokS: median(ortFwd), trainTokS: median(train), torch, decode: { withCache, withoutCache } }));
model.dispose();
