/**
 * LiME memory images: repeated 32-byte headers `{u32 magic 0x4C694D45,
 * u32 version 1, u64 s_addr, u64 e_addr (inclusive), 8 reserved}`, each
 * followed by the `e_addr - s_addr + 1` bytes of that range.
 *
 * @module
 */

import { type ByteSource, readExact } from './byte-source.js';
import { DumpError } from './error.js';
import { Fields, hex } from './fields.js';
import { type OpenedDump, regionDump } from './opened-dump.js';
import type { MemoryRegion } from './region-frames.js';

/** LiME's header magic (`"EMiL"` in the file, little-endian). */
export const LIME_MAGIC = 0x4c694d45;
/** AVML's header magic: the same header with snappy-framed data, version 2. */
export const AVML_MAGIC = 0x4c4d5641;

/** Opens a LiME image; see {@link openDump}. */
export function openLime(src: ByteSource): OpenedDump {
  const regions: MemoryRegion[] = [];
  let at = 0;
  while (at < src.size) {
    const h = new Fields(readExact(src, at, 32, `LiME header ${regions.length}`));
    const magic = h.u32(0);
    const version = h.u32(4);
    if (magic !== LIME_MAGIC) {
      throw new DumpError(
        'Corrupt',
        `LiME header ${regions.length} at ${hex(at)} has magic ${hex(magic)}, expected ${hex(LIME_MAGIC)}`,
      );
    }
    if (version !== 1)
      throw new DumpError(
        'Unsupported',
        `LiME header ${regions.length} has version ${version}; this reader knows version 1`,
      );
    const start = h.u64(8);
    const end = h.u64(16);
    if (end < start)
      throw new DumpError(
        'Corrupt',
        `LiME header ${regions.length} ends at ${hex(end)} before it starts at ${hex(start)}`,
      );
    const size = end - start + 1n;
    const data = at + 32;
    if (BigInt(data) + size > BigInt(src.size)) {
      throw new DumpError(
        'Truncated',
        `truncated: LiME range ${regions.length} (PA ${hex(start)}..${hex(end)}) needs file bytes ${hex(data)}..${hex(BigInt(data) + size)} but the file ends at ${hex(src.size)}`,
      );
    }
    regions.push({ paddr: start, size, source: src, offset: data, stored: Number(size) });
    at = data + Number(size);
  }
  return regionDump('lime', `LiME image (${regions.length} range${regions.length === 1 ? '' : 's'})`, regions);
}
