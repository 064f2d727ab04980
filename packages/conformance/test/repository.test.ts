/**
 * The repository as a user clones it: no committed file names a path of the machine it was written on
 * (a clone has no /work, /tmp or home directory of ours, and a shipped `.d.ts` or source map must not
 * leak one), and every public package ships the root LICENSE unchanged.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The committed files (git's index), or, outside a git checkout, every file but generated ones. */
function trackedFiles(): string[] {
  if (existsSync(join(REPO, '.git'))) {
    return execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
  }
  const skip = new Set(['node_modules', 'dist', '.turbo', '.git', 'api', '.docs']);
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(REPO, dir), { withFileTypes: true })) {
      if (skip.has(e.name)) continue;
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  walk('');
  return out;
}

// A path at the root of the file system under one of ROOTS, at the start of a word (not inside a URL such
// as https://host/home/). Built from parts so that this file does not match itself.
const ROOTS = ['work', 'tmp', 'home', 'root', 'Users', 'mnt'];
const MACHINE_PATH = new RegExp(`(?:^|[\\s'"\`(=,:\\[])(/(?:${ROOTS.join('|')})/[\\w.~-]*)`, 'm');

describe('the repository', () => {
  const files = trackedFiles();

  it('lists its files', () => {
    expect(files).toContain('package.json');
    expect(files.length).toBeGreaterThan(50);
  });

  it('has no absolute machine paths in any committed file', () => {
    const hits: string[] = [];
    for (const f of files) {
      if (f === 'pnpm-lock.yaml' || !existsSync(join(REPO, f))) continue;
      const text = readFileSync(join(REPO, f), 'utf8');
      if (text.includes('\0')) continue; // binary
      text.split('\n').forEach((line, i) => {
        const m = MACHINE_PATH.exec(line);
        if (m) hits.push(`${f}:${i + 1}: ${m[1]}`);
      });
    }
    expect(hits, `absolute paths of a machine in committed files:\n${hits.join('\n')}`).toEqual([]);
  });

  it('finds a machine path where there is one (the check itself)', () => {
    const path = (root: string, rest: string) => `/${root}/${rest}`; // not spelled out, see above
    expect(MACHINE_PATH.exec(`see ${path('work', 'shared/spec/MMU.md')}`)?.[1]).toBe(path('work', 'shared'));
    expect(MACHINE_PATH.exec(`--image '${path('tmp', 'a.img')}'`)?.[1]).toBe(path('tmp', 'a.img'));
    expect(MACHINE_PATH.exec(`home: ${path('home', 'me')}`)?.[1]).toBe(path('home', 'me'));
    expect(MACHINE_PATH.exec(`https://example.org${path('home', 'index.html')}`)).toBeNull();
  });

  it('ships the root LICENSE in every public package', () => {
    const license = readFileSync(join(REPO, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License/);
    for (const dir of readdirSync(join(REPO, 'packages'))) {
      const pkg = JSON.parse(readFileSync(join(REPO, 'packages', dir, 'package.json'), 'utf8'));
      if (pkg.private) continue;
      expect(readFileSync(join(REPO, 'packages', dir, 'LICENSE'), 'utf8'), `packages/${dir}/LICENSE`).toBe(license);
      expect(pkg.files, `packages/${dir} files`).toContain('LICENSE');
    }
  });
});
