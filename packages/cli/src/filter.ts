/**
 * Which leaves a view shows: a VA range and permission filters, as people
 * narrow a real guest's hundreds of thousands of mappings (`--range`,
 * `--user` / `--kernel`, `--writable`, `--executable`).
 *
 * @module
 */

import { MappingFlags } from '@page-table/core';
import { usageError } from './errors.js';
import { hex, parseU64 } from './numbers.js';
import { flag, type Parsed, str } from './options.js';

/** A leaf filter; a leaf partly inside the range is shown clipped to it. */
export interface LeafFilter {
  /** First VA shown (displayed form), inclusive. */
  readonly first: bigint;
  /** Last VA shown, inclusive. */
  readonly last: bigint;
  /** `true`: user pages only, `false`: kernel (supervisor) pages only, `undefined`: both. */
  readonly user: boolean | undefined;
  /** Writable pages only. */
  readonly writable: boolean;
  /** Executable pages only. */
  readonly executable: boolean;
}

/** The filter that shows everything. */
export const NO_FILTER: LeafFilter = {
  first: 0n,
  last: 0xffff_ffff_ffff_ffffn,
  user: undefined,
  writable: false,
  executable: false,
};

/** The options of the filter, shared by `dump`, `stats` and `find-pa`. */
export const FILTER_OPTIONS = {
  range: { type: 'string' },
  user: { type: 'boolean' },
  kernel: { type: 'boolean' },
  writable: { type: 'boolean' },
  executable: { type: 'boolean' },
} as const;

/**
 * The filter the options select. `--range START-END` takes the first and
 * last VA (inclusive, as the table prints them; `START-` runs to the top).
 */
export function filterOption(p: Parsed): LeafFilter {
  const user = flag(p, 'user');
  const kernel = flag(p, 'kernel');
  if (user && kernel) throw usageError('--user and --kernel exclude each other (give neither for both)');
  const [first, last] = rangeOption(str(p, 'range'));
  return {
    first,
    last,
    user: user ? true : kernel ? false : undefined,
    writable: flag(p, 'writable'),
    executable: flag(p, 'executable'),
  };
}

function rangeOption(text: string | undefined): [bigint, bigint] {
  if (text === undefined) return [NO_FILTER.first, NO_FILTER.last];
  const dash = text.indexOf('-');
  if (dash < 0) throw usageError(`--range: '${text}' is not START-END (first and last VA, e.g. 0x400000-0x4fffff)`);
  const first = parseU64(text.slice(0, dash), '--range start');
  const last = text.slice(dash + 1) === '' ? NO_FILTER.last : parseU64(text.slice(dash + 1), '--range end');
  if (last < first) throw usageError(`--range: the end ${hex(last)} is below the start ${hex(first)}`);
  return [first, last];
}

/** Whether the filter selects anything narrower than everything. */
export function isFiltered(f: LeafFilter): boolean {
  return f.first !== NO_FILTER.first || f.last !== NO_FILTER.last || f.user !== undefined || f.writable || f.executable;
}

/** Whether leaf flags pass the permission filters. */
export function flagsPass(f: LeafFilter, flags: MappingFlags): boolean {
  if (f.user !== undefined && ((flags & MappingFlags.USER) !== 0) !== f.user) return false;
  if (f.writable && (flags & MappingFlags.WRITE) === 0) return false;
  if (f.executable && (flags & MappingFlags.EXECUTE) === 0) return false;
  return true;
}

/** The filter in words, for the header line (`VA 0x0-0xfff, user, writable`). */
export function describeFilter(f: LeafFilter): string {
  const parts: string[] = [];
  if (f.first !== NO_FILTER.first || f.last !== NO_FILTER.last) parts.push(`VA ${hex(f.first)}-${hex(f.last)}`);
  if (f.user !== undefined) parts.push(f.user ? 'user' : 'kernel');
  if (f.writable) parts.push('writable');
  if (f.executable) parts.push('executable');
  return parts.join(', ');
}

/** The filter as JSON (`null` for none). */
export function filterJson(f: LeafFilter): Record<string, unknown> | null {
  if (!isFiltered(f)) return null;
  return {
    first: hex(f.first),
    last: hex(f.last),
    user: f.user ?? null,
    writable: f.writable,
    executable: f.executable,
  };
}
