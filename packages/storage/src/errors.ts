// Typed errors of @wukong/storage.
//
// Every error carries a stable `name` and `code` string property, and its identifying fields (key, shard,
// option) as plain own properties, so an error that crossed a worker-thread MessagePort or a Lambda payload
// as JSON can still be told apart without `instanceof`. `storageErrorFromJSON` rebuilds the class on the
// far side (the memory store's worker client uses it).

/** Stable codes of every error this package throws. */
export const StorageErrorCode = {
  ShardUnreachable: 'SHARD_UNREACHABLE',
  ObjectLost: 'OBJECT_LOST',
  ValueTooLarge: 'VALUE_TOO_LARGE',
  ScriptRejected: 'SCRIPT_REJECTED',
  InvalidKeyPart: 'INVALID_KEY_PART',
  InvalidStoreUrl: 'INVALID_STORE_URL',
  InvalidOption: 'INVALID_OPTION',
  InvalidValue: 'INVALID_VALUE',
  WrongKeyType: 'WRONG_KEY_TYPE',
  StoreClosed: 'STORE_CLOSED',
  CommandFailed: 'COMMAND_FAILED',
  CorruptValue: 'CORRUPT_VALUE',
  AuthFailed: 'AUTH_FAILED',
} as const;
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

/** Base class: every error thrown by this package is a StorageError with a `code`. */
export class StorageError extends Error {
  readonly code: StorageErrorCode;
  constructor(name: string, code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
    this.code = code;
  }
  toJSON(): Record<string, unknown> {
    return {
      ...(this as unknown as Record<string, unknown>),
      name: this.name,
      code: this.code,
      message: this.message,
    };
  }
}

/**
 * A shard (a standalone redis-server, a cluster node) did not answer: connection refused or closed, or no
 * reply within `commandTimeoutMs` / `connectTimeoutMs`. `shard` names it, e.g. `shard 1 (127.0.0.1:7001)`.
 */
export class ShardUnreachable extends StorageError {
  readonly shard: string;
  constructor(shard: string, detail: string, options?: { cause?: unknown }) {
    super(
      'ShardUnreachable',
      StorageErrorCode.ShardUnreachable,
      `${shard} is unreachable: ${detail}`,
      options,
    );
    this.shard = shard;
  }
}

/**
 * A value that must exist does not: `getRequired` on a missing key, or a chunk of a chunked value is
 * missing (expired, evicted, or its shard lost data). Names the key and the shard that should hold it.
 */
export class ObjectLost extends StorageError {
  readonly key: string;
  readonly shard: string;
  constructor(key: string, shard: string, detail = 'no value') {
    super('ObjectLost', StorageErrorCode.ObjectLost, `object ${key} on ${shard} is lost: ${detail}`);
    this.key = key;
    this.shard = shard;
  }
}

/**
 * A value is larger than the store accepts: above `maxValueBytes` for a stored value, or above `chunkBytes`
 * where values cannot be chunked (script arguments, events).
 */
export class ValueTooLarge extends StorageError {
  readonly key: string;
  readonly bytes: number;
  readonly limitBytes: number;
  readonly option: string;
  constructor(key: string, bytes: number, limitBytes: number, option: string) {
    super(
      'ValueTooLarge',
      StorageErrorCode.ValueTooLarge,
      `value for ${key} is ${bytes} bytes, above the limit of ${limitBytes} bytes (option ${option})`,
    );
    this.key = key;
    this.bytes = bytes;
    this.limitBytes = limitBytes;
    this.option = option;
  }
}

/**
 * Negative return codes of the Lua scripts (and of their in-memory twins). One enum for all scripts; the
 * numeric value is what the script returns.
 */
export const ScriptRejection = {
  /** fanIn: the parent index is not one of the child's parents (not in the list, or out of range). */
  InvalidParent: -1,
  /** fanIn: the in-degree is not a positive integer, or the parent list does not have that many entries. */
  InDegreeMismatch: -2,
  /** Any script: a numeric argument (TTL, lease time, index) is not a positive integer. */
  BadArgument: -3,
  /** Any script: a key holds a value of another type than the script expects. */
  WrongType: -4,
} as const;
export type ScriptRejection = (typeof ScriptRejection)[keyof typeof ScriptRejection];

const rejectionNames: Record<number, keyof typeof ScriptRejection> = {
  [-1]: 'InvalidParent',
  [-2]: 'InDegreeMismatch',
  [-3]: 'BadArgument',
  [-4]: 'WrongType',
};

/** A script refused its input: `rejection` is the numeric code, `reason` its enum name. */
export class ScriptRejected extends StorageError {
  readonly script: string;
  readonly key: string;
  readonly rejection: ScriptRejection;
  readonly reason: string;
  constructor(script: string, key: string, rejection: number, detail: string) {
    const reason = rejectionNames[rejection] ?? 'Unknown';
    super(
      'ScriptRejected',
      StorageErrorCode.ScriptRejected,
      `script ${script} rejected ${key}: ${reason} (${rejection}) ${detail}`.trimEnd(),
    );
    this.script = script;
    this.key = key;
    this.rejection = rejection as ScriptRejection;
    this.reason = reason;
  }
}

/**
 * A job id or task key cannot be used in a key: empty, or contains `{` / `}` (they would break the hash tag);
 * job ids also must not contain `:` or `#` (they would blur the boundary between jobs).
 */
export class InvalidKeyPart extends StorageError {
  readonly part: string;
  constructor(part: string, what: string) {
    super(
      'InvalidKeyPart',
      StorageErrorCode.InvalidKeyPart,
      `${what} ${JSON.stringify(part)} cannot be used in a key: it must be non-empty without '{' or '}' (job ids: nor ':' or '#')`,
    );
    this.part = part;
  }
}

/** `openStore` got a URL it cannot parse or a scheme it does not know. */
export class InvalidStoreUrl extends StorageError {
  readonly url: string;
  constructor(url: string, detail: string) {
    super(
      'InvalidStoreUrl',
      StorageErrorCode.InvalidStoreUrl,
      `invalid store URL ${redactUrl(url)}: ${detail}`,
    );
    this.url = redactUrl(url);
  }
}

/** An option is out of range (names the option). */
export class InvalidOption extends StorageError {
  readonly option: string;
  constructor(option: string, detail: string) {
    super('InvalidOption', StorageErrorCode.InvalidOption, `invalid option ${option}: ${detail}`);
    this.option = option;
  }
}

/** A value cannot be stored or decoded as given (e.g. a tensor whose byte length does not match its shape). */
export class InvalidValue extends StorageError {
  readonly key: string;
  constructor(key: string, detail: string) {
    super('InvalidValue', StorageErrorCode.InvalidValue, `invalid value for ${key}: ${detail}`);
    this.key = key;
  }
}

/** A key holds another type than the operation expects (a fan-in set read with `get`). */
export class WrongKeyType extends StorageError {
  readonly key: string;
  readonly shard: string;
  constructor(key: string, shard: string) {
    super('WrongKeyType', StorageErrorCode.WrongKeyType, `key ${key} on ${shard} holds another type`);
    this.key = key;
    this.shard = shard;
  }
}

/** An operation was called after `close()`. */
export class StoreClosed extends StorageError {
  readonly store: string;
  constructor(store: string) {
    super('StoreClosed', StorageErrorCode.StoreClosed, `store ${store} is closed`);
    this.store = store;
  }
}

/** Redis answered with an error this package does not map to a more specific class (names key and shard). */
export class CommandFailed extends StorageError {
  readonly key: string;
  readonly shard: string;
  constructor(key: string, shard: string, detail: string, options?: { cause?: unknown }) {
    super(
      'CommandFailed',
      StorageErrorCode.CommandFailed,
      `command on ${key} at ${shard} failed: ${detail}`,
      options,
    );
    this.key = key;
    this.shard = shard;
  }
}

/** A shard refused the credentials (WRONGPASS, NOAUTH) or the ACL user lacks a permission (NOPERM). */
export class AuthFailed extends StorageError {
  readonly shard: string;
  constructor(shard: string, detail: string, options?: { cause?: unknown }) {
    super('AuthFailed', StorageErrorCode.AuthFailed, `${shard} refused the credentials: ${detail}`, options);
    this.shard = shard;
  }
}

/** A stored value does not decode (a chunk manifest or tensor header is damaged). */
export class CorruptValue extends StorageError {
  readonly key: string;
  constructor(key: string, detail: string) {
    super('CorruptValue', StorageErrorCode.CorruptValue, `value of ${key} is corrupt: ${detail}`);
    this.key = key;
  }
}

/** Removes a password from a URL before it goes into an error message. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^/@]*?:)[^/@]*@/g, '$1***@');
}

/**
 * Rebuilds a typed error from its JSON form (see `StorageError.toJSON`). Unknown codes come back as a plain
 * StorageError carrying the same name, code and message.
 */
export function storageErrorFromJSON(json: Record<string, unknown>): StorageError {
  const s = (k: string): string => String(json[k] ?? '');
  const n = (k: string): number => Number(json[k] ?? 0);
  let error: StorageError;
  switch (json.code) {
    case StorageErrorCode.ShardUnreachable:
      error = new ShardUnreachable(s('shard'), '');
      break;
    case StorageErrorCode.ObjectLost:
      error = new ObjectLost(s('key'), s('shard'));
      break;
    case StorageErrorCode.ValueTooLarge:
      error = new ValueTooLarge(s('key'), n('bytes'), n('limitBytes'), s('option'));
      break;
    case StorageErrorCode.ScriptRejected:
      error = new ScriptRejected(s('script'), s('key'), n('rejection'), '');
      break;
    case StorageErrorCode.InvalidKeyPart:
      error = new InvalidKeyPart(s('part'), 'key part');
      break;
    case StorageErrorCode.InvalidOption:
      error = new InvalidOption(s('option'), '');
      break;
    case StorageErrorCode.InvalidValue:
      error = new InvalidValue(s('key'), '');
      break;
    case StorageErrorCode.WrongKeyType:
      error = new WrongKeyType(s('key'), s('shard'));
      break;
    case StorageErrorCode.StoreClosed:
      error = new StoreClosed(s('store'));
      break;
    case StorageErrorCode.CommandFailed:
      error = new CommandFailed(s('key'), s('shard'), '');
      break;
    case StorageErrorCode.AuthFailed:
      error = new AuthFailed(s('shard'), '');
      break;
    case StorageErrorCode.CorruptValue:
      error = new CorruptValue(s('key'), '');
      break;
    default:
      error = new StorageError(
        s('name') || 'StorageError',
        (json.code as StorageErrorCode) ?? 'COMMAND_FAILED',
        '',
      );
  }
  // The sender's message is the precise one; keep it.
  error.message = s('message');
  return error;
}
