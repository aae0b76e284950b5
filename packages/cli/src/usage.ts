/** The text of `percore --help`. */
export function usage(): string {
  return `Usage: percore serve [options] [dir]

Serves dir (default: the current directory) on every core, with percore's static file handler,
and handler modules mounted at URL prefixes.

Options:
  -a, --host HOST          address to listen on (default 127.0.0.1; 0.0.0.0 for every IPv4 address)
  -p, --port PORT          port (default 8080; 0 picks a free one)
  -w, --workers N          worker processes (default: one per core)
      --engine net|uws     the HTTP engine (default net; uws is uWebSockets.js, HTTP/1.1 only)
  -l, --mount PREFIX=FILE  mount the handler or Router that FILE exports (default export, or
                           \`handler\` or \`router\`) at PREFIX, loaded in every worker; repeatable
  -u, --user USER          drop to this user (name or uid) in every worker once the port is bound;
                           if the drop fails, percore refuses to serve (exit 1)
      --group GROUP        drop to this group (default with --user: the user's primary group)
  -c, --cert FILE          serve HTTPS with this PEM certificate (needs --key)
  -k, --key FILE           the certificate's PEM private key
      --tls-self-signed    serve HTTPS with a throwaway certificate made at start-up (P-256, for
                           localhost, 127.0.0.1 and ::1, valid from an hour ago for 30 days; all
                           workers serve the same one); prints its SHA-256 fingerprint. For local
                           development only; not with --cert/--key
      --no-http2           under TLS, serve HTTP/1.1 only: without it the net engine offers h2 and
                           http/1.1 by ALPN on the same port. With --engine uws, TLS is always
                           HTTP/1.1 (uWS negotiates no ALPN)
  -d, --debug              log each request to stderr: method, path, status, milliseconds
  -s, --single             single-page app: a GET for a page (Accept: text/html, or a last path
                           segment without an extension) that finds no file answers /index.html
      --max-age SECONDS    Cache-Control max-age for files (default 0)
      --cors               Access-Control-Allow-Origin: * on every response; answers preflights
      --dotfiles hide|allow  serve paths with a segment starting with '.' (default hide: 404)
      --metrics[=PATH]     serve Prometheus metrics, summed over all workers, at PATH on the main
                           port (default /metrics; a path only as --metrics=PATH)
      --metrics-port PORT  serve the metrics on this port instead, and there only (implies --metrics;
                           0 picks a free one, shown in the start-up line)
      --health             serve /healthz (200 while the worker answers) and /readyz (503 once
                           a drain starts), for load balancers
      --access-log[=FILE]  log each request to stdout, or append it to FILE; one whole line per
                           request from every worker
      --log-format common|combined|json
                           the access log's format (default combined); needs --access-log
      --config FILE        read options from a JSON file (keys as the long flags: "port", "maxAge",
                           "mount": {"/api": "./api.mjs"}, "root", ...)
      --print-config       print the resolved configuration as JSON and exit
  -f, --foreground         accepted and ignored: percore always stays in the foreground
  -h, --help               this text
  -v, --version            percore's version

Precedence: flags, then environment (PERCORE_HOST, PERCORE_PORT, PERCORE_WORKERS, PERCORE_ENGINE,
PERCORE_USER, PERCORE_GROUP, PERCORE_TLS_SELF_SIGNED=1, PERCORE_HTTP2=0, PERCORE_DEBUG=1,
PERCORE_METRICS=1 or a path, PERCORE_METRICS_PORT, PERCORE_HEALTH=1, PERCORE_ACCESS_LOG=1 or a
file, PERCORE_LOG_FORMAT), then the --config file ("tlsSelfSigned": true, "http2": false, ...),
then the defaults. 0 or false turns a switch off.

Not supported: -r (chroot). Node has no chroot; use systemd's RootDirectory= (or
ProtectSystem=/ReadOnlyPaths=) or a container to confine the process.

percore's own log is JSON lines on stderr (pino's shape) at LOG_LEVEL: trace, debug, info (the
default), warn, error, fatal or silent. The access log goes to stdout or its file, never stderr.

Output is plain text (no colour), so NO_COLOR changes nothing.
Exit codes: 0 stopped cleanly (SIGTERM/SIGINT drain), 1 runtime failure (e.g. a taken port:
PERCORE_ERR_LISTEN_FAILED), 2 usage (bad flag, missing dir, unusable module or file).
See docs/cli.md.`;
}
