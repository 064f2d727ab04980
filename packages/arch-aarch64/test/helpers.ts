/** Helpers the aarch64 tests share. */
import { isPagingError, type PagingError } from '@page-table/core';
import { expect } from 'vitest';

/** Expects `f` to throw a PagingError of `kind` (the thrown value is the message when it is not). */
export function expectPagingError(f: () => unknown, kind: PagingError['kind']): void {
  try {
    f();
  } catch (e) {
    expect(isPagingError(e, kind), String(e)).toBe(true);
    return;
  }
  throw new Error(`expected PagingError ${kind}`);
}
