// Maps what the Redis clients throw (RespConnection for shards, ioredis for a cluster) to the package's typed
// errors, naming the key and the shard.
//
// A Redis reply error is the server refusing a command: WRONGTYPE becomes WrongKeyType, WRONGPASS / NOAUTH /
// NOPERM AuthFailed, cluster states
// that mean "this node cannot serve now" (CLUSTERDOWN, LOADING, MASTERDOWN, TRYAGAIN) become
// ShardUnreachable, anything else CommandFailed. Every other error a client raises is about the transport
// (refused, reset, closed, timed out, retries exhausted), so it becomes ShardUnreachable.
import { AuthFailed, CommandFailed, ShardUnreachable, StorageError, WrongKeyType } from '../errors.js';

const AUTH_REPLY = /^(WRONGPASS|NOAUTH|NOPERM)\b/;
const UNAVAILABLE_REPLY = /^(CLUSTERDOWN|LOADING|MASTERDOWN|TRYAGAIN)\b/;

export function isReplyError(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'ReplyError';
}

export function isNoScript(err: unknown): boolean {
  return isReplyError(err) && String((err as Error).message).startsWith('NOSCRIPT');
}

export function toStorageError(err: unknown, key: string, shard: string): StorageError {
  if (err instanceof StorageError) return err;
  const message = String((err as { message?: unknown } | null)?.message ?? err);
  if (isReplyError(err)) {
    if (message.startsWith('WRONGTYPE')) return new WrongKeyType(key, shard);
    if (AUTH_REPLY.test(message)) return new AuthFailed(shard, message, { cause: err });
    if (UNAVAILABLE_REPLY.test(message)) return new ShardUnreachable(shard, message, { cause: err });
    return new CommandFailed(key, shard, message, { cause: err });
  }
  return new ShardUnreachable(shard, message, { cause: err });
}
