"""Tornado hello: the Python column of Hellepoll's table. Answers every path with 200 and
"Hello world" (Content-Length: 11), like every other server in the bench.

Usage: python3 tornado_hello.py [port]   (Debian: apt-get install python3-tornado)
"""
import asyncio
import signal
import sys

import tornado.web


class Hello(tornado.web.RequestHandler):
    def get(self, *args):
        self.write("Hello world")


async def main(port):
    app = tornado.web.Application([(r"/.*", Hello)])
    app.listen(port, address="127.0.0.1")
    print(f"tornado {tornado.version} hello on http://127.0.0.1:{port}/", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 8087))
