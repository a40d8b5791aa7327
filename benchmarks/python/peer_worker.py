#!/usr/bin/env python3
"""Peer worker for @llm/benchmarks: runs one workload with numpy or PyTorch and times each
repetition itself (time.perf_counter around the work only, so the JSON-lines IPC with the Node
harness is not counted). Threads are fixed by the parent through the environment
(OPENBLAS_NUM_THREADS before numpy/torch load) and --torch-threads.

Protocol (one JSON object per line):
  -> {"op": "setup", "workload": "matmul"|"lstm"|"attention", ...params}
  <- {"ok": true, "info": "..."}
  -> {"op": "run"}            <- {"ok": true, "seconds": 0.0123, "cpu_seconds": 0.0241}
  -> {"op": "quit"}
"""
import argparse
import json
import sys
import time


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def setup_matmul(lib, p):
    n = int(p["n"])
    if lib == "numpy":
        import numpy as np
        rng = np.random.default_rng(0)
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        c = np.empty((n, n), dtype=np.float32)
        return (lambda: np.matmul(a, b, out=c)), "numpy %s" % np.__version__
    import torch
    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g)
    b = torch.randn(n, n, generator=g)
    c = torch.empty(n, n)
    return (lambda: torch.mm(a, b, out=c)), "torch %s" % torch.__version__


def setup_lstm(p):
    import torch
    from torch import nn
    torch.manual_seed(0)
    B, T, V, E, H, C = (int(p[k]) for k in ("batch", "seq", "vocab", "embed", "hidden", "classes"))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(V, E)
            self.lstm = nn.LSTM(E, H, batch_first=True)
            self.out = nn.Linear(H, C)

        def forward(self, x):
            h, _ = self.lstm(self.emb(x))
            return self.out(h[:, -1])

    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randint(0, V, (B, T))
    y = torch.randint(0, C, (B,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step, "torch %s nn.LSTM" % torch.__version__


def setup_attention(p):
    """Pre-LayerNorm causal self-attention blocks (+ GELU MLP). vocab == 0: one block on random
    inputs, loss mean(y^2); vocab > 0: a GPT (token + position embeddings, blocks, final
    LayerNorm, LM head), next-token cross-entropy."""
    import math
    import torch
    from torch import nn
    torch.manual_seed(0)
    B, T, D, NH, L, V = (int(p[k]) for k in ("batch", "seq", "dim", "heads", "layers", "vocab"))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(D)
            self.qkv = nn.Linear(D, 3 * D)
            self.proj = nn.Linear(D, D)
            self.ln2 = nn.LayerNorm(D)
            self.fc = nn.Linear(D, 4 * D)
            self.fc2 = nn.Linear(4 * D, D)
            self.register_buffer("mask", torch.triu(torch.full((T, T), float("-inf")), diagonal=1))

        def forward(self, x):
            h = self.ln1(x)
            q, k, v = self.qkv(h).split(D, dim=-1)
            hd = D // NH
            q = q.view(B, T, NH, hd).transpose(1, 2)
            k = k.view(B, T, NH, hd).transpose(1, 2)
            v = v.view(B, T, NH, hd).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) / math.sqrt(hd) + self.mask
            y = torch.softmax(att, dim=-1) @ v
            x = x + self.proj(y.transpose(1, 2).reshape(B, T, D))
            return x + self.fc2(torch.nn.functional.gelu(self.fc(self.ln2(x)), approximate="tanh"))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([Block() for _ in range(L)])
            if V > 0:
                self.tok = nn.Embedding(V, D)
                self.pos = nn.Embedding(T, D)
                self.lnf = nn.LayerNorm(D)
                self.head = nn.Linear(D, V)

        def forward(self, x):
            if V > 0:
                x = self.tok(x) + self.pos.weight
            for b in self.blocks:
                x = b(x)
            return self.head(self.lnf(x)) if V > 0 else x

    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    if V > 0:
        x = torch.randint(0, V, (B, T))
        y = torch.randint(0, V, (B, T))
        loss_fn = lambda: nn.functional.cross_entropy(model(x).reshape(B * T, V), y.reshape(B * T))
    else:
        x = torch.randn(B, T, D)
        loss_fn = lambda: model(x).pow(2).mean()

    def step():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        return loss.item()

    params = sum(q.numel() for q in model.parameters())
    return step, "torch %s, %d layers, %d parameters" % (torch.__version__, L, params)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", choices=["numpy", "torch"], required=True)
    ap.add_argument("--torch-threads", type=int, default=1)
    args = ap.parse_args()
    if args.lib == "torch":
        import torch
        torch.set_num_threads(args.torch_threads)
    work = None
    for line in sys.stdin:
        try:
            msg = json.loads(line)
            op = msg.get("op")
            if op == "quit":
                break
            if op == "setup":
                w = msg["workload"]
                if w == "matmul":
                    work, info = setup_matmul(args.lib, msg)
                elif w == "lstm":
                    work, info = setup_lstm(msg)
                elif w == "attention":
                    work, info = setup_attention(msg)
                else:
                    raise ValueError("unknown workload %r" % w)
                reply({"ok": True, "info": info})
            elif op == "run":
                c0 = time.process_time()
                t0 = time.perf_counter()
                work()
                t1 = time.perf_counter()
                reply({"ok": True, "seconds": t1 - t0, "cpu_seconds": time.process_time() - c0})
            else:
                raise ValueError("unknown op %r" % op)
        except Exception as e:  # reported to the harness, which skips this peer
            reply({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})


if __name__ == "__main__":
    main()
