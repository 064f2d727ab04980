/**
 * `ptm demo` (and plain `ptm`): a kernel-like layout built for every paging
 * mode, shown as its mapping table, a few translations and the frames its
 * tables take; optionally saved as RAM images that `ptm dump` reads back.
 *
 * @module
 */

import { writeFileSync } from 'node:fs';
import { format as formatPath, parse as parsePath } from 'node:path';
import { MAIR_VALUE } from '@page-table/arch-aarch64';
import { type MappingFlags, type PageSize, shortFlags } from '@page-table/core';
import type { Context } from '../context.js';
import { buildDemo, type Demo, type DemoTable, TABLE_POOL_OFFSET, TABLE_RAM_SIZE } from '../demo-layout.js';
import { CliError, fsReason, usageError } from '../errors.js';
import { flagNames, MappingTable, mappingJson, mappingRows, pageSizeName, permPaint } from '../mappings.js';
import { MODES, type Mode } from '../modes.js';
import { formatBytes, formatBytesApprox, hex } from '../numbers.js';
import { flag, MODE_OPTIONS, modeOption, parse, str } from '../options.js';
import { renderTable } from '../table.js';
import { JSON_SCHEMA, jsonText } from './common.js';

const DEMO_OPTIONS = {
  ...MODE_OPTIONS,
  json: { type: 'boolean' },
  'save-image': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A demo table's facts, computed once for both output forms. */
interface TableReport {
  table: DemoTable;
  root: bigint;
  register: string;
  rows: ReturnType<typeof mappingRows>;
  probes: Array<{ what: string; va: bigint; hit: { pa: bigint; flags: MappingFlags; pageSize: PageSize } | undefined }>;
}

/** A saved image and the commands that read its tables back. */
interface Saved {
  file: string;
  commands: string[];
}

/** Runs `ptm demo` with the arguments after the command name (or all of them); returns the exit status. */
export function demoCommand(ctx: Context, argv: readonly string[]): number {
  const p = parse('demo', argv, DEMO_OPTIONS);
  const one = modeOption(p, 'demo', false);
  const modes = one === undefined ? MODES : [one];
  const save = str(p, 'save-image');
  if (save === '') throw usageError('--save-image needs a file name');

  const reports = modes.map((mode) => {
    const demo = buildDemo(mode);
    const tables = demo.tables.map((t) => reportTable(mode, t));
    const saved = save === undefined ? undefined : saveImage(demo, tables, imagePath(save, mode, modes.length > 1));
    return { demo, tables, saved };
  });

  if (flag(p, 'json')) {
    ctx.print(
      jsonText({
        schema: JSON_SCHEMA,
        command: 'demo',
        modes: reports.map(({ demo, tables, saved }) => ({
          arch: demo.mode.arch,
          mode: demo.mode.id,
          title: demo.mode.meta.name,
          levels: demo.mode.levels,
          board: demo.board.name,
          ram: { base: hex(demo.ram.base), size: hex(demo.ram.size) },
          tableFrames: demo.ram.framesInUse,
          tables: tables.map((r) => ({
            label: r.table.label,
            root: hex(r.root),
            register: r.register,
            upper: r.table.upper,
            mappings: r.rows.map(mappingJson),
            translations: r.probes.map((t) => ({
              what: t.what,
              va: hex(t.va),
              mapped: t.hit !== undefined,
              pa: t.hit ? hex(t.hit.pa) : null,
              flags: t.hit ? flagNames(t.hit.flags) : null,
              pageSize: t.hit ? pageSizeName(t.hit.pageSize) : null,
            })),
          })),
          image: saved ?? null,
        })),
      }),
    );
    return 0;
  }

  const lines: string[] = [];
  for (const r of reports) {
    if (lines.length > 0) lines.push('');
    lines.push(...demoLines(ctx, r.demo, r.tables, r.saved));
  }
  ctx.print(lines);
  return 0;
}

function reportTable(mode: Mode, table: DemoTable): TableReport {
  const root = BigInt(table.pt.rootPaddr);
  return {
    table,
    root,
    register: mode.register(root, table.upper),
    rows: mappingRows(table.pt.mappings(), table.upper ? mode.upperBits : 0n),
    probes: table.probes.map(({ what, va }) => {
      const q = table.pt.query(va);
      return { what, va, hit: q && { pa: BigInt(q.paddr), flags: q.flags, pageSize: q.size } };
    }),
  };
}

/** `FILE` for one mode; with several, the mode's id before the extension (`demo.img` → `demo-x86_64.img`). */
export function imagePath(file: string, mode: Mode, several: boolean): string {
  if (!several) return file;
  const p = parsePath(file);
  return formatPath({ dir: p.dir, name: `${p.name}-${mode.id}`, ext: p.ext });
}

function saveImage(demo: Demo, tables: readonly TableReport[], file: string): Saved {
  try {
    writeFileSync(file, demo.ram.bytes);
  } catch (e) {
    throw new CliError(`cannot write image ${file}: ${fsReason(e)}`);
  }
  const commands = tables.map((t) =>
    [
      'ptm dump',
      ...demo.mode.args,
      '--image',
      shellQuote(file),
      '--ram-base',
      hex(demo.ram.base),
      '--root',
      hex(t.root),
      ...(t.table.upper ? ['--upper'] : []),
      ...(demo.mode.arch === 'aarch64' ? ['--mair', hex(MAIR_VALUE)] : []),
    ].join(' '),
  );
  return { file, commands };
}

/** `text` as one shell word: unchanged when safe, else single-quoted. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

function demoLines(ctx: Context, demo: Demo, tables: readonly TableReport[], saved: Saved | undefined): string[] {
  const { style } = ctx;
  const { mode, board, ram } = demo;
  const ramEnd = board.ramBase + board.ramSize;
  const title = ` ${mode.meta.name} `;
  const lines = [
    style.bold(style.cyan(`━━${title}${'━'.repeat(Math.max(4, 60 - title.length))}`)),
    `${style.dim('machine')} QEMU ${board.name} (${mode.id}), RAM ${hex(board.ramBase)}..${hex(ramEnd)} (${formatBytes(board.ramSize)})`,
  ];
  for (const t of tables) {
    lines.push('');
    const label = t.table.label === '' ? '' : `${style.bold(t.table.label)}  `;
    lines.push(`${label}${style.dim('root')} ${hex(t.root)}  ${style.dim('register')} ${t.register}`);
    lines.push(...MappingTable.fitting(style, t.rows).lines(t.rows));
    lines.push('');
    lines.push(...probeLines(ctx, t));
  }
  const pool = (TABLE_RAM_SIZE - TABLE_POOL_OFFSET) / 4096;
  const mapped = tables.reduce((sum, t) => sum + t.rows.reduce((s, r) => s + r.size, 0n), 0n);
  lines.push('');
  lines.push(
    `${style.dim('table frames')} ${ram.framesInUse} (${formatBytes(ram.framesInUse * 4096)}) of the ${pool}-frame pool at ` +
      `${hex(BigInt(ram.base) + BigInt(TABLE_POOL_OFFSET))}, mapping ${formatBytesApprox(mapped)}`,
  );
  if (demo.note !== undefined) lines.push(`${style.dim('note')} ${demo.note}`);
  if (saved !== undefined) {
    lines.push(
      `${style.dim('image')} ${saved.file} (${formatBytes(ram.size)} of RAM at ${hex(ram.base)}); read it back with:`,
    );
    for (const c of saved.commands) lines.push(`  ${style.green(c)}`);
  }
  return lines;
}

function probeLines(ctx: Context, t: TableReport): string[] {
  const { style } = ctx;
  const rows = t.probes.map((p) =>
    p.hit
      ? [p.what, hex(p.va), `→ ${hex(p.hit.pa)}`, shortFlags(p.hit.flags), pageSizeName(p.hit.pageSize)]
      : [p.what, hex(p.va), '→ not mapped', '', ''],
  );
  return renderTable(
    [
      { header: 'translation' },
      { header: 'VA', align: 'right' },
      { header: 'PA', paint: (x) => (x.endsWith('not mapped') ? style.red(x) : x) },
      { header: 'perm', paint: permPaint(style) },
      { header: 'page' },
    ],
    rows,
    style.bold,
  );
}
