import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { write as fsWrite } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorCode } from '../../src/errors.js';
import { LineWriter, PIPE_BUF, type LineWriterIo } from '../../src/logging/line-writer.js';
import type { Logger } from '../../src/logging/logger.js';

interface Logged {
  level: 'error' | 'warn';
  code: ErrorCode;
  message: string;
}

function collectingLogger(): { logger: Logger; logged: Logged[] } {
  const logged: Logged[] = [];
  return {
    logged,
    logger: {
      error: (code, message) => logged.push({ level: 'error', code, message }),
      warn: (code, message) => logged.push({ level: 'warn', code, message }),
    },
  };
}

/** Real writes, each one's bytes recorded, and how many were made with writeSync. */
function recordingIo(): { io: LineWriterIo; writes: Buffer[]; syncWrites: () => number } {
  const writes: Buffer[] = [];
  let syncWrites = 0;
  return {
    writes,
    syncWrites: () => syncWrites,
    io: {
      write(fd, buffer, offset, length, callback) {
        writes.push(Buffer.from(buffer.subarray(offset, offset + length)));
        fsWrite(fd, buffer, offset, length, null, callback);
      },
      writeSync(fd, buffer, offset, length) {
        syncWrites++;
        writes.push(Buffer.from(buffer.subarray(offset, offset + length)));
        return writeSync(fd, buffer, offset, length);
      },
    },
  };
}

/** Lines of varied lengths, each numbered so order can be checked. */
function makeLines(count: number, longest = 300): string[] {
  return Array.from({ length: count }, (_, i) => `${i} ${'abcdefghij'.repeat(((i * 7919) % longest) / 10)}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('logging: LineWriter', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'percore-line-writer-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends every line, in order, to a file, in batched synchronous writes each ending at a line boundary', async () => {
    const path = join(dir, 'access.log');
    const { io, writes, syncWrites } = recordingIo();
    const writer = new LineWriter({ destination: path, logger: collectingLogger().logger, io });
    const lines = makeLines(5000);
    for (const [i, line] of lines.entries()) {
      writer.write(line);
      if (i % 500 === 0) await sleep(1); // several batches
    }
    await writer.close();
    expect(readFileSync(path, 'utf8')).to.equal(lines.join(''));
    expect(writes.length).to.be.greaterThan(1);
    expect(writes.length).to.be.lessThan(lines.length / 10); // batched, not a write per line
    for (const chunk of writes) expect(chunk.at(-1)).to.equal(10);
    expect(syncWrites()).to.equal(writes.length);
    expect(writer.dropped).to.equal(0);
  });

  it('appends after what the file holds, and leaves a file opened by another writer whole', async () => {
    const path = join(dir, 'shared.log');
    const first = new LineWriter({ destination: path, logger: collectingLogger().logger });
    const second = new LineWriter({ destination: path, logger: collectingLogger().logger });
    for (let i = 0; i < 2000; i++) {
      first.write(`first ${i}\n`);
      second.write(`second ${i}\n`);
    }
    await Promise.all([first.close(), second.close()]);
    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    expect(lines).to.have.length(4000);
    expect(lines.filter((line) => line.startsWith('first ')).map((line) => Number(line.slice(6)))).to.deep.equal([...Array(2000).keys()]);
    expect(lines.filter((line) => line.startsWith('second ')).map((line) => Number(line.slice(7)))).to.deep.equal([...Array(2000).keys()]);
  });

  it('writes to a FIFO in writes of at most PIPE_BUF bytes, each whole lines; a longer line alone', async function () {
    const fifo = join(dir, 'fifo');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      this.skip();
    }
    // Opened read-write, the FIFO has a reader at once, so the writer's open does not block.
    const reader = openSync(fifo, 'r+');
    try {
      const { io, writes, syncWrites } = recordingIo();
      const writer = new LineWriter({ destination: fifo, logger: collectingLogger().logger, io });
      const long = `long ${'y'.repeat(PIPE_BUF + 500)}\n`;
      const lines = [...makeLines(200), long, ...makeLines(100)]; // about 45 KiB, within the pipe's 64 KiB
      for (const line of lines) writer.write(line);
      await writer.close();
      const expected = lines.join('');
      const received = Buffer.alloc(Buffer.byteLength(expected));
      let got = 0;
      while (got < received.length) got += readSync(reader, received, got, received.length - got, null);
      expect(received.toString()).to.equal(expected);
      expect(writes.length).to.be.greaterThan(5);
      expect(syncWrites(), 'a pipe is written with fs.write').to.equal(0);
      for (const chunk of writes) {
        expect(chunk.at(-1), 'ends at a line boundary').to.equal(10);
        if (chunk.includes('long ')) expect(chunk.toString()).to.equal(long);
        else expect(chunk.length).to.be.at.most(PIPE_BUF);
      }
    } finally {
      closeSync(reader);
    }
  });

  it('retries a write refused with EAGAIN (a full non-blocking pipe) and loses nothing', async () => {
    const path = join(dir, 'again.log');
    let refusals = 0;
    const io: LineWriterIo = {
      write(fd, buffer, offset, length, callback) {
        if (refusals < 3) {
          refusals++;
          setImmediate(() => callback(Object.assign(new Error('EAGAIN: resource temporarily unavailable'), { code: 'EAGAIN' }), 0));
          return;
        }
        fsWrite(fd, buffer, offset, length, null, callback);
      },
      writeSync: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length),
    };
    const { logger, logged } = collectingLogger();
    // sync: false, as for a pipe: the file stands in for one.
    const writer = new LineWriter({ destination: path, logger, io, sync: false });
    const lines = makeLines(300);
    for (const line of lines) writer.write(line);
    await writer.close();
    expect(refusals).to.equal(3);
    expect(readFileSync(path, 'utf8')).to.equal(lines.join(''));
    expect(logged).to.deep.equal([]);
  });

  for (const sync of [true, false]) {
    it(`finishes a partial write where it stopped (${sync ? 'writeSync' : 'fs.write'})`, async () => {
      const path = join(dir, 'partial.log');
      // At most 7 bytes per write, as a slow destination might take.
      const io: LineWriterIo = {
        write: (fd, buffer, offset, length, callback) => fsWrite(fd, buffer, offset, Math.min(length, 7), null, callback),
        writeSync: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, Math.min(length, 7)),
      };
      const writer = new LineWriter({ destination: path, logger: collectingLogger().logger, io, sync });
      const lines = makeLines(50, 40);
      for (const line of lines) writer.write(line);
      await writer.close();
      expect(readFileSync(path, 'utf8')).to.equal(lines.join(''));
    });
  }

  it('bounds what waits: past maxPendingBytes it drops lines, counts them, reports the first at once and the rest later (here at close)', async () => {
    const path = join(dir, 'stalled.log');
    let release: (() => void) | null = null;
    const io: LineWriterIo = {
      // The destination stalls until released.
      write(fd, buffer, offset, length, callback) {
        release = () => fsWrite(fd, buffer, offset, length, null, callback);
      },
      writeSync: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length),
    };
    const { logger, logged } = collectingLogger();
    const writer = new LineWriter({ destination: path, logger, io, maxPendingBytes: 1000, sync: false });
    const line = `${'z'.repeat(99)}\n`; // 100 bytes
    writer.write(line); // the first batch, flushed at the end of this turn
    await sleep(5);
    expect(release).to.not.equal(null);
    for (let i = 0; i < 30; i++) writer.write(line);
    // 100 bytes in flight + 9 queued = 1000; the other 21 are dropped.
    expect(writer.dropped).to.equal(21);
    expect(logged).to.have.length(1);
    expect(logged[0]).to.include({ level: 'warn', code: 'PERCORE_ERR_LOG_LINES_DROPPED' });
    expect(logged[0]!.message).to.match(/^\d+ log lines dropped: more than 1000 bytes were waiting/);
    release!();
    const closed = writer.close();
    // Each later write stalls again: release them until closed.
    let done = false;
    void closed.then(() => (done = true));
    for (let i = 0; i < 100 && !done; i++) {
      await sleep(2);
      release!();
    }
    await closed;
    expect(readFileSync(path, 'utf8')).to.equal(line.repeat(10));
    // The drops after the first report are reported when the writer closes.
    expect(logged).to.have.length(2);
    expect(logged[1]!.message).to.match(/^\d+ log lines dropped/);
    const reported = logged.map((entry) => Number(entry.message.split(' ')[0]));
    expect(reported[0]! + reported[1]!).to.equal(21);
  });

  for (const sync of [true, false]) {
    it(`counts the lines of a failed write as lost, reports the failure, and goes on with later lines (${sync ? 'writeSync' : 'fs.write'})`, async () => {
      const path = join(dir, 'failing.log');
      let failed = false;
      const noSpace = () => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      const io: LineWriterIo = {
        write(fd, buffer, offset, length, callback) {
          if (failed) return fsWrite(fd, buffer, offset, length, null, callback);
          failed = true;
          setImmediate(() => callback(noSpace(), 0));
        },
        writeSync(fd, buffer, offset, length) {
          if (failed) return writeSync(fd, buffer, offset, length);
          failed = true;
          throw noSpace();
        },
      };
      const { logger, logged } = collectingLogger();
      const writer = new LineWriter({ destination: path, logger, io, sync });
      writer.write('lost 1\n');
      writer.write('lost 2\n');
      await sleep(10);
      writer.write('kept\n');
      await writer.close();
      expect(readFileSync(path, 'utf8')).to.equal('kept\n');
      expect(writer.dropped).to.equal(2);
      expect(logged).to.have.length(1);
      expect(logged[0]).to.include({ level: 'error', code: 'PERCORE_ERR_LOG_WRITE_FAILED' });
      expect(logged[0]!.message).to.include('2 log lines lost').and.include('ENOSPC');
    });
  }

  it('with flushIntervalMs, batches lines across turns of the event loop, and writes them when it passes', async () => {
    const path = join(dir, 'interval.log');
    const { io, writes } = recordingIo();
    // An interval that never passes here: only close writes.
    const batched = new LineWriter({ destination: path, logger: collectingLogger().logger, io, flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) {
      batched.write(`turn ${i}\n`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(writes).to.have.length(0);
    await batched.close();
    expect(writes.map(String)).to.deep.equal([Array.from({ length: 10 }, (_, i) => `turn ${i}\n`).join('')]);
    // A short one passes: the line is written with no close.
    const timed = new LineWriter({ destination: path, logger: collectingLogger().logger, flushIntervalMs: 5 });
    timed.write('timed\n');
    const deadline = Date.now() + 5000;
    while (!readFileSync(path, 'utf8').endsWith('timed\n')) {
      expect(Date.now(), 'the line was written within 5 s').to.be.below(deadline);
      await sleep(5);
    }
    await timed.close();
  });

  it('drops (and counts) lines written after close', async () => {
    const path = join(dir, 'closed.log');
    const writer = new LineWriter({ destination: path, logger: collectingLogger().logger });
    writer.write('before\n');
    await writer.close();
    writer.write('after\n');
    await writer.close();
    expect(readFileSync(path, 'utf8')).to.equal('before\n');
    expect(writer.dropped).to.equal(1);
  });

  it('writes what is pending synchronously on flushSync, in one write to a file', async () => {
    const path = join(dir, 'sync.log');
    const { io, writes } = recordingIo();
    const writer = new LineWriter({ destination: path, logger: collectingLogger().logger, io });
    const lines = makeLines(100);
    for (const line of lines) writer.write(line);
    writer.flushSync(); // before the batch's setImmediate
    expect(readFileSync(path, 'utf8')).to.equal(lines.join(''));
    expect(writes).to.have.length(1);
    await writer.close();
    expect(readFileSync(path, 'utf8')).to.equal(lines.join(''));
  });

  it('writes its pending lines when the process exits (process.exit right after writing)', async () => {
    const path = join(dir, 'exit.log');
    const script = fileURLToPath(new URL('./fixtures/exit-flush.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, FILE: path, LINES: '3000' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).to.equal(0);
    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    expect(lines).to.have.length(3000);
    lines.forEach((line, i) => expect(line.startsWith(`line ${i} `), line).to.equal(true));
  });

  it('refuses a file it cannot open for appending with PERCORE_ERR_INVALID_OPTION', () => {
    expect(() => new LineWriter({ destination: join(dir, 'no', 'such', 'dir.log'), logger: collectingLogger().logger }))
      .to.throw(/cannot open .*dir\.log for appending/)
      .with.property('code', 'PERCORE_ERR_INVALID_OPTION');
  });
});
