/**
 * `@page-table/core`: the contracts (`GenericPTE`, `PagingMetaData`,
 * `PagingHandler`), `MappingFlags`, `PageSize`, `PagingError`, the generic
 * walker `PageTable64` and physical-memory backends.
 *
 * @packageDocumentation
 */
export * from './error.js';
export * from './flags.js';
export * from './frame-allocator.js';
export * from './handler.js';
export {
  DEFAULT_MAX_ENTRIES,
  type EnumerateOptions,
  type Mapping,
  type TableAlias,
  type TableReach,
  WalkBudgetError,
  type WalkEntry,
} from './mappings.js';
export * from './metadata.js';
export * from './mmu.js';
export * from './page-size.js';
export * from './pte.js';
export * from './ram.js';
export * from './soft-tlb.js';
export * from './sparse.js';
export * from './tlb.js';
export * from './walker.js';
