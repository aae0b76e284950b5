import { expect } from 'chai';
import { ContentTypes, withCharset } from '../../src/static/content-type.js';

describe('static/content-type', function () {
  const types = new ContentTypes(
    { log: 'text/x-log', js: 'application/x-mine', data: 'application/vnd.percore' },
    'application/octet-stream',
  );

  it('takes mime lite types, with a charset on text ones', function () {
    expect(types.forFile('/r/index.html')).to.equal('text/html; charset=utf-8');
    expect(types.forFile('style.CSS')).to.equal('text/css; charset=utf-8');
    expect(types.forFile('data.json')).to.equal('application/json; charset=utf-8');
    expect(types.forFile('logo.svg')).to.equal('image/svg+xml; charset=utf-8');
    expect(types.forFile('photo.png')).to.equal('image/png');
    expect(types.forFile('movie.mp4')).to.equal('video/mp4');
    expect(types.forFile('app.wasm')).to.equal('application/wasm');
  });

  it('lets the user map override the table, and falls back to the default', function () {
    expect(types.forFile('server.log')).to.equal('text/x-log; charset=utf-8');
    expect(types.forFile('app.js')).to.equal('application/x-mine');
    expect(types.forFile('blob.data')).to.equal('application/vnd.percore');
    expect(types.forFile('README')).to.equal('application/octet-stream');
    expect(types.forFile('file.unknownext')).to.equal('application/octet-stream');
  });

  it('leaves a type with parameters as it is', function () {
    expect(withCharset('text/plain; charset=latin1')).to.equal('text/plain; charset=latin1');
    expect(withCharset('application/javascript')).to.equal('application/javascript; charset=utf-8');
  });
});
