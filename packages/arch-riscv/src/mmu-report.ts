/**
 * What a tool shows of a {@link RiscvMmu}: the privileged spec's table and
 * privilege names, and each fault in words and fields.
 *
 * @module
 */

import type { MmuFaultReport, MmuInfo } from '@page-table/core';
import { causeName, isPageFault, type RiscvFault } from './fault.js';

/** The RISC-V MMU's names: tables L0 … L4 by level (the spec's "level i"), privileges U / S / M. */
export const RISCV_MMU_INFO: MmuInfo = {
  arch: 'riscv',
  tables: ['L0', 'L1', 'L2', 'L3', 'L4'],
  privileges: { 0: 'U-mode', 1: 'S-mode', 3: 'M-mode' },
  userPrivilege: 0,
};

/** A RISC-V fault in words and fields: the exception's name and code, and stval. */
export function describeRiscvFault(f: RiscvFault): MmuFaultReport {
  const tval = BigInt(f.tval);
  const name = causeName(f.cause);
  return {
    name,
    summary: `${name} (exception code ${f.cause}), tval = 0x${tval.toString(16)}`,
    detail: [],
    fields: {
      name,
      cause: f.cause,
      type: isPageFault(f.cause) ? 'page-fault' : 'access-fault',
      tval: `0x${tval.toString(16)}`,
    },
  };
}
