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
import { SpecialFileError } from './file-source.js';
import type { Mode } from './modes.js';
import type { TableSpec } from './roots.js';
import { formatBytes, hex } from './numbers.js';

const FRAME = 4096n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Where to find the tables: the image file, the PA of its first byte and the root tables' PAs. */
export interface ImageSpec {
  /** Path of the raw RAM image. */
  file: string;
  /** PA of the image's first byte. */
  ramBase: bigint;
  /** PA of each root table (one, or AArch64's TTBR0 and TTBR1 roots). */
  roots: readonly bigint[];
  /** Frames to cache (default 1024). */
  cacheFrames?: number;
  /** Progress hook of the file reader. */
  onRead?: (framesRead: number) => void;
}

/** One adopted table. */
export interface OpenedTable {
  /** The adopted page table (read-only use). */
  pt: PageTable64;
  /** Its mode. */
  mode: Mode;
  /** Its root's PA. */
  root: bigint;
  /** AArch64: a TTBR1 table. */
  upper: boolean;
}

/** An image opened and its tables adopted, read-only. */
export interface OpenedImage {
  /** The file-backed memory (close it when done). */
  memory: FileMemory;
  /** The adopted tables, in VA order. */
  tables: readonly OpenedTable[];
  /** The first table's PA (the one `translate` walks unless a VA is in another's range). */
  root: bigint;
  /** A note for stderr when the file ends in a partial frame, else undefined. */
  warning: string | undefined;
}

/**
 * Opens `spec.file` as physical memory at `spec.ramBase` and adopts each
 * table with its mode's `fromRoot`. Throws a {@link CliError}: a usage error
 * for an unaligned base or root, a data error for a missing or unreadable
 * file, a special file (FIFO, socket, character device: refused before any
 * read, so a FIFO never blocks), one shorter than a frame, or a root outside
 * the image.
 */
export function openImage(tables: readonly TableSpec[], spec: ImageSpec): OpenedImage {
  const { file, ramBase } = spec;
  if (ramBase % FRAME !== 0n) throw usageError(`--ram-base ${hex(ramBase)} is not 4 KiB aligned`);
  if (ramBase > SAFE) throw usageError(`--ram-base ${hex(ramBase)} is above 2^53, which ptm does not support`);
  for (const { root } of tables) {
    if (root % FRAME !== 0n) throw usageError(`root ${hex(root)} is not 4 KiB aligned (a root table fills one frame)`);
  }
  let memory: FileMemory;
  try {
    memory = new FileMemory(file, { base: Number(ramBase), cacheFrames: spec.cacheFrames, onRead: spec.onRead });
  } catch (e) {
    throw new CliError(`cannot read image ${file}: ${e instanceof SpecialFileError ? e.message : fsReason(e)}`);
  }
  try {
    if (memory.frameCount === 0) {
      throw new CliError(`image ${file} is ${memory.fileSize} bytes, shorter than one 4 KiB frame`);
    }
    const end = BigInt(memory.end);
    const opened: OpenedTable[] = [];
    for (const { mode, root, upper } of tables) {
      if (root < ramBase || root >= end) {
        throw new CliError(`root ${hex(root)} is outside the image (${hex(ramBase)}..${hex(end)}, ${formatBytes(end - ramBase)})`);
      }
      try {
        opened.push({ pt: mode.fromRoot(memory, root), mode, root, upper });
      } catch (e) {
        if (isPagingError(e)) throw new CliError(`cannot adopt the root table at ${hex(root)}: ${e.message}`);
        throw e;
      }
    }
    const rest = memory.fileSize % 4096;
    const warning =
      rest === 0 ? undefined : `image ${file} ends with ${rest} bytes of a partial frame; they are ignored`;
    return { memory, tables: opened, root: opened[0].root, warning };
  } catch (e) {
    memory.close();
    throw e;
  }
}
