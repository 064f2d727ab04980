/**
 * `@page-table/memory-addr`: exact 64-bit physical and virtual addresses,
 * alignment, arithmetic, ranges and page iteration, after Rust's `memory_addr` 0.4.1.
 *
 * @module
 */

export * from './addr.js';
export * from './align.js';
export * from './arith.js';
export * from './constants.js';
export * from './format.js';
export * from './iter.js';
export * from './range.js';
