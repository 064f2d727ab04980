/**
 * TLB maintenance bookkeeping, as upstream's cursor does it: up to 32 single
 * VAs, then one full flush instead.
 *
 * @module
 */

import { fromHalves, type VirtAddr } from '@page-table/memory-addr';
import type { FlushTlb } from './metadata.js';

/** Most single-VA flushes kept before switching to a full flush (upstream's `SMALL_FLUSH_THRESHOLD`). */
export const SMALL_FLUSH_THRESHOLD = 32;

/** Records modified VAs without allocating and issues them through a hook. */
export class TlbFlusher {
  private readonly hi = new Uint32Array(SMALL_FLUSH_THRESHOLD);
  private readonly lo = new Uint32Array(SMALL_FLUSH_THRESHOLD);
  private count = 0;
  private full = false;

  constructor(private readonly hook: FlushTlb | undefined) {}

  /** Records one VA (as halves); the 33rd turns the record into a full flush. */
  record(hi: number, lo: number): void {
    if (this.full) return;
    if (this.count === SMALL_FLUSH_THRESHOLD) {
      this.full = true;
      return;
    }
    this.hi[this.count] = hi;
    this.lo[this.count] = lo;
    this.count++;
  }

  /** Records that everything must be flushed. */
  recordFull(): void {
    this.full = true;
  }

  /** What is recorded: `'full'` or the VAs. */
  pending(): 'full' | VirtAddr[] {
    if (this.full) return 'full';
    const out: VirtAddr[] = [];
    for (let i = 0; i < this.count; i++) out.push(fromHalves(this.hi[i], this.lo[i]) as VirtAddr);
    return out;
  }

  /** Calls the hook per recorded VA, or once with `undefined` for a full flush, then clears the record. */
  flush(): void {
    const hook = this.hook;
    if (hook !== undefined) {
      if (this.full) hook(undefined);
      else for (let i = 0; i < this.count; i++) hook(fromHalves(this.hi[i], this.lo[i]) as VirtAddr);
    }
    this.full = false;
    this.count = 0;
  }
}
