import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idleMain, openFileLimit } from '../src/idle/main.js';
import { measureCell } from '../src/idle/measure.js';
import { extraServer } from '../src/servers.js';

describe('pnpm bench idle: real runs', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'percore-idle-test-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('measures 300 idle connections on raw-net and percore-net-1 and writes the markdown and the JSON', async () => {
    const progress: string[] = [];
    let report = '';
    const argv = ['--connections', '300', '--rounds', '1', '--servers', 'raw-net,percore-net-1', '--settle-ms', '200', '--out', dir];
    const code = await idleMain(argv, 'idle test', { report: (text) => (report = text), progress: (line) => progress.push(line) });
    expect(code, progress.join('\n')).to.equal(0);
    expect(progress.filter((line) => /^\[\d\/2\] round 1 /.test(line))).to.have.length(2);
    expect(progress.join('\n')).to.match(/raw-net Node v[\d.]+: 300 open, /);
    expect(report).to.include('(raw-net)').and.to.include('(percore-net-1)');
    const files = readdirSync(dir).sort();
    expect(files).to.have.length(2);
    expect(files[0]).to.match(/^\d{4}-\d\d-\d\d-idle\.json$/);
    expect(files[1]).to.match(/^\d{4}-\d\d-\d\d-idle\.md$/);
    expect(readFileSync(join(dir, files[1]!), 'utf8')).to.equal(`${report}\n`);
    const json = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as {
      cells: {
        server: string;
        intact: boolean;
        measurement: { connections: number; heldByServer: number; rssBeforeKiB: number; rssAfterKiB: number };
      }[];
    };
    expect(json.cells.map((cell) => cell.server).sort()).to.deep.equal(['percore-net-1', 'raw-net']);
    for (const { intact, measurement } of json.cells) {
      expect(intact).to.equal(true);
      expect(measurement.connections).to.equal(300);
      expect(measurement.heldByServer).to.equal(300);
      expect(measurement.rssBeforeKiB).to.be.greaterThan(0);
      expect(measurement.rssAfterKiB).to.be.greaterThan(0);
    }
  });

  it('sees a server that drops idle connections, and reports it instead of counting the cell', async () => {
    // Answers like a hello server, then closes each connection after 100 ms of quiet.
    const script = join(dir, 'dropper.mjs');
    writeFileSync(
      script,
      `import { createServer } from 'node:net';
createServer((socket) => {
  let timer;
  socket.on('data', () => {
    clearTimeout(timer);
    socket.write('HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok');
    timer = setTimeout(() => socket.end(), 100);
  });
  socket.on('error', () => {});
}).listen(Number(process.argv[2]), '127.0.0.1');
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(0));
`,
    );
    const spec = extraServer(`dropper=${process.execPath} ${script} {port}`)!;
    const m = await measureCell(spec, { connections: 50, settleMs: 400 });
    expect(m.closedByServer).to.equal(50);
    expect(m.heldByServer).to.equal(0);
    expect(m.firstClosedAfterS).to.be.a('number');
  });

  it('refuses more connections than the open-file limit allows before starting anything', async function () {
    if (openFileLimit() >= 100_100) this.skip();
    const progress: string[] = [];
    const code = await idleMain(['--connections', '100000'], 'idle test', { report: () => {}, progress: (line) => progress.push(line) });
    expect(code).to.equal(2);
    expect(progress).to.deep.equal([]);
  });
});
