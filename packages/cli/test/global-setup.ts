/**
 * Builds the `ptm` binary from the current sources once per test run, with
 * tsup's API, into `node_modules/.cache/ptm-test/` (inside the package, so
 * the workspace packages resolve). Tests spawn it with plain `node`: the same
 * bundle `tsup` makes for `dist/`, without depending on a prior build, and
 * ~0.1 s a run where `node --import tsx src/ptm.ts` costs ~0.8 s.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'tsup';
import type { TestProject } from 'vitest/node';

const PKG = join(import.meta.dirname, '..');

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of the freshly built `ptm.js`. */
    ptmBin: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const cache = join(PKG, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const outDir = mkdtempSync(join(cache, 'ptm-test-'));
  await build({
    config: false,
    entry: { ptm: join(PKG, 'src/ptm.ts') },
    outDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    tsconfig: join(PKG, 'tsconfig.build.json'),
    silent: true,
  });
  project.provide('ptmBin', join(outDir, 'ptm.js'));
  return () => rmSync(outDir, { recursive: true, force: true });
}
