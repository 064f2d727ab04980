/**
 * `@page-table/dump`: guest physical memory from what real machines produce
 * (QEMU ELF and kdump cores, LiME and raw images, a live gdbstub) as frames
 * for page-table walks, plus the registers and VMCOREINFO that locate the
 * tables. Runs in browsers and Node alike: input comes through
 * {@link ByteSource} and {@link GdbTransport}.
 *
 * @packageDocumentation
 */
export * from './byte-source.js';
export * from './cpu-state.js';
export { ET_CORE } from './elf.js';
export * from './error.js';
export * from './flattened.js';
export * from './frame-memory.js';
export * from './frame-source.js';
export * from './gdb/frame-source.js';
export * from './gdb/gdb-error.js';
export * from './gdb/remote.js';
export * from './gdb/target-xml.js';
export * from './kdump.js';
export * from './lime.js';
export * from './notes.js';
export * from './open.js';
export * from './opened-dump.js';
export * from './prefetch.js';
export * from './region-frames.js';
export * from './vmcoreinfo.js';
