/**
 * The one rule for an access kind that is not {@link Access}: every MMU
 * throws the same `RangeError` from `translate`, `translatePa`,
 * `translatePaHalves` and `debugTranslate`, before reading memory or the TLB
 * (a kind used as a table index would otherwise read another row).
 *
 * @module
 */

import { Access } from '../mmu.js';

/** Whether `access` is `Access.Read`, `Access.Write` or `Access.Execute`. */
export function isAccess(access: unknown): access is Access {
  return access === Access.Read || access === Access.Write || access === Access.Execute;
}

/** The error every MMU throws for an unknown access kind (kept out of line so the hot paths stay small). */
export function accessError(access: unknown): RangeError {
  const shown = typeof access === 'symbol' ? access.toString() : String(access);
  return new RangeError(`access must be Access.Read (0), Access.Write (1) or Access.Execute (2), got ${shown}`);
}

/** Throws {@link accessError} unless `access` is an {@link Access}. */
export function checkAccess(access: unknown): asserts access is Access {
  if (!isAccess(access)) throw accessError(access);
}
