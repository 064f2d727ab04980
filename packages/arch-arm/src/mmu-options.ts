/**
 * The options an {@link ArmV7Mmu} starts from and the checks of register
 * values written to it: raw CP15 values, named as in the Arm ARM (B4.1).
 *
 * @module
 */

import { registerHalves } from '@page-table/core';
import { ArmPl, type ArmV7Registers } from './mmu-config.js';

/** The CPU state an {@link ArmV7Mmu} starts from: raw CP15 register values named as in the Arm ARM. */
export interface ArmV7MmuOptions {
  /**
   * SCTLR: M (bit 0), TRE (bit 28), AFE (bit 29) are used. Default 0 (MMU off). Every 32-bit register
   * option and setter takes an unsigned or a signed 32-bit integer (`TTBCR_EAE | 2` is negative).
   */
  sctlr?: number;
  /** TTBR0: 32-bit (short format; also as a signed 32-bit integer) or 64-bit (LPAE: BADDR [39:x], ASID [55:48]). Default 0. */
  ttbr0?: number | bigint;
  /** TTBR1, as TTBR0. Default 0. */
  ttbr1?: number | bigint;
  /** TTBCR: N [2:0], PD0, PD1; or EAE (bit 31) with T0SZ, EPD0, T1SZ, A1, EPD1. Default 0. */
  ttbcr?: number;
  /** DACR: 16 two-bit domain fields. Default 0x5555_5555 (every domain Client). */
  dacr?: number;
  /** CONTEXTIDR: ASID [7:0] of the short format. Default 0. */
  contextidr?: number;
  /** PRRR (TEX remap, SCTLR.TRE = 1). Default 0xff0a_81a8, the value Linux programs. */
  prrr?: number;
  /** NMRR (TEX remap). Default 0x40e0_40e0. */
  nmrr?: number;
  /** MAIR0 (LPAE memory types of AttrIndx 0..3). Default `LPAE_MAIR0`. */
  mair0?: number;
  /** MAIR1 (AttrIndx 4..7). Default 0. */
  mair1?: number;
  /** Current privilege level: 0 (PL0) or 1 (PL1). Default 1. */
  pl?: ArmPl;
  /** The CPU implements PXN (always with LPAE). Default true; false makes first-level type `11` a translation fault. */
  pxn?: boolean;
  /** Software-TLB entries, a power of two, or 0 for none. Default 256. */
  tlbEntries?: number;
}

/** The 32-bit registers an {@link ArmV7Mmu} setter writes through one path. */
export type Register32 = 'sctlr' | 'ttbcr' | 'dacr' | 'contextidr' | 'prrr' | 'nmrr' | 'mair0' | 'mair1';

/**
 * A 32-bit register value: its bit pattern as an unsigned or a signed 32-bit
 * integer (values built with `|`, e.g. `TTBCR_EAE | 2`, are negative numbers
 * in JavaScript); `RangeError` naming `what` otherwise.
 */
export function register32(value: number | undefined, what: string, dflt = 0): number {
  const v = value ?? dflt;
  if (!Number.isInteger(v) || v < -0x8000_0000 || v > 0xffff_ffff) {
    throw new RangeError(`ArmV7Mmu: ${what} ${String(v)} is not a 32-bit register value`);
  }
  return v >>> 0;
}

/** TTBR0/TTBR1 as halves: a 64-bit register (LPAE) whose 32-bit short-format values may also come as signed 32-bit integers. */
export function ttbrHalves(value: number | bigint, what: string): readonly [number, number] {
  if (typeof value === 'number' && Number.isInteger(value) && value < 0 && value >= -0x8000_0000)
    return [0, value >>> 0];
  return registerHalves(value, 'ArmV7Mmu', what);
}

/** Throws `RangeError` unless `pl` is 0 (PL0) or 1 (PL1). */
export function checkPl(pl: unknown): asserts pl is ArmPl {
  if (pl !== 0 && pl !== 1) throw new RangeError(`ArmV7Mmu: privilege level ${String(pl)} is not 0 (PL0) or 1 (PL1)`);
}

/** The register state `options` give (defaults filled in, every value checked). */
export function initialRegisters(options: ArmV7MmuOptions): ArmV7Registers {
  const [t0h, t0l] = ttbrHalves(options.ttbr0 ?? 0, 'ttbr0');
  const [t1h, t1l] = ttbrHalves(options.ttbr1 ?? 0, 'ttbr1');
  const pl = options.pl ?? ArmPl.Privileged;
  checkPl(pl);
  return {
    sctlr: register32(options.sctlr, 'sctlr'),
    ttbr0Lo: t0l,
    ttbr0Hi: t0h,
    ttbr1Lo: t1l,
    ttbr1Hi: t1h,
    ttbcr: register32(options.ttbcr, 'ttbcr'),
    dacr: register32(options.dacr, 'dacr', 0x5555_5555),
    contextidr: register32(options.contextidr, 'contextidr'),
    prrr: register32(options.prrr, 'prrr', 0xff0a_81a8),
    nmrr: register32(options.nmrr, 'nmrr', 0x40e0_40e0),
    mair0: register32(options.mair0, 'mair0', 0x0044_ff04),
    mair1: register32(options.mair1, 'mair1'),
    pl,
  };
}
