/**
 * One keyspace (Redis's db 0): keys to values, with deadlines kept two ways, as Redis does
 * (expire.c): actively, on the scheduler's timer wheel, and lazily, on access, so that a key
 * read after its deadline is gone even if its timer has not fired yet.
 *
 * Keys are byte strings held as latin1 JavaScript strings (one character per byte: binary-safe).
 * Deadlines are Unix milliseconds (Date.now()), as PEXPIREAT takes them.
 */
import { Timer, type TimerTarget, type TimerWheel } from '@percore/server/scheduler';

/** The value kinds. Only strings exist so far; the commands ask `kind` before they touch a value. */
export type ValueKind = 'string';

/** A wheel timer longer than this is re-armed when it fires, so that no delay overflows a turn count. */
const MAX_TIMER_DELAY_MS = 24 * 60 * 60 * 1000;

export class Entry implements TimerTarget {
  /** The Unix millisecond at which the key expires; 0 for never. */
  expiresAt = 0;
  timer: Timer | null = null;
  readonly kind: ValueKind = 'string';

  constructor(
    readonly keyspace: Keyspace,
    readonly key: string,
    public value: Buffer,
  ) {}

  onTimer(): void {
    this.keyspace.onDeadline(this);
  }
}

export interface KeyspaceStats {
  expiredKeys: number;
  hits: number;
  misses: number;
}

export class Keyspace {
  private readonly entries = new Map<string, Entry>();
  private expiring = 0;
  readonly stats: KeyspaceStats = { expiredKeys: 0, hits: 0, misses: 0 };

  constructor(
    private readonly timers: TimerWheel,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Keys with a deadline. */
  get expiringCount(): number {
    return this.expiring;
  }

  /** The live entry for `key`, or undefined (deleting it if its deadline has passed). */
  lookup(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.expiresAt === 0 || entry.expiresAt > this.now()) return entry;
    this.expire(entry);
    return undefined;
  }

  /** `lookup`, counted in keyspace_hits / keyspace_misses (for reads). */
  read(key: string): Entry | undefined {
    const entry = this.lookup(key);
    if (entry === undefined) this.stats.misses++;
    else this.stats.hits++;
    return entry;
  }

  /** Sets `key` to `value`; `keepTtl` keeps an existing deadline (SET KEEPTTL), otherwise it is cleared. */
  set(key: string, value: Buffer, keepTtl = false): Entry {
    const existing = this.lookup(key);
    if (existing !== undefined) {
      existing.value = value;
      if (!keepTtl) this.setDeadline(existing, 0);
      return existing;
    }
    const entry = new Entry(this, key, value);
    this.entries.set(key, entry);
    return entry;
  }

  delete(key: string): boolean {
    const entry = this.lookup(key);
    if (entry === undefined) return false;
    this.remove(entry);
    return true;
  }

  /** Sets (or with 0 clears) the Unix-millisecond deadline of a live entry. A deadline in the past deletes it. */
  setDeadline(entry: Entry, expiresAt: number): void {
    if (expiresAt !== 0 && expiresAt <= this.now()) {
      this.remove(entry);
      return;
    }
    if ((entry.expiresAt === 0) !== (expiresAt === 0)) this.expiring += expiresAt === 0 ? -1 : 1;
    entry.expiresAt = expiresAt;
    if (expiresAt === 0) {
      if (entry.timer !== null) this.timers.cancel(entry.timer);
      return;
    }
    entry.timer ??= new Timer(entry);
    this.timers.schedule(entry.timer, Math.min(expiresAt - this.now(), MAX_TIMER_DELAY_MS));
  }

  flush(): void {
    for (const entry of this.entries.values()) if (entry.timer !== null) this.timers.cancel(entry.timer);
    this.entries.clear();
    this.expiring = 0;
  }

  /** @internal The entry's wheel timer fired: delete it if due, or re-arm for the rest. */
  onDeadline(entry: Entry): void {
    if (this.entries.get(entry.key) !== entry || entry.expiresAt === 0) return;
    const left = entry.expiresAt - this.now();
    if (left <= 0) this.expire(entry);
    else this.timers.schedule(entry.timer!, Math.min(left, MAX_TIMER_DELAY_MS));
  }

  private expire(entry: Entry): void {
    this.stats.expiredKeys++;
    this.remove(entry);
  }

  private remove(entry: Entry): void {
    this.entries.delete(entry.key);
    if (entry.expiresAt !== 0) this.expiring--;
    entry.expiresAt = 0;
    if (entry.timer !== null) this.timers.cancel(entry.timer);
  }
}
