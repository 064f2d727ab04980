/**
 * How an MMU's `debugTranslate` attaches the contract's shared fields
 * (`access`, `updates`, `stopLevel`, `stopReason`) to its arch-specific
 * report. They are defined as read-only, non-enumerable properties: every
 * report has them by name, while a report's enumerable shape — what
 * `toEqual`, spreading and `JSON.stringify` see — stays the arch's own,
 * as it was before the shared fields existed.
 *
 * @module
 */

import type { Access, EntryUpdate } from '../mmu.js';

/** The shared fields of a debug report, as {@link DebugTranslation} documents them. */
export interface DebugReportFields {
  /** The access asked about. */
  readonly access: Access;
  /** Entry writes a real access would make, root first (empty when none). */
  readonly updates: readonly EntryUpdate[];
  /** Level where the walk stopped on a fault (-1: before reading any entry); undefined on success. */
  readonly stopLevel?: number;
  /** The arch's machine-readable reason for the stop; undefined on success. */
  readonly stopReason?: string;
}

const NONE: readonly EntryUpdate[] = Object.freeze([]);

/** `report` with the shared fields attached (see the module); returns the same object. */
export function withReportFields<T extends object>(report: T, fields: DebugReportFields): T & DebugReportFields {
  const d = (value: unknown) => ({ value, enumerable: false, writable: false, configurable: false });
  Object.defineProperties(report, {
    access: d(fields.access),
    updates: d(fields.updates.length === 0 ? NONE : Object.freeze(fields.updates.slice())),
    stopLevel: d(fields.stopLevel),
    stopReason: d(fields.stopReason),
  });
  return report as T & DebugReportFields;
}

/**
 * A report built with the shared fields as ordinary properties, turned into
 * its final form: the same fields, moved to {@link withReportFields}'s
 * non-enumerable properties.
 */
export function sharedReport<T extends DebugReportFields>(report: T): T {
  const { access, updates, stopLevel, stopReason, ...rest } = report;
  return withReportFields(rest, { access, updates, stopLevel, stopReason }) as unknown as T;
}
