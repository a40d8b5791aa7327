#!/usr/bin/env python3
"""Check files this workspace WROTE with the real reference libraries (transformers, peft,
tokenizers, onnx, onnxruntime, safetensors), where they are installed (the lent GPU machine's
image; no GPU needed). Inputs are made by `node tools/device/make_inputs.mjs` into
tools/device/in/; each folder holds what @llm wrote plus `ours.json`, the outputs @llm computed.

    python3 tools/device/verify_outputs.py OUT_DIR     # writes OUT_DIR/verification.json

Every check is independent; the report records max differences and pass/fail per check.
"""
import json
import os
import sys
import time
import traceback

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
IN = os.path.join(ROOT, 'tools', 'device', 'in')
OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else '/tmp/verify-out')
os.makedirs(OUT, exist_ok=True)
report = {'started': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'checks': {}, 'versions': {}}
for name in ['torch', 'transformers', 'peft', 'tokenizers', 'onnx', 'onnxruntime', 'safetensors']:
    try:
        report['versions'][name] = __import__(name).__version__
    except Exception as e:  # noqa: BLE001
        report['versions'][name] = f'unavailable: {e}'


def check(name, fn):
    try:
        res = fn()
        report['checks'][name] = res
        print(f"[{'PASS' if res.get('pass') else 'FAIL'}] {name}: {json.dumps({k: v for k, v in res.items() if k != 'detail'})[:300]}", flush=True)
    except Exception as e:  # noqa: BLE001
        report['checks'][name] = {'pass': False, 'error': f'{type(e).__name__}: {e}', 'trace': traceback.format_exc()[-2000:]}
        print(f'[ERROR] {name}: {e}', flush=True)


def ours(folder):
    with open(os.path.join(folder, 'ours.json')) as f:
        return json.load(f)


def maxdiff(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def hf_model(folder):
    import transformers as tr
    o = ours(folder)
    cls = getattr(tr, o['class'])
    m, info = cls.from_pretrained(folder, output_loading_info=True, dtype=torch.float32, attn_implementation='eager')
    m.eval()
    kw = {k: torch.tensor(v) for k, v in o['inputs'].items()}
    with torch.no_grad():
        out = m(**kw)
    res = {}
    for key in o['outputs']:
        got = getattr(out, key).detach().numpy()
        exp = np.asarray(o['outputs'][key]['data'], dtype=np.float64).reshape(o['outputs'][key]['shape'])
        if 'mask' in o:  # compare only real (unpadded) positions
            keep = np.asarray(o['mask'], dtype=bool)
            got, exp = got[keep], exp[keep]
        res[key] = maxdiff(got, exp)
    missing = sorted(info.get('missing_keys', []))
    unexpected = sorted(info.get('unexpected_keys', []))
    ok = all(v < 1e-4 for v in res.values()) and not missing and not unexpected
    return {'pass': ok, 'maxdiff': res, 'missing_keys': missing, 'unexpected_keys': unexpected}


def peft_adapter(folder):
    import transformers as tr
    from peft import PeftModel
    o = ours(folder)
    base = tr.LlamaForCausalLM.from_pretrained(os.path.join(ROOT, o['base']), dtype=torch.float32, attn_implementation='eager').eval()
    pm = PeftModel.from_pretrained(base, os.path.join(folder, 'adapter')).eval()
    ids = torch.tensor(o['inputs']['input_ids'])
    with torch.no_grad():
        got = pm(input_ids=ids).logits.numpy()
    d = maxdiff(got, np.asarray(o['logits']['data']).reshape(o['logits']['shape']))
    return {'pass': d < 1e-4, 'maxdiff_logits': d, 'peft_type': pm.peft_config['default'].peft_type.value}


def tokenizer_json(folder):
    from tokenizers import Tokenizer
    o = ours(folder)
    res = {}
    ok = True
    for name, enc in o['tokenizers'].items():
        tok = Tokenizer.from_file(os.path.join(folder, name))
        bad = []
        for text, ids in zip(o['samples'], enc['ids']):
            got = tok.encode(text).ids
            if got != ids:
                bad.append({'text': text[:80], 'hf': got[:20], 'ours': ids[:20]})
        res[name] = {'samples': len(o['samples']), 'mismatches': len(bad), 'first': bad[:2]}
        ok = ok and not bad
    return {'pass': ok, 'detail': res, 'mismatches': {k: v['mismatches'] for k, v in res.items()}}


def onnx_export(folder):
    import onnx
    import onnxruntime as ort
    o = ours(folder)
    path = os.path.join(folder, 'onnx', 'model.onnx')
    onnx.checker.check_model(onnx.load(path), full_check=True)
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    feeds = {k: np.asarray(v, dtype=np.int64) for k, v in o['inputs'].items() if k in {i.name for i in sess.get_inputs()}}
    for i in sess.get_inputs():
        if i.name not in feeds and i.name.startswith('past_key_values'):
            shape = [d if isinstance(d, int) else 0 for d in i.shape]
            shape[0] = next(iter(feeds.values())).shape[0]
            feeds[i.name] = np.zeros(shape, dtype=np.float32)
    got = sess.run(None, feeds)[0]
    d = maxdiff(got, np.asarray(o['logits']['data']).reshape(o['logits']['shape']))
    return {'pass': d < 1e-4, 'maxdiff_logits': d, 'inputs': [i.name for i in sess.get_inputs()][:6]}


for entry in sorted(os.listdir(IN)) if os.path.isdir(IN) else []:
    folder = os.path.join(IN, entry)
    if not os.path.isdir(folder) or not os.path.exists(os.path.join(folder, 'ours.json')):
        continue
    kind = ours(folder)['kind']
    fn = {'hf': hf_model, 'peft': peft_adapter, 'tokenizers': tokenizer_json, 'onnx': onnx_export}[kind]
    check(f'{kind}:{entry}', lambda f=folder, g=fn: g(f))

report['finished'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
report['all_pass'] = all(c.get('pass') for c in report['checks'].values())
with open(os.path.join(OUT, 'verification.json'), 'w') as f:
    json.dump(report, f, indent=1)
print('ALL PASS' if report['all_pass'] else 'SOME CHECKS FAILED', len(report['checks']), 'checks')
