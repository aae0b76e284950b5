import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Router, sendErrorPage, serveStatic, type Handler, type HttpRequest, type HttpResponse } from '@percore/server';
import type { CliConfig } from './config.js';
import { loadMount } from './mounts.js';

/**
 * The handler `percore serve` runs in every worker: a Router with each mount at its prefix and
 * the directory's files at '/', optionally behind the SPA fallback and CORS.
 */
export async function buildHandler(config: CliConfig): Promise<Handler> {
  // serveStatic's 404 is the router's to answer (it throws PERCORE_ERR_NOT_FOUND), and so is a
  // mounted router's when it has no page of its own: the SPA fallback is the router's 404 page.
  const router = new Router(config.single ? { errorPages: { 404: spaFallback(join(config.root, 'index.html')) } } : {});
  for (const { prefix, module } of config.mounts) router.mount(prefix, await loadMount(module));
  router.mount('/', serveStatic(config.root, { maxAge: config.maxAge, dotfiles: config.dotfiles }));
  return config.cors ? withCors(router.handler) : router.handler;
}

/**
 * --single: a GET or HEAD for a page that found no file (and no route) gets /index.html with 200, so that a
 * single-page app's client-side routes load. A page: the client accepts text/html, or the last
 * path segment has no extension. Anything else (a missing /app.js, /logo.png) stays 404.
 */
function spaFallback(indexFile: string): Handler {
  return async (req, res) => {
    if (!looksLikePage(req)) return sendErrorPage(req, res, 404);
    let body: Buffer;
    try {
      body = await readFile(indexFile);
    } catch {
      return sendErrorPage(req, res, 404);
    }
    res.status = 200;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Length', body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

function looksLikePage(req: HttpRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if ((req.header('accept') ?? '').includes('text/html')) return true;
  const last = req.path.slice(req.path.lastIndexOf('/') + 1);
  return !last.includes('.');
}

const PREFLIGHT_METHODS = 'GET, HEAD, PUT, POST, DELETE, PATCH, OPTIONS';

/**
 * --cors: any origin may read any response (Fetch standard, CORS protocol: a `*` origin, no
 * credentials). A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered
 * here with 204, allowing the common methods and the headers asked for.
 */
function withCors(inner: Handler): Handler {
  return (req: HttpRequest, res: HttpResponse) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS' && req.header('origin') !== undefined && req.header('access-control-request-method') !== undefined) {
      res.status = 204;
      res.setHeader('Access-Control-Allow-Methods', PREFLIGHT_METHODS);
      const asked = req.header('access-control-request-headers');
      if (asked !== undefined) res.setHeader('Access-Control-Allow-Headers', asked);
      res.setHeader('Vary', 'Access-Control-Request-Headers');
      res.setHeader('Access-Control-Max-Age', '600');
      res.end();
      return;
    }
    return inner(req, res);
  };
}
