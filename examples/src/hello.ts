// Hello world on every core: the primary forks one worker per core and each worker serves.
// Run: node --import tsx examples/src/hello.ts   (PORT=0 picks a free port)
import { serve } from '@percore/server';

const handle = await serve({
  handler: (_req, res) => res.end('Hello world'),
  port: Number(process.env.PORT ?? 8080),
  workers: Number(process.env.WORKERS ?? 2),
});

if (handle.role === 'primary') console.log(`listening on ${handle.url}`);
