/**
 * The control-register, EFER and RFLAGS bits that decide x86_64 linear-address
 * translation (Intel SDM Vol. 3A §2.5 "Control Registers", §4.1.1 "Paging-Mode
 * Enabling", §4.6 "Access Rights"), as the {@link X64Mmu} reads them.
 *
 * @module
 */

/** CR0 bits the MMU reads (SDM §2.5). Only the low 32 bits of CR0 are defined. */
export const X64Cr0 = {
  /** PE, bit 0: protected mode. */
  PE: 0x1,
  /** WP, bit 16: write protect — supervisor writes honour R/W when set (§4.6). */
  WP: 0x1_0000,
  /** PG, bit 31: paging enabled; clear means linear = physical. */
  PG: 0x8000_0000,
} as const;

/** CR4 bits the MMU reads (SDM §2.5). */
export const X64Cr4 = {
  /** PSE, bit 4: 4 MiB pages in 32-bit paging (ignored by 4/5-level paging). */
  PSE: 0x10,
  /** PAE, bit 5: physical-address extension, required for 4/5-level paging. */
  PAE: 0x20,
  /** PGE, bit 7: global pages (G = 1 translations survive CR3 writes). */
  PGE: 0x80,
  /** LA57, bit 12: 5-level paging (57-bit linear addresses). */
  LA57: 0x1000,
  /** PCIDE, bit 17: process-context identifiers in CR3[11:0]. */
  PCIDE: 0x2_0000,
  /** SMEP, bit 20: no supervisor fetches from user-mode pages. */
  SMEP: 0x10_0000,
  /** SMAP, bit 21: no supervisor data accesses to user-mode pages unless RFLAGS.AC = 1. */
  SMAP: 0x20_0000,
  /** PKE, bit 22: protection keys for user-mode pages (PKRU). */
  PKE: 0x40_0000,
  /** PKS, bit 24: protection keys for supervisor-mode pages (IA32_PKRS). */
  PKS: 0x100_0000,
} as const;

/** IA32_EFER (MSR 0xC000_0080) bits the MMU reads (SDM §2.2.1, §4.1.1). */
export const X64Efer = {
  /** LME, bit 8: long mode enable (with CR0.PG = 1 and CR4.PAE = 1 the CPU is in IA-32e mode). */
  LME: 0x100,
  /** LMA, bit 10: long mode active (set by the CPU from LME and CR0.PG). */
  LMA: 0x400,
  /** NXE, bit 11: execute-disable (XD, bit 63 of an entry) enabled; when clear, bit 63 is reserved. */
  NXE: 0x800,
} as const;

/** RFLAGS bits the MMU reads. */
export const X64Rflags = {
  /** AC, bit 18: alignment check / access control — with CR4.SMAP, lets explicit supervisor accesses reach user pages. */
  AC: 0x4_0000,
} as const;

/** CR3 fields (SDM §4.5, Table 4-12/4-13). */
export const X64Cr3 = {
  /** Bits 11:0: the PCID when CR4.PCIDE = 1. */
  PCID_MASK: 0xfff,
  /** Bit 63 of the value written by MOV to CR3 (PCIDE = 1): do not invalidate the new PCID's entries; never stored. */
  NO_FLUSH: 0x8000_0000_0000_0000n,
} as const;

/**
 * Register values after RESET (SDM Vol. 3A "Processor State After Reset",
 * §9.1.1 / Table 9-1 in older editions): CR0 =
 * 0x6000_0010 (CD, NW, ET), CR3 = CR4 = EFER = 0, RFLAGS = 0x2, PKRU = 0,
 * IA32_PKRS = 0, CPL 0. Used for every register the MMU is not given.
 */
export const X64_RESET = {
  /** CR0 = 0x6000_0010: CD (bit 30), NW (bit 29) and ET (bit 4) set, PE and PG clear — real mode, paging off. */
  cr0: 0x6000_0010,
  /** CR3 = 0: no root table, PCID 0. */
  cr3: 0,
  /** CR4 = 0: no PAE, PGE, LA57, PCIDE, SMEP, SMAP or protection keys. */
  cr4: 0,
  /** IA32_EFER = 0: long mode off, NXE clear (bit 63 of an entry is reserved). */
  efer: 0,
  /** CPL 0: supervisor-mode accesses. */
  cpl: 0,
  /** RFLAGS = 0x2: only bit 1, which always reads as 1; AC clear. */
  rflags: 0x2,
  /** PKRU = 0: every user-mode protection key allows all accesses. */
  pkru: 0,
  /** IA32_PKRS = 0: every supervisor-mode protection key allows all accesses. */
  pkrs: 0,
} as const;
