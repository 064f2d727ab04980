/**
 * What the image commands share: opening with a progress line, the header
 * line, the JSON envelope, and how problems print.
 *
 * @module
 */

import type { Problem } from '../audit.js';
import type { Context } from '../context.js';
import { type OpenedImage, openImage } from '../image.js';
import { formatBytes, hex } from '../numbers.js';
import type { ImageArgs } from '../options.js';
import { Progress } from '../progress.js';

/** JSON schema version: bumped only for incompatible changes. */
export const JSON_VERSION = 1;

/** Opens the image of `args` and runs `body` on it with a progress line on stderr; closes the file after. */
export function withImage<T>(ctx: Context, args: ImageArgs, label: string, body: (img: OpenedImage) => T): T {
  const progress = new Progress(ctx.io.stderr, label);
  const img = openImage(args.mode, { ...args.spec, onRead: (n) => progress.update(n) });
  if (img.warning !== undefined) ctx.warn(img.warning);
  try {
    return body(img);
  } finally {
    progress.done();
    img.memory.close();
  }
}

/** `x86_64 4-level · root 0x101000 (CR3 = 0x101000) · image demo.img, 2 MiB at 0x0`. */
export function headerLine(ctx: Context, args: ImageArgs, img: OpenedImage): string {
  const { style } = ctx;
  const m = img.memory;
  const reg = args.mode.register(img.root, args.upper);
  return [
    style.bold(args.mode.meta.name) + (args.upper ? ', TTBR1 (upper range)' : ''),
    `root ${hex(img.root)} (${reg})`,
    `image ${args.spec.file}, ${formatBytes(m.end - m.base)} at ${hex(m.base)}`,
  ].join(style.dim(' · '));
}

/** The fields every image command's JSON starts with. */
export function jsonEnvelope(command: string, args: ImageArgs, img: OpenedImage): Record<string, unknown> {
  const m = img.memory;
  return {
    version: JSON_VERSION,
    command,
    arch: args.mode.arch,
    mode: args.mode.id,
    title: args.mode.meta.name,
    levels: args.mode.levels,
    image: { file: args.spec.file, ramBase: hex(m.base), size: hex(m.end - m.base) },
    root: hex(img.root),
    upper: args.upper,
  };
}

/** The JSON form of a problem. */
export function problemJson(p: Problem): Record<string, unknown> {
  return {
    kind: p.kind,
    level: p.level,
    table: p.table,
    index: p.index,
    entryPa: hex(p.entryPa),
    entry: hex(p.entry),
    va: hex(p.va),
    target: hex(p.target),
    message: p.message,
  };
}

/** The lines listing problems (none when there are none). */
export function problemLines(ctx: Context, problems: readonly Problem[]): string[] {
  if (problems.length === 0) return [];
  const { style } = ctx;
  return [
    '',
    style.yellow(style.bold(`${problems.length} ${problems.length === 1 ? 'entry' : 'entries'} not followed:`)),
    ...problems.map((p) => `  ${style.yellow('!')} ${p.message}`),
  ];
}

/** The text of every `--json` output: two-space indented. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
