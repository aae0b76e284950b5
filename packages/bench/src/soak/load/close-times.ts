/** How long the server took to end connections of one kind: the count, the quickest and the slowest. */
export class CloseTimes {
  count = 0;
  minMs = Infinity;
  maxMs = 0;

  add(ms: number): void {
    this.count++;
    this.minMs = Math.min(this.minMs, ms);
    this.maxMs = Math.max(this.maxMs, ms);
  }

  toJSON(): { count: number; minMs: number | null; maxMs: number | null } {
    return { count: this.count, minMs: this.count === 0 ? null : this.minMs, maxMs: this.count === 0 ? null : this.maxMs };
  }

  /** "12 after 10.0-10.1 s", or "none". */
  describe(): string {
    return this.count === 0 ? 'none' : `${this.count} after ${(this.minMs / 1000).toFixed(1)}-${(this.maxMs / 1000).toFixed(1)} s`;
  }
}
