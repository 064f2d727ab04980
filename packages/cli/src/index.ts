/**
 * `@page-table/cli`: the `ptm` command, and the pieces it is built from for
 * tools that want them: a file-backed physical memory for RAM images larger
 * than memory, the mode registry, the demo layouts, the entry-by-entry
 * translation, the access check by the arch's emulator MMU and the table
 * audit.
 *
 * @packageDocumentation
 */

export {
  type AccessFault,
  type AccessOutcome,
  type AccessProbe,
  type AccessStep,
  type AccessUpdate,
  createAccessProbe,
} from './access.js';
export { type Audit, type Problem, type ProblemKind, type Tally, auditTables } from './audit.js';
export { main } from './cli.js';
export type { Io, OutStream } from './context.js';
export { BOARDS, type Board, type Demo, type DemoTable, KERNEL_VA, MMIO_VA, type MmioWindow, type Probe, buildDemo } from './demo-layout.js';
export { CliError, EXIT_FAILURE, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE } from './errors.js';
export { FileMemory, type FileMemoryOptions } from './file-memory.js';
export { type ImageSpec, type OpenedImage, openImage } from './image.js';
export { A64_UPPER, type MappingRow, displayVa, flagNames, mappingRows, pageSizeName } from './mappings.js';
export type { MmuRequest, RegisterValues } from './mmu-options.js';
export { ARCH_CHOICES, type ArchName, MODES, type Mode, resolveMode } from './modes.js';
export { type StepKind, type StopReason, type Translation, type WalkStep, isCanonical, translateVa } from './translate.js';
