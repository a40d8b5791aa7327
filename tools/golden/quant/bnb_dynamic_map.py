#!/usr/bin/python3
"""Golden fixture: bitsandbytes' signed 8-bit dynamic map (create_dynamic_map(signed=True,
max_exponent_bits=7, total_bits=8)), the code used for double quantization of NF4/FP4 scales,
computed with Debian's python3-torch following bitsandbytes/functional.py's definition, plus
the NF4 table built from its definition (normal quantiles, offset 0.9677083) for comparison with
the published constants. Writes packages/quant/fixtures/bnb-maps.json.

Run: /usr/bin/python3 tools/golden/quant/bnb_dynamic_map.py
"""
import json, os
import torch

def create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8):
    data = []
    non_sign_bits = total_bits - 1
    additional_items = 2 ** (non_sign_bits - max_exponent_bits) - 1
    for i in range(max_exponent_bits):
        fraction_items = int(2 ** (i + non_sign_bits - max_exponent_bits) + 1 if signed else 2 ** (i + non_sign_bits - max_exponent_bits + 1) + 1)
        boundaries = torch.linspace(0.1, 1, fraction_items)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += (10 ** (-(max_exponent_bits - 1) + i) * means).tolist()
        if signed:
            data += (-10 ** (-(max_exponent_bits - 1) + i) * means).tolist()
    if additional_items > 0:
        boundaries = torch.linspace(0.1, 1, additional_items + 1)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += (10 ** (-(max_exponent_bits - 1) + i) * means).tolist()
        if signed:
            data += (-10 ** (-(max_exponent_bits - 1) + i) * means).tolist()
    data.append(0)
    data.append(1.0)
    assert len(data) == 2 ** total_bits
    gap = 256 - len(data)
    for _ in range(gap):
        data.append(0)
    data.sort()
    return torch.tensor(data, dtype=torch.float32)

out = {'dynamic_map_signed': create_dynamic_map().tolist(), 'torch': torch.__version__}
try:
    from scipy.stats import norm
    offset = 0.9677083
    v1 = norm.ppf(torch.linspace(offset, 0.5, 9)[:-1]).tolist()
    v3 = (-norm.ppf(torch.linspace(offset, 0.5, 8)[:-1])).tolist()
    values = torch.tensor(v1 + [0] + v3)
    values = values.sort().values
    values /= values.max()
    out['nf4_from_definition'] = values.tolist()
except ImportError:
    pass
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
dst = os.path.join(root, 'packages/quant/fixtures/bnb-maps.json')
json.dump(out, open(dst, 'w'))
print('wrote', dst, 'nf4' if 'nf4_from_definition' in out else '(no scipy: NF4 definition skipped)')
