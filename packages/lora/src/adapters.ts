import { ConfigError, Rng, tf, type Tensor, type Variable } from '@llm/core';
import { linear, releaseTransposed, type PretrainedModel } from '@llm/transformer';
import { QuantizedLinear } from '@llm/quant';
import { initLoraPair, loraParameterCount } from './math.js';
import { isTargetModule, loadAdapter, loraTensorName, moduleRankAndScale, saveAdapter, type LoraConfig, type LoraPair } from './peft.js';

/** One adapted module: trainable A `[r, in]` and B `[out, r]`. */
interface LoraModule {
  A: Variable;
  B: Variable;
  r: number;
  scaling: number;
  inFeatures: number;
  outFeatures: number;
}

interface Adapter {
  config: LoraConfig;
  modules: Map<string, LoraModule>;
}

/** The projections of a model that LoRA can adapt: 2-D `.weight` parameters, embeddings excluded. */
export function linearModules(model: PretrainedModel): Array<{ module: string; inFeatures: number; outFeatures: number; conv1d: boolean }> {
  const conv1d = model.modelType === 'gpt2';
  return model.paramSpec()
    .filter((p) => p.name.endsWith('.weight') && p.shape.length === 2 && !/(embed_tokens|wte|wpe|word_embeddings|position_embeddings|token_type_embeddings|shared|relative_attention_bias)\.weight$/.test(p.name))
    .map((p) => ({ module: p.name.slice(0, -'.weight'.length), inFeatures: conv1d ? p.shape[0]! : p.shape[1]!, outFeatures: conv1d ? p.shape[1]! : p.shape[0]!, conv1d }));
}

let counter = 0;

/**
 * LoRA adapters on a `@llm/transformer` model, PEFT-compatible: several named adapters, one
 * active at a time, the base frozen (only adapter variables are returned for the optimizer),
 * merge into the base and an exact unmerge, and QLoRA's NF4 base through {@link quantizeBase}.
 */
export class LoraAdapters {
  private readonly adapters = new Map<string, Adapter>();
  private activeName: string | undefined;
  private mergedOriginals: Map<string, Float32Array> | undefined;
  private quantized = new Map<string, QuantizedLinear>();
  /** Apply LoRA dropout (training); off for inference. */
  training = false;
  private dropoutSeed = 1;

  constructor(readonly model: PretrainedModel) {
    if (model.linearHook) throw new ConfigError('this model already has a linear hook (adapters attached twice?)');
    model.linearHook = (module, x, base) => this.forward(module, x, base);
  }

  /** Names of the adapters. */
  get names(): string[] {
    return [...this.adapters.keys()];
  }

  /** The active adapter's name, if any. */
  get active(): string | undefined {
    return this.activeName;
  }

  /** Make `name` the adapter used in forward passes (`undefined`: the base alone). */
  setActive(name: string | undefined): void {
    if (this.mergedOriginals) throw new ConfigError('unmerge before switching adapters');
    if (name !== undefined && !this.adapters.has(name)) throw new ConfigError(`no adapter named '${name}' (have: ${this.names.join(', ') || 'none'})`);
    this.activeName = name;
  }

  /** Create a new adapter from a config (initialised as PEFT does) and make it active. */
  add(name: string, config: LoraConfig, options: { seed?: number; pairs?: Map<string, LoraPair> } = {}): void {
    if (this.adapters.has(name)) throw new ConfigError(`an adapter named '${name}' exists already`);
    if (config.bias !== 'none') throw new ConfigError(`bias '${config.bias}' (training the base's biases) is not supported; use bias 'none'`, { field: 'bias' });
    const rng = new Rng(options.seed ?? 0);
    const modules = new Map<string, LoraModule>();
    for (const m of linearModules(this.model)) {
      if (!isTargetModule(config, m.module)) continue;
      const { r, scaling } = moduleRankAndScale(config, m.module);
      const given = options.pairs?.get(m.module);
      if (options.pairs && !given) continue;
      const pair = given ?? initLoraPair(rng.split(m.module), r, m.inFeatures, m.outFeatures, config.init_lora_weights);
      if (pair.inFeatures !== m.inFeatures || pair.outFeatures !== m.outFeatures) {
        throw new ConfigError(`adapter for '${m.module}' is ${pair.outFeatures}×${pair.inFeatures}, the model's projection is ${m.outFeatures}×${m.inFeatures}`);
      }
      modules.set(m.module, {
        A: tf.variable(tf.tensor2d(pair.A, [pair.r, pair.inFeatures]), true, `lora/${name}/${m.module}/A/${counter++}`),
        B: tf.variable(tf.tensor2d(pair.B, [pair.outFeatures, pair.r]), true, `lora/${name}/${m.module}/B/${counter++}`),
        r: pair.r, scaling, inFeatures: pair.inFeatures, outFeatures: pair.outFeatures,
      });
    }
    if (options.pairs) for (const k of options.pairs.keys()) if (!modules.has(k)) throw new ConfigError(`the adapter has weights for '${k}', which the model does not have or the config does not target`);
    if (modules.size === 0) throw new ConfigError(`target_modules ${JSON.stringify(config.target_modules)} match no projection of this ${this.model.modelType} model`);
    this.adapters.set(name, { config, modules });
    this.activeName = name;
  }

  /** Load a PEFT adapter folder as `name`. */
  async load(dir: string, name = 'default'): Promise<void> {
    const a = await loadAdapter(dir);
    if (a.config.peft_type !== 'LORA') throw new ConfigError(`${dir} holds a ${a.config.peft_type} adapter, not LoRA`);
    this.add(name, a.config, { pairs: a.lora });
  }

  /** Save adapter `name` as a PEFT folder. */
  async save(dir: string, name = this.activeName): Promise<void> {
    const a = this.get(name);
    const lora = new Map<string, LoraPair>();
    for (const [module, m] of a.modules) lora.set(module, { A: m.A.dataSync() as Float32Array, B: m.B.dataSync() as Float32Array, r: m.r, inFeatures: m.inFeatures, outFeatures: m.outFeatures });
    await saveAdapter(dir, { config: { ...a.config, fan_in_fan_out: this.model.modelType === 'gpt2' }, lora });
  }

  private get(name: string | undefined): Adapter {
    const a = name === undefined ? undefined : this.adapters.get(name);
    if (!a) throw new ConfigError(`no adapter named '${String(name)}'`);
    return a;
  }

  /** The trainable variables of an adapter, keyed by PEFT tensor name (give these to the optimizer). */
  variables(name = this.activeName): Map<string, Variable> {
    const out = new Map<string, Variable>();
    for (const [module, m] of this.get(name).modules) {
      out.set(loraTensorName(module, 'A'), m.A);
      out.set(loraTensorName(module, 'B'), m.B);
    }
    return out;
  }

  /** Trainable parameters of an adapter. */
  parameterCount(name = this.activeName): number {
    return loraParameterCount([...this.get(name).modules.values()].map((m) => ({ A: new Float32Array(0), B: new Float32Array(0), r: m.r, inFeatures: m.inFeatures, outFeatures: m.outFeatures })));
  }

  private forward(module: string, x: Tensor, base: () => Tensor): Tensor {
    const q = this.quantized.get(module);
    const y = q ? q.apply(x) : base();
    if (this.mergedOriginals || this.activeName === undefined) return y;
    const m = this.adapters.get(this.activeName)!.modules.get(module);
    if (!m) return y;
    const p = this.adapters.get(this.activeName)!.config.lora_dropout;
    const xi = this.training && p > 0 ? tf.dropout(x, p, undefined, this.dropoutSeed++) : x;
    return tf.add(y, tf.mul(linear(linear(xi, m.A), m.B), m.scaling));
  }

  /** ΔW for a module in the model's weight layout. */
  private delta(m: LoraModule, conv1d: boolean): Tensor {
    const d = tf.mul(tf.matMul(m.B, m.A), m.scaling);
    return conv1d ? tf.transpose(d) : d;
  }

  /** Fold the active adapter into the base weights (`W += s·BA`); forward passes then skip the adapter. */
  merge(): void {
    if (this.mergedOriginals) return;
    const a = this.get(this.activeName);
    if (this.quantized.size) throw new ConfigError('cannot merge into a quantized (QLoRA) base: dequantize it first');
    const conv = this.model.modelType === 'gpt2';
    const originals = new Map<string, Float32Array>();
    for (const [module, m] of a.modules) {
      const w = this.model.weights.get(`${module}.weight`)!;
      originals.set(module, w.dataSync().slice() as Float32Array);
      tf.tidy(() => w.assign(tf.add(w, this.delta(m, conv))));
    }
    this.mergedOriginals = originals;
  }

  /** Restore the exact base weights saved at {@link merge}. */
  unmerge(): void {
    if (!this.mergedOriginals) return;
    for (const [module, data] of this.mergedOriginals) {
      const w = this.model.weights.get(`${module}.weight`)!;
      w.assign(tf.tensor(data, w.shape));
    }
    this.mergedOriginals = undefined;
  }

  /**
   * QLoRA: hold the base projections' weights as NF4 (block 64, double-quantized scales) and
   * dequantize them per forward; the float32 copies are freed. Embeddings, norms and the output
   * head stay float32 (as bitsandbytes leaves them). GPT-2's Conv1D weights (`[in, out]`) are
   * quantized transposed, in the `[out, in]` layout transformers gives bitsandbytes' `Linear4bit`;
   * the LoRA matrices keep PEFT's shapes (A `[r, in]`, B `[out, r]`) either way. Returns bytes
   * before and after.
   */
  quantizeBase(options: { type?: 'nf4' | 'fp4'; blockSize?: number; doubleQuant?: boolean; skip?: RegExp } = {}): { f32Bytes: number; quantizedBytes: number; modules: number } {
    const skip = options.skip ?? /(^|\.)lm_head$/;
    let f32Bytes = 0;
    let quantizedBytes = 0;
    for (const m of linearModules(this.model)) {
      if (skip.test(m.module) || this.quantized.has(m.module)) continue;
      const name = `${m.module}.weight`;
      const w = this.model.weights.get(name)!;
      const bias = this.model.weights.get(`${m.module}.bias`);
      // GPT-2's Conv1D stores [in, out]; like transformers' bitsandbytes integration, quantize the
      // nn.Linear layout [out, in] (the transpose), so the NF4 blocks run along input features.
      const data = m.conv1d ? tf.tidy(() => tf.transpose(w).dataSync() as Float32Array) : (w.dataSync() as Float32Array);
      const q = QuantizedLinear.fromWeight(data, m.outFeatures, m.inFeatures, { type: options.type ?? 'nf4', blockSize: options.blockSize ?? 64, doubleQuant: options.doubleQuant ?? true }, bias?.dataSync() as Float32Array | undefined);
      f32Bytes += w.size * 4;
      quantizedBytes += q.storageBytes;
      releaseTransposed(w);
      w.dispose();
      this.model.weights.delete(name);
      this.quantized.set(m.module, q);
    }
    return { f32Bytes, quantizedBytes, modules: this.quantized.size };
  }

  /** Bytes of the NF4/FP4 base weights held by {@link quantizeBase}. */
  get quantizedBytes(): number {
    let n = 0;
    for (const q of this.quantized.values()) n += q.storageBytes;
    return n;
  }

  /** Free the adapters' variables and detach from the model. */
  dispose(): void {
    this.unmerge();
    for (const a of this.adapters.values()) for (const m of a.modules.values()) { m.A.dispose(); m.B.dispose(); }
    this.adapters.clear();
    this.model.linearHook = undefined;
  }
}
