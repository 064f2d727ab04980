/** What the page sends its worker: the guest RAM and the root of the tables built in it. */
export interface WorkerRequest {
  /** The guest RAM, shared with the page. */
  ram: SharedArrayBuffer;
  /** PA of the PML4 (the value for CR3). */
  root: number;
}

/** What the worker answers after using the shared tables. */
export interface WorkerReply {
  /** Whether the worker saw the buffer as shared memory. */
  shared: boolean;
  /** `X64PageTable.query(0x40_0123)` over the adopted root, as `[paddr, flags, size]`. */
  query: [number, number, number] | null;
  /** `X64Mmu.translate(0x40_0123, Write)`: the PA, or the fault vector as a negative number. */
  translated: number;
  /** The error of a step that failed, else null. */
  error: string | null;
}

/** The VA the page maps before handing the RAM over, and its PA. */
export const PAGE_VA = 0x40_0000;
/** The PA of {@link PAGE_VA}. */
export const PAGE_PA = 0x20_0000;
/** The VA the worker maps into the same last-level table (no new frame needed), and its PA. */
export const WORKER_VA = 0x40_1000;
/** The PA of {@link WORKER_VA}. */
export const WORKER_PA = 0x30_0000;
