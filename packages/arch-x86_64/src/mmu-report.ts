/**
 * What a tool shows of an {@link X64Mmu}: the SDM's table and privilege
 * names, the register values a debugger starts from, and each fault in
 * words and fields (`ptm translate --access` prints these).
 *
 * @module
 */

import {
  type Access,
  type DebugTranslation,
  type EntryCas,
  halvesValue,
  isVa32,
  MappingFlags,
  type MmuFaultReport,
  type MmuInfo,
  type PageSize,
  type PhysMemory,
  type WalkStep,
} from '@page-table/core';
import { fromHalves, type PhysAddr, type VirtAddr } from '@page-table/memory-addr';
import { formatPfErrorCode, isPageFault, type X64Fault, X64PfError } from './fault.js';
import { isCanonicalHi, MODE_32, MODE_DISABLED, MODE_PAE, type X64MmuConfig, x86LeafSize } from './mmu-config.js';
import { permFlags, type X64RightsState } from './mmu-rights.js';
import { describeX64Stop, walkX64, type X64AdUpdate, X64WalkState } from './mmu-walk.js';
import { walkX86_32 } from './mmu-walk-32.js';

/** The x86_64 MMU's names: tables PT … PML5 by level (SDM §4.5; PT, PD, PDPT in 32-bit and PAE paging), privileges CPL 0..3. */
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

/** What a debug walk reports beyond {@link DebugTranslation}. */
export interface X64DebugTranslation extends DebugTranslation<X64Fault> {
  /**
   * Effective permissions of the leaf the walk reached, for the current CPL
   * and control registers (also when the access asked about faulted);
   * `undefined` when no leaf was reached (as on every MMU).
   */
  readonly permissions?: MappingFlags;
  /** Size of the leaf the walk reached, when it reached one. */
  readonly leafSize?: PageSize;
  /**
   * The A/D writes `translate` would make on a TLB miss, root first (absent
   * when none): A in every paging-structure entry the walk passes with A = 0
   * — made even when the access then faults — and, only if the access is
   * allowed, A on the leaf and D too for a write (SDM §4.8).
   */
  readonly adUpdates?: readonly X64AdUpdate[];
}

/** The privilege the debug walk of {@link debugWalkX64} runs at. */
export interface X64DebugPrivilege {
  /** The permission table of the current CPL / RFLAGS.AC. */
  readonly table: Uint8Array;
  /** The #PF error-code bits of the access asked about. */
  readonly accEc: number;
  /** The rights state the table was built from (explains a denial). */
  readonly state: X64RightsState;
}

/**
 * The side-effect-free walk behind `X64Mmu.debugTranslate`, in every paging
 * mode (a linear address is its low 32 bits outside IA-32e mode): every entry read, the
 * result a TLB miss would give, the A/D writes it would make (not made), the
 * leaf's effective rights, and where and why it stopped.
 */
export function debugWalkX64(
  mem: PhysMemory,
  cas: EntryCas,
  cfg: X64MmuConfig,
  p: X64DebugPrivilege,
  vaHi: number,
  lo: number,
  access: Access,
): X64DebugTranslation {
  const legacy = cfg.mode === MODE_32 || cfg.mode === MODE_PAE;
  const hi = legacy && isVa32(vaHi, lo) ? 0 : vaHi;
  const va = halvesValue(hi, lo) as VirtAddr;
  const steps: WalkStep[] = [];
  if (cfg.mode === MODE_DISABLED) {
    const flags = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE | MappingFlags.USER;
    const result = { paddr: lo as PhysAddr, size: 0x1000 as const, flags };
    return { va, access, steps, updates: [], result, permissions: flags, leafSize: 0x1000 };
  }
  if (!isCanonicalHi(cfg, hi) || (legacy && hi !== 0)) {
    const bits = cfg.top === 4 ? '63:56' : '63:47';
    return {
      va,
      access,
      steps,
      updates: [],
      result: { fault: { vector: 13, errorCode: 0 } },
      stopLevel: -1,
      stopReason: 'non-canonical',
      stop: legacy
        ? 'not a 32-bit linear address (nor one sign-extended) (#GP(0))'
        : `non-canonical address: bits ${bits} are not all equal (#GP(0))`,
    };
  }
  const w = new X64WalkState(mem, cas);
  w.reset(true);
  const ok =
    (cfg.mode === MODE_32
      ? walkX86_32(cfg, p.table, p.accEc, lo, access, w, steps)
      : walkX64(cfg, p.table, p.accEc, hi, lo, access, w, steps)) >= 0;
  const leaf = w.row < 0 ? {} : { permissions: permFlags(p.table, w.row), leafSize: x86LeafSize(cfg, w.leafLevel) };
  const updates = w.ad ?? [];
  const ad = updates.length === 0 ? {} : { adUpdates: updates };
  if (ok) {
    const result = {
      paddr: (w.frame * 4096 + (lo & 0xfff)) as PhysAddr,
      size: x86LeafSize(cfg, w.level),
      flags: permFlags(p.table, w.row),
    };
    return { va, access, steps, result, ...leaf, updates, ...ad };
  }
  const fault: X64Fault = { vector: 14, errorCode: w.ec, cr2: fromHalves(hi, lo) as VirtAddr };
  const stop = describeX64Stop(w, cfg, steps, access, p.state);
  return {
    va,
    access,
    steps,
    result: { fault },
    stopLevel: w.level,
    stopReason: w.stop,
    stop,
    ...leaf,
    updates,
    ...ad,
  };
}
