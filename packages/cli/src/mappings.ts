/**
 * Merged leaf mappings as `ptm` prints them: the rows of the `info mem`-like
 * table and their JSON form. Every range prints as first and last address
 * (inclusive), so a run that ends at the top of the address space prints
 * `0xffffffffffffffff` rather than an end that needs 65 bits.
 *
 * @module
 */

import {
  formatFlags,
  MAPPING_FLAGS_ALL,
  type Mapping,
  type MappingFlags,
  PageSize,
  shortFlags,
} from '@page-table/core';
import type { Mode } from './modes.js';
import { formatBytes, hex, hexDigits, hexPad } from './numbers.js';
import type { Style } from './style.js';

/** One run of leaves with contiguous VA and PA, equal flags and page size; every number exact. */
export interface MappingRow {
  /** First VA of the run (displayed form: sign-extended, or in the TTBR1 range). */
  va: bigint;
  /** First PA of the run. */
  pa: bigint;
  /** Bytes in the run (its last VA is `va + size - 1`). */
  size: bigint;
  /** Page size of every leaf in the run. */
  pageSize: PageSize;
  /** Effective permissions of every leaf in the run, as the CPU enforces them. */
  flags: MappingFlags;
  /** The leaves' own flags where tables above restrict them (undefined when equal to {@link flags}). */
  leafFlags?: MappingFlags | undefined;
}

/** `4K`, `2M` or `1G`. */
export function pageSizeName(size: PageSize): string {
  return size === PageSize.Size4K ? '4K' : size === PageSize.Size2M ? '2M' : '1G';
}

/** The names of the set flags, `READ` first (an empty array for none). */
export function flagNames(flags: MappingFlags): string[] {
  const text = formatFlags(flags & MAPPING_FLAGS_ALL);
  return text === 'empty' ? [] : text.split('|');
}

/**
 * A VA as displayed: `upperBits` (a mode's {@link Mode.upperBits} for an
 * AArch64 TTBR1 table, else 0) OR-ed in, as the walker of a table that takes
 * both ranges reports lower-range VAs.
 */
export function displayVa(va: bigint | number, upperBits: bigint): bigint {
  return BigInt(va) | upperBits;
}

/** The walker's merged mappings as exact rows, with `upperBits` OR-ed into each VA. */
export function mappingRows(mappings: Iterable<Mapping>, upperBits: bigint): MappingRow[] {
  const rows: MappingRow[] = [];
  for (const m of mappings) {
    rows.push({
      va: displayVa(m.va, upperBits),
      pa: BigInt(m.pa),
      size: BigInt(m.size),
      pageSize: m.pageSize,
      flags: m.flags,
      leafFlags: m.leafFlags,
    });
  }
  return rows;
}

/**
 * The JSON form of a row (schema 2, in the README): addresses and sizes as
 * `0x…` strings, ranges by their first and last (inclusive) address; `flags`
 * are the effective permissions, and `leafFlags` (only where they differ)
 * the leaf's own bits.
 */
export function mappingJson(row: MappingRow): Record<string, unknown> {
  return {
    va: hex(row.va),
    vaLast: hex(row.va + row.size - 1n),
    pa: hex(row.pa),
    paLast: hex(row.pa + row.size - 1n),
    size: hex(row.size),
    pageSize: pageSizeName(row.pageSize),
    flags: flagNames(row.flags),
    ...(row.leafFlags === undefined ? {} : { leafFlags: flagNames(row.leafFlags) }),
  };
}

/** Paints `rwxudc` permission letters: read green, write yellow, execute red, user cyan, device/uncached magenta. */
export function permPaint(style: Style): (text: string) => string {
  if (!style.color) return (t) => t;
  const paints = [style.green, style.yellow, style.red, style.cyan, style.magenta, style.magenta];
  return (text) => {
    let out = '';
    for (let i = 0; i < text.length; i++) out += text[i] === '-' ? style.dim('-') : (paints[i] ?? style.bold)(text[i]);
    return out;
  };
}

/** Width of the size column: `4095 TiB`, `1048572 KiB` and the like fit. */
const SIZE_WIDTH = 11;

/**
 * The mapping table's column layout, fixed before the first row so rows
 * stream out one by one: the VA and PA columns are as wide as the paging
 * mode's addresses (or, for a handful of rows known in advance, as the
 * widest of them).
 */
export class MappingTable {
  private readonly perm: (text: string) => string;

  /** A layout with `vaDigits` and `paDigits` hex digits per address. */
  constructor(
    private readonly style: Style,
    private readonly vaDigits: number,
    private readonly paDigits: number,
  ) {
    this.perm = permPaint(style);
  }

  /** The layout for a paging mode: 16 VA digits (sign-extended 64-bit VAs), PA digits for `paBits`. */
  static forWidths(style: Style, paBits: number): MappingTable {
    return new MappingTable(style, 16, Math.ceil(paBits / 4));
  }

  /** The layout that fits `rows` (at least 8 digits each): for small, known sets like the demo's. */
  static fitting(style: Style, rows: readonly MappingRow[]): MappingTable {
    let va = 8;
    let pa = 8;
    for (const r of rows) {
      va = Math.max(va, hexDigits(r.va + r.size - 1n));
      pa = Math.max(pa, hexDigits(r.pa + r.size - 1n));
    }
    return new MappingTable(style, va, pa);
  }

  /** The header line. */
  header(): string {
    const va = 'VA range'.padEnd(2 * this.vaDigits + 5);
    const pa = 'PA range'.padEnd(2 * this.paDigits + 5);
    return this.style.bold(`  ${va}  ${pa}  ${'size'.padStart(SIZE_WIDTH)}  page  perm    flags`);
  }

  /** One row's line. */
  line(r: MappingRow): string {
    const va = `${hexPad(r.va, this.vaDigits)}-${hexPad(r.va + r.size - 1n, this.vaDigits)}`;
    const pa = `${hexPad(r.pa, this.paDigits)}-${hexPad(r.pa + r.size - 1n, this.paDigits)}`;
    const page = pageSizeName(r.pageSize);
    const own = r.leafFlags === undefined ? '' : `  (leaf ${shortFlags(r.leafFlags)})`;
    const names = flagNames(r.flags).join('|') + own;
    const pagePainted = page === '4K' ? '  4K' : `  ${this.style.bold(page)}`;
    return `  ${va}  ${pa}  ${formatBytes(r.size).padStart(SIZE_WIDTH)}  ${pagePainted}  ${this.perm(shortFlags(r.flags))}  ${names}`.trimEnd();
  }

  /** The header and every row's line (for small sets; big ones stream {@link line}). */
  lines(rows: readonly MappingRow[]): string[] {
    const out = [this.header()];
    for (const r of rows) out.push(this.line(r));
    return out;
  }
}
