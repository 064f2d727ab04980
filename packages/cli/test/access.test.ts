/**
 * `ptm translate --access`: every arch's emulator MMU over the demo's own
 * images (saved with `demo --save-image`), asserting the exact fault fields
 * of a permitted read, a write to a read-only page, a user access to a kernel
 * page, a fetch from a no-execute page and an unmapped VA; the JSON shape;
 * bad options; and that nothing is ever written, to the file or to memory.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X64Mmu } from '@page-table/arch-x86_64';
import { Access } from '@page-table/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessProbe } from '../src/access.js';
import { FileMemory } from '../src/file-memory.js';
import type { MmuRequest } from '../src/mmu-options.js';
import { resolveMode } from '../src/modes.js';
import { expectError, type JsonValue, ptm, ptmIn, ptmInJson, tempDir, writeImage } from './helpers.js';

const tmp = tempDir();
const file = (name: string) => join(tmp.dir, name);

// The demo's kernel image (the same VAs in every mode): .text RX, .rodata R, .data RW, and the guard page below it.
const TEXT = '0xffffffff80001234';
const RODATA = '0xffffffff800a0010';
const DATA = '0xffffffff800d0040';
const GUARD = '0xffffffff7ffff000';

/** The image arguments of each saved table, by mode id (`aarch64-upper` for the TTBR1 table). */
const images = new Map<string, string[]>();
/** SHA-256 of every image file before any test ran. */
const hashes = new Map<string, string>();

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

beforeAll(() => {
  const demo = ptmInJson(['demo', '--save-image', file('demo.img')]);
  for (const m of demo.modes) {
    m.tables.forEach((t: JsonValue, i: number) => {
      const args = m.image.commands[i].slice('ptm dump '.length).split(' ');
      images.set(t.upper ? `${m.mode}-upper` : m.mode, args);
    });
  }
  // Variants a real access would write to: a RISC-V leaf with A and D clear, an AArch64 leaf with AF clear.
  const clear = (from: string, to: string, offset: number, mask: bigint) => {
    const b = readFileSync(file(from));
    b.writeBigUInt64LE(b.readBigUInt64LE(offset) & ~mask, offset);
    writeFileSync(file(to), b);
  };
  clear('demo-riscv-sv39.img', 'sv39-no-ad.img', 0x10_3008, 0xc0n); // L0 entry 1 of kernel .text
  clear('demo-aarch64.img', 'a64-no-af.img', 0x10_6008, 0x400n); // L3 entry 1 of kernel .text
  // Sv39 tables whose root links to a table outside the image (an access fault, not a page fault).
  writeImage(file('sv39-outside.img'), 0x2000, [[0x1000, ((0x9999_9000n >> 12n) << 10n) | 1n]]);
  for (const name of readdirSync(tmp.dir)) hashes.set(name, sha(file(name)));
});

afterAll(() => tmp.cleanup());

/** The arguments selecting a saved table, with `file` swapped in when given. */
function on(key: string, image?: string): string[] {
  const args = [...(images.get(key) ?? [])];
  if (image !== undefined) args[args.indexOf('--image') + 1] = file(image);
  return args;
}

/** `ptm translate … --json` in-process: the document. */
function translate(key: string, options: string[], vas: string[], image?: string): JsonValue {
  return ptmInJson(['translate', ...on(key, image), ...options, ...vas]);
}

/** The access result of one VA. */
function access(key: string, options: string[], va: string, image?: string): JsonValue {
  return translate(key, options, [va], image).translations[0].access;
}

describe('x86_64', () => {
  it('permits a kernel read of .text, with the PA, page size and flags', () => {
    const a = access('x86_64', ['--access', 'r'], TEXT);
    expect(a).toMatchObject({ ok: true, pa: '0x201234', size: '0x1000', pageSize: '4K', fault: null, stop: null });
    // The demo's leaf has A = 0: the read would set it.
    expect(a.update).toEqual({ entryPa: '0x105008', before: '0x201001', after: '0x201021' });
    expect(a.flags).toEqual(['READ', 'EXECUTE']);
    expect(a.permissions).toEqual(['READ', 'EXECUTE']);
    expect(a.walk.map((s: JsonValue) => [s.table, s.index, s.entryPa])).toEqual([
      ['PML4', 511, '0x100ff8'],
      ['PDPT', 510, '0x103ff0'],
      ['PD', 0, '0x104000'],
      ['PT', 1, '0x105008'],
    ]);
  });

  it('gives #PF with the decoded error code and CR2', () => {
    const write = access('x86_64', ['--access', 'w'], RODATA);
    expect(write.ok).toBe(false);
    expect(write.fault).toEqual({
      name: '#PF',
      vector: 14,
      errorCode: 0x3,
      errorBits: { P: true, W: true, U: false, RSVD: false, ID: false, PK: false },
      cr2: RODATA,
      summary: `#PF (page fault, vector 14), error code 0x3 (P|W), CR2 = ${RODATA}`,
    });
    expect(write.permissions).toEqual(['READ']);
    expect(write.stop).toBe('protection at level 0 (PTE): write to a read-only page (R/W = 0 at some level)');

    const user = access('x86_64', ['--user'], DATA);
    expect(user.fault).toMatchObject({
      vector: 14,
      errorCode: 0x5,
      errorBits: { P: true, W: false, U: true, ID: false },
      cr2: DATA,
    });
    expect(user.permissions).toEqual([]);
    expect(access('x86_64', ['--cpl', '3'], DATA).fault).toEqual(user.fault);

    const fetch = access('x86_64', ['--access', 'x'], DATA);
    expect(fetch.fault).toMatchObject({
      vector: 14,
      errorCode: 0x11,
      errorBits: { P: true, W: false, U: false, ID: true },
    });
    expect(fetch.permissions).toEqual(['READ', 'WRITE']);

    const unmapped = access('x86_64', ['--access', 'w'], GUARD);
    expect(unmapped.fault).toMatchObject({ vector: 14, errorCode: 0x2, errorBits: { P: false, W: true }, cr2: GUARD });
    expect(unmapped.permissions).toBeNull();
    expect(unmapped.stop).toBe('not present at level 2 (PDPTE)');
    expect(unmapped.walk.map((s: JsonValue) => s.entry)).toEqual(['0x103007', '0x0']);
  });

  it('gives #GP(0) for a non-canonical VA, before any walk', () => {
    const a = access('x86_64', ['--access', 'r'], '0x800000000000');
    expect(a.fault).toEqual({ name: '#GP', vector: 13, errorCode: 0, summary: expect.stringMatching(/^#GP\(0\)/) });
    expect(a.walk).toEqual([]);
    expect(a.permissions).toBeNull();
  });

  it('reads the registers: RSVD without EFER.NXE, WP, 5-level', () => {
    // Without NXE, the XD bit of a no-execute leaf is reserved: P | RSVD.
    const rsvd = access('x86_64', ['--efer', '0x500'], RODATA);
    expect(rsvd.fault).toMatchObject({ errorCode: 0x9, errorBits: { P: true, RSVD: true } });
    // Registers in decimal are the same registers.
    expect(translate('x86_64', ['--cr0', '2147549201', '--efer', '3328'], [TEXT]).mmu.registers).toMatchObject({
      CR0: '0x80010011',
      EFER: '0xd00',
    });
    // Without CR0.WP the kernel writes to read-only pages.
    expect(access('x86_64', ['--access', 'w', '--cr0', '0x80000011'], RODATA)).toMatchObject({
      ok: true,
      pa: '0x2a0010',
    });
    const la57 = translate('x86_64-la57', ['--access', 'r'], [TEXT]);
    expect(la57.mmu.registers.CR4).toBe('0x1020');
    expect(la57.translations[0].access.walk.map((s: JsonValue) => s.table)).toEqual([
      'PML5',
      'PML4',
      'PDPT',
      'PD',
      'PT',
    ]);
    expect(access('x86_64-la57', ['--access', 'r'], '0x100000000000000').fault.name).toBe('#GP');
  });
});

describe('riscv', () => {
  it('permits a read and gives the page faults by exception code, with tval', () => {
    expect(access('riscv-sv39', ['--access', 'r'], TEXT)).toMatchObject({
      ok: true,
      pa: '0x80201234',
      pageSize: '4K',
      flags: ['READ', 'EXECUTE'],
    });
    expect(access('riscv-sv39', ['--access', 'w'], RODATA).fault).toEqual({
      name: 'store/AMO page fault',
      cause: 15,
      type: 'page-fault',
      tval: RODATA,
      summary: `store/AMO page fault (exception code 15), tval = ${RODATA}`,
    });
    const user = access('riscv-sv39', ['--user'], DATA);
    expect(user.fault).toMatchObject({ name: 'load page fault', cause: 13, tval: DATA });
    expect(user.stop).toMatch(/^U=0 page at U-mode at level 0/);
    expect(user.permissions).toEqual([]);
    expect(access('riscv-sv39', ['--priv', 'u'], DATA).fault).toEqual(user.fault);
    const fetch = access('riscv-sv39', ['--access', 'x'], DATA);
    expect(fetch.fault).toMatchObject({ name: 'instruction page fault', cause: 12 });
    expect(fetch.permissions).toEqual(['READ', 'WRITE']);
    const unmapped = access('riscv-sv39', [], GUARD, undefined);
    expect(unmapped).toBeNull(); // no MMU option: the plain walk only
    const guard = access('riscv-sv39', ['--access', 'r'], GUARD);
    expect(guard.fault).toMatchObject({ cause: 13, type: 'page-fault', tval: GUARD });
    expect(guard.stop).toMatch(/^V=0 at level 2/);
    expect(guard.permissions).toBeNull();
    // Not canonical for Sv39: a page fault, no walk.
    expect(access('riscv-sv39', ['--access', 'w'], '0x8000000000')).toMatchObject({ fault: { cause: 15 }, walk: [] });
  });

  it('gives an access fault (5) for a table outside memory, and M-mode is untranslated', () => {
    const a = ptmInJson([
      'translate',
      '--arch',
      'riscv-sv39',
      '--image',
      file('sv39-outside.img'),
      '--root',
      '0x1000',
      '--access',
      'r',
      '0x1000',
    ]);
    expect(a.translations[0].access.fault).toMatchObject({
      name: 'load access fault',
      cause: 5,
      type: 'access-fault',
      tval: '0x1000',
    });
    expect(access('riscv-sv39', ['--priv', 'm'], '0x80200010')).toMatchObject({
      ok: true,
      pa: '0x80200010',
      walk: [],
      details: { scheme: 'Bare', priv: 'M' },
    });
    // M-mode loads through MPRV = 1 (bit 17) with MPP = S (bits 12:11) are translated at S.
    expect(access('riscv-sv39', ['--priv', 'm', '--mstatus', '0x20800'], TEXT)).toMatchObject({
      ok: true,
      pa: '0x80201234',
      details: { scheme: 'Sv39', priv: 'S' },
    });
  });

  it('reports the A/D write of Svadu, and faults on A = 0 without it', () => {
    const svade = access('riscv-sv39', ['--access', 'r'], TEXT, 'sv39-no-ad.img');
    expect(svade.fault).toMatchObject({ cause: 13 });
    expect(svade.stop).toMatch(/^A=0 \(Svade\)/);
    expect(svade.permissions).toEqual(['READ', 'EXECUTE']); // the leaf's own rights, though Svade faults on A = 0
    const svadu = access('riscv-sv39', ['--access', 'w', '--svadu'], TEXT, 'sv39-no-ad.img');
    expect(svadu.fault).toMatchObject({ cause: 15 }); // .text is not writable
    const read = access('riscv-sv39', ['--svadu'], TEXT, 'sv39-no-ad.img');
    expect(read).toMatchObject({
      ok: true,
      update: { entryPa: '0x80103008', before: '0x2008040b', after: '0x2008044b' },
    });
  });

  it('checks --satp against the mode and the root', () => {
    expect(translate('riscv-sv39', ['--satp', '0x8000000000080100'], [TEXT]).mmu.registers.satp).toBe(
      '0x8000000000080100',
    );
    expect(ptmIn(['translate', ...on('riscv-sv39'), '--satp', '0x9000000000080100', TEXT]).stderr).toMatch(
      /selects Sv48 but the tables are Sv39/,
    );
  });
});

describe('aarch64', () => {
  it('gives Data and Instruction Aborts with ESR, EC, FSC, WnR and FAR', () => {
    const t = 'aarch64-upper';
    expect(access(t, ['--access', 'r'], TEXT)).toMatchObject({
      ok: true,
      pa: '0x40201234',
      pageSize: '4K',
      flags: ['READ', 'EXECUTE'],
    });
    expect(access(t, ['--access', 'w'], RODATA).fault).toEqual({
      name: 'Data Abort',
      esr: '0x9600004f',
      ec: 0x25,
      fsc: 0x0f,
      faultKind: 'permission',
      level: 3,
      wnr: true,
      far: RODATA,
      el: 1,
      summary: `Data Abort from EL1, taken to EL1 (EC 0x25): Permission fault, level 3; ESR_EL1 = 0x9600004f, FAR_EL1 = ${RODATA}`,
    });
    const user = access(t, ['--user'], DATA);
    expect(user.fault).toMatchObject({
      name: 'Data Abort',
      esr: '0x9200000f',
      ec: 0x24,
      fsc: 0x0f,
      faultKind: 'permission',
      wnr: false,
      el: 0,
    });
    expect(user.permissions).toEqual([]);
    expect(access(t, ['--el', '0'], DATA).fault).toEqual(user.fault);
    const fetch = access(t, ['--access', 'x'], DATA);
    expect(fetch.fault).toMatchObject({
      name: 'Instruction Abort',
      esr: '0x8600000f',
      ec: 0x21,
      fsc: 0x0f,
      wnr: false,
      far: DATA,
    });
    expect(fetch.permissions).toEqual(['READ', 'WRITE']);
    const unmapped = access(t, ['--access', 'w'], GUARD);
    expect(unmapped.fault).toMatchObject({
      esr: '0x96000045',
      fsc: 0x05,
      faultKind: 'translation',
      level: 1,
      wnr: true,
      far: GUARD,
    });
    expect(unmapped.walk.map((s: JsonValue) => s.kind)).toEqual(['table', 'invalid']);
    // The image has one table: the other range's walks are disabled by the default TCR.
    const other = access(t, ['--access', 'r'], '0x1000');
    expect(other.fault).toMatchObject({ esr: '0x96000004', faultKind: 'translation', level: 0 });
    expect(other.stop).toMatch(/EPD0/);
  });

  it('takes the lower range as TTBR0, and EL2 as its own regime', () => {
    const lower = translate('aarch64', ['--user', '--access', 'x'], ['0xaaaaaaa00010']);
    expect(lower.mmu.registers).toMatchObject({ TTBR0_EL1: '0x40100000', TTBR1_EL1: '0x0', TCR_EL1: '0x5b5903510' });
    expect(lower.translations[0].access).toMatchObject({
      ok: true,
      pa: '0x41000010',
      details: { regime: 'EL1&0', ttbr: 0 },
    });
    const el2 = translate('aarch64', ['--el', '2', '--access', 'w'], ['0xaaaaaaa00010']);
    expect(el2.mmu.registers).toEqual({
      TTBR0_EL2: '0x40100000',
      TCR_EL2: '0x80853510',
      SCTLR_EL2: '0x30c51835',
      MAIR_EL2: '0x44ff04',
    });
    expect(el2.translations[0].access.fault).toMatchObject({ esr: '0x9600004f', el: 2 });
  });

  it('gives the Access flag fault, and with TCR.HA the AF write it would make', () => {
    const af = access('aarch64-upper', ['--access', 'r'], TEXT, 'a64-no-af.img');
    expect(af.fault).toMatchObject({ esr: '0x9600000b', fsc: 0x0b, faultKind: 'access-flag', level: 3 });
    expect(af.permissions).toEqual(['READ', 'EXECUTE']);
    const ha = access('aarch64-upper', ['--tcr', '0x85b5103590'], TEXT, 'a64-no-af.img');
    expect(ha).toMatchObject({
      ok: true,
      update: { entryPa: '0x40106008', before: '0x40000040201387', after: '0x40000040201787' },
    });
  });
});

describe('loongarch64', () => {
  it('gives PME, PPI, PNX, PIL and ADEM/ADEF with BADV', () => {
    const la = 'loongarch64';
    expect(access(la, ['--access', 'r'], TEXT)).toMatchObject({
      ok: true,
      pa: '0x90201234',
      pageSize: '4K',
      details: { path: 'walk' },
    });
    expect(access(la, ['--access', 'w'], RODATA).fault).toEqual({
      name: 'PME',
      ecode: 4,
      esubcode: 0,
      refill: false,
      badv: RODATA,
      summary: `PME (page modification exception, Ecode 0x4, EsubCode 0), BADV = ${RODATA}`,
    });
    const user = access(la, ['--user'], DATA);
    expect(user.fault).toMatchObject({ name: 'PPI', ecode: 7, esubcode: 0, refill: false, badv: DATA });
    expect(user.permissions).toEqual(['READ', 'WRITE']); // the page's own, as the MMU reports them
    expect(access(la, ['--plv', '3'], DATA).fault).toEqual(user.fault);
    expect(access(la, ['--access', 'x'], DATA).fault).toMatchObject({ name: 'PNX', ecode: 6 });
    const unmapped = access(la, ['--access', 'r'], GUARD);
    expect(unmapped.fault).toMatchObject({ name: 'PIL', ecode: 1, refill: false, badv: GUARD });
    expect(unmapped.permissions).toBeNull();
    expect(access(la, ['--access', 'w'], '0x800000000000')).toMatchObject({
      fault: { name: 'ADEM', ecode: 8, esubcode: 1 },
      walk: [],
    });
    expect(access(la, ['--access', 'x'], '0x800000000000').fault).toMatchObject({
      name: 'ADEF',
      ecode: 8,
      esubcode: 0,
    });
  });

  it('gives the TLB refill exception when the guest refills (--ptw off)', () => {
    const a = access('loongarch64', ['--ptw', 'off', '--access', 'w'], TEXT);
    expect(a.fault).toMatchObject({ name: 'TLBR', ecode: 2, esubcode: 0, refill: true, badv: TEXT });
    expect(a.details).toEqual({ path: 'refill', dmw: null });
    expect(a.walk).toHaveLength(5); // Dir3, Dir2, Dir1 and the PTE pair the guest's handler would load
  });

  it('walks the 3-level layout from --levels', () => {
    const t = translate('loongarch64-3level', ['--access', 'r'], [TEXT]);
    expect(t.mmu.registers).toMatchObject({ PWCL: '0x13e4d52c', PWCH: '0x0', CRMD: '0x10' });
    expect(t.translations[0].access.walk.map((s: JsonValue) => s.table)).toEqual(['Dir2', 'Dir1', 'PT', 'PT']);
  });

  it('translates directly with CRMD.DA = 1, and says so', () => {
    expect(access('loongarch64', ['--crmd', '0x8'], '0x1234')).toMatchObject({
      ok: true,
      pa: '0x1234',
      size: '0x1000000000000',
      pageSize: '256T',
      walk: [],
      details: { path: 'direct' },
    });
    const r = ptmIn(['translate', ...on('loongarch64'), '--crmd', '8', '0x1234']);
    expect(r.stdout).toContain(
      'VA 0x1234 read → PA 0x1234  direct address translation (CRMD.DA = 1)  rwx-d-  READ|WRITE|EXECUTE|DEVICE\n',
    );
  });
});

describe('the JSON schema', () => {
  it('adds mmu and access, null without an MMU option', () => {
    const plain = translate('x86_64', [], [TEXT]);
    expect(plain.mmu).toBeNull();
    expect(plain.translations[0].access).toBeNull();
    const t = translate('x86_64', ['--access', 'w'], [RODATA, TEXT]);
    expect(Object.keys(t)).toEqual([
      'schema',
      'command',
      'arch',
      'mode',
      'title',
      'levels',
      'input',
      'root',
      'tables',
      'upper',
      'mmu',
      'translations',
    ]);
    // The same envelope as `ptm dump --json` (schema 2), without the filter.
    expect(t.schema).toBe(2);
    expect(Object.keys(t.input)).toEqual(['file', 'format', 'description', 'machine', 'regions']);
    expect(t.input.format).toBe('raw');
    expect(t.root).toEqual({ paddr: '0x100000', source: 'option', detail: expect.any(String) });
    const d = ptmInJson(['dump', ...on('x86_64')]);
    for (const k of ['schema', 'arch', 'mode', 'title', 'levels', 'input', 'root', 'tables', 'upper'])
      expect(t[k], k).toEqual(d[k]);
    expect(t.mmu).toEqual({
      access: 'write',
      privilege: 'CPL 0',
      user: false,
      registers: { CR0: '0x80010011', CR3: '0x100000', CR4: '0x20', EFER: '0xd00', RFLAGS: '0x2', PKRU: '0x0' },
    });
    // The table walk's fields stay as they were; `access` comes after them.
    expect(Object.keys(t.translations[0])).toEqual([
      'va',
      'mapped',
      'pa',
      'flags',
      'pageSize',
      'walk',
      'stop',
      'access',
    ]);
    for (const x of t.translations) {
      expect(Object.keys(x.access)).toEqual([
        'ok',
        'pa',
        'size',
        'pageSize',
        'flags',
        'permissions',
        'fault',
        'stop',
        'update',
        'walk',
        'details',
      ]);
      for (const s of x.access.walk)
        expect(Object.keys(s)).toEqual(['level', 'table', 'index', 'entryPa', 'entry', 'kind']);
    }
    // The plain walk still says the page is mapped; the MMU says the write faults.
    expect(t.translations[0]).toMatchObject({ mapped: true, access: { ok: false, pa: null, flags: null } });
    expect(t.translations[1].access.details).toEqual({ pagingMode: '4-level' });
    const names = (key: string, options: string[]) => translate(key, options, [TEXT]).mmu.registers;
    expect(Object.keys(names('riscv-sv39', ['--user']))).toEqual(['satp', 'mstatus', 'Svadu']);
    expect(Object.keys(names('aarch64-upper', ['--user']))).toEqual([
      'TTBR0_EL1',
      'TTBR1_EL1',
      'TCR_EL1',
      'SCTLR_EL1',
      'MAIR_EL1',
      'PAN',
    ]);
    expect(Object.keys(names('loongarch64', ['--user']))).toEqual(['CRMD', 'PGDL', 'PGDH', 'PWCL', 'PWCH', 'PTW']);
  });
});

describe('the human output', () => {
  it('shows the MMU, the fault, its fields, the permissions and the walk', async () => {
    // Through the binary once: the bundle carries the MMUs.
    const r = await ptm(['translate', ...on('x86_64'), '--access', 'w', RODATA, DATA]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[1]).toBe(
      'MMU write at CPL 0 · CR0 0x80010011 · CR3 0x100000 · CR4 0x20 · EFER 0xd00 · RFLAGS 0x2 · PKRU 0x0',
    );
    expect(r.stdout).toContain(
      `VA ${RODATA} write → #PF (page fault, vector 14), error code 0x3 (P|W), CR2 = ${RODATA}\n`,
    );
    expect(r.stdout).toContain('  error code   P=1 (protection) W=1 (write) U=0 (supervisor) RSVD=0 I/D=0 PK=0\n');
    expect(r.stdout).toContain('  permissions  r-----  READ\n');
    expect(r.stdout).toMatch(/ {2}PT +160 +0x105500 +0x80000000002a0001\n/);
    expect(r.stdout).toContain(`VA ${DATA} write → PA 0x2d0040  4K page  rw----  READ|WRITE\n`);
  });

  it('speaks each arch', () => {
    const text = (key: string, options: string[], va: string) => {
      const r = ptmIn(['translate', ...on(key), ...options, va]);
      expect(r.code).toBe(0);
      return r.stdout;
    };
    expect(text('riscv-sv39', ['--user'], DATA)).toContain(`load page fault (exception code 13), tval = ${DATA}`);
    const a64 = text('aarch64-upper', ['--access', 'x'], DATA);
    expect(a64).toContain(
      'Instruction Abort from EL1, taken to EL1 (EC 0x21): Permission fault, level 3; ESR_EL1 = 0x8600000f',
    );
    expect(a64).toContain('ESR          EC 0x21 · IL 1 · WnR 0 · FSC 0x0f (Permission fault, level 3)');
    expect(a64).toMatch(/ {2}L3 +208 +0x40106680 +0x00600000402d0707 +page\n/);
    expect(text('loongarch64', ['--ptw', 'off'], TEXT)).toContain(`TLBR (TLB refill exception): TLBRBADV = ${TEXT}`);
    expect(text('loongarch64', ['--access', 'w'], RODATA)).toContain(
      `PME (page modification exception, Ecode 0x4, EsubCode 0), BADV = ${RODATA}`,
    );
  });
});

describe('bad options (exit 2, one line)', () => {
  it('rejects a bad access, privilege, option of another arch, or registers the MMU cannot use', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['x86_64', ['--access', 'q'], /--access: 'q' is not r \(read\), w \(write\) or x \(execute\)/],
      ['x86_64', ['--access', 'read'], /--access: 'read' is not r/],
      ['x86_64', ['--cpl', '4'], /--cpl: '4' is not a privilege level from 0 to 3/],
      ['x86_64', ['--cpl=-1'], /--cpl: '-1' is not a privilege level/],
      ['x86_64', ['--cpl', '-1'], /option --cpl needs a value; write a value that starts with '-' as --cpl=-/],
      ['aarch64', ['--el', '3'], /--el: '3' is not a privilege level from 0 to 2/],
      ['loongarch64', ['--plv', '4'], /--plv: '4' is not a privilege level from 0 to 3/],
      ['riscv-sv39', ['--priv', 'h'], /--priv: 'h' is not u \(user\), s \(supervisor\) or m \(machine\)/],
      ['x86_64', ['--user', '--cpl', '3'], /--user and --cpl both give the privilege/],
      ['riscv-sv39', ['--cpl', '0'], /--cpl is for x86_64; riscv takes --priv, --satp, --mstatus, --svadu and --user/],
      ['x86_64', ['--el', '1'], /--el is for aarch64; x86_64 takes --cpl, /],
      ['aarch64-upper', ['--satp', '0'], /--satp is for riscv; aarch64 takes --el, /],
      ['loongarch64', ['--pan'], /--pan is for aarch64; loongarch64 takes --plv, /],
      ['x86_64', ['--crmd', '0x10'], /--crmd is for loongarch64/],
      ['loongarch64', ['--ptw', 'maybe'], /--ptw: 'maybe' is not on or off/],
      ['x86_64', ['--cr0', 'zz'], /--cr0: 'zz' is not a number/],
      ['x86_64', ['--cr4', '0x1_0000_0000_0000_0000'], /--cr4: .* does not fit in 64 bits/],
      ['x86_64', ['--cr4', '0x1020'], /--cr4 0x1020 sets LA57 \(bit 12\) but the tables are x86_64 4-level/],
      ['x86_64-la57', ['--cr4', '0x20'], /--cr4 0x20 clears LA57/],
      ['x86_64', ['--efer', '0x800'], /select PAE paging outside IA-32e mode, but the tables are x86_64 4-level/],
      ['riscv-sv39', ['--satp', '0x5000000000000000'], /--satp 0x5000000000000000: MODE 5 is not Bare/],
      [
        'riscv-sv39',
        ['--satp', '0x8000000000080101'],
        /has its root table at 0x80101000 \(PPN << 12\), not at --root 0x80100000/,
      ],
      ['aarch64-upper', ['--el', '2'], /--upper: the EL2 regime/],
      ['aarch64', ['--el', '2', '--pan'], /--pan: PSTATE.PAN has no effect at EL2/],
      ['aarch64', ['--sctlr', '0x2000001'], /SCTLR_EL1.EE/],
      ['loongarch64', ['--pwcl', '0x1'], /unsupported page-walk layout/],
    ];
    for (const [key, options, message] of cases)
      expectError(ptmIn(['translate', ...on(key), ...options, TEXT]), 2, message);
  });
});

describe('nothing is written', () => {
  it('leaves memory as it was: debugTranslate writes no A/D or AF bit where translate would', () => {
    const x86 = resolveMode('x86_64');
    const request: MmuRequest = {
      access: Access.Write,
      privilege: undefined,
      registers: {},
      svadu: true,
      pan: false,
      ptw: true,
    };
    const cases: Array<[string, ReturnType<typeof resolveMode>, number, bigint, boolean, MmuRequest, string[]]> = [
      ['demo-x86_64.img', x86, 0, 0x10_0000n, false, request, [TEXT, RODATA, DATA, GUARD, '0x555555404010']],
      [
        'sv39-no-ad.img',
        resolveMode('riscv-sv39'),
        0x8000_0000,
        0x8010_0000n,
        false,
        { ...request, access: Access.Read },
        [TEXT],
      ],
      [
        'a64-no-af.img',
        resolveMode('aarch64'),
        0x4000_0000,
        0x4010_1000n,
        true,
        { ...request, access: Access.Read, registers: { tcr: 0x85_b510_3590n } },
        [TEXT],
      ],
      [
        'demo-loongarch64.img',
        resolveMode('loongarch64'),
        0x9000_0000,
        0x9010_0000n,
        false,
        request,
        [TEXT, RODATA, DATA],
      ],
    ];
    for (const [name, mode, base, root, upper, req, vas] of cases) {
      const mem = new FileMemory(file(name), { base, cacheFrames: 512 });
      for (let f = 0; f < mem.frameCount; f++) mem.frameWord(base / 4096 + f); // every frame in the pool
      const before = Buffer.from(mem.words.slice().buffer);
      const same = () => Buffer.from(mem.words.buffer, mem.words.byteOffset, mem.words.byteLength).equals(before);
      const probe = createAccessProbe(mode, mem, root, upper, req);
      const outcomes = vas.map((va) => probe.run(BigInt(va)));
      expect(same()).toBe(true);
      // The variants would be written to: the probe reports the write it did not make.
      // (x86_64: the write to .data, whose leaf would get A and D; the write to .text faults.)
      if (name !== 'demo-loongarch64.img') expect(outcomes[name === 'demo-x86_64.img' ? 2 : 0].update).toBeDefined();
      if (name === 'demo-x86_64.img') {
        // The control: a real access sets A bits in the same memory, so the comparison above would see it.
        const mmu = new X64Mmu(mem, { cr0: 0x8001_0011, cr3: root, cr4: 0x20, efer: 0xd00 });
        expect(mmu.translate(BigInt(TEXT), Access.Read).fault).toBeUndefined();
        expect(same()).toBe(false);
      }
      mem.close();
    }
  });

  it('leaves every image file byte-identical', () => {
    expect(hashes.size).toBeGreaterThan(8);
    for (const [name, hash] of hashes) expect(sha(file(name)), name).toBe(hash);
  });
});

describe('help', () => {
  it('documents the access options', () => {
    const r = ptmIn(['translate', '--help']);
    expect(r.code).toBe(0);
    for (const option of [
      '--access r|w|x',
      '--user',
      '--cpl 0..3',
      '--cr0 N',
      '--priv u|s|m',
      '--satp N',
      '--svadu',
      '--el 0..2',
      '--tcr N',
      '--pan',
      '--plv 0..3',
      '--crmd N',
      '--pwcl N',
      '--ptw on|off',
    ]) {
      expect(r.stdout).toContain(option);
    }
  });
});
