// Reads the parts of a QEMU `dump-guest-memory` ELF64 core the capture scripts need: PT_LOAD
// regions by physical address, the raw PT_NOTE bytes, the x86 QEMU note's control registers and
// the VMCOREINFO text; and a read-only PagingHandler over it for the library's walkers that
// records every frame a walk reads (the page-table frames the fixtures keep).
import { readFileSync } from 'node:fs';

const PT_LOAD = 1;
const PT_NOTE = 4;

/** Parses an ELF64 little-endian core held in `bytes` (a Buffer). */
export function parseElfCore(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) throw new Error('not an ELF64 little-endian file');
  if (dv.getUint16(16, true) !== 4) throw new Error('not an ELF core (e_type != ET_CORE)');
  const machine = dv.getUint16(18, true);
  const phoff = Number(dv.getBigUint64(32, true));
  const phentsize = dv.getUint16(54, true);
  let phnum = dv.getUint16(56, true);
  if (phnum === 0xffff) {
    const shoff = Number(dv.getBigUint64(40, true));
    phnum = dv.getUint32(shoff + 44, true);
  }
  const loads = [];
  let notes;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const type = dv.getUint32(o, true);
    const offset = Number(dv.getBigUint64(o + 8, true));
    const paddr = dv.getBigUint64(o + 24, true);
    const filesz = Number(dv.getBigUint64(o + 32, true));
    const memsz = Number(dv.getBigUint64(o + 40, true));
    if (type === PT_LOAD) loads.push({ paddr, offset, filesz, memsz });
    else if (type === PT_NOTE) notes = bytes.subarray(offset, offset + filesz);
  }
  return { bytes, machine, loads, notes: notes ?? bytes.subarray(0, 0), noteList: notes ? splitNotes(notes) : [] };
}

/** Reads and parses a core file. */
export function readElfCore(path) {
  return parseElfCore(readFileSync(path));
}

/** Splits PT_NOTE bytes into `{ name, type, desc }`. */
export function splitNotes(notes) {
  const out = [];
  const dv = new DataView(notes.buffer, notes.byteOffset, notes.byteLength);
  let o = 0;
  const pad = (n) => (n + 3) & ~3;
  while (o + 12 <= notes.length) {
    const namesz = dv.getUint32(o, true);
    const descsz = dv.getUint32(o + 4, true);
    const type = dv.getUint32(o + 8, true);
    const name = Buffer.from(notes.subarray(o + 12, o + 12 + namesz)).toString('latin1').replace(/\0+$/, '');
    const d = o + 12 + pad(namesz);
    out.push({ name, type, desc: notes.subarray(d, d + descsz) });
    o = d + pad(descsz);
  }
  return out;
}

/** Control registers from the first x86 "QEMU" note (QEMUCPUState), or undefined. */
export function qemuCpuState(core) {
  const n = core.noteList.find((x) => x.name === 'QEMU');
  if (!n) return undefined;
  const dv = new DataView(n.desc.buffer, n.desc.byteOffset, n.desc.byteLength);
  return { cr0: dv.getBigUint64(392, true), cr3: dv.getBigUint64(416, true), cr4: dv.getBigUint64(424, true) };
}

/** The VMCOREINFO note's `KEY=VALUE` lines as a Map, or undefined. */
export function vmcoreinfo(core) {
  const n = core.noteList.find((x) => x.name === 'VMCOREINFO');
  if (!n) return undefined;
  const fields = new Map();
  for (const line of Buffer.from(n.desc).toString('latin1').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return fields;
}

/**
 * A read-only PagingHandler over a parsed core: frame `f` is copied on first use into a slot of
 * `words`; `touched` lists the frames read, in first-read order.
 */
export class CoreMemory {
  constructor(core, maxFrames = 16384) {
    this.core = core;
    this.words = new Uint32Array(maxFrames * 1024);
    this.bytes = new Uint8Array(this.words.buffer);
    this.slots = new Map();
    this.touched = [];
  }

  /** Offset in the file of frame `frame`'s bytes, or -1 when no PT_LOAD stores the whole frame. */
  fileOffset(frame) {
    const pa = BigInt(frame) * 4096n;
    for (const l of this.core.loads) {
      if (pa >= l.paddr && pa + 4096n <= l.paddr + BigInt(l.filesz)) return l.offset + Number(pa - l.paddr);
    }
    return -1;
  }

  frameWord(frame) {
    const slot = this.slots.get(frame);
    if (slot !== undefined) return slot * 1024;
    const off = this.fileOffset(frame);
    if (off < 0) return -1;
    const s = this.slots.size;
    if (s * 1024 >= this.words.length) throw new Error('CoreMemory: frame pool exhausted');
    this.bytes.set(this.core.bytes.subarray(off, off + 4096), s * 4096);
    this.slots.set(frame, s);
    this.touched.push(frame);
    return s * 1024;
  }

  allocFrames() {
    return undefined;
  }

  deallocFrames() {
    throw new Error('CoreMemory is read-only');
  }
}
