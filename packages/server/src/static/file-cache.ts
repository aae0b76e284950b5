import type { FileEntry } from './representation.js';

/**
 * Cached files by decoded path key ('/css/app.css', '/docs/' for a directory's index). An entry
 * is trusted for `revalidateMs` after its metadata was read; after that the handler stats the
 * file again before using it, so a changed file is served stale for at most that long; a path
 * found missing stays 404 as long, a file created there is found after it.
 * Bounded by entry count and by body bytes; the oldest entries go first.
 */
export class FileCache {
  private readonly entries = new Map<string, FileEntry>();
  /** Paths found missing, and when: a miss is trusted for revalidateMs too, so a 404 costs no stat. */
  private readonly misses = new Map<string, number>();
  private heldBytes = 0;

  constructor(
    private readonly revalidateMs: number,
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  /** Body bytes held, over all entries. */
  get bytes(): number {
    return this.heldBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry for `key` if it is fresh at `nowMs`. */
  fresh(key: string, nowMs: number): FileEntry | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && nowMs - entry.checkedAt < this.revalidateMs ? entry : undefined;
  }

  /** Whether `key` was found missing less than revalidateMs before `nowMs`. */
  missing(key: string, nowMs: number): boolean {
    const checkedAt = this.misses.get(key);
    return checkedAt !== undefined && nowMs - checkedAt < this.revalidateMs;
  }

  /**
   * Records `key` as missing (and drops its entry). Misses are kept apart from files, within
   * their own bound of maxEntries, so a flood of 404s can evict only other misses.
   */
  markMissing(key: string, nowMs: number): void {
    this.delete(key);
    this.misses.delete(key);
    if (this.misses.size >= this.maxEntries) {
      for (const [oldKey] of this.misses) {
        this.misses.delete(oldKey);
        if (this.misses.size < this.maxEntries) break;
      }
    }
    this.misses.set(key, nowMs);
  }

  /** The entry for `key`, fresh or stale (a stale one lends its bytes to its replacement). */
  any(key: string): FileEntry | undefined {
    return this.entries.get(key);
  }

  /** Whether an entry of `bytes` body bytes may be kept at all. */
  admits(bytes: number): boolean {
    return bytes <= this.maxBytes;
  }

  set(key: string, entry: FileEntry): void {
    this.delete(key);
    this.misses.delete(key);
    if (!this.admits(entry.bytes)) return;
    // Evict the oldest until the new one fits (Map iterates in insertion order).
    for (const [oldKey] of this.entries) {
      if (this.entries.size < this.maxEntries && this.heldBytes + entry.bytes <= this.maxBytes) break;
      this.delete(oldKey);
    }
    this.entries.set(key, entry);
    this.heldBytes += entry.bytes;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.heldBytes -= entry.bytes;
  }
}
