// A lean RESP2 client for one standalone redis-server: the command connection of one shard, or one of its
// blocking connections.
//
// Why: the executor issues one or two EVALSHA per task, and a general-purpose client spends several
// microseconds of CPU per command on machinery (command objects, argument flattening, RESP3 decoding) that
// this path does not need. Here a command is encoded straight into a shared write buffer and its reply
// parsed straight from the socket's chunks.
//
// Writes. Commands issued in one turn of the event loop are encoded back to back into one buffer and
// written together at setImmediate, after the I/O callbacks that woke several callers have all run: one
// system call per turn instead of one per command. Small arguments are copied into the buffer; large ones
// (>= LARGE_ARG_BYTES) are written as their own chunk, without copying, in the same corked write. The
// encoding buffer is reused: bytes handed to the socket are never written again, new commands go after them.
//
// Replies. Redis answers in order, so pending commands form one FIFO: `#sent` (written, awaiting a reply),
// then `#unsent` (encoded, not written yet: waiting for the turn to end, or for a connection). The parser
// (RespParser) is incremental: it keeps the arrays it is filling on a stack, so it never parses a byte twice,
// and a bulk string longer than what has arrived is collected chunk by chunk and joined once.
//
// Timeouts. All commands of a connection share one timeout, so their deadlines grow with their position in
// the FIFO, and the commands that timed out are always a prefix of it. One timer per connection is armed for
// the oldest command still waiting; when it fires it rejects every expired command and re-arms for the next.
// A timed-out command stays in the FIFO (`#expired` counts them at its head), so its late reply is consumed
// and dropped and the connection stays in sync.
//
// Failures. When the connection drops, every written command is rejected at once (its reply may be lost;
// nothing is re-sent), and the connection reconnects in the background with a capped backoff, forever until
// close(). Commands issued meanwhile wait, unwritten, and go out after the reconnect; a reconnect attempt
// that fails rejects them, so callers learn promptly that the server is gone.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { CommandPipeline, CommandTarget } from './topology.js';

/** An argument of a command: strings are sent as UTF-8, numbers in decimal, bytes as they are. */
export type RespArg = string | number | Uint8Array;

/** Arguments of this size and above are written from the caller's memory instead of being copied. */
const LARGE_ARG_BYTES = 64 * 1024;
/** Size of the write buffer that commands are encoded into (a larger argument gets a larger one). */
const WRITE_BUFFER_BYTES = 64 * 1024;
/**
 * Strings up to this length are written on the guess that they are ASCII (one byte per UTF-16 unit, so the
 * length is known before the bytes): one native UTF-8 write, checked by its byte count, and done again
 * with the real length when the guess was wrong. (A JS loop over charCodeAt was ~2–3 times costlier per
 * command in the workers, where keys, tokens and numbers arrive as strings of every internal shape:
 * Figure 13's process CPU per job fell ~11% without it.)
 */
const SHORT_STRING_CHARS = 256;
/**
 * Bulk replies read as bytes below this size are copied out of the socket chunk, so a small value does not
 * keep a whole chunk alive; larger ones are views of it (socket chunks are never reused).
 */
const COPY_REPLY_BELOW_BYTES = 16 * 1024;
/** The sent FIFO is compacted once this many answered entries sit before its head. */
const COMPACT_SENT_AFTER = 1024;
/** Reconnect backoff: attempt n waits min(n · step, cap). */
const RECONNECT_STEP_MS = 50;
const RECONNECT_CAP_MS = 1000;

const CR = 13;
const LF = 10;

/** An error reply of the server (the command was refused); every other error is about the transport. */
export class ReplyError extends Error {
  override readonly name = 'ReplyError';
}

/** The connection failed, dropped, closed, or a reply did not come in time. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

export interface RespConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** ACL user; sent with the password. */
  readonly username?: string | undefined;
  /** When given, every connection starts with AUTH [username] password. */
  readonly password?: string | undefined;
  /** Database selected after connecting. @default 0 */
  readonly db?: number | undefined;
  /** Connect with TLS, with these options. @default undefined (plain TCP) */
  readonly tls?: ConnectionOptions | undefined;
  /** Time for TCP, TLS and the handshake (AUTH, SELECT) of one connection attempt. */
  readonly connectTimeoutMs: number;
  /**
   * Issue-to-reply bound of a command, including time spent waiting for a connection. Undefined: no bound
   * (blocking connections, whose caller bounds the wait).
   */
  readonly commandTimeoutMs?: number | undefined;
}

export type RespConnectionStatus = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

/** One Redis array being filled by the parser. */
interface ArrayFrame {
  readonly items: unknown[];
  filled: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * Incremental RESP2 parser. `feed` takes socket chunks in order; each complete reply goes to `onReply`
 * (errors as ReplyError values, nested ones inside their arrays). Whether the bulk and simple strings of a
 * reply come back as Buffers or strings is asked of `wantsBuffer` when the reply starts.
 */
export class RespParser {
  #buf: Buffer = EMPTY;
  #pos = 0;
  /** Position after the line just read by #readInt. */
  #next = 0;
  readonly #stack: ArrayFrame[] = [];
  #binary = false;
  /** Length of the bulk string being collected across chunks, or -1. */
  #bulkLength = -1;
  #bulkParts: Buffer[] = [];
  #bulkHave = 0;
  /** Bumped by reset(), so a parse loop whose connection was reset by a reply callback stops. */
  #generation = 0;

  constructor(
    private readonly onReply: (value: unknown) => void,
    private readonly wantsBuffer: () => boolean,
    private readonly onProtocolError: (err: Error) => void,
  ) {}

  /** Forgets any partial reply (the connection it came from is gone). */
  reset(): void {
    this.#generation++;
    this.#buf = EMPTY;
    this.#pos = 0;
    this.#stack.length = 0;
    this.#bulkLength = -1;
    this.#bulkParts = [];
    this.#bulkHave = 0;
  }

  feed(chunk: Buffer): void {
    let input: Buffer | null = chunk;
    if (this.#bulkLength >= 0) {
      input = this.#continueBulk(chunk);
      if (input === null || input.length === 0) return;
    }
    // Left over from the previous chunk is at most one incomplete line.
    this.#buf = this.#pos < this.#buf.length ? Buffer.concat([this.#buf.subarray(this.#pos), input]) : input;
    this.#pos = 0;
    this.#parse();
  }

  #parse(): void {
    const generation = this.#generation;
    const stack = this.#stack;
    for (;;) {
      const buf = this.#buf;
      const pos = this.#pos;
      if (pos >= buf.length) return;
      if (stack.length === 0) this.#binary = this.wantsBuffer();
      const type = buf[pos];
      let value: unknown;
      if (type === 0x3a /* : */) {
        const n = this.#readInt(buf, pos);
        if (n === undefined) return;
        value = n;
        this.#pos = this.#next;
      } else if (type === 0x24 /* $ */) {
        const length = this.#readInt(buf, pos);
        if (length === undefined) return;
        const start = this.#next;
        if (length < 0) {
          value = null;
          this.#pos = start;
        } else if (start + length + 2 <= buf.length) {
          value = this.#bulkValue(buf, start, start + length);
          this.#pos = start + length + 2;
        } else {
          // The rest of the value is still on its way: collect the chunks, join them once it is all here.
          this.#bulkLength = length;
          this.#bulkParts = [buf.subarray(start)];
          this.#bulkHave = buf.length - start;
          this.#buf = EMPTY;
          this.#pos = 0;
          return;
        }
      } else if (type === 0x2a /* * */) {
        const count = this.#readInt(buf, pos);
        if (count === undefined) return;
        this.#pos = this.#next;
        if (count > 0) {
          stack.push({ items: new Array<unknown>(count), filled: 0 });
          continue;
        }
        value = count < 0 ? null : [];
      } else if (type === 0x2b /* + */ || type === 0x2d /* - */) {
        const cr = buf.indexOf(CR, pos + 1);
        if (cr < 0 || cr + 1 >= buf.length) return;
        if (type === 0x2d) value = new ReplyError(buf.toString('utf8', pos + 1, cr));
        else
          value = this.#binary ? Buffer.from(buf.subarray(pos + 1, cr)) : buf.toString('utf8', pos + 1, cr);
        this.#pos = cr + 2;
      } else {
        const shown = buf.toString('latin1', pos, Math.min(buf.length, pos + 16));
        this.reset();
        this.onProtocolError(new ConnectionError(`protocol error: unexpected ${JSON.stringify(shown)}`));
        return;
      }
      this.#complete(value);
      if (this.#generation !== generation) return;
    }
  }

  /** Adds a finished value to the array being filled, delivering the reply once it is whole. */
  #complete(value: unknown): void {
    const stack = this.#stack;
    let v = value;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as ArrayFrame;
      top.items[top.filled++] = v;
      if (top.filled < top.items.length) return;
      stack.pop();
      v = top.items;
    }
    this.onReply(v);
  }

  /**
   * The integer of a `:`, `$` or `*` line starting at `pos`, with #next set past its CRLF; undefined when
   * the line is not complete yet.
   */
  #readInt(buf: Buffer, pos: number): number | undefined {
    const end = buf.length;
    let i = pos + 1;
    let negative = false;
    if (i < end && buf[i] === 0x2d) {
      negative = true;
      i++;
    }
    let n = 0;
    for (;;) {
      if (i >= end) return undefined;
      const c = buf[i] as number;
      if (c === CR) break;
      n = n * 10 + (c - 48);
      i++;
    }
    if (i + 1 >= end) return undefined;
    this.#next = i + 2;
    return negative ? -n : n;
  }

  #bulkValue(buf: Buffer, start: number, end: number): unknown {
    if (!this.#binary) return buf.toString('utf8', start, end);
    // An empty string (a fan-in reply's holder while its set is incomplete) is one shared empty buffer.
    if (end === start) return EMPTY;
    if (end - start >= COPY_REPLY_BELOW_BYTES) return buf.subarray(start, end);
    return Buffer.from(buf.subarray(start, end));
  }

  /** Takes what `chunk` holds of the bulk string being collected; returns the bytes after it, or null. */
  #continueBulk(chunk: Buffer): Buffer | null {
    const length = this.#bulkLength;
    const missing = length + 2 - this.#bulkHave;
    if (chunk.length < missing) {
      this.#bulkParts.push(chunk);
      this.#bulkHave += chunk.length;
      return null;
    }
    this.#bulkParts.push(chunk.subarray(0, missing));
    // Joined once, without the trailing CRLF: a fresh buffer that aliases no chunk.
    const joined = Buffer.concat(this.#bulkParts, length);
    this.#bulkLength = -1;
    this.#bulkParts = [];
    this.#bulkHave = 0;
    const generation = this.#generation;
    this.#complete(this.#binary ? joined : joined.toString('utf8'));
    return this.#generation === generation ? chunk.subarray(missing) : null;
  }
}

/**
 * Encodes commands as RESP arrays of bulk strings into a reusable buffer. `take()` hands out everything
 * encoded since the previous take, as the buffers to write in order.
 */
export class RespWriter {
  #buf: Buffer = EMPTY;
  /** Start of the bytes not handed out yet. */
  #start = 0;
  #pos = 0;
  /** Finished pieces before #buf[#start, #pos): filled buffers and large arguments. */
  #parts: Buffer[] = [];

  command(name: string, args: readonly RespArg[]): void {
    this.#reserve(16);
    this.#buf[this.#pos++] = 0x2a; /* * */
    this.#pos = this.#writeUint(args.length + 1, this.#pos);
    this.#buf[this.#pos++] = CR;
    this.#buf[this.#pos++] = LF;
    this.#string(name);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (typeof a === 'string') this.#string(a);
      else if (typeof a === 'number') this.#number(a);
      else if (a instanceof Uint8Array) this.#bytes(a);
      else this.#string(String(a));
    }
  }

  take(): Buffer[] {
    if (this.#pos > this.#start) this.#parts.push(this.#buf.subarray(this.#start, this.#pos));
    this.#start = this.#pos;
    const parts = this.#parts;
    this.#parts = [];
    return parts;
  }

  /** Drops everything encoded since the previous take. */
  discard(): void {
    this.#parts = [];
    this.#pos = this.#start;
  }

  #reserve(bytes: number): void {
    if (this.#pos + bytes <= this.#buf.length) return;
    if (this.#pos > this.#start) this.#parts.push(this.#buf.subarray(this.#start, this.#pos));
    this.#buf = Buffer.allocUnsafe(Math.max(WRITE_BUFFER_BYTES, bytes));
    this.#start = 0;
    this.#pos = 0;
  }

  /** Writes the decimal digits of a non-negative integer at `pos`; returns the position after them. */
  #writeUint(n: number, pos: number): number {
    const buf = this.#buf;
    if (n < 10) {
      buf[pos] = 48 + n;
      return pos + 1;
    }
    const end = pos + decimalDigits(n);
    let p = end;
    let rest = n;
    while (rest > 0) {
      const q = Math.floor(rest / 10);
      buf[--p] = 48 + (rest - q * 10);
      rest = q;
    }
    return end;
  }

  /** `$<length>\r\n` at #pos. */
  #bulkHeader(length: number): void {
    this.#buf[this.#pos] = 0x24; /* $ */
    this.#pos = this.#writeUint(length, this.#pos + 1);
    this.#buf[this.#pos++] = CR;
    this.#buf[this.#pos++] = LF;
  }

  #crlf(): void {
    this.#buf[this.#pos++] = CR;
    this.#buf[this.#pos++] = LF;
  }

  #string(s: string): void {
    const n = s.length;
    if (n <= SHORT_STRING_CHARS) {
      // Room for the worst case (3 bytes per UTF-16 unit); as many bytes as units means it was ASCII.
      this.#reserve(n * 3 + 16);
      const headerAt = this.#pos;
      this.#bulkHeader(n);
      const buf = this.#buf;
      const at = this.#pos;
      if (buf.write(s, at, 'utf8') === n) {
        this.#pos = at + n;
        this.#crlf();
        return;
      }
      this.#pos = headerAt;
      const length = Buffer.byteLength(s, 'utf8');
      this.#bulkHeader(length);
      this.#pos += buf.write(s, this.#pos, length, 'utf8');
      this.#crlf();
      return;
    }
    const length = Buffer.byteLength(s, 'utf8');
    this.#reserve(length + 16);
    this.#bulkHeader(length);
    this.#pos += this.#buf.write(s, this.#pos, length, 'utf8');
    this.#crlf();
  }

  #number(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.#string(String(n));
      return;
    }
    this.#reserve(40);
    const magnitude = n < 0 ? -n : n;
    const length = decimalDigits(magnitude) + (n < 0 ? 1 : 0);
    this.#bulkHeader(length);
    if (n < 0) this.#buf[this.#pos++] = 0x2d; /* - */
    this.#pos = this.#writeUint(magnitude, this.#pos);
    this.#crlf();
  }

  #bytes(bytes: Uint8Array): void {
    const length = bytes.byteLength;
    if (length < LARGE_ARG_BYTES) {
      this.#reserve(length + 16);
      this.#bulkHeader(length);
      this.#buf.set(bytes, this.#pos);
      this.#pos += length;
      this.#crlf();
      return;
    }
    this.#reserve(16);
    this.#bulkHeader(length);
    this.#parts.push(this.#buf.subarray(this.#start, this.#pos));
    this.#start = this.#pos;
    this.#parts.push(
      Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    );
    this.#reserve(2);
    this.#crlf();
  }
}

function decimalDigits(n: number): number {
  let digits = 1;
  for (let bound = 10; n >= bound && digits < 16; bound *= 10) digits++;
  return digits;
}

/** The replies of one pipeline exec, filled in order. */
class PipelineExec {
  readonly results: [Error | null, unknown][];
  #left: number;

  constructor(
    count: number,
    readonly resolve: (results: [Error | null, unknown][]) => void,
    readonly reject: (err: Error) => void,
  ) {
    this.results = new Array<[Error | null, unknown]>(count);
    this.#left = count;
  }

  reply(slot: number, value: unknown): void {
    this.results[slot] = value instanceof ReplyError ? [value, null] : [null, value];
    if (--this.#left === 0) this.resolve(this.results);
  }
}

/** A command waiting for its reply. */
class Pending {
  constructor(
    /** Bulk and simple strings of the reply as Buffers. */
    readonly binary: boolean,
    /** performance.now() past which the command fails; Infinity without a command timeout. */
    readonly deadline: number,
    readonly resolve: (value: unknown) => void,
    readonly reject: (err: Error) => void,
    readonly exec: PipelineExec | null,
    readonly slot: number,
  ) {}

  settle(value: unknown): void {
    if (this.exec !== null) this.exec.reply(this.slot, value);
    else if (value instanceof ReplyError) this.reject(value);
    else this.resolve(value);
  }

  /** A transport failure: the whole exec of a pipeline fails (settling twice is a no-op). */
  fail(err: Error): void {
    if (this.exec !== null) this.exec.reject(err);
    else this.reject(err);
  }
}

interface QueuedCommand {
  readonly command: string;
  readonly args: readonly RespArg[];
  readonly binary: boolean;
}

/** Commands sent together by exec(); a reply error stays in its command's slot. */
class RespPipeline implements CommandPipeline {
  #commands: QueuedCommand[] = [];

  constructor(private readonly run: (commands: QueuedCommand[]) => Promise<[Error | null, unknown][]>) {}

  call(command: string, ...args: RespArg[]): this {
    this.#commands.push({ command, args, binary: false });
    return this;
  }

  callBuffer(command: string, ...args: RespArg[]): this {
    this.#commands.push({ command, args, binary: true });
    return this;
  }

  exec(): Promise<[Error | null, unknown][]> {
    const commands = this.#commands;
    this.#commands = [];
    return this.run(commands);
  }
}

const noop = (): void => undefined;

function flatArgs(args: readonly (RespArg | readonly RespArg[])[]): readonly RespArg[] {
  return args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly RespArg[]) : (args as RespArg[]);
}

export class RespConnection implements CommandTarget {
  readonly #options: RespConnectionOptions;
  readonly #address: string;
  readonly #parser: RespParser;
  readonly #writer = new RespWriter();
  #status: RespConnectionStatus = 'idle';
  #socket: Socket | undefined;
  /** The error the current socket reported before closing. */
  #socketError: Error | undefined;
  #lastError: Error | undefined;
  /** Written commands awaiting replies, oldest at #sentHead. */
  #sent: (Pending | undefined)[] = [];
  #sentHead = 0;
  /** Encoded commands not written yet, in issue order (all younger than #sent). */
  #unsent: Pending[] = [];
  /** Commands at the head of #sent ++ #unsent that already failed by timeout. */
  #expired = 0;
  #flushScheduled = false;
  /** performance.now() when the current turn's first command was issued: the base of its deadlines. */
  #turnStartMs = 0;
  #commandTimer: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectAttempt = 0;
  /** Handshake replies still expected on the connection being set up. */
  #handshakeLeft = 0;
  #connectWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(options: RespConnectionOptions) {
    this.#options = options;
    this.#address = `${options.host}:${options.port}`;
    this.#parser = new RespParser(
      (value) => this.#onReply(value),
      () => this.#headWantsBuffer(),
      (err) => this.#onTransportFailure(err),
    );
  }

  get status(): RespConnectionStatus {
    return this.#status;
  }

  /** The last connection failure (refused, dropped, handshake refused, timed out), if any. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** Connects now (commands also connect on first use); resolves when the handshake has succeeded. */
  connect(): Promise<void> {
    if (this.#status === 'ready') return Promise.resolve();
    if (this.#status === 'closed') return Promise.reject(this.#closedError());
    const ready = new Promise<void>((resolve, reject) => this.#connectWaiters.push({ resolve, reject }));
    if (this.#status !== 'connecting') {
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = undefined;
      this.#startAttempt();
    }
    return ready;
  }

  call(command: string, ...args: RespArg[]): Promise<unknown>;
  call(command: string, args: readonly RespArg[]): Promise<unknown>;
  call(command: string, ...args: (RespArg | readonly RespArg[])[]): Promise<unknown> {
    return this.#command(command, flatArgs(args), false);
  }

  callBuffer(command: string, ...args: RespArg[]): Promise<unknown>;
  callBuffer(command: string, args: readonly RespArg[]): Promise<unknown>;
  callBuffer(command: string, ...args: (RespArg | readonly RespArg[])[]): Promise<unknown> {
    return this.#command(command, flatArgs(args), true);
  }

  pipeline(): CommandPipeline {
    return new RespPipeline((commands) => this.#exec(commands));
  }

  /** Ends the connection for good: every pending command fails with "connection closed". Idempotent. */
  close(): void {
    if (this.#status === 'closed') return;
    this.#status = 'closed';
    clearTimeout(this.#commandTimer);
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#reconnectTimer);
    this.#commandTimer = this.#connectTimer = this.#reconnectTimer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
    this.#parser.reset();
    this.#issueGathered(); // their commands fail now, with every other pending command
    const err = this.#closedError();
    this.#failSent(err);
    this.#failUnsent(err);
    this.#failConnectWaiters(err);
  }

  #closedError(): ConnectionError {
    return new ConnectionError(`connection to ${this.#address} closed`);
  }

  #command(command: string, args: readonly RespArg[], binary: boolean): Promise<unknown> {
    if (this.#status === 'closed') return Promise.reject(this.#closedError());
    return new Promise((resolve, reject) => {
      const deadline = this.#beginIssue();
      this.#writer.command(command, args);
      this.#unsent.push(new Pending(binary, deadline, resolve, reject, null, 0));
    });
  }

  #exec(commands: readonly QueuedCommand[]): Promise<[Error | null, unknown][]> {
    if (this.#status === 'closed') return Promise.reject(this.#closedError());
    if (commands.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const deadline = this.#beginIssue();
      const exec = new PipelineExec(commands.length, resolve, reject);
      commands.forEach((c, slot) => {
        this.#writer.command(c.command, c.args);
        this.#unsent.push(new Pending(c.binary, deadline, noop, noop, exec, slot));
      });
    });
  }

  /** Starts a connection if there is none, schedules the turn's write; returns the command's deadline. */
  #beginIssue(): number {
    if (this.#status === 'idle') this.#startAttempt();
    this.#scheduleFlush();
    const timeoutMs = this.#options.commandTimeoutMs;
    if (timeoutMs === undefined) return Infinity;
    if (this.#commandTimer === undefined) this.#armCommandTimer(timeoutMs);
    return this.#turnStartMs + timeoutMs;
  }

  /** Writes this turn's commands at setImmediate, after the callbacks that issued them (see above). */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    this.#turnStartMs = performance.now();
    setImmediate(this.#flush);
  }

  readonly #flush = (): void => {
    this.#issueGathered(); // into this turn's write
    this.#flushScheduled = false;
    if (this.#status === 'ready' && this.#unsent.length > 0) this.#writeUnsent();
  };

  #beforeWrite: (() => void)[] = [];

  /**
   * Runs `issue` when this turn's commands are written, just before, so that the commands it issues go in
   * the same write: a caller can gather calls during the turn and send them as one (RedisStore batches the
   * fan-in calls for one child this way) at no cost in latency.
   */
  beforeWrite(issue: () => void): void {
    if (this.#status === 'closed') {
      issue(); // its commands fail at once, as any command on a closed connection
      return;
    }
    this.#beforeWrite.push(issue);
    if (this.#status === 'idle') this.#startAttempt();
    this.#scheduleFlush();
  }

  /** Lets the callers that gathered commands during the turn issue them (see beforeWrite). */
  #issueGathered(): void {
    if (this.#beforeWrite.length === 0) return;
    const gathered = this.#beforeWrite;
    this.#beforeWrite = [];
    for (const issue of gathered) issue();
  }

  #writeUnsent(): void {
    const socket = this.#socket as Socket;
    const parts = this.#writer.take();
    if (parts.length === 1) socket.write(parts[0] as Buffer);
    else {
      socket.cork();
      for (const part of parts) socket.write(part);
      socket.uncork();
    }
    if (this.#sentHead === this.#sent.length) {
      const drained = this.#sent;
      drained.length = 0;
      this.#sentHead = 0;
      this.#sent = this.#unsent;
      this.#unsent = drained as Pending[];
    } else {
      for (const p of this.#unsent) this.#sent.push(p);
      this.#unsent.length = 0;
    }
  }

  // ---- replies

  #headWantsBuffer(): boolean {
    return this.#status === 'ready' && this.#sentHead < this.#sent.length
      ? (this.#sent[this.#sentHead] as Pending).binary
      : false;
  }

  #onReply(value: unknown): void {
    if (this.#status !== 'ready') {
      this.#onHandshakeReply(value);
      return;
    }
    const sent = this.#sent;
    const head = this.#sentHead;
    if (head >= sent.length) {
      this.#onTransportFailure(new ConnectionError('protocol error: a reply to no command'));
      return;
    }
    const pending = sent[head] as Pending;
    sent[head] = undefined;
    this.#sentHead = head + 1;
    if (this.#sentHead === sent.length) {
      sent.length = 0;
      this.#sentHead = 0;
    } else if (this.#sentHead >= COMPACT_SENT_AFTER && this.#sentHead * 2 >= sent.length) {
      sent.splice(0, this.#sentHead);
      this.#sentHead = 0;
    }
    if (this.#expired > 0) {
      // The late reply of a command that timed out.
      this.#expired--;
      return;
    }
    pending.settle(value);
  }

  // ---- command timeout

  #armCommandTimer(delayMs: number): void {
    this.#commandTimer = setTimeout(this.#onCommandTimer, Math.max(1, Math.ceil(delayMs)));
    // Pending commands keep the process alive through their socket or reconnect timer, not through this.
    this.#commandTimer.unref();
  }

  readonly #onCommandTimer = (): void => {
    this.#commandTimer = undefined;
    const timeoutMs = this.#options.commandTimeoutMs as number;
    const now = performance.now();
    let err: ConnectionError | undefined;
    for (;;) {
      const pending = this.#pendingAt(this.#expired);
      if (pending === undefined) return;
      if (pending.deadline > now) {
        this.#armCommandTimer(pending.deadline - now);
        return;
      }
      this.#expired++;
      err ??= new ConnectionError(
        this.#status === 'ready'
          ? `no reply from ${this.#address} within ${timeoutMs} ms`
          : `no connection to ${this.#address} within ${timeoutMs} ms` +
              (this.#lastError ? ` (last error: ${this.#lastError.message})` : ''),
      );
      pending.fail(err);
    }
  };

  /** The i-th command of #sent ++ #unsent. */
  #pendingAt(i: number): Pending | undefined {
    const inSent = this.#sent.length - this.#sentHead;
    return i < inSent ? this.#sent[this.#sentHead + i] : this.#unsent[i - inSent];
  }

  // ---- connection life

  #handshake(): [string, RespArg[]][] {
    const { username, password, db } = this.#options;
    const commands: [string, RespArg[]][] = [];
    if (password !== undefined) commands.push(['AUTH', username ? [username, password] : [password]]);
    if (db !== undefined && db !== 0) commands.push(['SELECT', [db]]);
    return commands;
  }

  #startAttempt(): void {
    this.#status = 'connecting';
    this.#socketError = undefined;
    const { host, port, tls, connectTimeoutMs } = this.#options;
    let socket: Socket;
    try {
      socket = tls ? tlsConnect({ ...tls, host, port }) : netConnect({ host, port });
    } catch (err) {
      this.#attemptFailed(
        new ConnectionError(`cannot connect to ${this.#address}: ${String((err as Error).message)}`),
      );
      return;
    }
    this.#socket = socket;
    socket.setNoDelay(true);
    this.#connectTimer = setTimeout(() => {
      this.#connectTimer = undefined;
      this.#attemptFailed(
        new ConnectionError(`cannot connect to ${this.#address}: timed out after ${connectTimeoutMs} ms`),
      );
    }, connectTimeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      if (this.#socket === socket) this.#onTransportUp(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket === socket) this.#parser.feed(chunk);
    });
    socket.on('error', (err: Error) => {
      if (this.#socket === socket) this.#socketError = err;
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#onTransportFailure(this.#socketError ?? new ConnectionError('closed by the server'));
    });
  }

  #onTransportUp(socket: Socket): void {
    const handshake = this.#handshake();
    if (handshake.length === 0) {
      this.#becomeReady();
      return;
    }
    this.#handshakeLeft = handshake.length;
    const writer = new RespWriter();
    for (const [command, args] of handshake) writer.command(command, args);
    for (const part of writer.take()) socket.write(part);
  }

  #onHandshakeReply(value: unknown): void {
    if (value instanceof ReplyError) this.#attemptFailed(value);
    else if (--this.#handshakeLeft === 0) this.#becomeReady();
  }

  #becomeReady(): void {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#status = 'ready';
    this.#reconnectAttempt = 0;
    const waiters = this.#connectWaiters;
    this.#connectWaiters = [];
    for (const w of waiters) w.resolve();
    if (this.#unsent.length > 0) this.#writeUnsent();
  }

  /** The socket closed, errored or spoke nonsense. */
  #onTransportFailure(cause: Error): void {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
    if (this.#status === 'connecting') {
      this.#attemptFailed(new ConnectionError(`cannot connect to ${this.#address}: ${cause.message}`));
    } else if (this.#status === 'ready') {
      const err = new ConnectionError(`connection to ${this.#address} lost: ${cause.message}`);
      this.#lastError = err;
      this.#parser.reset();
      this.#failSent(err);
      this.#scheduleReconnect();
    }
  }

  /** A connection attempt failed: the commands waiting for it fail with its error (a ReplyError stays one). */
  #attemptFailed(err: Error): void {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
    this.#lastError = err;
    this.#parser.reset();
    this.#failUnsent(err);
    this.#failConnectWaiters(err);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    this.#status = 'reconnecting';
    this.#reconnectAttempt++;
    const delayMs = Math.min(RECONNECT_STEP_MS * this.#reconnectAttempt, RECONNECT_CAP_MS);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#startAttempt();
    }, delayMs);
  }

  #failSent(err: Error): void {
    const sent = this.#sent;
    const count = sent.length - this.#sentHead;
    for (let i = this.#sentHead; i < sent.length; i++) (sent[i] as Pending).fail(err);
    sent.length = 0;
    this.#sentHead = 0;
    this.#expired = Math.max(0, this.#expired - count);
  }

  #failUnsent(err: Error): void {
    const unsent = this.#unsent;
    this.#unsent = [];
    this.#writer.discard();
    this.#expired = 0;
    for (const p of unsent) p.fail(err);
  }

  #failConnectWaiters(err: Error): void {
    const waiters = this.#connectWaiters;
    this.#connectWaiters = [];
    for (const w of waiters) w.reject(err);
  }
}
