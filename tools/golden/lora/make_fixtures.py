#!/usr/bin/python3
"""Golden fixtures for @llm/lora that PEFT itself is not needed to make (Debian's python3-torch only).

1. gpt2-lora/: LoRA on GPT-2's Conv1D projections (c_attn, c_proj), with PEFT's semantics for
   Conv1D (`fan_in_fan_out=True`): the module's in/out features are the Conv1D weight's shape
   [in, out]; lora_A.weight is [r, in] and lora_B.weight is [out, r] exactly as for nn.Linear;
   forward adds scaling * B(A(x)); merging adds (B @ A).T * scaling to the [in, out] weight.
   Also QLoRA on that base: transformers' bitsandbytes integration transposes a Conv1D weight to
   the nn.Linear layout [out, in] before quantizing it (Linear4bit), so the NF4 blocks (64 values,
   absmax scale) run over the transposed weight, row-major. Outputs: the adapter folder as PEFT
   saves it, and lora/merged/qlora logits and a merged weight.
2. llama-prefix/: prefix tuning (PEFT's PREFIX_TUNING, prefix_projection=False) on the tiny LLaMA
   of fixtures/reference/peft/llama-base (GQA: 4 heads, 2 KV heads). PEFT stores
   `prompt_embeddings` [num_virtual_tokens, num_layers * 2 * token_dim] with, for GQA,
   token_dim = num_key_value_heads * head_dim and num_attention_heads = num_key_value_heads; at
   forward it views it as [B, n, num_layers * 2, heads, head_dim], permutes to
   [num_layers * 2, B, heads, n, head_dim] and splits in pairs: layer l's past key is index 2l,
   its past value 2l + 1. The real tokens take positions n .. n+T-1 (HF derives positions from
   the cache length) and attend to all n prefix positions; the prefix keys get no RoPE.

The model code is a re-implementation written for this script; each base model is checked first
against the reference logits committed with it (the transformers-made PEFT base and
tools/golden/transformer's GPT-2), so the reference forward is the same model.

Run:  /usr/bin/python3 tools/golden/lora/make_fixtures.py    (writes packages/lora/fixtures/)
"""
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'lora', 'fixtures')
NEG = -1e9


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == '__metadata__':
            continue
        assert h['dtype'] == 'F32', (name, h['dtype'])
        a, b = h['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype='<f4').reshape(h['shape']).copy()).to(torch.float64)
    return out, header.get('__metadata__', {})


def save_safetensors(path, tensors, metadata=None):
    header = {'__metadata__': metadata} if metadata else {}
    blobs, off = [], 0
    for name in sorted(tensors):
        b = tensors[name].detach().to(torch.float32).contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(tensors[name].shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f, indent=2)
        f.write('\n')


def f32(t):
    """Round to float32 (what the files store) and back to float64 for the reference arithmetic."""
    return t.to(torch.float32).to(torch.float64)


# ---------------------------------------------------------------- GPT-2 (Conv1D weights [in, out])
def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_logits(w, c, ids, proj):
    """proj(name, x) computes a Conv1D projection; w holds the other weights."""
    b, t = ids.shape
    d, nh = c['n_embd'], c['n_head']
    ln = lambda x, p: F.layer_norm(x, (d,), w[p + '.weight'], w[p + '.bias'], c['layer_norm_epsilon'])
    x = w['transformer.wte.weight'][ids] + w['transformer.wpe.weight'][torch.arange(t)][None]
    causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
    for i in range(c['n_layer']):
        h = f'transformer.h.{i}'
        q, k, v = proj(f'{h}.attn.c_attn', ln(x, f'{h}.ln_1')).split(d, dim=2)
        sh = lambda z: z.view(b, t, nh, d // nh).transpose(1, 2)
        s = sh(q) @ sh(k).transpose(-1, -2) / math.sqrt(d // nh)
        y = F.softmax(s.masked_fill(~causal, NEG), -1) @ sh(v)
        x = x + proj(f'{h}.attn.c_proj', y.transpose(1, 2).reshape(b, t, d))
        m = ln(x, f'{h}.ln_2')
        x = x + proj(f'{h}.mlp.c_proj', gelu_new(proj(f'{h}.mlp.c_fc', m)))
    return ln(x, 'transformer.ln_f') @ w['transformer.wte.weight'].T


NF4 = torch.tensor([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                    0.7229568362236023, 1.0], dtype=torch.float32)


def nf4_roundtrip(w_out_in, block=64):
    """bitsandbytes' NF4 (no double quantization): absmax per block of the flattened [out, in]
    weight, each value to the nearest code; returns the dequantized weight (float32 math)."""
    flat = w_out_in.to(torch.float32).reshape(-1)
    n = flat.numel()
    out = torch.empty_like(flat)
    for s in range(0, n, block):
        blk = flat[s:s + block]
        a = blk.abs().max()
        scaled = blk * (1.0 / a) if a > 0 else blk * 0
        mids = (NF4[1:] + NF4[:-1]) / 2
        idx = (scaled[:, None] > mids[None, :]).sum(1)
        out[s:s + block] = NF4[idx] * a
    return out.reshape(w_out_in.shape).to(torch.float64)


def make_gpt2_lora():
    base_dir = os.path.join(ROOT, 'packages', 'transformer', 'fixtures', 'gpt2')
    c = json.load(open(os.path.join(base_dir, 'config.json')))
    w, _ = read_safetensors(os.path.join(base_dir, 'model.safetensors'))
    ref = json.load(open(os.path.join(base_dir, 'reference.json')))
    ids = torch.tensor(ref['input_ids'])
    conv = lambda name, x: x @ w[name + '.weight'] + w[name + '.bias']
    base = gpt2_logits(w, c, ids, conv)
    expect = torch.tensor(ref['logits']['data'], dtype=torch.float64).reshape(ref['logits']['shape'])
    assert (base - expect).abs().max() < 1e-5, 'the GPT-2 re-implementation disagrees with its fixture'

    r, alpha = 4, 8
    scaling = alpha / r
    targets = ['c_attn', 'c_proj']  # c_proj matches attn.c_proj and mlp.c_proj, as PEFT's suffix matching does
    g = torch.Generator().manual_seed(7)
    lora = {}
    for name in sorted(k[:-len('.weight')] for k in w if k.endswith('.weight') and any(k.endswith(f'.{t}.weight') for t in targets)):
        fan_in, fan_out = w[name + '.weight'].shape  # Conv1D: [in, out]
        A = f32(torch.randn(r, fan_in, generator=g, dtype=torch.float64) / math.sqrt(fan_in))
        B = f32(torch.randn(fan_out, r, generator=g, dtype=torch.float64) * 0.3)  # init_lora_weights=False: B non-zero
        lora[name] = (A, B)

    def adapted(name, x):
        y = conv(name, x)
        if name in lora:
            A, B = lora[name]
            y = y + (x @ A.T @ B.T) * scaling
        return y

    lora_logits = gpt2_logits(w, c, ids, adapted)
    merged = dict(w)
    for name, (A, B) in lora.items():
        merged[name + '.weight'] = w[name + '.weight'] + (B @ A).T * scaling  # fan_in_fan_out: transpose ΔW
    merged_logits = gpt2_logits(merged, c, ids, lambda name, x: x @ merged[name + '.weight'] + merged[name + '.bias'])

    # QLoRA: every Conv1D projection held as NF4 of its transposed [out, in] weight, LoRA on top.
    deq = {name[:-len('.weight')]: nf4_roundtrip(w[name].T) for name in w if name.endswith('.weight') and ('.attn.c_' in name or '.mlp.c_' in name)}

    def qlora(name, x):
        y = x @ deq[name].T + w[name + '.bias']
        if name in lora:
            A, B = lora[name]
            y = y + (x @ A.T @ B.T) * scaling
        return y

    qlora_logits = gpt2_logits(w, c, ids, qlora)

    d = os.path.join(OUT, 'gpt2-lora')
    save_safetensors(os.path.join(d, 'adapter', 'adapter_model.safetensors'),
                     {f'base_model.model.{m}.lora_{k}.weight': t for m, (A, B) in lora.items() for k, t in (('A', A), ('B', B))},
                     {'format': 'pt'})
    write_json(os.path.join(d, 'adapter', 'adapter_config.json'), {
        'peft_type': 'LORA', 'task_type': 'CAUSAL_LM', 'base_model_name_or_path': None, 'r': r, 'lora_alpha': alpha,
        'lora_dropout': 0.0, 'target_modules': targets, 'exclude_modules': None, 'fan_in_fan_out': True, 'bias': 'none',
        'use_rslora': False, 'init_lora_weights': False, 'rank_pattern': {}, 'alpha_pattern': {}, 'modules_to_save': None,
        'inference_mode': True,
    })
    save_safetensors(os.path.join(d, 'expected.safetensors'), {
        'base_logits': base, 'lora_logits': lora_logits, 'merged_logits': merged_logits, 'qlora_logits': qlora_logits,
        'merged_c_attn_0': merged['transformer.h.0.attn.c_attn.weight'],
        'nf4_c_attn_0': deq['transformer.h.0.attn.c_attn'],
    }, {'inputs': json.dumps({'input_ids': ids.tolist()}), 'base': 'packages/transformer/fixtures/gpt2'})
    return {'lora_vs_base': float((lora_logits - base).abs().max()), 'merged_vs_lora': float((merged_logits - lora_logits).abs().max()),
            'qlora_vs_lora': float((qlora_logits - lora_logits).abs().max())}


# ---------------------------------------------------------------- LLaMA with PEFT's prefix
def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), -1)


def llama_logits(w, c, ids, am, prefix=None):
    """prefix: list per layer of (k, v), each [B, kvH, n, hd] (as the cache holds them, no RoPE)."""
    b, t = ids.shape
    H, KVH = c['num_attention_heads'], c['num_key_value_heads']
    hd = c.get('head_dim') or c['hidden_size'] // H
    n = 0 if prefix is None else prefix[0][0].shape[2]
    theta = (c.get('rope_parameters') or {}).get('rope_theta', c.get('rope_theta', 10000.0))
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    pos = torch.arange(n, n + t, dtype=torch.float64)[None].expand(b, t)
    fr = pos[..., None] * inv
    emb = torch.cat((fr, fr), -1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]
    full_am = torch.cat([torch.ones(b, n), am.to(torch.float64)], 1)
    causal = torch.cat([torch.ones(t, n), torch.tril(torch.ones(t, t))], 1)
    mask = (1.0 - causal)[None, None] * NEG + (1.0 - full_am[:, None, None, :]) * NEG
    eps = c['rms_norm_eps']
    rms = lambda x, p: w[p] * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))
    x = w['model.embed_tokens.weight'][ids]
    for i in range(c['num_hidden_layers']):
        l = f'model.layers.{i}'
        h = rms(x, f'{l}.input_layernorm.weight')
        q = (h @ w[f'{l}.self_attn.q_proj.weight'].T).view(b, t, H, hd).transpose(1, 2)
        k = (h @ w[f'{l}.self_attn.k_proj.weight'].T).view(b, t, KVH, hd).transpose(1, 2)
        v = (h @ w[f'{l}.self_attn.v_proj.weight'].T).view(b, t, KVH, hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if prefix is not None:
            k = torch.cat([prefix[i][0], k], 2)
            v = torch.cat([prefix[i][1], v], 2)
        k, v = k.repeat_interleave(H // KVH, 1), v.repeat_interleave(H // KVH, 1)
        y = F.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + mask, -1) @ v
        x = x + y.transpose(1, 2).reshape(b, t, H * hd) @ w[f'{l}.self_attn.o_proj.weight'].T
        m = rms(x, f'{l}.post_attention_layernorm.weight')
        x = x + (F.silu(m @ w[f'{l}.mlp.gate_proj.weight'].T) * (m @ w[f'{l}.mlp.up_proj.weight'].T)) @ w[f'{l}.mlp.down_proj.weight'].T
    return rms(x, 'model.norm.weight') @ w['lm_head.weight'].T


def make_llama_prefix():
    peft_dir = os.path.join(ROOT, 'fixtures', 'reference', 'peft')
    c = json.load(open(os.path.join(peft_dir, 'llama-base', 'config.json')))
    w, _ = read_safetensors(os.path.join(peft_dir, 'llama-base', 'model.safetensors'))
    exp, meta = read_safetensors(os.path.join(peft_dir, 'expected.safetensors'))
    inputs = json.loads(meta['inputs'])
    ids, am = torch.tensor(inputs['input_ids']), torch.tensor(inputs['attention_mask'])
    base = llama_logits(w, c, ids, am)
    keep = am.bool()
    assert (base - exp['base_logits'])[keep].abs().max() < 1e-4, 'the LLaMA re-implementation disagrees with the PEFT fixture'

    n = 3
    L, H, KVH = c['num_hidden_layers'], c['num_attention_heads'], c['num_key_value_heads']
    hd = c.get('head_dim') or c['hidden_size'] // H
    token_dim = c['hidden_size'] // H * KVH  # PEFT's GQA adjustment (peft/utils/other.py)
    g = torch.Generator().manual_seed(11)
    emb = f32(torch.randn(n, L * 2 * token_dim, generator=g, dtype=torch.float64))  # nn.Embedding's N(0, 1) init
    bsz = ids.shape[0]
    pkv = emb[None].expand(bsz, n, L * 2 * token_dim).reshape(bsz, n, L * 2, KVH, token_dim // KVH).permute(2, 0, 3, 1, 4).split(2)
    prefix = [(p[0], p[1]) for p in pkv]
    logits = llama_logits(w, c, ids, am, prefix)

    d = os.path.join(OUT, 'llama-prefix')
    save_safetensors(os.path.join(d, 'adapter', 'adapter_model.safetensors'), {'prompt_embeddings': emb}, {'format': 'pt'})
    write_json(os.path.join(d, 'adapter', 'adapter_config.json'), {
        'peft_type': 'PREFIX_TUNING', 'task_type': 'CAUSAL_LM', 'base_model_name_or_path': None, 'revision': None,
        'inference_mode': True, 'num_virtual_tokens': n, 'token_dim': token_dim, 'num_transformer_submodules': 1,
        'num_attention_heads': KVH, 'num_layers': L, 'encoder_hidden_size': token_dim, 'prefix_projection': False,
        'modules_to_save': None,
    })
    save_safetensors(os.path.join(d, 'expected.safetensors'), {'prefix_logits': logits, 'base_logits': base},
                     {'inputs': json.dumps({'input_ids': ids.tolist(), 'attention_mask': am.tolist()}), 'base': 'fixtures/reference/peft/llama-base'})
    return {'prefix_vs_base': float((logits - base)[keep].abs().max()), 'head_dim': hd}


if __name__ == '__main__':
    print(json.dumps({'torch': torch.__version__, 'gpt2_lora': make_gpt2_lora(), 'llama_prefix': make_llama_prefix()}, indent=2))
