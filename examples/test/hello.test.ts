import { expect } from 'chai';
import { reapExamples, startExample } from './run-example.js';

describe('examples/hello', function () {
  afterEach(reapExamples);

  it('answers Hello world from a worker, and drains to exit 0 on SIGTERM', async function () {
    const example = await startExample('hello');
    const response = await fetch(`${example.url}/`);
    expect(response.status).to.equal(200);
    expect(await response.text()).to.equal('Hello world');
    expect(await example.stop()).to.equal(0);
  });
});
