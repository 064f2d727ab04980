/**
 * `@page-table/cli`: the `ptm` command, and the pieces it is built from that
 * tools may want: a file-backed physical memory for RAM images larger than
 * memory, the paging modes by the names `--arch` accepts, the entry-by-entry
 * translation, the streaming table audit and the mapping rows.
 *
 * @packageDocumentation
 */

export {
  type Audit,
  type AuditOptions,
  type AuditSink,
  auditTables,
  type Problem,
  type ProblemKind,
  type Tally,
  type WalkStop,
} from './audit.js';
export { main, mainAsync } from './cli.js';
export type { Io, OutStream } from './context.js';
export { CliError, EXIT_FAILURE, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE } from './errors.js';
export { FileMemory, type FileMemoryOptions } from './file-memory.js';
export { FileSource, SpecialFileError } from './file-source.js';
export { type LeafFilter, NO_FILTER } from './filter.js';
export type { LiveInput } from './gdb.js';
export { displayVa, flagNames, type MappingRow, mappingRows, pageSizeName } from './mappings.js';
export {
  AARCH64_39,
  ARCH_ALIASES,
  ARCH_CHOICES,
  type ArchName,
  canonicalArch,
  MODES,
  type Mode,
  resolveMode,
} from './modes.js';
export {
  isCanonical,
  type StepKind,
  type StopReason,
  type Translation,
  type TranslationResult,
  type TranslationStop,
  translateVa,
  type WalkStep,
} from './translate.js';
