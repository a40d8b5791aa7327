#!/usr/bin/python3
"""Golden fixtures for @llm/transformer.

Builds tiny random GPT-2, BERT (MLM / sequence classification / QA), T5 and LLaMA models in plain
PyTorch whose module tree and parameter names follow Hugging Face transformers' modeling_gpt2.py,
modeling_bert.py, modeling_t5.py and modeling_llama.py (the names are the contract; the code is an
independent re-implementation written for this script), saves each as an HF folder
(config.json + model.safetensors, LLaMA sharded with model.safetensors.index.json), and writes
reference.json with fixed inputs and the reference outputs computed in float64.

Run:  /usr/bin/python3 tools/golden/transformer/make_fixtures.py packages/transformer/fixtures
Needs only Debian's python3-torch and python3-numpy (no transformers, no safetensors package).
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else "packages/transformer/fixtures"


# ---------------------------------------------------------------- safetensors (hand-rolled)
def save_safetensors(path, tensors, metadata=None):
    """Write a dict name -> torch tensor as safetensors (F32 little-endian, sorted by name)."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    off = 0
    for name in sorted(tensors):
        a = tensors[name].detach().to(torch.float32).contiguous().numpy().astype("<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def save_folder(name, model, config, drop=(), shards=1):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    sd = {k: v for k, v in model.state_dict().items() if k not in drop}
    if shards == 1:
        save_safetensors(os.path.join(d, "model.safetensors"), sd, {"format": "pt"})
    else:
        names = sorted(sd)
        per = math.ceil(len(names) / shards)
        weight_map = {}
        total = 0
        for i in range(shards):
            fn = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
            part = {k: sd[k] for k in names[i * per:(i + 1) * per]}
            for k in part:
                weight_map[k] = fn
                total += part[k].numel() * 4
            save_safetensors(os.path.join(d, fn), part, {"format": "pt"})
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return d


def randomize(model, seed, std=0.3):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight") and ("ln" in name or "LayerNorm" in name or "layer_norm" in name or "norm" in name):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(std * torch.randn(p.shape, generator=g))
    # Round to float32 (what the file stores), then compute the reference in float64.
    model.to(torch.float32)
    model.to(torch.float64)
    model.eval()


def write_ref(name, ref):
    def conv(v):
        if isinstance(v, torch.Tensor):
            return {"shape": list(v.shape), "data": [float("%.9g" % x) for x in v.detach().reshape(-1).tolist()]}
        return v
    with open(os.path.join(OUT, name, "reference.json"), "w") as f:
        json.dump({k: conv(v) for k, v in ref.items()}, f)


NEG = -1e9  # additive mask value (HF uses finfo.min; any large negative gives the same softmax)


# ---------------------------------------------------------------- GPT-2
class Conv1D(nn.Module):
    """GPT-2's Conv1D: weight stored [in, out], y = x @ W + b."""

    def __init__(self, nf, nx):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        return x @ self.weight + self.bias


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPT2Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["n_embd"]
        self.h = c["n_head"]
        self.c_attn = Conv1D(3 * d, d)
        self.c_proj = Conv1D(d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)
        sh = lambda z: z.view(b, t, self.h, d // self.h).transpose(1, 2)
        q, k, v = sh(q), sh(k), sh(v)
        w = q @ k.transpose(-1, -2) / math.sqrt(d // self.h)
        causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
        w = w.masked_fill(~causal, NEG)
        y = F.softmax(w, -1) @ v
        return self.c_proj(y.transpose(1, 2).reshape(b, t, d))


class GPT2MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["n_embd"]
        inner = c["n_inner"] or 4 * d
        self.c_fc = Conv1D(inner, d)
        self.c_proj = Conv1D(d, inner)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["n_embd"]
        self.ln_1 = nn.LayerNorm(d, eps=c["layer_norm_epsilon"])
        self.attn = GPT2Attention(c)
        self.ln_2 = nn.LayerNorm(d, eps=c["layer_norm_epsilon"])
        self.mlp = GPT2MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.wpe = nn.Embedding(c["n_positions"], c["n_embd"])
        self.h = nn.ModuleList([GPT2Block(c) for _ in range(c["n_layer"])])
        self.ln_f = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))[None]
        for blk in self.h:
            x = blk(x)
        return self.ln_f(x)


class GPT2LMHeadModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = GPT2Model(c)
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied

    def forward(self, ids):
        h = self.transformer(ids)
        return h, self.lm_head(h)


def make_gpt2():
    c = {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "activation_function": "gelu_new",
        "vocab_size": 96, "n_positions": 32, "n_ctx": 32, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_inner": None,
        "layer_norm_epsilon": 1e-5, "bos_token_id": 95, "eos_token_id": 95, "tie_word_embeddings": True,
        "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1, "initializer_range": 0.02,
        "scale_attn_weights": True, "use_cache": True, "torch_dtype": "float32",
    }
    m = GPT2LMHeadModel(c)
    randomize(m, 1)
    ids = torch.tensor([[5, 17, 42, 8, 77, 3, 60], [11, 2, 90, 33, 33, 7, 1]])
    with torch.no_grad():
        hidden, logits = m(ids)
        # Greedy generation, full recompute each step (no cache) from the first prompt.
        gen = ids[:1].clone()
        for _ in range(10):
            nxt = m(gen)[1][:, -1].argmax(-1, keepdim=True)
            gen = torch.cat([gen, nxt], 1)
    save_folder("gpt2", m, c, drop=("lm_head.weight",))
    write_ref("gpt2", {"input_ids": ids.tolist(), "last_hidden_state": hidden, "logits": logits,
                       "greedy_ids": gen[0].tolist()})


# ---------------------------------------------------------------- BERT
class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], d)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], d)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], d)
        self.LayerNorm = nn.LayerNorm(d, eps=c["layer_norm_eps"])

    def forward(self, ids, tt):
        pos = torch.arange(ids.shape[1])[None]
        return self.LayerNorm(self.word_embeddings(ids) + self.token_type_embeddings(tt) + self.position_embeddings(pos))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.h = c["num_attention_heads"]
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)

    def forward(self, x, mask_add):
        b, t, d = x.shape
        sh = lambda z: z.view(b, t, self.h, d // self.h).transpose(1, 2)
        q, k, v = sh(self.query(x)), sh(self.key(x)), sh(self.value(x))
        w = q @ k.transpose(-1, -2) / math.sqrt(d // self.h) + mask_add
        return (F.softmax(w, -1) @ v).transpose(1, 2).reshape(b, t, d)


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, h, inp):
        return self.LayerNorm(self.dense(h) + inp)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, x, m):
        return self.output(self.self(x, m), x)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))  # exact erf GELU ("gelu")


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["intermediate_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, h, inp):
        return self.LayerNorm(self.dense(h) + inp)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, x, m):
        a = self.attention(x, m)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, m):
        for l in self.layer:
            x = l(x, m)
        return x


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, h):
        return torch.tanh(self.dense(h[:, 0]))


class BertModel(nn.Module):
    def __init__(self, c, pooling):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)
        self.pooler = BertPooler(c) if pooling else None

    def forward(self, ids, tt, am):
        m = (1.0 - am[:, None, None, :].to(torch.float64)) * NEG
        h = self.encoder(self.embeddings(ids, tt), m)
        return h, (self.pooler(h) if self.pooler is not None else None)


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x):
        return self.LayerNorm(F.gelu(self.dense(x)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = BertPredictionHeadTransform(c)
        self.decoder = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))

    def forward(self, x):
        return self.decoder(self.transform(x)) + self.bias


class BertOnlyMLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = BertLMPredictionHead(c)


class BertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c, pooling=False)
        self.cls = BertOnlyMLMHead(c)
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(self, ids, tt, am):
        h, _ = self.bert(ids, tt, am)
        return h, self.cls.predictions(h)


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c, pooling=True)
        self.classifier = nn.Linear(c["hidden_size"], len(c["id2label"]))

    def forward(self, ids, tt, am):
        h, pooled = self.bert(ids, tt, am)
        return h, self.classifier(pooled)


class BertForQuestionAnswering(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c, pooling=False)
        self.qa_outputs = nn.Linear(c["hidden_size"], 2)

    def forward(self, ids, tt, am):
        h, _ = self.bert(ids, tt, am)
        lg = self.qa_outputs(h)
        return h, lg[..., 0], lg[..., 1]


def bert_config(arch, extra=None):
    c = {
        "architectures": [arch], "model_type": "bert", "vocab_size": 100, "hidden_size": 32,
        "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 40,
        "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0,
        "position_embedding_type": "absolute", "torch_dtype": "float32",
    }
    c.update(extra or {})
    return c


def make_bert():
    # [CLS]=1 a b [SEP]=2 c d [SEP] ; second row padded with 0 and attention_mask 0.
    ids = torch.tensor([[1, 10, 55, 2, 70, 99, 2], [1, 42, 7, 2, 0, 0, 0]])
    tt = torch.tensor([[0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0]])
    am = torch.tensor([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]])
    base = {"input_ids": ids.tolist(), "token_type_ids": tt.tolist(), "attention_mask": am.tolist()}

    c = bert_config("BertForMaskedLM")
    m = BertForMaskedLM(c)
    randomize(m, 2)
    with torch.no_grad():
        h, lg = m(ids, tt, am)
    save_folder("bert-mlm", m, c, drop=("cls.predictions.decoder.weight",))
    write_ref("bert-mlm", {**base, "last_hidden_state": h, "logits": lg})

    c = bert_config("BertForSequenceClassification", {"id2label": {"0": "NEG", "1": "NEU", "2": "POS"},
                                                      "label2id": {"NEG": 0, "NEU": 1, "POS": 2}})
    m = BertForSequenceClassification(c)
    randomize(m, 3)
    with torch.no_grad():
        h, lg = m(ids, tt, am)
    save_folder("bert-cls", m, c)
    write_ref("bert-cls", {**base, "last_hidden_state": h, "logits": lg})

    c = bert_config("BertForQuestionAnswering")
    m = BertForQuestionAnswering(c)
    randomize(m, 4)
    with torch.no_grad():
        h, s, e = m(ids, tt, am)
    save_folder("bert-qa", m, c)
    write_ref("bert-qa", {**base, "last_hidden_state": h, "start_logits": s, "end_logits": e})


# ---------------------------------------------------------------- T5
class T5LayerNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def relative_position_bucket(rel, bidirectional, num_buckets, max_distance):
    buckets = torch.zeros_like(rel)
    if bidirectional:
        num_buckets //= 2
        buckets += (rel > 0).to(torch.long) * num_buckets
        rel = torch.abs(rel)
    else:
        rel = -torch.min(rel, torch.zeros_like(rel))
    max_exact = num_buckets // 2
    is_small = rel < max_exact
    large = max_exact + (torch.log(rel.float() / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return buckets + torch.where(is_small, rel, large)


class T5Attention(nn.Module):
    def __init__(self, c, has_bias, is_decoder):
        super().__init__()
        self.c = c
        self.is_decoder = is_decoder
        inner = c["num_heads"] * c["d_kv"]
        self.q = nn.Linear(c["d_model"], inner, bias=False)
        self.k = nn.Linear(c["d_model"], inner, bias=False)
        self.v = nn.Linear(c["d_model"], inner, bias=False)
        self.o = nn.Linear(inner, c["d_model"], bias=False)
        if has_bias:
            self.relative_attention_bias = nn.Embedding(c["relative_attention_num_buckets"], c["num_heads"])
        self.has_bias = has_bias

    def compute_bias(self, q_len, k_len):
        ctx = torch.arange(q_len)[:, None]
        mem = torch.arange(k_len)[None, :]
        b = relative_position_bucket(mem - ctx, not self.is_decoder, self.c["relative_attention_num_buckets"],
                                     self.c["relative_attention_max_distance"])
        return self.relative_attention_bias(b).permute(2, 0, 1)[None]  # [1, H, q, k]

    def forward(self, x, kv, position_bias):
        b, t, _ = x.shape
        s = kv.shape[1]
        H, dk = self.c["num_heads"], self.c["d_kv"]
        q = self.q(x).view(b, t, H, dk).transpose(1, 2)
        k = self.k(kv).view(b, s, H, dk).transpose(1, 2)
        v = self.v(kv).view(b, s, H, dk).transpose(1, 2)
        w = q @ k.transpose(-1, -2) + position_bias  # no 1/sqrt(d) in T5
        y = F.softmax(w, -1) @ v
        return self.o(y.transpose(1, 2).reshape(b, t, H * dk))


class T5LayerSelfAttention(nn.Module):
    def __init__(self, c, has_bias, is_decoder):
        super().__init__()
        self.SelfAttention = T5Attention(c, has_bias, is_decoder)
        self.layer_norm = T5LayerNorm(c["d_model"], c["layer_norm_epsilon"])

    def forward(self, x, pb):
        h = self.layer_norm(x)
        return x + self.SelfAttention(h, h, pb)


class T5LayerCrossAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.EncDecAttention = T5Attention(c, False, True)
        self.layer_norm = T5LayerNorm(c["d_model"], c["layer_norm_epsilon"])

    def forward(self, x, enc, pb):
        return x + self.EncDecAttention(self.layer_norm(x), enc, pb)


class T5DenseActDense(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wi = nn.Linear(c["d_model"], c["d_ff"], bias=False)
        self.wo = nn.Linear(c["d_ff"], c["d_model"], bias=False)

    def forward(self, x):
        return self.wo(F.relu(self.wi(x)))


class T5LayerFF(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.DenseReluDense = T5DenseActDense(c)
        self.layer_norm = T5LayerNorm(c["d_model"], c["layer_norm_epsilon"])

    def forward(self, x):
        return x + self.DenseReluDense(self.layer_norm(x))


class T5Block(nn.Module):
    def __init__(self, c, has_bias, is_decoder):
        super().__init__()
        self.is_decoder = is_decoder
        layers = [T5LayerSelfAttention(c, has_bias, is_decoder)]
        if is_decoder:
            layers.append(T5LayerCrossAttention(c))
        layers.append(T5LayerFF(c))
        self.layer = nn.ModuleList(layers)

    def forward(self, x, pb, enc=None, cross_pb=None):
        x = self.layer[0](x, pb)
        if self.is_decoder:
            x = self.layer[1](x, enc, cross_pb)
        return self.layer[-1](x)


class T5Stack(nn.Module):
    def __init__(self, c, embed, is_decoder):
        super().__init__()
        self.embed_tokens = embed
        self.is_decoder = is_decoder
        n = c["num_decoder_layers"] if is_decoder else c["num_layers"]
        self.block = nn.ModuleList([T5Block(c, i == 0, is_decoder) for i in range(n)])
        self.final_layer_norm = T5LayerNorm(c["d_model"], c["layer_norm_epsilon"])

    def forward(self, ids, am, enc=None, enc_am=None):
        x = self.embed_tokens(ids)
        t = ids.shape[1]
        pb = self.block[0].layer[0].SelfAttention.compute_bias(t, t)
        mask = (1.0 - am[:, None, None, :].to(torch.float64)) * NEG
        if self.is_decoder:
            causal = torch.tril(torch.ones(t, t))
            mask = mask + (1.0 - causal)[None, None] * NEG
        pb = pb + mask
        cross_pb = None
        if self.is_decoder:
            cross_pb = (1.0 - enc_am[:, None, None, :].to(torch.float64)) * NEG
        for blk in self.block:
            x = blk(x, pb, enc, cross_pb)
        return self.final_layer_norm(x)


class T5ForConditionalGeneration(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.shared = nn.Embedding(c["vocab_size"], c["d_model"])
        self.encoder = T5Stack(c, self.shared, False)
        self.decoder = T5Stack(c, self.shared, True)

    def forward(self, ids, am, dec_ids):
        enc = self.encoder(ids, am)
        dec = self.decoder(dec_ids, torch.ones_like(dec_ids), enc, am)
        logits = (dec * self.c["d_model"] ** -0.5) @ self.shared.weight.T  # tied: rescale
        return enc, dec, logits


def make_t5():
    c = {
        "architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "vocab_size": 80, "d_model": 32,
        "d_kv": 8, "d_ff": 64, "num_layers": 2, "num_decoder_layers": 2, "num_heads": 4,
        "relative_attention_num_buckets": 8, "relative_attention_max_distance": 20, "dropout_rate": 0.1,
        "layer_norm_epsilon": 1e-6, "initializer_factor": 1.0, "feed_forward_proj": "relu",
        "is_encoder_decoder": True, "tie_word_embeddings": True, "use_cache": True, "pad_token_id": 0,
        "eos_token_id": 1, "decoder_start_token_id": 0, "torch_dtype": "float32",
    }
    m = T5ForConditionalGeneration(c)
    randomize(m, 5)
    # Long enough (12) that relative distances pass max_exact and hit the log buckets.
    ids = torch.tensor([[13, 5, 22, 71, 9, 40, 3, 17, 28, 66, 2, 1], [7, 7, 30, 12, 1, 0, 0, 0, 0, 0, 0, 0]])
    am = (ids != 0).long()
    am[0, :] = 1
    dec = torch.tensor([[0, 4, 19, 33, 8, 50, 11, 2, 25, 60], [0, 70, 3, 3, 41, 9, 1, 14, 14, 5]])
    with torch.no_grad():
        enc, dh, logits = m(ids, am, dec)
        gen = torch.tensor([[0]])
        for _ in range(8):
            nxt = m(ids[:1], am[:1], gen)[2][:, -1].argmax(-1, keepdim=True)
            gen = torch.cat([gen, nxt], 1)
    rel = torch.arange(-300, 301)
    save_folder("t5", m, c, drop=("encoder.embed_tokens.weight", "decoder.embed_tokens.weight"))  # tied copies, as save_pretrained drops them
    write_ref("t5", {"input_ids": ids.tolist(), "attention_mask": am.tolist(), "decoder_input_ids": dec.tolist(),
                     "encoder_last_hidden_state": enc, "logits": logits, "greedy_ids": gen[0].tolist(),
                     "buckets": {"rel": rel.tolist(),
                                 "bidirectional": relative_position_bucket(rel, True, 32, 128).tolist(),
                                 "unidirectional": relative_position_bucket(rel, False, 32, 128).tolist()}})


# ---------------------------------------------------------------- LLaMA
class LlamaRMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d = c["hidden_size"]
        self.H = c["num_attention_heads"]
        self.KVH = c["num_key_value_heads"]
        self.hd = d // self.H
        self.q_proj = nn.Linear(d, self.H * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.KVH * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.KVH * self.hd, bias=False)
        self.o_proj = nn.Linear(self.H * self.hd, d, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.H, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.KVH, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.KVH, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.H // self.KVH
        k = k.repeat_interleave(rep, dim=1)  # repeat_kv: head j uses kv head j // rep
        v = v.repeat_interleave(rep, dim=1)
        w = q @ k.transpose(-1, -2) / math.sqrt(self.hd) + mask
        y = F.softmax(w, -1) @ v
        return self.o_proj(y.transpose(1, 2).reshape(b, t, self.H * self.hd))


class LlamaMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, i = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = nn.Linear(d, i, bias=False)
        self.up_proj = nn.Linear(d, i, bias=False)
        self.down_proj = nn.Linear(i, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = LlamaAttention(c)
        self.mlp = LlamaMLP(c)
        self.input_layernorm = LlamaRMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.post_attention_layernorm = LlamaRMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([LlamaDecoderLayer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = LlamaRMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, ids, am):
        b, t = ids.shape
        hd = self.c["hidden_size"] // self.c["num_attention_heads"]
        inv = 1.0 / (self.c["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        # Left padding: positions count real tokens only (position_ids = cumsum(mask) - 1, as HF generate does).
        pos = (am.cumsum(-1) - 1).clamp(min=0).to(torch.float64)
        fr = pos[..., None] * inv
        emb = torch.cat((fr, fr), -1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        causal = torch.tril(torch.ones(t, t))
        mask = (1.0 - causal)[None, None] * NEG + (1.0 - am[:, None, None, :].to(torch.float64)) * NEG
        x = self.embed_tokens(ids)
        for l in self.layers:
            x = l(x, cos, sin, mask)
        return self.norm(x)


class LlamaForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.model = LlamaModel(c)
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)

    def forward(self, ids, am):
        h = self.model(ids, am)
        return h, self.lm_head(h)


def make_llama():
    c = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 64, "hidden_size": 32,
        "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "hidden_act": "silu", "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
        "rope_scaling": None, "attention_bias": False, "tie_word_embeddings": False, "bos_token_id": 1,
        "eos_token_id": 2, "initializer_range": 0.02, "use_cache": True, "torch_dtype": "float32",
    }
    m = LlamaForCausalLM(c)
    randomize(m, 6)
    # Second row left-padded (pad id 0, mask 0), as batched generation does.
    ids = torch.tensor([[1, 20, 33, 5, 61, 8, 12, 40], [0, 0, 1, 9, 9, 50, 3, 27]])
    am = torch.tensor([[1] * 8, [0, 0, 1, 1, 1, 1, 1, 1]])
    with torch.no_grad():
        h, logits = m(ids, am)
        gen = ids[:1].clone()
        for _ in range(10):
            nxt = m(gen, torch.ones_like(gen))[1][:, -1].argmax(-1, keepdim=True)
            gen = torch.cat([gen, nxt], 1)
    save_folder("llama", m, c, shards=2)
    write_ref("llama", {"input_ids": ids.tolist(), "attention_mask": am.tolist(), "last_hidden_state": h,
                        "logits": logits, "greedy_ids": gen[0].tolist()})


# ---------------------------------------------------------------- training utilities
def make_training():
    """AdamW steps, label-smoothed cross-entropy with ignore_index, grad-norm clipping, HF cosine schedule."""
    g = torch.Generator().manual_seed(7)
    w0 = torch.randn(4, 3, generator=g)
    b0 = torch.randn(3, generator=g)
    grads = [(torch.randn(4, 3, generator=g), torch.randn(3, generator=g)) for _ in range(3)]
    w = nn.Parameter(w0.clone())
    b = nn.Parameter(b0.clone())
    opt = torch.optim.AdamW([w, b], lr=0.05, betas=(0.9, 0.98), eps=1e-8, weight_decay=0.1)
    for gw, gb in grads:
        w.grad = gw.clone()
        b.grad = gb.clone()
        opt.step()
    logits = torch.randn(5, 7, generator=g, dtype=torch.float64)
    targets = torch.tensor([3, -100, 0, 6, 2])
    ce = F.cross_entropy(logits, targets, ignore_index=-100, label_smoothing=0.1)
    ce0 = F.cross_entropy(logits, targets, ignore_index=-100)
    p1 = nn.Parameter(torch.zeros(2, 2))
    p2 = nn.Parameter(torch.zeros(3))
    p1.grad = torch.tensor([[3.0, 4.0], [0.0, 12.0]])
    p2.grad = torch.tensor([1.0, 2.0, 2.0])
    norm = torch.nn.utils.clip_grad_norm_([p1, p2], max_norm=1.0)
    sched = []
    warm, total = 3, 10
    for step in range(12):
        if step < warm:
            f = step / max(1, warm)
        else:
            prog = (step - warm) / max(1, total - warm)
            f = max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * prog)))
        sched.append(f)
    os.makedirs(os.path.join(OUT, "training"), exist_ok=True)
    write_ref("training", {
        "adamw": {"lr": 0.05, "betas": [0.9, 0.98], "eps": 1e-8, "weight_decay": 0.1},
        "w0": w0, "b0": b0, "grads_w": torch.stack([x[0] for x in grads]), "grads_b": torch.stack([x[1] for x in grads]),
        "w3": w.detach(), "b3": b.detach(),
        "logits": logits, "targets": targets.tolist(), "ce_smoothed": float(ce), "ce": float(ce0),
        "clip_norm": float(norm), "clipped_p1": p1.grad, "clipped_p2": p2.grad,
        "cosine_factors": sched,
    })


if __name__ == "__main__":
    torch.manual_seed(0)
    make_gpt2()
    make_bert()
    make_t5()
    make_llama()
    make_training()
    print("wrote fixtures to", OUT)
