import { defineConfig } from 'tsup';

export default defineConfig([
  // The library: the file-backed memory, the arch registry and the inspection functions.
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'node',
    tsconfig: 'tsconfig.build.json',
  },
  // The `ptm` binary.
  {
    entry: { ptm: 'src/ptm.ts' },
    format: ['esm'],
    banner: { js: '#!/usr/bin/env node' },
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    tsconfig: 'tsconfig.build.json',
  },
]);
