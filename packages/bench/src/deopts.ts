/**
 * `pnpm --filter @page-table/bench deopts`: runs every measured loop of
 * `run.ts` twice per table type under `--trace-deopt` and counts the
 * deoptimizations in the second run (the steady state), which should be 0.
 * Options: `--arch NAME` (substring).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const NAMES = [
  'x86_64 4-level',
  'x86_64 LA57',
  'riscv Sv39',
  'riscv Sv48',
  'riscv Sv57',
  'aarch64 EL1',
  'loongarch64 4-level',
  'loongarch64 3-level',
];
const STEADY = '=== steady state ===';
const args = process.argv.slice(2);
const only = args.includes('--arch') ? args[args.indexOf('--arch') + 1] : undefined;
const run = fileURLToPath(new URL('./run.ts', import.meta.url));
let total = 0;
for (const name of NAMES) {
  if (only && !name.includes(only)) continue;
  const r = spawnSync(
    process.execPath,
    ['--trace-deopt', '--import', 'tsx', run, '--quick', '--child', name, '--steady'],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    },
  );
  if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
  const out = r.stdout;
  const at = out.indexOf(STEADY);
  if (at < 0) throw new Error(`${name}: no steady-state marker`);
  const lines = out
    .slice(at)
    .split('\n')
    .filter((l) => l.includes('bailout (kind: deopt'));
  total += lines.length;
  const fns = lines.map((l) => /<JSFunction ([^ >]*)/.exec(l)?.[1] ?? '?');
  console.log(
    `${name}: ${lines.length} deopts in steady state${lines.length ? ` (${[...new Set(fns)].join(', ')})` : ''}`,
  );
}
console.log(`${total} deopts in steady state`);
