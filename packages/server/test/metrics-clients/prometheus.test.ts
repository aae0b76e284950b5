/**
 * A real Prometheus server (Debian's prometheus package) scrapes two-worker clusters every
 * second, each through the metrics URL it reports: on the main port and on a port of its own,
 * on both engines. Its HTTP API must then give exactly the number of requests sent, though each
 * scrape lands on whichever worker the kernel picks; and a worker killed with SIGKILL must not
 * make any counter go down.
 *
 * One Prometheus scrapes every cluster of the file, one job each (it takes some 5 s to start
 * scraping a new target, so one per test would cost that each time).
 */
import { expect } from 'chai';
import { loadUws } from '../../src/uws/load.js';
import { reapAll, startProcess } from '../support/processes.js';
import { pollQuery, requirePrometheus, startPrometheus, stopPrometheusServers, type PrometheusServer } from '../support/prometheus.js';
import { requireUws } from '../support/uws.js';
import { getOnce, readUsersOnEveryWorker, sampleValue } from './traffic.js';

const app = new URL('../fixtures/metrics-app.ts', import.meta.url).href;
const USERS_SERIES = 'http_requests_total{method="GET",code="200",route="/users/:id"}';

type Engine = 'net' | 'uws';
type Placement = 'main' | 'port';

interface Cluster {
  /** The Prometheus job that scrapes it. */
  job: string;
  url: string;
  metricsUrl: string;
  pids: number[];
}

/** The one sample's value of a query that sums to a single series. */
const only = (samples: { value: number }[]): number | undefined => (samples.length === 1 ? samples[0]!.value : undefined);

const usersOf = (job: string) => `sum(http_requests_total{job="${job}",route="/users/:id"})`;

async function startCluster(job: string, engine: Engine, metrics: Placement): Promise<Cluster> {
  const { ready } = await startProcess(app, { env: { ENGINE: engine, WORKERS: '2', METRICS: metrics }, readyTimeoutMs: 30_000 });
  const pids = (ready.pids as number[]).sort((a, b) => a - b);
  return { job, url: ready.url as string, metricsUrl: ready.metricsUrl as string, pids };
}

function uwsLoads(): boolean {
  try {
    loadUws();
    return true;
  } catch {
    return false;
  }
}

describe('metrics-clients/prometheus: a real Prometheus scraping clusters', function () {
  // The before hook starts five clusters and Prometheus: some 15 s, more on a loaded machine.
  this.timeout(120_000);
  const placements: Array<[Engine, Placement]> = [
    ['net', 'main'],
    ['net', 'port'],
    ['uws', 'main'],
    ['uws', 'port'],
  ];
  const clusters = new Map<string, Cluster>();
  let prometheus: PrometheusServer;

  before(async function () {
    requirePrometheus(this, 'prometheus');
    // Where uws does not load, its tests skip (or fail, with PERCORE_REQUIRE_UWS=1) one by one.
    const wanted: Array<[string, Engine, Placement]> = [
      ...placements
        .filter(([engine]) => engine === 'net' || uwsLoads())
        .map(([engine, metrics]): [string, Engine, Placement] => [`${engine}-${metrics}`, engine, metrics]),
      ['net-killed', 'net', 'main'],
    ];
    // One after another: started together, a dozen node processes on a busy 2-core machine can
    // take longer than a ready line's deadline.
    for (const [job, engine, metrics] of wanted) clusters.set(job, await startCluster(job, engine, metrics));
    prometheus = await startPrometheus([...clusters.values()].map(({ job, metricsUrl }) => ({ job, url: metricsUrl })));
  });

  after(async () => {
    reapAll();
    await stopPrometheusServers();
  });

  for (const [engine, metrics] of placements) {
    const where = metrics === 'main' ? '/metrics on the main port' : '/metrics on a port of its own';
    it(`${engine}, ${where}: the API's sum of http_requests_total is exactly the requests sent, and up is 1`, async function () {
      if (engine === 'uws') requireUws(this);
      const cluster = clusters.get(`${engine}-${metrics}`)!;
      const samePort = new URL(cluster.metricsUrl).port === new URL(cluster.url).port;
      expect(samePort, `${cluster.metricsUrl} against ${cluster.url}`).to.equal(metrics === 'main');
      const { sent, pids } = await readUsersOnEveryWorker(cluster.url, 2, 300);
      expect(pids).to.deep.equal(cluster.pids);

      await pollQuery(prometheus, usersOf(cluster.job), (samples) => only(samples) === sent);
      expect(only(await prometheus.query(`up{job="${cluster.job}"}`)), 'up').to.equal(1);
      // Scrapes on fresh connections land on either worker: each gives the cluster's sum.
      for (let scrape = 0; scrape < 10; scrape++) {
        expect(sampleValue((await getOnce(cluster.metricsUrl)).body, USERS_SERIES), `scrape ${scrape}`).to.equal(sent);
      }
    });
  }

  it('net: a worker killed with SIGKILL after a scrape: no counter goes down, and the sums stay exact', async function () {
    const cluster = clusters.get('net-killed')!;
    const first = (await readUsersOnEveryWorker(cluster.url, 2, 300)).sent;
    await pollQuery(prometheus, usersOf(cluster.job), (samples) => only(samples) === first);
    // One more scrape lands after that, so the primary holds both workers' figures at `first`.
    await getOnce(cluster.metricsUrl);

    const [victim, survivor] = cluster.pids as [number, number];
    process.kill(victim, 'SIGKILL');
    await pollQuery(prometheus, `percore_worker_restarts_total{job="${cluster.job}"}`, (samples) => only(samples) === 1);
    await pollQuery(prometheus, `percore_workers{job="${cluster.job}"}`, (samples) => only(samples) === 2);
    const after = await readUsersOnEveryWorker(cluster.url, 2, 100, [victim]);
    expect(after.pids, 'the survivor and a new worker').to.include(survivor);

    await pollQuery(prometheus, usersOf(cluster.job), (samples) => only(samples) === first + after.sent);
    // Every sample Prometheus took of every counter and histogram (buckets, sums, counts) of the cluster.
    const series = await prometheus.queryRange(`{job="${cluster.job}",__name__=~".+(_total|_bucket|_sum|_count)"}[5m]`);
    const requests = series.find((one) => one.metric.__name__ === 'http_requests_total' && one.metric.route === '/users/:id');
    // At least the scrape before the kill, one after it (the restart seen), and one after the last requests.
    expect(requests?.values.length, 'scrapes of http_requests_total').to.be.at.least(3);
    const wentDown = series.filter(({ values }) => values.some((value, index) => index > 0 && value < values[index - 1]!));
    expect(
      wentDown.map(({ metric, values }) => ({ metric, values })),
      'series that went down',
    ).to.deep.equal([]);
  });
});
