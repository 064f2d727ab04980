/**
 * The faults an RV64 address translation raises, as `scause` / `mcause`
 * exception codes with the `stval` value (RISC-V privileged spec, "Machine
 * Cause Register (mcause)" table of exception codes, and "Virtual Address
 * Translation Process" steps 2, 3–7 and the final PMP check).
 *
 * @module
 */

import { Access } from '@page-table/core';
import type { VirtAddr } from '@page-table/memory-addr';

/** The exception codes translation raises (`scause`/`mcause` with the Interrupt bit clear). */
export const RiscvCause = {
  /** Instruction access fault: PMP/PMA denied a page-table read, an A/D write, or the fetch's PA. */
  InstructionAccessFault: 1,
  /** Load access fault: PMP/PMA denied a page-table read, an A/D write, or the load's PA. */
  LoadAccessFault: 5,
  /** Store/AMO access fault: PMP/PMA denied a page-table read, an A/D write, or the store's PA. */
  StoreAccessFault: 7,
  /** Instruction page fault: the walk failed or the leaf does not allow the fetch. */
  InstructionPageFault: 12,
  /** Load page fault: the walk failed or the leaf does not allow the load. */
  LoadPageFault: 13,
  /** Store/AMO page fault: the walk failed or the leaf does not allow the store (AMOs are stores). */
  StorePageFault: 15,
} as const;

/** One of the {@link RiscvCause} codes. */
export type RiscvCause = (typeof RiscvCause)[keyof typeof RiscvCause];

/**
 * A translation fault as the hart takes it: the exception code written to
 * `scause` (or `mcause`) and the value written to `stval` (`mtval`) — the
 * faulting virtual address, as given to `translate`.
 */
export interface RiscvFault {
  /** Exception code: 12/13/15 page fault, 1/5/7 access fault (fetch/load/store). */
  readonly cause: RiscvCause;
  /** The faulting VA (`stval`): a number when safe, else a bigint. */
  readonly tval: VirtAddr;
}

const PAGE_FAULT: readonly RiscvCause[] = [
  RiscvCause.LoadPageFault,
  RiscvCause.StorePageFault,
  RiscvCause.InstructionPageFault,
];
const ACCESS_FAULT: readonly RiscvCause[] = [
  RiscvCause.LoadAccessFault,
  RiscvCause.StoreAccessFault,
  RiscvCause.InstructionAccessFault,
];

/** The page-fault code for an access: 13 load, 15 store/AMO, 12 fetch. */
export function pageFaultCause(access: Access): RiscvCause {
  return PAGE_FAULT[access];
}

/** The access-fault code for an access: 5 load, 7 store/AMO, 1 fetch. */
export function accessFaultCause(access: Access): RiscvCause {
  return ACCESS_FAULT[access];
}

/** Whether `cause` is one of the three page-fault codes (12, 13, 15). */
export function isPageFault(cause: number): boolean {
  return cause === 12 || cause === 13 || cause === 15;
}

/** Whether `cause` is one of the three access-fault codes (1, 5, 7). */
export function isAccessFault(cause: number): boolean {
  return cause === 1 || cause === 5 || cause === 7;
}

/** The access that raised a translation fault code (1/12 fetch, 5/13 load, 7/15 store), or `undefined` for any other code. */
export function faultAccess(cause: number): Access | undefined {
  switch (cause) {
    case 1:
    case 12:
      return Access.Execute;
    case 5:
    case 13:
      return Access.Read;
    case 7:
    case 15:
      return Access.Write;
    default:
      return undefined;
  }
}

const NAMES: Readonly<Record<number, string>> = {
  1: 'instruction access fault',
  5: 'load access fault',
  7: 'store/AMO access fault',
  12: 'instruction page fault',
  13: 'load page fault',
  15: 'store/AMO page fault',
};

/** The privileged spec's name of a translation fault code, e.g. `load page fault`; `exception N` for others. */
export function causeName(cause: number): string {
  return NAMES[cause] ?? `exception ${cause}`;
}

/**
 * The 64-bit `scause`/`mcause` value of a fault: the Interrupt bit (63)
 * clear and the exception code in the low bits. Always a small number.
 */
export function encodeCause(fault: RiscvFault): number {
  return fault.cause;
}

/** A `scause`/`mcause` value split into its Interrupt bit and exception code. */
export interface DecodedCause {
  /** Bit 63: an interrupt rather than an exception. */
  readonly interrupt: boolean;
  /** The exception (or interrupt) code, bits 62..0. */
  readonly code: number;
}

/** Splits a `scause`/`mcause` value (number or bigint) into the Interrupt bit and the code. */
export function decodeCause(value: number | bigint): DecodedCause {
  const v = BigInt(value) & 0xffff_ffff_ffff_ffffn;
  return { interrupt: v >> 63n === 1n, code: Number(v & 0x7fff_ffff_ffff_ffffn) };
}

/** Formats a fault for logs, e.g. `load page fault (cause 13), stval 0x5123`. */
export function formatFault(fault: RiscvFault): string {
  return `${causeName(fault.cause)} (cause ${fault.cause}), stval 0x${fault.tval.toString(16)}`;
}
