#!/usr/bin/env node
// Links to headings must work wherever the Markdown is read. Two checks:
// - in the Markdown (README.md, docs/*.md, packages/*/README.md), every `(#anchor)` and `(file.md#anchor)`
//   names a heading of that file under GitHub's slugs (npm renders READMEs with the same ones);
// - on the typedoc site (docs/api, built by `pnpm run docs`), every `href="#anchor"` names an id of its page.
// A heading whose slug differs between the two (typedoc drops `code` spans and punctuation, GitHub keeps
// the words of code spans) breaks one of them: headings of plain words keep both in step.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const problems = [];

/** GitHub's heading ids: lower case, only letters, digits, `-`, `_` and spaces kept, spaces as `-`, repeats numbered. */
function githubSlugs(markdown) {
  const seen = new Map();
  const slugs = new Set();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (/^```/.test(line)) fence = !fence;
    const m = !fence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const text = m[1].replace(/`([^`]*)`/g, '$1').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    slugs.add(n === 0 ? base : `${base}-${n}`);
  }
  return slugs;
}

const markdownFiles = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...readdirSync(join(root, 'packages'))
    .map((p) => `packages/${p}/README.md`)
    .filter((f) => existsSync(join(root, f))),
];
const slugCache = new Map();
const slugsOf = (file) => {
  if (!slugCache.has(file)) slugCache.set(file, githubSlugs(readFileSync(file, 'utf8')));
  return slugCache.get(file);
};

for (const md of markdownFiles) {
  const path = join(root, md);
  const text = readFileSync(path, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  for (const m of text.matchAll(/\]\(([^)\s]*?)#([^)\s]+)\)/g)) {
    const [, target, anchor] = m;
    if (/^[a-z]+:/.test(target)) continue; // another site's page
    const file = target === '' ? path : resolve(dirname(path), target);
    if (!file.endsWith('.md')) continue;
    if (!existsSync(file)) problems.push(`${md}: link to missing ${relative(root, file)}`);
    else if (!slugsOf(file).has(anchor)) problems.push(`${md}: #${anchor} is no heading of ${relative(root, file)}`);
  }
}

const site = join(root, 'docs', 'api');
if (existsSync(site)) {
  const pages = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.html')) pages.push(p);
    }
  };
  walk(site);
  for (const page of pages) {
    const html = readFileSync(page, 'utf8');
    const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    for (const m of html.matchAll(/href="#([^"]+)"/g)) {
      if (!ids.has(m[1])) problems.push(`docs/api/${relative(site, page)}: #${m[1]} is no id of the page`);
    }
  }
} else {
  problems.push('docs/api is missing: run `pnpm run docs` first');
}

if (problems.length > 0) {
  console.error(`broken anchors:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`anchors ok: ${markdownFiles.length} Markdown files and the typedoc site`);
