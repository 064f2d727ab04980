/**
 * `pnpm bench`, enumeration: `mappings()` over 2^20 scattered 4 KiB pages
 * (contiguous VAs, PAs in a scrambled order, so every page is its own run),
 * next to the fastest plain-JS loop doing the same work over the same
 * tables (the same entry decodes and run merging, results in a typed array:
 * no generator, no object per run). One process per table type.
 * Options: `--arch NAME` (substring), `--quick` (fewer repetitions).
 */
import { spawnSync } from 'node:child_process';
import { A64PageTable } from '@page-table/arch-aarch64';
import { LA64PageTable } from '@page-table/arch-loongarch64';
import { Sv39PageTable } from '@page-table/arch-riscv';
import { X64PageTable } from '@page-table/arch-x86_64';
import { type GenericPTE, MappingFlags, type PageTable64, type PagingHandler, RamHandler } from '@page-table/core';
import { scrambled } from './scene.js';

const RW = MappingFlags.READ | MappingFlags.WRITE;
const LEAVES = 1 << 20;
const args = process.argv.slice(2);
const only = args.includes('--arch') ? args[args.indexOf('--arch') + 1] : undefined;
const REPS = args.includes('--quick') ? 2 : 5;

const TARGETS: { name: string; create(h: PagingHandler): PageTable64 }[] = [
  { name: 'x86_64 4-level', create: (h) => X64PageTable.create(h) },
  { name: 'riscv Sv39', create: (h) => Sv39PageTable.create(h) },
  { name: 'aarch64 EL1', create: (h) => A64PageTable.create(h) },
  { name: 'loongarch64 4-level', create: (h) => LA64PageTable.create(h) },
];

/**
 * Best of REPS runs of `fn`, in ns per run it reports (`fn` returns the run
 * count). Timed in this process's CPU time, not wall time: on a shared,
 * loaded machine that leaves out the time other processes hold the core.
 */
function measure(fn: () => number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < REPS; r++) {
    const t0 = process.cpuUsage();
    const n = fn();
    const d = process.cpuUsage(t0);
    const ns = ((d.user + d.system) * 1000) / n;
    if (ns < best) best = ns;
  }
  return best;
}

let sink = 0;

function viaMappings(pt: PageTable64): number {
  let n = 0;
  for (const m of pt.mappings()) {
    n++;
    sink += m.size;
  }
  return n;
}

/** The plain loop: depth-first over the tables with the codec's decodes, merging runs, writing each run's fields to `out`. */
function plainLoop(h: PagingHandler, pte: GenericPTE, root: number, levels: number, out: Float64Array): number {
  const spans = [1, 512, 262144, 134217728, 68719476736];
  let runs = 0;
  let vpn0 = -2;
  let frame0 = 0;
  let pages = 0;
  let flags0 = -1;
  const visit = (table: number, level: number, first: number): void => {
    const base = h.frameWord(table);
    const words = h.words;
    for (let i = 0; i < 512; i++) {
      const lo = words[base + 2 * i];
      const hi = words[base + 2 * i + 1];
      if ((lo | hi) === 0) continue;
      const vpn = first + i * spans[level];
      if (level > 0 && pte.table(lo, hi)) {
        visit(pte.frame(lo, hi), level - 1, vpn);
        continue;
      }
      if (level === 0 ? !pte.page(lo, hi) : level > 2 || !pte.present(lo, hi)) continue;
      const frame = pte.frame(lo, hi);
      const flags = pte.decodeFlags(lo, hi);
      if (flags === flags0 && vpn === vpn0 + pages && frame === frame0 + pages) {
        pages += spans[level];
        continue;
      }
      if (vpn0 >= 0) {
        out[(runs % 1024) * 3] = vpn0;
        out[(runs % 1024) * 3 + 1] = frame0;
        out[(runs % 1024) * 3 + 2] = pages;
        runs++;
      }
      vpn0 = vpn;
      frame0 = frame;
      pages = spans[level];
      flags0 = flags;
    }
  };
  visit(root, levels - 1, 0);
  return vpn0 >= 0 ? runs + 1 : runs;
}

function benchArch(name: string): { name: string; runs: number; mappings: number; plain: number } {
  const t = TARGETS.find((x) => x.name === name);
  if (t === undefined) throw new Error(`unknown target ${name}`);
  const ram = new RamHandler({ base: 0, size: 16 << 20 });
  const pt = t.create(ram);
  const order = scrambled(LEAVES);
  // 4 GiB of contiguous VAs from 1 GiB, each page at a scrambled PA from 4 GiB: no two pages merge.
  pt.mapRegion(
    0x4000_0000,
    (va) => 0x1_0000_0000 + order[((va as number) - 0x4000_0000) / 4096] * 4096,
    LEAVES * 4096,
    RW,
  );
  const root = (pt.rootPaddr as number) / 4096;
  const out = new Float64Array(3 * 1024);
  const runs = viaMappings(pt);
  const plainRuns = plainLoop(ram, pt.meta.pte, root, pt.meta.levels, out);
  if (runs !== plainRuns) throw new Error(`${name}: mappings() gave ${runs} runs, the plain loop ${plainRuns}`);
  return {
    name,
    runs,
    mappings: measure(() => viaMappings(pt)),
    plain: measure(() => plainLoop(ram, pt.meta.pte, root, pt.meta.levels, out)),
  };
}

const child = args.includes('--child') ? args[args.indexOf('--child') + 1] : undefined;
if (child !== undefined) {
  console.log(JSON.stringify(benchArch(child)));
  if (sink === 0.5) console.log('');
} else {
  console.log(
    `node ${process.version}, mappings() of ${LEAVES} scattered 4K pages (one run each), best of ${REPS} in CPU time, one process per table type`,
  );
  console.log('| table | runs | mappings() ns/run | M runs/s | plain loop ns/run | ratio |');
  console.log('|---|---|---|---|---|---|');
  for (const t of TARGETS) {
    if (only && !t.name.includes(only)) continue;
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], ...args, '--child', t.name], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`${t.name}: ${r.stderr}`);
    const row = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
    console.log(
      `| ${row.name} | ${row.runs} | ${row.mappings.toFixed(1)} | ${(1e3 / row.mappings).toFixed(1)} | ${row.plain.toFixed(1)} | ${(row.mappings / row.plain).toFixed(2)}x |`,
    );
  }
}
