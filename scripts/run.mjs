#!/usr/bin/env node
// The README's entry point: `npm run demo` and `npm test` on a machine with only Node and npm.
// Installs the workspace (with the pinned pnpm) when needed, builds, then runs the demo or every test
// and prints the totals over all packages as the last line: `N passed, N failed`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PNPM = '10.34.8';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command = 'test', ...rest] = process.argv.slice(2);

function pnpmCommand() {
  try {
    if (execFileSync('pnpm', ['--version'], { encoding: 'utf8' }).trim() === PNPM) return ['pnpm'];
  } catch {}
  return ['npx', '-y', `pnpm@${PNPM}`];
}

const pnpm = pnpmCommand();

function run(args, options = {}) {
  const r = spawnSync(pnpm[0], [...pnpm.slice(1), ...args], { cwd: root, stdio: 'inherit', ...options });
  return r.status ?? 1;
}

function must(args, options) {
  const status = run(args, options);
  if (status !== 0) process.exit(status);
}

if (!existsSync(join(root, 'node_modules/.modules.yaml'))) {
  must(['install', '--frozen-lockfile']);
}

if (command === 'demo') {
  must(['-s', 'turbo', 'run', 'build', '--output-logs=errors-only'], { stdio: ['inherit', 'ignore', 'inherit'] });
  const r = spawnSync(process.execPath, [join(root, 'packages/cli/dist/ptm.js'), 'demo', ...rest], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

if (command === 'test') {
  const pkgs = readdirSync(join(root, 'packages'));
  for (const p of pkgs) rmSync(join(root, 'packages', p, 'test-results.json'), { force: true });
  const status = run(['-s', 'turbo', 'run', 'test', '--continue', '--concurrency=2']);
  let passed = 0;
  let failed = 0;
  for (const p of pkgs) {
    const file = join(root, 'packages', p, 'test-results.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    if (!r.success && r.numFailedTests === 0) failed += 1; // a suite that failed to load
  }
  if (status !== 0 && failed === 0) failed = 1;
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && status === 0 ? 0 : 1);
}

console.error(`unknown command ${command}: use demo or test`);
process.exit(2);
