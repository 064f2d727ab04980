/**
 * Architecture-independent permission and memory-type flags of a mapping.
 *
 * The values match page_table_multiarch's `MappingFlags` so flag numbers carry
 * over from Rust code and logs unchanged.
 *
 * @module
 */

/** Bits of a {@link MappingFlags} value. */
export const MappingFlags = {
  /** Readable. */
  READ: 1,
  /** Writable. */
  WRITE: 2,
  /** Executable. */
  EXECUTE: 4,
  /** Accessible from user mode. */
  USER: 8,
  /** Device memory (strongly ordered, uncached). */
  DEVICE: 16,
  /** Normal memory, uncached. */
  UNCACHED: 32,
} as const;

/** A set of {@link MappingFlags} bits, OR-ed together (0 = no access). */
export type MappingFlags = number;

/** Every defined flag bit. */
export const MAPPING_FLAGS_ALL = 0x3f;

const NAMES = ['READ', 'WRITE', 'EXECUTE', 'USER', 'DEVICE', 'UNCACHED'] as const;

/** Formats flags as `READ|WRITE`, `empty` for none; unknown bits are shown in hex. */
export function formatFlags(flags: MappingFlags): string {
  const parts: string[] = [];
  for (let i = 0; i < NAMES.length; i++) if (flags & (1 << i)) parts.push(NAMES[i]);
  const unknown = flags & ~MAPPING_FLAGS_ALL;
  if (unknown) parts.push(`0x${unknown.toString(16)}`);
  return parts.length ? parts.join('|') : 'empty';
}

/** Compact `rwxud-` style form (read, write, execute, user, device, uncached), as `info mem` prints. */
export function shortFlags(flags: MappingFlags): string {
  const c = 'rwxudc';
  let s = '';
  for (let i = 0; i < 6; i++) s += flags & (1 << i) ? c[i] : '-';
  return s;
}
