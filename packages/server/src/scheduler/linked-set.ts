/**
 * An insertion-ordered collection with O(1) add, and O(1) delete through the entry `add` returns:
 * what the scheduler and its listeners keep their open connections in.
 *
 * Why not a Set: with connections opening and closing all the time, a V8 Set (or Map) of the open
 * ones made about 15% of the young generation survive every scavenge, closed connections' objects
 * among them, and each scavenge took 5-12 ms instead of under 1 (Node 26, ab -c25, a new
 * connection per request: benchmarks/results/2026-12-02-per-core.md). A doubly linked list whose
 * removed entries let go of their neighbours holds nothing that has closed.
 */
export class LinkedSet<T> {
  private head: LinkedEntry<T> | null = null;
  private tail: LinkedEntry<T> | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `value` at the end; the entry deletes it again. */
  add(value: T): LinkedEntry<T> {
    const entry = new LinkedEntry(value, this);
    entry.prev = this.tail;
    if (this.tail === null) this.head = entry;
    else this.tail.next = entry;
    this.tail = entry;
    this.count++;
    return entry;
  }

  /** Removes the entry's value. False if it is not (or no longer) in this set. */
  delete(entry: LinkedEntry<T>): boolean {
    if (entry.owner !== this) return false;
    const { prev, next } = entry;
    if (prev === null) this.head = next;
    else prev.next = next;
    if (next === null) this.tail = prev;
    else next.prev = prev;
    entry.prev = entry.next = null;
    entry.owner = null;
    this.count--;
    return true;
  }

  /**
   * The values, oldest first, as a snapshot: the caller may close connections (and so delete
   * entries) while it goes through them.
   */
  values(): IterableIterator<T> {
    const values: T[] = [];
    for (let entry = this.head; entry !== null; entry = entry.next) values.push(entry.value);
    return values.values();
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.values();
  }
}

/** One value's place in a LinkedSet. */
export class LinkedEntry<T> {
  /** @internal */ prev: LinkedEntry<T> | null = null;
  /** @internal */ next: LinkedEntry<T> | null = null;
  /** @internal The set it is in, or null once deleted. */ owner: LinkedSet<T> | null;

  constructor(
    readonly value: T,
    owner: LinkedSet<T>,
  ) {
    this.owner = owner;
  }
}
