/**
 * Byte-by-byte builders of real-shaped dumps from the published layouts:
 * ELF cores as QEMU's dump/dump.c lays them out (ELF header, PT_NOTE, PT_LOADs,
 * optional section header 0 for PN_XNUM, notes, memory), QEMU's x86 note
 * (target/i386/arch_dump.c QEMUCPUState), kdump-compressed files
 * (include/sysemu/dump.h) in seekable and flattened form, and LiME images.
 */
import { zlibSync } from 'fflate';
import { compress as snappyCompress } from 'snappyjs';

export class Bytes {
  buf = new Uint8Array(64);
  view = new DataView(this.buf.buffer);
  length = 0;
  constructor(readonly le = true) {}
  private grow(n: number) {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length;
    while (cap < this.length + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf);
    this.buf = b;
    this.view = new DataView(b.buffer);
  }
  u8(v: number) {
    this.grow(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
    return this;
  }
  u16(v: number) {
    this.grow(2);
    this.view.setUint16(this.length, v, this.le);
    this.length += 2;
    return this;
  }
  u32(v: number) {
    this.grow(4);
    this.view.setUint32(this.length, v >>> 0, this.le);
    this.length += 4;
    return this;
  }
  u64(v: bigint | number) {
    this.grow(8);
    this.view.setBigUint64(this.length, BigInt.asUintN(64, BigInt(v)), this.le);
    this.length += 8;
    return this;
  }
  bytes(b: Uint8Array) {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  str(s: string, width = s.length) {
    const b = new Uint8Array(width);
    for (let i = 0; i < s.length && i < width; i++) b[i] = s.charCodeAt(i);
    return this.bytes(b);
  }
  zeros(n: number) {
    this.grow(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
    return this;
  }
  padTo(n: number) {
    return this.length < n ? this.zeros(n - this.length) : this;
  }
  align(a: number) {
    return this.padTo(Math.ceil(this.length / a) * a);
  }
  done() {
    return this.buf.slice(0, this.length);
  }
}

const pad4 = (n: number) => (n + 3) & ~3;

/** One ELF note: header, name (with NUL) and descriptor each padded to 4. */
export function note(name: string, type: number, desc: Uint8Array): Uint8Array {
  const b = new Bytes();
  b.u32(name.length + 1)
    .u32(desc.length)
    .u32(type);
  b.str(name, pad4(name.length + 1));
  b.bytes(desc).align(4);
  return b.done();
}

export interface X86State {
  cr0: bigint;
  cr3: bigint;
  cr4: bigint;
  cr2?: bigint;
  rip?: bigint;
  rsp?: bigint;
  rax?: bigint;
  r15?: bigint;
  gsBase?: bigint;
  kernelGsBase?: bigint;
}

/** QEMUCPUState: version, size, 16 GPRs, rip, rflags, 10 segments of 24 bytes, cr[5], kernel_gs_base when size is 440. */
export function qemuCpuState(s: X86State, opts: { version?: number; size?: number } = {}): Uint8Array {
  const size = opts.size ?? 440;
  const b = new Bytes();
  b.u32(opts.version ?? 1).u32(size);
  const gprs = [s.rax ?? 0n, 0n, 0n, 0n, 0n, 0n, s.rsp ?? 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, s.r15 ?? 0n];
  for (const v of gprs) b.u64(v);
  b.u64(s.rip ?? 0n).u64(0x46n);
  for (let seg = 0; seg < 10; seg++) {
    b.u32(seg === 0 ? 0x10 : 0x18)
      .u32(0xffffffff)
      .u32(0xa09b00)
      .u32(0);
    b.u64(seg === 4 ? (s.gsBase ?? 0n) : 0n);
  }
  if (b.length !== 392) throw new Error('QEMUCPUState layout');
  b.u64(s.cr0)
    .u64(0n)
    .u64(s.cr2 ?? 0n)
    .u64(s.cr3)
    .u64(s.cr4);
  if (size >= 440) b.u64(s.kernelGsBase ?? 0n);
  return b.padTo(Math.max(size, b.length)).done().slice(0, Math.max(size, 8));
}

/** x86_64 elf_prstatus (336 bytes): pr_pid at 32, registers at 112 in user_regs_struct order. */
export function prstatusX86_64(pid: number, rip: bigint, rsp: bigint): Uint8Array {
  const b = new Bytes().zeros(32).u32(pid).padTo(112);
  const names =
    'r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs rflags rsp ss fs_base gs_base ds es fs gs'.split(
      ' ',
    );
  for (const n of names) b.u64(n === 'rip' ? rip : n === 'rsp' ? rsp : n === 'cs' ? 0x10n : 0n);
  return b.padTo(336).done();
}

/** i386 elf_prstatus (144 bytes): pr_pid at 24, registers at 72. */
export function prstatusI386(pid: number, eip: number, esp: number): Uint8Array {
  const b = new Bytes().zeros(24).u32(pid).padTo(72);
  const names = 'ebx ecx edx esi edi ebp eax ds es fs gs orig_eax eip cs eflags esp ss'.split(' ');
  for (const n of names) b.u32(n === 'eip' ? eip : n === 'esp' ? esp : n === 'cs' ? 0x10008 : 0);
  return b.padTo(144).done();
}

/** aarch64 elf_prstatus (392 bytes): registers x0..x30, sp, pc, pstate at 112. */
export function prstatusAarch64(pc: bigint, sp: bigint): Uint8Array {
  const b = new Bytes().zeros(112);
  for (let i = 0; i < 31; i++) b.u64(BigInt(i));
  b.u64(sp).u64(pc).u64(0x3c5n);
  return b.padTo(392).done();
}

export interface Segment {
  paddr: bigint;
  vaddr?: bigint;
  data: Uint8Array; // p_filesz = data.length
  memsz?: bigint;
}

export interface ElfCoreSpec {
  class: 64 | 32;
  machine: number;
  type?: number;
  segments: Segment[];
  notes: Uint8Array;
  /** Write e_phnum = PN_XNUM and the count in section header 0 even below 0xffff. */
  forceXnum?: boolean;
}

/** Lays out an ELF core as QEMU does: header, program headers (PT_NOTE first), section header 0 when needed, notes, memory. */
export function elfCore(spec: ElfCoreSpec): { bytes: Uint8Array; noteOffset: number; dataOffsets: number[] } {
  const is64 = spec.class === 64;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const phnum = spec.segments.length + 1;
  const xnum = spec.forceXnum || phnum >= 0xffff;
  const phoff = ehsize;
  const shoff = xnum ? phoff + phnum * phentsize : 0;
  const noteOffset = xnum ? shoff + shentsize : phoff + phnum * phentsize;
  let dataAt = noteOffset + spec.notes.length;
  const dataOffsets = spec.segments.map((s) => {
    const at = dataAt;
    dataAt += s.data.length;
    return at;
  });
  const b = new Bytes();
  b.u8(0x7f)
    .str('ELF')
    .u8(is64 ? 2 : 1)
    .u8(1)
    .u8(1)
    .u8(0)
    .zeros(8);
  b.u16(spec.type ?? 4)
    .u16(spec.machine)
    .u32(1);
  /** An address or offset field: Elf64_Addr/Elf64_Off are 8 bytes, their ELF32 forms 4. */
  const word = (v: number) => (is64 ? b.u64(v) : b.u32(v));
  word(0); // e_entry
  word(phoff);
  word(shoff);
  b.u32(0)
    .u16(ehsize)
    .u16(phentsize)
    .u16(xnum ? 0xffff : phnum)
    .u16(shentsize)
    .u16(xnum ? 1 : 0)
    .u16(0);
  const ph = (type: number, offset: number, vaddr: bigint, paddr: bigint, filesz: number, memsz: bigint) => {
    if (is64)
      b.u32(type)
        .u32(type === 1 ? 7 : 0)
        .u64(offset)
        .u64(vaddr)
        .u64(paddr)
        .u64(filesz)
        .u64(memsz)
        .u64(0);
    else
      b.u32(type)
        .u32(offset)
        .u32(Number(vaddr))
        .u32(Number(paddr))
        .u32(filesz)
        .u32(Number(memsz))
        .u32(type === 1 ? 7 : 0)
        .u32(0);
  };
  ph(4, noteOffset, 0n, 0n, spec.notes.length, BigInt(spec.notes.length));
  spec.segments.forEach((s, i) => {
    ph(1, dataOffsets[i], s.vaddr ?? s.paddr, s.paddr, s.data.length, s.memsz ?? BigInt(s.data.length));
  });
  if (xnum) {
    // Section header 0: sh_info holds the real program header count.
    b.u32(0).u32(0); // sh_name, sh_type
    for (let i = 0; i < 4; i++) word(0); // sh_flags, sh_addr, sh_offset, sh_size
    b.u32(0).u32(phnum); // sh_link, sh_info
    word(0); // sh_addralign
    word(0); // sh_entsize
  }
  if (b.length !== noteOffset) throw new Error('ELF layout');
  b.bytes(spec.notes);
  for (const s of spec.segments) b.bytes(s.data);
  return { bytes: b.done(), noteOffset, dataOffsets };
}

/** Deterministic pseudo-random bytes (incompressible). */
export function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export interface KdumpSpec {
  bits?: 64 | 32;
  blockSize?: number;
  maxMapnr: number;
  /** RAM pages (first bitmap); pages with data are also dumped (second bitmap). */
  ram: number[];
  pages: Map<number, Uint8Array>;
  compression?: 'zlib' | 'snappy' | 'none' | 'lzo';
  machine?: string;
  release?: string;
  notes?: Uint8Array;
  vmcoreinfo?: string;
  headerVersion?: number;
  nrCpus?: number;
}

/** A seekable kdump-compressed file: header block, sub header block(s), two bitmaps, descriptors, page data. */
export function kdumpFile(spec: KdumpSpec): Uint8Array {
  const bits = spec.bits ?? 64;
  const bs = spec.blockSize ?? 4096;
  const bitmapBytes = Math.ceil(Math.ceil(spec.maxMapnr / 8) / bs) * bs;
  const bitmapBlocks = (2 * bitmapBytes) / bs;
  const subHdrSize = 1;
  const notes = spec.notes ?? new Uint8Array(0);
  const vmci = new TextEncoder().encode(spec.vmcoreinfo ?? '');
  const flag = { zlib: 1, lzo: 2, snappy: 4, none: 0 }[spec.compression ?? 'zlib'];
  const b = new Bytes();
  // Main header.
  b.str('KDUMP   ').u32(spec.headerVersion ?? 6);
  b.str('Linux', 65)
    .str('guest', 65)
    .str(spec.release ?? '6.1.0-test', 65)
    .str('#1 SMP', 65)
    .str(spec.machine ?? 'x86_64', 65)
    .str('', 65);
  b.zeros(bits === 64 ? 22 : 10);
  b.u32(flag)
    .u32(bs)
    .u32(subHdrSize)
    .u32(bitmapBlocks)
    .u32(Math.min(spec.maxMapnr, 0xffffffff))
    .u32(spec.pages.size)
    .u32(0)
    .u32(0)
    .u32(0)
    .u32(spec.nrCpus ?? 1);
  b.padTo(bs);
  // Sub header, with the notes and the VMCOREINFO right after it inside the sub header block(s).
  const subAt = bs;
  const noteAt = subAt + 128;
  const vmciAt = noteAt + notes.length;
  if (vmciAt + vmci.length > 2 * bs) throw new Error('sub header overflow');
  const dumped = [...spec.pages.keys()].sort((x, y) => x - y);
  if (bits === 64) {
    b.u64(0x1000000n)
      .u32(1)
      .u32(0)
      .u64(0)
      .u64(0)
      .u64(vmci.length ? vmciAt : 0)
      .u64(vmci.length)
      .u64(noteAt)
      .u64(notes.length)
      .u64(0)
      .u64(0);
    b.u64(0).u64(spec.maxMapnr).u64(spec.maxMapnr);
  } else {
    b.u32(0x1000000)
      .u32(1)
      .u32(0)
      .u32(0)
      .u32(0)
      .u64(vmci.length ? vmciAt : 0)
      .u32(vmci.length)
      .u64(noteAt)
      .u32(notes.length)
      .u64(0)
      .u32(0);
    b.u64(0).u64(spec.maxMapnr).u64(spec.maxMapnr);
  }
  b.padTo(noteAt)
    .bytes(notes)
    .bytes(vmci)
    .padTo(2 * bs);
  // Bitmaps.
  const bm1 = new Uint8Array(bitmapBytes);
  const bm2 = new Uint8Array(bitmapBytes);
  for (const p of spec.ram) bm1[p >> 3] |= 1 << (p & 7);
  for (const p of dumped) bm2[p >> 3] |= 1 << (p & 7);
  b.bytes(bm1).bytes(bm2);
  // Descriptors, then data.
  const descAt = b.length;
  let dataAt = descAt + dumped.length * 24;
  const blobs = dumped.map((p) => {
    const raw = spec.pages.get(p)!;
    let data = raw;
    let flags = 0;
    if (flag === 1) data = zlibSync(raw);
    else if (flag === 4) data = snappyCompress(raw);
    else if (flag === 2) data = raw.subarray(0, 100); // stands for lzo bytes: never decoded
    if (flag !== 0 && data.length < bs) flags = flag;
    else data = raw;
    const d = { offset: dataAt, size: data.length, flags, data };
    dataAt += data.length;
    return d;
  });
  for (const d of blobs) b.u64(d.offset).u32(d.size).u32(d.flags).u64(0);
  for (const d of blobs) b.bytes(d.data);
  return b.done();
}

/** The same file as makedumpfile's flattened stream, in records of at most `chunk` bytes, optionally in shuffled order. */
export function flatten(
  file: Uint8Array,
  chunk: number,
  order: 'sequential' | 'reversed' = 'sequential',
  extra: { offset: number; data: Uint8Array }[] = [],
): Uint8Array {
  const b = new Bytes(false);
  b.str('makedumpfile', 16).u64(1).u64(1).padTo(4096);
  const recs: { offset: number; data: Uint8Array }[] = [];
  for (let at = 0; at < file.length; at += chunk)
    recs.push({ offset: at, data: file.subarray(at, Math.min(at + chunk, file.length)) });
  if (order === 'reversed') recs.reverse();
  for (const r of [...recs, ...extra]) b.u64(r.offset).u64(r.data.length).bytes(r.data);
  b.u64(-1n).u64(-1n);
  return b.done();
}

/** A LiME image of the given ranges. */
export function limeImage(ranges: { start: bigint; data: Uint8Array }[], version = 1): Uint8Array {
  const b = new Bytes();
  for (const r of ranges) {
    b.u32(0x4c694d45)
      .u32(version)
      .u64(r.start)
      .u64(r.start + BigInt(r.data.length) - 1n)
      .u64(0);
    b.bytes(r.data);
  }
  return b.done();
}
