#!/usr/bin/python3
"""PyTorch peer of benchmarks/seq/lstm-train-step.mjs: one Adam training step of
Embedding(V, 128) -> LSTM(128 -> 128) -> Linear(128 -> 2) on a [32, 200] batch of token ids.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 torch_lstm_step.py --threads 1

Prints one JSON line: {"threads", "steps", "median_ms", "times_ms"}.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, vocab, emb, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
        self.rnn = nn.LSTM(emb, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, ids):
        _, (h, _) = self.rnn(self.embedding(ids))
        return self.fc(h[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--vocab', type=int, default=5000)
    ap.add_argument('--emb', type=int, default=128)
    ap.add_argument('--hidden', type=int, default=128)
    ap.add_argument('--seq', type=int, default=200)
    ap.add_argument('--batch', type=int, default=32)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    m = Classifier(a.vocab, a.emb, a.hidden, 2)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    ids = torch.randint(1, a.vocab, (a.batch, a.seq))
    y = torch.randint(0, 2, (a.batch,))
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(m(ids), y)
        loss.backward()
        opt.step()
        dt = (time.perf_counter() - t0) * 1000
        if i >= a.warmup:
            times.append(dt)
    print(json.dumps({'threads': a.threads, 'steps': a.steps, 'median_ms': statistics.median(times), 'times_ms': times, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
