import { PercoreError } from '../errors.js';
import type { Handler, HttpRequest, HttpResponse } from '../http/api.js';
import { EXPOSITION_CONTENT_TYPE } from './exposition.js';

/** Gives the text of a scrape: this process's figures, or the whole cluster's. */
export type Scrape = () => Promise<string>;

/**
 * Serves `path` with the scrape's text, in front of `next` (or alone, on a port of its own, where
 * anything else is 404). The exchange is labelled with the path as its route, so that scrapes
 * show in `http_requests_total` apart from the program's own traffic.
 */
export function metricsEndpoint(path: string, scrape: Scrape, next: Handler | null): Handler {
  return (req, res) => {
    if (req.path !== path) {
      if (next !== null) return next(req, res);
      res.status = 404;
      res.end();
      return;
    }
    req.route = path;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.status = 405;
      res.setHeader('Allow', 'GET, HEAD');
      res.end();
      return;
    }
    return answer(req, res, scrape);
  };
}

async function answer(_req: HttpRequest, res: HttpResponse, scrape: Scrape): Promise<void> {
  let text: string;
  try {
    text = await scrape();
  } catch (error) {
    // Said in the body, so that whoever reads the failed scrape learns why.
    const failure = error instanceof PercoreError ? error : new PercoreError('PERCORE_ERR_METRICS_UNAVAILABLE', String(error));
    res.status = 503;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(`${failure.code}: ${failure.message}\n`);
    return;
  }
  res.setHeader('Content-Type', EXPOSITION_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}
