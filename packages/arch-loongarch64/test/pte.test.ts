import { MAPPING_FLAGS_ALL, MappingFlags } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import { LA64_PHYS_ADDR_MASK, LA64_PTE, LA64PTE, LA64PTEFlags } from '../src/index.js';

const { READ: R, WRITE: W, EXECUTE: X, USER: U, DEVICE: DEV, UNCACHED: UC } = MappingFlags;
const pte = LA64_PTE;
const bit = (n: number) => 1n << BigInt(n);
const lo = (e: bigint) => Number(e & 0xffff_ffffn);
const hi = (e: bigint) => Number(e >> 32n);

describe('LA64PTE bit layout (LoongArch manual, multi-level page table structure)', () => {
  it('names every bit at its position', () => {
    expect(LA64PTEFlags).toEqual({
      V: bit(0),
      D: bit(1),
      PLVL: bit(2),
      PLVH: bit(3),
      MATL: bit(4),
      MATH: bit(5),
      GH: bit(6),
      P: bit(7),
      W: bit(8),
      HGLOBAL: bit(12),
      NR: bit(61),
      NX: bit(62),
      RPLV: bit(63),
    });
    expect(LA64_PHYS_ADDR_MASK).toBe(((1n << 48n) - 1n) & ~0xfffn);
  });

  it('encodes each flag into its bits', () => {
    const base = (f: number) => pte.newPage(0, f, false);
    // Any access: V|P; READ clears NR, EXECUTE clears NX; default memory type MAT=1 (CC).
    expect(base(R | X)).toBe(bit(0) | bit(7) | bit(4));
    expect(base(R)).toBe(bit(0) | bit(7) | bit(4) | bit(62));
    expect(base(X)).toBe(bit(0) | bit(7) | bit(4) | bit(61));
    // WRITE sets W (software) and D (the hardware write-enable) together.
    expect(base(R | W | X)).toBe(bit(0) | bit(7) | bit(4) | bit(8) | bit(1));
    // USER: PLV = 3.
    expect(base(R | X | U)).toBe(bit(0) | bit(7) | bit(4) | bit(2) | bit(3));
    // DEVICE: MAT = 0 (SUC), winning over UNCACHED; UNCACHED: MAT = 2 (WUC).
    expect(base(R | X | DEV)).toBe(bit(0) | bit(7));
    expect(base(R | X | DEV | UC)).toBe(bit(0) | bit(7));
    expect(base(R | X | UC)).toBe(bit(0) | bit(7) | bit(5));
    // huge: GH (bit 6); HGLOBAL, G of 4K pages and RPLV are never written.
    expect(pte.newPage(0, R | X, true)).toBe(bit(0) | bit(7) | bit(4) | bit(6));
    for (let f = 0; f <= MAPPING_FLAGS_ALL; f++) {
      for (const huge of [false, true]) {
        const e = pte.newPage(0, f, huge);
        expect(e & (bit(12) | bit(63))).toBe(0n);
        expect((e & bit(6)) !== 0n).toBe(huge);
      }
    }
  });

  it('an empty flag set writes only the address (and GH): non-present but not unused, as upstream', () => {
    expect(pte.newPage(0x5000, 0, false)).toBe(0x5000n);
    expect(pte.newPage(0x20_0000, 0, true)).toBe(0x20_0040n);
    expect(pte.isPresent(0x5000n)).toBe(false);
    expect(pte.isUnused(0x5000n)).toBe(false);
  });

  it('decodes each bit', () => {
    const leaf = bit(0) | bit(7) | bit(4); // V|P|CC, readable and executable
    expect(pte.flags(leaf)).toBe(R | X);
    expect(pte.flags(leaf & ~bit(0))).toBe(0); // V clear → nothing
    expect(pte.flags(leaf & ~bit(7))).toBe(R | X); // P is not a permission
    expect(pte.flags(leaf | bit(61))).toBe(X); // NR
    expect(pte.flags(leaf | bit(62))).toBe(R); // NX
    expect(pte.flags(leaf | bit(8))).toBe(R | W | X); // W
    expect(pte.flags(leaf | bit(1))).toBe(R | X); // D alone is not WRITE (upstream reads W)
    expect(pte.flags(leaf | bit(2))).toBe(R | X); // PLV 1
    expect(pte.flags(leaf | bit(3))).toBe(R | X); // PLV 2
    expect(pte.flags(leaf | bit(2) | bit(3))).toBe(R | X | U); // PLV 3
    expect(pte.flags(leaf & ~bit(4))).toBe(R | X | DEV); // MAT 0: SUC
    expect(pte.flags((leaf & ~bit(4)) | bit(5))).toBe(R | X | UC); // MAT 2: WUC
    expect(pte.flags(leaf | bit(5))).toBe(R | X); // MAT 3 (reserved): neither
    expect(pte.flags(leaf | bit(6) | bit(12) | bit(63))).toBe(R | X); // GH, HGLOBAL, RPLV
  });

  it('present = P, huge = GH, table = GH clear with a non-zero address', () => {
    const at = (e: bigint) => [pte.present(lo(e), hi(e)), pte.huge(lo(e), hi(e)), pte.table(lo(e), hi(e))];
    expect(at(0n)).toEqual([false, false, false]);
    expect(at(bit(7))).toEqual([true, false, false]); // P alone
    expect(at(bit(0))).toEqual([false, false, false]); // V alone is not present (as upstream)
    expect(at(0x1000n)).toEqual([false, false, true]); // a directory entry
    expect(at(0x8000_0000_0000n)).toEqual([false, false, true]); // one above PA bit 32
    expect(at(0x20_0000n | bit(6))).toEqual([false, true, false]); // a huge entry without flags
    expect(at(pte.newPage(0x20_0000, R, true))).toEqual([true, true, false]);
    expect(at(bit(0) | bit(7) | bit(6))).toEqual([true, true, false]); // huge leaf at PA 0
  });
});

describe('LA64PTE addresses', () => {
  const cases: [string, bigint][] = [
    ['frame 0', 0n],
    ['frame 1 (PA bit 12 of a 4K page)', 0x1000n],
    ['the last frame below 2^32', 0xffff_f000n],
    ['2^32', 0x1_0000_0000n],
    ['above 2^32', 0x1234_5678_9000n],
    ['the highest frame of the 48-bit PA', 0xffff_ffff_f000n],
  ];
  for (const [what, pa] of cases) {
    it(`round-trips ${what}`, () => {
      const page = pte.newPage(pa, R | W | X | U, false);
      expect(page & LA64_PHYS_ADDR_MASK).toBe(pa);
      expect(BigInt(pte.paddr(page))).toBe(pa);
      expect(BigInt(pte.paddr(pte.newTable(pa)))).toBe(pa);
      expect(pte.newTable(pa)).toBe(pa);
      expect(BigInt(pte.paddr(pte.setPaddr(pte.newPage(0x7000, R, false), pa)))).toBe(pa);
      // A huge leaf never holds PA bit 12 (HGLOBAL there): it is dropped on encode.
      const huge = pte.newPage(pa, R | X, true);
      expect(BigInt(pte.paddr(huge))).toBe(pa & ~0x1000n);
      expect(huge & bit(12)).toBe(0n);
    });
  }

  it('keeps the address inside bits 12..47, as upstream masks it', () => {
    expect(pte.newPage(1n << 48n, R, false) & LA64_PHYS_ADDR_MASK).toBe(0n);
    expect(pte.newPage(0x1_0000_0000_1000n, R, false) & LA64_PHYS_ADDR_MASK).toBe(0x1000n);
    expect(pte.newTable(0xabcn)).toBe(0n); // the in-page offset is dropped
  });

  it('setPaddr replaces only the address field, bits 12..47, as upstream', () => {
    const page = pte.newPage(0x5000, R | W | U, false) | bit(6) | bit(63); // global, RPLV
    const moved = pte.setPaddr(page, 0xffff_ffff_f000n);
    expect(moved & ~LA64_PHYS_ADDR_MASK).toBe(page & ~LA64_PHYS_ADDR_MASK);
    expect(moved & LA64_PHYS_ADDR_MASK).toBe(0xffff_ffff_f000n);
    expect(pte.setPaddr(page, 0x2000) & bit(12)).toBe(0n);
    expect(pte.setPaddr(page, 0x3000) & bit(12)).toBe(bit(12));
  });

  it('reads bit 12 as an address bit whatever bit 6 says: a global 4K PTE keeps its odd frame', () => {
    // Bit 6 is G in a PTE and H in a directory entry; the codec sees no level. A global
    // 4K page (as a Linux kernel writes them) must read back exactly.
    const globalPage = pte.newPage(0x1234_5000, R | W, false) | bit(6);
    expect(pte.paddr(globalPage)).toBe(0x1234_5000);
    // A huge entry with HGLOBAL set reads bit 12 too; the walker aligns it to the block
    // (see page-table.test.ts), and encodePage of a huge leaf drops it.
    const block = pte.newPage(0x20_0000, R | W, true) | bit(12);
    expect(pte.paddr(block)).toBe(0x20_1000);
    expect(pte.setFlags(block, R, true)).toBe(pte.newPage(0x20_0000, R, true));
  });

  it('setFlags keeps the address and rewrites every other bit, as upstream', () => {
    const e = pte.newPage(0x1234_5000, R | W | X, false) | bit(63);
    expect(pte.setFlags(e, R, false)).toBe(pte.newPage(0x1234_5000, R, false));
  });
});

describe('LA64PTE.checkFlags', () => {
  it('accepts every non-empty flag set: NR expresses READ-less pages, so W-only and X-only exist', () => {
    for (let f = 1; f <= MAPPING_FLAGS_ALL; f++) expect(pte.checkFlags(f), `flags ${f}`).toBeUndefined();
    expect(pte.flags(pte.newPage(0, W, false))).toBe(W);
    expect(pte.flags(pte.newPage(0, X, false))).toBe(X);
    expect(pte.flags(pte.newPage(0, W | X | U, false))).toBe(W | X | U);
  });
});

describe('LA64PTE.normalizeFlags', () => {
  it('maps each flag set to what an entry reads back', () => {
    expect(pte.normalizeFlags(0)).toBe(0);
    expect(pte.normalizeFlags(R | W | X | U)).toBe(R | W | X | U);
    expect(pte.normalizeFlags(W)).toBe(W);
    expect(pte.normalizeFlags(X)).toBe(X);
    expect(pte.normalizeFlags(R | DEV)).toBe(R | DEV);
    expect(pte.normalizeFlags(R | UC)).toBe(R | UC);
    expect(pte.normalizeFlags(R | W | DEV | UC)).toBe(R | W | DEV); // DEVICE wins
    expect(pte.normalizeFlags(U)).toBe(U); // no access, still a V entry (the walker rejects it first)
  });

  it('is idempotent for every flag set', () => {
    for (let f = 0; f <= MAPPING_FLAGS_ALL; f++) {
      const n = pte.normalizeFlags(f);
      expect(pte.normalizeFlags(n)).toBe(n);
    }
  });
});

describe('LA64PTE instances', () => {
  it('are independent codecs with the arch name', () => {
    const other = new LA64PTE();
    expect(other.arch).toBe('loongarch64');
    other.encodePage(1, R, false);
    expect(other.lo).not.toBe(0);
  });
});
