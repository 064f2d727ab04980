/**
 * The one meaning of a number VA on every emulator MMU's allocation-free
 * path (`translatePa`): an integer read as a 64-bit two's-complement value,
 * so a negative number is the sign-extended VA (`-0x1000` is
 * 0xffff_ffff_ffff_f000 on every architecture) and a kernel address can be
 * passed without a bigint. These split such a number into the 32-bit halves
 * the walks use, and say which VAs a 32-bit MMU takes.
 *
 * @module
 */

const TWO32 = 4294967296;

/**
 * Bits 63..32 of the number VA `va` (see the module): `Math.floor`, not a
 * truncating division, so a negative VA keeps its sign-extended high word.
 * Beyond ±2^53 a number holds only the value it rounded to; such VAs belong
 * in `translatePaHalves`.
 */
export function vaHi(va: number): number {
  return Math.floor(va / TWO32) >>> 0;
}

/** Bits 31..0 of the number VA `va` (ToUint32 is exact modulo 2^32 for every integer). */
export function vaLo(va: number): number {
  return va >>> 0;
}

/**
 * Whether the VA (hi, lo) names a 32-bit address, for the MMUs of 32-bit
 * translation regimes (x86 32-bit and PAE paging, RV32 Sv32, ARMv7): the
 * address zero-extended (`hi` 0) or sign-extended (`hi` all ones, bit 31
 * set), so `-0x1000` and `0xffff_f000` are the same VA there. Any other
 * value lies outside the 32-bit space, and such an MMU faults as its
 * architecture does for an address it cannot translate.
 */
export function isVa32(hi: number, lo: number): boolean {
  return hi === 0 || (hi >>> 0 === 0xffff_ffff && lo >>> 0 >= 0x8000_0000);
}
