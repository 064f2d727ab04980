/**
 * Text forms of addresses, matching upstream's `Debug`/`LowerHex` (`PA:0x2000`)
 * and `UpperHex` (`PA:0x2000` with uppercase digits; the `0x` stays lowercase).
 *
 * @module
 */

import { type AddrLike, toAddrValue } from './addr.js';

/** Options for the address formatters. */
export interface FormatOptions {
  /** Print the hex digits in uppercase, as upstream's `UpperHex` (the `0x` prefix stays lowercase). Default false. */
  readonly upper?: boolean;
}

/** `0x` and the hex digits of an address, e.g. `0xffffffff80000000`; checks the value first. */
export function hex(addr: AddrLike, options?: FormatOptions): string {
  const digits = toAddrValue(addr, 'hex').toString(16);
  return `0x${options?.upper ? digits.toUpperCase() : digits}`;
}

/**
 * An address with a kind prefix, e.g. `formatAddr(a, 'GPA')` gives `GPA:0x1000`
 * (upstream's `def_usize_addr_formatter!`). Without a kind it is just {@link hex}.
 */
export function formatAddr(addr: AddrLike, kind?: string, options?: FormatOptions): string {
  return kind === undefined ? hex(addr, options) : `${kind}:${hex(addr, options)}`;
}

/** A physical address as upstream prints it: `PA:0x2000`. */
export function formatPa(addr: AddrLike, options?: FormatOptions): string {
  return formatAddr(addr, 'PA', options);
}

/** A virtual address as upstream prints it: `VA:0xffffffff80000000`. */
export function formatVa(addr: AddrLike, options?: FormatOptions): string {
  return formatAddr(addr, 'VA', options);
}
