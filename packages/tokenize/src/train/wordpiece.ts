import { normalize, preTokenize, type NormalizerConfig } from '../hf/components.js';
import { Normalized } from '../hf/normalized.js';
import { WordPieceModel } from '../hf/models.js';
import { HfTokenizer, type AddedToken } from '../hf/tokenizer.js';
import { countWords, learnMerges, type TrainerCommonOptions, type TrainingInput } from './common.js';

/** Options of the WordPiece trainer. */
export interface WordPieceTrainerOptions extends TrainerCommonOptions {
  /** Lowercase and strip accents (BERT uncased). Default true. */
  lowercase?: boolean;
  /** Continuation prefix. Default `##`. */
  continuingSubwordPrefix?: string;
  /** Characters always in the vocabulary. */
  initialAlphabet?: readonly string[];
}

/**
 * Train a BERT WordPiece tokenizer: BERT normalisation and pre-tokenisation, then merges learnt
 * as in BPE over symbols whose non-initial characters carry the `##` prefix (HF's WordPiece
 * trainer does the same); the resulting vocabulary is used greedily longest-match-first.
 * Special tokens default to `[PAD] [UNK] [CLS] [SEP] [MASK]`.
 */
export async function trainWordPiece(input: TrainingInput, options: WordPieceTrainerOptions): Promise<{ tokenizer: HfTokenizer; stats: { words: number; uniqueWords: number; seconds: number } }> {
  const t0 = performance.now();
  const prefix = options.continuingSubwordPrefix ?? '##';
  const lowercase = options.lowercase ?? true;
  const specials = [...(options.specialTokens ?? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'])];
  const normalizer: NormalizerConfig = { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase };
  let total = 0;
  const counts = await countWords(input, (text, add) => {
    const n = Normalized.of(text);
    normalize(normalizer, n);
    for (const p of preTokenize({ type: 'BertPreTokenizer' }, [n])) { add(p.text); total++; }
  }, options.signal);
  const { vocab } = learnMerges(counts, {
    specials, vocabSize: options.vocabSize, minFrequency: options.minFrequency ?? 2, initialAlphabet: options.initialAlphabet ?? [],
    symbolize: (w) => Array.from(w, (ch, i) => (i === 0 ? ch : prefix + ch)),
    join: (a, b) => a + (b.startsWith(prefix) ? b.slice(prefix.length) : b),
    label: 'train wordpiece', showProgress: options.showProgress, onProgress: options.onProgress, signal: options.signal,
  });
  const unk = specials.includes('[UNK]') ? '[UNK]' : specials[0] ?? '[UNK]';
  if (!vocab.has(unk)) vocab.set(unk, vocab.size);
  const added: AddedToken[] = specials.map((s) => ({ id: vocab.get(s)!, content: s, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const cls = vocab.get('[CLS]');
  const sep = vocab.get('[SEP]');
  const tokenizer = new HfTokenizer({
    model: new WordPieceModel(vocab, { unkToken: unk, continuingSubwordPrefix: prefix, maxInputCharsPerWord: 100 }),
    normalizer,
    preTokenizer: { type: 'BertPreTokenizer' },
    postProcessor: cls !== undefined && sep !== undefined ? {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [cls], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [sep], tokens: ['[SEP]'] } },
    } : null,
    decoder: { type: 'WordPiece', prefix, cleanup: true },
    addedTokens: added,
  });
  return { tokenizer, stats: { words: total, uniqueWords: counts.size, seconds: (performance.now() - t0) / 1000 } };
}
