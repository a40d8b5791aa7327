#!/usr/bin/python3
"""Golden fixtures for @llm/seq, made with PyTorch's nn.RNN / nn.LSTM / nn.GRU.

Run with Debian's interpreter (python3-torch 1.13):

    /usr/bin/python3 tools/golden/seq/make_fixtures.py

For every case it writes packages/seq/fixtures/<case>.safetensors holding
  - the module's state_dict under PyTorch's own names (weight_ih_l0, weight_hh_l0, bias_ih_l0,
    bias_hh_l0, ..._reverse), exactly as torch stores them;
  - input [B, T, F] (batch_first), lengths [B] (I32), optional h0 / c0;
  - output [B, T, D*H] as pad_packed_sequence returns it (zeros past each length), h_n, c_n;
  - r_output, r_h_n, r_c_n: fixed random weights of the scalar loss
        L = sum(output * r_output) + sum(h_n * r_h_n) [+ sum(c_n * r_c_n)]
  - grad.<name> for every weight and grad.input: dL/d(weight), dL/d(input).
The computation runs in float64 on weights and inputs that were first rounded to float32, so the
stored float32 numbers are the float64 truth rounded once. The safetensors writer is hand-rolled
(the format is an 8-byte little-endian header length, a JSON header, then raw little-endian data).
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'packages', 'seq', 'fixtures')


def write_safetensors(path, tensors, metadata):
    header = {}
    blobs = []
    offset = 0
    # Same order as the safetensors library: by dtype size (descending), then name.
    items = sorted(tensors.items(), key=lambda kv: (-kv[1].dtype.itemsize, kv[0]))
    for name, arr in items:
        arr = np.ascontiguousarray(arr)
        dtype = {np.dtype('float32'): 'F32', np.dtype('int32'): 'I32'}[arr.dtype]
        data = arr.astype(arr.dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header['__metadata__'] = metadata
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def f32(t):
    return t.detach().to(torch.float32).numpy()


def make_case(name, kind, bidirectional, seed, with_h0=False, nonlinearity='tanh'):
    torch.manual_seed(seed)
    B, T, F, H, L = 3, 5, 3, 4, 2
    D = 2 if bidirectional else 1
    cls = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}[kind]
    kwargs = dict(input_size=F, hidden_size=H, num_layers=L, batch_first=True, bidirectional=bidirectional)
    if kind == 'rnn':
        kwargs['nonlinearity'] = nonlinearity
    m = cls(**kwargs).double()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(p.to(torch.float32).to(torch.float64))  # exactly representable in float32
    x = torch.randn(B, T, F, dtype=torch.float64).to(torch.float32).to(torch.float64).requires_grad_(True)
    lengths = torch.tensor([5, 2, 4], dtype=torch.int64)  # unsorted: enforce_sorted=False
    h0 = c0 = None
    if with_h0:
        h0 = torch.randn(L * D, B, H, dtype=torch.float64).to(torch.float32).to(torch.float64)
        if kind == 'lstm':
            c0 = torch.randn(L * D, B, H, dtype=torch.float64).to(torch.float32).to(torch.float64)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    if kind == 'lstm':
        state = None if h0 is None else (h0, c0)
        out_p, (h_n, c_n) = m(packed, state)
    else:
        out_p, h_n = m(packed, h0)
        c_n = None
    out, _ = pad_packed_sequence(out_p, batch_first=True, total_length=T)
    r_out = torch.randn(out.shape, dtype=torch.float64).to(torch.float32).to(torch.float64)
    r_h = torch.randn(h_n.shape, dtype=torch.float64).to(torch.float32).to(torch.float64)
    loss = (out * r_out).sum() + (h_n * r_h).sum()
    tensors = {}
    if c_n is not None:
        r_c = torch.randn(c_n.shape, dtype=torch.float64).to(torch.float32).to(torch.float64)
        loss = loss + (c_n * r_c).sum()
        tensors['r_c_n'] = f32(r_c)
        tensors['c_n'] = f32(c_n)
    loss.backward()
    for pname, p in m.state_dict().items():
        tensors[pname] = f32(p)
    for pname, p in m.named_parameters():
        tensors['grad.' + pname] = f32(p.grad)
    tensors['input'] = f32(x)
    tensors['grad.input'] = f32(x.grad)
    tensors['lengths'] = lengths.to(torch.int32).numpy()
    tensors['output'] = f32(out)
    tensors['h_n'] = f32(h_n)
    tensors['r_output'] = f32(r_out)
    tensors['r_h_n'] = f32(r_h)
    if h0 is not None:
        tensors['h0'] = f32(h0)
    if c0 is not None:
        tensors['c0'] = f32(c0)
    meta = {
        'kind': kind, 'bidirectional': str(bidirectional).lower(), 'num_layers': str(L), 'hidden_size': str(H),
        'input_size': str(F), 'nonlinearity': nonlinearity, 'loss': float(loss), 'seed': str(seed),
        'torch': torch.__version__, 'made_by': 'tools/golden/seq/make_fixtures.py',
    }
    meta['loss'] = repr(float(loss))
    write_safetensors(os.path.join(OUT, name + '.safetensors'), tensors, meta)
    print(f'{name}: loss {float(loss):.6f}')


def main():
    os.makedirs(OUT, exist_ok=True)
    make_case('rnn_uni', 'rnn', False, 1)
    make_case('rnn_bi', 'rnn', True, 2)
    make_case('rnn_relu_bi_h0', 'rnn', True, 3, with_h0=True, nonlinearity='relu')
    make_case('lstm_uni', 'lstm', False, 4)
    make_case('lstm_bi', 'lstm', True, 5)
    make_case('lstm_bi_h0', 'lstm', True, 6, with_h0=True)
    make_case('gru_uni', 'gru', False, 7)
    make_case('gru_bi', 'gru', True, 8)
    make_case('gru_bi_h0', 'gru', True, 9, with_h0=True)


if __name__ == '__main__':
    main()
