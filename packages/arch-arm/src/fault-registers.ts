/**
 * Where an {@link ArmV7Mmu} keeps its aborts: the fault status and address
 * registers the CPU writes (DFSR/DFAR for a Data Abort, IFSR/IFAR for a
 * Prefetch Abort; Arm ARM B3.13 "Exception reporting in a VMSA implementation") and the last fault
 * packed in numbers, so recording one allocates nothing.
 *
 * @module
 */

import { Access } from '@page-table/core';
import { ArmFaultCode, type ArmV7Fault, armV7Fault, encodeFsr } from './fault.js';

/** The fault registers and the last fault of an MMU. */
export class ArmFaultRegisters {
  /** DFSR: the status of the last Data Abort (0 before any). */
  dfsr = 0;
  /** DFAR: the VA of the last Data Abort. */
  dfar = 0;
  /** IFSR: the status of the last Prefetch Abort. */
  ifsr = 0;
  /** IFAR: the VA of the last Prefetch Abort. */
  ifar = 0;
  // The last fault: code | level << 4 | long << 6 | access << 7 | domain << 9 (0 before any), and its VA.
  private info = 0;
  private hi = 0;
  private lo = 0;

  /** Records a fault of `code` at `level` for `access` at VA (hi, lo); a `va-range` fault writes no register. */
  record(code: number, level: number, long: boolean, domain: number, hi: number, lo: number, access: Access): void {
    this.info = code | (level << 4) | (long ? 64 : 0) | (access << 7) | (domain << 9);
    this.hi = hi;
    this.lo = lo;
    if (code === ArmFaultCode.VaRange) return;
    const fsr = encodeFsr(code, level, long, access, domain);
    if (access === Access.Execute) {
      this.ifsr = fsr;
      this.ifar = lo;
    } else {
      this.dfsr = fsr;
      this.dfar = lo;
    }
  }

  /** The last fault as a record (allocates), or `undefined` before any. */
  last(): ArmV7Fault | undefined {
    const i = this.info;
    if (i === 0) return undefined;
    const access = ((i >>> 7) & 3) as Access;
    return armV7Fault(i & 15, (i >>> 4) & 3, (i & 64) !== 0, access, (i >>> 9) & 15, this.hi, this.lo);
  }
}
