import { expect } from 'chai';
import { PercoreError } from '../../src/errors.js';
import { loadUws } from '../../src/uws/load.js';

describe('uws/load', () => {
  it('loads a uWebSockets.js binary for this Node, or says exactly why not', () => {
    let uws: ReturnType<typeof loadUws> | undefined;
    try {
      uws = loadUws();
    } catch (error) {
      expect(error).to.be.instanceOf(PercoreError);
      const failure = error as PercoreError;
      expect(failure.code).to.equal('PERCORE_ERR_UWS_UNAVAILABLE');
      expect(failure.message).to.include(process.version).and.include(`${process.platform}-${process.arch}`).and.include('--engine net');
      // Each of the two binary lines gives its own reason.
      expect(failure.message).to.include('@uwsjs/core@20.69.0').and.include('@uwsjs/core@20.51.4');
      expect(process.env.PERCORE_REQUIRE_UWS, 'uWS must load where CI requires it').to.not.equal('1');
      return;
    }
    expect(uws.App).to.be.a('function');
    expect(loadUws()).to.equal(uws, 'loaded once, then cached');
  });
});
