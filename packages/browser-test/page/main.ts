/**
 * The page: builds x86_64 tables in a SharedArrayBuffer, hands the buffer to a module worker that
 * works on the same bytes, then builds tables in a WebAssembly.Memory that a wasm "guest core" reads
 * and writes. Everything observed goes into `globalThis.__results` (see {@link PageResults}), which the
 * test reads and asserts; `globalThis.__error` holds an exception that stopped the page.
 */
import { X64_PHYS_ADDR_MASK, X64Mmu, X64PageTable } from '@page-table/arch-x86_64';
import { MappingFlags, PageSize, RamHandler } from '@page-table/core';
import { PAGE_PA, PAGE_VA, WORKER_VA, type WorkerReply, type WorkerRequest } from './protocol.js';
import { guestCore } from './wasm.js';

/** What the page observed; every field is asserted by test/browser.test.ts. */
export interface PageResults {
  /** `crossOriginIsolated` (needs the server's COOP/COEP headers). */
  crossOriginIsolated: boolean;
  /** The worker's answer. */
  worker: WorkerReply;
  /** The page's leaf entry for PAGE_VA after the worker's MMU access, as hex: A (bit 5) and D (bit 6) set. */
  leafAfterWorker: string;
  /** The page's own query of the worker's mapping, `[paddr, flags]`, or null. */
  workerMapping: [number, number] | null;
  /** Frames the page's RAM had allocated before and after the worker ran (equal: the worker allocated none). */
  frames: [number, number];
  /** The WebAssembly.Memory part. */
  wasm: {
    /** The PT frame found by walking PML4 → PDPT → PD with the wasm core's `i64.load`, as hex. */
    walkedPt: string;
    /** The leaf of 0x1000 as the wasm core loads it, as hex. */
    leaf: string;
    /** The library's query of 0x2000 after the wasm core stored a leaf for it, `[paddr, flags]`, or null. */
    storedByWasm: [number, number] | null;
    /** The library's query of 0x1000 after `memory.grow` (the buffer was replaced), `[paddr, flags]`, or null. */
    afterGrow: [number, number] | null;
    /** The memory's size in bytes after growing. */
    grownBytes: number;
  };
}

const { READ, WRITE } = MappingFlags;
const hex = (v: bigint | number) => `0x${v.toString(16)}`;
const pair = (q: { paddr: number | bigint; flags: number } | undefined): [number, number] | null =>
  q === undefined ? null : [Number(q.paddr), q.flags];

async function sharedWithWorker(): Promise<Omit<PageResults, 'crossOriginIsolated' | 'wasm'>> {
  const buffer = new SharedArrayBuffer(4 << 20);
  const ram = new RamHandler({ base: 0, buffer });
  const pt = X64PageTable.create(ram);
  pt.map(PAGE_VA, PAGE_PA, PageSize.Size4K, READ | WRITE);
  const before = ram.framesInUse;
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const reply = await new Promise<WorkerReply>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<WorkerReply>) => resolve(e.data);
    worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
    const request: WorkerRequest = { ram: buffer, root: Number(pt.rootPaddr) };
    worker.postMessage(request);
  });
  worker.terminate();
  // Read the leaf the worker's MMU updated, through this side's view of the same bytes.
  const mmu = new X64Mmu(ram, { cr0: 0x8001_0011, cr3: pt.rootPaddr, cr4: 0x20, efer: 0xd00 });
  const leaf = mmu.debugTranslate(PAGE_VA).steps.at(-1)?.entry ?? 0n;
  return {
    worker: reply,
    leafAfterWorker: hex(leaf),
    workerMapping: pair(pt.query(WORKER_VA)),
    frames: [before, ram.framesInUse],
  };
}

async function inWasmMemory(): Promise<PageResults['wasm']> {
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 64 }); // 2 MiB, may grow to 4 MiB
  const ram = new RamHandler({ base: 0, buffer: memory });
  const pt = X64PageTable.create(ram);
  pt.map(0x1000, 0x8000, PageSize.Size4K, READ);
  const core = await guestCore(memory);
  // The walk a CPU makes for VA 0x1000: index 0 at each level, then entry 1 of the PT.
  let table = BigInt(pt.rootPaddr);
  for (let level = 3; level > 0; level--) table = core.load64(Number(table)) & X64_PHYS_ADDR_MASK;
  const leaf = core.load64(Number(table) + 8);
  // The "guest" writes a present, writable, non-executable leaf for VA 0x2000 → PA 0x9000.
  core.store64(Number(table) + 16, 0x8000_0000_0000_9003n);
  const storedByWasm = pair(pt.query(0x2000));
  memory.grow(32);
  return {
    walkedPt: hex(table),
    leaf: hex(leaf),
    storedByWasm,
    afterGrow: pair(pt.query(0x1000)),
    grownBytes: memory.buffer.byteLength,
  };
}

interface PageGlobals {
  __results?: PageResults;
  __error?: string;
}
const g = globalThis as unknown as PageGlobals;

async function main(): Promise<void> {
  const shared = await sharedWithWorker();
  const wasm = await inWasmMemory();
  g.__results = { crossOriginIsolated: globalThis.crossOriginIsolated, ...shared, wasm };
  document.getElementById('out')!.textContent = JSON.stringify(g.__results, null, 2);
}

main().catch((e: unknown) => {
  g.__error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e);
});
