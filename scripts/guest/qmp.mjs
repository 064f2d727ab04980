// Minimal clients for QEMU's two control channels the capture scripts and QEMU tests use:
// QMP (JSON lines on a unix socket or TCP) with HMP commands through `human-monitor-command`,
// and the GDB remote protocol for registers QMP does not show (AArch64 TTBRs).
import { connect } from 'node:net';

/** A QMP connection: `await Qmp.open(path | {host, port})`, then `cmd` / `hmp`. */
export class Qmp {
  static open(where, timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      const sock = typeof where === 'string' ? connect(where) : connect(where.port, where.host);
      const q = new Qmp(sock, timeoutMs);
      sock.once('error', reject);
      q.next().then(async (greeting) => {
        if (!greeting.QMP) return reject(new Error(`not a QMP greeting: ${JSON.stringify(greeting)}`));
        sock.off('error', reject);
        await q.cmd('qmp_capabilities');
        resolve(q);
      }, reject);
    });
  }

  constructor(sock, timeoutMs) {
    this.sock = sock;
    this.timeoutMs = timeoutMs;
    this.buf = '';
    this.queue = [];
    this.waiters = [];
    this.events = [];
    sock.setEncoding('utf8');
    sock.on('data', (d) => {
      this.buf += d;
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line);
        if (msg.event) {
          this.events.push(msg);
          continue;
        }
        const w = this.waiters.shift();
        if (w) w.resolve(msg);
        else this.queue.push(msg);
      }
    });
    sock.on('close', () => {
      for (const w of this.waiters.splice(0)) w.reject(new Error('QMP connection closed'));
    });
  }

  next() {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('QMP: no answer in time')), this.timeoutMs);
      this.waiters.push({
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
        reject,
      });
    });
  }

  /** Runs a QMP command; resolves with its `return`, rejects with its `error`. */
  async cmd(execute, args) {
    this.sock.write(`${JSON.stringify(args ? { execute, arguments: args } : { execute })}\n`);
    const m = await this.next();
    if (m.error) throw new Error(`QMP ${execute}: ${m.error.class}: ${m.error.desc}`);
    return m.return;
  }

  /** Runs an HMP command line and returns its text. */
  hmp(line) {
    return this.cmd('human-monitor-command', { 'command-line': line });
  }

  close() {
    this.sock.destroy();
  }
}

function checksum(s) {
  let c = 0;
  for (let i = 0; i < s.length; i++) c = (c + s.charCodeAt(i)) & 0xff;
  return c.toString(16).padStart(2, '0');
}

/** A GDB remote connection to QEMU's gdbstub that only reads: target description and registers. */
export class GdbClient {
  static open(host, port, timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      const sock = connect(port, host);
      sock.once('error', reject);
      sock.once('connect', async () => {
        sock.off('error', reject);
        const g = new GdbClient(sock, timeoutMs);
        try {
          await g.request('qSupported:xmlRegisters=i386');
          resolve(g);
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  constructor(sock, timeoutMs) {
    this.sock = sock;
    this.timeoutMs = timeoutMs;
    this.buf = '';
    this.waiter = undefined;
    sock.setEncoding('latin1');
    sock.on('data', (d) => {
      this.buf += d;
      this.pump();
    });
  }

  pump() {
    for (;;) {
      this.buf = this.buf.replace(/^[+-]+/, '');
      const start = this.buf.indexOf('$');
      const end = this.buf.indexOf('#', start);
      if (start < 0 || end < 0 || this.buf.length < end + 3) return;
      const data = this.buf.slice(start + 1, end);
      this.buf = this.buf.slice(end + 3);
      this.sock.write('+');
      if (data.startsWith('O') && data !== 'OK' && /^O[0-9a-f]+$/.test(data)) continue;
      const w = this.waiter;
      this.waiter = undefined;
      if (w) w(data);
    }
  }

  /** Sends one packet and resolves with the reply's data. */
  request(data) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`gdbstub: no answer to ${data.slice(0, 20)}`)), this.timeoutMs);
      this.waiter = (reply) => {
        clearTimeout(t);
        resolve(reply);
      };
      this.sock.write(`$${data}#${checksum(data)}`);
    });
  }

  async readXml(annex) {
    let text = '';
    for (;;) {
      const r = await this.request(`qXfer:features:read:${annex}:${text.length.toString(16)},ffb`);
      text += r.slice(1);
      if (r[0] === 'l') return text;
      if (r[0] !== 'm') throw new Error(`gdbstub: qXfer ${annex}: ${r}`);
    }
  }

  /** Register numbers and sizes by name, from the target description and its includes, in order. */
  async registers() {
    const regs = new Map();
    let next = 0;
    const visit = async (annex) => {
      const xml = await this.readXml(annex);
      for (const m of xml.matchAll(/<xi:include href="([^"]+)"\/?>|<reg ([^>]*)>/g)) {
        if (m[1]) {
          await visit(m[1]);
          continue;
        }
        const attr = (k) => m[2].match(new RegExp(`\\b${k}="([^"]*)"`))?.[1];
        const num = attr('regnum');
        if (num !== undefined) next = Number(num);
        regs.set(attr('name'), { num: next, bits: Number(attr('bitsize')) });
        next++;
      }
    };
    await visit('target.xml');
    return regs;
  }

  /** Reads registers by name (little-endian targets). */
  async read(names) {
    const regs = await this.registers();
    const out = {};
    for (const name of names) {
      const r = regs.get(name);
      if (!r) throw new Error(`gdbstub: no register ${name}`);
      const hex = await this.request(`p${r.num.toString(16)}`);
      if (!/^[0-9a-f]+$/.test(hex)) throw new Error(`gdbstub: p ${name}: ${hex}`);
      let v = 0n;
      for (let i = hex.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(Number.parseInt(hex.slice(i, i + 2), 16));
      out[name] = v;
    }
    return out;
  }

  close() {
    this.sock.destroy();
  }
}
