#!/usr/bin/python3
"""Golden fixture for @llm/quant's ggml block quantizers.

Calls llama.cpp's own reference quantizers (quantize_row_<type>_ref) and dequantizers
(dequantize_row_<type>) through ctypes in the libggml-base.so that node-llama-cpp's
@node-llama-cpp/linux-x64 package ships, on seeded inputs with awkward blocks (zeros,
constants, outliers, ties, tiny and negative-max blocks), and writes inputs, block bytes and
decoded floats to packages/quant/fixtures/ggml-ref.json.gz.

Run from the repo root after `pnpm install`:  /usr/bin/python3 tools/golden/quant/ggml_ref.py
"""
import base64, ctypes, glob, gzip, json, os, sys
import numpy as np

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
libs = glob.glob(os.path.join(root, 'node_modules/.pnpm/@node-llama-cpp+linux-x64@*/node_modules/@node-llama-cpp/linux-x64/bins/*/libggml-base.so'))
if not libs:
    sys.exit('libggml-base.so not found: run pnpm install first')
lib = ctypes.CDLL(libs[0])
meta_path = os.path.join(os.path.dirname(libs[0]), '_nlcBuildMetadata.json')
meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}

# name -> (block elements, block bytes)
TYPES = {
    'q8_0': (32, 34), 'q4_0': (32, 18), 'q4_1': (32, 20), 'q5_0': (32, 22), 'q5_1': (32, 24),
    'q4_K': (256, 144), 'q5_K': (256, 176), 'q6_K': (256, 210),
}

rng = np.random.default_rng(20261126)
n = 2048
x = rng.standard_normal(n).astype(np.float32) * 0.05
x[0:32] = 0.0                                   # an all-zero block
x[32:64] = 0.25                                 # a constant block
x[64:96] = rng.uniform(-1, 1, 32).astype(np.float32)
x[96] = -3.0                                    # a negative absolute max
x[128:160] = np.round(rng.uniform(-8, 8, 32)).astype(np.float32) / 8  # exact grid values, ties
x[300] = 7.5                                    # an outlier inside a k-quant super-block
x[512:768] = rng.uniform(0.0, 1.0, 256).astype(np.float32)  # all-positive super-block (min > 0 path)
x[768:1024] = (rng.standard_normal(256) * 1e-3).astype(np.float32)
x[1024:1280] = 0.0                              # an all-zero super-block
x[1280:1536] = -rng.uniform(0.0, 2.0, 256).astype(np.float32)
x[1600:1632] = 1e-20                            # tiny values
x = x.astype(np.float32)

out = {'source': os.path.relpath(libs[0], root), 'llama_cpp': meta.get('buildOptions', {}).get('llamaCpp', {}),
       'n': n, 'input': base64.b64encode(x.tobytes()).decode(), 'types': {}}
xp = x.ctypes.data_as(ctypes.c_void_p)
for name, (bs, ts) in TYPES.items():
    q = np.zeros(n // bs * ts, dtype=np.uint8)
    getattr(lib, f'quantize_row_{name}_ref')(xp, q.ctypes.data_as(ctypes.c_void_p), ctypes.c_int64(n))
    y = np.zeros(n, dtype=np.float32)
    getattr(lib, f'dequantize_row_{name}')(q.ctypes.data_as(ctypes.c_void_p), y.ctypes.data_as(ctypes.c_void_p), ctypes.c_int64(n))
    out['types'][name.upper()] = {'blocks': base64.b64encode(q.tobytes()).decode(), 'dequant': base64.b64encode(y.tobytes()).decode()}

dst = os.path.join(root, 'packages/quant/fixtures/ggml-ref.json.gz')
with gzip.open(dst, 'wt') as f:
    json.dump(out, f)
print('wrote', dst, os.path.getsize(dst), 'bytes')
