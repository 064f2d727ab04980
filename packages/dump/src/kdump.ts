/**
 * kdump-compressed cores (makedumpfile's "diskdump" layout, as QEMU's
 * `dump-guest-memory -z|-l|-s` and makedumpfile write them): a main header,
 * a sub header with the notes and VMCOREINFO, two page bitmaps, then one
 * page descriptor per dumped page and the (compressed) pages. Layouts from
 * QEMU's include/sysemu/dump.h (`DiskDumpHeader32/64`, `KdumpSubHeader32/64`,
 * `PageDescriptor`, all packed).
 *
 * @module
 */

import { unzlibSync } from 'fflate';
import { uncompress as snappyUncompress } from 'snappyjs';
import { type ByteSource, readExact } from './byte-source.js';
import { cpuStatesFromNotes, type DumpMachine, machineOfPrstatus, NT_PRSTATUS } from './cpu-state.js';
import { DumpError } from './error.js';
import { Fields, hex, latin1 } from './fields.js';
import { FRAME_SIZE, type FrameSource } from './frame-source.js';
import { parseNotes } from './notes.js';
import type { DumpFormat, DumpRegion, OpenedDump } from './opened-dump.js';
import { parseVmcoreinfo, type VmcoreInfo } from './vmcoreinfo.js';

/** The main header's signature (8 bytes). */
export const KDUMP_SIGNATURE = 'KDUMP   ';

/** Compression bits of the header's `status` and a page descriptor's `flags` (makedumpfile's DUMP_DH_*). */
export const KdumpCompression = {
  /** DUMP_DH_COMPRESSED_ZLIB: decoded with fflate. */
  ZLIB: 0x1,
  /** DUMP_DH_COMPRESSED_LZO: refused (no well-kept browser-safe decoder). */
  LZO: 0x2,
  /** DUMP_DH_COMPRESSED_SNAPPY: decoded with snappyjs. */
  SNAPPY: 0x4,
  /** DUMP_DH_COMPRESSED_ZSTD (makedumpfile 1.7+): refused. */
  ZSTD: 0x20,
} as const;
const DUMP_DH_COMPRESSED_INCOMPLETE = 0x8;
const COMPRESSION_MASK = 0x1 | 0x2 | 0x4 | 0x20;
const NAMES: Record<number, string> = { 1: 'zlib', 2: 'lzo', 4: 'snappy', 32: 'zstd' };
const DESCRIPTOR = 24;
const MAX_BITMAP = 256 << 20;

/** Offsets of the main header's fields: 64-bit guests have a 22-byte timestamp, 32-bit ones 10 bytes. */
interface Layout {
  bits: 32 | 64;
  status: number;
  blockSize: number;
  subHdrSize: number;
  bitmapBlocks: number;
  maxMapnr: number;
  nrCpus: number;
}
const LAYOUT64: Layout = {
  bits: 64,
  status: 424,
  blockSize: 428,
  subHdrSize: 432,
  bitmapBlocks: 436,
  maxMapnr: 440,
  nrCpus: 460,
};
const LAYOUT32: Layout = {
  bits: 32,
  status: 412,
  blockSize: 416,
  subHdrSize: 420,
  bitmapBlocks: 424,
  maxMapnr: 428,
  nrCpus: 448,
};
const UTS_FIELD = 65; // struct new_utsname: six 65-byte strings at offset 12

interface Header {
  layout: Layout;
  version: number;
  machine: string;
  release: string;
  status: number;
  blockSize: number;
  subHdrSize: number;
  bitmapBlocks: number;
  maxMapnr: number;
  nrCpus: number;
}

function readHeader(src: ByteSource): Header {
  const h = new Fields(readExact(src, 0, 464, 'the kdump main header'));
  if (h.str(0, 8) !== KDUMP_SIGNATURE)
    throw new DumpError('Corrupt', `not a kdump-compressed file: signature "${latin1(h.bytes.subarray(0, 8))}"`);
  const version = h.u32(8);
  const machine = h.str(12 + 4 * UTS_FIELD, UTS_FIELD);
  const release = h.str(12 + 2 * UTS_FIELD, UTS_FIELD);
  const plausible = (l: Layout) => {
    const bs = h.u32(l.blockSize);
    const sub = h.u32(l.subHdrSize);
    const bm = h.u32(l.bitmapBlocks);
    return (
      bs >= 1024 &&
      bs <= 1 << 20 &&
      (bs & (bs - 1)) === 0 &&
      sub >= 1 &&
      sub <= 1024 &&
      bm >= 2 &&
      bm % 2 === 0 &&
      (h.u32(l.status) & ~0x3f) === 0
    );
  };
  const layout = plausible(LAYOUT64) ? LAYOUT64 : plausible(LAYOUT32) ? LAYOUT32 : undefined;
  if (layout === undefined) {
    throw new DumpError(
      'Corrupt',
      `kdump header (version ${version}) has no consistent block_size/sub_hdr_size/bitmap_blocks for a 64- or 32-bit layout`,
    );
  }
  return {
    layout,
    version,
    machine,
    release,
    status: h.u32(layout.status),
    blockSize: h.u32(layout.blockSize),
    subHdrSize: h.u32(layout.subHdrSize),
    bitmapBlocks: h.u32(layout.bitmapBlocks),
    maxMapnr: h.u32(layout.maxMapnr),
    nrCpus: h.u32(layout.nrCpus),
  };
}

const POPCOUNT = new Uint8Array(256).map((_, i) => {
  let n = 0;
  for (let b = i; b; b &= b - 1) n++;
  return n;
});

/**
 * The pages of a kdump-compressed file as frames. A page whose bit is clear
 * in the first bitmap is not RAM (not backed); one set there but clear in the
 * second was not dumped (excluded by the dump level) and reads as zero; the
 * others are found through their descriptor (the rank of their bit in the
 * second bitmap) and decompressed. Pages larger than 4 KiB (arm64 64 KiB
 * kernels) hold several frames; the last page decoded is kept.
 */
export class KdumpFrames implements FrameSource {
  private readonly framesPerPage: number;
  private readonly rank: Uint32Array;
  private readonly page: Uint8Array;
  private pagePfn = -1;

  /** Frames of the file `src` with the given bitmaps and descriptor table. */
  constructor(
    private readonly src: ByteSource,
    private readonly blockSize: number,
    private readonly maxMapnr: number,
    private readonly valid: Uint8Array,
    private readonly dumped: Uint8Array,
    private readonly descriptors: number,
  ) {
    this.framesPerPage = blockSize / FRAME_SIZE;
    this.page = new Uint8Array(blockSize);
    this.rank = new Uint32Array(Math.ceil(dumped.length / 64) + 1);
    let total = 0;
    for (let i = 0; i < dumped.length; i++) {
      if (i % 64 === 0) this.rank[i / 64] = total;
      total += POPCOUNT[dumped[i]];
    }
    this.rank[this.rank.length - 1] = total;
  }

  /** Pages stored in the file. */
  get dumpedPages(): number {
    return this.rank[this.rank.length - 1];
  }

  /** {@inheritDoc FrameSource.readFrame} */
  readFrame(frame: number, into: Uint8Array): boolean {
    const pfn = Math.floor(frame / this.framesPerPage);
    if (pfn >= this.maxMapnr || !bit(this.valid, pfn)) return false;
    const at = (frame - pfn * this.framesPerPage) * FRAME_SIZE;
    if (!bit(this.dumped, pfn)) {
      into.fill(0, 0, FRAME_SIZE);
      return true;
    }
    if (pfn !== this.pagePfn) this.decode(pfn);
    into.set(this.page.subarray(at, at + FRAME_SIZE));
    return true;
  }

  private decode(pfn: number): void {
    const byte = Math.floor(pfn / 8);
    const chunk = Math.floor(byte / 64);
    let index = this.rank[chunk];
    for (let i = chunk * 64; i < byte; i++) index += POPCOUNT[this.dumped[i]];
    index += POPCOUNT[this.dumped[byte] & ((1 << (pfn % 8)) - 1)];
    const d = new Fields(
      readExact(this.src, this.descriptors + index * DESCRIPTOR, DESCRIPTOR, `the page descriptor of pfn ${hex(pfn)}`),
    );
    const offset = d.offset64(0, `pfn ${hex(pfn)} page offset`);
    const size = d.u32(8);
    const flags = d.u32(12) & COMPRESSION_MASK;
    if (size > 2 * this.blockSize + 64) {
      throw new DumpError(
        'Corrupt',
        `kdump page pfn ${hex(pfn)} claims ${size} stored bytes for a ${this.blockSize}-byte page`,
      );
    }
    const data = readExact(this.src, offset, size, `kdump page pfn ${hex(pfn)}`);
    this.pagePfn = -1;
    let out: Uint8Array;
    if (flags === 0) {
      if (size !== this.blockSize)
        throw new DumpError(
          'Corrupt',
          `kdump page pfn ${hex(pfn)} is stored uncompressed in ${size} bytes, not ${this.blockSize}`,
        );
      out = data;
    } else if (flags === KdumpCompression.ZLIB) {
      out = inflate(data, pfn, this.blockSize);
    } else if (flags === KdumpCompression.SNAPPY) {
      try {
        out = snappyUncompress(data, this.blockSize);
      } catch (e) {
        throw new DumpError('Corrupt', `kdump page pfn ${hex(pfn)}: invalid snappy data (${(e as Error).message})`);
      }
    } else {
      throw new DumpError(
        'Unsupported',
        `kdump page pfn ${hex(pfn)} is compressed with ${NAMES[flags] ?? `flags ${hex(flags)}`}, which this reader does not decode`,
      );
    }
    if (out.length !== this.blockSize) {
      throw new DumpError(
        'Corrupt',
        `kdump page pfn ${hex(pfn)} decompresses to ${out.length} bytes, not ${this.blockSize}`,
      );
    }
    this.page.set(out);
    this.pagePfn = pfn;
  }
}

function inflate(data: Uint8Array, pfn: number, blockSize: number): Uint8Array {
  try {
    return unzlibSync(data, { out: new Uint8Array(blockSize) });
  } catch (e) {
    throw new DumpError('Corrupt', `kdump page pfn ${hex(pfn)}: invalid zlib data (${(e as Error).message})`);
  }
}

function bit(map: Uint8Array, pfn: number): boolean {
  const byte = Math.floor(pfn / 8);
  return byte < map.length && (map[byte] & (1 << (pfn % 8))) !== 0;
}

function machineOf(uname: string, bits: 32 | 64): DumpMachine | undefined {
  if (uname === 'x86_64') return bits === 32 ? 'i386' : 'x86_64';
  if (/^i[3-6]86$/.test(uname)) return 'i386';
  if (uname === 'aarch64' || uname === 'riscv64' || uname === 'riscv32' || uname === 'loongarch64') return uname;
  return undefined;
}

/** Opens a seekable kdump-compressed file (`src` may be a reassembled flattened stream); see {@link openDump}. */
export function openKdump(src: ByteSource, format: DumpFormat = 'kdump'): OpenedDump {
  const hdr = readHeader(src);
  const bs = hdr.blockSize;
  const warnings: string[] = [];
  const compression = hdr.status & COMPRESSION_MASK;
  for (const bad of [KdumpCompression.LZO, KdumpCompression.ZSTD]) {
    if (compression & bad) {
      throw new DumpError(
        'Unsupported',
        `kdump core compressed with ${NAMES[bad]}: no well-kept browser-safe ${NAMES[bad]} decoder is available; dump with zlib (-z), snappy (-s) or as ELF`,
      );
    }
  }
  if (bs < FRAME_SIZE) throw new DumpError('Unsupported', `kdump core with ${bs}-byte pages: frames are 4096 bytes`);
  if (hdr.status & DUMP_DH_COMPRESSED_INCOMPLETE)
    warnings.push('the kdump core is marked incomplete: pages past the cut-off read as not backed');
  const is64 = hdr.layout.bits === 64;
  const sub = new Fields(readExact(src, bs, is64 ? 104 : 80, 'the kdump sub header'));
  const offVmci = is64 ? sub.offset64(32, 'offset_vmcoreinfo') : sub.offset64(20, 'offset_vmcoreinfo');
  const sizeVmci = is64 ? sub.offset64(40, 'size_vmcoreinfo') : sub.u32(28);
  const offNote = is64 ? sub.offset64(48, 'offset_note') : sub.offset64(32, 'offset_note');
  const noteSize = is64 ? sub.offset64(56, 'note_size') : sub.u32(40);
  let maxMapnr = hdr.maxMapnr;
  if (hdr.version >= 6) {
    const m64 = is64 ? sub.u64(96) : sub.u64(72);
    if (m64 > BigInt(2 ** 52))
      throw new DumpError('Corrupt', `kdump max_mapnr_64 ${hex(m64)} is beyond any physical address space`);
    maxMapnr = Number(m64);
  }
  const half = (hdr.bitmapBlocks / 2) * bs;
  if (half > MAX_BITMAP)
    throw new DumpError(
      'Unsupported',
      `kdump bitmaps of ${half} bytes each: more than this reader holds in memory (${MAX_BITMAP})`,
    );
  if (half * 8 < maxMapnr)
    throw new DumpError('Corrupt', `kdump bitmaps of ${half} bytes cannot cover max_mapnr ${maxMapnr}`);
  const bitmapAt = (1 + hdr.subHdrSize) * bs;
  const valid = readExact(src, bitmapAt, half, 'the first kdump bitmap');
  const dumped = readExact(src, bitmapAt + half, half, 'the second kdump bitmap');
  const descriptors = (1 + hdr.subHdrSize + hdr.bitmapBlocks) * bs;
  const frames = new KdumpFrames(src, bs, maxMapnr, valid, dumped, descriptors);
  const need = descriptors + frames.dumpedPages * DESCRIPTOR;
  if (need > src.size) {
    throw new DumpError(
      'Truncated',
      `truncated: ${frames.dumpedPages} kdump page descriptors need bytes ${hex(descriptors)}..${hex(need)} but the file ends at ${hex(src.size)}`,
    );
  }
  const notes =
    noteSize > 0 ? parseNotes(readExact(src, offNote, noteSize, 'the kdump ELF notes'), true, 'the kdump notes') : [];
  // utsname.machine is QEMU's build target: "x86_64" for every x86 guest, "Unknown" for the others. The
  // NT_PRSTATUS layout says more: i386 for an x86 CPU not in long mode (as the ELF writer's EM_386 does).
  const pr = notes.find((n) => n.name === 'CORE' && n.type === NT_PRSTATUS);
  const byNotes = pr === undefined ? undefined : machineOfPrstatus(pr.desc.length);
  let machine = machineOf(hdr.machine, hdr.layout.bits);
  if (machine === undefined || (machine === 'x86_64' && byNotes === 'i386')) machine = byNotes;
  const cpus = cpuStatesFromNotes(notes, machine, warnings);
  let vmcoreinfo: VmcoreInfo | undefined;
  if (sizeVmci > 0) vmcoreinfo = parseVmcoreinfo(latin1(readExact(src, offVmci, sizeVmci, 'the kdump VMCOREINFO')));
  else {
    const n = notes.find((x) => x.name === 'VMCOREINFO');
    if (n !== undefined) vmcoreinfo = parseVmcoreinfo(latin1(n.desc));
  }
  const regions = runs(valid, dumped, maxMapnr, BigInt(bs));
  const parts = [
    format === 'kdump-flattened' ? 'flattened stream' : 'seekable',
    NAMES[compression] ?? (compression === 0 ? 'uncompressed' : `compression ${hex(compression)}`),
    machine ?? (hdr.machine || 'unknown machine'),
    ...(hdr.release ? [hdr.release] : []),
    `${bs}-byte pages`,
    `${frames.dumpedPages} dumped`,
    `${cpus.length} CPU${cpus.length === 1 ? '' : 's'}`,
    ...(vmcoreinfo ? ['VMCOREINFO'] : []),
  ];
  return {
    format,
    description: `kdump-compressed core (${parts.join(', ')})`,
    machine,
    frames,
    regions,
    cpus,
    vmcoreinfo,
    warnings,
  };
}

/** The runs of RAM pages (first bitmap) as regions, with the dumped bytes of each. */
function runs(valid: Uint8Array, dumped: Uint8Array, maxMapnr: number, pageSize: bigint): DumpRegion[] {
  const out: DumpRegion[] = [];
  let start = -1;
  let stored = 0;
  const close = (end: number) => {
    out.push({
      paddr: BigInt(start) * pageSize,
      size: BigInt(end - start) * pageSize,
      stored: BigInt(stored) * pageSize,
    });
    start = -1;
    stored = 0;
  };
  for (let byte = 0; byte * 8 < maxMapnr; byte++) {
    const v = valid[byte];
    if ((v === 0 && start < 0) || (v === 0xff && start >= 0 && byte * 8 + 8 <= maxMapnr)) {
      if (v === 0xff) stored += POPCOUNT[dumped[byte]];
      continue;
    }
    for (let b = 0; b < 8 && byte * 8 + b < maxMapnr; b++) {
      const pfn = byte * 8 + b;
      const on = (v & (1 << b)) !== 0;
      if (on && start < 0) start = pfn;
      else if (!on && start >= 0) close(pfn);
      if (on && (dumped[byte] & (1 << b)) !== 0) stored++;
    }
  }
  if (start >= 0) close(maxMapnr);
  return out;
}
