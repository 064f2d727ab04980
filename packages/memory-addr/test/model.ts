// Shared by the tests: a bigint reference model and fast-check arbitraries over the full 64-bit space.
import fc from 'fast-check';
import { expect } from 'vitest';

export const MAX = (1n << 64n) - 1n;
export const TWO64 = 1n << 64n;
export const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
export const I64_MIN = -(1n << 63n);
export const I64_MAX = (1n << 63n) - 1n;

/** The values the brief and the hardware care about, and their neighbours. */
export const EDGES: bigint[] = [
  0n,
  1n,
  0xfffn,
  0x1000n,
  0x1fffffn,
  0x200000n,
  0x3fffffffn,
  0x40000000n,
  (1n << 32n) - 1n,
  1n << 32n,
  (1n << 47n) - 1n,
  1n << 47n,
  (1n << 52n) - 1n,
  1n << 52n,
  SAFE - 1n,
  SAFE,
  SAFE + 1n,
  SAFE + 2n,
  (1n << 63n) - 1n,
  1n << 63n,
  0xffff_8000_0000_0000n,
  0xffff_ffff_8000_0000n,
  MAX - 0x3fffffffn,
  MAX - 0xfffn,
  MAX - 1n,
  MAX,
];

/** Canonical form in the model: a number when safe (either sign), else the bigint. */
export function canon(x: bigint): number | bigint {
  return x >= -SAFE && x <= SAFE ? Number(x) : x;
}

/** Asserts that `got` is the canonical representation of the exact value `want`. */
export function expectCanon(got: unknown, want: bigint): void {
  expect(got).toBe(canon(want));
}

/** Any u64, biased to the edges and the areas around them. */
export const u64: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: MAX }),
  fc.constantFrom(...EDGES),
  fc
    .tuple(fc.constantFrom(...EDGES), fc.bigInt({ min: -0x2000n, max: 0x2000n }))
    .map(([e, d]) => (e + d < 0n ? 0n : e + d > MAX ? MAX : e + d)),
  fc.bigInt({ min: 0n, max: 1n << 33n }),
);

/** A u64 as a caller may pass it: canonical, or (when safe) the same value as a bigint. */
export const u64Input: fc.Arbitrary<[bigint, number | bigint]> = fc
  .tuple(u64, fc.boolean())
  .map(([v, asBig]) => [v, asBig ? v : canon(v)]);

/** A signed 64-bit delta as [exact, input]. */
export const i64Input: fc.Arbitrary<[bigint, number | bigint]> = fc
  .tuple(
    fc.oneof(
      fc.bigInt({ min: I64_MIN, max: I64_MAX }),
      fc.constantFrom(0n, 1n, -1n, SAFE, -SAFE, SAFE + 1n, -SAFE - 1n, I64_MIN, I64_MAX),
      fc.bigInt({ min: -(1n << 33n), max: 1n << 33n }),
    ),
    fc.boolean(),
  )
  .map(([v, asBig]) => [v, asBig ? v : canon(v)]);

/** A power of two 2^0 .. 2^63 as [exact, input]. */
export const pow2Input: fc.Arbitrary<[bigint, number | bigint]> = fc
  .tuple(fc.integer({ min: 0, max: 63 }), fc.boolean())
  .map(([k, asBig]) => {
    const v = 1n << BigInt(k);
    return [v, asBig ? v : canon(v)];
  });

/** Values that are not addresses. */
export const NOT_ADDRESSES: (number | bigint)[] = [
  1.5,
  -1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  2 ** 53,
  2 ** 64,
  -1n,
  1n << 64n,
];

// Reference model: plain bigint arithmetic.
export const model = {
  alignDown: (a: bigint, al: bigint) => a - (a % al),
  alignUp: (a: bigint, al: bigint) => (a % al === 0n ? a : a - (a % al) + al),
  alignOffset: (a: bigint, al: bigint) => a % al,
  inSpace: (x: bigint) => x >= 0n && x <= MAX,
  wrap: (x: bigint) => ((x % TWO64) + TWO64) % TWO64,
};
