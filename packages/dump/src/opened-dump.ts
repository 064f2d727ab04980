/**
 * What opening a dump gives: its memory as frames, its CPUs, its VMCOREINFO.
 *
 * @module
 */

import type { CpuState, DumpMachine } from './cpu-state.js';
import type { FrameSource } from './frame-source.js';
import { type MemoryRegion, RegionFrames } from './region-frames.js';
import type { VmcoreInfo } from './vmcoreinfo.js';

/** The formats {@link detectFormat} recognises. */
export type DumpFormat = 'raw' | 'elf64' | 'elf32' | 'kdump' | 'kdump-flattened' | 'lime';

/** One physical range a dump covers: `size` bytes from `paddr`, of which `stored` are in the file (the rest read as zero). */
export interface DumpRegion {
  /** Guest-physical address of the first byte. */
  readonly paddr: bigint;
  /** Bytes of physical address space covered. */
  readonly size: bigint;
  /** Bytes actually stored in the file. */
  readonly stored: bigint;
}

/** An opened dump: everything a page-table walk over it needs. */
export interface OpenedDump {
  /** The format read. */
  format: DumpFormat;
  /** One line for the user, e.g. `ELF64 core (EM_X86_64, 3 PT_LOAD, 1 CPU)`. */
  description: string;
  /** The machine, when the format says (raw and LiME images do not). */
  machine: DumpMachine | undefined;
  /** Physical memory: wrap it in a `FrameMemory` for the walker. */
  frames: FrameSource;
  /** The physical ranges covered, in address order for kdump and file order otherwise. */
  regions: readonly DumpRegion[];
  /** CPU registers from the dump's notes (empty when it has none). */
  cpus: readonly CpuState[];
  /** Linux's VMCOREINFO, when the dump carries it. */
  vmcoreinfo: VmcoreInfo | undefined;
  /** Things the user should know that did not stop the reader. */
  warnings: readonly string[];
}

/**
 * A dump that is only physical memory (raw and LiME images): its regions as
 * frames, no CPUs, no VMCOREINFO. Every byte of each region is stored.
 */
export function regionDump(format: 'raw' | 'lime', description: string, regions: readonly MemoryRegion[]): OpenedDump {
  return {
    format,
    description,
    machine: undefined,
    frames: new RegionFrames(regions),
    regions: regions.map((r) => ({ paddr: r.paddr, size: r.size, stored: r.size })),
    cpus: [],
    vmcoreinfo: undefined,
    warnings: [],
  };
}
