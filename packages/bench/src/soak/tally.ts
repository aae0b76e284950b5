/** The load classes of the soak, in the order the tables list them. */
export const CLASSES = ['keep-alive', 'pipeline', 'slow-reader', 'abort', 'slowloris', 'oversized', 'bad-input'] as const;
export type LoadClass = (typeof CLASSES)[number];

/** What one class did. A request or probe sent ends as at most one of correct, wrong or reset: those after a failure on its connection end as none. */
export interface ClassCounts {
  /** Requests (or probes: one abort, one trickle, one oversized head, one garbage write) sent. */
  sent: number;
  /** Answered as expected: the hello body byte for byte, or the expected error status and close. */
  correct: number;
  /** A wrong status, body, framing or order, or a connection the server left hanging. A failure. */
  wrong: number;
  /** The connection was reset or refused where it should have worked. A failure. */
  resets: number;
  /** Connections opened. */
  connections: number;
}

/** At most this many failure descriptions are kept: enough to diagnose, bounded in memory. */
const MAX_FAILURES = 20;

/** Counts per class, and the first failures described, for the report. */
export class Tally {
  readonly counts: Record<LoadClass, ClassCounts>;
  readonly failures: string[] = [];
  private failureCount = 0;

  constructor(private readonly clock: () => number = () => Date.now()) {
    this.counts = Object.fromEntries(CLASSES.map((c) => [c, { sent: 0, correct: 0, wrong: 0, resets: 0, connections: 0 }])) as Record<
      LoadClass,
      ClassCounts
    >;
  }

  sent(cls: LoadClass, n = 1): void {
    this.counts[cls].sent += n;
  }

  connected(cls: LoadClass): void {
    this.counts[cls].connections++;
  }

  correct(cls: LoadClass, n = 1): void {
    this.counts[cls].correct += n;
  }

  wrong(cls: LoadClass, why: string): void {
    this.counts[cls].wrong++;
    this.note(cls, 'wrong', why);
  }

  reset(cls: LoadClass, why: string): void {
    this.counts[cls].resets++;
    this.note(cls, 'reset', why);
  }

  /** All failures seen, including those not kept. */
  get totalFailures(): number {
    return this.failureCount;
  }

  private note(cls: LoadClass, kind: string, why: string): void {
    this.failureCount++;
    if (this.failures.length < MAX_FAILURES) this.failures.push(`${new Date(this.clock()).toISOString()} ${cls} ${kind}: ${why}`);
  }
}
