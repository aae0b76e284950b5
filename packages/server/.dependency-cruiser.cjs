// The floors of packages/server/src, lowest first; a module may import its own floor or lower
// ones, never a higher one, so no folder-level import circle can form. Checked by `pnpm test`
// (depcruise src), and also by ../shared/tools/folder_cycles.py.
//   0  errors.ts, util/, logging/  (logging: the default JSON logger, the pino adapter, the line writer)
//   1  scheduler/        timer wheel, Scheduler, Task, Listener, transport
//   2  http/, pubsub/    the engine-neutral handler API, the Engine interface; pub/sub types
//      resp/             the RESP (Redis) protocol: decoder, encoder, and the client task on the scheduler
//      websocket/        RFC 6455 and 7692, engine-neutral: the WebSocket API, handshake, frame codec, permessage-deflate
//   3  net/, uws/        the engines (neither imports the other)
//      h2/               HTTP/2 streams (node:http2) behind the net engine's TLS listener, on the same handler API
//      routing/, static/ handlers on the handler API alone: the router and error pages; serveStatic
//                        (static may use routing's error pages, never the reverse; neither sees an engine)
//      metrics/, access-log/, health/  observers and handlers on the observer and handler API alone
//   4  server.ts         createServer: picks an engine
//   5  cluster/          serve: primary, workers
//   6  index.ts, entries/  the public entries
const floors = [
  ['errors', 'util', 'logging'],
  ['scheduler'],
  ['http', 'pubsub', 'resp', 'websocket'],
  ['net', 'h2', 'uws', 'routing', 'static', 'metrics', 'access-log', 'health'],
  ['server'],
  ['cluster'],
  ['index', 'entries'],
];
const unit = (name) => `^src/${name}(\\.ts$|/)`;
const any = (names) => `^src/(${names.join('|')})(\\.ts$|/)`;

const forbidden = [
  {
    name: 'no-runtime-circular',
    severity: 'error',
    comment: 'Modules must not import each other in a circle at run time (type-only imports erase).',
    from: {},
    to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
  },
  {
    name: 'engines-apart',
    severity: 'error',
    comment: 'The net and uws engines share only the floors below them.',
    from: { path: unit('net') },
    to: { path: unit('uws') },
  },
  {
    name: 'engines-apart',
    severity: 'error',
    comment: 'The net and uws engines share only the floors below them.',
    from: { path: unit('uws') },
    to: { path: unit('net') },
  },
  ...['routing', 'static', 'metrics', 'access-log', 'health'].flatMap((handlers) =>
    ['net', 'uws'].map((engine) => ({
      name: 'handlers-apart-from-engines',
      severity: 'error',
      comment:
        'The router, serveStatic, metrics, access logs and health checks run on every engine: they see only the handler and observer API.',
      from: { path: unit(handlers) },
      to: { path: unit(engine) },
    })),
  ),
  {
    name: 'static-above-routing',
    severity: 'error',
    comment: "serveStatic may use the router's error pages; the router never imports serveStatic.",
    from: { path: unit('routing') },
    to: { path: unit('static') },
  },
  {
    name: 'http-apart-from-pubsub',
    severity: 'error',
    comment: 'The handler API does not depend on pub/sub.',
    from: { path: unit('http') },
    to: { path: unit('pubsub') },
  },
  {
    name: 'http-apart-from-websocket',
    severity: 'error',
    comment: 'The handler API does not depend on WebSockets; the WebSocket layer builds on it.',
    from: { path: unit('http') },
    to: { path: unit('websocket') },
  },
];
floors.forEach((names, level) => {
  const above = floors.slice(level + 1).flat();
  if (above.length === 0) return;
  forbidden.push({
    name: `floor-${level}-points-down`,
    severity: 'error',
    comment: `${names.join(', ')} may import only lower floors, not ${above.join(', ')}.`,
    from: { path: any(names) },
    to: { path: any(above) },
  });
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
