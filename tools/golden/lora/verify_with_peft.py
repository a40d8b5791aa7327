#!/usr/bin/env python3
"""Check packages/lora/fixtures (made by make_fixtures.py in plain torch) with the real PEFT.

Not runnable on the development machines (no PEFT, no transformers there); run it where
`pip install torch transformers peft` works, e.g. the lent GPU machine (no GPU needed):

    python3 tools/golden/lora/verify_with_peft.py      # prints a JSON report, exit 1 on a mismatch

1. gpt2-lora: GPT2LMHeadModel (Conv1D) + PeftModel.from_pretrained(adapter) must give lora_logits,
   and merge_and_unload() must give merged_logits and the merged c_attn weight.
2. llama-prefix: LlamaForCausalLM + the PREFIX_TUNING adapter must give prefix_logits on the
   positions the attention mask keeps.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
FIX = os.path.join(ROOT, 'packages', 'lora', 'fixtures')


def read(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop('__metadata__', {})
    return {k: torch.from_numpy(np.frombuffer(data[h['data_offsets'][0]:h['data_offsets'][1]], dtype='<f4').reshape(h['shape']).copy()) for k, h in header.items()}, meta


def main():
    import transformers as tr
    import peft
    from peft import PeftModel
    report = {'transformers': tr.__version__, 'peft': peft.__version__}
    ok = True

    exp, meta = read(os.path.join(FIX, 'gpt2-lora', 'expected.safetensors'))
    ids = torch.tensor(json.loads(meta['inputs'])['input_ids'])
    base = tr.GPT2LMHeadModel.from_pretrained(os.path.join(ROOT, meta['base']), attn_implementation='eager').eval()
    pm = PeftModel.from_pretrained(base, os.path.join(FIX, 'gpt2-lora', 'adapter')).eval()
    with torch.no_grad():
        d_lora = float((pm(input_ids=ids).logits - exp['lora_logits']).abs().max())
        merged = pm.merge_and_unload()
        d_merged = float((merged(input_ids=ids).logits - exp['merged_logits']).abs().max())
        d_w = float((merged.transformer.h[0].attn.c_attn.weight - exp['merged_c_attn_0']).abs().max())
    report['gpt2_lora'] = {'maxdiff_lora_logits': d_lora, 'maxdiff_merged_logits': d_merged, 'maxdiff_merged_c_attn_0': d_w}
    ok &= d_lora < 1e-3 and d_merged < 1e-3 and d_w < 1e-5

    exp, meta = read(os.path.join(FIX, 'llama-prefix', 'expected.safetensors'))
    inputs = json.loads(meta['inputs'])
    ids, am = torch.tensor(inputs['input_ids']), torch.tensor(inputs['attention_mask'])
    base = tr.LlamaForCausalLM.from_pretrained(os.path.join(ROOT, meta['base']), dtype=torch.float32, attn_implementation='eager').eval()
    pm = PeftModel.from_pretrained(base, os.path.join(FIX, 'llama-prefix', 'adapter')).eval()
    with torch.no_grad():
        got = pm(input_ids=ids, attention_mask=am).logits
    keep = am.bool()
    d = float((got - exp['prefix_logits'])[keep].abs().max())
    report['llama_prefix'] = {'maxdiff_prefix_logits': d}
    ok &= d < 1e-4

    report['pass'] = bool(ok)
    print(json.dumps(report, indent=2))
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
