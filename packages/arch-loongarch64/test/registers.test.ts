import { describe, expect, it } from 'vitest';
import {
  LA64_3LEVEL_METADATA,
  LA64_4LEVEL_METADATA,
  LA64_METADATA,
  LA64_PTE,
  la64Metadata,
  PWCH_3LEVEL,
  PWCH_4LEVEL,
  PWCL_3LEVEL,
  PWCL_4LEVEL,
  pwch,
  pwcl,
} from '../src/index.js';

/** Field `[hiBit:loBit]` of a 32-bit register value. */
const get = (value: number, hiBit: number, loBit: number) => Math.floor(value / 2 ** loBit) % 2 ** (hiBit - loBit + 1);

describe('PWCL / PWCH', () => {
  it('PWCL_4LEVEL is 0x13E4_D52C, field by field', () => {
    expect(PWCL_4LEVEL).toBe(0x13e4_d52c);
    expect(get(PWCL_4LEVEL, 4, 0)).toBe(12); // PTbase
    expect(get(PWCL_4LEVEL, 9, 5)).toBe(9); // PTwidth
    expect(get(PWCL_4LEVEL, 14, 10)).toBe(21); // Dir1_base
    expect(get(PWCL_4LEVEL, 19, 15)).toBe(9); // Dir1_width
    expect(get(PWCL_4LEVEL, 24, 20)).toBe(30); // Dir2_base
    expect(get(PWCL_4LEVEL, 29, 25)).toBe(9); // Dir2_width
    expect(get(PWCL_4LEVEL, 31, 30)).toBe(0); // PTEWidth: 64-bit entries
  });

  it('PWCH_4LEVEL is 0x267, field by field', () => {
    expect(PWCH_4LEVEL).toBe(0x267);
    expect(get(PWCH_4LEVEL, 5, 0)).toBe(39); // Dir3_base
    expect(get(PWCH_4LEVEL, 11, 6)).toBe(9); // Dir3_width
    expect(get(PWCH_4LEVEL, 17, 12)).toBe(0); // Dir4_base
    expect(get(PWCH_4LEVEL, 23, 18)).toBe(0); // Dir4_width
    expect(get(PWCH_4LEVEL, 31, 24)).toBe(0); // nothing else
  });

  it('the 3-level layout shares PWCL and has no Dir3', () => {
    expect(PWCL_3LEVEL).toBe(PWCL_4LEVEL);
    expect(PWCH_3LEVEL).toBe(0);
  });

  it('pwcl() / pwch() build the constants', () => {
    const lower = { ptBase: 12, ptWidth: 9, dir1Base: 21, dir1Width: 9, dir2Base: 30, dir2Width: 9 };
    expect(pwcl(lower)).toBe(PWCL_4LEVEL);
    expect(pwcl({ ...lower, pteWidth: 0 })).toBe(PWCL_3LEVEL);
    expect(pwch({ dir3Base: 39, dir3Width: 9 })).toBe(PWCH_4LEVEL);
    expect(pwch({ dir3Base: 39, dir3Width: 9, dir4Base: 0, dir4Width: 0 })).toBe(PWCH_4LEVEL);
    expect(pwch({ dir3Base: 0, dir3Width: 0 })).toBe(PWCH_3LEVEL);
  });

  it('pwcl() / pwch() place each field alone', () => {
    const zero = { ptBase: 0, ptWidth: 0, dir1Base: 0, dir1Width: 0, dir2Base: 0, dir2Width: 0 };
    expect(pwcl({ ...zero, ptBase: 31 })).toBe(31);
    expect(pwcl({ ...zero, ptWidth: 31 })).toBe(31 << 5);
    expect(pwcl({ ...zero, dir1Base: 31 })).toBe(31 << 10);
    expect(pwcl({ ...zero, dir1Width: 31 })).toBe(31 << 15);
    expect(pwcl({ ...zero, dir2Base: 31 })).toBe(31 << 20);
    expect(pwcl({ ...zero, dir2Width: 31 })).toBe(31 << 25);
    expect(pwcl({ ...zero, pteWidth: 3 })).toBe(0xc000_0000); // unsigned
    expect(pwch({ dir3Base: 63, dir3Width: 0 })).toBe(63);
    expect(pwch({ dir3Base: 0, dir3Width: 63 })).toBe(63 << 6);
    expect(pwch({ dir3Base: 0, dir3Width: 0, dir4Base: 63 })).toBe(63 << 12);
    expect(pwch({ dir3Base: 0, dir3Width: 0, dir4Width: 63 })).toBe(63 << 18);
  });

  it('rejects fields out of range', () => {
    const lower = { ptBase: 12, ptWidth: 9, dir1Base: 21, dir1Width: 9, dir2Base: 30, dir2Width: 9 };
    expect(() => pwcl({ ...lower, ptBase: 32 })).toThrow(RangeError);
    expect(() => pwcl({ ...lower, dir2Width: -1 })).toThrow(RangeError);
    expect(() => pwcl({ ...lower, pteWidth: 4 })).toThrow(RangeError);
    expect(() => pwcl({ ...lower, dir1Base: 1.5 })).toThrow(RangeError);
    expect(() => pwch({ dir3Base: 64, dir3Width: 9 })).toThrow(RangeError);
    expect(() => pwch({ dir3Base: 39, dir3Width: 9, dir4Width: 64 })).toThrow(RangeError);
  });
});

describe('metadata', () => {
  it('4 levels: 48-bit VA and PA, sign-extended, the default', () => {
    expect(LA64_4LEVEL_METADATA).toMatchObject({
      name: 'loongarch64 4-level',
      levels: 4,
      paBits: 48,
      vaBits: 48,
      vaCheck: 'sign-extend',
      pwcl: PWCL_4LEVEL,
      pwch: PWCH_4LEVEL,
    });
    expect(LA64_4LEVEL_METADATA.pte).toBe(LA64_PTE);
    expect(LA64_METADATA).toBe(LA64_4LEVEL_METADATA);
    expect(la64Metadata()).toBe(LA64_4LEVEL_METADATA);
    expect(la64Metadata(4)).toBe(LA64_4LEVEL_METADATA);
  });

  it('3 levels: 39-bit VA, 48-bit PA, the same codec instance', () => {
    expect(LA64_3LEVEL_METADATA).toMatchObject({
      name: 'loongarch64 3-level',
      levels: 3,
      paBits: 48,
      vaBits: 39,
      vaCheck: 'sign-extend',
      pwcl: PWCL_3LEVEL,
      pwch: PWCH_3LEVEL,
    });
    expect(LA64_3LEVEL_METADATA.pte).toBe(LA64_PTE);
    expect(la64Metadata(3)).toBe(LA64_3LEVEL_METADATA);
  });

  it('rejects other level counts', () => {
    expect(() => la64Metadata(5 as 4)).toThrow(RangeError);
  });
});
