/**
 * Reading the line-aligned files that the metrics' CLI commands take.
 *
 * @packageDocumentation
 */
import { InputError, NotFoundError, readText } from '@llm/core';

/**
 * Read a text file as lines the way sacreBLEU does (`newline="\n"`: split on `\n` only, `\r` and a
 * byte-order mark are kept; a final newline does not add a line; `.gz` is decompressed).
 */
export async function readSegments(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readText(path);
  } catch (err) {
    if (err instanceof Error && 'code' in err && (err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`no such file: ${path}`, { file: path }, { cause: err });
    throw err;
  }
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Read a hypothesis file and its reference files, checking that there is at least one
 * hypothesis and that every file has the same number of lines ({@link InputError} naming the
 * file and the first line where they diverge).
 */
export async function readAligned(hypPath: string, refPaths: readonly string[]): Promise<{ hyps: string[]; refs: string[][] }> {
  if (refPaths.length === 0) throw new InputError('give at least one --ref file');
  const hyps = await readSegments(hypPath);
  if (hyps.length === 0) throw new InputError('the hypothesis file is empty (no hypotheses)', { file: hypPath });
  const refs = await Promise.all(refPaths.map((p) => readSegments(p)));
  refs.forEach((r, i) => {
    if (r.length !== hyps.length) {
      throw new InputError(`${refPaths[i]} has ${r.length} lines but ${hypPath} has ${hyps.length}`, { file: r.length < hyps.length ? refPaths[i] : hypPath, line: Math.min(r.length, hyps.length) + 1 });
    }
  });
  return { hyps, refs };
}
