import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject } from 'vitest';
import { main } from '../src/cli.js';

/** The package directory. */
export const PKG = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What a run of the binary left behind. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the `ptm` binary built from the current sources (see
 * `global-setup.ts`) in a child process: stdout and stderr are pipes (so
 * never a TTY), NO_COLOR is unset unless `env` sets it.
 */
export function ptm(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const { NO_COLOR: _drop, ...base } = process.env;
    const child = spawn(process.execPath, [inject('ptmBin'), ...args], {
      cwd: PKG,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs `ptm … --json` in a child process and parses stdout; fails loudly with stderr if it did not exit 0. */
export async function ptmJson(args: readonly string[]): Promise<JsonValue> {
  return parseJson(args, await ptm([...args, '--json']));
}

/**
 * Runs `ptm`'s `main` in this process: the same code as the binary minus the
 * process wiring, for the many cases where a child process would only cost
 * time. `tty` makes stdout and stderr claim to be terminals.
 */
export function ptmIn(args: readonly string[], options: { tty?: boolean; env?: Record<string, string> } = {}): Run {
  let stdout = '';
  let stderr = '';
  const code = main(
    args,
    {
      stdout: { write: (t: string) => (stdout += t), isTTY: options.tty },
      stderr: { write: (t: string) => (stderr += t), isTTY: options.tty },
      env: options.env ?? {},
    },
    'test',
  );
  return { code, stdout, stderr };
}

/** {@link ptmIn} with `--json`, parsed. */
export function ptmInJson(args: readonly string[]): JsonValue {
  return parseJson(args, ptmIn([...args, '--json']));
}

function parseJson(args: readonly string[], r: Run): JsonValue {
  if (r.code !== 0) throw new Error(`ptm ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as JsonValue;
}

/** Parsed JSON, loosely typed for tests. */
// biome-ignore lint/suspicious/noExplicitAny: test-side access to parsed JSON
export type JsonValue = any;

/** A fresh temporary directory and its cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ptm-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes an image of `size` bytes whose 64-bit little-endian words at the given offsets are set. */
export function writeImage(file: string, size: number, entries: ReadonlyArray<readonly [number, bigint]>): void {
  const buf = Buffer.alloc(size);
  for (const [offset, value] of entries) buf.writeBigUInt64LE(value, offset);
  writeFileSync(file, buf);
}

/**
 * Expects a failed run that exited with `code`: nothing on stdout, and on stderr a single `ptm: error:` line
 * (no stack trace, no second line) matching `message`.
 */
export function expectError(r: Run, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n');
  expect(lines, r.stderr).toHaveLength(2); // one line and its newline
  expect(lines[1]).toBe('');
  expect(lines[0]).toMatch(/^ptm: error: /);
  expect(lines[0]).toMatch(message);
}
