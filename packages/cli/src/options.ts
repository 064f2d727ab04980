/**
 * Command-line parsing on `node:util`'s `parseArgs`, with its errors turned
 * into one-line usage errors, and the options the image commands share.
 *
 * @module
 */

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { usageError } from './errors.js';
import type { ImageFile, ImageSpec } from './image.js';
import { type Mode, resolveMode } from './modes.js';
import { parseU64 } from './numbers.js';
import { a64LeafFlags, MAIR_OPTION, mairTypes, ROOT_OPTIONS, rootsOption, type TableSpec } from './roots.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed options: strings and booleans by name, and the positionals. */
export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** `parseArgs` in strict mode; its errors become usage errors naming the command. */
export function parse(command: string, args: readonly string[], options: Options, positionals = false): Parsed {
  try {
    const r = parseArgs({ args: [...args], options, allowPositionals: positionals, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    throw usageError(describeParseError(command, e));
  }
}

function describeParseError(command: string, e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const message = e instanceof Error ? e.message : String(e);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const help = `(see ptm ${command} --help)`;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${quoted}' for ptm ${command} ${help}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = quoted.split(' ')[0];
      if (/argument missing/.test(message)) return `option ${name} needs a value ${help}`;
      // `--cpl -1`: a value that starts with a dash reads as an option.
      if (/ambiguous/.test(message))
        return `option ${name} needs a value; write a value that starts with '-' as ${name}=-… ${help}`;
      return `option ${name} takes no value ${help}`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted}' for ptm ${command} ${help}`;
    default:
      return `${message.split('\n')[0]} ${help}`;
  }
}

/** `--arch` and `--levels`, shared by every command. */
export const MODE_OPTIONS = {
  arch: { type: 'string' },
  levels: { type: 'string' },
} as const satisfies Options;

/** The options of `dump`, `translate`, `stats` and `find-pa`. */
export const IMAGE_OPTIONS = {
  ...MODE_OPTIONS,
  ...ROOT_OPTIONS,
  ...MAIR_OPTION,
  image: { type: 'string', multiple: true },
  'ram-base': { type: 'string' },
  'cache-frames': { type: 'string' },
  'max-entries': { type: 'string' },
  cpu: { type: 'string' },
  gdb: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** A string option's value, or undefined. */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A boolean option's value. */
export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** A small positive integer option (`--levels`, `--cache-frames`), or undefined when absent. */
export function intOption(p: Parsed, name: string, max: number): number | undefined {
  const text = str(p, name);
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw usageError(`--${name}: '${text}' is not a whole number from 1 to ${max}`);
  }
  return Number(text);
}

/** The mode `--arch` / `--levels` select; `--arch` is required when `required`. */
export function modeOption(p: Parsed, command: string, required: true): Mode;
export function modeOption(p: Parsed, command: string, required: false): Mode | undefined;
export function modeOption(p: Parsed, command: string, required: boolean): Mode | undefined {
  const arch = str(p, 'arch');
  const levels = intOption(p, 'levels', 5);
  if (arch === undefined) {
    if (required) throw usageError(`ptm ${command} needs --arch (see ptm ${command} --help)`);
    if (levels !== undefined) throw usageError('--levels needs --arch');
    return undefined;
  }
  return resolveMode(arch, levels);
}

/** What the command line of an image command says; the input itself fills in the rest (`resolveTables`). */
export interface ImageArgs {
  /** The parsed options (the root options are read once the input is open). */
  parsed: Parsed;
  /** The command's name, for messages. */
  command: string;
  /** The mode `--arch`/`--levels` chose, or undefined (then the registers or the core say it). */
  givenMode: Mode | undefined;
  /** The inputs and where raw ones sit. */
  spec: ImageSpec;
  /** `--cpu N`: whose registers give the root in a core (default 0). */
  cpu: number;
  /** `--max-entries`: the walk's budget of present entries, or undefined for the walker's default. */
  maxEntries: number | undefined;
  /** `--json`. */
  json: boolean;
}

/** Whether any option that gives a root was given. */
export function hasRootOption(p: Parsed): boolean {
  return ['root', 'cr3', 'satp', 'ttbr0', 'ttbr1'].some((n) => str(p, n) !== undefined);
}

/** Reads and checks the shared options of `dump`, `translate`, `stats` and `find-pa`. */
export function imageArgs(p: Parsed, command: string, live = false): ImageArgs {
  const givenMode = modeOption(p, command, false);
  const images = p.values.image;
  const texts = Array.isArray(images) ? images : typeof images === 'string' ? [images] : [];
  if (!live && (texts.length === 0 || texts.some((t) => t === ''))) {
    throw usageError(`ptm ${command} needs --image FILE or --gdb HOST:PORT (see ptm ${command} --help)`);
  }
  const files = texts.map(imageFile);
  if (files.length > 1 && files.some((f) => f.at === undefined)) {
    throw usageError('several --image files are raw RAM regions: give each one as FILE@PA (the PA of its first byte)');
  }
  const baseText = str(p, 'ram-base');
  const ramBase = baseText === undefined ? 0n : parseU64(baseText, '--ram-base');
  if (baseText !== undefined && files.some((f) => f.at !== undefined))
    throw usageError('--ram-base and FILE@PA both place a raw image: use one of them');
  const cacheFrames = intOption(p, 'cache-frames', 1 << 20);
  const cpuText = str(p, 'cpu');
  if (cpuText !== undefined && !/^[0-9]+$/.test(cpuText))
    throw usageError(`--cpu: '${cpuText}' is not a CPU number (0, 1, ...)`);
  return {
    parsed: p,
    command,
    givenMode,
    spec: { files, ramBase, cacheFrames },
    cpu: cpuText === undefined ? 0 : Number(cpuText),
    maxEntries: intOption(p, 'max-entries', Number.MAX_SAFE_INTEGER),
    json: flag(p, 'json'),
  };
}

/** `FILE` or `FILE@PA` (a raw region at PA); a path that merely contains `@` stays whole. */
function imageFile(text: string): ImageFile {
  const at = text.lastIndexOf('@');
  if (at > 0 && /^(0x[0-9a-f_]+|[0-9_]+)$/i.test(text.slice(at + 1))) {
    return { path: text.slice(0, at), at: parseU64(text.slice(at + 1), `--image ${text}`) };
  }
  return { path: text, at: undefined };
}

/** The tables, their mode and how to read their leaves, once the input is open. */
export interface ResolvedTables {
  /** The mode of the first table. */
  mode: Mode;
  /** The tables to walk, in VA order. */
  tables: readonly TableSpec[];
  /** Where the roots came from. */
  source: 'option' | 'qemu-note' | 'vmcoreinfo' | 'gdb';
  /** How (`--cr3 0x…`, `CPU 0: CR3 …`, `SYMBOL(init_top_pgt)=…`). */
  detail: string;
  /** Leaf flags as the guest's registers define them (AArch64 memory types from MAIR), or undefined. */
  leafFlags: ((entry: bigint, flags: number) => number) | undefined;
  /** Notes for stderr. */
  notes: readonly string[];
}

/** Memory types without a MAIR: every slot read as cacheable Normal memory (no DEVICE, no UNCACHED). */
const NORMAL_ONLY: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * The tables of the command line given what the input says: explicit root
 * options win; else the core's registers or VMCOREINFO (`fromInput`), else
 * a usage error that names what is missing.
 */
export function resolveTables(
  args: ImageArgs,
  fromInput: (mode: Mode | undefined) => Omit<ResolvedTables, 'leafFlags' | 'notes'> & { notes?: readonly string[] },
  inputMode: Mode | undefined,
): ResolvedTables {
  const p = args.parsed;
  let base: Omit<ResolvedTables, 'leafFlags' | 'notes'>;
  const notes: string[] = [];
  if (hasRootOption(p)) {
    const roots = rootsOption(
      p,
      args.command,
      args.givenMode ?? (str(p, 'root') === undefined ? undefined : inputMode),
    );
    base = { mode: roots.tables[0].mode, tables: roots.tables, source: 'option', detail: roots.detail };
    notes.push(...roots.notes);
  } else {
    const r = fromInput(args.givenMode);
    base = r;
    notes.push(...(r.notes ?? []));
  }
  const mode = base.mode;
  const mairText = str(p, 'mair');
  let leafFlags: ResolvedTables['leafFlags'];
  if (mode.arch === 'aarch64') {
    if (mairText === undefined) {
      notes.push('no --mair: AArch64 memory types (DEVICE, UNCACHED) are not shown; give MAIR_EL1 to see them');
      leafFlags = (entry, flags) => a64LeafFlags(NORMAL_ONLY, entry, flags);
    } else {
      const types = mairTypes(parseU64(mairText, '--mair'));
      leafFlags = (entry, flags) => a64LeafFlags(types, entry, flags);
    }
  } else if (mairText !== undefined && args.command !== 'translate') {
    throw usageError(`--mair is an AArch64 register; ${mode.id} has no MAIR`);
  }
  return { ...base, leafFlags, notes };
}
