// A reference model of x86 32-bit paging (SDM Vol. 3A §4.3) and PAE paging
// (§4.4) written straight from the manual over bigints, with the rights of
// §4.6, the faults of §4.7 and the A/D writes of §4.8; no TLB. The PDPTEs are
// read from memory at `pdpte` load time by the caller (`loadModelPdptes`), as
// the CPU loads its PDPTE registers. The MMU is compared against it.
import type { RamHandler } from '@page-table/core';

export interface LegacyState {
  pae: boolean;
  cr3: number;
  pse: boolean;
  nxe: boolean;
  wp: boolean;
  smep: boolean;
  smap: boolean;
  ac: boolean;
  pge: boolean;
  cpl: number;
  m: number;
}

export type LegacyResult =
  | { ok: true; pa: bigint; size: number; flags: number }
  | { ok: false; errorCode: number; cr2: number };

const bit = (e: bigint, n: number): boolean => ((e >> BigInt(n)) & 1n) === 1n;
const field = (hi: number, lo: number): bigint => ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);

/** The PDPTE registers loaded from CR3[31:5], or 'gp' when a present one has reserved bits (Table 4-8). */
export function loadModelPdptes(ram: RamHandler, s: LegacyState): bigint[] | 'gp' {
  const base = BigInt(s.cr3 & 0xffff_ffe0);
  const out: bigint[] = [];
  for (let i = 0n; i < 4n; i++) {
    const at = base + 8n * i;
    const e = at + 8n <= BigInt(ram.size) ? ram.read64(at) : (1n << 64n) - 1n;
    if (bit(e, 0) && (e & (field(2, 1) | field(8, 5) | field(63, s.m))) !== 0n) return 'gp';
    out.push(e);
  }
  return out;
}

/** Translates the 32-bit linear address `va` for `access` (0 read, 1 write, 2 fetch); with `commit`, writes A/D into `ram`. */
export function modelLegacy(
  ram: RamHandler,
  s: LegacyState,
  pdptes: readonly bigint[],
  va: number,
  access: number,
  commit: boolean,
): LegacyResult {
  const user = s.cpl === 3;
  const write = access === 1;
  const fetch = access === 2;
  const nxe = s.pae && s.nxe;
  const accessEc = (write ? 2 : 0) | (user ? 4 : 0) | (fetch && (nxe || s.smep) ? 0x10 : 0);
  const pf = (ec: number): LegacyResult => ({ ok: false, errorCode: ec, cr2: va });
  const width = s.pae ? 8 : 4;
  const read = (at: bigint): bigint | undefined =>
    at + BigInt(width) > BigInt(ram.size) ? undefined : s.pae ? ram.read64(at) : BigInt(ram.words[Number(at) / 4]);
  const store = (at: bigint, e: bigint) => {
    if (s.pae) ram.write64(at, e);
    else ram.words[Number(at) / 4] = Number(e);
  };
  let table: bigint;
  let levels: number[];
  if (s.pae) {
    const p = pdptes[va >>> 30];
    if (!bit(p, 0)) return pf(accessEc);
    table = p & field(s.m - 1, 12);
    levels = [1, 0];
  } else {
    table = BigInt(s.cr3 & 0xffff_f000);
    levels = [1, 0];
  }
  let uAll = true;
  let wAll = true;
  let xdAny = false;
  for (const level of levels) {
    const index = s.pae ? (va >>> (12 + 9 * level)) & 511 : (va >>> (12 + 10 * level)) & 1023;
    const at = table + BigInt(index * width);
    const e = read(at);
    if (e === undefined || !bit(e, 0)) return pf(accessEc);
    const big = level === 1 && bit(e, 7) && (s.pae || s.pse);
    const leaf = level === 0 || big;
    let rsvd = false;
    if (s.pae) {
      rsvd = (e & field(62, s.m)) !== 0n || (!nxe && bit(e, 63));
      if (big && (e & field(20, 13)) !== 0n) rsvd = true;
    } else if (big) {
      const m = Math.min(s.m, 40);
      rsvd = (e & field(21, m - 19)) !== 0n;
    }
    if (rsvd) return pf(accessEc | 0x1 | 0x8);
    uAll &&= bit(e, 2);
    wAll &&= bit(e, 1);
    xdAny ||= nxe && bit(e, 63);
    if (!leaf) {
      if (commit) store(at, e | 0x20n);
      table = s.pae ? e & field(s.m - 1, 12) : e & field(31, 12);
      continue;
    }
    const allowed = (acc: number): boolean => {
      if (user && !uAll) return false;
      if (acc === 2) return !(xdAny || (!user && s.smep && uAll));
      if (!user && uAll && s.smap && !s.ac) return false;
      if (acc === 1 && !wAll && (user || s.wp)) return false;
      return true;
    };
    if (!allowed(access)) return pf(accessEc | 0x1);
    if (commit) store(at, e | 0x20n | (write ? 0x40n : 0n));
    const size = level === 0 ? 4096 : s.pae ? 0x20_0000 : 0x40_0000;
    let base: bigint;
    if (level === 0) base = s.pae ? e & field(s.m - 1, 12) : e & field(31, 12);
    else if (s.pae) base = e & field(s.m - 1, 21);
    else base = (e & field(31, 22)) | (((e >> 13n) & 0xffn) << 32n);
    const flags =
      (allowed(0) ? 1 : 0) | (allowed(1) ? 2 : 0) | (allowed(2) ? 4 : 0) | (uAll ? 8 : 0) | (bit(e, 4) ? 32 : 0);
    return { ok: true, pa: base | BigInt(va & (size - 1)), size, flags };
  }
  throw new Error('unreachable');
}
