import { expect } from 'chai';
import { runExample } from './run-example.js';

describe('examples/outbound-client', function () {
  it('connects a client Task to the line-echo server, prints the echoes, reports a refusal by code, and exits 0', async function () {
    const { code, output } = await runExample('outbound-client');
    expect(output).to.match(/line-echo server on tcp:\/\/127\.0\.0\.1:\d+/);
    const echoes = output.split('\n').filter((line) => line.startsWith('echo: '));
    expect(echoes).to.deep.equal(['echo: hello', 'echo: from an outbound task', 'echo: bye']);
    expect(output).to.contain('client closed: done, 3 echoes');
    expect(output).to.contain('refused: PERCORE_ERR_CONNECT_REFUSED');
    expect(code, output).to.equal(0);
  });
});
