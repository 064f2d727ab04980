/**
 * Telling dump formats apart by their magic, and opening any of them.
 *
 * @module
 */

import { type ByteSource, readFully } from './byte-source.js';
import { ET_CORE, notACoreMessage, openElf, readElfIdent } from './elf.js';
import { DumpError } from './error.js';
import { hex, latin1 } from './fields.js';
import { FlattenedSource, MAKEDUMPFILE_SIGNATURE } from './flattened.js';
import { KDUMP_SIGNATURE, openKdump } from './kdump.js';
import { AVML_MAGIC, LIME_MAGIC, openLime } from './lime.js';
import { type DumpFormat, type OpenedDump, regionDump } from './opened-dump.js';

/**
 * The format of `src` by its magic: an ELF core (`elf64`/`elf32`), a
 * kdump-compressed file, makedumpfile's flattened stream, a LiME image, or
 * `raw` when nothing matches. An ELF file that is not a core (`/bin/ls`) is a
 * `NotACore` {@link DumpError}, never raw; an AVML image is `Unsupported`.
 */
export function detectFormat(src: ByteSource): DumpFormat {
  const head = new Uint8Array(16);
  const n = readFully(src, 0, head);
  const text = latin1(head.subarray(0, n));
  if (text.startsWith('\x7fELF')) {
    const id = readElfIdent(src);
    if (id.type !== ET_CORE) throw new DumpError('NotACore', notACoreMessage(id));
    return id.is64 ? 'elf64' : 'elf32';
  }
  if (text.startsWith(KDUMP_SIGNATURE)) return 'kdump';
  if (n === 16 && text === MAKEDUMPFILE_SIGNATURE.padEnd(16, '\0')) return 'kdump-flattened';
  if (n >= 4) {
    const magic = new DataView(head.buffer).getUint32(0, true);
    if (magic === LIME_MAGIC) return 'lime';
    if (magic === AVML_MAGIC) {
      throw new DumpError(
        'Unsupported',
        'AVML image (LiME headers with snappy-framed data): not supported; convert it to LiME with `avml-convert`',
      );
    }
  }
  return 'raw';
}

/** How {@link openDump} reads its input. */
export interface OpenDumpOptions {
  /** Skip detection and read this format. */
  format?: DumpFormat;
  /** PA of a raw image's first byte (default 0). */
  rawBase?: bigint;
}

/**
 * Opens a dump: its physical memory as frames, the regions it covers, CPU
 * registers and VMCOREINFO from its notes. Every problem with the input is a
 * {@link DumpError} that says what the file is and what was expected;
 * nothing is returned half-read.
 */
export function openDump(src: ByteSource, options: OpenDumpOptions = {}): OpenedDump {
  const format = options.format ?? detectFormat(src);
  switch (format) {
    case 'elf64':
    case 'elf32': {
      const d = openElf(src);
      if (d.format !== format)
        throw new DumpError('Corrupt', `expected an ${format.toUpperCase()} core, found ${d.description}`);
      return d;
    }
    case 'kdump':
      return openKdump(src, 'kdump');
    case 'kdump-flattened':
      return openKdump(new FlattenedSource(src), 'kdump-flattened');
    case 'lime':
      return openLime(src);
    case 'raw':
      return openRaw(src, options.rawBase ?? 0n);
  }
}

function openRaw(src: ByteSource, base: bigint): OpenedDump {
  return openRawImages([{ source: src, paddr: base }]);
}

/** One raw image and the PA of its first byte. */
export interface RawImage {
  /** The image's bytes: file offset = PA - `paddr`. */
  source: ByteSource;
  /** PA of the first byte. */
  paddr: bigint;
}

/** Options of {@link openRawImages}. */
export interface RawImagesOptions {
  /**
   * Back whole 4 KiB frames only: a trailing partial frame of an image is
   * left unbacked, as a RAM image is a whole number of frames (default false:
   * every byte is backed, the rest of that frame reads as zero).
   */
  wholeFrames?: boolean;
}

/**
 * Several raw images (`pmemsave` files, `--image FILE@PA`) as one dump, each
 * a region of physical memory; where they overlap the one listed first wins.
 * An image reaching past 2^64 is a `Corrupt` {@link DumpError}.
 */
export function openRawImages(images: readonly RawImage[], options: RawImagesOptions = {}): OpenedDump {
  for (const { source, paddr } of images) {
    if (paddr < 0n || paddr + BigInt(source.size) > 1n << 64n) {
      throw new DumpError(
        'Corrupt',
        `a raw image of ${hex(source.size)} bytes at PA ${hex(paddr)} reaches past the 64-bit physical address space`,
      );
    }
  }
  const regions = images.map(({ source, paddr }) => {
    const stored = options.wholeFrames ? source.size - (source.size % 4096) : source.size;
    return { paddr, size: BigInt(stored), source, offset: 0, stored };
  });
  const description =
    images.length === 1
      ? `raw image (${hex(images[0].source.size)} bytes at PA ${hex(images[0].paddr)})`
      : `${images.length} raw images (${images.map((i) => `${hex(i.source.size)} bytes at PA ${hex(i.paddr)}`).join(', ')})`;
  return regionDump('raw', description, regions);
}
