/**
 * `promtool check metrics` (Debian's prometheus package) on the real /metrics text of a
 * two-worker cluster, on both engines, after traffic on several routes, a 500 and a 404: the
 * format must parse and pass promtool's lint (names, units, HELP, counter suffixes) with
 * nothing to report.
 */
import { expect } from 'chai';
import { ENGINES } from '../support/engines.js';
import { reapAll, startProcess } from '../support/processes.js';
import { promtoolCheckMetrics, requirePrometheus } from '../support/prometheus.js';
import { requireUws } from '../support/uws.js';
import { getOnce, readUsersOnEveryWorker, sampleValue } from './traffic.js';

const app = new URL('../fixtures/metrics-app.ts', import.meta.url).href;

describe('metrics-clients/promtool: the checker itself', function () {
  before(function () {
    requirePrometheus(this, 'promtool');
  });

  it('reports a counter named without _total (so its silence on percore output means something)', async () => {
    const run = await promtoolCheckMetrics('# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n');
    expect(run.code).to.not.equal(0);
    expect(run.output).to.match(/counter metrics should have "_total" suffix/);
  });
});

for (const engine of ENGINES) {
  describe(`metrics-clients/promtool: ${engine}, two workers`, function () {
    this.timeout(30_000);
    after(() => reapAll());

    before(function () {
      if (engine === 'uws') requireUws(this);
      requirePrometheus(this, 'promtool');
    });

    it('promtool check metrics passes the cluster scrape after 200s on a route, a 500 and a 404, with nothing to report', async () => {
      const { ready } = await startProcess(app, { env: { ENGINE: engine, WORKERS: '2', METRICS: 'main' }, readyTimeoutMs: 30_000 });
      const url = ready.url as string;
      const { sent, pids } = await readUsersOnEveryWorker(url, 2, 50);
      expect(pids).to.deep.equal([...(ready.pids as number[])].sort((a, b) => a - b));
      expect((await getOnce(`${url}/boom`)).status).to.equal(500);
      expect((await getOnce(`${url}/no/such/page`)).status).to.equal(404);
      const scrape = await getOnce(ready.metricsUrl as string);
      expect(scrape.status).to.equal(200);
      // The text holds what was sent, so the check below is of real series, labelled by route.
      expect(sampleValue(scrape.body, 'http_requests_total{method="GET",code="200",route="/users/:id"}')).to.equal(sent);
      expect(sampleValue(scrape.body, 'http_requests_total{method="GET",code="500",route="/boom"}')).to.equal(1);
      expect(sampleValue(scrape.body, 'http_requests_total{method="GET",code="404",route=""}')).to.equal(1);
      expect(scrape.body).to.include('http_request_duration_seconds_bucket{method="GET",code="500",route="/boom",le="+Inf"} 1');

      const run = await promtoolCheckMetrics(scrape.body);
      expect(run.output, 'promtool output').to.equal('');
      expect(run.code, 'promtool exit code').to.equal(0);
    });
  });
}
