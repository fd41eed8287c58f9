// A TCP proxy in front of a real redis-server that answers like a server older than Redis 7.0 on one
// point: SET with both NX and GET is a syntax error there. Only Redis 7 can be installed here, so the proxy
// rewrites such a command into `SET key value NX XX`, which the real server refuses with the same
// "ERR syntax error"; every other byte passes through untouched, and replies keep their order.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface OldSetProxy {
  readonly port: number;
  /** SET commands rewritten so far. */
  readonly rewritten: number;
  close(): Promise<void>;
}

/** Parses complete RESP arrays of bulk strings (what clients send) from the front of `buf`. */
function takeCommand(buf: Buffer): { args: Buffer[]; used: number } | undefined {
  if (buf.length === 0) return undefined;
  if (buf[0] !== 0x2a) throw new Error('proxy: inline commands are not supported');
  let at = buf.indexOf('\r\n');
  if (at < 0) return undefined;
  const count = Number(buf.subarray(1, at).toString());
  at += 2;
  const args: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const end = buf.indexOf('\r\n', at);
    if (end < 0) return undefined;
    const length = Number(buf.subarray(at + 1, end).toString());
    const start = end + 2;
    if (buf.length < start + length + 2) return undefined;
    args.push(buf.subarray(start, start + length));
    at = start + length + 2;
  }
  return { args, used: at };
}

function encode(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export async function startOldSetProxy(target: { host: string; port: number }): Promise<OldSetProxy> {
  let rewritten = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const out: Buffer[] = [];
      for (let cmd = takeCommand(pending); cmd !== undefined; cmd = takeCommand(pending)) {
        pending = pending.subarray(cmd.used);
        const words = cmd.args.map((a) => a.toString().toUpperCase());
        if (words[0] === 'SET' && words.includes('NX') && words.includes('GET')) {
          rewritten++;
          out.push(encode(['SET', cmd.args[1]!, cmd.args[2]!, 'NX', 'XX']));
        } else out.push(encode(cmd.args));
      }
      if (out.length > 0) upstream.write(Buffer.concat(out));
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy: no port');
  return {
    port: address.port,
    get rewritten() {
      return rewritten;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
