import type { Logger } from '../scheduler/scheduler.js';
import { ProcessMetrics } from '../metrics/process-metrics.js';
import { mergeSnapshots, monotonicPart, type FamilySnapshot, type MergeConflict, type MetricsSnapshot } from '../metrics/snapshot.js';

/** How long a gone worker's figures wait for a last message that crossed its exit. */
const DEPARTED_MS = 5000;

/** A worker, as the gatherer sees it: an id, and a way to ask for its figures. */
export interface GatherTarget {
  readonly id: number;
  ask(collectId: number): void;
}

interface Gathering {
  readonly waiting: Set<number>;
  readonly fresh: Map<number, MetricsSnapshot>;
  readonly timer: NodeJS.Timeout;
  readonly reply: (snapshot: MetricsSnapshot) => void;
}

/**
 * The primary's side of a cluster-wide scrape. A scrape lands on any worker, which asks the
 * primary; the primary asks every worker for its figures, waits (bounded) for them, merges them
 * with its own and with those of workers gone, and answers. So every scrape gives the cluster's
 * sums, whichever worker took it.
 *
 * A worker that exits leaves its counters and histograms in `retired`, so the sums never go
 * down: its last figures are those it sent as it drained, or, after a crash, those of the scrape
 * before (what it counted since is lost). A worker that does not answer in time is counted with
 * its figures from the scrape before, and reported in `percore_metrics_stale_workers`.
 */
export class MetricsGatherer {
  private nextId = 1;
  private readonly gatherings = new Map<number, Gathering>();
  /** Each worker's latest figures. */
  private readonly latest = new Map<number, MetricsSnapshot>();
  /**
   * Workers gone lately, with their last figures: a worker's last message can arrive after its
   * exit is seen, so they are folded into `retired` only after a while.
   */
  private readonly departed = new Map<number, { snapshot: MetricsSnapshot; timer: NodeJS.Timeout }>();
  private retired: MetricsSnapshot = [];
  private readonly own = new ProcessMetrics();
  private readonly reportedConflicts = new Set<string>();

  constructor(
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    /** The primary's own families: restarts, workers. */
    private readonly primaryFamilies: () => FamilySnapshot[],
  ) {}

  gather(targets: readonly GatherTarget[], reply: (snapshot: MetricsSnapshot) => void): void {
    const id = this.nextId++;
    const gathering: Gathering = {
      waiting: new Set(targets.map((target) => target.id)),
      fresh: new Map(),
      timer: setTimeout(() => this.finish(id), this.timeoutMs),
      reply,
    };
    this.gatherings.set(id, gathering);
    for (const target of targets) target.ask(id);
    if (gathering.waiting.size === 0) this.finish(id);
  }

  /** A worker's figures: for a gathering (its id), or its last as it exits (id 0). */
  received(workerId: number, collectId: number, snapshot: MetricsSnapshot): void {
    const departed = this.departed.get(workerId);
    if (departed !== undefined) {
      departed.snapshot = monotonicPart(snapshot);
      return;
    }
    this.latest.set(workerId, snapshot);
    const gathering = this.gatherings.get(collectId);
    if (gathering === undefined || !gathering.waiting.delete(workerId)) return;
    gathering.fresh.set(workerId, snapshot);
    if (gathering.waiting.size === 0) this.finish(collectId);
  }

  /** Keeps what a gone worker counted, and stops waiting for it. */
  workerExited(workerId: number): void {
    const last = this.latest.get(workerId);
    this.latest.delete(workerId);
    const timer = setTimeout(() => {
      const entry = this.departed.get(workerId);
      this.departed.delete(workerId);
      if (entry !== undefined) this.retired = mergeSnapshots([this.retired, entry.snapshot]);
    }, DEPARTED_MS);
    timer.unref();
    this.departed.set(workerId, { snapshot: last === undefined ? [] : monotonicPart(last), timer });
    for (const [id, gathering] of this.gatherings) {
      if (gathering.waiting.delete(workerId) && gathering.waiting.size === 0) this.finish(id);
    }
  }

  stop(): void {
    this.own.stop();
    for (const gathering of this.gatherings.values()) clearTimeout(gathering.timer);
    for (const entry of this.departed.values()) clearTimeout(entry.timer);
  }

  private finish(id: number): void {
    const gathering = this.gatherings.get(id);
    if (gathering === undefined) return;
    this.gatherings.delete(id);
    clearTimeout(gathering.timer);
    // Late workers count with their previous figures; one that never answered, not at all.
    const stale: MetricsSnapshot[] = [];
    for (const workerId of gathering.waiting) {
      const previous = this.latest.get(workerId);
      if (previous !== undefined) stale.push(previous);
    }
    const conflicts: MergeConflict[] = [];
    const staleFamily: FamilySnapshot = {
      name: 'percore_metrics_stale_workers',
      help: 'Workers that did not answer this scrape in time: their figures are from an earlier one.',
      type: 'gauge',
      labelNames: [],
      series: [{ labels: [], value: gathering.waiting.size }],
    };
    const merged = mergeSnapshots(
      [
        ...gathering.fresh.values(),
        ...stale,
        this.retired,
        ...[...this.departed.values()].map((entry) => entry.snapshot),
        this.primaryFamilies(),
        this.own.collect(),
        [staleFamily],
      ],
      conflicts,
    );
    this.report(conflicts);
    gathering.reply(merged);
  }

  private report(conflicts: readonly MergeConflict[]): void {
    for (const { name, reason } of conflicts) {
      if (this.reportedConflicts.has(name)) continue;
      this.reportedConflicts.add(name);
      this.logger.error('PERCORE_ERR_INVALID_METRIC', `${name} is left out of the cluster's metrics: one worker registered ${reason}`);
    }
  }
}
