/**
 * The one error type of every page-table operation.
 *
 * @module
 */

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
  /** A virtual address that is not canonical for the arch, a physical address past its width, or a table outside physical memory. */
  | 'InvalidAddress'
  /** A flag combination the architecture cannot encode. */
  | 'UnsupportedFlags';

/**
 * An error of a page-table operation. The operation that threw it changed
 * nothing: no entry was written and no frame was kept.
 */
export class PagingError extends Error {
  /** Always `'PagingError'`, so stack traces and logs name it; test with {@link isPagingError}, not the name. */
  override name = 'PagingError';
  /** What went wrong. */
  readonly kind: PagingErrorKind;

  constructor(kind: PagingErrorKind, message: string) {
    super(`${kind}: ${message}`);
    this.kind = kind;
  }
}

/** Whether `e` is a {@link PagingError}, optionally of the given kind. */
export function isPagingError(e: unknown, kind?: PagingErrorKind): e is PagingError {
  return e instanceof PagingError && (kind === undefined || e.kind === kind);
}
