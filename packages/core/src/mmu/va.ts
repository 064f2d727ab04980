/**
 * The one meaning of a number VA on every emulator MMU's allocation-free
 * path (`translatePa`): an integer read as a 64-bit two's-complement value,
 * so a negative number is the sign-extended VA (`-0x1000` is
 * 0xffff_ffff_ffff_f000 on every architecture) and a kernel address can be
 * passed without a bigint. These split such a number into the 32-bit halves
 * the walks use.
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
