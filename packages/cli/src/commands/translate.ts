/**
 * `ptm translate`: VAs walked through the tables of a RAM image, entry by
 * entry.
 *
 * @module
 */

import { shortFlags } from '@page-table/core';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { flagNames, pageSizeName, permPaint } from '../mappings.js';
import { hex, hexPad, parseU64 } from '../numbers.js';
import { IMAGE_OPTIONS, imageArgs, parse } from '../options.js';
import { renderTable } from '../table.js';
import { type Translation, type WalkStep, translateVa } from '../translate.js';
import { headerLine, jsonEnvelope, jsonText, withImage } from './common.js';

/** Runs `ptm translate` with the arguments after the command name; returns the exit status. */
export function translateCommand(ctx: Context, argv: readonly string[]): number {
  const p = parse('translate', argv, IMAGE_OPTIONS, true);
  const args = imageArgs(p, 'translate');
  if (p.positionals.length === 0) throw usageError('ptm translate needs at least one VA (see ptm translate --help)');
  const vas = p.positionals.map((t) => parseU64(t, 'VA'));
  return withImage(ctx, args, 'translating', (img) => {
    const results = vas.map((va) => translateVa(args.mode, img.memory, img.root, va));
    if (args.json) {
      ctx.print(jsonText({ ...jsonEnvelope('translate', args, img), translations: results.map(translationJson) }));
      return 0;
    }
    const lines = [headerLine(ctx, args, img)];
    for (const t of results) lines.push('', ...translationLines(ctx, t));
    ctx.print(lines);
    return 0;
  });
}

/** The JSON form of one translation (schema in the README). */
export function translationJson(t: Translation): Record<string, unknown> {
  return {
    va: hex(t.va),
    mapped: t.result !== undefined,
    pa: t.result ? hex(t.result.pa) : null,
    flags: t.result ? flagNames(t.result.flags) : null,
    pageSize: t.result ? pageSizeName(t.result.pageSize) : null,
    walk: t.steps.map(stepJson),
    stop: t.stop ?? null,
  };
}

function stepJson(s: WalkStep): Record<string, unknown> {
  return {
    level: s.level,
    table: s.table,
    index: s.index,
    tablePa: hex(s.tablePa),
    entryPa: hex(s.entryPa),
    entry: hex(s.entry),
    kind: s.kind,
    target: s.target === undefined ? null : hex(s.target),
  };
}

/** The human form: a result line, then one row per entry read. */
function translationLines(ctx: Context, t: Translation): string[] {
  const { style } = ctx;
  const head = `VA ${style.bold(hex(t.va))} ${style.dim('→')} `;
  const lines: string[] = [];
  if (t.result) {
    const r = t.result;
    lines.push(
      `${head}PA ${style.bold(hex(r.pa))}  ${permPaint(style)(shortFlags(r.flags))}  ${flagNames(r.flags).join('|')}  ${pageSizeName(r.pageSize)} ${r.level === 0 ? 'page' : 'block'}`,
    );
  } else {
    lines.push(`${head}${style.red('not mapped')}: ${t.stop?.message ?? 'unknown'}`);
  }
  if (t.steps.length === 0) return lines;
  const rows = t.steps.map((s) => [s.table, String(s.index), hex(s.entryPa), hexPad(s.entry, 16), stepMeaning(s)]);
  const kindPaint = (text: string) =>
    text.startsWith('not present') || text.startsWith('reserved') ? style.red(text) : text;
  lines.push(
    ...renderTable(
      [
        { header: 'table' },
        { header: 'index', align: 'right' },
        { header: 'entry at' },
        { header: 'entry' },
        { header: 'meaning', paint: kindPaint },
      ],
      rows,
      style.dim,
    ),
  );
  return lines;
}

function stepMeaning(s: WalkStep): string {
  switch (s.kind) {
    case 'table':
      return `table → ${hex(s.target ?? 0n)}`;
    case 'leaf':
      return `${s.level === 0 ? '4K page' : s.level === 1 ? '2M block' : '1G block'} at ${hex(s.target ?? 0n)}`;
    case 'invalid':
      return 'not present';
    case 'reserved':
      return 'reserved here';
  }
}
