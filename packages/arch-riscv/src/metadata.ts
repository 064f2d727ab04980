/**
 * The RV64 paging modes: Sv39, Sv48 and Sv57 (RISC-V privileged spec,
 * "Supervisor Address Translation and Protection (satp) Register" and the
 * Sv39/Sv48/Sv57 sections). Every mode has 56-bit physical addresses and
 * sign-extended virtual addresses: bits 63..vaBits must equal bit vaBits-1.
 *
 * @module
 */

import type { PagingMetaData } from '@page-table/core';
import { RV64_PTE, RV64_PTE_SVPBMT, RV64_PTE_XUANTIE, type Rv64PTE, type Rv64PTEOptions, rv64PTE } from './pte.js';

/** A RISC-V virtual-memory scheme with 4 KiB pages that this package builds tables for. */
export type SvMode = 'Sv39' | 'Sv48' | 'Sv57';

/** Physical address width of every RV64 mode. */
export const RV64_PA_BITS = 56;

const LEVELS = { Sv39: 3, Sv48: 4, Sv57: 5 } as const;
const VA_BITS = { Sv39: 39, Sv48: 48, Sv57: 57 } as const;

function meta(mode: SvMode, pte: Rv64PTE): PagingMetaData {
  const suffix = pte.xuantie ? ' (XuanTie C9xx)' : pte.svpbmt ? ' (Svpbmt)' : '';
  const m: PagingMetaData = {
    name: `riscv64 ${mode}${suffix}`,
    levels: LEVELS[mode],
    paBits: RV64_PA_BITS,
    vaBits: VA_BITS[mode],
    vaCheck: 'sign-extend',
    pte,
  };
  return Object.freeze(m);
}

/** Sv39: 3 levels, 39-bit VAs (512 GiB), 4 KiB pages, 2 MiB and 1 GiB leaves (the 1 GiB ones in the root). */
export const SV39_METADATA: PagingMetaData = /* @__PURE__ */ meta('Sv39', RV64_PTE);
/** Sv48: 4 levels, 48-bit VAs (256 TiB), 4 KiB pages, 2 MiB and 1 GiB leaves. */
export const SV48_METADATA: PagingMetaData = /* @__PURE__ */ meta('Sv48', RV64_PTE);
/** Sv57: 5 levels, 57-bit VAs (128 PiB), 4 KiB pages, 2 MiB and 1 GiB leaves (512 GiB and 256 TiB leaves are not mapped). */
export const SV57_METADATA: PagingMetaData = /* @__PURE__ */ meta('Sv57', RV64_PTE);

/** Sv39 with XuanTie C9xx memory-type bits. */
export const SV39_XUANTIE_METADATA: PagingMetaData = /* @__PURE__ */ meta('Sv39', RV64_PTE_XUANTIE);
/** Sv48 with XuanTie C9xx memory-type bits. */
export const SV48_XUANTIE_METADATA: PagingMetaData = /* @__PURE__ */ meta('Sv48', RV64_PTE_XUANTIE);
/** Sv57 with XuanTie C9xx memory-type bits. */
export const SV57_XUANTIE_METADATA: PagingMetaData = /* @__PURE__ */ meta('Sv57', RV64_PTE_XUANTIE);

/** Sv39 with Svpbmt memory types. */
export const SV39_SVPBMT_METADATA: PagingMetaData = /* @__PURE__ */ meta('Sv39', RV64_PTE_SVPBMT);
/** Sv48 with Svpbmt memory types. */
export const SV48_SVPBMT_METADATA: PagingMetaData = /* @__PURE__ */ meta('Sv48', RV64_PTE_SVPBMT);
/** Sv57 with Svpbmt memory types. */
export const SV57_SVPBMT_METADATA: PagingMetaData = /* @__PURE__ */ meta('Sv57', RV64_PTE_SVPBMT);

/**
 * The shared metadata object of `mode` with the codec `options` select, so
 * every table of one configuration uses one codec instance.
 */
export function svMetadata(mode: SvMode, options: Rv64PTEOptions = {}): PagingMetaData {
  const pte = rv64PTE(options);
  switch (mode) {
    case 'Sv39':
      return pte === RV64_PTE ? SV39_METADATA : pte === RV64_PTE_XUANTIE ? SV39_XUANTIE_METADATA : SV39_SVPBMT_METADATA;
    case 'Sv48':
      return pte === RV64_PTE ? SV48_METADATA : pte === RV64_PTE_XUANTIE ? SV48_XUANTIE_METADATA : SV48_SVPBMT_METADATA;
    case 'Sv57':
      return pte === RV64_PTE ? SV57_METADATA : pte === RV64_PTE_XUANTIE ? SV57_XUANTIE_METADATA : SV57_SVPBMT_METADATA;
    default:
      throw new TypeError(`unknown RISC-V paging mode ${String(mode)}`);
  }
}
