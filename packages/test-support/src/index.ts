/**
 * What the packages' tests share. It depends on no workspace package (core's own tests use it too), so what
 * it needs from one, such as the error class, is passed in.
 */
export { type KindedErrorClass, kindOf } from './kind.js';
export { sameMemory } from './memory.js';
export { freePort, headlessQemuArgs } from './qemu.js';
export { loadVectors, type VectorPageRecord, type VectorRecord, type VectorTableRecord } from './vectors.js';
export { walkAll } from './walk.js';
