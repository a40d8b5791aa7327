#!/usr/bin/env python3
"""Reference fixtures made with the real libraries: safetensors, transformers, peft, sacrebleu, tokenizers.

None of these libraries is packaged by Debian, so this script runs where they are installed: the
GPU machine lent to some sessions (its image ships them; see the session notes) or any machine with
`pip install torch transformers peft safetensors sacrebleu tokenizers`. It needs no GPU. It writes
one archive that is unpacked into `fixtures/reference/` and committed, so tests never need Python:

    python3 tools/device/reference_fixtures.py OUT_DIR      # writes OUT_DIR/reference.tar.gz

Every section is independent: a failure is logged in summary.json and the others still run.
Inputs come from the repository: data/ (bundled, gzip) and tools/device/in/ (files @llm wrote).
"""
import gzip
import io
import json
import os
import sys
import tarfile
import time
import traceback

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else '/tmp/reference-out')
WORK = os.path.join(OUT, 'reference')
os.makedirs(WORK, exist_ok=True)
summary = {'started': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'sections': {}, 'versions': {}}


def section(fn):
    t0 = time.time()
    try:
        info = fn() or {}
        summary['sections'][fn.__name__] = {'ok': True, 'seconds': round(time.time() - t0, 2), **info}
        print(f'[ok] {fn.__name__} ({time.time() - t0:.1f}s)', flush=True)
    except Exception as e:  # noqa: BLE001 - record and go on
        summary['sections'][fn.__name__] = {'ok': False, 'error': f'{type(e).__name__}: {e}', 'trace': traceback.format_exc()[-3000:]}
        print(f'[FAILED] {fn.__name__}: {e}', flush=True)
        traceback.print_exc()
    return fn


def out(*parts):
    p = os.path.join(WORK, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def lines_of(rel):
    with gzip.open(os.path.join(ROOT, rel), 'rt', encoding='utf-8') as f:
        return f.read().split('\n')


def bible():
    rows = [l.split('\t') for l in lines_of('data/parallel/bible-es-en.tsv.gz')[1:] if l]
    return rows  # ref, es, kjv, web


def values(t):
    t = t.detach()
    if t.dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        return [float(x) if np.isfinite(x) else str(x) for x in t.to(torch.float64).flatten().tolist()]
    if t.dtype == torch.bool:
        return [bool(x) for x in t.flatten().tolist()]
    if t.dtype == torch.int64:
        return [str(x) for x in t.flatten().tolist()]
    return [int(x) for x in t.flatten().tolist()]


for name in ['torch', 'numpy', 'safetensors', 'transformers', 'peft', 'sacrebleu', 'tokenizers']:
    try:
        summary['versions'][name] = __import__(name).__version__
    except Exception as e:  # noqa: BLE001
        summary['versions'][name] = f'unavailable: {e}'


@section
def safetensors_files():
    from safetensors import safe_open
    from safetensors.torch import save_file
    g = torch.Generator().manual_seed(7)
    t = {
        'w.f32': torch.randn(3, 4, generator=g),
        'w.f16': (torch.randn(6, generator=g) * 100).half(),
        'w.bf16': torch.randn(2, 3, generator=g).bfloat16(),
        'w.f64': torch.randn(2, generator=g).double(),
        'ids.i64': torch.tensor([0, -7, 2**40]),
        'ids.i32': torch.tensor([-1, 2**31 - 1], dtype=torch.int32),
        'ids.i16': torch.tensor([-300, 300], dtype=torch.int16),
        'q.i8': torch.tensor([-128, 127], dtype=torch.int8),
        'm.u8': torch.tensor([[0, 255]], dtype=torch.uint8),
        'm.bool': torch.tensor([True, False, True]),
        'scalar': torch.tensor(2.5),
        'empty': torch.zeros(0, 3),
    }
    meta = {'format': 'pt', 'producer': 'safetensors.torch.save_file'}
    save_file(t, out('safetensors', 'real.safetensors'), metadata=meta)
    expect = {'metadata': meta, 'tensors': {}}
    for k, v in t.items():
        e = {'dtype': str(v.dtype).replace('torch.', ''), 'shape': list(v.shape), 'values': values(v)}
        if v.dtype in (torch.float16, torch.bfloat16):
            e['bits'] = [int(x) & 0xFFFF for x in v.view(torch.int16).flatten().tolist()]
        expect['tensors'][k] = e
    json.dump(expect, open(out('safetensors', 'real.json'), 'w'), indent=1)
    # The other direction: the real library reads a file @llm/core wrote.
    ours = {}
    with safe_open(os.path.join(ROOT, 'tools', 'device', 'in', 'ours.safetensors'), 'pt') as f:
        ours['metadata'] = f.metadata()
        ours['tensors'] = {k: {'dtype': str(f.get_tensor(k).dtype).replace('torch.', ''), 'shape': list(f.get_tensor(k).shape), 'values': values(f.get_tensor(k))} for k in f.keys()}
    json.dump(ours, open(out('safetensors', 'ours-read-by-safetensors.json'), 'w'), indent=1)
    return {'ours_keys': sorted(ours['tensors'])}


IDS = torch.tensor([[5, 17, 42, 3, 88, 9, 23, 61], [7, 11, 2, 95, 4, 0, 0, 0]])
MASK = torch.tensor([[1] * 8, [1] * 5 + [0] * 3])


def save_model(model, name, expected, inputs, config_extra=None):
    from safetensors.torch import save_file
    d = out('hf', name, 'x')[:-2]
    model.save_pretrained(d, safe_serialization=True)
    exp = {k: v.detach().to(torch.float32).contiguous() if v.is_floating_point() else v.detach().contiguous() for k, v in expected.items()}
    save_file(exp, os.path.join(d, 'expected.safetensors'), metadata={'inputs': json.dumps(inputs)})
    return d


@section
def hf_gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0)
    cfg = GPT2Config(vocab_size=96, n_positions=64, n_embd=32, n_layer=2, n_head=4, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                     bos_token_id=0, eos_token_id=1, initializer_range=0.3)
    m = GPT2LMHeadModel(cfg).eval()
    with torch.no_grad():
        o = m(input_ids=IDS, attention_mask=MASK, output_hidden_states=True)
        prompt = IDS[:1, :4]
        greedy = m.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=12, do_sample=False, pad_token_id=1, eos_token_id=None)
        beam = m.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=8, num_beams=3, do_sample=False, early_stopping=True, pad_token_id=1, eos_token_id=None)
        rep = m.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=12, do_sample=False, repetition_penalty=1.5, pad_token_id=1, eos_token_id=None)
    save_model(m, 'gpt2', {'logits': o.logits, 'last_hidden': o.hidden_states[-1], 'greedy': greedy, 'beam3': beam, 'greedy_rep1.5': rep},
               {'input_ids': IDS.tolist(), 'attention_mask': MASK.tolist(), 'prompt': prompt.tolist()})


@section
def hf_bert():
    from transformers import BertConfig, BertForMaskedLM, BertForQuestionAnswering, BertForSequenceClassification
    kw = dict(vocab_size=96, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, max_position_embeddings=64,
              type_vocab_size=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, hidden_act='gelu', initializer_range=0.3, pad_token_id=0)
    tt = torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 0, 0, 0]])
    inputs = {'input_ids': IDS.tolist(), 'attention_mask': MASK.tolist(), 'token_type_ids': tt.tolist()}
    for name, cls, extra in [('bert-mlm', BertForMaskedLM, {}), ('bert-qa', BertForQuestionAnswering, {}), ('bert-cls', BertForSequenceClassification, {'num_labels': 3})]:
        torch.manual_seed(1)
        m = cls(BertConfig(**kw, **extra)).eval()
        with torch.no_grad():
            o = m(input_ids=IDS, attention_mask=MASK, token_type_ids=tt, output_hidden_states=True)
        exp = {'last_hidden': o.hidden_states[-1]}
        if name == 'bert-qa':
            exp.update({'start_logits': o.start_logits, 'end_logits': o.end_logits})
        else:
            exp['logits'] = o.logits
        save_model(m, name, exp, inputs)


@section
def hf_t5():
    from transformers import T5Config, T5ForConditionalGeneration
    dec = torch.tensor([[0, 5, 9, 13, 2], [0, 8, 8, 3, 0]])
    for name, extra in [('t5', dict(feed_forward_proj='relu', tie_word_embeddings=True)), ('t5-v1_1', dict(feed_forward_proj='gated-gelu', tie_word_embeddings=False))]:
        torch.manual_seed(2)
        cfg = T5Config(vocab_size=96, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=4, relative_attention_num_buckets=8,
                       relative_attention_max_distance=20, dropout_rate=0.0, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1, initializer_factor=1.0, **extra)
        m = T5ForConditionalGeneration(cfg).eval()
        with torch.no_grad():
            o = m(input_ids=IDS, attention_mask=MASK, decoder_input_ids=dec, output_hidden_states=True)
            gen = m.generate(input_ids=IDS[:1], attention_mask=MASK[:1], max_new_tokens=8, do_sample=False, eos_token_id=None)
        save_model(m, name, {'logits': o.logits, 'encoder_last_hidden': o.encoder_last_hidden_state, 'greedy': gen},
                   {'input_ids': IDS.tolist(), 'attention_mask': MASK.tolist(), 'decoder_input_ids': dec.tolist()})


def tiny_llama(seed=3):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=64, rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=False, bos_token_id=0, eos_token_id=1,
                      attention_dropout=0.0, initializer_range=0.3)
    return LlamaForCausalLM(cfg).eval()


@section
def hf_llama():
    m = tiny_llama()
    with torch.no_grad():
        o = m(input_ids=IDS, attention_mask=MASK, output_hidden_states=True)
        prompt = IDS[:1, :4]
        greedy = m.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=12, do_sample=False, pad_token_id=1, eos_token_id=None)
    d = save_model(m, 'llama', {'logits': o.logits, 'last_hidden': o.hidden_states[-1], 'greedy': greedy}, {'input_ids': IDS.tolist(), 'attention_mask': MASK.tolist(), 'prompt': prompt.tolist()})
    m.save_pretrained(out('hf', 'llama-sharded', 'x')[:-2], safe_serialization=True, max_shard_size='20KB')
    return {'dir': d}


@section
def logits_processors():
    from transformers.generation.logits_process import RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper
    g = torch.Generator().manual_seed(11)
    scores = torch.randn(1, 32, generator=g) * 3
    ids = torch.tensor([[3, 7, 7, 20]])
    res = {
        'scores': scores[0].tolist(), 'input_ids': ids[0].tolist(),
        'temperature_0.7': TemperatureLogitsWarper(0.7)(ids, scores.clone())[0].tolist(),
        'top_k_5': TopKLogitsWarper(5)(ids, scores.clone())[0].tolist(),
        'top_p_0.9': TopPLogitsWarper(0.9)(ids, scores.clone())[0].tolist(),
        'repetition_1.3': RepetitionPenaltyLogitsProcessor(1.3)(ids, scores.clone())[0].tolist(),
    }
    json.dump(res, open(out('hf', 'logits-processors.json'), 'w'), indent=1, allow_nan=True)


@section
def peft_lora():
    from peft import LoraConfig, get_peft_model
    base = tiny_llama(seed=4)
    base_dir = out('peft', 'llama-base', 'x')[:-2]
    base.save_pretrained(base_dir, safe_serialization=True)
    with torch.no_grad():
        base_logits = base(input_ids=IDS, attention_mask=MASK).logits
    torch.manual_seed(5)
    cfg = LoraConfig(r=4, lora_alpha=8, target_modules=['q_proj', 'v_proj'], lora_dropout=0.0, bias='none', task_type='CAUSAL_LM', init_lora_weights=False)
    pm = get_peft_model(base, cfg).eval()
    with torch.no_grad():
        lora_logits = pm(input_ids=IDS, attention_mask=MASK).logits
    pm.save_pretrained(out('peft', 'adapter', 'x')[:-2], safe_serialization=True)
    merged = pm.merge_and_unload()
    with torch.no_grad():
        merged_logits = merged(input_ids=IDS, attention_mask=MASK).logits
    from safetensors.torch import save_file
    save_file({'base_logits': base_logits.contiguous(), 'lora_logits': lora_logits.contiguous(), 'merged_logits': merged_logits.contiguous(),
               'merged_q_proj_0': merged.model.layers[0].self_attn.q_proj.weight.detach().contiguous()},
              out('peft', 'expected.safetensors'), metadata={'inputs': json.dumps({'input_ids': IDS.tolist(), 'attention_mask': MASK.tolist()})})
    return {'max_lora_vs_base': float((lora_logits - base_logits).abs().max())}


@section
def sacrebleu_scores():
    import sacrebleu
    from sacrebleu.metrics import BLEU, CHRF, TER
    rows = bible()
    pick = rows[::10][:3000]
    hyps = [r[2] for r in pick]
    refs = [r[3] for r in pick]
    refs2 = [r[2].lower() for r in pick]
    res = {'data': 'bible-es-en: every 10th verse (rows[::10][:3000]); hyp = en_kjv, ref = en_web; ref2 = en_kjv lowercased',
           'first_ref': pick[0][0], 'last_ref': pick[-1][0], 'n': len(pick), 'corpus': [], 'sentence': [], 'chrf': [], 'ter': []}
    for tok in ['13a', 'intl', 'char', 'none', 'zh']:
        for lc in [False, True]:
            for smooth in ['exp', 'none', 'floor', 'add-k']:
                b = BLEU(tokenize=tok, lowercase=lc, smooth_method=smooth)
                s = b.corpus_score(hyps, [refs])
                res['corpus'].append({'tokenize': tok, 'lowercase': lc, 'smooth': smooth, 'refs': 1, 'score': s.score, 'counts': s.counts, 'totals': s.totals,
                                      'precisions': s.precisions, 'bp': s.bp, 'sys_len': s.sys_len, 'ref_len': s.ref_len, 'signature': str(b.get_signature()), 'line': str(s)})
    for eff in [True]:
        b = BLEU(effective_order=eff)
        s = b.corpus_score(hyps[:50], [refs[:50], refs2[:50]])
        res['corpus'].append({'tokenize': '13a', 'lowercase': False, 'smooth': 'exp', 'refs': 2, 'subset': 50, 'effective_order': eff, 'score': s.score,
                              'counts': s.counts, 'totals': s.totals, 'precisions': s.precisions, 'bp': s.bp, 'sys_len': s.sys_len, 'ref_len': s.ref_len, 'signature': str(b.get_signature())})
    b = BLEU()
    s = b.corpus_score(hyps, [refs, refs2])
    res['corpus'].append({'tokenize': '13a', 'lowercase': False, 'smooth': 'exp', 'refs': 2, 'score': s.score, 'counts': s.counts, 'totals': s.totals,
                          'precisions': s.precisions, 'bp': s.bp, 'sys_len': s.sys_len, 'ref_len': s.ref_len, 'signature': str(b.get_signature())})
    for smooth, val in [('exp', None), ('floor', 0.1), ('add-k', 1), ('none', None)]:
        b = BLEU(effective_order=True, smooth_method=smooth, smooth_value=val)
        for i in range(100):
            res['sentence'].append({'i': i, 'smooth': smooth, 'smooth_value': val, 'score': b.sentence_score(hyps[i], [refs[i]]).score})
    for wo in [0, 2]:
        c = CHRF(word_order=wo)
        s = c.corpus_score(hyps, [refs])
        res['chrf'].append({'word_order': wo, 'corpus': s.score, 'signature': str(c.get_signature()),
                            'sentences': [c.sentence_score(hyps[i], [refs[i]]).score for i in range(100)]})
    for kw in [{}, {'case_sensitive': True}, {'normalized': True}, {'no_punct': True}]:
        t = TER(**kw)
        s = t.corpus_score(hyps[:1000], [refs[:1000]])
        res['ter'].append({'options': kw, 'corpus': s.score, 'signature': str(t.get_signature()),
                           'sentences': [t.sentence_score(hyps[i], [refs[i]]).score for i in range(50)]})
    edge = []
    for h, r in [('', 'a b c'), ('a b c', 'a b c'), ('the cat', 'the cat sat on the mat'), ('Hello , world !', 'Hello, world!'), ('日本語のテキスト', '日本語テキスト')]:
        edge.append({'hyp': h, 'ref': r, 'bleu': sacrebleu.sentence_bleu(h, [r]).score, 'chrf': sacrebleu.sentence_chrf(h, [r]).score, 'ter': sacrebleu.sentence_ter(h, [r]).score})
    res['edge'] = edge
    json.dump(res, open(out('sacrebleu', 'bible-kjv-web.json'), 'w'), indent=0)


@section
def hf_tokenizers():
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    austen = [l for l in lines_of('data/corpora/janeausten/prideprejudice.txt.gz') if l.strip()]
    rows = bible()
    samples = austen[:150] + [r[1] for r in rows[:100]] + ['', '   ', 'Hello,   world!  ', 'naïve café — 1999 ½ 日本語 🤗', "don't stop the  music's 2024\n\ttab"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.post_processor = processors.ByteLevel(trim_offsets=True)
    tr = trainers.BpeTrainer(vocab_size=2000, min_frequency=2, special_tokens=['<|endoftext|>'], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    bpe.train_from_iterator(austen, tr)
    bpe.save(out('tokenizers', 'bpe-austen-2k.json'))
    wp = Tokenizer(models.WordPiece(unk_token='[UNK]'))
    wp.normalizer = normalizers.BertNormalizer(lowercase=True)
    wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wp.decoder = decoders.WordPiece()
    tr = trainers.WordPieceTrainer(vocab_size=2000, special_tokens=['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'], show_progress=False)
    wp.train_from_iterator(austen, tr)
    wp.post_processor = processors.TemplateProcessing(single='[CLS] $A [SEP]', pair='[CLS] $A [SEP] $B:1 [SEP]:1',
                                                      special_tokens=[('[CLS]', wp.token_to_id('[CLS]')), ('[SEP]', wp.token_to_id('[SEP]'))])
    wp.save(out('tokenizers', 'wordpiece-austen-2k.json'))
    enc = {'samples': samples, 'bpe': [], 'wordpiece': [], 'wordpiece_pairs': []}
    for s in samples:
        e = bpe.encode(s)
        enc['bpe'].append({'ids': e.ids, 'offsets': e.offsets, 'decoded': bpe.decode(e.ids)})
        e = wp.encode(s)
        enc['wordpiece'].append({'ids': e.ids, 'offsets': e.offsets, 'type_ids': e.type_ids, 'decoded': wp.decode(e.ids)})
    for a, b in zip(samples[:20], samples[20:40]):
        e = wp.encode(a, b)
        enc['wordpiece_pairs'].append({'ids': e.ids, 'type_ids': e.type_ids})
    json.dump(enc, open(out('tokenizers', 'encodings.json'), 'w'), ensure_ascii=False)
    # The repository keeps the trained tokenizer.json files gzip-compressed (gzip -9n).


summary['finished'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
json.dump(summary, open(os.path.join(WORK, 'summary.json'), 'w'), indent=1)
with tarfile.open(os.path.join(OUT, 'reference.tar.gz'), 'w:gz') as tar:
    tar.add(WORK, arcname='reference')
print(json.dumps({k: v.get('ok') for k, v in summary['sections'].items()}), summary['versions'])
