/**
 * What one permessage-deflate message costs, async zlib stream against sync, per size, direction and
 * context mode. Not a test: results go to benchmarks/results/2026-12-02-websocket-deflate.md.
 *
 *   cd packages/server && taskset -c 1 npx tsx test/websocket/deflate-cost.ts [--rounds 5] [--ms 250]
 *
 * Methods:
 *   async     the connection's persistent stream, write + flush(Z_SYNC_FLUSH): a threadpool round trip per message
 *   sync      the same persistent stream driven with handle.writeSync (writeSyncBounded), as PerMessageDeflate does
 *   oneshot   zlib.deflateRawSync / inflateRawSync: a fresh stream per message (no context takeover only)
 *   chosen    PerMessageDeflate itself (sync under SYNC_BELOW_BYTES, async above)
 * CPU µs is process.cpuUsage() (user + system, threadpool threads included) per message.
 */
import * as zlib from 'node:zlib';
import { PerMessageDeflate, canDriveSync, resolveDeflateOptions, writeSyncBounded } from '../../src/websocket/permessage-deflate.js';

const args = process.argv.slice(2);
const argument = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const ROUNDS = argument('rounds', 5);
const CASE_MS = argument('ms', 250);
const SIZES = [64, 1024, 16 * 1024, 64 * 1024, 256 * 1024];
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const SYNC_FLUSH = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
const DEFLATE_OPTIONS = { level: 1, memLevel: 8, windowBits: 15 };

/** `count` JSON-like messages of about `size` bytes, each different (ids, numbers, words). */
function messages(size: number, count: number): Buffer[] {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  const result: Buffer[] = [];
  let seed = size;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let m = 0; m < count; m++) {
    let text = `{"type":"update","seq":${m},"items":[`;
    while (text.length < size - 2) {
      text += `{"id":${Math.floor(random() * 1e6)},"name":"${words[Math.floor(random() * 10)]}","price":${(random() * 100).toFixed(2)},"ok":${random() < 0.5}},`;
    }
    result.push(Buffer.from((text.slice(0, size - 2) + ']}').slice(0, size)));
  }
  return result;
}

interface Case {
  name: string;
  /** Processes message i; resolves when done. */
  run(i: number): Promise<void> | void;
}

/** Compressed forms of `plain`, made in order by one stream (takeover) or one by one (no takeover). */
function compressedSequence(plain: Buffer[], takeover: boolean): Buffer[] {
  if (!takeover) return plain.map((m) => zlib.deflateRawSync(m, { ...DEFLATE_OPTIONS, ...SYNC_FLUSH }).subarray(0, -4));
  const stream = zlib.createDeflateRaw(DEFLATE_OPTIONS);
  return plain.map((m) => {
    const out: Buffer[] = [];
    const result = writeSyncBounded(stream, m, Infinity, out);
    if (result.kind !== 'ok') throw new Error('deflate failed');
    return Buffer.concat(out).subarray(0, -4);
  });
}

function asyncFlush(stream: zlib.DeflateRaw | zlib.InflateRaw, input: Buffer[]): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => void chunks.push(chunk);
    stream.on('data', onData);
    for (const part of input) stream.write(part);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.removeListener('data', onData);
      resolve(Buffer.concat(chunks));
    });
  });
}

function cases(size: number, direction: 'deflate' | 'inflate', takeover: boolean, count: number): Case[] {
  const plain = messages(size, count);
  const result: Case[] = [];
  const params = { serverNoContextTakeover: !takeover, clientNoContextTakeover: !takeover, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  const options = resolveDeflateOptions({ serverNoContextTakeover: !takeover, clientNoContextTakeover: !takeover, threshold: 0 });
  if (direction === 'deflate') {
    let asyncStream = zlib.createDeflateRaw(DEFLATE_OPTIONS);
    let syncStream = zlib.createDeflateRaw(DEFLATE_OPTIONS);
    let chosen = new PerMessageDeflate(params, options, 0);
    result.push({
      name: 'async',
      async run(i) {
        if (i === 0) asyncStream = zlib.createDeflateRaw(DEFLATE_OPTIONS);
        await asyncFlush(asyncStream, [plain[i]!]);
        if (!takeover) asyncStream.reset();
      },
    });
    result.push({
      name: 'sync',
      run(i) {
        if (i === 0) syncStream = zlib.createDeflateRaw(DEFLATE_OPTIONS);
        writeSyncBounded(syncStream, plain[i]!, Infinity, []);
        if (!takeover) syncStream.reset();
      },
    });
    if (!takeover) result.push({ name: 'oneshot', run: (i) => void zlib.deflateRawSync(plain[i]!, { ...DEFLATE_OPTIONS, ...SYNC_FLUSH }) });
    result.push({
      name: 'chosen',
      run(i) {
        if (i === 0) chosen = new PerMessageDeflate(params, options, 0);
        return new Promise((resolve) => chosen.compress(plain[i]!, () => resolve()));
      },
    });
  } else {
    const compressed = compressedSequence(plain, takeover);
    let asyncStream = zlib.createInflateRaw();
    let syncStream = zlib.createInflateRaw();
    let chosen = new PerMessageDeflate(params, options, 0);
    result.push({
      name: 'async',
      async run(i) {
        if (i === 0) asyncStream = zlib.createInflateRaw();
        await asyncFlush(asyncStream, [compressed[i]!, TAIL]);
        if (!takeover) asyncStream.reset();
      },
    });
    result.push({
      name: 'sync',
      run(i) {
        if (i === 0) syncStream = zlib.createInflateRaw();
        writeSyncBounded(syncStream, compressed[i]!, Infinity, []);
        writeSyncBounded(syncStream, TAIL, Infinity, []);
        if (!takeover) syncStream.reset();
      },
    });
    if (!takeover) {
      result.push({
        name: 'oneshot',
        run: (i) => void zlib.inflateRawSync(Buffer.concat([compressed[i]!, TAIL]), { ...SYNC_FLUSH, maxOutputLength: 1 << 24 }),
      });
    }
    result.push({
      name: 'chosen',
      run(i) {
        if (i === 0) chosen = new PerMessageDeflate(params, options, 0);
        return new Promise((resolve) => chosen.decompress(compressed[i]!, true, () => resolve()));
      },
    });
  }
  return result;
}

/** Runs messages 0, 1, 2, ... (wrapping: streams restart at 0) for CASE_MS; returns messages/s and CPU µs/message. */
async function measure(c: Case, count: number): Promise<{ rate: number; cpu: number }> {
  for (let i = 0; i < Math.min(count, 20); i++) await c.run(i); // warm up
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let done = 0;
  for (;;) {
    await c.run(done % count);
    done++;
    if (done % 8 === 0 && Number(process.hrtime.bigint() - t0) / 1e6 >= CASE_MS) break;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { rate: done / seconds, cpu: (cpu.user + cpu.system) / done };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  if (!canDriveSync(zlib.createDeflateRaw())) throw new Error('this node does not expose the zlib handle: no sync path');
  console.log(`node ${process.version}, ${ROUNDS} rounds of ${CASE_MS} ms per case, medians; ratio = async CPU µs / sync CPU µs per round`);
  console.log('| direction | context | size | method | msgs/s | CPU µs/msg | async/sync CPU (rounds) |');
  console.log('|---|---|---:|---|---:|---:|---|');
  for (const direction of ['deflate', 'inflate'] as const) {
    for (const takeover of [true, false]) {
      for (const size of SIZES) {
        const count = Math.max(16, Math.min(256, Math.floor((4 << 20) / size)));
        const list = cases(size, direction, takeover, count);
        const samples = new Map<string, { rate: number; cpu: number }[]>(list.map((c) => [c.name, []]));
        for (let round = 0; round < ROUNDS; round++) {
          // Interleave, reversing the order every other round.
          const order = round % 2 ? [...list].reverse() : list;
          for (const c of order) samples.get(c.name)!.push(await measure(c, count));
        }
        const ratios = samples.get('async')!.map((a, r) => a.cpu / samples.get('sync')![r]!.cpu);
        for (const c of list) {
          const s = samples.get(c.name)!;
          const ratio = c.name === 'async' ? `${median(ratios).toFixed(2)}x (${ratios.map((r) => r.toFixed(2)).join(', ')})` : '';
          console.log(
            `| ${direction} | ${takeover ? 'takeover' : 'no takeover'} | ${size} | ${c.name} | ${Math.round(median(s.map((x) => x.rate)))} | ${median(s.map((x) => x.cpu)).toFixed(1)} | ${ratio} |`,
          );
        }
      }
    }
  }
}

await main();
