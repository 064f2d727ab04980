/**
 * Physical memory made of regions: PA ranges backed by bytes of a source,
 * with zero-filled tails and holes between them.
 *
 * @module
 */

import type { ByteSource } from './byte-source.js';
import { readFully } from './byte-source.js';
import { DumpError } from './error.js';
import { hex } from './fields.js';
import { FRAME_SIZE, type FrameSource } from './frame-source.js';
import { type Claim, paintClaims } from './intervals.js';

/**
 * One range of guest-physical memory: PA [paddr, paddr + size), whose first
 * `stored` bytes are `source` bytes from `offset` on and whose rest reads as
 * zero (an ELF segment with `p_filesz < p_memsz`, a filtered dump).
 */
export interface MemoryRegion {
  /** Guest-physical address of the first byte. */
  paddr: bigint;
  /** Bytes of physical address space the region covers. */
  size: bigint;
  /** Where the stored bytes are. */
  source: ByteSource;
  /** Offset in `source` of the byte at `paddr`. */
  offset: number;
  /** Bytes stored in `source` (at most `size`); the rest of the region reads as zero. */
  stored: number;
}

const LIMIT = 1n << 64n;
const FRAME = BigInt(FRAME_SIZE);

/**
 * A {@link FrameSource} over a list of {@link MemoryRegion}s. Regions may
 * overlap (QEMU's `dump-guest-memory -p` writes one segment per virtual range,
 * so one physical page can sit in several): stored bytes win over zero tails,
 * and among equals the region listed first wins. A frame that any region
 * touches is backed, with the bytes no region covers reading as zero; a frame
 * no region touches is not backed.
 */
export class RegionFrames implements FrameSource {
  /** The regions as given. */
  readonly regions: readonly MemoryRegion[];
  // The painted pieces, sorted and disjoint; a piece ends at endFrame * 4096 + endOff (exclusive).
  private readonly startFrame: Float64Array;
  private readonly startOff: Uint16Array;
  private readonly endFrame: Float64Array;
  private readonly endOff: Uint16Array;
  /** Source position of the piece's first byte, or -1 for a zero piece. */
  private readonly srcPos: Float64Array;
  private readonly srcOf: Int32Array;

  /** Checks every region (a `Corrupt` or `Truncated` {@link DumpError} when one is impossible) and indexes them. */
  constructor(regions: readonly MemoryRegion[]) {
    const claims: Claim[] = [];
    const n = regions.length;
    regions.forEach((r, i) => {
      const what = `region ${i} (PA ${hex(r.paddr)}, ${hex(r.size)} bytes)`;
      if (r.paddr < 0n || r.size < 0n || r.paddr + r.size > LIMIT) {
        throw new DumpError('Corrupt', `${what} reaches past the 64-bit physical address space`);
      }
      if (!Number.isSafeInteger(r.stored) || r.stored < 0 || BigInt(r.stored) > r.size) {
        throw new DumpError('Corrupt', `${what} stores ${r.stored} bytes, more than it covers`);
      }
      if (!Number.isSafeInteger(r.offset) || r.offset < 0 || r.offset + r.stored > r.source.size) {
        throw new DumpError(
          'Truncated',
          `truncated: ${what} needs source bytes ${hex(r.offset)}..${hex(r.offset + r.stored)} but the source ends at ${hex(r.source.size)}`,
        );
      }
      const storedEnd = r.paddr + BigInt(r.stored);
      claims.push({ start: r.paddr, end: storedEnd, priority: i });
      claims.push({ start: storedEnd, end: r.paddr + r.size, priority: n + i });
    });
    const pieces = paintClaims(claims);
    const m = pieces.length;
    this.startFrame = new Float64Array(m);
    this.startOff = new Uint16Array(m);
    this.endFrame = new Float64Array(m);
    this.endOff = new Uint16Array(m);
    this.srcPos = new Float64Array(m);
    this.srcOf = new Int32Array(m);
    pieces.forEach((p, k) => {
      this.startFrame[k] = Number(p.start / FRAME);
      this.startOff[k] = Number(p.start % FRAME);
      this.endFrame[k] = Number(p.end / FRAME);
      this.endOff[k] = Number(p.end % FRAME);
      const region = p.owner >> 1;
      const r = regions[region];
      this.srcOf[k] = region;
      this.srcPos[k] = p.owner & 1 ? -1 : r.offset + Number(p.start - r.paddr);
    });
    this.regions = regions;
  }

  /** {@inheritDoc FrameSource.readFrame} */
  readFrame(frame: number, into: Uint8Array): boolean {
    // First piece ending after the frame's first byte.
    let lo = 0;
    let hi = this.endFrame.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const ef = this.endFrame[mid];
      if (ef > frame || (ef === frame && this.endOff[mid] > 0)) hi = mid;
      else lo = mid + 1;
    }
    let backed = false;
    for (let k = lo; k < this.endFrame.length && this.startFrame[k] <= frame; k++) {
      if (!backed) {
        into.fill(0, 0, FRAME_SIZE);
        backed = true;
      }
      const pos = this.srcPos[k];
      if (pos < 0) continue;
      const from = this.startFrame[k] === frame ? this.startOff[k] : 0;
      const to = this.endFrame[k] === frame ? this.endOff[k] : FRAME_SIZE;
      const at = pos + (frame - this.startFrame[k]) * FRAME_SIZE + from - this.startOff[k];
      readFully(this.regions[this.srcOf[k]].source, at, into.subarray(from, to));
    }
    return backed;
  }
}
