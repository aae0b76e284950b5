/**
 * The router's matching, through `find` (the same choice the handler makes): priority, backtracking,
 * parameters and their decoding and bounds, the wildcard, mounts, methods, and the patterns
 * registration refuses. Several cases are ideas from find-my-way's test suite, in our own words.
 */
import { expect } from 'chai';
import type { Handler } from '../../src/http/api.js';
import { Router } from '../../src/routing/router.js';
import { errorCode } from '../support/errors.js';

/** A handler that can be told apart from every other one. */
function named(name: string): Handler & { label: string } {
  const handler = Object.assign((() => undefined) as Handler, { label: name });
  return handler;
}

/** What `find` chose, in a comparable form. */
function found(router: Router, method: string, path: string): { handler: string; params: Record<string, string>; route: string } | null {
  const match = router.find(method, path);
  if (match === null) return null;
  return { handler: (match.handler as Handler & { label: string }).label, params: { ...match.params }, route: match.route };
}

function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return errorCode(error);
  }
  return undefined;
}

describe('routing/router: matching', () => {
  describe('static routes', () => {
    it('match exactly, with the trailing slash significant and the query never part of the path', () => {
      const router = new Router().get('/', named('root')).get('/a', named('a')).get('/a/', named('a/')).get('/a/b', named('ab'));
      expect(found(router, 'GET', '/')).to.deep.equal({ handler: 'root', params: {}, route: '/' });
      expect(found(router, 'GET', '/a')?.handler).to.equal('a');
      expect(found(router, 'GET', '/a/')?.handler).to.equal('a/');
      expect(found(router, 'GET', '/a/b')?.handler).to.equal('ab');
      expect(found(router, 'GET', '/a/b/')).to.equal(null);
      expect(found(router, 'GET', '/ab')).to.equal(null);
      expect(found(router, 'GET', '/A')).to.equal(null);
      expect(found(router, 'GET', '/a//b')).to.equal(null);
    });

    it('compare with the path as sent: an encoded static segment matches only that encoding', () => {
      const router = new Router().get('/caf%C3%A9', named('encoded')).get('/about', named('about'));
      expect(found(router, 'GET', '/caf%C3%A9')?.handler).to.equal('encoded');
      expect(found(router, 'GET', '/caf%c3%a9')).to.equal(null);
      expect(found(router, 'GET', '/%61bout')).to.equal(null);
    });

    it('match nothing for a target that is not a path', () => {
      const router = new Router().get('/*', named('all'));
      expect(found(router, 'OPTIONS', '*')).to.equal(null);
      expect(found(router, 'GET', 'a')).to.equal(null);
    });
  });

  describe('priority and backtracking', () => {
    it('prefers static over a parameter over the wildcard at each segment', () => {
      const router = new Router().get('/u/me', named('static')).get('/u/:id', named('param')).get('/u/*', named('wild'));
      expect(found(router, 'GET', '/u/me')?.handler).to.equal('static');
      expect(found(router, 'GET', '/u/42')).to.deep.equal({ handler: 'param', params: { id: '42' }, route: '/u/:id' });
      expect(found(router, 'GET', '/u/42/x')).to.deep.equal({ handler: 'wild', params: { '*': '42/x' }, route: '/u/*' });
      expect(found(router, 'GET', '/u/')).to.deep.equal({ handler: 'wild', params: { '*': '' }, route: '/u/*' });
    });

    it('backtracks from a static branch that leads nowhere to the parameter', () => {
      const router = new Router().get('/a/:x/c', named('param')).get('/a/b/d', named('static'));
      expect(found(router, 'GET', '/a/b/d')?.handler).to.equal('static');
      expect(found(router, 'GET', '/a/b/c')).to.deep.equal({ handler: 'param', params: { x: 'b' }, route: '/a/:x/c' });
      expect(found(router, 'GET', '/a/z/c')?.params).to.deep.equal({ x: 'z' });
      expect(found(router, 'GET', '/a/b/e')).to.equal(null);
    });

    it('backtracks through parameters to an outer wildcard, dropping what the failed branch captured', () => {
      const router = new Router().get('/f/:a/:b/end', named('deep')).get('/f/*', named('wild'));
      expect(found(router, 'GET', '/f/1/2/end')?.params).to.deep.equal({ a: '1', b: '2' });
      expect(found(router, 'GET', '/f/1/2/other')).to.deep.equal({ handler: 'wild', params: { '*': '1/2/other' }, route: '/f/*' });
    });

    it('backtracks per method: a static route of another method does not hide a parameter route', () => {
      const router = new Router().get('/item/new', named('form')).post('/item/:id', named('update'));
      expect(found(router, 'POST', '/item/new')).to.deep.equal({ handler: 'update', params: { id: 'new' }, route: '/item/:id' });
      expect(found(router, 'GET', '/item/new')?.handler).to.equal('form');
      expect(found(router, 'GET', '/item/7')).to.equal(null);
    });

    it('finds static children among few and among many at one place (a short list, or a Map past eight)', () => {
      for (const count of [3, 20]) {
        const router = new Router().get('/n/:other/x', named('param'));
        for (let i = 0; i < count; i++) router.get(`/n/s${i}/x`, named(`s${i}`));
        for (let i = 0; i < count; i++) expect(found(router, 'GET', `/n/s${i}/x`)?.handler, `${count}: s${i}`).to.equal(`s${i}`);
        expect(found(router, 'GET', `/n/s${count}/x`)?.params).to.deep.equal({ other: `s${count}` });
        expect(found(router, 'GET', '/n/s1x/x')?.params).to.deep.equal({ other: 's1x' });
        expect(found(router, 'GET', '/n/s/x')?.params).to.deep.equal({ other: 's' });
      }
    });

    it('gives a parameter only a non-empty segment', () => {
      const router = new Router().get('/p/:id', named('param'));
      expect(found(router, 'GET', '/p/')).to.equal(null);
      expect(found(router, 'GET', '/p')).to.equal(null);
    });
  });

  describe('parameters', () => {
    it('captures several, each a whole segment', () => {
      const router = new Router().get('/users/:user/posts/:post', named('post'));
      expect(found(router, 'GET', '/users/ann/posts/9')?.params).to.deep.equal({ user: 'ann', post: '9' });
      expect(found(router, 'GET', '/users/ann/posts/9/x')).to.equal(null);
    });

    it('decodes each once: UTF-8, an encoded slash stays inside the parameter, %25 stays one percent', () => {
      const router = new Router().get('/p/:id', named('param')).get('/w/*', named('wild'));
      expect(found(router, 'GET', '/p/caf%C3%A9')?.params).to.deep.equal({ id: 'café' });
      expect(found(router, 'GET', '/p/a%2Fb')?.params).to.deep.equal({ id: 'a/b' });
      expect(found(router, 'GET', '/p/100%2525')?.params).to.deep.equal({ id: '100%25' });
      expect(found(router, 'GET', '/p/a+b')?.params).to.deep.equal({ id: 'a+b' });
      expect(found(router, 'GET', '/w/x%20y/z')?.params).to.deep.equal({ '*': 'x y/z' });
    });

    it('refuses a malformed escape or an encoded NUL with PERCORE_ERR_INVALID_PATH', () => {
      const router = new Router().get('/p/:id', named('param')).get('/w/*', named('wild'));
      expect(thrownCode(() => router.find('GET', '/p/%E0%A4%A'))).to.equal('PERCORE_ERR_INVALID_PATH');
      expect(thrownCode(() => router.find('GET', '/p/%zz'))).to.equal('PERCORE_ERR_INVALID_PATH');
      expect(thrownCode(() => router.find('GET', '/p/%C3'))).to.equal('PERCORE_ERR_INVALID_PATH');
      expect(thrownCode(() => router.find('GET', '/p/a%00b'))).to.equal('PERCORE_ERR_INVALID_PATH');
      expect(thrownCode(() => router.find('GET', '/w/ok/%'))).to.equal('PERCORE_ERR_INVALID_PATH');
    });

    it('bounds a named parameter by its length as sent (maxParamLength), not the wildcard', () => {
      const router = new Router({ maxParamLength: 6 }).get('/p/:id', named('param')).get('/w/*', named('wild'));
      expect(found(router, 'GET', '/p/abcdef')?.params).to.deep.equal({ id: 'abcdef' });
      expect(thrownCode(() => router.find('GET', '/p/abcdefg'))).to.equal('PERCORE_ERR_PARAM_TOO_LONG');
      // Six characters decoded, nine as sent.
      expect(thrownCode(() => router.find('GET', '/p/%C3%A9%C3%A9'))).to.equal('PERCORE_ERR_PARAM_TOO_LONG');
      expect(found(router, 'GET', `/w/${'x'.repeat(100)}`)?.params['*']).to.have.length(100);
    });

    it('defaults maxParamLength to 500', () => {
      const router = new Router().get('/p/:id', named('param'));
      expect(found(router, 'GET', `/p/${'x'.repeat(500)}`)?.params.id).to.have.length(500);
      expect(thrownCode(() => router.find('GET', `/p/${'x'.repeat(501)}`))).to.equal('PERCORE_ERR_PARAM_TOO_LONG');
    });

    it('gives a static match the shared empty params, frozen', () => {
      const router = new Router().get('/s', named('s'));
      const a = router.find('GET', '/s')!;
      expect(a.params).to.deep.equal({});
      expect(Object.isFrozen(a.params)).to.equal(true);
    });

    it('gives each match its own params object', () => {
      const router = new Router().get('/p/:id', named('param'));
      const first = router.find('GET', '/p/1')!;
      const second = router.find('GET', '/p/2')!;
      expect(first.params).to.deep.equal({ id: '1' });
      expect(second.params).to.deep.equal({ id: '2' });
    });
  });

  describe('methods', () => {
    it('answers HEAD with the GET route unless HEAD has its own', () => {
      const router = new Router().get('/g', named('get')).get('/h', named('get-h')).head('/h', named('head-h'));
      expect(found(router, 'HEAD', '/g')?.handler).to.equal('get');
      expect(found(router, 'HEAD', '/h')?.handler).to.equal('head-h');
      expect(found(router, 'GET', '/h')?.handler).to.equal('get-h');
    });

    it('treats methods as case-sensitive tokens, custom ones through on()', () => {
      const router = new Router().on('PURGE', '/cache/:key', named('purge')).on(['LOCK', 'UNLOCK'], '/doc', named('lock'));
      expect(found(router, 'PURGE', '/cache/k')?.params).to.deep.equal({ key: 'k' });
      expect(found(router, 'purge', '/cache/k')).to.equal(null);
      expect(found(router, 'LOCK', '/doc')?.handler).to.equal('lock');
      expect(found(router, 'UNLOCK', '/doc')?.handler).to.equal('lock');
      expect(found(router, 'GET', '/doc')).to.equal(null);
    });

    it('lets all() answer every method below the method-specific routes', () => {
      const router = new Router().all('/x', named('any')).post('/x', named('post'));
      expect(found(router, 'POST', '/x')?.handler).to.equal('post');
      expect(found(router, 'DELETE', '/x')?.handler).to.equal('any');
      expect(found(router, 'WHATEVER', '/x')?.handler).to.equal('any');
    });

    it('has a shortcut per common method', () => {
      const router = new Router();
      const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
      for (const method of methods) router[method.toLowerCase() as 'get'](`/${method}`, named(method));
      for (const method of methods) expect(found(router, method, `/${method}`)?.handler).to.equal(method);
    });
  });

  describe('mounts', () => {
    it('hands the prefix and everything below it at a segment boundary to a plain handler', () => {
      const router = new Router().mount('/api', named('api'));
      expect(found(router, 'GET', '/api')).to.deep.equal({ handler: 'api', params: {}, route: '/api/*' });
      expect(found(router, 'POST', '/api/x/y')?.handler).to.equal('api');
      expect(found(router, 'GET', '/api/')?.handler).to.equal('api');
      expect(found(router, 'GET', '/apix')).to.equal(null);
      expect(found(router, 'GET', '/ap')).to.equal(null);
    });

    it('lets a mounted router match the rest, labelled with the full pattern', () => {
      const api = new Router().get('/', named('index')).get('/users/:id', named('user'));
      const router = new Router().mount('/api', api);
      expect(found(router, 'GET', '/api/users/7')).to.deep.equal({ handler: 'user', params: { id: '7' }, route: '/api/users/:id' });
      expect(found(router, 'GET', '/api')).to.deep.equal({ handler: 'index', params: {}, route: '/api' });
      expect(found(router, 'GET', '/api/')).to.deep.equal({ handler: 'index', params: {}, route: '/api' });
      expect(found(router, 'GET', '/api/users')).to.equal(null);
    });

    it('recognises a router mounted by its handler', () => {
      const api = new Router().get('/ping', named('ping'));
      expect(new Router().mount('/v1', api.handler).find('GET', '/v1/ping')?.route).to.equal('/v1/ping');
    });

    it("takes parameters in the prefix, merged with the mounted router's own", () => {
      const inner = new Router().get('/items/:item', named('item'));
      const router = new Router().mount('/shops/:shop', inner);
      expect(found(router, 'GET', '/shops/s1/items/i2')).to.deep.equal({
        handler: 'item',
        params: { shop: 's1', item: 'i2' },
        route: '/shops/:shop/items/:item',
      });
    });

    it('nests, and ranks a mount below the routes registered at the same place', () => {
      const deepest = new Router().get('/c', named('c'));
      const middle = new Router().mount('/b', deepest);
      const router = new Router().mount('/a', middle).get('/a/direct', named('direct')).get('/a/:p', named('param'));
      expect(found(router, 'GET', '/a/b/c')).to.deep.equal({ handler: 'c', params: {}, route: '/a/b/c' });
      expect(found(router, 'GET', '/a/direct')?.handler).to.equal('direct');
      expect(found(router, 'GET', '/a/other')?.handler).to.equal('param');
    });

    it('mounts at the root', () => {
      const router = new Router().get('/own', named('own')).mount('/', named('fallback'));
      expect(found(router, 'GET', '/own')?.handler).to.equal('own');
      expect(found(router, 'GET', '/else/where')).to.deep.equal({ handler: 'fallback', params: {}, route: '/*' });
    });
  });

  describe('registration refuses with PERCORE_ERR_INVALID_ROUTE', () => {
    const cases: Array<[string, (router: Router) => unknown]> = [
      ['a pattern without a leading slash', (r) => r.get('a', named('x'))],
      ['an empty pattern', (r) => r.get('', named('x'))],
      ['an empty segment', (r) => r.get('/a//b', named('x'))],
      ['* before the end', (r) => r.get('/a/*/b', named('x'))],
      ['* inside a segment', (r) => r.get('/a*', named('x'))],
      ['a query in a pattern', (r) => r.get('/a?b', named('x'))],
      ['an empty parameter name', (r) => r.get('/a/:', named('x'))],
      ['a parameter name that is no identifier', (r) => r.get('/a/:b-c', named('x'))],
      ['a parameter named twice in one pattern', (r) => r.get('/a/:id/:id', named('x'))],
      ['the same method and pattern twice', (r) => r.get('/a/:id', named('x')).get('/a/:id', named('y'))],
      ['all() twice on one pattern', (r) => r.all('/a', named('x')).all('/a', named('y'))],
      ['two parameter names at one place', (r) => r.get('/a/:id', named('x')).post('/a/:name/b', named('y'))],
      ['a method that is not a token', (r) => r.on('GE T', '/a', named('x'))],
      ['no method', (r) => r.on([], '/a', named('x'))],
      ['a handler that is not a function', (r) => r.get('/a', 'nope' as unknown as Handler)],
      ['a mount prefix ending in /', (r) => r.mount('/api/', named('x'))],
      ['a mount prefix with *', (r) => r.mount('/api/*', named('x'))],
      ['two mounts at one prefix', (r) => r.mount('/api', named('x')).mount('/api', named('y'))],
      ['a router mounting itself', (r) => r.mount('/me', r)],
    ];
    for (const [what, register] of cases) {
      it(what, () => {
        expect(thrownCode(() => register(new Router()))).to.equal('PERCORE_ERR_INVALID_ROUTE');
      });
    }

    it('while the same pattern under another method, or the same path under another name elsewhere, is fine', () => {
      const router = new Router().get('/a/:id', named('get')).put('/a/:id', named('put')).get('/b/:name', named('b'));
      expect(found(router, 'PUT', '/a/1')?.handler).to.equal('put');
      expect(found(router, 'GET', '/b/1')?.params).to.deep.equal({ name: '1' });
    });
  });

  it('refuses a maxParamLength that is not a positive integer with PERCORE_ERR_INVALID_OPTION', () => {
    for (const maxParamLength of [0, -1, 1.5, Number.NaN]) {
      expect(thrownCode(() => new Router({ maxParamLength }))).to.equal('PERCORE_ERR_INVALID_OPTION');
    }
  });
});
