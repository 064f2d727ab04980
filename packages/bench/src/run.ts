/**
 * `pnpm bench`: ns/op of the walker's hot paths for every page-table type,
 * each next to the plain-JavaScript floor of the same work on the same
 * tables in the same process (`probe.ts`), so the walker's overhead is a
 * ratio measured in one run.
 *
 * Every measured loop has its own call site so V8 keeps each monomorphic,
 * and each page-table type runs in its own process (as an application uses
 * one), so no type's code shapes pollute another's. The 8 and 64 GiB
 * `mapRegion` rows run in a process of their own each, for their peak RSS.
 * Options: `--arch NAME` (substring), `--quick` (fewer repetitions),
 * `--no-big` (skip the 8 and 64 GiB rows).
 */
import { spawnSync } from 'node:child_process';
import { A64PageTable } from '@page-table/arch-aarch64';
import { LA64PageTable } from '@page-table/arch-loongarch64';
import { Sv39PageTable, Sv48PageTable, Sv57PageTable } from '@page-table/arch-riscv';
import { X64PageTable, X64PageTable5 } from '@page-table/arch-x86_64';
import { MappingFlags, PageSize, type PageTable64, type PagingHandler, RamHandler } from '@page-table/core';
import { floorChase, loopChase, probeMap, probeProtect, probeRegion, probeUnmap } from './probe.js';
import { BASE, PAGES, scrambled, scrambledVas } from './scene.js';

const RW = MappingFlags.READ | MappingFlags.WRITE;
/** The line `--steady` prints between the warm-up and the steady-state run. */
export const STEADY = '=== steady state ===';
const args = process.argv.slice(2);
const only = args.includes('--arch') ? args[args.indexOf('--arch') + 1] : undefined;
const REPS = args.includes('--quick') ? 3 : 7;

interface Target {
  name: string;
  create(h: PagingHandler): PageTable64;
  /** Bit of the low half where the entry's frame number starts (12, RISC-V 10). */
  sh: number;
  /** Mask of the frame number's bits in the high half. */
  hm: number;
  /** A high-half VA base (bigint) for the bigint query. */
  high: bigint;
}

const TARGETS: Target[] = [
  { name: 'x86_64 4-level', create: (h) => X64PageTable.create(h), sh: 12, hm: 0xfffff, high: 0xffff_8000_0000_0000n },
  { name: 'x86_64 LA57', create: (h) => X64PageTable5.create(h), sh: 12, hm: 0xfffff, high: 0xff00_0000_0000_0000n },
  { name: 'riscv Sv39', create: (h) => Sv39PageTable.create(h), sh: 10, hm: 0x3fffff, high: 0xffff_ffc0_0000_0000n },
  { name: 'riscv Sv48', create: (h) => Sv48PageTable.create(h), sh: 10, hm: 0x3fffff, high: 0xffff_8000_0000_0000n },
  { name: 'riscv Sv57', create: (h) => Sv57PageTable.create(h), sh: 10, hm: 0x3fffff, high: 0xff00_0000_0000_0000n },
  { name: 'aarch64 EL1', create: (h) => A64PageTable.create(h), sh: 12, hm: 0xffff, high: 0xffff_0000_0000_0000n },
  {
    name: 'loongarch64 4-level',
    create: (h) => LA64PageTable.create(h),
    sh: 12,
    hm: 0xffff,
    high: 0xffff_8000_0000_0000n,
  },
  {
    name: 'loongarch64 3-level',
    create: (h) => LA64PageTable.create(h, { levels: 3 }),
    sh: 12,
    hm: 0xffff,
    high: 0xffff_ffc0_0000_0000n,
  },
];

/** Nanoseconds `fn` takes, once. */
function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0);
}

const order = scrambled(PAGES);
const vas = scrambledVas();
const unmappedVas = vas.map((v) => v + 0x1_0000_0000);

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

function queryBigSameLoop(pt: PageTable64, big: bigint[]): number {
  let acc = 0;
  for (let i = 0; i < PAGES; i++) acc += pt.queryPa(big[i]);
  return acc;
}

function unmappedLoop(pt: PageTable64): number {
  let acc = 0;
  for (let i = 0; i < PAGES; i++) acc += pt.queryPa(unmappedVas[i]);
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
  let acc = 0;
  for (let i = 0; i < PAGES; i++) acc += pt.unmap(base + i * 4096).paddr as number;
  return acc;
}

/** Figures of one table type (ns/op unless the name says otherwise). */
interface Row {
  name: string;
  floor: number;
  loop: number;
  query: number;
  queryPa: number;
  bigint: number;
  /** The bigint query of the same (low) VAs as `queryPa`: the bigint cost alone, same tables, same cache. */
  bigintSame: number;
  unmapped: number;
  map: number;
  mapProbe: number;
  protect: number;
  protectProbe: number;
  unmap: number;
  unmapProbe: number;
  region4kMs: number;
  regionProbeMs: number;
  regionHugeUs: number;
}

/** The leaf and table-link bits of an arch's entry for RW (the probes write them as the codec would). */
function bitsOf(pt: PageTable64, flags: number): { lo: number; hi: number; table: number } {
  const pte = pt.meta.pte;
  pte.encodePage(0, flags, false);
  const lo = pte.lo;
  const hi = pte.hi;
  pte.encodeTable(0);
  return { lo, hi, table: pte.lo };
}

function benchArch(t: Target): Row {
  const ram = new RamHandler({ base: 0, size: 64 << 20 });
  const pt = t.create(ram);
  pt.mapRegion(BASE, 0x1_0000_0000, PAGES * 4096, RW, false);
  const high = Array.from(order, (o) => t.high + BigInt(o * 4096 + 0x123));
  pt.mapRegion(t.high, 0x1_0000_0000, PAGES * 4096, RW, false);
  const same = Array.from(vas, (v) => BigInt(v));
  const words = ram.words;
  const rootFrame = (pt.rootPaddr as number) / 4096;
  const root = ram.frameWord(rootFrame);
  const levels = pt.meta.levels;
  const { sh, hm } = t;
  const check = floorChase(words, root, levels, sh, hm, vas);
  if (check !== queryPaLoop(pt) || check !== loopChase(words, rootFrame, levels, sh, hm, vas)) {
    throw new Error(`${t.name}: the chases disagree with queryPa`);
  }
  // map / protect / unmap of 4K pages into existing tables (the first round builds them).
  const mbase = 0x8000_0000;
  const rw = bitsOf(pt, RW);
  const ro = bitsOf(pt, MappingFlags.READ);
  mapLoop(pt, mbase);
  unmapLoop(pt, mbase);
  // 1 GiB mapRegion with 4K pages into a fresh table (ms), and the probe doing the same into a
  // fresh table whose upper levels exist, in recycled frames both.
  const ram2 = new RamHandler({ base: 0, size: 8 << 20 });
  const region = () => {
    const pt2 = t.create(ram2);
    const ns = time(() => pt2.mapRegion(0x4000_0000, 0x4000_0000, 0x4000_0000, RW, false));
    pt2.destroy();
    return ns / 1e6;
  };
  const regionProbe = () => {
    const pt3 = t.create(ram2);
    pt3.map(0x4000_0000, 0, PageSize.Size2M, RW);
    pt3.unmap(0x4000_0000);
    const w2 = ram2.words;
    const alloc = () => {
      const w = ram2.frameWord((ram2.allocFrames(1, 4096) as number) / 4096);
      w2.fill(0, w, w + 1024);
      return w;
    };
    const root3 = ram2.frameWord((pt3.rootPaddr as number) / 4096);
    const ns = time(() =>
      probeRegion(w2, root3, levels, sh, hm, 0x4000_0000, 0x4000_0000, 262144, rw.lo, rw.hi, rw.table, alloc),
    );
    pt3.destroy();
    return ns / 1e6;
  };
  // Rounds of every loop in turn, best of each: a burst of load on the shared machine then hits
  // all of them alike instead of one figure.
  const b = {
    floor: Infinity,
    loop: Infinity,
    query: Infinity,
    queryPa: Infinity,
    bigint: Infinity,
    bigintSame: Infinity,
    unmapped: Infinity,
    map: Infinity,
    mapProbe: Infinity,
    protect: Infinity,
    protectProbe: Infinity,
    unmap: Infinity,
    unmapProbe: Infinity,
    region4kMs: Infinity,
    regionProbeMs: Infinity,
  };
  let sink = 0;
  for (let r = 0; r < 2 * REPS; r++) {
    let t0 = process.hrtime.bigint();
    const lap = () => {
      const t1 = process.hrtime.bigint();
      const ns = Number(t1 - t0) / PAGES;
      t0 = t1;
      return ns;
    };
    sink += floorChase(words, root, levels, sh, hm, vas);
    b.floor = Math.min(b.floor, lap());
    sink += loopChase(words, rootFrame, levels, sh, hm, vas);
    b.loop = Math.min(b.loop, lap());
    sink += queryLoop(pt);
    b.query = Math.min(b.query, lap());
    sink += queryPaLoop(pt);
    b.queryPa = Math.min(b.queryPa, lap());
    sink += queryBigLoop(pt, high);
    b.bigint = Math.min(b.bigint, lap());
    sink += queryBigSameLoop(pt, same);
    b.bigintSame = Math.min(b.bigintSame, lap());
    sink += unmappedLoop(pt);
    b.unmapped = Math.min(b.unmapped, lap());
    mapLoop(pt, mbase);
    b.map = Math.min(b.map, lap());
    protectLoop(pt, mbase);
    b.protect = Math.min(b.protect, lap());
    sink += unmapLoop(pt, mbase);
    b.unmap = Math.min(b.unmap, lap());
    probeMap(words, root, levels, sh, hm, mbase, 0x1000_0000, PAGES, rw.lo, rw.hi);
    b.mapProbe = Math.min(b.mapProbe, lap());
    probeProtect(words, root, levels, sh, hm, mbase, PAGES, ro.lo);
    b.protectProbe = Math.min(b.protectProbe, lap());
    sink += probeUnmap(words, root, levels, sh, hm, mbase, PAGES);
    b.unmapProbe = Math.min(b.unmapProbe, lap());
    for (let k = 0; k < 3; k++) {
      b.region4kMs = Math.min(b.region4kMs, region());
      b.regionProbeMs = Math.min(b.regionProbeMs, regionProbe());
    }
  }
  if (sink === 0.5) console.log('');
  pt.destroy();
  let regionHugeUs = Infinity;
  // Huge pages: one 1 GiB block (and its tables) into a fresh table, warm: best of many (µs).
  const ram3 = new RamHandler({ base: 0, size: 1 << 20 });
  for (let r = 0; r < 50 * REPS; r++) {
    const pt4 = t.create(ram3);
    regionHugeUs = Math.min(
      regionHugeUs,
      time(() => pt4.mapRegion(0x4000_0000, 0x4000_0000, 0x4000_0000, RW, true)) / 1e3,
    );
    pt4.destroy();
  }
  return { name: t.name, ...b, regionHugeUs };
}

/** One big 4K `mapRegion` in a fresh process: time, and peak RSS against the table frames it needed. */
interface BigRow {
  name: string;
  gib: number;
  ms: number;
  nsPerPage: number;
  peakMiB: number;
  beforeMiB: number;
  tablesMiB: number;
}

function benchBig(t: Target, gib: number): BigRow {
  const pages = gib * 262144;
  const tableFrames = Math.ceil(pages / 512) + Math.ceil(pages / 262144) + 8;
  const ram = new RamHandler({ base: 0, size: (tableFrames + 16) * 4096 });
  const pt = t.create(ram);
  const before = process.memoryUsage().rss;
  // At 64 GiB: inside every arch's low half (Sv39's ends at 256 GiB).
  const ns = time(() => pt.mapRegion(0x10_0000_0000, 0x10_0000_0000, gib * 2 ** 30, RW, false));
  const peak = process.resourceUsage().maxRSS * 1024;
  const MiB = 2 ** 20;
  return {
    name: t.name,
    gib,
    ms: ns / 1e6,
    nsPerPage: ns / pages,
    peakMiB: peak / MiB,
    beforeMiB: before / MiB,
    tablesMiB: (ram.framesInUse * 4096) / MiB,
  };
}

function spawnChild(extra: string[]): string {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${extra.join(' ')}: ${r.stderr}`);
  return r.stdout.trim().split('\n').pop() ?? '';
}

const child = args.includes('--child') ? args[args.indexOf('--child') + 1] : undefined;
const big = args.includes('--big') ? Number(args[args.indexOf('--big') + 1]) : undefined;
if (child !== undefined) {
  const t = TARGETS.find((x) => x.name === child);
  if (t === undefined) throw new Error(`unknown target ${child}`);
  if (args.includes('--steady')) {
    // For deopts.ts: warm everything up, mark the start of the steady state, run it all again.
    benchArch(t);
    console.log(STEADY);
  }
  console.log(JSON.stringify(big === undefined ? benchArch(t) : benchBig(t, big)));
} else {
  const rows: Row[] = [];
  const bigRows: BigRow[] = [];
  const pass = args.filter((a) => a === '--quick');
  for (const t of TARGETS) {
    if (only && !t.name.includes(only)) continue;
    rows.push(JSON.parse(spawnChild([...pass, '--child', t.name])));
    if (!args.includes('--no-big')) {
      for (const gib of [8, 64]) bigRows.push(JSON.parse(spawnChild(['--child', t.name, '--big', String(gib)])));
    }
  }
  const f = (x: number) => x.toFixed(1);
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  console.log(
    `node ${process.version}, ${PAGES} pages, best of ${2 * REPS} rounds, one process per table type; ns/op unless noted`,
  );
  console.log('\nQueries against the floor (unrolled int32 chase); the loop chase is the old floor:\n');
  console.log(
    '| table | floor | loop chase | `queryPa` | / floor | unmapped | / floor | bigint VA | − `queryPa` | bigint, same VAs | − `queryPa` | `query` | − `queryPa` |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${f(r.floor)} | ${f(r.loop)} | ${f(r.queryPa)} | ${x(r.queryPa, r.floor)} | ${f(r.unmapped)} | ${x(r.unmapped, r.floor)} | ${f(r.bigint)} | ${f(r.bigint - r.queryPa)} | ${f(r.bigintSame)} | ${f(r.bigintSame - r.queryPa)} | ${f(r.query)} | ${f(r.query - r.queryPa)} |`,
    );
  }
  console.log('\nModifications against their plain-JS probes (same tables, same process):\n');
  console.log(
    '| table | map 4K | probe | ratio | protect | probe | ratio | unmap | probe | ratio | mapRegion 1G 4K (ms) | probe (ms) | ratio | mapRegion 1G huge (µs) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${f(r.map)} | ${f(r.mapProbe)} | ${x(r.map, r.mapProbe)} | ${f(r.protect)} | ${f(r.protectProbe)} | ${x(r.protect, r.protectProbe)} | ${f(r.unmap)} | ${f(r.unmapProbe)} | ${x(r.unmap, r.unmapProbe)} | ${r.region4kMs.toFixed(2)} | ${r.regionProbeMs.toFixed(2)} | ${x(r.region4kMs, r.regionProbeMs)} | ${r.regionHugeUs.toFixed(2)} |`,
    );
  }
  if (bigRows.length > 0) {
    console.log(
      '\nBig 4K mapRegion, one fresh process each (peak RSS of the process; "over" = peak − RSS before − table frames):\n',
    );
    console.log('| table | GiB | ms | ns/page | RSS before (MiB) | peak RSS (MiB) | table frames (MiB) | over (MiB) |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const b of bigRows) {
      console.log(
        `| ${b.name} | ${b.gib} | ${b.ms.toFixed(0)} | ${f(b.nsPerPage)} | ${b.beforeMiB.toFixed(0)} | ${b.peakMiB.toFixed(0)} | ${b.tablesMiB.toFixed(0)} | ${(b.peakMiB - b.beforeMiB - b.tablesMiB).toFixed(0)} |`,
      );
    }
  }
}
