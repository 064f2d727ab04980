/**
 * A reference model of page tables: plain JS objects, one per table, with
 * shared subtrees shared by reference. Obviously right rather than fast; the
 * model-based test runs it side by side with the real walker.
 */
import type { ArchCase } from './arches.js';
import { accepts, endVa, lowHalfEnd } from './arches.js';

/** A leaf: a page or block. Immutable, so a shared reference is a copy. */
export interface MLeaf {
  readonly leaf: true;
  readonly frame: number;
  readonly flags: number;
}

/** A table: at most 512 entries, each a leaf or a next-level table. */
export interface MNode {
  readonly leaf: false;
  readonly entries: Map<number, MNode | MLeaf>;
}

/** An error the model predicts, by kind. */
export class ModelError extends Error {
  constructor(readonly kind: string) {
    super(kind);
  }
}

const SPAN = [1, 512, 262144, 134217728, 68719476736];
const idx = (vpn: number, level: number) => Math.floor(vpn / SPAN[level]) % 512;
const node = (): MNode => ({ leaf: false, entries: new Map() });

/** One page table of the model. */
export class MTable {
  root: MNode = node();
  borrowed = new Set<number>();
  constructor(readonly top: number) {}
}

/** Frames and tables: what a RamHandler with `capacity` allocatable frames holds. */
export class MWorld {
  live = 0;
  tables: MTable[] = [];
  constructor(
    readonly arch: ArchCase,
    readonly capacity: number,
  ) {}

  /** A deep copy that keeps sharing between tables. */
  clone(): MWorld {
    const w = new MWorld(this.arch, this.capacity);
    w.live = this.live;
    const seen = new Map<MNode, MNode>();
    const copy = (n: MNode): MNode => {
      const done = seen.get(n);
      if (done) return done;
      const c = node();
      seen.set(n, c);
      for (const [i, e] of n.entries) c.entries.set(i, e.leaf ? e : copy(e));
      return c;
    };
    w.tables = this.tables.map((t) => {
      const c = new MTable(t.top);
      c.root = copy(t.root);
      c.borrowed = new Set(t.borrowed);
      return c;
    });
    return w;
  }

  newTable(): MTable {
    if (this.live >= this.capacity) throw new ModelError('NoMemory');
    this.live++;
    const t = new MTable(this.arch.levels - 1);
    this.tables.push(t);
    return t;
  }

  private alloc(): MNode {
    if (this.live >= this.capacity) throw new ModelError('NoMemory');
    this.live++;
    return node();
  }

  private flagsOk(flags: number): void {
    if (!accepts(this.arch, flags)) throw new ModelError('UnsupportedFlags');
  }

  /** A region must stay inside one canonical half. */
  private region(vpn: number, pages: number): void {
    const start = BigInt(vpn) << 12n;
    const end = start + (BigInt(pages) << 12n);
    const lowEnd = lowHalfEnd(this.arch);
    if (start < lowEnd ? end > lowEnd : end > endVa(this.arch)) throw new ModelError('InvalidAddress');
  }

  /** The leaf covering `vpn` and its level, or the level of the hole. */
  lookup(t: MTable, vpn: number): { leaf?: MLeaf; level: number; table: MNode } {
    let n = t.root;
    for (let level = t.top; ; level--) {
      const e = n.entries.get(idx(vpn, level));
      if (e && !e.leaf && level > 0) {
        n = e;
        continue;
      }
      return e?.leaf ? { leaf: e, level, table: n } : { level, table: n };
    }
  }

  map(t: MTable, vpn: number, frame: number, level: number, flags: number): void {
    this.flagsOk(flags);
    this.mapLeaf(t, vpn, frame, level, flags);
  }

  private mapLeaf(t: MTable, vpn: number, frame: number, target: number, flags: number): void {
    let n = t.root;
    for (let level = t.top; level > target; level--) {
      const i = idx(vpn, level);
      const e = n.entries.get(i);
      if (e && !e.leaf) {
        n = e;
        continue;
      }
      if (e) throw new ModelError('MappedToHugePage');
      const c = this.alloc();
      n.entries.set(i, c);
      n = c;
    }
    const i = idx(vpn, target);
    if (n.entries.has(i)) throw new ModelError('AlreadyMapped');
    n.entries.set(i, { leaf: true, frame, flags: this.arch.normalize(flags) });
  }

  unmap(t: MTable, vpn: number): { frame: number; flags: number; level: number } {
    const r = this.lookup(t, vpn);
    if (!r.leaf) throw new ModelError('NotMapped');
    r.table.entries.delete(idx(vpn, r.level));
    return { frame: r.leaf.frame, flags: r.leaf.flags, level: r.level };
  }

  protect(t: MTable, vpn: number, flags: number): number {
    this.flagsOk(flags);
    const r = this.lookup(t, vpn);
    if (!r.leaf) throw new ModelError('NotMapped');
    r.table.entries.set(idx(vpn, r.level), { leaf: true, frame: r.leaf.frame, flags: this.arch.normalize(flags) });
    return r.level;
  }

  remap(t: MTable, vpn: number, frame: number, flags: number): number {
    this.flagsOk(flags);
    const r = this.lookup(t, vpn);
    if (!r.leaf) throw new ModelError('NotMapped');
    if (frame % SPAN[r.level] !== 0) throw new ModelError('NotAligned');
    r.table.entries.set(idx(vpn, r.level), { leaf: true, frame, flags: this.arch.normalize(flags) });
    return r.level;
  }

  mapRegion(t: MTable, vpn: number, pages: number, frame: number, flags: number, huge: boolean): void {
    this.flagsOk(flags);
    this.region(vpn, pages);
    while (pages > 0) {
      let level = 0;
      if (huge && vpn % SPAN[2] === 0 && frame % SPAN[2] === 0 && pages >= SPAN[2]) level = 2;
      else if (huge && vpn % SPAN[1] === 0 && frame % SPAN[1] === 0 && pages >= SPAN[1]) level = 1;
      this.mapLeaf(t, vpn, frame, level, flags);
      vpn += SPAN[level];
      frame += SPAN[level];
      pages -= SPAN[level];
    }
  }

  /** Leaves in `[vpn, vpn + pages)`; throws if a block crosses an end. */
  private leavesIn(
    t: MTable,
    vpn: number,
    pages: number,
  ): Array<{ vpn: number; level: number; table: MNode; leaf: MLeaf }> {
    const out = [];
    const end = vpn + pages;
    while (vpn < end) {
      const r = this.lookup(t, vpn);
      const first = vpn - (vpn % SPAN[r.level]);
      if (r.leaf) {
        if (first !== vpn || first + SPAN[r.level] > end) throw new ModelError('MappedToHugePage');
        out.push({ vpn, level: r.level, table: r.table, leaf: r.leaf });
      }
      vpn = first + SPAN[r.level];
    }
    return out;
  }

  unmapRegion(t: MTable, vpn: number, pages: number): void {
    this.region(vpn, pages);
    for (const l of this.leavesIn(t, vpn, pages)) l.table.entries.delete(idx(l.vpn, l.level));
  }

  protectRegion(t: MTable, vpn: number, pages: number, flags: number): void {
    this.flagsOk(flags);
    this.region(vpn, pages);
    for (const l of this.leavesIn(t, vpn, pages)) {
      l.table.entries.set(idx(l.vpn, l.level), { leaf: true, frame: l.leaf.frame, flags: this.arch.normalize(flags) });
    }
  }

  copyFrom(dst: MTable, src: MTable, vpn: number, pages: number): void {
    this.region(vpn, pages);
    const first = idx(vpn, dst.top);
    const last = idx(vpn + pages - 1, dst.top);
    const seen = new Set<MNode>();
    for (let i = first; i <= last; i++) {
      const old = dst.root.entries.get(i);
      if (old && !old.leaf && !dst.borrowed.has(i)) this.free(old, seen);
      const e = src.root.entries.get(i);
      if (e) dst.root.entries.set(i, e);
      else dst.root.entries.delete(i);
      if (e && !e.leaf) dst.borrowed.add(i);
      else dst.borrowed.delete(i);
    }
  }

  destroy(t: MTable): void {
    const seen = new Set<MNode>();
    for (const [i, e] of t.root.entries) if (!e.leaf && !t.borrowed.has(i)) this.free(e, seen);
    this.live--;
  }

  private free(n: MNode, seen: Set<MNode>): void {
    if (seen.has(n)) return;
    seen.add(n);
    for (const e of n.entries.values()) if (!e.leaf) this.free(e, seen);
    this.live--;
  }

  /** Every leaf as [position VPN, frame, level, flags], in VA order of the table's index space. */
  leaves(t: MTable): Array<[number, number, number, number]> {
    const out: Array<[number, number, number, number]> = [];
    const rec = (n: MNode, level: number, base: number) => {
      for (const i of [...n.entries.keys()].sort((a, b) => a - b)) {
        const e = n.entries.get(i)!;
        const vpn = base + i * SPAN[level];
        if (e.leaf) out.push([vpn, e.frame, level, e.flags]);
        else rec(e, level - 1, vpn);
      }
    };
    rec(t.root, t.top, 0);
    return out;
  }
}
