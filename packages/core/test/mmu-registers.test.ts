import { describe, expect, it } from 'vitest';
import { halvesValue, registerHalves, vaHalves } from '../src/index.js';

describe('registerHalves: one rule for 64-bit register values on every MMU', () => {
  it('splits numbers and bigints into unsigned halves', () => {
    expect(registerHalves(0, 'm', 'cr3')).toEqual([0, 0]);
    expect(registerHalves(0x1_2345_6000, 'm', 'cr3')).toEqual([1, 0x2345_6000]);
    expect(registerHalves(Number.MAX_SAFE_INTEGER, 'm', 'cr3')).toEqual([0x1f_ffff, 0xffff_ffff]);
    expect(registerHalves(0xffff_ffff_ffff_ffffn, 'm', 'satp')).toEqual([0xffff_ffff, 0xffff_ffff]);
    expect(registerHalves(0x8000_0000_0000_0001n, 'm', 'satp')).toEqual([0x8000_0000, 1]);
  });

  it('refuses negatives, fractions, unsafe numbers, out-of-range bigints and other types, naming the register', () => {
    expect(() => registerHalves(-1, 'aarch64 MMU', 'TTBR0_EL1')).toThrow(
      /aarch64 MMU: TTBR0_EL1 -1 is not a non-negative/,
    );
    expect(() => registerHalves(1.5, 'm', 'cr3')).toThrow(RangeError);
    expect(() => registerHalves(2 ** 53, 'm', 'cr3')).toThrow(/pass a bigint/);
    expect(() => registerHalves(-1n, 'm', 'satp')).toThrow(/satp -0x1 is outside 0..2\^64-1/);
    expect(() => registerHalves(1n << 64n, 'm', 'satp')).toThrow(RangeError);
    expect(() => registerHalves('0x1000', 'm', 'cr3')).toThrow(/cr3 must be a number or bigint, got string/);
    expect(() => registerHalves(Symbol('x'), 'm', 'cr3')).toThrow(/got Symbol\(x\)/);
  });

  it('differs from vaHalves only on negative numbers (a VA sign-extends, a register refuses)', () => {
    expect(vaHalves(-0x1000, 'm')).toEqual([0xffff_ffff, 0xffff_f000]);
    expect(() => registerHalves(-0x1000, 'm', 'cr3')).toThrow(RangeError);
    for (const v of [0, 0x1000, 2 ** 40 + 7, 0xdead_beef_0000_1000n]) {
      const [hi, lo] = registerHalves(v, 'm', 'r');
      expect(vaHalves(v, 'm')).toEqual([hi, lo]);
      expect(BigInt(halvesValue(hi, lo))).toBe(BigInt(v));
    }
  });
});
