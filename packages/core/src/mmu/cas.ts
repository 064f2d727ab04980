/**
 * The compare-and-swap every Accessed/Dirty write of an emulator MMU goes
 * through: the entry's low word is replaced only if the whole 64-bit entry
 * still holds what the walk read. On a SharedArrayBuffer (another agent,
 * e.g. a guest vCPU in a worker, may edit the table) that is one 64-bit
 * `Atomics.compareExchange`; on unshared memory nothing runs between the
 * walk's read and this write, so a plain compare and store is exact.
 *
 * @module
 */

/**
 * Swaps the low word of the 8-byte entry at word `w` of `words` (entries are
 * little-endian: low word first), or a whole 4-byte entry. Keeps one
 * BigUint64Array view of a shared buffer, rebuilt when the buffer changes or
 * grows.
 */
export class EntryCas {
  private view: BigUint64Array | undefined;

  /** Writes `next` as the low word if the entry still holds (`hi`, `lo`); false when it changed (walk again). */
  swapLo(words: Uint32Array, w: number, lo: number, hi: number, next: number): boolean {
    const buf = words.buffer;
    if (typeof SharedArrayBuffer !== 'undefined' && buf instanceof SharedArrayBuffer)
      return this.sharedSwap(words, w, lo, hi, next);
    if (words[w] !== lo >>> 0 || words[w + 1] !== hi >>> 0) return false;
    words[w] = next;
    return true;
  }

  /**
   * Writes `next` over the 4-byte entry at word `w` if it still holds `old`
   * (x86 32-bit paging, Sv32, Arm short descriptors); false when it changed.
   * One 32-bit `Atomics.compareExchange` on a SharedArrayBuffer.
   */
  swap32(words: Uint32Array, w: number, old: number, next: number): boolean {
    const buf = words.buffer;
    if (typeof SharedArrayBuffer !== 'undefined' && buf instanceof SharedArrayBuffer)
      return Atomics.compareExchange(words, w, old >>> 0, next >>> 0) === old >>> 0;
    if (words[w] !== old >>> 0) return false;
    words[w] = next;
    return true;
  }

  private sharedSwap(words: Uint32Array, w: number, lo: number, hi: number, next: number): boolean {
    const buf = words.buffer;
    const byte = words.byteOffset + w * 4;
    if (byte % 8 !== 0) {
      // An entry not 8-byte aligned in the buffer cannot be swapped as one word: swap the low word, then check the high one.
      return Atomics.compareExchange(words, w, lo >>> 0, next >>> 0) === lo >>> 0 && words[w + 1] === hi >>> 0;
    }
    let view = this.view;
    if (view === undefined || view.buffer !== buf || view.length * 8 < buf.byteLength - 7) {
      view = new BigUint64Array(buf, 0, Math.floor(buf.byteLength / 8));
      this.view = view;
    }
    const h = BigInt(hi >>> 0) << 32n;
    const expect = h | BigInt(lo >>> 0);
    return Atomics.compareExchange(view, byte / 8, expect, h | BigInt(next >>> 0)) === expect;
  }
}
