import { X64PageTable } from '@page-table/arch-x86_64';
import { RamHandler } from '@page-table/core';
import { scrambled } from './scene.js';
import { countCb, countNext, iterRuns } from './_m.js';
const ram = new RamHandler({ base: 0, size: 16 << 20 });
const pt = X64PageTable.create(ram);
const order = scrambled(1 << 20);
pt.mapRegion(0x4000_0000, (va) => 0x1_0000_0000 + order[((va as number) - 0x4000_0000) / 4096] * 4096, (1 << 20) * 4096, 3);
const root = (pt.rootPaddr as number) / 4096;
const cpu = (f: () => number) => { const t = process.cpuUsage(); const n = f(); const d = process.cpuUsage(t); return ((d.user + d.system) * 1000 / n).toFixed(1); };
for (let r = 0; r < 6; r++) {
  const a = cpu(() => { let n = 0; for (const m of pt.mappings()) n++; return n; });
  const b = cpu(() => { let k = 0; countCb(pt.meta, ram, root, () => k++); return k; });
  const c = cpu(() => { let n = 0; for (const m of iterRuns(pt.meta, ram, root)) n++; return n; });
  console.log('gen', a, 'cb', b, 'class iter', c, 'ns cpu/leaf');
}
