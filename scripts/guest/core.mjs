// Opens a QEMU core for the capture scripts with the repository's own reader (@page-table/dump,
// built dist) and records every frame a page-table walk reads: the frames the fixtures keep.
import { bytesSource, FrameMemory, openDump } from '../../packages/dump/dist/index.js';

/**
 * `{ dump, memory, touched, frameBytes }`: the opened dump, a PagingHandler over it for the
 * walkers, the set of frames read so far, and a copy of one frame's bytes.
 */
export function openCore(bytes) {
  const dump = openDump(bytesSource(bytes));
  const touched = new Set();
  const recording = {
    readFrame(frame, into) {
      const ok = dump.frames.readFrame(frame, into);
      if (ok) touched.add(frame);
      return ok;
    },
  };
  const frameBytes = (frame) => {
    const into = new Uint8Array(4096);
    if (!dump.frames.readFrame(frame, into)) throw new Error(`frame ${frame} is not in the core`);
    return into;
  };
  return { dump, memory: new FrameMemory(recording, { cacheFrames: 16384 }), touched, frameBytes };
}

/** The raw bytes of an ELF64 core's PT_NOTE segment (copied verbatim into a reduced core). */
export function elfNotes(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = Number(dv.getBigUint64(32, true));
  for (let i = 0; i < dv.getUint16(56, true); i++) {
    const o = phoff + i * dv.getUint16(54, true);
    if (dv.getUint32(o, true) === 4) {
      const offset = Number(dv.getBigUint64(o + 8, true));
      return bytes.subarray(offset, offset + Number(dv.getBigUint64(o + 32, true)));
    }
  }
  throw new Error('the core has no PT_NOTE');
}
