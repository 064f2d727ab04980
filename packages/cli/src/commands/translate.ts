/**
 * `ptm translate`: VAs walked through the tables of a RAM image, entry by
 * entry; with `--access` (or any privilege or register option), each access
 * checked by the arch's emulator MMU, with the fault it would take.
 *
 * @module
 */

import { shortFlags } from '@page-table/core';
import { type AccessOutcome, type AccessProbe, accessName, createAccessProbe, sizeName } from '../access.js';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import type { OpenedTable } from '../image.js';
import { flagNames, pageSizeName, permPaint } from '../mappings.js';
import { MMU_OPTIONS, mmuRequest } from '../mmu-options.js';
import { hex, hexPad, parseU64 } from '../numbers.js';
import { IMAGE_OPTIONS, imageArgs, parse } from '../options.js';
import { renderTable } from '../table.js';
import { type Translation, translateVa, type WalkStep } from '../translate.js';
import { headerLine, jsonEnvelope, jsonText, withImage } from './common.js';

/** The options of `ptm translate`: the image's, and the MMU's. */
export const TRANSLATE_OPTIONS = { ...IMAGE_OPTIONS, ...MMU_OPTIONS } as const;

/** Runs `ptm translate` with the arguments after the command name; returns the exit status. */
export function translateCommand(ctx: Context, argv: readonly string[]): number {
  const p = parse('translate', argv, TRANSLATE_OPTIONS, true);
  const args = imageArgs(p, 'translate', ctx.live !== undefined);
  return withImage(ctx, args, 'translating', (img) => {
    if (p.positionals.length === 0) throw usageError('ptm translate needs at least one VA (see ptm translate --help)');
    const vas = p.positionals.map((t) => parseU64(t, 'VA'));
    const request = mmuRequest(p, img.mode.arch);
    // With both AArch64 TTBRs, VA bit 55 picks the table, as the MMU does.
    const tableOf = (va: bigint) => img.opened.find((t) => t.upper === (((va >> 55n) & 1n) === 1n)) ?? img.opened[0];
    const results = vas.map((va) => {
      const t = tableOf(va);
      return withLeafFlags(translateVa(t.mode, img.memory, t.root, va), img.leafFlags);
    });
    const probes = new Map<OpenedTable, AccessProbe>();
    const probeOf = (t: OpenedTable): AccessProbe => {
      let p = probes.get(t);
      if (p === undefined && request !== undefined) {
        p = createAccessProbe(t.mode, img.memory, t.root, t.upper, request);
        probes.set(t, p);
      }
      return p as AccessProbe;
    };
    const probe = request === undefined ? undefined : probeOf(img.opened[0]);
    const outcomes = request === undefined ? undefined : vas.map((va) => probeOf(tableOf(va)).run(va));
    if (args.json) {
      ctx.print(
        jsonText({
          ...jsonEnvelope('translate', img),
          mmu: probe === undefined ? null : mmuJson(probe),
          translations: results.map((t, i) => ({
            ...translationJson(t),
            access: outcomes === undefined ? null : accessJson(outcomes[i]),
          })),
        }),
      );
      return 0;
    }
    const lines = [headerLine(ctx, img)];
    if (probe !== undefined && outcomes !== undefined) {
      lines.push(mmuLine(ctx, probe));
      for (const o of outcomes) lines.push('', ...accessLines(ctx, probe, o));
    } else {
      for (const t of results) lines.push('', ...translationLines(ctx, t));
    }
    ctx.print(lines);
    return 0;
  });
}

/** The translation with its leaf's flags as the guest's registers define them (AArch64 memory types from MAIR). */
function withLeafFlags(t: Translation, leafFlags: ((entry: bigint, flags: number) => number) | undefined): Translation {
  const leaf = t.steps.at(-1);
  if (leafFlags === undefined || t.result === undefined || leaf === undefined) return t;
  const own = t.result.leafFlags;
  return {
    ...t,
    result: {
      ...t.result,
      flags: leafFlags(leaf.entry, t.result.flags),
      leafFlags: own === undefined ? undefined : leafFlags(leaf.entry, own),
    },
  };
}

/** The JSON of the MMU's setup (schema in the README). */
export function mmuJson(probe: AccessProbe): Record<string, unknown> {
  return {
    access: accessName(probe.access),
    privilege: probe.privilege,
    user: probe.user,
    registers: Object.fromEntries(probe.registers.map(([name, v]) => [name, typeof v === 'boolean' ? v : hex(v)])),
  };
}

/** The JSON of one access checked by the MMU (schema in the README). */
export function accessJson(o: AccessOutcome): Record<string, unknown> {
  return {
    ok: o.ok !== undefined,
    pa: o.ok ? hex(o.ok.pa) : null,
    size: o.ok ? hex(o.ok.size) : null,
    pageSize: o.ok ? sizeName(o.ok.size) : null,
    flags: o.ok ? flagNames(o.ok.flags) : null,
    permissions: o.permissions === undefined ? null : flagNames(o.permissions),
    fault: o.fault === undefined ? null : { ...o.fault.json, summary: o.fault.summary },
    stop: o.stop ?? null,
    update:
      o.update === undefined
        ? null
        : { entryPa: hex(o.update.entryPa), before: hex(o.update.before), after: hex(o.update.after) },
    walk: o.steps.map((s) => ({
      level: s.level,
      table: s.table,
      index: s.index,
      entryPa: hex(s.entryPa),
      entry: hex(s.entry),
      kind: s.kind ?? null,
    })),
    details: o.details,
  };
}

/** `MMU write at CPL 0 · CR0 0x80010011 · CR3 0x100000 · …`: the access, its privilege and the registers. */
function mmuLine(ctx: Context, probe: AccessProbe): string {
  const { style } = ctx;
  const regs = probe.registers.map(([name, v]) => `${name} ${typeof v === 'boolean' ? (v ? 'on' : 'off') : hex(v)}`);
  return `${style.dim('MMU')} ${style.bold(`${accessName(probe.access)} at ${probe.privilege}`)}${style.dim(' · ')}${regs.join(style.dim(' · '))}`;
}

/** The human form of one access: the outcome, the fault's fields, the permissions, then the entries the MMU read. */
function accessLines(ctx: Context, probe: AccessProbe, o: AccessOutcome): string[] {
  const { style } = ctx;
  const perm = permPaint(style);
  const head = `VA ${style.bold(hex(o.va))} ${accessName(probe.access)} ${style.dim('→')} `;
  const lines: string[] = [];
  const info: Array<[string, string]> = [];
  if (o.ok) {
    lines.push(
      `${head}PA ${style.bold(hex(o.ok.pa))}  ${o.via ?? `${sizeName(o.ok.size)} page`}  ${perm(shortFlags(o.ok.flags))}  ${flagNames(o.ok.flags).join('|') || '(none)'}`,
    );
  } else if (o.fault) {
    lines.push(`${head}${style.red(o.fault.summary)}`);
    info.push(...o.fault.detail);
    if (o.stop !== undefined) info.push(['stop', o.stop]);
    info.push([
      'permissions',
      o.permissions === undefined
        ? 'none (no page reached)'
        : `${perm(shortFlags(o.permissions))}  ${flagNames(o.permissions).join('|') || '(none)'}`,
    ]);
  }
  if (o.update !== undefined)
    info.push([
      'would write',
      `${hexPad(o.update.after, 16)} over ${hexPad(o.update.before, 16)} at ${hex(o.update.entryPa)}`,
    ]);
  const width = Math.max(0, ...info.map(([k]) => k.length));
  for (const [k, v] of info) lines.push(`  ${style.dim(k.padEnd(width))}  ${v}`);
  if (o.steps.length === 0) return lines;
  const withKind = o.steps.some((s) => s.kind !== undefined);
  const rows = o.steps.map((s) => [
    s.table,
    String(s.index),
    hex(s.entryPa),
    hexPad(s.entry, 16),
    ...(withKind ? [s.kind ?? ''] : []),
  ]);
  lines.push(
    ...renderTable(
      [
        { header: 'table' },
        { header: 'index', align: 'right' },
        { header: 'entry at' },
        { header: 'entry' },
        ...(withKind
          ? [{ header: 'kind', paint: (t: string) => (t === 'invalid' || t === 'reserved' ? style.red(t) : t) }]
          : []),
      ],
      rows,
      style.dim,
    ),
  );
  return lines;
}

/** The JSON form of one translation (schema in the README). */
export function translationJson(t: Translation): Record<string, unknown> {
  return {
    va: hex(t.va),
    mapped: t.result !== undefined,
    pa: t.result ? hex(t.result.pa) : null,
    flags: t.result ? flagNames(t.result.flags) : null,
    ...(t.result?.leafFlags === undefined ? {} : { leafFlags: flagNames(t.result.leafFlags) }),
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
      `${head}PA ${style.bold(hex(r.pa))}  ${permPaint(style)(shortFlags(r.flags))}  ${flagNames(r.flags).join('|')}  ${pageSizeName(r.pageSize)} ${r.level === 0 ? 'page' : 'block'}` +
        (r.leafFlags === undefined ? '' : `  (leaf ${shortFlags(r.leafFlags)}: the tables above take rights away)`),
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
