import { BYTE_TO_CHAR } from '../bytes.js';
import { GPT2_PATTERN } from '../patterns.js';
import { toByteLevel } from '../hf/components.js';
import { Normalized } from '../hf/normalized.js';
import { BpeModel } from '../hf/models.js';
import { HfTokenizer, type AddedToken } from '../hf/tokenizer.js';
import { countWords, learnMerges, type TrainerCommonOptions, type TrainingInput } from './common.js';

/** Options of the byte-level BPE trainer. */
export interface BpeTrainerOptions extends TrainerCommonOptions {
  /** Characters always in the vocabulary. Default: the 256 byte-level characters. */
  initialAlphabet?: readonly string[];
  /** Pre-tokenisation regex (JavaScript syntax). Default GPT-2's. */
  pattern?: string;
  /** Add a space before the first word (GPT-2/RoBERTa style). Default false. */
  addPrefixSpace?: boolean;
}

/** What training produced, besides the tokenizer. */
export interface BpeTrainingStats {
  words: number;
  uniqueWords: number;
  merges: number;
  seconds: number;
}

/**
 * Train a byte-level BPE tokenizer (GPT-2 style, saved as tokenizer.json) on texts.
 *
 * Words are counted once; pair counts are then kept up to date incrementally: each merge
 * touches only the words that contain the merged pair (found through a pair → words index),
 * subtracting their old pairs and adding their new ones, and the best pair comes from a lazy
 * max-heap (count desc, then ids asc). Same corpus and options give the same merges.
 * @throws ConfigError for a vocabulary smaller than the alphabet plus special tokens.
 */
export async function trainBpe(input: TrainingInput, options: BpeTrainerOptions): Promise<{ tokenizer: HfTokenizer; stats: BpeTrainingStats }> {
  const t0 = performance.now();
  const minFreq = options.minFrequency ?? 2;
  const specials = [...(options.specialTokens ?? [])];
  const re = new RegExp(options.pattern ?? GPT2_PATTERN, 'gu');
  let first = true;
  let total = 0;
  const raw = await countWords(input, (text, add) => {
    let t = text;
    if (options.addPrefixSpace && first && !t.startsWith(' ')) t = ` ${t}`;
    first = false;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(t)) !== null) {
      if (m[0].length === 0) { re.lastIndex++; continue; }
      add(m[0]);
      total++;
    }
  }, options.signal);
  // Byte-level spelling once per distinct piece (pieces with the same bytes merge their counts).
  const counts = new Map<string, number>();
  for (const [w, c] of raw) {
    const b = toByteLevel(Normalized.of(w)).text;
    counts.set(b, (counts.get(b) ?? 0) + c);
  }
  const { vocab, merges } = learnMerges(counts, {
    specials, vocabSize: options.vocabSize, minFrequency: minFreq, initialAlphabet: options.initialAlphabet ?? BYTE_TO_CHAR,
    symbolize: (w) => Array.from(w), join: (a, b) => a + b, label: 'train bpe', showProgress: options.showProgress,
    onProgress: options.onProgress, signal: options.signal,
  });
  const added: AddedToken[] = specials.map((s) => ({ id: vocab.get(s)!, content: s, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const custom = options.pattern !== undefined && options.pattern !== GPT2_PATTERN;
  const tokenizer = new HfTokenizer({
    model: new BpeModel(vocab, merges, {}),
    preTokenizer: custom
      ? { type: 'Sequence', pretokenizers: [
        { type: 'Split', pattern: { Regex: options.pattern! }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: options.addPrefixSpace ?? false, trim_offsets: true, use_regex: false },
      ] }
      : { type: 'ByteLevel', add_prefix_space: options.addPrefixSpace ?? false, trim_offsets: true, use_regex: true },
    postProcessor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    addedTokens: added,
  });
  return { tokenizer, stats: { words: total, uniqueWords: counts.size, merges: merges.length, seconds: (performance.now() - t0) / 1000 } };
}
