#!/usr/bin/env python3
"""Cross-check the committed @llm/transformer fixtures with the REAL Hugging Face transformers.

make_fixtures.py builds the models in plain torch (Debian has no `transformers`). This script
runs where `transformers` is installed (e.g. the lent GPU machine; no GPU needed): it loads each
fixture folder with `from_pretrained` (so HF itself checks the parameter names, shapes and
config.json) and compares HF's outputs with reference.json. Any folder written by
`PretrainedModel.save` can be given too (it then only checks that HF loads it with no missing or
unexpected weights and prints HF's logits for the inputs of the matching fixture).

    python3 tools/golden/transformer/verify_with_transformers.py packages/transformer/fixtures [EXTRA_DIR...]

Prints one JSON object: per fixture, max |HF − reference| and HF's missing/unexpected keys.
Exit code 1 if any difference exceeds 1e-4 or any key is missing/unexpected.
"""
import json
import os
import sys

import torch
import transformers as tr

FIX = sys.argv[1] if len(sys.argv) > 1 else "packages/transformer/fixtures"
TOL = 1e-4


def ref(name):
    with open(os.path.join(FIX, name, "reference.json")) as f:
        return json.load(f)


def tensor(r):
    return torch.tensor(r["data"], dtype=torch.float64).reshape(r["shape"])


def load(cls, d):
    m, info = cls.from_pretrained(d, output_loading_info=True, torch_dtype=torch.float32, attn_implementation="eager")
    m.eval()
    return m, {k: sorted(v) if not isinstance(v, str) else v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys")}


def diff(a, b, row_mask=None):
    a = a.detach().to(torch.float64)
    if row_mask is not None:
        keep = row_mask.bool()
        return float((a[keep] - b[keep]).abs().max())
    return float((a - b).abs().max())


def check_gpt2(d, r):
    m, info = load(tr.GPT2LMHeadModel, d)
    ids = torch.tensor(r["input_ids"])
    with torch.no_grad():
        out = m(ids, output_hidden_states=True)
        gen = m.generate(ids[:1], max_new_tokens=len(r["greedy_ids"]) - ids.shape[1], do_sample=False, pad_token_id=0)
    return {"logits": diff(out.logits, tensor(r["logits"])), "hidden": diff(out.hidden_states[-1], tensor(r["last_hidden_state"])),
            "greedy_equal": gen[0].tolist() == r["greedy_ids"], **info}


def check_bert(d, r, cls, keys):
    m, info = load(cls, d)
    kw = {"input_ids": torch.tensor(r["input_ids"]), "token_type_ids": torch.tensor(r["token_type_ids"]), "attention_mask": torch.tensor(r["attention_mask"])}
    with torch.no_grad():
        out = m(**kw, output_hidden_states=True)
    res = {"hidden": diff(out.hidden_states[-1], tensor(r["last_hidden_state"])), **info}
    for hf_key, ref_key in keys:
        res[ref_key] = diff(getattr(out, hf_key), tensor(r[ref_key]))
    return res


def check_t5(d, r):
    m, info = load(tr.T5ForConditionalGeneration, d)
    ids = torch.tensor(r["input_ids"])
    am = torch.tensor(r["attention_mask"])
    with torch.no_grad():
        out = m(input_ids=ids, attention_mask=am, decoder_input_ids=torch.tensor(r["decoder_input_ids"]))
        gen = m.generate(ids[:1], attention_mask=am[:1], max_new_tokens=len(r["greedy_ids"]) - 1, do_sample=False, min_new_tokens=0)
    g = gen[0].tolist()
    return {"logits": diff(out.logits, tensor(r["logits"])), "encoder": diff(out.encoder_last_hidden_state, tensor(r["encoder_last_hidden_state"])),
            "greedy_equal": g == r["greedy_ids"][: len(g)], **info}


def check_llama(d, r):
    m, info = load(tr.LlamaForCausalLM, d)
    ids = torch.tensor(r["input_ids"])
    am = torch.tensor(r["attention_mask"])
    pos = (am.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        out = m(input_ids=ids, attention_mask=am, position_ids=pos, output_hidden_states=True)
        gen = m.generate(ids[:1], max_new_tokens=len(r["greedy_ids"]) - ids.shape[1], do_sample=False, pad_token_id=0)
    return {"logits": diff(out.logits, tensor(r["logits"]), am), "hidden": diff(out.hidden_states[-1], tensor(r["last_hidden_state"]), am),
            "greedy_equal": gen[0].tolist() == r["greedy_ids"], **info}


CHECKS = {
    "gpt2": check_gpt2,
    "bert-mlm": lambda d, r: check_bert(d, r, tr.BertForMaskedLM, [("logits", "logits")]),
    "bert-cls": lambda d, r: check_bert(d, r, tr.BertForSequenceClassification, [("logits", "logits")]),
    "bert-qa": lambda d, r: check_bert(d, r, tr.BertForQuestionAnswering, [("start_logits", "start_logits"), ("end_logits", "end_logits")]),
    "t5": check_t5,
    "llama": check_llama,
}


def main():
    results = {"transformers": tr.__version__, "torch": torch.__version__, "fixtures": {}}
    ok = True
    for name, fn in CHECKS.items():
        try:
            res = fn(os.path.join(FIX, name), ref(name))
        except Exception as e:  # noqa: BLE001
            res = {"error": f"{type(e).__name__}: {e}"}
        bad = "error" in res or any(isinstance(v, float) and v > TOL for v in res.values()) or res.get("missing_keys") or res.get("unexpected_keys") or res.get("greedy_equal") is False
        res["ok"] = not bad
        ok = ok and not bad
        results["fixtures"][name] = res
    for extra in sys.argv[2:]:
        cfg = json.load(open(os.path.join(extra, "config.json")))
        cls = getattr(tr, cfg["architectures"][0])
        try:
            _, info = load(cls, extra)
            results["fixtures"][extra] = {**info, "ok": not info.get("missing_keys") and not info.get("unexpected_keys")}
        except Exception as e:  # noqa: BLE001
            results["fixtures"][extra] = {"error": f"{type(e).__name__}: {e}", "ok": False}
        ok = ok and results["fixtures"][extra]["ok"]
    print(json.dumps(results, indent=1))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
