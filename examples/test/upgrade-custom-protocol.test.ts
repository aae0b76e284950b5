import { expect } from 'chai';
import { reapExamples, startExample } from './run-example.js';
import { connectTo, readUntil } from '../../packages/server/test/support/sockets.js';

const SWITCHING = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: reverse\r\n\r\n';

describe('examples/upgrade-custom-protocol', function () {
  this.timeout(20_000);
  afterEach(reapExamples);

  it('switches to "reverse" after 101, with lines sent in the same write as the request, and exits 0 on SIGTERM', async function () {
    const example = await startExample('upgrade-custom-protocol');
    const { port } = new URL(example.url);
    const socket = await connectTo(Number(port));
    socket.write('GET /r HTTP/1.1\r\nHost: x\r\nUpgrade: reverse\r\nConnection: Upgrade\r\n\r\nhello\nwor');
    const first = await readUntil(socket, (data) => data.toString().endsWith('olleh\n'));
    expect(first.data.toString()).to.equal(`${SWITCHING}reverse ready\nolleh\n`);
    socket.write('ld\nbye\n');
    const rest = await readUntil(socket, () => false);
    expect(rest.closed, 'bye closes').to.equal(true);
    expect(rest.data.toString()).to.equal('dlrow\n');
    expect(await example.stop()).to.equal(0);
  });

  it('answers 426 with Upgrade: reverse to a plain request, and keeps serving HTTP', async function () {
    const example = await startExample('upgrade-custom-protocol');
    const response = await fetch(`${example.url}/plain`);
    expect(response.status).to.equal(426);
    expect(response.headers.get('upgrade')).to.equal('reverse');
    expect(await response.text()).to.contain('GET /plain');
  });
});
