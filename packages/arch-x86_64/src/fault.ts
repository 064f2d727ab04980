/**
 * The faults an x86_64 linear-address translation raises: #PF (vector 14)
 * with its error code and CR2, and #GP(0) for a non-canonical address
 * (Intel SDM Vol. 3A §4.7 "Page-Fault Exceptions", §6.15 "Interrupt 14",
 * §6.15 "Interrupt 13"), with encoders and decoders of the #PF error code.
 *
 * @module
 */

import type { VirtAddr } from '@page-table/memory-addr';

/** Vector of #GP, the general-protection exception (SDM §6.15 "Interrupt 13"). */
export const X64_VECTOR_GP = 13;
/** Vector of #PF, the page-fault exception (SDM §6.15 "Interrupt 14"). */
export const X64_VECTOR_PF = 14;

/**
 * Bits of the #PF error code (SDM Vol. 3A §4.7, Figure 4-12). The MMU sets
 * P, W, U, RSVD, I/D and PK; SS (shadow stack), HLAT and SGX are named for
 * decoding only (no CET, HLAT or SGX is modelled).
 */
export const X64PfError = {
  /** Bit 0: 0 = no translation (a P=0 entry); 1 = a protection, protection-key or reserved-bit violation. */
  P: 0x1,
  /** Bit 1 (W/R): the access was a write. */
  W: 0x2,
  /** Bit 2 (U/S): the access was a user-mode access (CPL = 3); it describes the access, not the page. */
  U: 0x4,
  /** Bit 3: a reserved bit was set in a paging-structure entry (the SDM pairs it with P = 1). */
  RSVD: 0x8,
  /** Bit 4 (I/D): the access was an instruction fetch; only reported when EFER.NXE = 1 or CR4.SMEP = 1. */
  ID: 0x10,
  /** Bit 5: a protection-key violation (PKRU or PKRS forbade the data access). */
  PK: 0x20,
  /** Bit 6: a shadow-stack access (CET; never set by this MMU). */
  SS: 0x40,
  /** Bit 7: HLAT paging (never set by this MMU). */
  HLAT: 0x80,
  /** Bit 15: an SGX access-control violation (never set by this MMU). */
  SGX: 0x8000,
} as const;

/** #PF: the fault record of a translation that failed on the paging structures (SDM §6.15 "Interrupt 14"). */
export interface X64PageFault {
  /** Always 14. */
  readonly vector: 14;
  /** The error code pushed on the stack ({@link X64PfError} bits). */
  readonly errorCode: number;
  /** What the CPU loads into CR2: the full 64-bit faulting linear address. */
  readonly cr2: VirtAddr;
}

/** #GP(0): raised instead of any walk when the linear address is not canonical (SDM §3.3.7.1, §6.15). CR2 is not written. */
export interface X64GeneralProtection {
  /** Always 13. */
  readonly vector: 13;
  /** Always 0. */
  readonly errorCode: 0;
}

/** The fault record of an {@link X64Mmu} translation: a #PF or a #GP(0). */
export type X64Fault = X64PageFault | X64GeneralProtection;

/** The #PF error code as named fields (SDM §4.7). */
export interface X64PfErrorFields {
  /** P: protection (true) or not-present (false). */
  present: boolean;
  /** W/R: a write. */
  write: boolean;
  /** U/S: a user-mode access. */
  user: boolean;
  /** RSVD: reserved bit set in an entry. */
  rsvd: boolean;
  /** I/D: an instruction fetch. */
  fetch: boolean;
  /** PK: protection-key violation. */
  pk: boolean;
  /** SS: shadow-stack access. */
  ss: boolean;
  /** HLAT: HLAT paging. */
  hlat: boolean;
  /** SGX: SGX violation. */
  sgx: boolean;
}

/** Builds a #PF error code from named fields (missing fields are false). */
export function encodePfErrorCode(fields: Partial<X64PfErrorFields>): number {
  return (
    (fields.present ? X64PfError.P : 0) |
    (fields.write ? X64PfError.W : 0) |
    (fields.user ? X64PfError.U : 0) |
    (fields.rsvd ? X64PfError.RSVD : 0) |
    (fields.fetch ? X64PfError.ID : 0) |
    (fields.pk ? X64PfError.PK : 0) |
    (fields.ss ? X64PfError.SS : 0) |
    (fields.hlat ? X64PfError.HLAT : 0) |
    (fields.sgx ? X64PfError.SGX : 0)
  );
}

/** Splits a #PF error code into named fields. */
export function decodePfErrorCode(errorCode: number): X64PfErrorFields {
  return {
    present: (errorCode & X64PfError.P) !== 0,
    write: (errorCode & X64PfError.W) !== 0,
    user: (errorCode & X64PfError.U) !== 0,
    rsvd: (errorCode & X64PfError.RSVD) !== 0,
    fetch: (errorCode & X64PfError.ID) !== 0,
    pk: (errorCode & X64PfError.PK) !== 0,
    ss: (errorCode & X64PfError.SS) !== 0,
    hlat: (errorCode & X64PfError.HLAT) !== 0,
    sgx: (errorCode & X64PfError.SGX) !== 0,
  };
}

const NAMES: readonly (readonly [number, string])[] = [
  [X64PfError.P, 'P'],
  [X64PfError.W, 'W'],
  [X64PfError.U, 'U'],
  [X64PfError.RSVD, 'RSVD'],
  [X64PfError.ID, 'I/D'],
  [X64PfError.PK, 'PK'],
  [X64PfError.SS, 'SS'],
  [X64PfError.HLAT, 'HLAT'],
  [X64PfError.SGX, 'SGX'],
];

/** The set bits of a #PF error code by name, e.g. `P|W|U`; `-` for 0 (a supervisor read of a not-present page). */
export function formatPfErrorCode(errorCode: number): string {
  const parts: string[] = [];
  for (const [bit, name] of NAMES) if (errorCode & bit) parts.push(name);
  return parts.length ? parts.join('|') : '-';
}

/** Whether a fault record is a #PF (and so carries CR2). */
export function isPageFault(fault: X64Fault): fault is X64PageFault {
  return fault.vector === X64_VECTOR_PF;
}

/** A fault as a log line: `#PF(0x7 P|W|U) cr2=0x6000` or `#GP(0)`. */
export function formatX64Fault(fault: X64Fault): string {
  if (!isPageFault(fault)) return '#GP(0)';
  return `#PF(0x${fault.errorCode.toString(16)} ${formatPfErrorCode(fault.errorCode)}) cr2=0x${fault.cr2.toString(16)}`;
}

/**
 * Why a translation faulted, as the MMU's `faultReason` field and the debug
 * walk report it (the architecture itself only reports the error code):
 * - `non-canonical`: #GP(0), the address is not canonical (no walk);
 * - `not-present`: an entry with P = 0;
 * - `reserved-bit`: an entry with a reserved bit set (SDM §4.5 tables; RSVD);
 * - `unbacked-table`: a paging structure lies outside the physical memory the
 *   MMU reads; reported as a not-present #PF (see the README);
 * - `protection`: the access rights of §4.6 (U/S, R/W, XD, SMEP, SMAP);
 * - `protection-key`: PKRU or IA32_PKRS forbids the data access (PK).
 */
export type X64FaultReason =
  | 'non-canonical'
  | 'not-present'
  | 'reserved-bit'
  | 'unbacked-table'
  | 'protection'
  | 'protection-key';
