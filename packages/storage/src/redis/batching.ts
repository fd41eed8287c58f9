// Per-connection command batching. Every command costs a socket write (a system call) when sent on its
// own, and with many executors sharing one connection per shard those writes dominated the client's CPU.
// Commands issued in one turn of the event loop (flushed at setImmediate, after the I/O callbacks that
// woke several executors have all run) are queued and sent as one pipeline: one write, replies in order. A lone
// command is sent directly. Order on the connection is the order of the calls, as without batching.
// (ioredis' own enableAutoPipelining does not handle the generic `call` / `callBuffer` used here.)
import type { ChainableCommander, Redis } from 'ioredis';
import type { CommandArg, CommandTarget } from './topology.js';

interface Queued {
  readonly buffer: boolean;
  readonly command: string;
  readonly args: CommandArg[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

export class BatchingTarget implements CommandTarget {
  #queue: Queued[] = [];

  constructor(private readonly client: Redis) {}

  call(command: string, ...args: (CommandArg | CommandArg[])[]): Promise<unknown> {
    return this.#enqueue(false, command, args);
  }

  callBuffer(command: string, ...args: (CommandArg | CommandArg[])[]): Promise<unknown> {
    return this.#enqueue(true, command, args);
  }

  pipeline(): ChainableCommander {
    return this.client.pipeline();
  }

  #enqueue(buffer: boolean, command: string, raw: (CommandArg | CommandArg[])[]): Promise<unknown> {
    const args = raw.length === 1 && Array.isArray(raw[0]) ? raw[0] : (raw as CommandArg[]);
    return new Promise((resolve, reject) => {
      if (this.#queue.push({ buffer, command, args, resolve, reject }) === 1) setImmediate(this.#flush);
    });
  }

  readonly #flush = (): void => {
    const queued = this.#queue;
    this.#queue = [];
    if (queued.length === 1) {
      const q = queued[0] as Queued;
      const sent = q.buffer
        ? this.client.callBuffer(q.command, ...q.args)
        : this.client.call(q.command, ...q.args);
      sent.then(q.resolve, q.reject);
      return;
    }
    const pipeline = this.client.pipeline();
    for (const q of queued) {
      if (q.buffer) pipeline.callBuffer(q.command, ...q.args);
      else pipeline.call(q.command, ...q.args);
    }
    pipeline.exec().then(
      (results) => {
        queued.forEach((q, i) => {
          const [err, value] = results?.[i] ?? [new Error('pipeline returned no reply'), null];
          if (err) q.reject(err);
          else q.resolve(value);
        });
      },
      (err: unknown) => {
        for (const q of queued) q.reject(err);
      },
    );
  };
}
