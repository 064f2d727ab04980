/**
 * The one error type of every page-table operation.
 *
 * @module
 */

import type { VirtAddr } from '@page-table/memory-addr';

/** What went wrong, as a string literal so it reads well in logs and switches. */
export type PagingErrorKind =
  /** No frame could be allocated for a table. */
  | 'NoMemory'
  /** A walk visited its budget of entries (`maxEntries`) and stopped: see `WalkBudgetError` for how far it got. */
  | 'BudgetExceeded'
  /** An address or size is not aligned to the page size it needs. */
  | 'NotAligned'
  /** Nothing is mapped at the address. */
  | 'NotMapped'
  /** Something is already mapped (or a table is in the way) where a mapping was asked for. */
  | 'AlreadyMapped'
  /** A huge page is in the way: the walk would have to descend through a block, or a block crosses a region's edge. */
  | 'MappedToHugePage'
  /** A virtual address that is not canonical for the arch, a physical address past its width, or a table outside physical memory (or not from the allocator). */
  | 'InvalidAddress'
  /** A flag combination the architecture cannot encode, or bits no flag defines. */
  | 'UnsupportedFlags'
  /** An argument of the wrong type (a flag set, a size or a count that is not a number or bigint). */
  | 'InvalidArgument'
  /**
   * A modifying call was made while another modifying call on the same table
   * was running (from a `mapRegion` callback or a TLB-flush hook); the inner
   * call changed nothing and the outer one goes on.
   */
  | 'Busy'
  /** The table was destroyed: its frames may belong to someone else now, so nothing is read or written. */
  | 'Destroyed';

/** Where a {@link PagingError} happened, when it concerns one address or one table level. */
export interface PagingErrorWhere {
  /** The virtual address the error is about. */
  va?: VirtAddr;
  /** The table level the error is about (0 = the 4 KiB page table). */
  level?: number;
}

/** The brand on every {@link PagingError}: one registry symbol, so ESM and CJS copies of this package agree. */
const BRAND = Symbol.for('@page-table/core.PagingError');

/**
 * An error of a page-table operation. The operation that threw it changed
 * nothing: no entry was written and no frame was kept. The message reads
 * `Kind: what was wrong`; {@link va} and {@link level} say where, when the
 * error is about one address or level.
 */
export class PagingError extends Error {
  /** Always `'PagingError'`, so stack traces and logs name it; test with {@link isPagingError}, not the name. */
  override name = 'PagingError';
  /** What went wrong. */
  readonly kind: PagingErrorKind;
  /** The virtual address the error is about, if one. */
  readonly va: VirtAddr | undefined;
  /** The table level the error is about (0 = the 4 KiB page table), if one. */
  readonly level: number | undefined;

  constructor(kind: PagingErrorKind, message: string, where?: PagingErrorWhere) {
    super(`${kind}: ${message}`);
    this.kind = kind;
    this.va = where?.va;
    this.level = where?.level;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** `instanceof PagingError` holds for a PagingError of any copy of this package (ESM or CJS build). */
  static override [Symbol.hasInstance](e: unknown): boolean {
    return isPagingError(e);
  }
}

/**
 * Whether `e` is a {@link PagingError}, optionally of the given kind. Tests
 * a registry-symbol brand, not the prototype chain, so an error thrown by the
 * CJS build is recognised by the ESM build and the other way round.
 */
export function isPagingError(e: unknown, kind?: PagingErrorKind): e is PagingError {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as Record<symbol, unknown>)[BRAND] === true &&
    (kind === undefined || (e as PagingError).kind === kind)
  );
}
