/**
 * Merged leaf mappings as `ptm` prints them: the rows of the `info mem`-like
 * table and their JSON form.
 *
 * @module
 */

import { MAPPING_FLAGS_ALL, type Mapping, type MappingFlags, PageSize, formatFlags, shortFlags } from '@page-table/core';
import { hex, hexDigits, hexPad, formatBytes } from './numbers.js';
import type { Style } from './style.js';
import { type Column, renderTable } from './table.js';

/** The upper-range bits an AArch64 TTBR1 VA carries (the walker reports VA bits 0..47 only). */
export const A64_UPPER = 0xffff_0000_0000_0000n;

/** One run of leaves with contiguous VA and PA, equal flags and page size; every number exact. */
export interface MappingRow {
  va: bigint;
  /** First VA after the run. */
  vaEnd: bigint;
  pa: bigint;
  /** First PA after the run. */
  paEnd: bigint;
  size: bigint;
  pageSize: PageSize;
  flags: MappingFlags;
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

/** A VA as displayed: with `upper`, in the AArch64 TTBR1 range (`0xffff_…`). */
export function displayVa(va: bigint | number, upper: boolean): bigint {
  const v = BigInt(va);
  return upper ? v | A64_UPPER : v;
}

/** The walker's merged mappings as exact rows; `upper` moves VAs to the AArch64 TTBR1 range. */
export function mappingRows(mappings: Iterable<Mapping>, upper: boolean): MappingRow[] {
  const rows: MappingRow[] = [];
  for (const m of mappings) {
    const va = displayVa(m.va, upper);
    const pa = BigInt(m.pa);
    const size = BigInt(m.size);
    rows.push({ va, vaEnd: va + size, pa, paEnd: pa + size, size, pageSize: m.pageSize, flags: m.flags });
  }
  return rows;
}

/** The JSON form of a row (the schema in the README): addresses and sizes as `0x…` strings. */
export function mappingJson(row: MappingRow): Record<string, unknown> {
  return {
    va: hex(row.va),
    vaEnd: hex(row.vaEnd),
    pa: hex(row.pa),
    paEnd: hex(row.paEnd),
    size: hex(row.size),
    pageSize: pageSizeName(row.pageSize),
    flags: flagNames(row.flags),
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

/** The aligned mapping table: VA range, PA range, size, page size, flags (short and long). */
export function mappingTable(rows: readonly MappingRow[], style: Style): string[] {
  const vaDigits = Math.max(8, ...rows.map((r) => Math.max(hexDigits(r.va), hexDigits(r.vaEnd - 1n))));
  const paDigits = Math.max(8, ...rows.map((r) => Math.max(hexDigits(r.pa), hexDigits(r.paEnd - 1n))));
  const columns: Column[] = [
    { header: 'VA range' },
    { header: 'PA range' },
    { header: 'size', align: 'right' },
    { header: 'page', align: 'right', paint: (t) => (t === '4K' ? t : style.bold(t)) },
    { header: 'perm', paint: permPaint(style) },
    { header: 'flags' },
  ];
  const body = rows.map((r) => [
    `${hexPad(r.va, vaDigits)}-${hexPad(r.vaEnd, vaDigits)}`,
    `${hexPad(r.pa, paDigits)}-${hexPad(r.paEnd, paDigits)}`,
    formatBytes(r.size),
    pageSizeName(r.pageSize),
    shortFlags(r.flags),
    flagNames(r.flags).join('|'),
  ]);
  return renderTable(columns, body, (t) => style.bold(t));
}
