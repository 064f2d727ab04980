/**
 * The guides cannot rot: every ```ts block of docs/*.md and of the root
 * README.md (parsed by scripts/md-blocks.mjs, shared with the consumer check)
 * is a complete program, and this test runs each one with
 * `node --import tsx` from this package (which depends on every library
 * package) and expects exit code 0. A block states what it prints with
 * comments, in order:
 *
 *     console.log(hex(pt.rootPaddr)); // → 0x1000
 *     // prints: { paddr: 8192, flags: 3, size: 4096 }
 *
 * Each `// → TEXT` or `// prints: TEXT` must then appear in the block's
 * stdout after the text the previous one matched (runs of whitespace compare
 * equal, so a long `console.log` of an object may wrap). Blocks that must not
 * run are fenced as ```sh, ```text, …; only ```ts and ```typescript run.
 * The library packages' READMEs are read too, but there only the blocks that import a
 * package run (the others show fragments). Finally every block is type-checked together with `tsc --noEmit` under the
 * repository's strict settings.
 *
 * Blocks are written to test/.docs/<pid>/ (gitignored, removed afterwards;
 * set DOCS_KEEP=1 to keep them) and run in parallel, one process per core.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CodeBlock, codeBlocks, missingOutput } from '../../../scripts/md-blocks.mjs';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(PKG, '../..');
const OUT = join(PKG, 'test', '.docs', String(process.pid));
/** A block that imports one of the packages is a whole program. */
const IMPORTS_PACKAGE = /^import .* from '@page-table\//m;

/** One runnable block of a Markdown file, and the temp file it runs from. */
interface Block extends CodeBlock {
  /** The temp file it runs from. */
  file: string;
}

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The Markdown files whose blocks run: docs/*.md (not docs/api), the root README, and the packages' READMEs
 * (there only the blocks that import a package are programs; the others are fragments of one).
 */
function markdownFiles(): Array<{ path: string; programsOnly: boolean }> {
  const docs = readdirSync(join(REPO, 'docs'), { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => join(REPO, 'docs', e.name))
    .sort();
  // The READMEs of the packages this one depends on (the libraries; the CLI's examples read image files).
  const deps = Object.keys(JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')).dependencies);
  const readmes = deps
    .map((name) => join(REPO, 'packages', name.replace('@page-table/', ''), 'README.md'))
    .filter((f) => existsSync(f))
    .sort();
  return [
    ...[join(REPO, 'README.md'), ...docs].map((path) => ({ path, programsOnly: false })),
    ...readmes.map((path) => ({ path, programsOnly: true })),
  ];
}

/** The runnable fenced blocks of one file. */
function blocksOf({ path, programsOnly }: { path: string; programsOnly: boolean }): Block[] {
  const rel = relative(REPO, path);
  return codeBlocks(path, rel)
    .filter((b) => !programsOnly || IMPORTS_PACKAGE.test(b.code))
    .map((b) => ({ ...b, file: join(OUT, `${rel.replace(/[^\w-]+/g, '_')}_L${b.line}.ts`) }));
}

/** Runs a program with `args` from this package, at most one per core at a time. */
const limit = Math.max(1, availableParallelism());
const children = new Set<ChildProcess>();
const queue: Array<() => void> = [];
let stopped = false;
async function run(args: string[]): Promise<Outcome> {
  if (children.size >= limit) await new Promise<void>((go) => queue.push(go));
  if (stopped) return { status: null, stdout: '', stderr: 'not run: the test run ended first' };
  return new Promise<Outcome>((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: PKG, env: { ...process.env, NO_COLOR: '1' } });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.on('error', fail);
    child.on('close', (status) => {
      children.delete(child);
      queue.shift()?.();
      done({ status, stdout, stderr });
    });
  });
}

const blocks = markdownFiles().flatMap(blocksOf);
const outcomes = new Map<Block, Promise<Outcome>>();
let typecheck: Promise<Outcome> | undefined;

beforeAll(() => {
  mkdirSync(OUT, { recursive: true });
  for (const b of blocks) writeFileSync(b.file, b.code);
  writeFileSync(
    join(OUT, 'tsconfig.json'),
    JSON.stringify({
      extends: relative(OUT, join(PKG, 'tsconfig.json')),
      compilerOptions: { noEmit: true, types: ['node'] },
      include: ['*.ts'],
    }),
  );
  for (const b of blocks) outcomes.set(b, run(['--import', 'tsx', b.file]));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  typecheck = run([tsc, '--noEmit', '-p', join(OUT, 'tsconfig.json')]);
});

// Runs still going (tests filtered out with -t) are stopped, not awaited.
afterAll(async () => {
  stopped = true;
  for (const child of children) child.kill();
  for (const go of queue.splice(0)) go();
  await Promise.allSettled([...outcomes.values(), typecheck]);
  if (process.env.DOCS_KEEP) return;
  rmSync(OUT, { recursive: true, force: true });
  try {
    rmdirSync(dirname(OUT)); // only when no other run is using it
  } catch {}
});

describe('code blocks of the guides', () => {
  it('finds the guides and their blocks', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  for (const b of blocks) {
    it(b.name, async () => {
      const r = await outcomes.get(b)!;
      const report = `${b.name} (${relative(REPO, b.file)})\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
      expect(r.status, report).toBe(0);
      const missing = missingOutput(r.stdout, b.expected);
      expect(
        missing,
        `${b.name}: expected "${missing}" in stdout (after what earlier comments matched)\n${report}`,
      ).toBeUndefined();
    });
  }

  it('every block type-checks (tsc --noEmit, strict)', async () => {
    const r = await typecheck!;
    // Name each block as the Markdown file and line it came from.
    let out = r.stdout + r.stderr;
    for (const b of blocks) out = out.split(relative(PKG, b.file)).join(`${b.name} block`);
    expect(r.status, `tsc found errors in the guides' blocks:\n${out}`).toBe(0);
  });
});
