/**
 * `pnpm bench` (MMU part): ns per `translatePa` of every architecture's
 * emulator MMU — a TLB hit, a TLB miss (a full walk with A/D writes) and a
 * fault — next to a bare typed-array lookup (the floor of any software TLB)
 * and the page table's own `queryPa` over the same pages, measured in one
 * run. Each MMU runs in its own process.
 */
import { spawnSync } from 'node:child_process';
import { A64Mmu, A64PageTable } from '@page-table/arch-aarch64';
import { LA64Mmu, LA64PageTable, PWCH_4LEVEL, PWCL_4LEVEL } from '@page-table/arch-loongarch64';
import { RiscvMmu, SatpMode, Sv48PageTable, satp } from '@page-table/arch-riscv';
import { X64Mmu, X64PageTable } from '@page-table/arch-x86_64';
import { Access, MappingFlags, type PageTable64, RamHandler } from '@page-table/core';
import { BASE, PAGES, scrambledVas } from './scene.js';

const HOT = 64; // pages that stay in the TLB
const args = process.argv.slice(2);
const REPS = args.includes('--quick') ? 3 : 7;

interface Mmu {
  translatePa(va: number, access: Access): number;
}

interface Target {
  name: string;
  setup(ram: RamHandler): { pt: PageTable64; mmu: Mmu; flush(): void };
}

const RWU = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.USER;

const TARGETS: Target[] = [
  {
    name: 'x86_64 X64Mmu',
    setup: (ram) => {
      const pt = X64PageTable.create(ram);
      const mmu = new X64Mmu(ram, { cr0: 0x8001_0011, cr3: pt.rootPaddr, cr4: 0x20, efer: 0xd00, cpl: 3, rflags: 0x2 });
      return { pt, mmu, flush: () => mmu.writeCr3(pt.rootPaddr) };
    },
  },
  {
    name: 'riscv RiscvMmu (Sv48)',
    setup: (ram) => {
      const pt = Sv48PageTable.create(ram);
      const mmu = new RiscvMmu(ram, { satp: satp(SatpMode.Sv48, 0, pt.rootPaddr), mstatus: 0, priv: 0, svadu: true });
      return { pt, mmu, flush: () => mmu.sfenceVma() };
    },
  },
  {
    name: 'aarch64 A64Mmu',
    setup: (ram) => {
      const pt = A64PageTable.create(ram, { range: 'lower' });
      // T0SZ = T1SZ = 16 (48-bit), 4 KiB granules, HA = HD = 1; SCTLR.M.
      const tcr = 16n | (16n << 16n) | (2n << 30n) | (5n << 32n) | (1n << 39n) | (1n << 40n);
      const mmu = new A64Mmu(ram, {
        ttbr0: pt.rootPaddr,
        ttbr1: 0,
        tcr,
        sctlr: 1,
        mair: 0x0044_ff04,
        el: 0,
        pan: false,
      });
      return { pt, mmu, flush: () => mmu.tlbiVmalle1() };
    },
  },
  {
    name: 'loongarch64 LA64Mmu',
    setup: (ram) => {
      const pt = LA64PageTable.create(ram);
      const mmu = new LA64Mmu(ram, {
        crmd: 0x10 | 3,
        pgdl: pt.rootPaddr,
        pgdh: pt.rootPaddr,
        pwcl: PWCL_4LEVEL,
        pwch: PWCH_4LEVEL,
        asid: 0,
        ptw: true,
      });
      return { pt, mmu, flush: () => mmu.invtlb(0) };
    },
  },
];

const cold = scrambledVas();
const hot = new Float64Array(PAGES);
for (let i = 0; i < PAGES; i++) hot[i] = BASE + (i % HOT) * 4096 + 0x40;
const unmapped = new Float64Array(PAGES);
for (let i = 0; i < PAGES; i++) unmapped[i] = cold[i] + 0x1_0000_0000;

function best(fn: () => number): number {
  let b = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let r = 0; r < REPS; r++) {
    const t0 = process.hrtime.bigint();
    sink += fn();
    b = Math.min(b, Number(process.hrtime.bigint() - t0) / PAGES);
  }
  if (sink === 0.5) console.log('');
  return b;
}

// A bare direct-mapped lookup: tag compare and an add, the floor of a software TLB hit.
const TAGS = new Float64Array(256);
const FRAMES = new Float64Array(256);
for (let i = 0; i < HOT; i++) {
  const vpn = Math.floor((BASE + i * 4096) / 4096);
  TAGS[vpn & 255] = vpn;
  FRAMES[vpn & 255] = 0x10_0000 + i;
}
function bareLoop(): number {
  let acc = 0;
  for (let i = 0; i < PAGES; i++) {
    const v = hot[i];
    const vpn = Math.floor(v / 4096);
    const s = vpn & 255;
    acc += TAGS[s] === vpn ? FRAMES[s] * 4096 + (v % 4096) : -1;
  }
  return acc;
}

function hitLoop(mmu: Mmu): number {
  let acc = 0;
  for (let i = 0; i < PAGES; i++) acc += mmu.translatePa(hot[i], Access.Read);
  return acc;
}

function missLoop(mmu: Mmu, flush: () => void): number {
  flush();
  let acc = 0;
  for (let i = 0; i < PAGES; i++) acc += mmu.translatePa(cold[i], Access.Write);
  return acc;
}

function faultLoop(mmu: Mmu): number {
  let acc = 0;
  for (let i = 0; i < PAGES; i++) acc += mmu.translatePa(unmapped[i], Access.Read);
  return acc;
}

function queryLoop(pt: PageTable64): number {
  let acc = 0;
  for (let i = 0; i < PAGES; i++) acc += pt.queryPa(cold[i]);
  return acc;
}

function benchMmu(t: Target): Record<string, number | string> {
  const ram = new RamHandler({ base: 0, size: 64 << 20 });
  const { pt, mmu, flush } = t.setup(ram);
  pt.mapRegion(BASE, 0x1_0000_0000, PAGES * 4096, RWU, false);
  if (mmu.translatePa(cold[0], Access.Write) !== pt.queryPa(cold[0]))
    throw new Error(`${t.name}: MMU and query disagree`);
  return {
    name: t.name,
    bare: best(bareLoop),
    hit: best(() => hitLoop(mmu)),
    miss: best(() => missLoop(mmu, flush)),
    query: best(() => queryLoop(pt)),
    fault: best(() => faultLoop(mmu)),
  };
}

const child = args.includes('--child') ? args[args.indexOf('--child') + 1] : undefined;
if (child !== undefined) {
  const t = TARGETS.find((x) => x.name === child);
  if (t === undefined) throw new Error(`unknown target ${child}`);
  console.log(JSON.stringify(benchMmu(t)));
} else {
  const f = (x: number | string) => (typeof x === 'number' ? x.toFixed(1) : x);
  console.log(`\nMMU: node ${process.version}, best of ${REPS}, one process per MMU; ns per translatePa`);
  console.log(
    '| MMU | bare typed-array lookup | TLB hit | hit / bare | TLB miss (walk + A/D) | queryPa | miss / query | fault |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const t of TARGETS) {
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], ...args, '--child', t.name], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`${t.name}: ${r.stderr}`);
    const row = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
    console.log(
      `| ${row.name} | ${f(row.bare)} | ${f(row.hit)} | ${(row.hit / row.bare).toFixed(2)}x | ${f(row.miss)} | ${f(row.query)} | ${(row.miss / row.query).toFixed(2)}x | ${f(row.fault)} |`,
    );
  }
}
