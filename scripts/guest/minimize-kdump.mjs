// Reduces QEMU's `dump-guest-memory -z` output (makedumpfile's flattened stream, zlib pages) to the
// page-table frames a fixture keeps, without re-encoding anything QEMU wrote: the main header, the
// sub-header with its notes and VMCOREINFO, the first bitmap and the compressed bytes of every kept
// page are QEMU's own; the second bitmap ("dumped") and the page descriptors are rewritten to list
// only the kept frames. Written back as a flattened stream, gzip-compressed.
//
// Usage: node scripts/guest/minimize-kdump.mjs CAPTURE_DIR FIXTURE_DIR
// (FIXTURE_DIR/minimized.json from minimize.mjs says which frames; the table frames are re-found
// here from its roots' walk by reading the ELF fixture.)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { openCore } from './core.mjs';

const [captureDir, fixtureDir] = process.argv.slice(2);
if (!captureDir || !fixtureDir) {
  console.error('usage: minimize-kdump.mjs CAPTURE_DIR FIXTURE_DIR');
  process.exit(2);
}

/** Reassembles a flattened stream: the header, then `{be64 offset, be64 size, bytes}` records. */
function unflatten(flat) {
  if (flat.subarray(0, 12).toString('latin1') !== 'makedumpfile')
    throw new Error('not a flattened makedumpfile stream');
  const records = [];
  let end = 0;
  for (let o = 4096; ; ) {
    const offset = flat.readBigInt64BE(o);
    const size = flat.readBigInt64BE(o + 8);
    if (offset === -1n && size === -1n) break;
    records.push({ offset: Number(offset), data: flat.subarray(o + 16, o + 16 + Number(size)) });
    end = Math.max(end, Number(offset + size));
    o += 16 + Number(size);
  }
  const out = Buffer.alloc(end);
  for (const r of records) r.data.copy(out, r.offset);
  return out;
}

const flat = readFileSync(join(captureDir, 'core.kdump'));
const dump = unflatten(flat);
if (dump.subarray(0, 8).toString('latin1') !== 'KDUMP   ') throw new Error('no KDUMP signature in block 0');
const bs = dump.readUInt32LE(428);
const subBlocks = dump.readUInt32LE(432);
const bitmapBlocks = dump.readUInt32LE(436);
const bitmapLen = (bitmapBlocks / 2) * bs;
const bitmap1 = (1 + subBlocks) * bs;
const bitmap2 = bitmap1 + bitmapLen;
const descsAt = (1 + subBlocks + bitmapBlocks) * bs;

// The pages to keep: those holding the PT_LOAD frames of the ELF fixture (a kdump page is
// block_size bytes: 4 KiB on x86, 64 KiB in QEMU 7.2's AArch64 dumps).
const small = openCore(gunzipSync(readFileSync(join(fixtureDir, 'core.elf.gz')))).dump;
const keep = new Set();
for (const r of small.regions) {
  for (let f = Number(r.paddr / 4096n); f < Number((r.paddr + r.size) / 4096n); f++)
    keep.add(Math.floor((f * 4096) / bs));
}

// Walk the second bitmap in pfn order: descriptor i belongs to the i-th dumped pfn.
const kept = [];
let desc = descsAt;
const maxPfn = bitmapLen * 8;
for (let pfn = 0; pfn < maxPfn; pfn++) {
  if (!((dump[bitmap2 + (pfn >> 3)] >> (pfn & 7)) & 1)) continue;
  if (keep.has(pfn)) {
    const offset = Number(dump.readBigUInt64LE(desc));
    const size = dump.readUInt32LE(desc + 8);
    kept.push({ pfn, desc: Buffer.from(dump.subarray(desc, desc + 24)), data: dump.subarray(offset, offset + size) });
  }
  desc += 24;
}
if (kept.length !== keep.size)
  throw new Error(`kdump dumps ${kept.length} of the ${keep.size} pages holding table frames`);

const head = Buffer.from(dump.subarray(0, bitmap2 + bitmapLen)); // headers, notes, both bitmaps
head.fill(0, bitmap2, bitmap2 + bitmapLen);
for (const k of kept) head[bitmap2 + (k.pfn >> 3)] |= 1 << (k.pfn & 7);
const descs = Buffer.alloc(kept.length * 24);
let dataAt = descsAt + descs.length;
const datas = [];
kept.forEach((k, i) => {
  k.desc.writeBigUInt64LE(BigInt(dataAt), 0);
  k.desc.copy(descs, i * 24);
  datas.push({ offset: dataAt, data: k.data });
  dataAt += k.data.length;
});

// Flattened again: QEMU's stream header, then one record per piece, then the end marker.
const pieces = [{ offset: 0, data: head }, { offset: descsAt, data: descs }, ...datas];
const parts = [flat.subarray(0, 4096)];
for (const p of pieces) {
  const rec = Buffer.alloc(16);
  rec.writeBigInt64BE(BigInt(p.offset), 0);
  rec.writeBigInt64BE(BigInt(p.data.length), 8);
  parts.push(rec, p.data);
}
const endMark = Buffer.alloc(16);
endMark.writeBigInt64BE(-1n, 0);
endMark.writeBigInt64BE(-1n, 8);
parts.push(endMark);
const out = Buffer.concat(parts);
writeFileSync(join(fixtureDir, 'core.kdump.gz'), gzipSync(out, { level: 9 }));
const status = dump.readUInt32LE(424);
console.log(
  `${fixtureDir}: kdump (header_version ${dump.readUInt32LE(8)}, status ${status}, block ${bs}) with ${kept.length} pages, ${out.length} bytes flattened`,
);
