// A reference model of x86_64 4/5-level translation written straight from SDM
// Vol. 3A §4.5-§4.8 over bigints, independent of the MMU's half-word code and
// without a TLB: it is what every MMU answer is compared against.
import type { RamHandler } from '@page-table/core';

export interface ModelState {
  cr3: bigint;
  la57: boolean;
  nxe: boolean;
  wp: boolean;
  smep: boolean;
  smap: boolean;
  ac: boolean;
  pke: boolean;
  pks: boolean;
  pkru: number;
  pkrs: number;
  cpl: number;
  m: number;
}

export type ModelResult =
  | { ok: true; pa: bigint; size: number; flags: number }
  | { ok: false; vector: 13 | 14; errorCode: number; cr2?: bigint };

const bit = (e: bigint, n: number): boolean => ((e >> BigInt(n)) & 1n) === 1n;

/** Bits lo..hi (inclusive) as a mask. */
const field = (hi: number, lo: number): bigint => ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);

/**
 * Translates `va` (unsigned 64-bit) for `access` (0 read, 1 write, 2 fetch).
 * With `commit`, writes the A/D bits the processor sets into `ram`.
 */
export function modelTranslate(
  ram: RamHandler,
  s: ModelState,
  va: bigint,
  access: number,
  commit: boolean,
): ModelResult {
  const top = s.la57 ? 56 : 47;
  const upper = va >> BigInt(top);
  if (upper !== 0n && upper !== (1n << BigInt(64 - top)) - 1n) return { ok: false, vector: 13, errorCode: 0 };
  const user = s.cpl === 3;
  const write = access === 1;
  const fetch = access === 2;
  const accessEc = (write ? 2 : 0) | (user ? 4 : 0) | (fetch && (s.nxe || s.smep) ? 0x10 : 0);
  const pf = (ec: number): ModelResult => ({ ok: false, vector: 14, errorCode: ec, cr2: va });
  const addrMask = field(51, 12);
  const rsvdPa = s.m < 52 ? field(51, s.m) : 0n;
  let table = s.cr3 & field(s.m - 1, 12);
  let uAll = true;
  let wAll = true;
  let xdAny = false;
  const used: bigint[] = [];
  for (let level = s.la57 ? 4 : 3; level >= 0; level--) {
    const index = (va >> BigInt(12 + 9 * level)) & 511n;
    const addr = table + index * 8n;
    if (addr + 8n > BigInt(ram.size)) return pf(accessEc); // outside RAM: reads as not present
    const e = ram.read64(addr);
    if (!bit(e, 0)) return pf(accessEc);
    const ps = bit(e, 7);
    const leaf = level === 0 || (ps && level <= 2);
    let rsvd = (e & rsvdPa) !== 0n || (!s.nxe && bit(e, 63));
    if (level >= 3 && ps) rsvd = true;
    if (leaf && level === 2 && (e & field(29, 13)) !== 0n) rsvd = true;
    if (leaf && level === 1 && (e & field(20, 13)) !== 0n) rsvd = true;
    if (rsvd) return pf(accessEc | 0x1 | 0x8);
    uAll &&= bit(e, 2);
    wAll &&= bit(e, 1);
    xdAny ||= s.nxe && bit(e, 63);
    used.push(addr);
    if (!leaf) {
      if (commit) ram.write64(addr, e | 0x20n);
      table = e & addrMask;
      continue;
    }
    // Access rights (SDM §4.6) and protection keys (§4.6.2).
    const key = Number((e >> 59n) & 15n);
    const pkr = uAll ? (s.pke ? s.pkru : 0) : s.pks ? s.pkrs : 0;
    const ad = ((pkr >>> (2 * key)) & 1) === 1;
    const wd = ((pkr >>> (2 * key)) & 2) === 2;
    const allowed = (acc: number): number => {
      // 0 = allowed, 1 = protection, 2 = protection key
      if (user && !uAll) return 1;
      if (acc === 2) return xdAny || (!user && s.smep && uAll) ? 1 : 0;
      if (ad) return 2;
      if (wd && acc === 1 && (user || s.wp)) return 2;
      if (!user && uAll && s.smap && !s.ac) return 1;
      if (acc === 1 && !wAll && (user || s.wp)) return 1;
      return 0;
    };
    const why = allowed(access);
    if (why !== 0) return pf(accessEc | 0x1 | (why === 2 ? 0x20 : 0));
    if (commit) ram.write64(addr, e | 0x20n | (write ? 0x40n : 0n));
    const size = 2 ** (12 + 9 * level);
    const pa = (e & addrMask & ~BigInt(size - 1)) | (va & BigInt(size - 1));
    const flags =
      (allowed(0) === 0 ? 1 : 0) |
      (allowed(1) === 0 ? 2 : 0) |
      (allowed(2) === 0 ? 4 : 0) |
      (uAll ? 8 : 0) |
      (bit(e, 4) ? 32 : 0);
    return { ok: true, pa, size, flags };
  }
  throw new Error('unreachable');
}
