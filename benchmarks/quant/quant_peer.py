#!/usr/bin/python3
"""Peer for benchmarks/quant/quantize.mjs: on the same seeded float32 data (read from a file),
(1) llama.cpp's own C reference quantizers quantize_row_<type>_ref from the libggml-base.so that
node-llama-cpp ships (ctypes), and (2) a vectorized NumPy Q8_0/Q4_0 written from the same
definition (Debian python3-numpy). Prints one JSON line of median seconds per type."""
import ctypes, glob, json, os, sys, time
import numpy as np

path, runs = sys.argv[1], int(sys.argv[2])
x = np.fromfile(path, dtype=np.float32)
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
lib = ctypes.CDLL(glob.glob(os.path.join(root, 'node_modules/.pnpm/@node-llama-cpp+linux-x64@*/node_modules/@node-llama-cpp/linux-x64/bins/*/libggml-base.so'))[0])
SIZES = {'q8_0': (32, 34), 'q4_0': (32, 18), 'q4_1': (32, 20), 'q5_0': (32, 22), 'q5_1': (32, 24), 'q4_K': (256, 144), 'q5_K': (256, 176), 'q6_K': (256, 210), 'q2_K': (256, 84), 'q3_K': (256, 110)}
med = lambda v: sorted(v)[len(v) // 2]
out = {'c_ref': {}, 'numpy': {}}
for name, (bs, ts) in SIZES.items():
    buf = np.zeros(len(x) // bs * ts, dtype=np.uint8)
    f = getattr(lib, f'quantize_row_{name}_ref')
    t = []
    for _ in range(runs):
        t0 = time.process_time(); f(x.ctypes.data_as(ctypes.c_void_p), buf.ctypes.data_as(ctypes.c_void_p), ctypes.c_int64(len(x))); t.append(time.process_time() - t0)
    out['c_ref'][name.upper()] = med(t)

def q8_0(x):
    b = x.reshape(-1, 32)
    d = np.abs(b).max(axis=1) / 127
    idd = np.where(d != 0, 1 / np.where(d == 0, 1, d), 0).astype(np.float32)
    q = np.round(b * idd[:, None]).astype(np.int8)
    return d.astype(np.float16), q

def q4_0(x):
    b = x.reshape(-1, 32)
    i = np.abs(b).argmax(axis=1)
    mx = b[np.arange(len(b)), i]
    d = (mx / -8).astype(np.float32)
    idd = np.where(d != 0, 1 / np.where(d == 0, 1, d), 0).astype(np.float32)
    q = np.minimum(15, np.trunc(b * idd[:, None] + np.float32(8.5))).astype(np.uint8)
    return d.astype(np.float16), (q[:, :16] | (q[:, 16:] << 4))

for name, fn in (('Q8_0', q8_0), ('Q4_0', q4_0)):
    t = []
    for _ in range(runs):
        t0 = time.process_time(); fn(x); t.append(time.process_time() - t0)
    out['numpy'][name] = med(t)
print(json.dumps(out))
