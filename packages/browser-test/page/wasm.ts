/**
 * A hand-assembled WebAssembly module standing in for an emulator's core: it imports the guest RAM as
 * `env.mem` and exports `load64(pa: i32): i64` and `store64(pa: i32, value: i64)`, plain `i64.load` /
 * `i64.store` (little-endian, as the MMU of the guest reads its entries).
 */
// biome-ignore format: one line per section of the module
export const GUEST_CORE_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x0b, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7e, 0x60, 0x02, 0x7f, 0x7e, 0x00, // types: (i32)->i64, (i32,i64)->()
  0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, // import env.mem, min 1 page
  0x03, 0x03, 0x02, 0x00, 0x01, // two functions of types 0 and 1
  0x07, 0x14, 0x02, 0x06, 0x6c, 0x6f, 0x61, 0x64, 0x36, 0x34, 0x00, 0x00, // export "load64" = func 0
  0x07, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x36, 0x34, 0x00, 0x01, // export "store64" = func 1
  0x0a, 0x13, 0x02, // code: two bodies
  0x07, 0x00, 0x20, 0x00, 0x29, 0x03, 0x00, 0x0b, // local.get 0; i64.load align=8; end
  0x09, 0x00, 0x20, 0x00, 0x20, 0x01, 0x37, 0x03, 0x00, 0x0b, // local.get 0; local.get 1; i64.store align=8; end
]);

/** The module's exports. */
export interface GuestCore {
  /** The little-endian 64-bit value at `pa`. */
  load64(pa: number): bigint;
  /** Stores `value` at `pa`, little-endian. */
  store64(pa: number, value: bigint): void;
}

/** Instantiates the module over `memory`. */
export async function guestCore(memory: WebAssembly.Memory): Promise<GuestCore> {
  const { instance } = await WebAssembly.instantiate(GUEST_CORE_WASM, { env: { mem: memory } });
  const raw = instance.exports as unknown as GuestCore;
  // An i64 crosses into JS as a signed bigint: entries are unsigned.
  return { load64: (pa) => BigInt.asUintN(64, raw.load64(pa)), store64: (pa, value) => raw.store64(pa, value) };
}
