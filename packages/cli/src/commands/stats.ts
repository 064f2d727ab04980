/**
 * `ptm stats`: table frames per level, and leaves and bytes per page size and
 * per flag set.
 *
 * @module
 */

import { shortFlags } from '@page-table/core';
import type { Audit } from '../audit.js';
import type { Context } from '../context.js';
import { FILTER_OPTIONS, filterOption } from '../filter.js';
import { flagNames, pageSizeName, permPaint } from '../mappings.js';
import type { Mode } from '../modes.js';
import { formatBytes, formatBytesApprox, hex } from '../numbers.js';
import { IMAGE_OPTIONS, imageArgs, parse } from '../options.js';
import { renderTable } from '../table.js';
import {
  auditImage,
  budgetExit,
  HUMAN_PROBLEMS,
  headerLine,
  jsonHead,
  jsonText,
  ProblemLog,
  problemJson,
  problemLines,
  withImage,
} from './common.js';

/** Problems the stats JSON lists in full (it says how many there were in all). */
const JSON_PROBLEMS = 1000;

/** The options of `ptm stats`: the image's and the filter's. */
export const STATS_OPTIONS = { ...IMAGE_OPTIONS, ...FILTER_OPTIONS } as const;

/** Runs `ptm stats` with the arguments after the command name; returns the exit status. */
export function statsCommand(ctx: Context, argv: readonly string[]): number {
  const p = parse('stats', argv, STATS_OPTIONS);
  const args = imageArgs(p, 'stats', ctx.live !== undefined);
  const filter = filterOption(p);
  return withImage(ctx, args, 'counting', (img) => {
    const log = new ProblemLog(args.json ? JSON_PROBLEMS : HUMAN_PROBLEMS);
    const audit = auditImage(args, img, { problem: (x) => log.add(x) }, filter);
    if (args.json) {
      ctx.print(jsonText({ ...jsonHead('stats', img, filter), ...statsJson(img.mode, audit, log) }));
    } else {
      ctx.print([headerLine(ctx, img, filter), ...statsLines(ctx, img.mode, audit, log)]);
    }
    return budgetExit(ctx, args, audit.stopped);
  });
}

/** The `tables`, `mapped` and `problems` members of the stats JSON (`problemsTotal` counts those not listed too). */
function statsJson(mode: Mode, a: Audit, log: ProblemLog): Record<string, unknown> {
  const frames = a.tablesPerLevel.reduce((x, y) => x + y, 0);
  const byLevel = [];
  for (let level = mode.levels - 1; level >= 0; level--) {
    byLevel.push({ level, table: mode.tableNames[level], frames: a.tablesPerLevel[level] });
  }
  return {
    tables: { frames, bytes: hex(BigInt(frames) * 4096n), byLevel },
    mapped: {
      leaves: a.leaves,
      bytes: hex(a.mappedBytes),
      byPageSize: [...a.bySize].map(([size, t]) => ({
        pageSize: pageSizeName(size),
        leaves: t.leaves,
        bytes: hex(t.bytes),
      })),
      byFlags: [...a.byFlags].map(([flags, t]) => ({ flags: flagNames(flags), leaves: t.leaves, bytes: hex(t.bytes) })),
    },
    restrictedLeaves: a.restricted,
    problems: log.kept.map(problemJson),
    problemsTotal: log.count,
    complete: a.stopped === undefined,
  };
}

function statsLines(ctx: Context, mode: Mode, a: Audit, log: ProblemLog): string[] {
  const { style } = ctx;
  const head = (t: string) => style.bold(t);
  const frames = a.tablesPerLevel.reduce((x, y) => x + y, 0);
  const levelRows: string[][] = [];
  for (let level = mode.levels - 1; level >= 0; level--) {
    const n = a.tablesPerLevel[level];
    levelRows.push([String(level), mode.tableNames[level], String(n), formatBytes(BigInt(n) * 4096n)]);
  }
  levelRows.push(['', 'total', String(frames), formatBytes(BigInt(frames) * 4096n)]);
  const sizeRows = [...a.bySize].map(([size, t]) => [pageSizeName(size), String(t.leaves), formatBytesApprox(t.bytes)]);
  sizeRows.push(['total', String(a.leaves), formatBytesApprox(a.mappedBytes)]);
  const flagRows = [...a.byFlags].map(([flags, t]) => [
    shortFlags(flags),
    flagNames(flags).join('|') || 'none',
    String(t.leaves),
    formatBytesApprox(t.bytes),
  ]);
  return [
    '',
    head('Table frames per level'),
    ...renderTable(
      [
        { header: 'level', align: 'right' },
        { header: 'table' },
        { header: 'frames', align: 'right' },
        { header: 'bytes', align: 'right' },
      ],
      levelRows,
      style.dim,
    ),
    '',
    head('Mapped per page size'),
    ...renderTable(
      [{ header: 'page' }, { header: 'leaves', align: 'right' }, { header: 'bytes', align: 'right' }],
      sizeRows,
      style.dim,
    ),
    '',
    head('Mapped per flag set'),
    ...(flagRows.length === 0
      ? [style.dim('  (no mappings)')]
      : renderTable(
          [
            { header: 'perm', paint: permPaint(style) },
            { header: 'flags' },
            { header: 'leaves', align: 'right' },
            { header: 'bytes', align: 'right' },
          ],
          flagRows,
          style.dim,
        )),
    ...(a.restricted === 0
      ? []
      : [
          style.dim(
            `  flags are the effective ones: ${a.restricted} ${a.restricted === 1 ? 'leaf allows' : 'leaves allow'} ` +
              `less than ${a.restricted === 1 ? 'its' : 'their'} own bits say (a table entry above restricts it)`,
          ),
        ]),
    ...problemLines(ctx, log, a.problemKinds),
  ];
}
