import { describe, expect, it } from 'vitest';
import { AddressError, formatAddr, formatPa, formatVa, hex, pa, va } from '../src/index.js';
import { MAX, NOT_ADDRESSES, SAFE } from './model.js';

describe('formatting', () => {
  it('prints like upstream Debug/LowerHex', () => {
    expect(formatPa(pa(0x2000))).toBe('PA:0x2000');
    expect(formatVa(va(0xffff_ffff_8000_0000n))).toBe('VA:0xffffffff80000000');
    expect(formatVa(0)).toBe('VA:0x0');
    expect(formatPa(MAX)).toBe('PA:0xffffffffffffffff');
    expect(formatPa(Number.MAX_SAFE_INTEGER)).toBe('PA:0x1fffffffffffff');
    expect(formatPa(SAFE + 1n)).toBe('PA:0x20000000000000');
  });

  it('prints like upstream UpperHex: uppercase digits, lowercase 0x', () => {
    expect(formatPa(0xabcdef, { upper: true })).toBe('PA:0xABCDEF');
    expect(formatVa(0xffff_ffff_8000_0000n, { upper: true })).toBe('VA:0xFFFFFFFF80000000');
    expect(hex(0xdead_beef, { upper: true })).toBe('0xDEADBEEF');
  });

  it('prints plain hex and user kinds', () => {
    expect(hex(0)).toBe('0x0');
    expect(hex(2 ** 32)).toBe('0x100000000');
    expect(hex(5n)).toBe('0x5');
    expect(formatAddr(0x1000, 'GPA')).toBe('GPA:0x1000');
    expect(formatAddr(0x1000)).toBe('0x1000');
  });

  it.each(NOT_ADDRESSES)('rejects %s', (x) => {
    expect(() => hex(x)).toThrow(AddressError);
    expect(() => formatPa(x)).toThrow(AddressError);
    expect(() => formatVa(x)).toThrow(AddressError);
  });
});
