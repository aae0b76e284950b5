import { expect } from 'chai';
import { parseRoutingCli, ROUTING_OPTIONS, routingUsage, RoutingUsageError } from '../src/routing/cli.js';
import { timeLookups } from '../src/routing/measure.js';
import { renderRouting, routingRatios, type RoutingRun } from '../src/routing/report.js';
import { buildRouter, mismatches } from '../src/routing/routers.js';
import { LOOKUPS, ROUTES } from '../src/routing/routes.js';

function usageError(argv: string[]): string {
  try {
    parseRoutingCli(argv);
  } catch (error) {
    expect(error).to.be.instanceOf(RoutingUsageError);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('pnpm bench routing', () => {
  describe('command line', () => {
    it('defaults to 5 rounds of 5 s after 1 s of warm-up, unpinned', () => {
      expect(parseRoutingCli(['--'])).to.deep.equal({ command: { rounds: 5, durationSeconds: 5, warmupSeconds: 1 } });
    });

    it('takes rounds, duration, warm-up, a CPU list and output files', () => {
      const parsed = parseRoutingCli([
        '--rounds',
        '3',
        '--duration',
        '2.5',
        '--warmup',
        '0',
        '--cpu',
        '1',
        '--json',
        'r.json',
        '--out',
        'r.md',
      ]);
      expect(parsed).to.deep.equal({
        command: { rounds: 3, durationSeconds: 2.5, warmupSeconds: 0, cpus: '1', json: 'r.json', out: 'r.md' },
      });
    });

    it('refuses bad numbers, CPU lists and flags', () => {
      expect(usageError(['--rounds', '0'])).to.match(/--rounds must be a positive/);
      expect(usageError(['--rounds', '2.5'])).to.match(/whole number/);
      expect(usageError(['--duration', 'x'])).to.match(/--duration/);
      expect(usageError(['--warmup=-1'])).to.match(/non-negative/);
      expect(usageError(['--cpu', 'one'])).to.match(/CPU list/);
      expect(usageError(['--bogus'])).to.match(/bogus/);
    });

    it('--help describes every flag', () => {
      expect(parseRoutingCli(['-h'])).to.deep.equal({ help: routingUsage() });
      for (const flag of Object.keys(ROUTING_OPTIONS)) expect(routingUsage(), flag).to.match(new RegExp(`--${flag} `));
    });
  });

  describe('the table and the lookups', () => {
    it('has 100 distinct routes: static, :param, nested and a wildcard', () => {
      expect(ROUTES).to.have.length(100);
      expect(new Set(ROUTES.map((r) => `${r.method} ${r.pattern}`)).size).to.equal(100);
      expect(ROUTES.some((r) => r.pattern.endsWith('/*'))).to.equal(true);
      expect(ROUTES.filter((r) => (r.pattern.match(/:/g) ?? []).length >= 2)).to.have.length.above(0);
    });

    it('percore and find-my-way agree on every lookup: hits of each kind and misses', async () => {
      const percore = await buildRouter('percore', ROUTES);
      const fmw = await buildRouter('find-my-way', ROUTES);
      expect(mismatches(percore, fmw, LOOKUPS)).to.deep.equal([]);
      expect(percore.match('GET', '/api/v1/users/J%C3%BCrgen')).to.deep.equal({ pattern: '/api/v1/users/:id', params: { id: 'Jürgen' } });
      expect(fmw.match('GET', '/static/css/site/main.css')).to.deep.equal({ pattern: '/static/*', params: { '*': 'css/site/main.css' } });
      expect(percore.match('GET', '/api/v2/users')).to.equal(null);
      const hits = LOOKUPS.filter((l) => fmw.match(l.method, l.path) !== null);
      expect(hits.length).to.be.within(1, LOOKUPS.length - 1);
    });

    it('reports where the routers disagree, so a run can fail before timing anything', async () => {
      const withoutWildcard = ROUTES.filter((r) => !r.pattern.endsWith('*'));
      const percore = await buildRouter('percore', withoutWildcard);
      const fmw = await buildRouter('find-my-way', ROUTES);
      const wrong = mismatches(percore, fmw, LOOKUPS);
      expect(wrong).to.have.length(3);
      expect(wrong[0]).to.equal('GET /static/app.js: percore null, find-my-way {"pattern":"/static/*","params":{"*":"app.js"}}');
    });

    it('timeLookups makes whole passes over the lookups and counts them', async () => {
      const fmw = await buildRouter('find-my-way', ROUTES);
      const timing = timeLookups(fmw.lookup, LOOKUPS, 0.05, 0);
      expect(timing.lookups % LOOKUPS.length).to.equal(0);
      expect(timing.lookups).to.be.above(0);
      expect(timing.opsPerSecond).to.be.closeTo(timing.lookups / timing.seconds, 1e-6);
    });
  });

  describe('report', () => {
    const run: RoutingRun = {
      date: '2026-12-02T01:00:00.000Z',
      node: 'v20.20.2',
      cpuModel: 'Test CPU',
      cores: 2,
      cpus: '1',
      command: 'pnpm bench routing --cpu 1',
      rounds: 3,
      durationSeconds: 5,
      warmupSeconds: 1,
      routes: 100,
      lookups: 25,
      results: [
        { round: 1, router: 'percore', opsPerSecond: 2_000_000 },
        { round: 1, router: 'find-my-way', opsPerSecond: 4_000_000 },
        { round: 2, router: 'find-my-way', opsPerSecond: 3_000_000 },
        { round: 2, router: 'percore', opsPerSecond: 3_000_000 },
        { round: 3, router: 'percore', opsPerSecond: 2_400_000 },
      ],
    };

    it('takes the ratio within each round, n/a where a round lacks one router', () => {
      expect(routingRatios(run)).to.deep.equal([0.5, 1, null]);
    });

    it('renders a row per round and the medians', () => {
      const lines = renderRouting(run).split('\n');
      expect(lines[0]).to.include('pinned to CPU 1');
      expect(lines).to.include('| 1 | 2.00M/s | 4.00M/s | 0.500 |');
      expect(lines).to.include('| 3 | 2.40M/s | n/a | n/a |');
      expect(lines).to.include('| **median** | **2.40M/s** | **3.50M/s** | **0.750** (median of the per-round ratios) |');
      expect(lines.at(-1)).to.equal('Command: `pnpm bench routing --cpu 1`');
    });
  });
});
