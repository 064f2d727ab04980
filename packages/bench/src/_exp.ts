import { X64PageTable } from '@page-table/arch-x86_64';
import { RamHandler } from '@page-table/core';
import { scrambled } from './scene.js';
import { countCb, countNext, enumerateMappings } from './_m.js';
const ram = new RamHandler({ base: 0, size: 16 << 20 });
const pt = X64PageTable.create(ram);
const order = scrambled(1 << 20);
pt.mapRegion(0x4000_0000, (va) => 0x1_0000_0000 + order[((va as number) - 0x4000_0000) / 4096] * 4096, (1 << 20) * 4096, 3);
const root = (pt.rootPaddr as number) / 4096;
for (let r = 0; r < 5; r++) {
  let t0 = performance.now(); let n = 0;
  for (const m of enumerateMappings(pt.meta, ram, root)) n++;
  let t1 = performance.now();
  let k = 0; countCb(pt.meta, ram, root, () => k++);
  let t2 = performance.now();
  const j = countNext(pt.meta, ram, root);
  let t3 = performance.now();
  console.log('gen', ((t1 - t0) * 1e6 / n).toFixed(1), 'cb', ((t2 - t1) * 1e6 / k).toFixed(1), 'next only', ((t3 - t2) * 1e6 / j).toFixed(1));
}
