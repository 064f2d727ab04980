/**
 * What a tool shows of an {@link X64Mmu}: the SDM's table and privilege
 * names, the register values a debugger starts from, and each fault in
 * words and fields (`ptm translate --access` prints these).
 *
 * @module
 */

import type { MmuFaultReport, MmuInfo } from '@page-table/core';
import { formatPfErrorCode, isPageFault, type X64Fault, X64PfError } from './fault.js';

/** The x86_64 MMU's names: tables PT … PML5 by level (SDM §4.5), privileges CPL 0..3. */
export const X64_MMU_INFO: MmuInfo = {
  arch: 'x86_64',
  tables: ['PT', 'PD', 'PDPT', 'PML4', 'PML5'],
  privileges: { 0: 'CPL 0', 1: 'CPL 1', 2: 'CPL 2', 3: 'CPL 3' },
  userPrivilege: 3,
};

/**
 * Registers of a 64-bit kernel with paging on, for inspecting a guest's
 * tables: CR0 = PE | ET | WP | PG; CR4 = PAE (`la57` added for 5-level
 * tables); EFER = LME | LMA | NXE; RFLAGS = the reserved bit 1; PKRU = 0.
 */
export const X64_MMU_DEFAULTS = {
  /** CR0 = PE | ET | WP | PG. */
  cr0: 0x8001_0011n,
  /** CR4 = PAE. */
  cr4: 0x20n,
  /** CR4.LA57, added for 5-level tables. */
  la57: 0x1000n,
  /** EFER = LME | LMA | NXE. */
  efer: 0xd00n,
  /** RFLAGS = the reserved bit 1 (AC clear). */
  rflags: 0x2n,
  /** PKRU = 0: every key allows every access. */
  pkru: 0n,
} as const;

const hex = (x: number | bigint) => `0x${x.toString(16)}`;
const bit = (on: boolean) => (on ? 1 : 0);

/** An x86_64 fault in words and fields: #GP(0), or #PF with its error code decoded and CR2. */
export function describeX64Fault(f: X64Fault): MmuFaultReport {
  if (!isPageFault(f)) {
    return {
      name: '#GP',
      summary: '#GP(0) (general protection, vector 13, error code 0): the address is not canonical; CR2 is not written',
      detail: [],
      fields: { name: '#GP', vector: 13, errorCode: 0 },
    };
  }
  const ec = f.errorCode;
  const has = (b: number) => (ec & b) !== 0;
  const bits = {
    P: has(X64PfError.P),
    W: has(X64PfError.W),
    U: has(X64PfError.U),
    RSVD: has(X64PfError.RSVD),
    ID: has(X64PfError.ID),
    PK: has(X64PfError.PK),
  };
  const cr2 = BigInt(f.cr2);
  const text = [
    `P=${bit(bits.P)} (${bits.P ? 'protection' : 'not present'})`,
    `W=${bit(bits.W)} (${bits.W ? 'write' : 'read'})`,
    `U=${bit(bits.U)} (${bits.U ? 'user' : 'supervisor'})`,
    `RSVD=${bit(bits.RSVD)}`,
    `I/D=${bit(bits.ID)}`,
    `PK=${bit(bits.PK)}`,
  ].join(' ');
  return {
    name: '#PF',
    summary: `#PF (page fault, vector 14), error code ${hex(ec)} (${formatPfErrorCode(ec)}), CR2 = ${hex(cr2)}`,
    detail: [['error code', text]],
    fields: { name: '#PF', vector: 14, errorCode: ec, errorBits: bits, cr2: hex(cr2) },
  };
}
