// The fenced code blocks of a Markdown file, as the guides' test and the consumer check read them.
// A ```ts / ```typescript block is a program; its `// → TEXT` and `// prints: TEXT` comments say, in order,
// what it prints. Fences must start at column 0.
import { readFileSync } from 'node:fs';

/** The languages whose blocks are programs. */
export const RUNNABLE = new Set(['ts', 'typescript']);

const EXPECT = /\/\/\s*(?:prints:|→)\s*(.*?)\s*$/;

/** The runnable blocks of the Markdown file at `path`, named `label:line` (the line of the opening fence). */
export function codeBlocks(path, label) {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks = [];
  let open;
  lines.forEach((line, i) => {
    if (open === undefined) {
      const m = /^```\s*([\w-]*)/.exec(line);
      if (m) open = { lang: m[1].toLowerCase(), line: i + 1, body: [] };
      return;
    }
    if (!/^```\s*$/.test(line)) {
      open.body.push(line);
      return;
    }
    if (RUNNABLE.has(open.lang)) {
      const code = `${open.body.join('\n')}\n`;
      const expected = open.body.map((l) => EXPECT.exec(l)?.[1]).filter((t) => t !== undefined && t !== '');
      blocks.push({ name: `${label}:${open.line}`, line: open.line, code, expected });
    }
    open = undefined;
  });
  if (open !== undefined) throw new Error(`${label}:${open.line}: code fence never closed`);
  return blocks;
}

/** Whitespace runs as one space, so that wrapped output still matches. */
export const squash = (s) => s.replace(/\s+/g, ' ').trim();

/** The first expected text that `stdout` lacks (each searched after the previous match), or undefined. */
export function missingOutput(stdout, expected) {
  const out = squash(stdout);
  let from = 0;
  for (const text of expected) {
    const at = out.indexOf(squash(text), from);
    if (at < 0) return text;
    from = at + squash(text).length;
  }
  return undefined;
}
