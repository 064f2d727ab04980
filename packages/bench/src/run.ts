/**
 * `pnpm bench`: ns/op of the walker's hot paths for every page-table type,
 * next to a raw chase through the same tables (the same loads and nothing
 * else), so the walker's overhead is a ratio measured in one run.
 *
 * Every measured loop has its own call site so V8 keeps each monomorphic,
 * and each page-table type runs in its own process (as an application uses
 * one), so no type's code shapes pollute another's.
 * Options: `--arch NAME` (substring), `--quick` (fewer repetitions).
 */
import { spawnSync } from 'node:child_process';
import { A64PageTable } from '@page-table/arch-aarch64';
import { LA64PageTable } from '@page-table/arch-loongarch64';
import { Sv39PageTable, Sv48PageTable, Sv57PageTable } from '@page-table/arch-riscv';
import { X64PageTable, X64PageTable5 } from '@page-table/arch-x86_64';
import { MappingFlags, PageSize, type PageTable64, type PagingHandler, RamHandler } from '@page-table/core';
import { BASE, PAGES, scrambled, scrambledVas } from './scene.js';

const RW = MappingFlags.READ | MappingFlags.WRITE;
const args = process.argv.slice(2);
const only = args.includes('--arch') ? args[args.indexOf('--arch') + 1] : undefined;
const REPS = args.includes('--quick') ? 3 : 7;

interface Target {
  name: string;
  create(h: PagingHandler): PageTable64;
  /** Frame number held by an entry (the raw chase's only decode). */
  riscv: boolean;
  /** A high-half VA base (bigint) for the bigint query. */
  high: bigint;
}

const TARGETS: Target[] = [
  { name: 'x86_64 4-level', create: (h) => X64PageTable.create(h), riscv: false, high: 0xffff_8000_0000_0000n },
  { name: 'x86_64 LA57', create: (h) => X64PageTable5.create(h), riscv: false, high: 0xff00_0000_0000_0000n },
  { name: 'riscv Sv39', create: (h) => Sv39PageTable.create(h), riscv: true, high: 0xffff_ffc0_0000_0000n },
  { name: 'riscv Sv48', create: (h) => Sv48PageTable.create(h), riscv: true, high: 0xffff_8000_0000_0000n },
  { name: 'riscv Sv57', create: (h) => Sv57PageTable.create(h), riscv: true, high: 0xff00_0000_0000_0000n },
  { name: 'aarch64 EL1', create: (h) => A64PageTable.create(h), riscv: false, high: 0xffff_0000_0000_0000n },
  { name: 'loongarch64 4-level', create: (h) => LA64PageTable.create(h), riscv: false, high: 0xffff_8000_0000_0000n },
  { name: 'loongarch64 3-level', create: (h) => LA64PageTable.create(h, { levels: 3 }), riscv: false, high: 0xffff_ffc0_0000_0000n },
];

/** Best of REPS runs of `fn` (which performs `ops` operations), in ns/op. */
function measure(ops: number, fn: () => number): number {
  let best = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let r = 0; r < REPS; r++) {
    const t0 = process.hrtime.bigint();
    sink += fn();
    const ns = Number(process.hrtime.bigint() - t0) / ops;
    if (ns < best) best = ns;
  }
  if (sink === 0.5) console.log('');
  return best;
}

const order = scrambled(PAGES);
const vas = scrambledVas();

function queryLoop(pt: PageTable64): number {
  let acc = 0;
  for (let i = 0; i < PAGES; i++) acc += pt.query(vas[i])!.paddr as number;
  return acc;
}

function queryPaLoop(pt: PageTable64): number {
  let acc = 0;
  for (let i = 0; i < PAGES; i++) acc += pt.queryPa(vas[i]);
  return acc;
}

function queryBigLoop(pt: PageTable64, big: bigint[]): number {
  let acc = 0;
  for (let i = 0; i < PAGES; i++) acc += pt.queryPa(big[i]);
  return acc;
}

function unmappedLoop(pt: PageTable64): number {
  let acc = 0;
  for (let i = 0; i < PAGES; i++) acc += pt.queryPa(vas[i] + 0x1_0000_0000);
  return acc;
}

/** Four (or 3/5) dependent loads through the tables, x86-style address field. */
function rawChase(words: Uint32Array, root: number, levels: number): number {
  let acc = 0;
  for (let i = 0; i < PAGES; i++) {
    const v = vas[i];
    const lo = v >>> 0;
    const hi = (v / 4294967296) >>> 0;
    let t = root;
    for (let level = levels - 1; level >= 0; level--) {
      const ix = level === 0 ? (lo >>> 12) & 511 : level === 1 ? (lo >>> 21) & 511 : level === 2 ? ((lo >>> 30) | (hi << 2)) & 511 : level === 3 ? (hi >>> 7) & 511 : (hi >>> 16) & 511;
      const w = t * 1024 + ix * 2;
      t = (words[w + 1] & 0xfffff) * 1048576 + (words[w] >>> 12);
    }
    acc += t * 4096 + (lo & 0xfff);
  }
  return acc;
}

/** The same chase with the RISC-V address field (PPN at bit 10). */
function rawChaseRv(words: Uint32Array, root: number, levels: number): number {
  let acc = 0;
  for (let i = 0; i < PAGES; i++) {
    const v = vas[i];
    const lo = v >>> 0;
    const hi = (v / 4294967296) >>> 0;
    let t = root;
    for (let level = levels - 1; level >= 0; level--) {
      const ix = level === 0 ? (lo >>> 12) & 511 : level === 1 ? (lo >>> 21) & 511 : level === 2 ? ((lo >>> 30) | (hi << 2)) & 511 : level === 3 ? (hi >>> 7) & 511 : (hi >>> 16) & 511;
      const w = t * 1024 + ix * 2;
      t = (words[w + 1] & 0x3fffff) * 4194304 + (words[w] >>> 10);
    }
    acc += t * 4096 + (lo & 0xfff);
  }
  return acc;
}

function mapLoop(pt: PageTable64, base: number): number {
  for (let i = 0; i < PAGES; i++) pt.map(base + i * 4096, 0x1000_0000 + i * 4096, PageSize.Size4K, RW);
  return 1;
}

function protectLoop(pt: PageTable64, base: number): number {
  for (let i = 0; i < PAGES; i++) pt.protect(base + i * 4096, MappingFlags.READ);
  return 1;
}

function unmapLoop(pt: PageTable64, base: number): number {
  for (let i = 0; i < PAGES; i++) pt.unmap(base + i * 4096);
  return 1;
}

interface Row {
  name: string;
  raw: number;
  query: number;
  queryPa: number;
  bigint: number;
  unmapped: number;
  map: number;
  protect: number;
  unmap: number;
  region4k: number;
  regionHuge: number;
}

function benchArch(t: Target): Row {
  const ram = new RamHandler({ base: 0, size: 64 << 20 });
  const pt = t.create(ram);
  pt.mapRegion(BASE, 0x1_0000_0000, PAGES * 4096, RW, false);
  const high = Array.from(order, (o) => t.high + BigInt(o * 4096 + 0x123));
  pt.mapRegion(t.high, 0x1_0000_0000, PAGES * 4096, RW, false);
  const words = ram.words;
  const root = (pt.rootPaddr as number) / 4096;
  const levels = pt.meta.levels;
  const raw = t.riscv ? measure(PAGES, () => rawChaseRv(words, root, levels)) : measure(PAGES, () => rawChase(words, root, levels));
  const check = t.riscv ? rawChaseRv(words, root, levels) : rawChase(words, root, levels);
  if (check !== queryPaLoop(pt)) throw new Error(`${t.name}: raw chase disagrees with queryPa`);
  const query = measure(PAGES, () => queryLoop(pt));
  const queryPa = measure(PAGES, () => queryPaLoop(pt));
  const bigint = measure(PAGES, () => queryBigLoop(pt, high));
  const unmapped = measure(PAGES, () => unmappedLoop(pt));
  // map / protect / unmap of 4K pages into existing tables (the first round builds them).
  const mbase = 0x8000_0000;
  mapLoop(pt, mbase);
  unmapLoop(pt, mbase);
  let map = Number.POSITIVE_INFINITY;
  let protect = Number.POSITIVE_INFINITY;
  let unmap = Number.POSITIVE_INFINITY;
  for (let r = 0; r < REPS; r++) {
    let t0 = process.hrtime.bigint();
    mapLoop(pt, mbase);
    map = Math.min(map, Number(process.hrtime.bigint() - t0) / PAGES);
    t0 = process.hrtime.bigint();
    protectLoop(pt, mbase);
    protect = Math.min(protect, Number(process.hrtime.bigint() - t0) / PAGES);
    t0 = process.hrtime.bigint();
    unmapLoop(pt, mbase);
    unmap = Math.min(unmap, Number(process.hrtime.bigint() - t0) / PAGES);
  }
  pt.destroy();
  // 1 GiB mapRegion into a fresh table each time, in ms.
  const region = (huge: boolean) => {
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < REPS; r++) {
      const ram2 = new RamHandler({ base: 0, size: 8 << 20 });
      const pt2 = t.create(ram2);
      const t0 = process.hrtime.bigint();
      pt2.mapRegion(0x4000_0000, 0x4000_0000, 0x4000_0000, RW, huge);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
      pt2.destroy();
    }
    return best;
  };
  return { name: t.name, raw, query, queryPa, bigint, unmapped, map, protect, unmap, region4k: region(false), regionHuge: region(true) };
}

const child = args.includes('--child') ? args[args.indexOf('--child') + 1] : undefined;
if (child !== undefined) {
  const t = TARGETS.find((x) => x.name === child);
  if (t === undefined) throw new Error(`unknown target ${child}`);
  console.log(JSON.stringify(benchArch(t)));
} else {
  const rows: Row[] = [];
  for (const t of TARGETS) {
    if (only && !t.name.includes(only)) continue;
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], ...args, '--child', t.name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${t.name}: ${r.stderr}`);
    rows.push(JSON.parse(r.stdout.trim().split('\n').pop() ?? ''));
  }
  const f = (x: number) => x.toFixed(1);
  console.log(`node ${process.version}, ${PAGES} pages, best of ${REPS}, one process per table type; ns/op unless noted`);
  console.log(
    '| table | raw chase | queryPa (number) | ratio | query (object) | queryPa (bigint VA) | unmapped | map 4K | protect | unmap | mapRegion 1G 4K (ms) | mapRegion 1G huge (ms) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${f(r.raw)} | ${f(r.queryPa)} | ${(r.queryPa / r.raw).toFixed(2)}x | ${f(r.query)} | ${f(r.bigint)} | ${f(r.unmapped)} | ${f(r.map)} | ${f(r.protect)} | ${f(r.unmap)} | ${r.region4k.toFixed(2)} | ${r.regionHuge.toFixed(3)} |`,
    );
  }
  const x86 = rows.find((r) => r.name === 'x86_64 4-level');
  if (x86) {
    for (const r of rows) {
      console.log(`${r.name}: ${(r.queryPa / x86.queryPa).toFixed(2)}x x86_64 on query, ${(r.map / x86.map).toFixed(2)}x on map`);
    }
  }
}
