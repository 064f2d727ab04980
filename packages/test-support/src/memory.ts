/**
 * Whether two RAM snapshots (any typed array views, e.g. a RamHandler's `words` or `bytes`) hold the same bytes;
 * vitest's deep equality is far too slow for megabytes.
 */
export function sameMemory(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}
