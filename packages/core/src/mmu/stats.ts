/**
 * The counters every emulator MMU keeps, with their reset.
 *
 * @module
 */

import type { MmuStats } from '../mmu.js';

/** Fresh counters, all zero. */
export function newMmuStats(): MmuStats {
  return { hits: 0, misses: 0, faults: 0 };
}

/** Zeroes `stats` in place (the object an MMU hands out stays the same). */
export function resetMmuStats(stats: MmuStats): void {
  stats.hits = 0;
  stats.misses = 0;
  stats.faults = 0;
}
