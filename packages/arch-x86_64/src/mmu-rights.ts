/**
 * The x86_64 access-rights rules (Intel SDM Vol. 3A §4.6, protection keys
 * §4.6.2) as precomputed permission tables: for every combination of the
 * rights a walk collects (AND of R/W and U/S, OR of XD, the leaf's key) and
 * every access kind, the #PF error code of the violation, or 0. One table per
 * privilege state (user, supervisor, supervisor with RFLAGS.AC), rebuilt
 * from CR0, CR4, EFER, PKRU and PKRS; CPL and AC only select a table.
 *
 * @module
 */

import { Access, MappingFlags } from '@page-table/core';
import { X64PfError } from './fault.js';

// The software TLB's permission word (also the index of the permission tables):
// bits 0..6 select the table row, bits 7 and 8 ride along.
/** AND of R/W over the walk. */
export const PERM_W = 0x1;
/** AND of U/S over the walk. */
export const PERM_U = 0x2;
/** OR of XD over the walk (meaningful with EFER.NXE only). */
export const PERM_XD = 0x4;
/** Shift of the leaf's protection key (PTE[62:59]) in the row. */
export const PERM_KEY_SHIFT = 3;
/** The bits of a permission word that index the tables. */
export const PERM_ROW = 0x7f;
/** The leaf's D is set: a write through the TLB needs no walk. */
export const PERM_D = 0x80;
/** The leaf's PCD: memory type UC. */
export const PERM_UC = 0x100;
/** Paging disabled: linear = physical (never in the TLB). */
export const PERM_IDENTITY = 0x200;

const WRITE = Access.Write;
const EXEC = Access.Execute;

// Why a permission check failed (debug text; the error code follows from it).
const DENY_USER = 1;
const DENY_XD = 2;
const DENY_SMEP = 3;
const DENY_PK_AD = 4;
const DENY_PK_WD = 5;
const DENY_SMAP = 6;
const DENY_RO = 7;
const DENY_TEXT = [
  '',
  'user-mode access to a supervisor-mode page (U/S = 0 at some level)',
  'instruction fetch from an execute-disable page (XD = 1 at some level)',
  'supervisor fetch from a user-mode page with CR4.SMEP = 1',
  'protection key: access disabled (AD)',
  'protection key: write disabled (WD)',
  'supervisor data access to a user-mode page with CR4.SMAP = 1 and RFLAGS.AC = 0',
  'write to a read-only page (R/W = 0 at some level)',
];

/** The inputs of the access-rights rules (SDM §4.6) for one privilege state. */
export interface X64RightsState {
  /** CPL 3: every access is a user-mode access. */
  readonly user: boolean;
  /** CR0.WP: supervisor writes honour R/W. */
  readonly wp: boolean;
  /** CR4.SMEP. */
  readonly smep: boolean;
  /** CR4.SMAP with RFLAGS.AC = 0: supervisor data accesses to user pages fault. */
  readonly smapBlocks: boolean;
  /** PKRU when CR4.PKE, else 0. */
  readonly pkrUser: number;
  /** IA32_PKRS when CR4.PKS, else 0. */
  readonly pkrSup: number;
  /** Whether a fetch sets I/D in the error code (EFER.NXE or CR4.SMEP). */
  readonly fetchId: boolean;
}

/**
 * SDM §4.6 for one permission row and access kind: 0 when allowed, else why
 * not. The order follows QEMU 7.2 `mmu_translate` (user/supervisor first, then
 * protection keys, then the ordinary rights), so a write that both the key and
 * R/W forbid reports PK (the SDM sets PK whenever the key forbids the access).
 */
function deny(row: number, access: number, s: X64RightsState): number {
  const u = (row & PERM_U) !== 0;
  if (s.user && !u) return DENY_USER;
  if (access === EXEC) {
    if (row & PERM_XD) return DENY_XD;
    if (!s.user && s.smep && u) return DENY_SMEP;
    return 0;
  }
  const pkr = u ? s.pkrUser : s.pkrSup;
  if (pkr !== 0) {
    const bits = (pkr >>> (((row >>> PERM_KEY_SHIFT) & 15) * 2)) & 3;
    if (bits & 1) return DENY_PK_AD;
    if (bits & 2 && access === WRITE && (s.user || s.wp)) return DENY_PK_WD;
  }
  if (!s.user && u && s.smapBlocks) return DENY_SMAP;
  if (access === WRITE && (row & PERM_W) === 0 && (s.user || s.wp)) return DENY_RO;
  return 0;
}

/** The #PF error-code bits that describe the access itself (W, U, I/D). */
export function accessErrorBits(access: number, s: X64RightsState): number {
  return (
    (access === WRITE ? X64PfError.W : 0) |
    (s.user ? X64PfError.U : 0) |
    (access === EXEC && s.fetchId ? X64PfError.ID : 0)
  );
}

/** Error code for every (row, access) of one privilege state: 0 = allowed. */
function buildTable(s: X64RightsState): Uint8Array {
  const tab = new Uint8Array((PERM_ROW + 1) * 3);
  for (let row = 0; row <= PERM_ROW; row++) {
    for (let access = 0; access < 3; access++) {
      const why = deny(row, access, s);
      if (why === 0) continue;
      const pk = why === DENY_PK_AD || why === DENY_PK_WD ? X64PfError.PK : 0;
      tab[row * 3 + access] = X64PfError.P | accessErrorBits(access, s) | pk;
    }
  }
  return tab;
}

/** The permission tables of one register state, one per privilege state. */
export interface X64Rights {
  /** CPL 3. */
  readonly user: X64RightsState;
  /** CPL 0..2, RFLAGS.AC = 0. */
  readonly sup: X64RightsState;
  /** CPL 0..2, RFLAGS.AC = 1 (SMAP lifted). */
  readonly supAc: X64RightsState;
  /** Error codes by `row * 3 + access` for {@link user}. */
  readonly userTable: Uint8Array;
  /** Error codes for {@link sup}. */
  readonly supTable: Uint8Array;
  /** Error codes for {@link supAc}. */
  readonly supAcTable: Uint8Array;
}

/** Builds the permission tables from the bits of CR0, CR4 and EFER and the PKRU / PKRS values. */
export function buildX64Rights(
  cr0Wp: boolean,
  cr4: { smep: boolean; smap: boolean; pke: boolean; pks: boolean },
  nxe: boolean,
  pkru: number,
  pkrs: number,
): X64Rights {
  const base = {
    wp: cr0Wp,
    smep: cr4.smep,
    pkrUser: cr4.pke ? pkru : 0,
    pkrSup: cr4.pks ? pkrs : 0,
    fetchId: nxe || cr4.smep,
  };
  const user = { ...base, user: true, smapBlocks: false };
  const sup = { ...base, user: false, smapBlocks: cr4.smap };
  const supAc = { ...base, user: false, smapBlocks: false };
  return { user, sup, supAc, userTable: buildTable(user), supTable: buildTable(sup), supAcTable: buildTable(supAc) };
}

/** The state that applies at `cpl` with RFLAGS.AC = `ac`. */
export function rightsStateFor(r: X64Rights, cpl: number, ac: boolean): X64RightsState {
  return cpl === 3 ? r.user : ac ? r.supAc : r.sup;
}

/** The table that applies at `cpl` with RFLAGS.AC = `ac`. */
export function rightsTableFor(r: X64Rights, cpl: number, ac: boolean): Uint8Array {
  return cpl === 3 ? r.userTable : ac ? r.supAcTable : r.supTable;
}

/** Why `access` with permission row `row` is refused in state `s`, in words (empty when allowed). */
export function denialText(row: number, access: number, s: X64RightsState): string {
  return DENY_TEXT[deny(row & PERM_ROW, access, s)];
}

/** The effective {@link MappingFlags} of a permission word under a permission table. */
export function permFlags(table: Uint8Array, perm: number): MappingFlags {
  if (perm === PERM_IDENTITY) return MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE | MappingFlags.USER;
  const i = (perm & PERM_ROW) * 3;
  return (
    (table[i + Access.Read] === 0 ? MappingFlags.READ : 0) |
    (table[i + WRITE] === 0 ? MappingFlags.WRITE : 0) |
    (table[i + EXEC] === 0 ? MappingFlags.EXECUTE : 0) |
    (perm & PERM_U ? MappingFlags.USER : 0) |
    (perm & PERM_UC ? MappingFlags.UNCACHED : 0)
  );
}
