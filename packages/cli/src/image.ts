/**
 * Opening a RAM image and adopting the page tables in it: every check that
 * turns bad input into one clear message happens here, before the walker
 * sees anything.
 *
 * @module
 */

import { isPagingError, type PageTable64 } from '@page-table/core';
import { CliError, fsReason, usageError } from './errors.js';
import { FileMemory } from './file-memory.js';
import type { Mode } from './modes.js';
import { formatBytes, hex } from './numbers.js';

const FRAME = 4096n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Where to find the tables: the image file, the PA of its first byte and the root table's PA. */
export interface ImageSpec {
  /** Path of the raw RAM image. */
  file: string;
  /** PA of the image's first byte. */
  ramBase: bigint;
  /** PA of the root table. */
  root: bigint;
  /** Frames to cache (default 1024). */
  cacheFrames?: number;
  /** Progress hook of the file reader. */
  onRead?: (framesRead: number) => void;
}

/** An image opened and its tables adopted, read-only. */
export interface OpenedImage {
  /** The file-backed memory (close it when done). */
  memory: FileMemory;
  /** The adopted page table. */
  pt: PageTable64;
  /** The root table's PA. */
  root: bigint;
  /** A note for stderr when the file ends in a partial frame, else undefined. */
  warning: string | undefined;
}

/**
 * Opens `spec.file` as physical memory at `spec.ramBase` and adopts the root
 * table at `spec.root` with the mode's `fromRoot`. Throws a {@link CliError}:
 * a usage error for an unaligned base or root, a data error for a missing or
 * unreadable file, one shorter than a frame, or a root outside the image.
 */
export function openImage(mode: Mode, spec: ImageSpec): OpenedImage {
  const { file, ramBase, root } = spec;
  if (ramBase % FRAME !== 0n) throw usageError(`--ram-base ${hex(ramBase)} is not 4 KiB aligned`);
  if (ramBase > SAFE) throw usageError(`--ram-base ${hex(ramBase)} is above 2^53, which ptm does not support`);
  if (root % FRAME !== 0n) throw usageError(`--root ${hex(root)} is not 4 KiB aligned (a root table fills one frame)`);
  let memory: FileMemory;
  try {
    memory = new FileMemory(file, { base: Number(ramBase), cacheFrames: spec.cacheFrames, onRead: spec.onRead });
  } catch (e) {
    throw new CliError(`cannot read image ${file}: ${fsReason(e)}`);
  }
  try {
    if (memory.frameCount === 0) {
      throw new CliError(`image ${file} is ${memory.fileSize} bytes, shorter than one 4 KiB frame`);
    }
    const end = BigInt(memory.end);
    if (root < ramBase || root >= end) {
      throw new CliError(`root ${hex(root)} is outside the image (${hex(ramBase)}..${hex(end)}, ${formatBytes(end - ramBase)})`);
    }
    const rest = memory.fileSize % 4096;
    const warning =
      rest === 0 ? undefined : `image ${file} ends with ${rest} bytes of a partial frame; they are ignored`;
    let pt: PageTable64;
    try {
      pt = mode.fromRoot(memory, root);
    } catch (e) {
      if (isPagingError(e)) throw new CliError(`cannot adopt the root table: ${e.message}`);
      throw e;
    }
    return { memory, pt, root, warning };
  } catch (e) {
    memory.close();
    throw e;
  }
}
