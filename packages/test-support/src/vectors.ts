import { readFileSync } from 'node:fs';

/** One executed `new_table` of the Rust crate page_table_entry (the packages' test/fixtures/README.md). */
export interface VectorTableRecord {
  op: 'new_table';
  pa: string;
  bits: string;
  paddr: string;
  flags: number;
  present: boolean;
  huge: boolean;
  unused: boolean;
}

/** One executed `new_page` (and `set_flags`) of the Rust crate page_table_entry. */
export interface VectorPageRecord {
  op: 'new_page';
  pa: string;
  huge: boolean;
  in_flags: number;
  bits: string;
  paddr: string;
  out_flags: number;
  present: boolean;
  is_huge: boolean;
  unused: boolean;
  set_flags_bits: string;
}

/** One record of a vector file. */
export type VectorRecord = VectorTableRecord | VectorPageRecord;

/**
 * Reads a vector file: its records under each architecture's name, and any string facts beside them
 * (`aarch64_MAIR_VALUE`). `T` names the keys the caller reads.
 */
export function loadVectors<T = Record<string, VectorRecord[]>>(url: URL): T {
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}
