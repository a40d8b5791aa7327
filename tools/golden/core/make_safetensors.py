#!/usr/bin/env python3
"""Golden safetensors fixture for @llm/core, written with numpy and PyTorch.

Run with Debian's interpreter (it has python3-torch and python3-numpy):
    /usr/bin/python3 tools/golden/core/make_safetensors.py

Debian has no package of the `safetensors` Python library, so this script writes the container
itself, following the format's specification the way the reference writer lays it out
(__metadata__ first, tensors sorted by dtype size then name, header padded with spaces to 8 bytes).
The tensor bytes come from numpy and torch (float16 from numpy's IEEE conversion, bfloat16 from
torch's round-to-nearest-even), so the test proves that @llm/core reads what these libraries
produce and converts float32 to f16/bf16 bit-for-bit as they do.

Outputs (committed): packages/core/test/fixtures/python-written.safetensors and .json
"""
import json
import os
import struct

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'packages', 'core', 'test', 'fixtures')

torch.manual_seed(1234)
f32 = torch.randn(2, 3, dtype=torch.float32)
# Values that exercise rounding: ties, subnormals, overflow, signed zero, tiny.
special = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 65520.0, 1e-8, 6.0e-5, 5.96e-8, 3.14159265,
                    1.0009765625, 1.00048828125, 0.333333343, 1e30, -1e-30, 2049.0, 4097.0], dtype=np.float32)
rand = torch.randn(64, dtype=torch.float32).numpy() * 100

src16 = np.concatenate([special, rand]).astype(np.float32)
with np.errstate(over='ignore'):
    f16 = src16.astype(np.float16)  # 65520 and 1e30 overflow to inf, as IEEE says
bf16 = torch.from_numpy(src16.copy()).to(torch.bfloat16)

tensors = {
    'weight.f32': ('F32', list(f32.shape), f32.numpy().tobytes()),
    'values.f16': ('F16', [src16.size], f16.tobytes()),
    'values.bf16': ('BF16', [src16.size], bf16.view(torch.int16).numpy().tobytes()),
    'ids.i64': ('I64', [2, 2], np.array([[0, 1], [2**40, -7]], dtype='<i8').tobytes()),
    'ids.i32': ('I32', [3], np.array([-1, 0, 2**31 - 1], dtype='<i4').tobytes()),
    'q.i8': ('I8', [4], np.array([-128, -1, 0, 127], dtype=np.int8).tobytes()),
    'mask.u8': ('U8', [2, 2], np.array([[0, 255], [1, 2]], dtype=np.uint8).tobytes()),
    'scalar.f32': ('F32', [], np.array(7.5, dtype='<f4').tobytes()),
    'empty.f32': ('F32', [0, 4], b''),
}
SIZE = {'F32': 4, 'F16': 2, 'BF16': 2, 'I64': 8, 'I32': 4, 'I8': 1, 'U8': 1}
metadata = {'format': 'pt', 'producer': 'tools/golden/core/make_safetensors.py'}

order = sorted(tensors.items(), key=lambda kv: (-SIZE[kv[1][0]], kv[0]))
header = {'__metadata__': metadata}
offset = 0
for name, (dtype, shape, data) in order:
    header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [offset, offset + len(data)]}
    offset += len(data)
hjson = json.dumps(header, separators=(',', ':')).encode('utf-8')
hjson += b' ' * ((8 - len(hjson) % 8) % 8)

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, 'python-written.safetensors'), 'wb') as f:
    f.write(struct.pack('<Q', len(hjson)))
    f.write(hjson)
    for _, (_, _, data) in order:
        f.write(data)

def floats(a):
    # JSON has no inf/nan: write them as strings the test decodes.
    return [float(x) if np.isfinite(x) else str(x) for x in np.asarray(a, dtype=np.float64).ravel()]

expect = {
    'metadata': metadata,
    'names_in_file_order': [n for n, _ in order],
    'weight.f32': floats(f32.numpy()),
    'f16_source_f32': floats(src16),
    'f16_bits': [int(b) for b in f16.view(np.uint16)],
    'f16_decoded': floats(f16.astype(np.float32)),
    'bf16_bits': [int(b) & 0xFFFF for b in bf16.view(torch.int16).numpy()],
    'bf16_decoded': floats(bf16.to(torch.float32).numpy()),
    'ids.i64': ['0', '1', str(2**40), '-7'],
    'ids.i32': [-1, 0, 2**31 - 1],
    'q.i8': [-128, -1, 0, 127],
    'mask.u8': [0, 255, 1, 2],
    'torch_version': torch.__version__,
    'numpy_version': np.__version__,
}
with open(os.path.join(OUT, 'python-written.json'), 'w') as f:
    json.dump(expect, f, indent=1)
    f.write('\n')
print('wrote', os.path.join(OUT, 'python-written.safetensors'))
