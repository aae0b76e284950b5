import { PercoreError } from '../errors.js';

/**
 * A hashed timer wheel (Varghese and Lauck): O(1) schedule, reschedule and cancel, with a single
 * Node timer per wheel however many timers are pending.
 *
 * Time is cut into ticks of `resolutionMs`. A timer due at tick T lives in slot T mod slotCount,
 * in an intrusive doubly linked list, so (re)scheduling relinks it without allocating. Each tick
 * visits one slot and fires the timers in it that are due; those due in a later turn of the wheel
 * stay. A timer fires no earlier than asked and at most about two ticks later.
 */

/** The `slot` of a timer that is due and waiting in the expired list. */
const EXPIRED = -2;

export interface TimerTarget {
  onTimer(timer: Timer): void;
}

/** One reusable timer. A task keeps one and reschedules it; it is never allocated per request. */
export class Timer {
  /** The tick at which it is due, or -1 while it is not scheduled. */
  dueTick = -1;
  /** @internal slot links */
  next: Timer | null = null;
  /** @internal */
  prev: Timer | null = null;
  /** @internal */
  slot = -1;

  constructor(readonly target: TimerTarget) {}

  get scheduled(): boolean {
    return this.dueTick >= 0;
  }
}

export interface TimerWheelOptions {
  /** Milliseconds per tick (default 50). Timers fire within about two ticks of their due time. */
  resolutionMs?: number;
  /** Number of slots, a power of two (default 1024): 51 s per turn at the default resolution. */
  slotCount?: number;
  /** Called when a timer's callback throws; the wheel keeps turning. */
  onError?: (error: unknown, timer: Timer) => void;
  /** The clock, in milliseconds; replaceable in tests. */
  now?: () => number;
}

export class TimerWheel {
  readonly resolutionMs: number;
  private readonly slots: Array<Timer | null>;
  private readonly mask: number;
  private readonly now: () => number;
  private readonly onError: (error: unknown, timer: Timer) => void;
  private readonly origin: number;
  /** The last tick whose slot has been processed. */
  private currentTick: number;
  private pending = 0;
  /** Due timers taken out of their slot, waiting for their callback. */
  private expired: Timer | null = null;
  private handle: NodeJS.Timeout | null = null;
  private readonly tickBound = () => this.advance();

  constructor(options: TimerWheelOptions = {}) {
    const resolution = options.resolutionMs ?? 50;
    const slotCount = options.slotCount ?? 1024;
    if (!(resolution >= 1) || !Number.isFinite(resolution)) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `timer resolution must be >= 1 ms, got ${resolution}`);
    }
    if (!Number.isInteger(slotCount) || slotCount < 2 || (slotCount & (slotCount - 1)) !== 0) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `slotCount must be a power of two >= 2, got ${slotCount}`);
    }
    this.resolutionMs = resolution;
    this.slots = new Array<Timer | null>(slotCount).fill(null);
    this.mask = slotCount - 1;
    this.now = options.now ?? performance.now.bind(performance);
    this.onError =
      options.onError ??
      ((error) =>
        queueMicrotask(() => {
          throw error;
        }));
    this.origin = this.now();
    this.currentTick = 0;
  }

  /** Timers scheduled and not yet fired or cancelled. */
  get size(): number {
    return this.pending;
  }

  /** Schedules (or reschedules) `timer` to fire after `delayMs`. O(1). */
  schedule(timer: Timer, delayMs: number): void {
    if (timer.dueTick >= 0) this.unlink(timer);
    else if (this.pending++ === 0) this.start();
    // +1: the current tick is partly over, so round up to never fire early.
    const due = this.currentTick + Math.ceil(delayMs / this.resolutionMs) + 1;
    timer.dueTick = due;
    const slot = due & this.mask;
    timer.slot = slot;
    const head = this.slots[slot];
    timer.prev = null;
    timer.next = head;
    if (head !== null) head.prev = timer;
    this.slots[slot] = timer;
  }

  /** Cancels `timer` if it is scheduled. O(1). */
  cancel(timer: Timer): void {
    if (timer.dueTick < 0) return;
    this.unlink(timer);
    timer.dueTick = -1;
    if (--this.pending === 0) this.stop();
  }

  /** Stops the wheel's Node timer and forgets every pending timer. */
  clear(): void {
    const forget = (head: Timer | null): void => {
      for (let timer = head; timer !== null;) {
        const next = timer.next;
        timer.next = timer.prev = null;
        timer.dueTick = timer.slot = -1;
        timer = next;
      }
    };
    for (let i = 0; i < this.slots.length; i++) {
      forget(this.slots[i]);
      this.slots[i] = null;
    }
    forget(this.expired);
    this.expired = null;
    this.pending = 0;
    this.stop();
  }

  /**
   * Processes every tick up to the clock's present and fires the timers that are due.
   * Called by the wheel's own Node timer; tests with a fake clock call it directly.
   */
  advance(): void {
    const target = Math.floor((this.now() - this.origin) / this.resolutionMs);
    if (target - this.currentTick > this.mask) {
      // Stalled for more than a turn: slot order no longer matches deadline order.
      this.fireAllDueBy(target);
      this.currentTick = target;
      return;
    }
    while (this.currentTick < target && this.pending > 0) {
      this.currentTick++;
      this.fireSlot(this.currentTick & this.mask, this.currentTick);
    }
    this.currentTick = Math.max(this.currentTick, target);
  }

  /** After a long stall: fires every timer due by `tick`, sorted by deadline. */
  private fireAllDueBy(tick: number): void {
    const due: Timer[] = [];
    for (let slot = 0; slot < this.slots.length; slot++) {
      const start = due.length;
      for (let timer = this.slots[slot]!; timer !== null; timer = timer.next!) {
        if (timer.dueTick <= tick) due.push(timer);
      }
      // Slots list newest first; oldest first keeps the schedule order among equal deadlines.
      due.splice(start, due.length - start, ...due.slice(start).reverse());
    }
    due.sort((a, b) => a.dueTick - b.dueTick); // stable
    for (let i = due.length - 1; i >= 0; i--) this.moveToExpired(due[i]!);
    this.fireExpired();
  }

  private fireSlot(slot: number, tick: number): void {
    // First move the due timers to the expired list. No callback runs during this walk, so the
    // links are stable. Pushing to the head reverses the slot's newest-first order: the expired
    // list runs oldest first.
    let timer = this.slots[slot]!;
    while (timer !== null) {
      const next = timer.next;
      if (timer.dueTick <= tick) this.moveToExpired(timer);
      timer = next!;
    }
    this.fireExpired();
  }

  private moveToExpired(timer: Timer): void {
    this.unlink(timer);
    timer.slot = EXPIRED;
    timer.next = this.expired;
    if (this.expired !== null) this.expired.prev = timer;
    this.expired = timer;
  }

  /**
   * Fires the expired list from its head. A callback may cancel or reschedule any timer still on
   * it: both unlink from the expired list like from any slot.
   */
  private fireExpired(): void {
    let timer: Timer | null;
    while ((timer = this.expired) !== null) {
      this.unlink(timer);
      timer.dueTick = -1;
      if (--this.pending === 0) this.stop();
      try {
        timer.target.onTimer(timer);
      } catch (error) {
        this.onError(error, timer);
      }
    }
  }

  private unlink(timer: Timer): void {
    const { prev, next } = timer;
    if (prev !== null) prev.next = next;
    else if (timer.slot === EXPIRED) this.expired = next;
    else this.slots[timer.slot] = next;
    if (next !== null) next.prev = prev;
    timer.next = timer.prev = null;
  }

  private start(): void {
    // Catch up the tick counter after an idle period, so new deadlines count from now.
    const target = Math.floor((this.now() - this.origin) / this.resolutionMs);
    if (target > this.currentTick) this.currentTick = target;
    if (this.handle === null) {
      this.handle = setInterval(this.tickBound, this.resolutionMs);
      // The wheel never keeps the process alive on its own: sockets and servers do.
      this.handle.unref();
    }
  }

  private stop(): void {
    if (this.handle !== null) {
      clearInterval(this.handle);
      this.handle = null;
    }
  }
}
