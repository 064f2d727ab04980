/**
 * The Node side of `@page-table/dump`'s `ByteSource`: random access
 * to a file or block device by `readSync` on a descriptor. Special files
 * (FIFO, socket, character device, directory) are refused before any read,
 * and opening never blocks (a FIFO without a writer would wait forever).
 *
 * @module
 */

import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import type { ByteSource } from '@page-table/dump';

/**
 * Thrown for a path that is neither a regular file nor a block device (a
 * FIFO, a socket, a character device, a directory): such a file has no
 * random access, and reading a FIFO would block until a writer comes.
 */
export class SpecialFileError extends Error {
  /** Always `'SpecialFileError'`. */
  override name = 'SpecialFileError';
}

/** What a stat says the file is, for {@link SpecialFileError}'s message. */
function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isDirectory()) return 'a directory';
  return 'a special file';
}

function refuse(st: Stats): never {
  throw new SpecialFileError(`not a regular file (it is ${kindOf(st)}); ptm reads regular files and block devices`);
}

/** A read-only `ByteSource` over a regular file or a block device; {@link FileSource.close} when done. */
export class FileSource implements ByteSource {
  /** Bytes in the file (a block device's size is found by reading, as its stat says 0). */
  readonly size: number;
  private fd: number;

  /** Opens `path` (throws the `fs` error, or a {@link SpecialFileError}). */
  constructor(path: string) {
    this.fd = openFile(path);
    try {
      const st = fstatSync(this.fd);
      if (st.isFile()) this.size = st.size;
      else if (st.isBlockDevice()) this.size = deviceSize(this.fd);
      else refuse(st);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  /** Copies bytes from `offset` into `into`; returns how many (fewer only at the end, 0 once closed). */
  readAt(offset: number, into: Uint8Array): number {
    if (this.fd < 0) return 0;
    let got = 0;
    while (got < into.length && offset + got < this.size) {
      const n = readSync(this.fd, into, got, into.length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  }

  /** Closes the descriptor; reads return nothing afterwards. */
  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** Opens `path` for reading without blocking; a socket (which `open` refuses with ENXIO) is a {@link SpecialFileError}. */
function openFile(path: string): number {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    let st: Stats | undefined;
    try {
      st = statSync(path);
    } catch {
      throw e;
    }
    if (!st.isFile() && !st.isBlockDevice()) refuse(st);
    throw e;
  }
}

/** The size of a block device: the end found by reading single bytes, doubling then halving. */
function deviceSize(fd: number): number {
  const one = new Uint8Array(1);
  const readable = (at: number) => readSync(fd, one, 0, 1, at) === 1;
  if (!readable(0)) return 0;
  let lo = 0; // readable
  let hi = 1;
  while (hi < Number.MAX_SAFE_INTEGER && readable(hi)) {
    lo = hi;
    hi = Math.min(hi * 2, Number.MAX_SAFE_INTEGER);
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (readable(mid)) lo = mid;
    else hi = mid;
  }
  return lo + 1;
}
