/**
 * Numbers on the command line and in the output: 64-bit addresses as hex,
 * byte counts in binary units.
 *
 * @module
 */

import { usageError } from './errors.js';

const U64_MAX = 0xffff_ffff_ffff_ffffn;
const NUMBER = /^(?:0x[0-9a-f]+(?:_[0-9a-f]+)*|[0-9]+(?:_[0-9]+)*)$/i;

/**
 * Parses an unsigned 64-bit number written in hex (`0x8020_0000`) or decimal
 * (`2149580800`); `_` may separate digit groups. `what` names the value in
 * the error (a usage error: exit status 2).
 */
export function parseU64(text: string, what: string): bigint {
  const t = text.trim();
  if (!NUMBER.test(t)) {
    throw usageError(`${what}: '${text}' is not a number (write hex as 0x80200000 or decimal as 2149580800)`);
  }
  const v = BigInt(t.replaceAll('_', ''));
  if (v > U64_MAX) throw usageError(`${what}: ${text} does not fit in 64 bits`);
  return v;
}

/** `0x` and the lowercase hex digits of `x` (the JSON form of every address and size). */
export function hex(x: bigint | number): string {
  return `0x${x.toString(16)}`;
}

/** `0x` and at least `digits` hex digits, zero-padded (aligned columns). */
export function hexPad(x: bigint | number, digits: number): string {
  return `0x${x.toString(16).padStart(digits, '0')}`;
}

/** Hex digits needed for `x` (at least 1). */
export function hexDigits(x: bigint | number): number {
  return x.toString(16).length;
}

const UNITS: ReadonlyArray<readonly [bigint, string]> = [
  [1n << 50n, 'PiB'],
  [1n << 40n, 'TiB'],
  [1n << 30n, 'GiB'],
  [1n << 20n, 'MiB'],
  [1n << 10n, 'KiB'],
];

/**
 * A byte count in the largest binary unit that divides it exactly (`2 GiB`,
 * `3076 KiB`, `512 B`): never rounded, so the table sums stay checkable.
 */
export function formatBytes(bytes: bigint | number): string {
  const b = BigInt(bytes);
  if (b === 0n) return '0';
  for (const [unit, name] of UNITS) if (b >= unit && b % unit === 0n) return `${b / unit} ${name}`;
  return `${b} B`;
}

/**
 * A byte count for people: exact in the largest unit that divides it into
 * fewer than 10000 (`1026 MiB`, `1216 KiB`), else to two decimals (`2.06 GiB`).
 */
export function formatBytesApprox(bytes: bigint | number): string {
  const b = BigInt(bytes);
  if (b === 0n) return '0';
  for (const [unit, name] of UNITS) if (b % unit === 0n && b / unit < 10000n) return `${b / unit} ${name}`;
  for (const [unit, name] of UNITS) {
    if (b >= unit) {
      const hundredths = (b * 100n + unit / 2n) / unit;
      return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, '0')} ${name}`;
    }
  }
  return `${b} B`;
}
