#!/usr/bin/env node
// The packages as a user installs them. Packs every public package (`pnpm pack`, as `changeset publish`
// would), lints the tarballs (publint, Are The Types Wrong), installs them into a scratch project in a
// temp dir outside the workspace, and there:
// - type-checks the READMEs' example programs with `skipLibCheck: false` and `lib: ["es2022", "dom"]`
//   under nodenext, node16 (both as ESM and as CommonJS) and bundler resolution, on the lowest TypeScript
//   we support (5.0) and the newest 5.x;
// - runs them as ESM and as CommonJS on this Node and on the lowest Node in `engines` (a binary from the
//   npm registry), checking the output their `// →` comments promise;
// - runs `ptm` from the installed tarball on both Nodes.
// Exits non-zero on the first failure, saying which step failed. `--keep` keeps the scratch dir.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeBlocks, missingOutput } from './md-blocks.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const keep = process.argv.includes('--keep');
const cacheDir = join(root, 'node_modules', '.cache', 'consumer-check');

/** TypeScript compilers to check with: the lowest supported and the newest 5.x (the workspace's own). */
const compilers = [
  { name: 'TypeScript 5.0', tsc: require.resolve('typescript-5.0/bin/tsc') },
  { name: `TypeScript ${require('typescript/package.json').version}`, tsc: require.resolve('typescript/bin/tsc') },
];

function step(title) {
  console.log(`consumer-check: ${title}`);
}

function fail(message) {
  console.error(`consumer-check FAILED: ${message}`);
  process.exit(1);
}

/** Runs a command; returns its output, or fails with it. */
function sh(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error) fail(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0 && !options.allowFailure) {
    fail(`${cmd} ${args.join(' ')} (in ${options.cwd ?? root}) exited ${r.status}\n${r.stdout}${r.stderr}`);
  }
  return r;
}

const readJson = (f) => JSON.parse(readFileSync(f, 'utf8'));
const writeJson = (f, v) => writeFileSync(f, `${JSON.stringify(v, null, 2)}\n`);

// ---------------------------------------------------------------- the packages and their tarballs

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({ dir: join(root, 'packages', dir), pkg: readJson(join(root, 'packages', dir, 'package.json')) }))
  .filter(({ pkg }) => !pkg.private);
if (packages.length === 0) fail('no public packages found');

const work = mkdtempSync(join(tmpdir(), 'page-table-consumer-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
process.on('exit', () => {
  if (keep) console.log(`consumer-check: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
});

step(`packing ${packages.map(({ pkg }) => pkg.name).join(', ')}`);
for (const p of packages) {
  sh('pnpm', ['pack', '--pack-destination', tarballs], { cwd: p.dir });
  const file = readdirSync(tarballs).find((f) => f.startsWith(`${p.pkg.name.slice(1).replace('/', '-')}-`));
  if (file === undefined) fail(`pnpm pack left no tarball for ${p.pkg.name}`);
  p.tarball = join(tarballs, file);
  const listing = sh('tar', ['-tzf', p.tarball]).stdout.split('\n');
  for (const needed of ['package/LICENSE', 'package/README.md', 'package/package.json', 'package/dist/index.d.ts']) {
    if (!listing.includes(needed)) fail(`${file} lacks ${needed.slice('package/'.length)}`);
  }
  const packed = JSON.parse(sh('tar', ['-xzOf', p.tarball, 'package/package.json']).stdout);
  for (const [dep, range] of Object.entries(packed.dependencies ?? {})) {
    if (range.startsWith('workspace:')) fail(`${file}: dependency ${dep} is still ${range}`);
  }
}

step('publint and Are The Types Wrong on each tarball');
const bin = (name) => join(root, 'node_modules', '.bin', name);
for (const p of packages) {
  const lint = sh(bin('publint'), ['run', p.tarball, '--strict']);
  if (!/All good/i.test(lint.stdout)) fail(`publint ${p.pkg.name}:\n${lint.stdout}${lint.stderr}`);
  // No @types lookups (offline-safe); every entry point must resolve for node10, node16 (CJS and ESM), bundler.
  sh(bin('attw'), [p.tarball, '--no-definitely-typed', '--no-color', '--format', 'table-flipped']);
}

// ---------------------------------------------------------------- the scratch project

step(
  `installing the tarballs into a scratch project (${relative(root, work).startsWith('..') ? 'outside the workspace' : work})`,
);
const app = join(work, 'app');
mkdirSync(app);
const deps = Object.fromEntries(packages.map((p) => [p.pkg.name, `file:${p.tarball}`]));
writeJson(join(app, 'package.json'), {
  name: 'page-table-consumer',
  private: true,
  type: 'module',
  dependencies: deps,
  // Each package's own `@page-table/*` dependencies come from these tarballs too, not from the registry.
  overrides: Object.fromEntries(Object.keys(deps).map((name) => [name, `$${name}`])),
});
sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app });
for (const p of packages) {
  const installed = join(app, 'node_modules', p.pkg.name, 'package.json');
  if (!existsSync(installed)) fail(`${p.pkg.name} is not installed in the scratch project`);
}

// The README examples: the root README's blocks and the library packages' blocks that import a package.
const examples = [];
// The CLI's README examples read image files; `ptm` itself is run below.
const libraries = packages.filter((p) => p.pkg.bin === undefined);
for (const md of ['README.md', ...libraries.map((p) => relative(root, join(p.dir, 'README.md')))]) {
  for (const b of codeBlocks(join(root, md), md)) {
    if (/^import .* from '@page-table\//m.test(b.code)) examples.push(b);
  }
}
if (examples.length === 0) fail('no README examples found');
const fileOf = (b) => `${b.name.replace(/[^\w-]+/g, '_')}.ts`;

// One ESM copy (app/esm, under "type": "module") and one CommonJS copy (app/cjs, "type": "commonjs").
const flavours = [
  { dir: join(app, 'esm'), type: 'module' },
  { dir: join(app, 'cjs'), type: 'commonjs' },
];
for (const f of flavours) {
  mkdirSync(f.dir);
  writeJson(join(f.dir, 'package.json'), { type: f.type });
  for (const b of examples) writeFileSync(join(f.dir, fileOf(b)), b.code);
}

const strict = {
  strict: true,
  skipLibCheck: false,
  target: 'es2022',
  lib: ['es2022', 'dom'],
  types: [],
  noEmit: true,
};
const resolutions = [
  { name: 'nodenext', module: 'nodenext', moduleResolution: 'nodenext', flavours },
  { name: 'node16', module: 'node16', moduleResolution: 'node16', flavours },
  { name: 'bundler', module: 'esnext', moduleResolution: 'bundler', flavours: [flavours[0]] },
];

step(`type-checking ${examples.length} README examples: ${compilers.map((c) => c.name).join(' and ')}`);
for (const c of compilers) {
  for (const r of resolutions) {
    for (const f of r.flavours) {
      const config = join(f.dir, `tsconfig.${r.name}.json`);
      writeJson(config, {
        compilerOptions: { ...strict, module: r.module, moduleResolution: r.moduleResolution },
        include: ['*.ts'],
      });
      const out = sh(process.execPath, [c.tsc, '-p', config], { cwd: f.dir, allowFailure: true });
      if (out.status !== 0) fail(`${c.name}, ${r.name}, ${f.type}:\n${out.stdout}${out.stderr}`);
    }
  }
}

// Compiled with the newest TypeScript to plain JS: ESM in app/esm/out, CommonJS in app/cjs/out.
for (const f of flavours) {
  const config = join(f.dir, 'tsconfig.emit.json');
  writeJson(config, {
    compilerOptions: { ...strict, noEmit: false, module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out' },
    include: ['*.ts'],
  });
  sh(process.execPath, [compilers[compilers.length - 1].tsc, '-p', config]);
  writeJson(join(f.dir, 'out', 'package.json'), { type: f.type });
}

// ---------------------------------------------------------------- the lowest Node

/** The lowest Node version `engines` allows, the same in every public package. */
function engineFloor() {
  const floors = new Set(packages.map((p) => p.pkg.engines?.node));
  if (floors.size !== 1 || floors.has(undefined)) fail(`engines.node differs between packages: ${[...floors]}`);
  const m = /^>=\s*(\d+\.\d+\.\d+)$/.exec([...floors][0]);
  if (!m) fail(`engines.node ${[...floors][0]} is not of the form >=X.Y.Z`);
  return m[1];
}

/** A Node binary of `version` from the npm registry (the `node` package's per-platform binary package). */
function nodeBinary(version) {
  const name = `node-${process.platform}-${process.arch}`;
  const dir = join(cacheDir, `node-${version}`);
  const bin = join(dir, 'node_modules', name, 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    writeJson(join(dir, 'package.json'), { private: true });
    sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', `${name}@${version}`], {
      cwd: dir,
    });
  }
  const v = sh(bin, ['--version']).stdout.trim();
  if (v !== `v${version}`) fail(`${bin} is ${v}, not v${version}`);
  return bin;
}

const floor = engineFloor();
step(`fetching Node ${floor} (engines: >=${floor})`);
const nodes = [
  { name: `Node ${process.versions.node}`, bin: process.execPath },
  { name: `Node ${floor}`, bin: nodeBinary(floor) },
];

step(`running the examples as ESM and CommonJS on ${nodes.map((n) => n.name).join(' and ')}`);
let runs = 0;
for (const n of nodes) {
  for (const f of flavours) {
    for (const b of examples) {
      const js = join(f.dir, 'out', fileOf(b).replace(/\.ts$/, '.js'));
      const r = sh(n.bin, [js], { cwd: f.dir, allowFailure: true, env: { ...process.env, NO_COLOR: '1' } });
      if (r.status !== 0) fail(`${b.name} (${f.type}, ${n.name}) exited ${r.status}\n${r.stdout}${r.stderr}`);
      const missing = missingOutput(r.stdout, b.expected);
      if (missing !== undefined) fail(`${b.name} (${f.type}, ${n.name}) did not print "${missing}"\n${r.stdout}`);
      runs++;
    }
  }
}

step('running ptm from the installed tarball');
const ptm = join(
  app,
  'node_modules',
  '@page-table',
  'cli',
  readJson(join(app, 'node_modules/@page-table/cli/package.json')).bin.ptm,
);
const ptmBin = join(app, 'node_modules', '.bin', 'ptm');
if (!existsSync(ptmBin)) fail('npm did not link the ptm binary');
const version = sh(ptmBin, ['--version'], { cwd: app }).stdout.trim();
if (!version.includes(readJson(join(app, 'node_modules/@page-table/cli/package.json')).version)) {
  fail(`ptm --version printed ${version}`);
}
for (const n of nodes) {
  const demo = sh(n.bin, [ptm, 'demo', '--arch', 'x86_64', '--json'], { cwd: app }).stdout;
  const parsed = JSON.parse(demo);
  if (JSON.stringify(parsed).length < 100) fail(`ptm demo --json on ${n.name} printed too little: ${demo}`);
  const img = join(work, 'sv39.img');
  sh(n.bin, [ptm, 'demo', '--arch', 'riscv-sv39', '--save-image', img], { cwd: app });
  const dumpArgs = ['dump', '--arch', 'riscv-sv39', '--image', img, '--ram-base', '0x80000000', '--root', '0x80100000'];
  const dump = sh(n.bin, [ptm, ...dumpArgs, '--json'], { cwd: app }).stdout;
  if (JSON.stringify(JSON.parse(dump)).length < 100) fail(`ptm dump --json on ${n.name} printed too little: ${dump}`);
  const bad = sh(n.bin, [ptm, 'dump', '--arch', 'riscv-sv39', '--image', join(work, 'missing.img'), '--root', '0'], {
    cwd: app,
    allowFailure: true,
  });
  if (bad.status === 0 || /\n\s+at /.test(bad.stderr)) fail(`ptm dump of a missing image on ${n.name}: ${bad.stderr}`);
}

console.log(
  `consumer-check: ok: ${packages.length} tarballs; ${examples.length} examples type-checked with ` +
    `${compilers.length} compilers x 5 module settings, ${runs} runs; ptm on ${nodes.length} Nodes`,
);
