/**
 * makedumpfile's flattened format: a 4096-byte header, then records
 * `{be64 offset, be64 size}` each followed by `size` bytes that belong at
 * `offset` of the real file, ended by offset = size = -1. QEMU's
 * `dump-guest-memory -z|-l|-s` writes it so it can stream to a pipe.
 *
 * @module
 */

import { type ByteSource, readExact, readFully } from './byte-source.js';
import { DumpError } from './error.js';
import { Fields, hex, latin1 } from './fields.js';
import { type Claim, paintClaims } from './intervals.js';

/** The flattened header's signature (16 bytes, NUL padded). */
export const MAKEDUMPFILE_SIGNATURE = 'makedumpfile';
const HEADER_SIZE = 4096;
const END = 0xffffffffffffffffn;

/**
 * The real (seekable) file a flattened stream describes, as a
 * {@link ByteSource}, without copying it: an index from file offsets to
 * stream positions. Bytes no record wrote read as zero; where records
 * overlap, the later one wins (as writing them in order would).
 */
export class FlattenedSource implements ByteSource {
  /** Bytes of the reassembled file (the end of the furthest record). */
  readonly size: number;
  /** Records in the stream. */
  readonly records: number;
  private readonly start: Float64Array;
  private readonly end: Float64Array;
  private readonly pos: Float64Array;

  /** Indexes `stream` (a `Truncated` or `Corrupt` {@link DumpError} when it is not a complete flattened stream). */
  constructor(private readonly stream: ByteSource) {
    const h = new Fields(readExact(stream, 0, HEADER_SIZE, 'the makedumpfile flattened header'), false);
    if (h.str(0, 16) !== MAKEDUMPFILE_SIGNATURE) {
      throw new DumpError(
        'Corrupt',
        `not a makedumpfile flattened stream: signature "${latin1(h.bytes.subarray(0, 12))}"`,
      );
    }
    const type = h.u64(16);
    const version = h.u64(24);
    if (type !== 1n || version !== 1n) {
      throw new DumpError(
        'Unsupported',
        `makedumpfile flattened stream of type ${type}, version ${version}: this reader knows type 1, version 1`,
      );
    }
    const claims: Claim[] = [];
    const positions: number[] = [];
    let at = HEADER_SIZE;
    for (;;) {
      const r = new Fields(
        readExact(
          stream,
          at,
          16,
          `flattened record ${claims.length} header (no end marker offset = size = -1 before it)`,
        ),
        false,
      );
      const offset = r.u64(0);
      const size = r.u64(8);
      if (offset === END && size === END) break;
      if (offset >= 1n << 53n || size >= 1n << 53n) {
        throw new DumpError(
          'Corrupt',
          `flattened record ${claims.length} at ${hex(at)} places ${hex(size)} bytes at ${hex(offset)}: beyond any file`,
        );
      }
      const data = at + 16;
      if (data + Number(size) > stream.size) {
        throw new DumpError(
          'Truncated',
          `truncated: flattened record ${claims.length} needs stream bytes ${hex(data)}..${hex(data + Number(size))} but the stream ends at ${hex(stream.size)}`,
        );
      }
      claims.push({ start: offset, end: offset + size, priority: -claims.length });
      positions.push(data);
      at = data + Number(size);
    }
    const pieces = paintClaims(claims);
    this.start = new Float64Array(pieces.length);
    this.end = new Float64Array(pieces.length);
    this.pos = new Float64Array(pieces.length);
    pieces.forEach((p, k) => {
      this.start[k] = Number(p.start);
      this.end[k] = Number(p.end);
      this.pos[k] = positions[p.owner] + Number(p.start - claims[p.owner].start);
    });
    this.records = claims.length;
    this.size = pieces.length === 0 ? 0 : this.end[pieces.length - 1];
  }

  /** {@inheritDoc ByteSource.readAt} */
  readAt(offset: number, into: Uint8Array): number {
    if (offset < 0 || offset >= this.size) return 0;
    const n = Math.min(into.length, this.size - offset);
    into.fill(0, 0, n);
    let lo = 0;
    let hi = this.end.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.end[mid] > offset) hi = mid;
      else lo = mid + 1;
    }
    for (let k = lo; k < this.end.length && this.start[k] < offset + n; k++) {
      const from = Math.max(this.start[k], offset);
      const to = Math.min(this.end[k], offset + n);
      readFully(this.stream, this.pos[k] + (from - this.start[k]), into.subarray(from - offset, to - offset));
    }
    return n;
  }
}
