import { expect } from 'chai';
import { parseSoakCli } from '../src/soak/cli.js';
import { FramingError, ResponseReader } from '../src/soak/response-reader.js';
import { helloMismatch } from '../src/soak/load/context.js';
import { rssLimit, MiB, type RssSeries } from '../src/soak/rss.js';
import { CLASSES, Tally } from '../src/soak/tally.js';
import { verdictOf, type VerdictInput } from '../src/soak/verdict.js';

const HELLO = 'HTTP/1.1 200 OK\r\nDate: Tue, 01 Dec 2026 22:32:46 GMT\r\nContent-Length: 11\r\nKeep-Alive: timeout=5\r\n\r\n';

/** Feeds bytes whole, and again byte by byte: both must give the same responses. */
function readBoth(bytes: string, methods: string[]) {
  const whole = new ResponseReader();
  const split = new ResponseReader();
  for (const m of methods) {
    whole.expect(m);
    split.expect(m);
  }
  const a = whole.feed(Buffer.from(bytes, 'latin1'));
  const b = [...Buffer.from(bytes, 'latin1')].flatMap((byte) => split.feed(Buffer.from([byte])));
  expect(b.map((r) => [r.status, r.body.toString()])).to.deep.equal(a.map((r) => [r.status, r.body.toString()]));
  return a;
}

describe('soak: response reader', () => {
  it('frames GET and HEAD answers in order, whole and split byte by byte', () => {
    const responses = readBoth(`${HELLO}Hello world${HELLO}${HELLO}Hello world`, ['GET', 'HEAD', 'GET']);
    expect(responses.map((r) => r.body.toString())).to.deep.equal(['Hello world', '', 'Hello world']);
    expect(responses.map((r) => helloMismatch(r, ['GET', 'HEAD', 'GET'][responses.indexOf(r)]!))).to.deep.equal([null, null, null]);
  });

  it('an answer out of order breaks the framing', () => {
    // The server answered HEAD then GET where the client sent GET then HEAD: the GET's body takes the next head's first bytes.
    const reader = new ResponseReader();
    reader.expect('GET');
    reader.expect('HEAD');
    expect(() => reader.feed(Buffer.from(`${HELLO}${HELLO}Hello world`, 'latin1'))).to.throw(FramingError, /not a status line/);
  });

  it('refuses bytes nobody asked for and a response without a length', () => {
    expect(() => new ResponseReader().feed(Buffer.from(`${HELLO}Hello world`))).to.throw(FramingError, /nobody asked for/);
    const reader = new ResponseReader();
    reader.expect('GET');
    expect(() => reader.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).to.throw(FramingError, /Content-Length/);
  });

  it('names a wrong status or body', () => {
    const reader = new ResponseReader();
    reader.expect('GET');
    reader.expect('GET');
    const [a, b] = reader.feed(Buffer.from(`HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\nno${HELLO}Hello World`, 'latin1'));
    expect(helloMismatch(a!, 'GET')).to.match(/^status 500/);
    expect(helloMismatch(b!, 'GET')).to.match(/^body "Hello World"/);
  });
});

describe('soak: verdict', () => {
  const worker = (start: number, end: number): RssSeries => ({ pid: 1, start, max: end, end, samples: 10 });
  const passing = (): VerdictInput => {
    const tally = new Tally();
    for (const c of CLASSES) {
      tally.sent(c, 3);
      tally.correct(c, 3);
    }
    return {
      counts: tally.counts,
      rss: [worker(80 * MiB, 100 * MiB)],
      workerChanges: [],
      primaryAliveAtEnd: true,
      shutdownMs: 40,
      loopsEnded: true,
    };
  };

  it('passes a clean run', () => {
    expect(verdictOf(passing())).to.deep.equal({ pass: true, reasons: [] });
  });

  it('fails on a wrong answer, a reset, a class that did nothing, a crash, or a hung shutdown', () => {
    const input = passing();
    const tally = new Tally();
    tally.sent('pipeline');
    tally.wrong('pipeline', 'status 500');
    tally.reset('keep-alive', 'ECONNRESET');
    const reasons = verdictOf({ ...input, counts: tally.counts, workerChanges: ['at 3 s: was [1,2], now [1,3]'], shutdownMs: null }).reasons;
    expect(reasons).to.include('pipeline: 1 wrong answers');
    expect(reasons).to.include('keep-alive: 1 unexpected resets');
    expect(reasons).to.include('slowloris: no correct answer at all (the class did not run)');
    expect(reasons).to.include('worker set changed: at 3 s: was [1,2], now [1,3]');
    expect(reasons).to.include('the primary did not exit after SIGTERM');
  });

  it('allows RSS growth up to the larger of +50% and +64 MiB', () => {
    expect(rssLimit(80 * MiB)).to.equal(144 * MiB);
    expect(rssLimit(200 * MiB)).to.equal(300 * MiB);
    expect(verdictOf({ ...passing(), rss: [worker(80 * MiB, 144 * MiB)] }).pass).to.equal(true);
    expect(verdictOf({ ...passing(), rss: [worker(80 * MiB, 145 * MiB)] }).reasons[0]).to.match(
      /RSS 145\.0 MiB at the end, over the limit 144\.0/,
    );
  });
});

describe('soak: command line', () => {
  it('defaults to 600 s on 2 workers with a warm-up of a fifth, at most 60 s', () => {
    expect(parseSoakCli([], 8)).to.deep.equal({ command: { durationSeconds: 600, workers: 2, warmupSeconds: 60 } });
    expect(parseSoakCli(['--', '--duration', '60'], 8)).to.deep.equal({ command: { durationSeconds: 60, workers: 2, warmupSeconds: 12 } });
  });

  it('--pin puts the load on CPU 0 and the cluster on the rest; --json names a file', () => {
    expect(parseSoakCli(['--pin', '--workers', '3', '--json', 'r.json'], 2)).to.deep.include({
      command: { durationSeconds: 600, workers: 3, warmupSeconds: 60, clientCpus: '0', serverCpus: '1', json: 'r.json' },
    });
    expect(parseSoakCli(['--pin'], 8)).to.deep.include({
      command: { durationSeconds: 600, workers: 2, warmupSeconds: 60, clientCpus: '0', serverCpus: '1-7' },
    });
    expect(parseSoakCli(['--pin'], 1))
      .to.have.property('error')
      .that.matches(/2 CPUs/);
  });

  it('refuses bad values, unknown flags and a warm-up as long as the run, and has a help', () => {
    expect(parseSoakCli(['--duration', '0']))
      .to.have.property('error')
      .that.matches(/--duration/);
    expect(parseSoakCli(['--workers', '1.5']))
      .to.have.property('error')
      .that.matches(/whole number/);
    expect(parseSoakCli(['--duration', '10', '--warmup', '10']))
      .to.have.property('error')
      .that.matches(/shorter/);
    expect(parseSoakCli(['--rounds', '3'])).to.have.property('error');
    const parsed = parseSoakCli(['--help']);
    expect(parsed).to.have.property('help').that.includes('--duration').and.includes('--pin').and.includes('--json');
  });
});
