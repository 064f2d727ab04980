/**
 * The worker: adopts the page's tables in the shared RAM (nothing is copied), reads a mapping the page
 * made, runs the emulator MMU over it (which sets Accessed and Dirty in the shared entries with
 * `Atomics.compareExchange`), and adds a mapping of its own for the page to find.
 */
import { X64Mmu, X64PageTable } from '@page-table/arch-x86_64';
import { Access, MappingFlags, PageSize, RamHandler } from '@page-table/core';
import { PAGE_VA, WORKER_PA, WORKER_VA, type WorkerReply, type WorkerRequest } from './protocol.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(reply: WorkerReply): void;
}
const scope = globalThis as unknown as WorkerScope;

scope.onmessage = ({ data }) => {
  const reply: WorkerReply = { shared: data.ram instanceof SharedArrayBuffer, query: null, translated: 0, error: null };
  try {
    // An empty frame range: this side may edit existing tables but never allocate in the page's RAM.
    const ram = new RamHandler({ base: 0, buffer: data.ram, allocRange: [0x1000, 0x1000] });
    const pt = X64PageTable.fromRoot(ram, data.root);
    const hit = pt.query(PAGE_VA + 0x123);
    reply.query = hit === undefined ? null : [Number(hit.paddr), hit.flags, hit.size];
    const mmu = new X64Mmu(ram, { cr0: 0x8001_0011, cr3: data.root, cr4: 0x20, efer: 0xd00 });
    const r = mmu.translate(PAGE_VA + 0x123, Access.Write);
    reply.translated = r.fault ? -r.fault.vector : Number(r.paddr);
    pt.map(WORKER_VA, WORKER_PA, PageSize.Size4K, MappingFlags.READ);
  } catch (e) {
    reply.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  scope.postMessage(reply);
};
