/**
 * The ARMv7 MMU's debug walk: the walk `translate` would do, in core's
 * debug-report shape plus the format, the privilege level, the TTBR and the
 * domain. Side-effect free: guest RAM, the TLB, the fault registers and the
 * counters are untouched (ARMv7 walks never write descriptors anyway).
 *
 * @module
 */

import {
  type Access,
  checkAccess,
  type DebugTranslation,
  isVa32,
  MappingFlags,
  vaHalves,
  type WalkStep,
} from '@page-table/core';
import { type AddrLike, fromHalves, type PhysAddr, type VirtAddr } from '@page-table/memory-addr';
import { ArmFaultCode, type ArmV7Fault, armV7Fault } from './fault.js';
import type { ArmPl, ArmV7Config } from './mmu-config.js';
import { effectiveFlags, permSize } from './mmu-rights.js';
import { type ArmWalkState, walkLpae, walkShort } from './mmu-walk.js';

/** {@link ArmV7Mmu.debugTranslate}'s report: the core shape plus the format, privilege, TTBR and domain. */
export interface ArmV7DebugTranslation extends DebugTranslation<ArmV7Fault> {
  /** The translation in force: `off` (SCTLR.M = 0), `short` descriptors or `long` (LPAE). */
  readonly format: 'off' | 'short' | 'long';
  /** The privilege level of the access. */
  readonly pl: ArmPl;
  /** The TTBR the walk started from, when it started one. */
  readonly ttbr?: 0 | 1;
  /** Short descriptors: the domain of the leaf, when the walk read one. */
  readonly domain?: number;
}

const RWX = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE;

/** The debug walk of `access` at `va` under `cfg` (see the module); `s` is scratch. */
export function armV7DebugReport(
  s: ArmWalkState,
  cfg: ArmV7Config,
  va: AddrLike,
  access: Access,
): ArmV7DebugTranslation {
  checkAccess(access);
  const [hi, lo] = vaHalves(va, 'ArmV7Mmu');
  const vaddr = fromHalves(hi, lo) as VirtAddr;
  const format = cfg.mmuOn ? (cfg.lpae ? 'long' : 'short') : 'off';
  const steps: WalkStep[] = [];
  const base = { va: vaddr, access, steps, updates: [], format, pl: cfg.pl } as const;
  if (!isVa32(hi, lo)) {
    return {
      ...base,
      result: { fault: armV7Fault(ArmFaultCode.VaRange, 0, cfg.lpae, access, 0, hi, lo) },
      stopLevel: -1,
      stopReason: 'va-range',
      stop: 'VA is not a 32-bit address (nor its sign extension)',
    };
  }
  if (!cfg.mmuOn) return { ...base, result: { paddr: lo as PhysAddr, size: 0x1000, flags: RWX }, permissions: RWX };
  const r = cfg.lpae ? walkLpae(s, cfg, lo, access, steps) : walkShort(s, cfg, lo, access, steps);
  const ttbr = s.ttbr === 0 || s.ttbr === 1 ? { ttbr: s.ttbr as 0 | 1 } : {};
  const domain = !cfg.lpae && s.leaf ? { domain: s.domain } : {};
  const leaf = s.leaf ? { permissions: effectiveFlags(cfg.dacr, s.perm, cfg.pl), leafSize: permSize(s.perm) } : {};
  // Levels from the leaves: short first-level 1, second-level 0; long level L is 3 - L.
  const fromLeaves = cfg.lpae ? 3 - s.level : 2 - s.level;
  if (r < 0) {
    const fault = armV7Fault(s.code, s.level, cfg.lpae, access, s.domain, hi, lo);
    return {
      ...base,
      ...ttbr,
      ...domain,
      ...leaf,
      result: { fault },
      stopLevel: steps.length === 0 ? -1 : fromLeaves,
      stopReason: fault.kind,
      stop: `${s.why} (level ${s.level}, entry 0x${s.entryPa.toString(16)})`,
    };
  }
  const result = {
    paddr: (s.frame * 4096 + (lo & 0xfff)) as PhysAddr,
    size: permSize(s.perm),
    flags: effectiveFlags(cfg.dacr, s.perm, cfg.pl),
  };
  return { ...base, ...ttbr, ...domain, ...leaf, result };
}
