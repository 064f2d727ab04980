/**
 * The x86_64 MMU's register decoder: the raw CR0, CR3, CR4, EFER, PKRU,
 * IA32_PKRS values and MAXPHYADDR turned into one immutable configuration of
 * the translation they select (SDM Vol. 3A §4.1.1 paging modes, §4.5 CR3
 * and reserved bits, §4.6 rights), rebuilt whenever a register is written.
 *
 * @module
 */

import { hi32, lo32 } from '@page-table/memory-addr';
import { buildX64Rights, type X64Rights } from './mmu-rights.js';
import { X64Cr0, X64Cr4, X64Efer } from './registers.js';

/** Paging disabled (CR0.PG = 0): linear = physical. */
export const MODE_DISABLED = 0;
/** 4-level or 5-level paging in IA-32e mode. */
export const MODE_LONG = 1;
/** 32-bit or PAE paging outside IA-32e mode (not modelled). */
export const MODE_LEGACY = 2;

const XD_HI = 0x8000_0000;
const ADDR_HI = 0xfffff;
const TWO20 = 0x10_0000;

/** The registers the decoder reads, as canonical unsigned values. */
export interface X64RawRegisters {
  /** CR0. */
  cr0: number | bigint;
  /** CR3, without the no-flush bit 63. */
  cr3: number | bigint;
  /** CR4. */
  cr4: number | bigint;
  /** IA32_EFER. */
  efer: number | bigint;
  /** PKRU. */
  pkru: number | bigint;
  /** IA32_PKRS. */
  pkrs: number | bigint;
  /** MAXPHYADDR, 32..52. */
  maxPhyAddr: number;
}

/** What a register state means for translation; never changed once built. */
export interface X64MmuConfig {
  /** {@link MODE_DISABLED}, {@link MODE_LONG} or {@link MODE_LEGACY}. */
  readonly mode: number;
  /** Level of the root table: 3 (PML4) or 4 (PML5, CR4.LA57). */
  readonly top: number;
  /** Arithmetic shift of the VA's high word that leaves 0 or -1 for a canonical VA (15 for 48 bits, 24 for 57). */
  readonly canonShift: number;
  /** 4 KiB frame of the root table (CR3 bits M-1:12). */
  readonly rootFrame: number;
  /** The PCID (CR3[11:0] when CR4.PCIDE = 1, else 0): the TLB tag. */
  readonly asid: number;
  /** CR4.PCIDE. */
  readonly pcide: boolean;
  /** CR4.PGE: G = 1 translations are global. */
  readonly pge: boolean;
  /** Reserved bits of an entry's high word: bits 51:M, and XD while EFER.NXE = 0. */
  readonly rsvdHi: number;
  /** The permission tables of CR0.WP, SMEP, SMAP, NXE and the keys. */
  readonly rights: X64Rights;
}

/** Decodes a register state (see the module). */
export function decodeX64Config(r: X64RawRegisters): X64MmuConfig {
  const cr0 = lo32(r.cr0);
  const cr4 = lo32(r.cr4);
  const efer = lo32(r.efer);
  const pg = (cr0 & X64Cr0.PG) !== 0;
  const pae = (cr4 & X64Cr4.PAE) !== 0;
  const ia32e = (efer & (X64Efer.LMA | X64Efer.LME)) !== 0;
  const la57 = (cr4 & X64Cr4.LA57) !== 0;
  const m = r.maxPhyAddr;
  const hiMask = m >= 52 ? ADDR_HI : (1 << (m - 32)) - 1;
  const nxe = (efer & X64Efer.NXE) !== 0;
  const pcide = (cr4 & X64Cr4.PCIDE) !== 0;
  const rights = buildX64Rights(
    (cr0 & X64Cr0.WP) !== 0,
    {
      smep: (cr4 & X64Cr4.SMEP) !== 0,
      smap: (cr4 & X64Cr4.SMAP) !== 0,
      pke: (cr4 & X64Cr4.PKE) !== 0,
      pks: (cr4 & X64Cr4.PKS) !== 0,
    },
    nxe,
    lo32(r.pkru),
    lo32(r.pkrs),
  );
  return Object.freeze({
    mode: !pg ? MODE_DISABLED : pae && ia32e ? MODE_LONG : MODE_LEGACY,
    top: la57 ? 4 : 3,
    canonShift: la57 ? 24 : 15,
    rootFrame: (lo32(r.cr3) >>> 12) + (hi32(r.cr3) & hiMask) * TWO20,
    asid: pcide ? lo32(r.cr3) & 0xfff : 0,
    pcide,
    pge: (cr4 & X64Cr4.PGE) !== 0,
    rsvdHi: ((ADDR_HI & ~hiMask) | (nxe ? 0 : XD_HI)) >>> 0,
    rights,
  });
}

/** Whether VA bits 63:47 (63:56 with LA57) of the high word `hi` are all equal. */
export function isCanonicalHi(cfg: X64MmuConfig, hi: number): boolean {
  const t = (hi | 0) >> cfg.canonShift;
  return t === 0 || t === -1;
}
