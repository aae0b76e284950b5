import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { childPids, HELLO_MAIN, type ClusterProcess } from '../src/soak/cluster-process.js';
import { summary } from '../src/soak/report.js';
import { runSoak, type SoakResult } from '../src/soak/run.js';

const DURATION_S = 60;

/** The bounded CI soak: the real hello cluster, 2 workers, the whole mixed load for 60 s. */
describe('soak (60 s, the hello cluster under the mixed load)', function () {
  // 60 s of load, up to a slow reader's batch of wind-down, and the cluster's drain (up to 15 s).
  this.timeout(150_000);
  let cluster: ClusterProcess | undefined;
  let result: SoakResult | undefined;

  before(function () {
    if (!existsSync(HELLO_MAIN)) throw new Error(`${HELLO_MAIN} is missing: run pnpm build first`);
  });

  after(() => {
    // Reaps the primary and every worker whatever happened (runSoak does too; this covers a throw).
    cluster?.kill();
  });

  it('passes: no crash, no wrong answer, no unexpected reset, RSS within bounds, then no process left', async () => {
    result = await runSoak({
      durationSeconds: DURATION_S,
      workers: 2,
      warmupSeconds: DURATION_S / 5,
      onCluster: (c) => {
        cluster = c;
      },
    });
    expect(result.verdict.reasons, summary(result)).to.deep.equal([]);
    expect(result.verdict.pass).to.equal(true);
    expect(result.workerPids).to.have.length(2);
    for (const cls of ['keep-alive', 'pipeline', 'slow-reader', 'abort', 'slowloris', 'oversized', 'bad-input'] as const) {
      expect(result.counts[cls].correct, cls).to.be.greaterThan(0);
    }
    await cluster!.exited;
    for (const pid of [cluster!.primaryPid, ...result.workerPids]) expect(existsSync(`/proc/${pid}`), `pid ${pid} is gone`).to.equal(false);
    expect(childPids(cluster!.primaryPid)).to.deep.equal([]);
  });
});
