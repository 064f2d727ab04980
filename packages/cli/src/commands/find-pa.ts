/**
 * `ptm find-pa`: every VA that maps a physical address — the reverse of
 * `translate`, for "who maps this frame?" on a guest whose kernel maps RAM
 * twice or more (the linear map, the kernel image, vmalloc aliases).
 *
 * @module
 */

import { type MappingFlags, shortFlags } from '@page-table/core';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { FILTER_OPTIONS, filterOption } from '../filter.js';
import { JsonWriter, LineWriter } from '../line-writer.js';
import { flagNames, permPaint } from '../mappings.js';
import { hex, hexPad, parseU64 } from '../numbers.js';
import { IMAGE_OPTIONS, imageArgs, parse } from '../options.js';
import { auditImage, budgetExit, headerLine, jsonHead, withImage } from './common.js';

/** The options of `ptm find-pa`: the image's and the filter's. */
export const FIND_PA_OPTIONS = { ...IMAGE_OPTIONS, ...FILTER_OPTIONS } as const;

/** One VA that maps the PA looked for. */
interface Hit {
  va: bigint;
  leafVa: bigint;
  leafPa: bigint;
  size: bigint;
  flags: MappingFlags;
}

/** Runs `ptm find-pa` with the arguments after the command name; returns the exit status. */
export function findPaCommand(ctx: Context, argv: readonly string[]): number {
  const p = parse('find-pa', argv, FIND_PA_OPTIONS, true);
  const args = imageArgs(p, 'find-pa', ctx.live !== undefined);
  const filter = filterOption(p);
  if (p.positionals.length === 0) throw usageError('ptm find-pa needs at least one PA (see ptm find-pa --help)');
  const targets = p.positionals.map((t) => parseU64(t, 'PA'));
  return withImage(ctx, args, 'searching', (img) => {
    const out = new LineWriter(ctx.io.stdout);
    // One walk per PA, each streaming its hits: memory stays bounded however many VAs alias a frame.
    let stopped: { entries: number; at: bigint } | undefined;
    const search = (target: bigint, onHit: (h: Hit) => void): number => {
      let hits = 0;
      stopped ??= auditImage(
        args,
        img,
        {
          leaf: (va, pa, size, flags) => {
            if (target < pa || target - pa >= size) return;
            hits++;
            onHit({ va: va + (target - pa), leafVa: va, leafPa: pa, size, flags });
          },
        },
        filter,
      ).stopped;
      return hits;
    };
    if (args.json) {
      const json = new JsonWriter(out);
      for (const [k, v] of Object.entries(jsonHead('find-pa', img, filter))) json.field(k, v);
      json.open('hits');
      for (const target of targets) {
        search(target, (h) =>
          json.item({
            pa: hex(target),
            va: hex(h.va),
            leafVa: hex(h.leafVa),
            leafPa: hex(h.leafPa),
            size: hex(h.size),
            flags: flagNames(h.flags),
          }),
        );
      }
      json.close();
      json.field('complete', stopped === undefined);
      json.end();
      return budgetExit(ctx, args, stopped);
    }
    const { style } = ctx;
    const perm = permPaint(style);
    out.line(headerLine(ctx, img, filter));
    for (const target of targets) {
      out.line('');
      out.line(`PA ${style.bold(hex(target))}`);
      const n = search(target, (h) =>
        out.line(
          `  VA ${hexPad(h.va, 16)}  in ${hexPad(h.leafVa, 16)}+${hex(h.size)}  ${perm(shortFlags(h.flags))}  ${flagNames(h.flags).join('|')}`.trimEnd(),
        ),
      );
      out.line(style.dim(n === 0 ? '  mapped by no VA' : `  mapped by ${n} ${n === 1 ? 'VA' : 'VAs'}`));
    }
    out.flush();
    return budgetExit(ctx, args, stopped);
  });
}
