// Turns one capture (see capture.sh / monitor.mjs) into a compact test fixture: a valid small ELF
// core with the original's notes and PT_LOADs only for the frames the page tables occupy (found by
// reading the core with @page-table/dump and walking the tables with the repository's own library
// from CR3 / the TTBRs and from the VMCOREINFO kernel root), gzip-compressed, plus QEMU's answers.
//
// Usage: node scripts/guest/minimize.mjs CAPTURE_DIR FIXTURE_DIR
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { kernelRoot } from '../../packages/dump/dist/index.js';
import { elfNotes, openCore } from './core.mjs';

const [captureDir, fixtureDir] = process.argv.slice(2);
if (!captureDir || !fixtureDir) {
  console.error('usage: minimize.mjs CAPTURE_DIR FIXTURE_DIR');
  process.exit(2);
}
const x86 = await import('../../packages/arch-x86_64/dist/index.js');
const a64 = await import('../../packages/arch-aarch64/dist/index.js');

const original = readFileSync(join(captureDir, 'core.elf'));
const { dump, memory: mem, touched, frameBytes } = openCore(original);
const roots = [];
const hex = (v) => `0x${v.toString(16)}`;

function touchAll(pt) {
  pt.walk(() => {});
  for (const _ of pt.mappings());
}

const kernel = dump.vmcoreinfo && kernelRoot(dump.vmcoreinfo, dump.machine);
if (dump.machine === 'x86_64') {
  const regs = dump.cpus[0].registers;
  const la57 = (regs.get('cr4') & (1n << 12n)) !== 0n;
  const Table = la57 ? x86.X64PageTable5 : x86.X64PageTable;
  const cr3 = regs.get('cr3') & 0x000f_ffff_ffff_f000n;
  roots.push({ what: 'CR3', root: cr3 });
  // Under PTI a user-mode CR3 is the user copy; the kernel's PGD of the same process is the page below.
  if (cr3 & 0x1000n) roots.push({ what: 'CR3 with the PTI user bit (12) cleared', root: cr3 & ~0x1000n });
  if (kernel) roots.push({ what: 'VMCOREINFO init_top_pgt', root: kernel.root });
  for (const r of roots) touchAll(Table.fromRoot(mem, r.root));
} else if (dump.machine === 'aarch64') {
  const sys = JSON.parse(readFileSync(join(captureDir, 'system-registers.json'), 'utf8'));
  const baddr = 0x0000_ffff_ffff_f000n;
  roots.push({ what: 'TTBR0_EL1', root: BigInt(sys.TTBR0_EL1) & baddr, range: 'lower' });
  roots.push({ what: 'TTBR1_EL1', root: BigInt(sys.TTBR1_EL1) & baddr, range: 'upper' });
  if (kernel) roots.push({ what: 'VMCOREINFO swapper_pg_dir', root: kernel.root, range: 'upper' });
  for (const r of roots) touchAll(a64.A64PageTable.fromRoot(mem, r.root, { range: r.range }));
} else {
  throw new Error(`unsupported machine ${dump.machine}`);
}

// The small core: ELF header, PT_NOTE, one PT_LOAD per run of consecutive table frames.
const frames = [...touched].sort((a, b) => a - b);
const notes = elfNotes(original);
const runs = [];
for (const f of frames) {
  const last = runs[runs.length - 1];
  if (last && last.first + last.count === f) last.count++;
  else runs.push({ first: f, count: 1 });
}
const phnum = 1 + runs.length;
if (phnum >= 0xffff) throw new Error('too many runs for a plain e_phnum');
const notesOff = 64 + 56 * phnum;
let dataOff = Math.ceil((notesOff + notes.length) / 4096) * 4096;
const total = dataOff + frames.length * 4096;
const out = Buffer.alloc(total);
original.copy(out, 0, 0, 64);
out.writeBigUInt64LE(64n, 32); // e_phoff
out.writeBigUInt64LE(0n, 40); // e_shoff
out.writeUInt16LE(56, 54);
out.writeUInt16LE(phnum, 56);
out.writeUInt16LE(0, 58); // e_shentsize
out.writeUInt16LE(0, 60); // e_shnum
out.writeUInt16LE(0, 62); // e_shstrndx
const ph = (i, type, offset, paddr, size) => {
  const o = 64 + 56 * i;
  out.writeUInt32LE(type, o);
  out.writeUInt32LE(type === 1 ? 7 : 0, o + 4); // p_flags RWX for memory, as QEMU writes
  out.writeBigUInt64LE(BigInt(offset), o + 8);
  out.writeBigUInt64LE(paddr, o + 16); // p_vaddr == p_paddr (a dump without -p)
  out.writeBigUInt64LE(paddr, o + 24);
  out.writeBigUInt64LE(BigInt(size), o + 32);
  out.writeBigUInt64LE(BigInt(size), o + 40);
  out.writeBigUInt64LE(0n, o + 48);
};
ph(0, 4, notesOff, 0n, notes.length);
Buffer.from(notes).copy(out, notesOff);
runs.forEach((r, i) => {
  ph(1 + i, 1, dataOff, BigInt(r.first) * 4096n, r.count * 4096);
  for (let k = 0; k < r.count; k++) out.set(frameBytes(r.first + k), dataOff + k * 4096);
  dataOff += r.count * 4096;
});

mkdirSync(fixtureDir, { recursive: true });
writeFileSync(join(fixtureDir, 'core.elf.gz'), gzipSync(out, { level: 9 }));
for (const f of ['registers.txt', 'gva2gpa.json', 'system-registers.json', 'mem.txt']) {
  if (existsSync(join(captureDir, f))) copyFileSync(join(captureDir, f), join(fixtureDir, f));
}
if (existsSync(join(captureDir, 'tlb.txt'))) {
  writeFileSync(join(fixtureDir, 'tlb.txt.gz'), gzipSync(readFileSync(join(captureDir, 'tlb.txt')), { level: 9 }));
}
const summary = {
  source: 'core.elf written by QEMU dump-guest-memory, reduced to the page-table frames by scripts/guest/minimize.mjs',
  originalBytes: original.length,
  originalLoads: dump.regions.map((l) => ({ paddr: hex(l.paddr), size: hex(l.size) })),
  tableFrames: frames.length,
  loads: runs.length,
  roots: roots.map((r) => ({ what: r.what, root: hex(r.root) })),
};
writeFileSync(join(fixtureDir, 'minimized.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(`${fixtureDir}: ${frames.length} table frames in ${runs.length} PT_LOADs (of ${original.length} bytes)`);
