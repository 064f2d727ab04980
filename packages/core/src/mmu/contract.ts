/**
 * The contract every emulator MMU keeps (`X64Mmu`, `RiscvMmu`, `A64Mmu`,
 * `LA64Mmu`, `ArmV7Mmu`), so a tool can drive any of them with one piece of code: the
 * same names with the same meaning on every architecture. The conformance
 * suite checks each MMU against it.
 *
 * @module
 */

import type { AddrLike } from '@page-table/memory-addr';
import type { MappingFlags } from '../flags.js';
import type { Access, DebugTranslation, MmuStats, TranslateResult } from '../mmu.js';

/**
 * An architecture's fault in words and fields: what a debugger or `ptm
 * translate --access` shows. Built by each arch's fault encoder.
 */
export interface MmuFaultReport {
  /** The exception's name: `#PF`, `load page fault`, `Data Abort`, `PME`, `TLBR`, … */
  readonly name: string;
  /** The whole fault on one line, as the arch's manual would write it. */
  readonly summary: string;
  /** Decoded fields for people, each a label and its text. */
  readonly detail: ReadonlyArray<readonly [string, string]>;
  /** The fault's fields, JSON-ready (numbers, booleans, hex strings). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * What a tool needs to know about an arch's MMU beyond its methods: the
 * manual's name of each table level, and of each privilege.
 */
export interface MmuInfo {
  /** The arch's name (`x86_64`, `riscv`, `aarch64`, `loongarch64`). */
  readonly arch: string;
  /** The manual's name of the table at each level from the leaves (index 0 = the 4 KiB-page table). */
  readonly tables: readonly string[];
  /** The privilege numbers the MMU takes and their names (`CPL 3`, `S-mode`, `EL0`, `PLV0`, …). */
  readonly privileges: Readonly<Record<number, string>>;
  /** The privilege number of user mode. */
  readonly userPrivilege: number;
}

/**
 * An emulator MMU: an access-checked translation of guest VAs through the
 * tables in guest RAM, with the architecture's exact fault as a value.
 *
 * - A number VA is a 64-bit two's-complement integer on every MMU: a negative
 *   number is the sign-extended VA (`translatePa(-0x1000, …)` is VA
 *   0xffff_ffff_ffff_f000). In a 32-bit translation regime (x86 32-bit and
 *   PAE paging, RV32 Sv32, ARMv7) the VA is 32 bits, zero- or sign-extended
 *   ({@link isVa32}), so there `-0x1000` is VA 0xffff_f000; any other value
 *   faults as the arch faults for an address outside its space.
 * - An unknown access kind throws the same `RangeError` everywhere.
 * - `tlbEntries: 0` means no software TLB on every MMU.
 * - `debugTranslate` has no side effect and returns the one report shape.
 */
export interface EmulatorMmu<F> {
  /** Translation counters (TLB hits, walks, faults) since construction or {@link resetStats}. */
  readonly stats: MmuStats;
  /** Zeroes {@link stats}. */
  resetStats(): void;
  /** Translates `va` for `access`: `{ paddr, size, flags }` or `{ fault }`; makes the A/D writes the CPU makes. */
  translate(va: AddrLike, access: Access): TranslateResult<F>;
  /** The allocation-free path: the PA as a number, or -1 on a fault (then read {@link lastFault}). */
  translatePa(va: number, access: Access): number;
  /** {@link translatePa} with the VA as its high and low 32-bit halves (any 64-bit VA). */
  translatePaHalves(hi: number, lo: number, access: Access): number;
  /** The walk `translate` would make, with no side effect, as the shared report. */
  debugTranslate(va: AddrLike, access?: Access): DebugTranslation<F>;
  /** The last fault of a translation as a record (allocates), or `undefined` before any. */
  readonly lastFault: F | undefined;
  /** Effective permissions of the last successful translation. */
  readonly lastFlags: MappingFlags;
  /** Size of the leaf of the last successful translation. */
  readonly lastSize: number;
  /** Drops every cached translation (e.g. after guest RAM was restored from a snapshot). */
  flushAll(): void;
  /** A fault of this MMU in words and fields (its fault encoder). */
  describeFault(fault: F): MmuFaultReport;
  /** The arch's table and privilege names. */
  readonly info: MmuInfo;
}
