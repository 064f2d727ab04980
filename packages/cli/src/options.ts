/**
 * Command-line parsing on `node:util`'s `parseArgs`, with its errors turned
 * into one-line usage errors, and the options the image commands share.
 *
 * @module
 */

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { usageError } from './errors.js';
import type { ImageSpec } from './image.js';
import { type Mode, resolveMode } from './modes.js';
import { parseU64 } from './numbers.js';
import { MAIR_OPTION, ROOT_OPTIONS, type TableSpec, a64LeafFlags, mairTypes, rootsOption } from './roots.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed options: strings and booleans by name, and the positionals. */
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
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
      if (/ambiguous/.test(message)) return `option ${name} needs a value; write a value that starts with '-' as ${name}=-… ${help}`;
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
  image: { type: 'string' },
  'ram-base': { type: 'string' },
  'cache-frames': { type: 'string' },
  'max-entries': { type: 'string' },
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

/** The image, base and tables of an image command, and how to read leaf flags. */
export interface ImageArgs {
  /** The mode of the first table (every table's, but for two AArch64 TTBRs of different VA sizes). */
  mode: Mode;
  /** The image file and where it sits. */
  spec: ImageSpec;
  /** The tables to walk, in VA order. */
  tables: readonly TableSpec[];
  /** Whether the first table is an AArch64 TTBR1 one. */
  upper: boolean;
  /** What gave the roots (`--root`, `--cr3 0x…`, …). */
  rootDetail: string;
  /** Leaf flags as the guest's registers define them (AArch64 memory types from MAIR), or undefined. */
  leafFlags: ((entry: bigint, flags: number) => number) | undefined;
  /** Notes for stderr. */
  notes: readonly string[];
  /** `--max-entries`: the walk's budget of present entries, or undefined for the walker's default. */
  maxEntries: number | undefined;
  /** `--json`. */
  json: boolean;
}

/** Reads and checks the shared options of `dump`, `translate`, `stats` and `find-pa`. */
export function imageArgs(p: Parsed, command: string): ImageArgs {
  const given = modeOption(p, command, false);
  const file = str(p, 'image');
  if (file === undefined || file === '') throw usageError(`ptm ${command} needs --image FILE (see ptm ${command} --help)`);
  const roots = rootsOption(p, command, given);
  const mode = roots.tables[0].mode;
  const baseText = str(p, 'ram-base');
  const ramBase = baseText === undefined ? 0n : parseU64(baseText, '--ram-base');
  const cacheFrames = intOption(p, 'cache-frames', 1 << 20);
  const notes = [...roots.notes];
  const mairText = str(p, 'mair');
  let leafFlags: ImageArgs['leafFlags'];
  if (mode.arch === 'aarch64') {
    if (mairText === undefined) {
      notes.push('no --mair: AArch64 memory types (DEVICE, UNCACHED) are not shown; give MAIR_EL1 to see them');
      leafFlags = (entry, flags) => a64LeafFlags(NORMAL_ONLY, entry, flags);
    } else {
      const types = mairTypes(parseU64(mairText, '--mair'));
      leafFlags = (entry, flags) => a64LeafFlags(types, entry, flags);
    }
  } else if (mairText !== undefined && command !== 'translate') {
    throw usageError(`--mair is an AArch64 register; ${mode.id} has no MAIR`);
  }
  return {
    mode,
    spec: { file, ramBase, roots: roots.tables.map((t) => t.root), cacheFrames },
    tables: roots.tables,
    upper: roots.tables[0].upper,
    rootDetail: roots.detail,
    leafFlags,
    notes,
    maxEntries: intOption(p, 'max-entries', Number.MAX_SAFE_INTEGER),
    json: flag(p, 'json'),
  };
}

/** Memory types without a MAIR: every slot read as cacheable Normal memory (no DEVICE, no UNCACHED). */
const NORMAL_ONLY: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0];
