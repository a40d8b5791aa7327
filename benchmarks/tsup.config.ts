import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/run.ts', 'src/index.ts'],
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  external: ['onnxruntime-node'],
});
