/**
 * Benchmarks of the frame layer, each against the fastest plain-JS version of the same work in the
 * same process: `pnpm --filter @page-table/dump bench`. Ratios only mean something within one run.
 */
import { inflateSync } from 'node:zlib';
import { X64PageTable } from '@page-table/arch-x86_64';
import { MappingFlags, RamHandler } from '@page-table/core';
import { zlibSync } from 'fflate';
import { bytesSource, FrameMemory, openDump, RegionFrames } from '../src/index.js';
import { kdumpFile } from '../test/build.js';

const F = 4096;

/** The best of `reps` timed runs after `reps` warm-up runs, per operation. */
function time(label: string, n: number, fn: () => void, reps = 5): number {
  for (let i = 0; i < reps; i++) fn();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  const ns = best / n;
  console.log(`${label.padEnd(58)} ${ns.toFixed(1).padStart(9)} ns/op`);
  return ns;
}

function ratio(label: string, ours: number, plain: number): void {
  console.log(`${`  ratio ${label}`.padEnd(58)} ${(ours / plain).toFixed(2).padStart(9)}x`);
}

// 1. Frame reads: RegionFrames over 4 regions (holes between) vs copying from one Uint8Array.
const ram = new Uint8Array(64 << 20).map((_, i) => i & 0xff);
const src = bytesSource(ram);
const regions = new RegionFrames([
  { paddr: 0n, size: 0xa0000n, source: src, offset: 0, stored: 0xa0000 },
  { paddr: 0xc0000n, size: 0x3f40000n, source: src, offset: 0xc0000, stored: 0x3f40000 },
  { paddr: 0xfd000000n, size: 0x1000n, source: src, offset: 0x1000, stored: 0x1000 },
  { paddr: 0xfffc0000n, size: 0x40000n, source: src, offset: 0, stored: 0x40000 },
]);
const into = new Uint8Array(F);
const frames = Array.from({ length: 1 << 14 }, (_, i) => 0xc0 + ((i * 7919) % 0x3f00));
const tRegion = time('RegionFrames.readFrame (random frame, 4 regions)', frames.length, () => {
  for (const f of frames) regions.readFrame(f, into);
});
const tPlain = time('plain Uint8Array.set of the same 4 KiB', frames.length, () => {
  for (const f of frames) into.set(ram.subarray(f * F, f * F + F));
});
ratio('RegionFrames / plain copy', tRegion, tPlain);

// 2. The walker over FrameMemory (cache hits after the first pass) vs over RamHandler holding the same tables.
const rh = new RamHandler({ base: 0, size: 64 << 20 });
const pt = X64PageTable.create(rh);
for (let i = 0; i < 64; i++)
  pt.mapRegion(
    0x4000_0000 + i * 0x20_0000 * 2,
    i * 0x10_0000,
    0x10_0000,
    MappingFlags.READ | MappingFlags.WRITE,
    false,
  );
const image = new Uint8Array(rh.words.buffer, 0, 64 << 20);
const mem = new FrameMemory(
  new RegionFrames([
    { paddr: 0n, size: BigInt(image.length), source: bytesSource(image), offset: 0, stored: image.length },
  ]),
);
const cached = X64PageTable.fromRoot(mem, pt.rootPaddr);
const vas = Array.from(
  { length: 1 << 16 },
  (_, i) => 0x4000_0000 + ((i * 2654435761) % 64) * 0x40_0000 + ((i * 40503) % 256) * F,
);
let sink = 0;
const tCached = time('query through FrameMemory (all tables cached)', vas.length, () => {
  for (const va of vas) sink ^= cached.queryPa(va);
});
const tRam = time('query through RamHandler (same tables)', vas.length, () => {
  for (const va of vas) sink ^= pt.queryPa(va);
});
ratio('FrameMemory / RamHandler', tCached, tRam);
const tMap = time('mappings() (16384 pages in 64 runs) through FrameMemory', 1, () => {
  sink ^= [...cached.mappings()].length;
});
const tMapRam = time('mappings() (16384 pages in 64 runs) through RamHandler', 1, () => {
  sink ^= [...pt.mappings()].length;
});
ratio('FrameMemory / RamHandler (mappings)', tMap, tMapRam);

// 3. kdump zlib pages: fflate (browser-safe, what the reader uses) vs Node's native zlib.
const page = new Uint8Array(F).map((_, i) => (i % 97 === 0 ? i & 0xff : 0));
const packed = zlibSync(page);
const out = new Uint8Array(F);
const nPages = 4096;
const pages = new Map(Array.from({ length: nPages }, (_, i) => [i, page] as const));
const kd = openDump(
  bytesSource(kdumpFile({ maxMapnr: nPages, ram: [...pages.keys()], pages, notes: new Uint8Array(0) })),
);
const tKdump = time('kdump readFrame (zlib page: descriptor + inflate)', nPages, () => {
  for (let f = 0; f < nPages; f++) kd.frames.readFrame(f, out);
});
const tNode = time('node:zlib inflateSync of the same page (native)', nPages, () => {
  for (let f = 0; f < nPages; f++) sink ^= inflateSync(packed)[0];
});
ratio('kdump readFrame / native inflate', tKdump, tNode);

// 4. Opening a 64 GiB sparse kdump (2 MiB bitmaps, 256 pages dumped): bitmap ranks and regions.
const sparsePages = new Map(Array.from({ length: 256 }, (_, i) => [i * 65536, page] as const));
const sparse = kdumpFile({
  maxMapnr: 1 << 24,
  ram: [...sparsePages.keys()],
  pages: sparsePages,
  notes: new Uint8Array(0),
});
const tOpen = time(
  'openDump of a 64 GiB sparse kdump (seekable)',
  1,
  () => {
    sink ^= openDump(bytesSource(sparse)).regions.length;
  },
  2,
);
console.log(`  (${(sparse.length / 2 ** 20).toFixed(1)} MiB file, ${(tOpen / 1e6).toFixed(1)} ms)`);
if (sink === 0.5) console.log(sink);
