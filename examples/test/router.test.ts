import { expect } from 'chai';
import { reapExamples, startExample } from './run-example.js';

describe('examples/router', function () {
  afterEach(reapExamples);

  it('routes, mounts, answers 405 and error pages, and drains to exit 0 on SIGTERM', async function () {
    const example = await startExample('router');
    const text = async (path: string, init?: RequestInit) => {
      const response = await fetch(`${example.url}${path}`, init);
      return [response.status, await response.text()];
    };
    expect(await text('/')).to.deep.equal([200, 'Hello from the router']);
    expect(await text('/hello/W%C3%B6rld')).to.deep.equal([200, 'Hello, Wörld']);
    expect(await text('/files/a/b.txt')).to.deep.equal([200, 'You asked for a/b.txt']);
    expect(await text('/api/users/1')).to.deep.equal([200, '{"id":"1","name":"Ada"}']);
    expect(await text('/api/users/2')).to.deep.equal([404, '{"error":"not found"}\n']);
    expect(await text('/nowhere')).to.deep.equal([404, '{"error":"not found"}\n']);
    expect(await text('/boom')).to.deep.equal([500, 'Something broke; it has been logged.\n']);
    const refused = await fetch(`${example.url}/`, { method: 'DELETE' });
    expect([refused.status, refused.headers.get('allow')]).to.deep.equal([405, 'GET, HEAD']);
    // The worker logs the failure on its stderr, which reaches this pipe on its own schedule.
    for (let waited = 0; !example.output().includes('PERCORE_ERR_HANDLER_FAILED') && waited < 5000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(example.output()).to.include('PERCORE_ERR_HANDLER_FAILED');
    expect(await example.stop()).to.equal(0);
  });
});
