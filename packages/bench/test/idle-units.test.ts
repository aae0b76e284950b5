import { expect } from 'chai';
import { ResponseReader } from '../src/idle/client.js';
import { describeHolders, leavesOf, parseStat, type ProcessInfo } from '../src/idle/process-tree.js';
import { heldConnections, tcpTableAddress } from '../src/idle/tcp-table.js';

const hello = 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nHello world';

describe('pnpm bench idle: the pieces', () => {
  describe('ResponseReader', () => {
    it('completes a response only once its whole body is in, however the bytes are split', () => {
      const reader = new ResponseReader();
      const bytes = Buffer.from(hello + hello.replace('200 OK', '503 Service Unavailable'), 'latin1');
      const statuses: number[] = [];
      for (let i = 0; i < bytes.length; i += 7) statuses.push(...reader.push(bytes.subarray(i, i + 7)));
      expect(statuses).to.deep.equal([200, 503]);
      expect(reader.pending).to.equal(0);
      expect(new ResponseReader().push(Buffer.from(hello.slice(0, -1)))).to.deep.equal([]);
    });

    it('reads Content-Length in any case and counts bytes past the last response as pending', () => {
      const reader = new ResponseReader();
      expect(reader.push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nX: y\r\n\r\nokHTTP'))).to.deep.equal([200]);
      expect(reader.pending).to.equal(4);
    });

    it('refuses a response without Content-Length, a status line that is not HTTP/1.x, and an endless head', () => {
      expect(() => new ResponseReader().push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'))).to.throw(
        /Content-Length/,
      );
      expect(() => new ResponseReader().push(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'))).to.throw(/status line/);
      expect(() => new ResponseReader().push(Buffer.alloc(20_000, 'a'))).to.throw(/no end of the response head/);
    });
  });

  describe('the TCP table', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1',
      '   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2',
      '   2: 0100007F:1F90 0200007F:C350 08 00000000:00000000 00:00000000 00000000     0        0 3',
      '   3: 0100007F:1F90 0100007F:C351 06 00000000:00000000 00:00000000 00000000     0        0 4',
      '   4: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 5',
      '   5: 0200007F:1F90 0100007F:C352 01 00000000:00000000 00:00000000 00000000     0        0 6',
      '   6: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2',
    ].join('\n');

    it('writes addresses as the kernel does', () => {
      expect(tcpTableAddress('127.0.0.1', 8080)).to.equal('0100007F:1F90');
      expect(tcpTableAddress('10.1.2.3', 80)).to.equal('0302010A:0050');
    });

    it("counts the server's ESTABLISHED and CLOSE_WAIT connections once per peer, not the listener, TIME_WAIT, the client ends or other addresses", () => {
      expect(heldConnections(table, '127.0.0.1', 8080)).to.equal(2);
      expect(heldConnections(table, '127.0.0.2', 8080)).to.equal(1);
      expect(heldConnections(table, '127.0.0.1', 8081)).to.equal(0);
    });
  });

  describe('the process tree', () => {
    it("parses /proc/PID/stat's pid, name and ppid, a name with spaces and parentheses included", () => {
      expect(parseStat('42 (nginx) S 41 42 42 0 -1 4194560')).to.deep.equal({ pid: 42, name: 'nginx', ppid: 41 });
      expect(parseStat('7 (a (b) c) R 1 7 7 0')).to.deep.equal({ pid: 7, name: 'a (b) c', ppid: 1 });
    });

    const processes: ProcessInfo[] = [
      { pid: 1, ppid: 0, name: 'init' },
      { pid: 10, ppid: 1, name: 'node' },
      { pid: 20, ppid: 1, name: 'nginx' },
      { pid: 22, ppid: 20, name: 'nginx' },
      { pid: 21, ppid: 20, name: 'nginx' },
      { pid: 30, ppid: 1, name: 'sh' },
      { pid: 31, ppid: 30, name: 'sh' },
      { pid: 32, ppid: 31, name: 'node' },
    ];

    it('finds the processes that hold the connections: the root when it has no children, else the leaves below it', () => {
      expect(leavesOf(10, processes).map((p) => p.pid)).to.deep.equal([10]);
      expect(leavesOf(20, processes).map((p) => p.pid)).to.deep.equal([21, 22]);
      expect(leavesOf(30, processes).map((p) => p.pid)).to.deep.equal([32]);
    });

    it('says which it read', () => {
      expect(describeHolders(10, leavesOf(10, processes))).to.equal('node, the server process itself');
      expect(describeHolders(30, leavesOf(30, processes))).to.equal('node, the leaf of its process tree (the processes above not counted)');
      expect(describeHolders(20, leavesOf(20, processes))).to.match(/^nginx, the 2 leaves of its process tree/);
    });
  });
});
