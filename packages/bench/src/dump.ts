/**
 * `ptm dump` at scale, through the built binary (`packages/cli/dist/ptm.js`,
 * run `pnpm build` first): a 1 GiB image whose 262,144 pages are all mapped
 * by 4 KiB leaves that never merge (as a real guest's many small runs), and
 * a 64 GiB sparse image mapped in 2 MiB blocks with scattered 4 KiB tables.
 * Both are sparse files (only the tables are written). Each figure is wall
 * time and the child's peak RSS, beside the fastest plain-JS version of the
 * same work: one pass over the same tables with `readSync`, counting
 * leaves, in the same process kind.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PTM = join(dirname(fileURLToPath(import.meta.url)), '../../cli/dist/ptm.js');
const LINK = 7n;

/** Writes the 64-bit entries at their offsets into a sparse file of `size` bytes. */
function sparseImage(file: string, size: number, entries: Array<[number, bigint]>): void {
  const fd = openSync(file, 'w');
  ftruncateSync(fd, size);
  const b = Buffer.alloc(8);
  entries.sort((x, y) => x[0] - y[0]);
  for (const [at, v] of entries) {
    b.writeBigUInt64LE(v, 0);
    writeSync(fd, b, 0, 8, at);
  }
  closeSync(fd);
}

/** 1 GiB: PML4 at 0, PDPT at 0x1000, PD at 0x2000, 512 PTs from 0x3000; leaf i maps PA i * 4096, R/RW alternating. */
function gib(file: string): void {
  const e: Array<[number, bigint]> = [
    [0, 0x1000n | LINK],
    [0x1000, 0x2000n | LINK],
  ];
  for (let t = 0; t < 512; t++) {
    const pt = 0x3000 + t * 0x1000;
    e.push([0x2000 + 8 * t, BigInt(pt) | LINK]);
    for (let i = 0; i < 512; i++) e.push([pt + 8 * i, (BigInt(t * 512 + i) << 12n) | (i % 2 === 0 ? 1n : 3n)]);
  }
  sparseImage(file, 1 << 30, e);
}

/** 64 GiB: PML4 at 0, PDPT at 0x1000, 64 PDs spread over the image (one per GiB) mapping 2 MiB blocks, flags alternating. */
function sparse64(file: string): void {
  const e: Array<[number, bigint]> = [[0, 0x1000n | LINK]];
  for (let g = 0; g < 64; g++) {
    const pd = g * 2 ** 30 + 0x20_0000; // inside GiB g, past its first block
    e.push([0x1000 + 8 * g, BigInt(pd) | LINK]);
    for (let i = 0; i < 512; i++) e.push([pd + 8 * i, (BigInt(g * 512 + i) << 21n) | 0x80n | (i % 2 === 0 ? 1n : 3n)]);
  }
  sparseImage(file, 64 * 2 ** 30, e);
}

const RSS =
  "data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss '+process.resourceUsage().maxRSS+'\\n'))";

/** Runs a node child; returns wall ms, peak RSS in MiB and its stdout length. */
function child(args: string[]): { ms: number; rssMiB: number; bytes: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', RSS, ...args], { maxBuffer: 1 << 30, encoding: 'buffer' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const err = r.stderr.toString();
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${err}`);
  const rss = Number(/maxrss (\d+)/.exec(err)?.[1] ?? 0) / 1024;
  return { ms, rssMiB: rss, bytes: r.stdout.length };
}

/** The plain-JS walk of the same 4-level tables: readSync per table, count leaves. */
const PLAIN = `
const fs = require('node:fs'); const fd = fs.openSync(process.argv[1], 'r'); const buf = Buffer.alloc(4096);
let leaves = 0;
function walk(pa, level) {
  const t = Buffer.alloc(4096); fs.readSync(fd, t, 0, 4096, pa);
  for (let i = 0; i < 512; i++) {
    const lo = t.readUInt32LE(8 * i), hi = t.readUInt32LE(8 * i + 4);
    if ((lo & 1) === 0) continue;
    const next = (hi & 0xfffff) * 4294967296 + (lo >>> 12) * 4096;
    if (level === 0 || (lo & 0x80) !== 0) leaves++; else walk(next, level - 1);
  }
}
walk(0, 3); console.log(leaves);`;

function row(name: string, file: string, ptmArgs: string[]): void {
  const plain = child(['-e', PLAIN, file]);
  const human = child([PTM, 'dump', '--arch', 'x86_64', '--image', file, '--root', '0x0', ...ptmArgs]);
  const json = child([PTM, 'dump', '--arch', 'x86_64', '--image', file, '--root', '0x0', '--json', ...ptmArgs]);
  const f = (x: { ms: number; rssMiB: number; bytes: number }) =>
    `${x.ms.toFixed(0).padStart(6)} ms  ${x.rssMiB.toFixed(0).padStart(4)} MiB RSS  ${(x.bytes / 2 ** 20).toFixed(1).padStart(6)} MiB out`;
  console.log(`${name}`);
  console.log(`  plain-JS table walk  ${f(plain)}`);
  console.log(`  ptm dump             ${f(human)}   (${(human.ms / plain.ms).toFixed(1)}x the plain walk)`);
  console.log(`  ptm dump --json      ${f(json)}   (${(json.ms / plain.ms).toFixed(1)}x)`);
}

if (!existsSync(PTM)) {
  console.log(`ptm dump bench skipped: ${PTM} is not built (run pnpm build)`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'ptm-bench-'));
  try {
    gib(join(dir, '1g.img'));
    sparse64(join(dir, '64g.img'));
    console.log("ptm dump (node child per run, output to a pipe; RSS is the child's peak)");
    row('1 GiB image, 262,144 unmergeable 4 KiB leaves', join(dir, '1g.img'), []);
    row('64 GiB sparse image, 32,768 unmergeable 2 MiB blocks in 64 scattered PDs', join(dir, '64g.img'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
