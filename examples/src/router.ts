// A router on every core: static routes, :params, a trailing *, a mounted router, 405 with Allow,
// HEAD from GET, and error pages (a body for 404, a handler for 500).
// Run: node --import tsx examples/src/router.ts   (PORT=0 picks a free port)
import { PercoreError, Router, serve } from '@percore/server';

const users = new Map([['1', { id: '1', name: 'Ada' }]]);

// Mounted at /api below: it matches the rest of the path, and labels routes '/api/users/:id'.
const api = new Router()
  .get('/users', (_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify([...users.values()]));
  })
  .get('/users/:id', (req, res) => {
    const user = users.get(req.params.id!);
    // The router answers a thrown PERCORE_ERR_NOT_FOUND with its 404 page, and logs nothing.
    if (user === undefined) throw new PercoreError('PERCORE_ERR_NOT_FOUND', `user ${req.params.id}`);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(user));
  });

const router = new Router({
  errorPages: {
    404: { body: '{"error":"not found"}\n', contentType: 'application/json' },
    500: (_req, res) => res.end('Something broke; it has been logged.\n'),
  },
})
  .get('/', (_req, res) => res.end('Hello from the router'))
  .get('/hello/:name', (req, res) => res.end(`Hello, ${req.params.name}`))
  .get('/files/*', (req, res) => res.end(`You asked for ${req.params['*']}`))
  .get('/boom', () => {
    throw new Error('a bug');
  })
  .mount('/api', api);

const handle = await serve({
  handler: router.handler,
  port: Number(process.env.PORT ?? 8080),
  workers: Number(process.env.WORKERS ?? 2),
});

if (handle.role === 'primary') console.log(`listening on ${handle.url}`);
