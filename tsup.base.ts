import { defineConfig, type Options } from 'tsup';

/**
 * The build every package shares: ESM + CJS + `.d.ts` for Node 20, one file per entry (no shared
 * chunks), source maps, and `import.meta.url` shimmed in the CJS build.
 */
export function packageConfig(entry: string[], extra: Options = {}): ReturnType<typeof defineConfig> {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: false,
    shims: true,
    ...extra,
  });
}
