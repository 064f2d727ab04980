/**
 * The guides cannot rot: every ```ts block of docs/*.md and of the root
 * README.md is a complete program, and this test runs each one with
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
 * Finally every block is type-checked together with `tsc --noEmit` under the
 * repository's strict settings.
 *
 * Blocks are written to test/.docs/<pid>/ (gitignored, removed afterwards;
 * set DOCS_KEEP=1 to keep them) and run in parallel, one process per core.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(PKG, '../..');
const OUT = join(PKG, 'test', '.docs', String(process.pid));

/** One runnable block of a Markdown file. */
interface Block {
  /** `docs/getting-started.md:12`: the file and the line of the opening fence. */
  name: string;
  /** The temp file it runs from. */
  file: string;
  /** The program. */
  code: string;
  /** What stdout must contain, in order. */
  expected: string[];
}

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

const RUNNABLE = new Set(['ts', 'typescript']);
const EXPECT = /\/\/\s*(?:prints:|→)\s*(.*?)\s*$/;

/** The Markdown files whose blocks run: docs/*.md (not docs/api) and the root README. */
function markdownFiles(): string[] {
  const docs = readdirSync(join(REPO, 'docs'), { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => join(REPO, 'docs', e.name))
    .sort();
  return [join(REPO, 'README.md'), ...docs];
}

/** The runnable fenced blocks of one file. Fences must start at column 0. */
function blocksOf(path: string): Block[] {
  const rel = relative(REPO, path);
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: Block[] = [];
  let open: { lang: string; line: number; body: string[] } | undefined;
  lines.forEach((line, i) => {
    if (open === undefined) {
      const m = /^```\s*([\w-]*)/.exec(line);
      if (m) open = { lang: m[1].toLowerCase(), line: i + 1, body: [] };
      return;
    }
    if (!/^```\s*$/.test(line)) {
      open.body.push(line);
      return;
    }
    if (RUNNABLE.has(open.lang)) {
      const code = `${open.body.join('\n')}\n`;
      const expected = open.body.map((l) => EXPECT.exec(l)?.[1]).filter((t): t is string => t !== undefined && t !== '');
      const file = join(OUT, `${rel.replace(/[^\w-]+/g, '_')}_L${open.line}.ts`);
      blocks.push({ name: `${rel}:${open.line}`, file, code, expected });
    }
    open = undefined;
  });
  if (open !== undefined) throw new Error(`${rel}:${open.line}: code fence never closed`);
  return blocks;
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

/** Whitespace runs as one space, so that wrapped output still matches. */
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

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
      const out = squash(r.stdout);
      let from = 0;
      for (const text of b.expected) {
        const at = out.indexOf(squash(text), from);
        expect(at, `${b.name}: expected "${text}" in stdout (after what earlier comments matched)\n${report}`).toBeGreaterThanOrEqual(0);
        from = at + squash(text).length;
      }
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
