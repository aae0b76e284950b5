/**
 * The primary's store: an in-memory map, made durable by an append-only log (record.ts).
 *
 * Why a log and not "write a temp file, fsync, rename" per write: a rename rewrites every item
 * for every PUT, so its cost grows with the store; an append costs the record alone, and one
 * fdatasync covers every write that arrived while the previous one ran (group commit). The
 * rename is kept for compaction, where rewriting everything is the point.
 *
 * Order of one batch: append the records, fdatasync, then apply them to the map and resolve
 * their promises (whose callers then answer 2xx). A reader therefore never sees a value that a
 * crash could still take back.
 */
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRecord, MAGIC, recover, type LogOp, type Recovered } from './record.js';

export interface LogStoreOptions {
  /** The folder that holds `store.log` (created if missing). */
  dir: string;
  /** fdatasync each batch before answering (default true). Off: a process crash still loses nothing, a power cut may. */
  fsync?: boolean;
  /** The most items; a PUT of a new id past it answers 'full' (default 10 000). */
  maxItems?: number;
  /** Compact once the log has grown past this many bytes and twice its size after the last compaction (default 8 MiB). */
  compactBytes?: number;
}

/** 'full': a new id, refused because the store holds maxItems (writes already queued may pass it by their number). */
export type PutResult = 'created' | 'replaced' | 'full';

interface Pending {
  entry: LogOp;
  record: Buffer;
  resolve(result: PutResult | boolean): void;
  reject(error: unknown): void;
}

export const LOG_FILE = 'store.log';

export class LogStore {
  private readonly pending: Pending[] = [];
  private flushing = false;
  private failure: Error | null = null;
  private compactAt: number;

  private constructor(
    private readonly dir: string,
    private readonly fsync: boolean,
    private readonly compactBytes: number,
    private readonly maxItems: number,
    private readonly items: Map<string, string>,
    private file: FileHandle,
    private logBytes: number,
    /** What start-up recovery found. */
    readonly recovered: Recovered,
  ) {
    this.compactAt = Math.max(compactBytes, 2 * logBytes);
  }

  /** Recovers the log (dropping a torn tail), rewrites it compacted, and opens it for appends. */
  static async open(options: LogStoreOptions): Promise<LogStore> {
    await mkdir(options.dir, { recursive: true });
    const path = join(options.dir, LOG_FILE);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      bytes = Buffer.alloc(0);
    }
    const recovered = recover(bytes);
    if (recovered.foreign)
      throw new Error(`${path} is not a rest-store log (it does not start with ${MAGIC.toString('latin1')}); refusing to overwrite it`);
    const size = await writeSnapshot(options.dir, recovered.items);
    const file = await open(path, 'a');
    const compactBytes = options.compactBytes ?? 8 * 1024 * 1024;
    return new LogStore(options.dir, options.fsync ?? true, compactBytes, options.maxItems ?? 10_000, recovered.items, file, size, recovered);
  }

  get size(): number {
    return this.items.size;
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  get(id: string): string | undefined {
    return this.items.get(id);
  }

  /** Every item as one JSON object text, `{"id":value,...}` (values are stored as JSON text). */
  list(): string {
    let text = '{';
    for (const [id, value] of this.items) text += `${text.length > 1 ? ',' : ''}${JSON.stringify(id)}:${value}`;
    return text + '}';
  }

  /** Resolves once the write is durable (or written, with fsync off) and visible to get(). */
  put(id: string, value: string): Promise<PutResult> {
    if (!this.items.has(id) && this.items.size >= this.maxItems) return Promise.resolve('full');
    return this.enqueue({ op: 'put', id, value }) as Promise<PutResult>;
  }

  /** Resolves with whether the id existed, once the delete is durable (logged either way: it is decided in log order). */
  delete(id: string): Promise<boolean> {
    return this.enqueue({ op: 'del', id }) as Promise<boolean>;
  }

  /** Waits for queued writes, then closes the file. */
  async close(): Promise<void> {
    while (this.flushing || this.pending.length > 0) await new Promise((resolve) => setImmediate(resolve));
    await this.file.close();
  }

  private enqueue(entry: LogOp): Promise<PutResult | boolean> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ entry, record: encodeRecord(entry), resolve, reject });
      void this.flush();
    });
  }

  /** One batch at a time: everything queued while a batch syncs goes out in the next one. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    let batch: Pending[] = [];
    try {
      while (this.pending.length > 0) {
        batch = this.pending.splice(0);
        const bytes = Buffer.concat(batch.map((p) => p.record));
        for (let written = 0; written < bytes.length;) written += (await this.file.write(bytes, written)).bytesWritten;
        if (this.fsync) await this.file.datasync();
        this.logBytes += bytes.length;
        // Applied in log order, so the map is what a replay of the file gives.
        for (const p of batch) p.resolve(this.apply(p.entry));
        batch = [];
        if (this.logBytes >= this.compactAt) await this.compact();
      }
    } catch (error) {
      // After a failed write the file's tail is unknown: fail every write from now on rather
      // than acknowledge one behind a hole. A restart recovers the valid prefix.
      this.failure = error instanceof Error ? error : new Error(String(error));
      for (const p of [...batch, ...this.pending.splice(0)]) p.reject(error);
    } finally {
      this.flushing = false;
    }
  }

  private apply(entry: LogOp): PutResult | boolean {
    if (entry.op === 'put') {
      const existed = this.items.has(entry.id);
      this.items.set(entry.id, entry.value);
      return existed ? 'replaced' : 'created';
    }
    return this.items.delete(entry.id);
  }

  /** Rewrites the log as one put per live item (temp, fsync, rename), between batches. */
  private async compact(): Promise<void> {
    await this.file.close();
    this.logBytes = await writeSnapshot(this.dir, this.items);
    this.file = await open(join(this.dir, LOG_FILE), 'a');
    this.compactAt = Math.max(this.compactBytes, 2 * this.logBytes);
  }
}

/**
 * Writes `items` as a fresh log: to a temp file, fsync, rename over the log, fsync the folder
 * (so the rename itself survives a power cut). A crash leaves the old log or the new one whole.
 * Always synced, even with fsync off: it replaces the only copy. Returns the log's size.
 */
async function writeSnapshot(dir: string, items: ReadonlyMap<string, string>): Promise<number> {
  const temp = join(dir, `${LOG_FILE}.tmp`);
  const parts: Buffer[] = [MAGIC];
  for (const [id, value] of items) parts.push(encodeRecord({ op: 'put', id, value }));
  const bytes = Buffer.concat(parts);
  const file = await open(temp, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, join(dir, LOG_FILE));
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
  return bytes.length;
}
