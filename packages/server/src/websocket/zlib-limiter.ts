/**
 * A FIFO that caps how many async zlib jobs run at once in this process. Each async zlib call is a
 * libuv threadpool job holding its own buffers; thousands at once fragment memory badly
 * (nodejs/node#8871, websockets/ws#1202), and they would starve file and DNS work of the 4 pool
 * threads. The cap is per process on purpose: the threadpool is.
 */

/** A job gets `done`, to call exactly once when it finishes; later calls are ignored. */
export type ZlibJob = (done: () => void) => void;

export class ZlibLimiter {
  private readonly queue: (ZlibJob | undefined)[] = [];
  private head = 0;
  private activeJobs = 0;
  private draining = false;

  constructor(private concurrencyLimit: number) {}

  /** Jobs running now (started, `done` not yet called). */
  get active(): number {
    return this.activeJobs;
  }

  /** Jobs waiting for a free slot. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  get concurrency(): number {
    return this.concurrencyLimit;
  }

  /** Changes the cap; raising it starts queued jobs at once. */
  set concurrency(limit: number) {
    this.concurrencyLimit = limit;
    this.drain();
  }

  /** Runs `job` now if a slot is free, else after every job queued before it has started. */
  add(job: ZlibJob): void {
    this.queue.push(job);
    this.drain();
  }

  private drain(): void {
    // A job that finishes synchronously re-enters here; the outer loop carries on, so the stack stays flat.
    if (this.draining) return;
    this.draining = true;
    try {
      this.drainLoop();
    } finally {
      this.draining = false;
    }
  }

  private drainLoop(): void {
    while (this.activeJobs < this.concurrencyLimit && this.head < this.queue.length) {
      const job = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.activeJobs++;
      let finished = false;
      job(() => {
        if (finished) return;
        finished = true;
        this.activeJobs--;
        this.drain();
      });
    }
  }
}

let shared: ZlibLimiter | undefined;

/** The process's limiter. The latest configured concurrency wins (normally there is one server per process). */
export function sharedZlibLimiter(concurrency: number): ZlibLimiter {
  if (!shared) shared = new ZlibLimiter(concurrency);
  else if (shared.concurrency !== concurrency) shared.concurrency = concurrency;
  return shared;
}
