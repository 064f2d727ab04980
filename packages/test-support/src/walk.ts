/** Every entry a page table's `walk` visits, in its order. */
export function walkAll<E>(pt: { walk(visitor: (entry: E) => void): void }): E[] {
  const out: E[] = [];
  pt.walk((e) => out.push(e));
  return out;
}
