/**
 * Opening what a user hands `ptm` — a raw RAM image, several raw regions
 * (`FILE@PA`), a QEMU ELF or kdump core, a LiME image — as physical memory
 * in regions, finding the root (the options, else the core's x86 QEMU
 * register note, else its VMCOREINFO), and adopting the page tables: every
 * check that turns bad input into one clear message happens here, before the
 * walker sees anything.
 *
 * @module
 */

import { A64_VA_BITS, type A64VaBits } from '@page-table/arch-aarch64';
import { isPagingError, type PageTable64 } from '@page-table/core';
import {
  type CpuState,
  DumpError,
  type DumpFormat,
  type DumpMachine,
  type DumpRegion,
  detectFormat,
  FrameMemory,
  kernelRoot,
  type OpenedDump,
  openDump,
  openRawImages,
  type RawImage,
  type VmcoreInfo,
} from '@page-table/dump';
import { CliError, fsReason, usageError } from './errors.js';
import { FileSource, SpecialFileError } from './file-source.js';
import type { LiveInput } from './gdb.js';
import { aarch64Mode, type Mode, resolveMode } from './modes.js';
import { formatBytes, hex } from './numbers.js';
import { type ImageArgs, type ResolvedTables, resolveTables } from './options.js';
import type { TableSpec } from './roots.js';

const FRAME = 4096n;
/** CR3 bits 51:12. */
const CR3_ROOT = 0x000f_ffff_ffff_f000n;

/** One `--image` argument: a path, and for a raw region the PA of its first byte. */
export interface ImageFile {
  /** The file. */
  path: string;
  /** `FILE@PA`: the PA of a raw region's first byte. */
  at: bigint | undefined;
}

/** The inputs and where raw ones sit. */
export interface ImageSpec {
  /** The `--image` files (one of any format, or several raw regions). */
  files: readonly ImageFile[];
  /** PA of a single raw image's first byte (`--ram-base`). */
  ramBase: bigint;
  /** Frames to cache (default 1024). */
  cacheFrames?: number;
}

/** One adopted table. */
export interface OpenedTable {
  /** The adopted page table (read-only use). */
  pt: PageTable64;
  /** Its mode. */
  mode: Mode;
  /** Its root's PA. */
  root: bigint;
  /** AArch64: a TTBR1 table. */
  upper: boolean;
}

/** What the input is, for the header line and the JSON `input`. */
export interface InputInfo {
  /** The files, as given. */
  file: string;
  /** The format detected (or raw), or `gdb` for a live guest. */
  format: DumpFormat | 'gdb';
  /** One line: `ELF64 core (EM_X86_64, 3 PT_LOAD)`, `raw image (…)`. */
  description: string;
  /** The machine the core names, if any. */
  machine: DumpMachine | undefined;
  /** The PA ranges it covers. */
  regions: readonly DumpRegion[];
}

/** An input opened and its tables adopted, read-only. */
export interface OpenedImage extends ResolvedTables {
  /** The frame cache over the input (close the image when done). */
  memory: FrameMemory;
  /** What the input is. */
  input: InputInfo;
  /** The adopted tables, in VA order. */
  opened: readonly OpenedTable[];
  /** The first table's PA. */
  root: bigint;
  /** Whether the first table is an AArch64 TTBR1 one. */
  upper: boolean;
  /** Closes the files. */
  close(): void;
}

/**
 * Opens the inputs of `args`, finds the tables and adopts them. Throws a
 * {@link CliError}: a usage error for an unaligned base or root or a missing
 * root, a data error for a missing, unreadable or special file, a file that
 * is not a core (an ELF executable), a truncated core, a core whose CPU was
 * not in long mode, one shorter than a frame, or a root outside the input.
 */
export function openImage(args: ImageArgs, onRead?: (framesRead: number) => void, live?: LiveInput): OpenedImage {
  if (live !== undefined) return openLive(args, live, onRead);
  const { files, ramBase } = args.spec;
  if (ramBase % FRAME !== 0n) throw usageError(`--ram-base ${hex(ramBase)} is not 4 KiB aligned`);
  for (const f of files)
    if (f.at !== undefined && f.at % FRAME !== 0n)
      throw usageError(`--image ${f.path}@${hex(f.at)}: the PA is not 4 KiB aligned`);
  const sources: FileSource[] = [];
  const close = () => {
    for (const s of sources) s.close();
  };
  try {
    for (const f of files) {
      try {
        sources.push(new FileSource(f.path));
      } catch (e) {
        throw new CliError(`cannot read image ${f.path}: ${e instanceof SpecialFileError ? e.message : fsReason(e)}`);
      }
    }
    const dump = openInputs(files, sources, ramBase);
    const memory = new FrameMemory(dump.frames, { cacheFrames: args.spec.cacheFrames, onRead });
    const input: InputInfo = {
      file: files.map((f) => (f.at === undefined ? f.path : `${f.path}@${hex(f.at)}`)).join(', '),
      format: dump.format,
      description: dump.description,
      machine: dump.machine,
      regions: dump.regions,
    };
    const resolved = resolveTables(args, (given) => rootFromDump(args, dump, given), modeOfMachine(dump));
    const opened: OpenedTable[] = [];
    for (const t of resolved.tables) opened.push(adopt(memory, dump, t));
    const notes = [
      ...dump.warnings,
      ...resolved.notes,
      ...(dump.format === 'raw' ? partialFrameNotes(files, sources) : []),
    ];
    return { ...resolved, notes, memory, input, opened, root: opened[0].root, upper: opened[0].upper, close };
  } catch (e) {
    close();
    throw e;
  }
}

/** A live guest: its frames as fetched so far; the roots from the registers the gdb layer turned into options. */
function openLive(args: ImageArgs, live: LiveInput, onRead: ((framesRead: number) => void) | undefined): OpenedImage {
  const dump: OpenedDump = {
    format: 'raw',
    description: live.description,
    machine: undefined,
    frames: live.frames,
    regions: [],
    cpus: [],
    vmcoreinfo: undefined,
    warnings: [],
  };
  const memory = new FrameMemory(live.frames, { cacheFrames: args.spec.cacheFrames, onRead });
  const input: InputInfo = {
    file: live.description,
    format: 'gdb',
    description: live.description,
    machine: undefined,
    regions: [],
  };
  const resolved = resolveTables(args, () => rootFromDump(args, dump, undefined), undefined);
  const opened = resolved.tables.map((t) => adopt(memory, dump, t));
  return {
    ...resolved,
    source: 'gdb',
    memory,
    input,
    opened,
    root: opened[0].root,
    upper: opened[0].upper,
    close: () => {},
  };
}

function openInputs(files: readonly ImageFile[], sources: readonly FileSource[], ramBase: bigint): OpenedDump {
  if (files.length === 1 && files[0].at === undefined) {
    const src = sources[0];
    if (src.size < 4096)
      throw new CliError(`image ${files[0].path} is ${src.size} bytes, shorter than one 4 KiB frame`);
    try {
      const dump = openDump(src, { rawBase: ramBase });
      if (dump.format !== 'raw' && ramBase !== 0n)
        throw usageError(`--ram-base is for raw images; ${files[0].path} is a ${dump.description}`);
      if (dump.format !== 'raw') return dump;
      const size = BigInt(src.size - (src.size % 4096));
      return rawImages([{ source: src, paddr: ramBase }], `raw RAM image, ${formatBytes(size)} at ${hex(ramBase)}`);
    } catch (e) {
      if (e instanceof DumpError) throw new CliError(`cannot read ${files[0].path}: ${e.message}`);
      throw e;
    }
  }
  // Several raw regions (QEMU pmemsave files, RamHandler.bytes of each bank).
  const images = files.map((f, i) => {
    const src = sources[i];
    let format: DumpFormat | 'not-a-core' = 'raw';
    try {
      format = detectFormat(src);
    } catch {
      format = 'not-a-core';
    }
    if (format !== 'raw')
      throw usageError(
        `--image ${f.path}@PA is for raw regions; ${f.path} is ${format === 'not-a-core' ? 'an ELF file' : `a ${format} dump`} (give it alone, without @PA)`,
      );
    if (src.size < 4096) throw new CliError(`image ${f.path} is ${src.size} bytes, shorter than one 4 KiB frame`);
    return { source: src, paddr: f.at ?? 0n };
  });
  const parts = images.map((i) => `${formatBytes(BigInt(i.source.size - (i.source.size % 4096)))} at ${hex(i.paddr)}`);
  try {
    return rawImages(images, `${files.length} raw regions (${parts.join(', ')})`);
  } catch (e) {
    if (e instanceof DumpError) throw new CliError(`cannot read the raw regions: ${e.message}`);
    throw e;
  }
}

/** Raw images as whole frames (a trailing partial frame is ignored, with a note), described for people. */
function rawImages(images: readonly RawImage[], description: string): OpenedDump {
  return { ...openRawImages(images, { wholeFrames: true }), description };
}

function partialFrameNotes(files: readonly ImageFile[], sources: readonly FileSource[]): string[] {
  const notes: string[] = [];
  files.forEach((f, i) => {
    const rest = sources[i].size % 4096;
    if (rest !== 0) {
      notes.push(`image ${f.path} ends with ${rest} bytes of a partial frame; they are ignored`);
    }
  });
  return notes;
}

/** The mode a core's machine implies, when it names one with a single mode. */
function modeOfMachine(dump: OpenedDump): Mode | undefined {
  switch (dump.machine) {
    case 'x86_64': {
      const cr4 = dump.cpus[0]?.registers.get('cr4');
      return resolveMode('x86_64', cr4 !== undefined && (cr4 & (1n << 12n)) !== 0n ? 5 : 4);
    }
    case 'aarch64':
      return resolveMode('aarch64');
    case 'loongarch64':
      return resolveMode('loongarch64');
    default:
      return undefined;
  }
}

/** The root from the core: the x86 QEMU note of CPU `args.cpu`, else VMCOREINFO; else a usage error. */
function rootFromDump(
  args: ImageArgs,
  dump: OpenedDump,
  given: Mode | undefined,
): Omit<ResolvedTables, 'leafFlags' | 'notes'> {
  const needs = `ptm ${args.command} needs --root PA (or --cr3, --satp, --ttbr0/--ttbr1)`;
  if (dump.format === 'raw') throw usageError(`${needs} (see ptm ${args.command} --help)`);
  if (dump.cpus.length > 0 && args.cpu >= dump.cpus.length) {
    throw usageError(
      `--cpu ${args.cpu}: the core has ${dump.cpus.length} ${dump.cpus.length === 1 ? 'CPU (0)' : `CPUs (0..${dump.cpus.length - 1})`}`,
    );
  }
  const cpu: CpuState | undefined = dump.cpus[args.cpu];
  const cr3 = cpu?.registers.get('cr3');
  if (cr3 !== undefined && (dump.machine === 'x86_64' || dump.machine === 'i386'))
    return x86FromNote(dump, cpu as CpuState, cr3, given);
  const info: VmcoreInfo | undefined = dump.vmcoreinfo;
  const k = info === undefined ? undefined : kernelRoot(info, dump.machine);
  if (k !== undefined) return fromVmcoreinfo(dump, k, given);
  throw usageError(
    `${needs}: the ${dump.description} carries no register note with the root${info === undefined ? ' and no VMCOREINFO' : ' and its VMCOREINFO lacks the symbols for one'}`,
  );
}

function x86FromNote(
  dump: OpenedDump,
  cpu: CpuState,
  cr3: bigint,
  given: Mode | undefined,
): Omit<ResolvedTables, 'leafFlags' | 'notes'> {
  const cr0 = cpu.registers.get('cr0') ?? 0n;
  const cr4 = cpu.registers.get('cr4') ?? 0n;
  const regs = `CR0 ${hex(cr0)}, CR3 ${hex(cr3)}, CR4 ${hex(cr4)}`;
  if ((cr0 & (1n << 31n)) === 0n)
    throw new CliError(`CPU ${cpu.index} of the core had paging off (CR0.PG = 0; ${regs}): no page table is in use`);
  if (dump.machine === 'i386') {
    throw new CliError(
      `the core is an ${dump.description}: CPU ${cpu.index} was not in long mode (EFER.LMA = 0; ${regs}); ptm walks x86_64 4- and 5-level tables (give --arch and --root to read them anyway)`,
    );
  }
  const levels = (cr4 & (1n << 12n)) !== 0n ? 5 : 4;
  if (given !== undefined && (given.arch !== 'x86_64' || given.levels !== levels)) {
    throw usageError(
      `the core's CPU ${cpu.index} uses x86_64 ${levels}-level paging (CR4.LA57 = ${levels === 5 ? 1 : 0}); --arch/--levels say ${given.id}`,
    );
  }
  const mode = resolveMode('x86_64', levels);
  const root = cr3 & CR3_ROOT;
  return {
    mode,
    tables: [{ mode, root, upper: false }],
    source: 'qemu-note',
    detail: `CPU ${cpu.index} of ${dump.cpus.length}: ${regs}${root === cr3 ? '' : ' (PCID/flags masked)'}`,
  };
}

function fromVmcoreinfo(
  dump: OpenedDump,
  k: { root: bigint; how: string; vaBits?: number },
  given: Mode | undefined,
): Omit<ResolvedTables, 'leafFlags' | 'notes'> {
  let mode: Mode;
  let upper = false;
  switch (dump.machine) {
    case 'x86_64':
      mode = resolveMode('x86_64', k.vaBits === 57 ? 5 : 4);
      break;
    case 'aarch64':
      // swapper_pg_dir is the kernel's TTBR1 table.
      upper = true;
      if (k.vaBits === undefined) mode = resolveMode('aarch64');
      else if (k.vaBits >= A64_VA_BITS.min && k.vaBits <= A64_VA_BITS.max) mode = aarch64Mode(k.vaBits as A64VaBits);
      else
        throw new CliError(
          `the kernel uses ${k.vaBits}-bit VAs (VMCOREINFO); ptm walks 36- to 48-bit AArch64 tables with a 4 KiB granule`,
        );
      break;
    case 'riscv64':
      mode = resolveMode(k.vaBits === 57 ? 'riscv-sv57' : k.vaBits === 48 ? 'riscv-sv48' : 'riscv-sv39');
      break;
    default:
      throw new CliError(
        `VMCOREINFO gives a root, but ptm has no paging mode for a ${dump.machine ?? 'unknown'} guest; give --arch and --root`,
      );
  }
  if (given !== undefined) {
    if (given.arch !== mode.arch) throw usageError(`the core is an ${dump.machine} guest's; --arch says ${given.id}`);
    mode = given;
  }
  return { mode, tables: [{ mode, root: k.root, upper }], source: 'vmcoreinfo', detail: k.how };
}

function adopt(memory: FrameMemory, dump: OpenedDump, t: TableSpec): OpenedTable {
  if (t.root % FRAME !== 0n)
    throw usageError(`root ${hex(t.root)} is not 4 KiB aligned (a root table fills one frame)`);
  if (t.root >= 1n << 52n || memory.frameWord(Number(t.root >> 12n)) < 0) {
    if (dump.regions.length === 0)
      throw new CliError(`root ${hex(t.root)}: the guest has no memory there (${dump.description} returned none)`);
    const where = dump.regions.map((r) => `${hex(r.paddr)}..${hex(r.paddr + r.size)}`).join(', ');
    const total = dump.regions.reduce((n, r) => n + r.size, 0n);
    throw new CliError(`root ${hex(t.root)} is outside the image (${where}, ${formatBytes(total)})`);
  }
  try {
    return { pt: t.mode.fromRoot(memory, t.root), mode: t.mode, root: t.root, upper: t.upper };
  } catch (e) {
    if (isPagingError(e)) throw new CliError(`cannot adopt the root table at ${hex(t.root)}: ${e.message}`);
    throw e;
  }
}
