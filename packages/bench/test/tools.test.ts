import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { ROWS } from '../src/tools.js';

describe('bench rows', function () {
  this.timeout(20_000);
  let server: Server;
  let connections = 0;
  let port = 0;

  before(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': 11 });
      res.end('Hello world');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (connections = 0));

  it('autocannon -c25 (new connection per request) really opens one connection per request', async () => {
    const row = ROWS.find((r) => r.id === 'autocannon')!;
    const { result } = await row.run(`http://127.0.0.1:${port}/`, { durationSeconds: 1, connections: 5 });
    expect(result.completed).to.be.greaterThan(20);
    // Each request on its own connection: as many connections as requests, give or take the
    // ones still open when the run stopped.
    expect(connections).to.be.within(result.completed, result.completed + 5 + 5);
  });

  it('autocannon -c25 keep-alive keeps its connections', async () => {
    const row = ROWS.find((r) => r.id === 'autocannon-k')!;
    const { result } = await row.run(`http://127.0.0.1:${port}/`, { durationSeconds: 1, connections: 5 });
    expect(result.completed).to.be.greaterThan(20);
    expect(connections).to.equal(5);
  });
});
