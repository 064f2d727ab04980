/**
 * The libraries in a real browser. Bundles page/main.ts and page/worker.ts with esbuild (as an app
 * would bundle the published ESM builds), serves them on 127.0.0.1 with the COOP/COEP headers that make
 * the page cross-origin isolated (so SharedArrayBuffer exists), and loads the page in Debian's
 * Chromium driven by playwright-core (no browser download). The page shares page tables with a worker
 * over a SharedArrayBuffer and with a wasm module over a WebAssembly.Memory; every result it reports is
 * asserted here. Without /usr/bin/chromium (or $CHROMIUM) each test is skipped, saying so.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageResults } from '../page/main.js';

const PKG = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const missing = existsSync(CHROMIUM)
  ? ''
  : ` (skipped: no Chromium at ${CHROMIUM}; .ci/run installs Debian's chromium)`;

let server: Server | undefined;
let browser: BrowserContext | undefined;
let profile: string | undefined;
let results: PageResults | undefined;
let failure: string | undefined;
const consoleLines: string[] = [];

/** The page's files: the HTML and the two bundles, by URL path. */
async function pageFiles(): Promise<Map<string, { type: string; body: Uint8Array | string }>> {
  const out = await build({
    entryPoints: { main: join(PKG, 'page/main.ts'), worker: join(PKG, 'page/worker.ts') },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    write: false,
    outdir: '/',
    logLevel: 'silent',
  });
  const files = new Map<string, { type: string; body: Uint8Array | string }>();
  files.set('/', { type: 'text/html', body: readFileSync(join(PKG, 'page/index.html'), 'utf8') });
  for (const f of out.outputFiles) files.set(f.path, { type: 'text/javascript', body: f.contents });
  return files;
}

/** Serves `files` on 127.0.0.1 with the headers cross-origin isolation needs; resolves to the base URL. */
async function serve(files: Map<string, { type: string; body: Uint8Array | string }>): Promise<string> {
  server = createServer((req, res) => {
    const file = files.get(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    };
    if (file === undefined) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

beforeAll(async () => {
  if (missing) return;
  const url = await serve(await pageFiles());
  profile = mkdtempSync(join(tmpdir(), 'page-table-chromium-'));
  // A fresh profile every run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage();
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => {
    const g = globalThis as { __results?: unknown; __error?: unknown };
    return g.__results !== undefined || g.__error !== undefined;
  });
  const state = await page.evaluate(() => {
    const g = globalThis as { __results?: unknown; __error?: string };
    return { results: g.__results as PageResults | undefined, error: g.__error };
  });
  results = state.results;
  failure = state.error;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** The page's results, or a failure that shows what the page said. */
function got(): PageResults {
  expect(failure, `the page threw:\n${failure}\n${consoleLines.join('\n')}`).toBeUndefined();
  expect(results, `the page reported nothing\n${consoleLines.join('\n')}`).toBeDefined();
  return results!;
}

describe('in Chromium', () => {
  it.skipIf(missing)(`the page is cross-origin isolated (COOP + COEP on 127.0.0.1)${missing}`, () => {
    expect(got().crossOriginIsolated).toBe(true);
  });

  it.skipIf(missing)(`a worker walks, translates and extends tables in a SharedArrayBuffer${missing}`, () => {
    const r = got();
    expect(r.worker.error).toBeNull();
    expect(r.worker.shared).toBe(true);
    // The page's mapping as the worker sees it: VA 0x40_0123 → PA 0x20_0123, READ|WRITE, 4 KiB.
    expect(r.worker.query).toEqual([0x20_0123, MAPPING_READ_WRITE, 4096]);
    expect(r.worker.translated).toBe(0x20_0123);
    // The worker's MMU set A (bit 5) and D (bit 6) in the shared leaf: P|RW|A|D, PA 0x20_0000, XD.
    expect(r.leafAfterWorker).toBe('0x8000000000200063');
    // The worker's own mapping, seen by the page in the same bytes, without a frame allocated.
    expect(r.workerMapping).toEqual([0x30_0000, MAPPING_READ]);
    expect(r.frames[1]).toBe(r.frames[0]);
  });

  it.skipIf(missing)(`a wasm core and the library share tables in a WebAssembly.Memory${missing}`, () => {
    const w = got().wasm;
    // Root at 0x1000, then PDPT 0x2000, PD 0x3000, PT 0x4000: the first frames of the allocator.
    expect(w.walkedPt).toBe('0x4000');
    // VA 0x1000 → PA 0x8000, READ only: P, no RW, XD.
    expect(w.leaf).toBe('0x8000000000008001');
    expect(w.storedByWasm).toEqual([0x9000, MAPPING_READ_WRITE]);
    expect(w.grownBytes).toBe(4 << 20);
    expect(w.afterGrow).toEqual([0x8000, MAPPING_READ]);
  });
});

// MappingFlags.READ and READ|WRITE, spelled out so that the expectations are independent of the library.
const MAPPING_READ = 1;
const MAPPING_READ_WRITE = 3;
