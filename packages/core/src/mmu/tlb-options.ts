/**
 * The one meaning of the `tlbEntries` option of every emulator MMU: the
 * number of slots of its {@link SoftTlb}, a power of two, or 0 for no
 * software TLB at all (every translation walks the tables, which is what a
 * conformance run against another emulator wants). Anything else is a
 * `RangeError` with the same words on every MMU.
 *
 * @module
 */

import { SoftTlb } from '../soft-tlb.js';

/** Slots of an MMU's software TLB when `tlbEntries` is not given. */
export const DEFAULT_TLB_ENTRIES = 256;

/** Checks a `tlbEntries` option (undefined = {@link DEFAULT_TLB_ENTRIES}) and returns the slot count. */
export function checkTlbEntries(entries: number | undefined, who: string): number {
  const n = entries ?? DEFAULT_TLB_ENTRIES;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 2 ** 24 || (n & (n - 1)) !== 0) {
    throw new RangeError(`${who}: tlbEntries ${String(n)} is not 0 (no TLB) or a power of two up to 2^24`);
  }
  return n;
}

/** The software TLB a `tlbEntries` option asks for (0 = a TLB that caches nothing). */
export function createSoftTlb(entries: number | undefined, who: string): SoftTlb {
  return new SoftTlb(checkTlbEntries(entries, who));
}
