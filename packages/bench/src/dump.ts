/**
 * `ptm dump` at scale, through the built binary (`packages/cli/dist/ptm.js`,
 * run `pnpm build` first): a 1 GiB image whose 262,144 pages are all mapped
 * by 4 KiB leaves that never merge (as a real guest's many small runs), and
 * a 64 GiB sparse image mapped in 2 MiB blocks with scattered 4 KiB tables.
 * Both are sparse files (only the tables are written). Then cores: a 64 GiB
 * sparse ELF core (one 64 GiB PT_LOAD) holding a real guest's tables at
 * their PAs (the committed Debian 6.1 x86_64 fixture: its notes byte for
 * byte, its table frames), and with `--core FILE` a real QEMU
 * `dump-guest-memory` core of any size (e.g. a 1 GiB guest captured with
 * `MEM=1G scripts/guest/capture.sh x86_64-4level OUT`), both opened as a
 * user would, with no --arch and no --root. Each figure is wall time and the
 * child's peak RSS, beside the fastest plain-JS version of the same work:
 * one pass over the same tables with `readSync` (through the core's
 * PT_LOADs), counting leaves, in the same process kind.
 *
 * Usage: `node --import tsx src/dump.ts [--core FILE]`.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const HERE = dirname(fileURLToPath(import.meta.url));
const PTM = join(HERE, '../../cli/dist/ptm.js');
/** A real guest's tables: QEMU's core of Debian's 6.1 kernel, minimized (provenance in its README). */
const FIXTURE = join(HERE, '../../dump/test/fixtures/x86_64-4level-kernel/core.elf.gz');
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

const PT_LOAD = 1;
const PT_NOTE = 4;

/** The program headers of an ELF64 little-endian file. */
function programHeaders(b: Buffer): Array<{ type: number; offset: number; paddr: number; filesz: number }> {
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) throw new Error('not an ELF64 file');
  const phoff = Number(b.readBigUInt64LE(32));
  const n = b.readUInt16LE(56);
  return Array.from({ length: n }, (_, i) => {
    const at = phoff + 56 * i;
    return {
      type: b.readUInt32LE(at),
      offset: Number(b.readBigUInt64LE(at + 8)),
      paddr: Number(b.readBigUInt64LE(at + 24)),
      filesz: Number(b.readBigUInt64LE(at + 32)),
    };
  });
}

/**
 * A 64 GiB sparse ELF core: the fixture's ELF header and notes (QEMU's NT_PRSTATUS, the QEMU note with
 * CR3, VMCOREINFO) with ONE PT_LOAD of 64 GiB from PA 0, holding the fixture's table frames at their PAs.
 */
function sparseCore(file: string): void {
  const src = gunzipSync(readFileSync(FIXTURE));
  const phs = programHeaders(src);
  const note = phs.find((p) => p.type === PT_NOTE);
  if (note === undefined) throw new Error(`${FIXTURE}: no PT_NOTE`);
  const size = 64 * 2 ** 30;
  const noteAt = 64 + 2 * 56;
  const dataAt = Math.ceil((noteAt + note.filesz) / 4096) * 4096;
  const head = Buffer.alloc(noteAt);
  src.copy(head, 0, 0, 64);
  head.writeBigUInt64LE(64n, 32); // e_phoff
  head.writeBigUInt64LE(0n, 40); // e_shoff: no sections
  head.writeUInt16LE(2, 56); // e_phnum
  head.writeUInt16LE(0, 60); // e_shnum
  head.writeUInt16LE(0, 62); // e_shstrndx
  const ph = (i: number, type: number, offset: number, paddr: number, filesz: number, align: number) => {
    const at = 64 + 56 * i;
    head.writeUInt32LE(type, at);
    head.writeUInt32LE(type === PT_LOAD ? 7 : 0, at + 4);
    head.writeBigUInt64LE(BigInt(offset), at + 8);
    head.writeBigUInt64LE(BigInt(paddr), at + 16);
    head.writeBigUInt64LE(BigInt(paddr), at + 24);
    head.writeBigUInt64LE(BigInt(filesz), at + 32);
    head.writeBigUInt64LE(BigInt(filesz), at + 40);
    head.writeBigUInt64LE(BigInt(align), at + 48);
  };
  ph(0, PT_NOTE, noteAt, 0, note.filesz, 0);
  ph(1, PT_LOAD, dataAt, 0, size, 4096);
  const fd = openSync(file, 'w');
  ftruncateSync(fd, dataAt + size);
  writeSync(fd, head, 0, head.length, 0);
  writeSync(fd, src, note.offset, note.filesz, noteAt);
  for (const p of phs) {
    if (p.type !== PT_LOAD || p.filesz === 0) continue;
    if (p.paddr + p.filesz > size) throw new Error(`fixture segment at PA ${p.paddr.toString(16)} past 64 GiB`);
    writeSync(fd, src, p.offset, p.filesz, dataAt + p.paddr);
  }
  closeSync(fd);
}

// The child's own peak RSS: Linux's VmHWM (getrusage's maxRSS keeps the forking parent's peak across exec).
const RSS =
  "data:text/javascript,import fs from 'node:fs';process.on('exit',()=>{let k=process.resourceUsage().maxRSS;try{k=Number(/VmHWM:\\s*(\\d+)/.exec(fs.readFileSync('/proc/self/status','utf8'))[1])}catch{}process.stderr.write('maxrss '+k+'\\n')})";

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

/**
 * The plain-JS walk of the same x86_64 tables: readSync per table, count leaves. Arguments: the file,
 * the root PA, the level count, and "elf" to read PAs through the file's PT_LOADs (else PA = offset).
 */
const PLAIN = `
const fs = require('node:fs'); const [file, rootArg, levelsArg, kind] = process.argv.slice(1);
const fd = fs.openSync(file, 'r'); const segs = [];
if (kind === 'elf') {
  const h = Buffer.alloc(64); fs.readSync(fd, h, 0, 64, 0);
  const n = h.readUInt16LE(56), ph = Buffer.alloc(56 * n); fs.readSync(fd, ph, 0, 56 * n, Number(h.readBigUInt64LE(32)));
  for (let i = 0; i < n; i++) if (ph.readUInt32LE(56 * i) === 1)
    segs.push([Number(ph.readBigUInt64LE(56 * i + 24)), Number(ph.readBigUInt64LE(56 * i + 32)), Number(ph.readBigUInt64LE(56 * i + 8))]);
}
function offsetOf(pa) {
  if (kind !== 'elf') return pa;
  for (const [p, n, o] of segs) if (pa >= p && pa + 4096 <= p + n) return o + pa - p;
  return -1;
}
let leaves = 0;
function walk(pa, level) {
  const at = offsetOf(pa); if (at < 0) return;
  const t = Buffer.alloc(4096); fs.readSync(fd, t, 0, 4096, at);
  for (let i = 0; i < 512; i++) {
    const lo = t.readUInt32LE(8 * i), hi = t.readUInt32LE(8 * i + 4);
    if ((lo & 1) === 0) continue;
    const next = (hi & 0xfffff) * 4294967296 + (lo >>> 12) * 4096;
    if (level === 0 || (level <= 2 && (lo & 0x80) !== 0)) leaves++; else walk(next, level - 1);
  }
}
walk(Number(rootArg), Number(levelsArg) - 1); console.log(leaves);`;

type Run = { ms: number; rssMiB: number; bytes: number };

const fmt = (x: Run) =>
  `${x.ms.toFixed(0).padStart(6)} ms  ${x.rssMiB.toFixed(0).padStart(4)} MiB RSS  ${(x.bytes / 2 ** 20).toFixed(1).padStart(6)} MiB out`;

function print(name: string, plain: Run, human: Run, json: Run): void {
  console.log(`${name}`);
  console.log(`  plain-JS table walk  ${fmt(plain)}`);
  console.log(`  ptm dump             ${fmt(human)}   (${(human.ms / plain.ms).toFixed(1)}x the plain walk)`);
  console.log(`  ptm dump --json      ${fmt(json)}   (${(json.ms / plain.ms).toFixed(1)}x)`);
}

/** A raw image with its root at PA 0. */
function row(name: string, file: string): void {
  const args = [PTM, 'dump', '--arch', 'x86_64', '--image', file, '--root', '0x0'];
  print(name, child(['-e', PLAIN, file, '0', '4', 'raw']), child(args), child([...args, '--json']));
}

/** An x86_64 ELF core opened as a user would (root and mode from its QEMU note); the plain walk gets them from ptm. */
function coreRow(name: string, file: string): void {
  const stats = spawnSync(process.execPath, [PTM, 'stats', '--image', file, '--json'], { encoding: 'utf8' });
  if (stats.status !== 0) throw new Error(`ptm stats --image ${file}: ${stats.stderr}`);
  const s = JSON.parse(stats.stdout) as { root: { paddr: string }; levels: number };
  const plain = child(['-e', PLAIN, file, String(Number(s.root.paddr)), String(s.levels), 'elf']);
  print(name, plain, child([PTM, 'dump', '--image', file]), child([PTM, 'dump', '--image', file, '--json']));
}

/** The value of `--core FILE`, if given. */
function coreOption(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--core');
  if (i < 0) return undefined;
  const f = argv[i + 1];
  if (f === undefined) throw new Error('--core needs a file');
  return f;
}

if (!existsSync(PTM)) {
  console.log(`ptm dump bench skipped: ${PTM} is not built (run pnpm build)`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'ptm-bench-'));
  try {
    gib(join(dir, '1g.img'));
    sparse64(join(dir, '64g.img'));
    console.log("ptm dump (node child per run, output to a pipe; RSS is the child's peak)");
    row('1 GiB image, 262,144 unmergeable 4 KiB leaves', join(dir, '1g.img'));
    row('64 GiB sparse image, 32,768 unmergeable 2 MiB blocks in 64 scattered PDs', join(dir, '64g.img'));
    sparseCore(join(dir, '64g.elf'));
    coreRow(
      "64 GiB sparse ELF core (one PT_LOAD) holding a real Debian 6.1 guest's kernel tables",
      join(dir, '64g.elf'),
    );
    const core = coreOption(process.argv.slice(2));
    if (core === undefined) {
      console.log('real core row skipped: no --core FILE (a QEMU dump-guest-memory ELF core, e.g. of a 1 GiB guest)');
    } else if (!existsSync(core)) {
      console.log(`real core row skipped: ${core} does not exist`);
    } else {
      const gib = (statSync(core).size / 2 ** 30).toFixed(2);
      coreRow(`real QEMU ELF core, ${gib} GiB (${core})`, core);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
