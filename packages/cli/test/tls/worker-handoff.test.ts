import { expect } from 'chai';
import { handToWorkers, SELF_SIGNED_ENV, takeFromPrimary } from '../../src/tls/worker-handoff.js';

describe('the self-signed certificate handed from the primary to its workers', () => {
  afterEach(() => {
    delete process.env[SELF_SIGNED_ENV.cert];
    delete process.env[SELF_SIGNED_ENV.key];
  });

  it('goes through the environment a fork inherits, and a worker takes it out of its own', () => {
    handToWorkers({ cert: 'CERT PEM', key: 'KEY PEM' });
    expect(process.env[SELF_SIGNED_ENV.cert]).to.equal('CERT PEM');
    expect(process.env[SELF_SIGNED_ENV.key]).to.equal('KEY PEM');
    expect(takeFromPrimary()).to.deep.equal({ cert: 'CERT PEM', key: 'KEY PEM' });
    expect(process.env).to.not.have.property(SELF_SIGNED_ENV.cert);
    expect(process.env).to.not.have.property(SELF_SIGNED_ENV.key);
  });

  it('is an error in a worker the primary gave none, and takes a lone half out too', () => {
    expect(() => takeFromPrimary()).to.throw('the primary handed no certificate');
    process.env[SELF_SIGNED_ENV.key] = 'KEY PEM';
    expect(() => takeFromPrimary()).to.throw(SELF_SIGNED_ENV.cert);
    expect(process.env).to.not.have.property(SELF_SIGNED_ENV.key);
  });
});
