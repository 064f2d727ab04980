/**
 * The AArch64 paging modes: 4 levels (L0..L3) of 4 KiB tables, 48-bit virtual
 * and physical addresses (TCR_ELx.T0SZ = T1SZ = 16, IPS = 0b101).
 *
 * @module
 */

import type { PagingMetaData } from '@page-table/core';
import { A64PTE, type A64PTEOptions } from './pte.js';
import { type A64AttrIndex, DEFAULT_ATTR_INDEX } from './registers.js';

function isDefaultIndex(a: A64AttrIndex): boolean {
  return (
    a.device === DEFAULT_ATTR_INDEX.device &&
    a.normal === DEFAULT_ATTR_INDEX.normal &&
    a.nonCacheable === DEFAULT_ATTR_INDEX.nonCacheable
  );
}

/**
 * Which VA range a table translates: `lower` (TTBR0: bits 63..48 all 0),
 * `upper` (TTBR1: all 1), or `both` (upstream's behaviour: either, aliasing
 * each other, with `walk`/`mappings` reporting lower-range VAs).
 */
export type A64Range = 'lower' | 'upper' | 'both';

const VA_CHECK = { lower: 'top-bits-lower', upper: 'top-bits-upper', both: 'top-bits' } as const;

function make(pte: A64PTE, range: A64Range = 'both'): PagingMetaData {
  const a = pte.attrIndex;
  const slots = isDefaultIndex(a) ? '' : `, AttrIndx device=${a.device} normal=${a.normal} nc=${a.nonCacheable}`;
  const where = range === 'both' ? '' : range === 'lower' ? ', TTBR0 range' : ', TTBR1 range';
  return Object.freeze({
    name: `aarch64 4-level (${pte.regime === 'el2' ? 'EL2' : 'EL1&0'}${slots}${where})`,
    levels: 4,
    paBits: 48,
    vaBits: 48,
    // Bits 63..48 all 0 (TTBR0 range) and/or all 1 (TTBR1 range); bit 47 is
    // free, so 0x0000_8000_0000_0000 is valid, as in upstream's vaddr_is_valid.
    vaCheck: VA_CHECK[range],
    pte,
  });
}

/**
 * The EL1&0 regime with the default MAIR layout (`MAIR_VALUE`): what
 * page_table_multiarch's `A64PagingMetaData` describes. One table covers a
 * TTBR0 (lower) or a TTBR1 (upper) range; see the README.
 */
export const A64_METADATA: PagingMetaData = make(new A64PTE());

/** The EL2 regime (HCR_EL2.E2H = 0) with the default MAIR layout: upstream's `arm-el2` encoding. */
export const A64_EL2_METADATA: PagingMetaData = make(new A64PTE({ regime: 'el2' }));

const cache = new Map<string, PagingMetaData>();

/**
 * The metadata (and so the one shared codec instance) for a regime and MAIR
 * layout. Equal options give the same object, so every table of one
 * configuration shares its codec and the walker's call sites stay monomorphic.
 *
 * @throws RangeError for an unknown regime or invalid attribute slots.
 */
export function a64Metadata(options: A64PTEOptions & { range?: A64Range } = {}): PagingMetaData {
  const regime = options.regime ?? 'el1';
  const idx = options.attrIndex;
  const range = options.range ?? 'both';
  if (!(range in VA_CHECK)) throw new RangeError(`aarch64: unknown VA range ${String(range)}`);
  if ((idx === undefined || isDefaultIndex(idx)) && range === 'both') {
    if (regime === 'el1') return A64_METADATA;
    if (regime === 'el2') return A64_EL2_METADATA;
  }
  const key = `${regime}/${idx?.device}/${idx?.normal}/${idx?.nonCacheable}/${range}`;
  let meta = cache.get(key);
  if (meta === undefined) {
    meta = make(new A64PTE(options), range); // validates regime and slots
    cache.set(key, meta);
  }
  return meta;
}
