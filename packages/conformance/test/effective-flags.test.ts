/**
 * Effective permissions from the manuals, one row per rule: a page is
 * mapped, one table link on its path is changed as a guest kernel would,
 * and `mappings()` / `walk()` must give what the CPU enforces (`flags`)
 * with the leaf's own bits beside it (`leafFlags`).
 *
 * Sources: Intel SDM Vol. 3A §4.6.1 (x86: R/W and U/S must be set at every
 * level, XD at any level forbids fetches); Arm ARM D8.4.2 and QEMU 7.2's
 * `get_phys_addr_lpae` (AArch64: APTable, UXNTable/XNTable, PXNTable; the
 * QEMU-checked cases A11-A13 of MMU.md); RISC-V privileged spec and
 * LoongArch manual (non-leaf entries carry no permissions).
 */
import { A64PageTable } from '@page-table/arch-aarch64';
import { LA64PageTable } from '@page-table/arch-loongarch64';
import { Sv39PageTable } from '@page-table/arch-riscv';
import { X64PageTable } from '@page-table/arch-x86_64';
import { MappingFlags as F, PageSize, type PageTable64, type PagingHandler, RamHandler } from '@page-table/core';
import { describe, expect, it } from 'vitest';

const { READ: R, WRITE: W, EXECUTE: X, USER: U } = F;
const bit = (n: number) => 1n << BigInt(n);

interface Row {
  name: string;
  create(h: PagingHandler): PageTable64;
  flags: number;
  /** Changes to table links, by depth from the root (0 = the root's entry): [depth, set, clear]. */
  links: ReadonlyArray<readonly [number, bigint, bigint]>;
  /** The effective flags; the leaf's own are always `flags`. */
  want: number;
}

const x86 = (h: PagingHandler) => X64PageTable.create(h);
const el1 = (h: PagingHandler) => A64PageTable.create(h, { range: 'lower' });
const el2 = (h: PagingHandler) => A64PageTable.create(h, { regime: 'el2', range: 'lower' });

const ROWS: Row[] = [
  {
    name: 'x86: PDE with R/W clear makes the page read-only',
    create: x86,
    flags: R | W | X | U,
    links: [[2, 0n, bit(1)]],
    want: R | X | U,
  },
  {
    name: 'x86: PML4E with U/S clear makes the page supervisor-only',
    create: x86,
    flags: R | W | X | U,
    links: [[0, 0n, bit(2)]],
    want: R | W | X,
  },
  {
    name: 'x86: PDE with XD set (Linux PTI) forbids fetches',
    create: x86,
    flags: R | W | X | U,
    links: [[2, bit(63), 0n]],
    want: R | W | U,
  },
  {
    name: 'x86: restrictions at three levels combine',
    create: x86,
    flags: R | W | X | U,
    links: [
      [0, bit(63), 0n],
      [1, 0n, bit(2)],
      [2, 0n, bit(1)],
    ],
    want: R,
  },
  {
    name: 'x86: links with every right set restrict nothing',
    create: x86,
    flags: R | W | U,
    links: [[1, 0n, 0n]],
    want: R | W | U,
  },
  {
    name: 'aarch64 EL1: APTable[1] at L2 makes the page read-only (A11)',
    create: el1,
    flags: R | W,
    links: [[2, bit(62), 0n]],
    want: R,
  },
  {
    name: 'aarch64 EL1: APTable[0] takes EL0 access, and EXECUTE then follows PXN (A12)',
    create: el1,
    flags: R | W | X | U,
    links: [[2, bit(61), 0n]],
    want: R | W,
  },
  {
    name: 'aarch64 EL1: UXNTable at L1 forbids EL0 fetches (A13)',
    create: el1,
    flags: R | X | U,
    links: [[1, bit(60), 0n]],
    want: R | U,
  },
  {
    name: 'aarch64 EL1: UXNTable leaves a kernel page executable',
    create: el1,
    flags: R | X,
    links: [[1, bit(60), 0n]],
    want: R | X,
  },
  {
    name: 'aarch64 EL1: PXNTable at L1 forbids EL1 fetches (A13)',
    create: el1,
    flags: R | X,
    links: [[1, bit(59), 0n]],
    want: R,
  },
  {
    name: 'aarch64 EL1: PXNTable leaves a user page EL0-executable',
    create: el1,
    flags: R | X | U,
    links: [[1, bit(59), 0n]],
    want: R | X | U,
  },
  {
    name: 'aarch64 EL1: NSTable restricts nothing',
    create: el1,
    flags: R | W | X,
    links: [[0, bit(63), 0n]],
    want: R | W | X,
  },
  {
    name: 'aarch64 EL2: XNTable forbids fetches',
    create: el2,
    flags: R | W | X,
    links: [[0, bit(60), 0n]],
    want: R | W,
  },
  {
    name: 'aarch64 EL2: APTable[0] and PXNTable are RES0 (ignored)',
    create: el2,
    flags: R | W | X,
    links: [[1, bit(59) | bit(61), 0n]],
    want: R | W | X,
  },
  {
    name: 'aarch64 EL2: APTable[1] makes the page read-only',
    create: el2,
    flags: R | W | X,
    links: [[1, bit(62), 0n]],
    want: R | X,
  },
];

/** PA of the table link at each depth on the path to `va` (a tree with one mapping). */
function linkPas(pt: PageTable64): number[] {
  const out: number[] = [];
  pt.walk((e) => {
    if (!e.leaf) out[e.depth] = Number(e.entryPa);
  });
  return out;
}

describe('effective flags, as the CPU enforces them', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const ram = new RamHandler({ base: 0, size: 1 << 20 });
    const pt = row.create(ram);
    pt.map(0x4000_5000, 0x9000, PageSize.Size4K, row.flags);
    const own = pt.query(0x4000_5000)?.flags ?? -1;
    const at = linkPas(pt);
    for (const [depth, set, clear] of row.links) ram.write64(at[depth], (ram.read64(at[depth]) | set) & ~clear);
    const [m] = [...pt.mappings()];
    expect(pt.query(0x4000_5000)?.flags).toBe(own);
    expect([m.flags, m.leafFlags ?? m.flags]).toEqual([row.want, own]);
    expect(m.leafFlags === undefined).toBe(row.want === own);
    const leaf: { flags: number; leafFlags?: number | undefined }[] = [];
    pt.walk((e) => {
      if (e.leaf) leaf.push({ flags: e.flags, leafFlags: e.leafFlags });
    });
    expect(leaf).toEqual([{ flags: m.flags, leafFlags: m.leafFlags }]);
  });

  it.each([
    ['riscv Sv39', (h: PagingHandler) => Sv39PageTable.create(h)],
    ['loongarch64', (h: PagingHandler) => LA64PageTable.create(h)],
  ] as const)('%s: non-leaf entries carry no permissions, so every leaf keeps its own flags', (_name, create) => {
    const ram = new RamHandler({ base: 0, size: 1 << 20 });
    const pt = create(ram);
    pt.map(0x4000_5000, 0x9000, PageSize.Size4K, R | W | X | U);
    const pte = pt.meta.pte;
    pt.walk((e) => {
      if (!e.leaf) expect(pte.tableRestrictions(Number(e.entry & 0xffff_ffffn), Number(e.entry >> 32n))).toBe(0);
    });
    expect([...pt.mappings()].map((m) => [m.flags, m.leafFlags])).toEqual([[R | W | X | U, undefined]]);
  });
});
