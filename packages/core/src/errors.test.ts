import { describe, expect, it } from 'vitest';
import { CancelledError, ConfigError, FormatError, InputError, LlmError, NotFoundError, exitCodeFor, formatError, formatLocation, throwIfAborted } from './errors.js';

describe('typed errors', () => {
  it('names the location in the message', () => {
    const e = new InputError('expected 3 fields, got 2', { file: 'a.tsv', line: 12 });
    expect(e).toBeInstanceOf(LlmError);
    expect(e.code).toBe('E_INPUT');
    expect(e.describe()).toBe('a.tsv:12: expected 3 fields, got 2');
    expect(new FormatError('safetensors', 'bad header', { file: 'm.st', offset: 8 }).describe()).toBe('m.st (byte 8): safetensors: bad header');
  });

  it('formats every kind of location', () => {
    expect(formatLocation({})).toBe('');
    expect(formatLocation({ line: 3, column: 7 })).toBe('line 3:7');
    expect(formatLocation({ offset: 40 })).toBe('byte 40');
    expect(formatLocation({ file: 'x.json', field: 'data[0].qas' })).toBe('x.json, field data[0].qas');
  });

  it('maps errors to CLI exit codes', () => {
    expect(exitCodeFor(new InputError('x'))).toBe(2);
    expect(exitCodeFor(new FormatError('f', 'x'))).toBe(2);
    expect(exitCodeFor(new ConfigError('x'))).toBe(2);
    expect(exitCodeFor(new NotFoundError('x'))).toBe(2);
    expect(exitCodeFor(new CancelledError())).toBe(130);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
  });

  it('prints one line, and the stack only with debug', () => {
    const e = new InputError('bad', { file: 'f', line: 1 });
    expect(formatError(e)).toBe('error[E_INPUT]: f:1: bad');
    expect(formatError(e).includes('\n')).toBe(false);
    expect(formatError(e, true)).toContain('errors.test.ts');
    expect(formatError(new TypeError('oops'))).toBe('internal error: oops (run with --debug for the stack)');
  });

  it('throwIfAborted throws a CancelledError once aborted', () => {
    const c = new AbortController();
    expect(() => throwIfAborted(c.signal)).not.toThrow();
    c.abort(new Error('user pressed ctrl-c'));
    expect(() => throwIfAborted(c.signal)).toThrow(CancelledError);
    expect(() => throwIfAborted(c.signal)).toThrow('user pressed ctrl-c');
  });
});
