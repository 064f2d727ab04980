/**
 * `LA64Mmu.debugTranslate`'s report: the same translation as the MMU's,
 * made with no side effect (RAM, TLB and counters untouched), with the
 * refill walk's loads, the TLB entry used or the one a refill would write,
 * and where and why it stopped.
 *
 * @module
 */

import { type Access, type DebugTranslation, halvesValue, type MappingFlags, type WalkStep } from '@page-table/core';
import type { PhysAddr, VirtAddr } from '@page-table/memory-addr';
import { LA64AdeSubcode, LA64Ecode, type LA64Fault, la64Fault } from './fault.js';
import { dmwIndex, type LA64MmuConfig } from './mmu-config.js';
import { P_V, permFlags, rightsCode, rightsReason } from './mmu-rights.js';
import type { LA64RefillWalk } from './mmu-walk.js';
import type { LA64TlbEntryInfo } from './tlb.js';
import { pow2 } from './tlb.js';
import type { LA64TlbInstructions } from './tlb-invalidate.js';

const TWO32 = 4294967296;

/** How a debug translation was (or would be) made. */
export type LA64TranslationPath = 'direct' | 'dmw' | 'address-error' | 'tlb' | 'walk' | 'refill';

/**
 * `debugTranslate`'s report. `steps` are the loads of the refill walk over
 * the current tables (LDDIR per directory level, then LDPTE's even and odd
 * PTE), made whenever the VA goes through the TLB — also on a TLB hit,
 * where comparing them with `entry` shows a stale entry.
 */
export interface LA64DebugTranslation extends DebugTranslation<LA64Fault> {
  /** `direct` (CRMD.DA), `dmw` (a window), `address-error` (ADE), `tlb` (an entry already in the TLB), `walk` (a refill by the MMU would fill it), `refill` (TLB miss with `ptw: false`). */
  readonly path: LA64TranslationPath;
  /** The window that matched, for `path: 'dmw'`. */
  readonly dmw?: number;
  /** The TLB entry that translates (for `walk`: the one the refill would write, `index` -1). */
  readonly entry?: LA64TlbEntryInfo;
  /** Permissions of the page the VA falls in (the matched half), whatever the access's outcome. */
  readonly perms?: MappingFlags;
}

/** What the report reads of the MMU. */
export interface LA64DebugSource {
  /** The current configuration. */
  readonly cfg: LA64MmuConfig;
  /** The refill walk (its walker records the steps). */
  readonly walk: LA64RefillWalk;
  /** The TLB instructions (and through them the TLB). */
  readonly ops: LA64TlbInstructions;
  /** Whether the MMU refills on a miss. */
  readonly ptw: boolean;
  /** PALEN. */
  readonly palen: number;
  /** VALEN. */
  readonly valen: number;
}

/** The report for VA (hi, lo) and `access` (already checked). */
export function la64DebugReport(m: LA64DebugSource, hi: number, lo: number, access: Access): LA64DebugTranslation {
  const { cfg, walk, ops } = m;
  const v = halvesValue(hi, lo) as VirtAddr;
  const linear = (hi & (2 ** (m.palen - 32) - 1)) * TWO32 + lo;
  const none = { va: v, access, updates: [] as const };
  const dmw = cfg.direct || !cfg.dmwOn ? -1 : dmwIndex(cfg, hi, access);
  if (cfg.direct || dmw >= 0) {
    const flags = cfg.direct ? cfg.directFlags[access] : cfg.dmwFlags[dmw];
    const size = pow2(m.palen);
    const result = { paddr: linear as PhysAddr, size, flags };
    const where = cfg.direct ? { path: 'direct' as const } : { path: 'dmw' as const, dmw };
    return { ...none, steps: [], ...where, perms: flags, permissions: flags, leafSize: size, result };
  }
  const top = (hi | 0) >> (m.valen - 33);
  if (top !== 0 && top !== -1) {
    const fault = la64Fault(LA64Ecode.ADE, access === 2 ? LA64AdeSubcode.ADEF : LA64AdeSubcode.ADEM, v);
    return {
      ...none,
      steps: [],
      path: 'address-error',
      result: { fault },
      stopLevel: -1,
      stopReason: 'address-error',
      stop: `${fault.name}: bits 63..${m.valen - 1} of the VA are not all equal and no direct-mapped window matches`,
    };
  }
  // The refill walk over the current tables, recorded.
  const steps: WalkStep[] = [];
  const layout = cfg.layout;
  let walkNote: string;
  let walked = false;
  if (typeof layout === 'string') {
    walkNote = `no walk: unsupported layout (${layout})`;
  } else {
    walk.walker.reset(steps);
    walk.walker.badvHi = hi;
    walk.walker.badvLo = lo;
    try {
      walk.run(cfg, layout);
    } finally {
      walk.walker.steps = undefined;
    }
    walked = true;
    walkNote = walk.describe(layout, steps);
  }
  const tlb = ops.tlb;
  const vhi = ops.vhi(hi);
  const vlo = lo >>> 12;
  let index = tlb.find(vhi, vlo, cfg.asid);
  let path: LA64TranslationPath = 'tlb';
  let stop: string;
  if (index >= 0) {
    stop = `TLB entry ${index} matches (the tables now: ${walkNote})`;
  } else if (!m.ptw || !walked) {
    const fault = la64Fault(LA64Ecode.PIL + access, 0, v, true);
    const why = m.ptw
      ? walkNote
      : `TLB miss and ptw is off: the guest's refill handler runs (the walk a Linux handler makes: ${walkNote})`;
    const at = steps.at(-1)?.level ?? -1;
    return { ...none, steps, path: 'refill', result: { fault }, stopLevel: at, stopReason: 'refill', stop: why };
  } else {
    // What the refill would write, in the TLB's scratch slot (not architecturally visible).
    index = tlb.scratch;
    walk.fill(tlb, index, vhi, vlo, cfg.asid);
    path = 'walk';
    stop = `TLB miss: the refill loads ${walkNote}`;
  }
  tlb.page(index, hi >>> 16, hi & 0xffff, vlo);
  const perm = tlb.pagePerm;
  const entry = ops.entryInfo(index);
  const perms = permFlags(cfg.rights, perm);
  // A V = 0 half is no page: it has no permissions and no size.
  const page = (perm & P_V) !== 0 ? { permissions: perms, leafSize: pow2((perm >>> 9) & 63) } : {};
  const code = rightsCode(cfg.rights, perm, access);
  if (code !== 0) {
    const fault = la64Fault(code, 0, v);
    const at = { stopLevel: steps.at(-1)?.level ?? -1, stopReason: fault.name };
    const why = `${stop}; ${fault.name}: ${rightsReason(cfg.rights, code, perm)}`;
    return { ...none, steps, path, entry, perms, ...page, result: { fault }, ...at, stop: why };
  }
  const paddr = (tlb.pageFrame * 4096 + (lo & 0xfff)) as PhysAddr;
  const result = { paddr, size: pow2((perm >>> 9) & 63), flags: perms };
  return { ...none, steps, path, entry, perms, ...page, result, stop };
}
