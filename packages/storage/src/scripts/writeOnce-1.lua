-- writeOnce: store a task output at most once (DESIGN.md §5, `out`).
--
-- SET NX PX: the first writer wins, later writers (duplicates, retries, racing executors) leave the stored
-- value untouched and learn that it already existed.
--
-- Optionally (KEYS[2] and ARGV[3] given) the task's lease key is set to the done mark in the same step: the
-- output is durable, so a later duplicate of the task stops at taskBegin. Both keys share the task's hash
-- tag, so this is one atomic call on one shard.
--
-- KEYS[1]  the output key                 wk:{<job>:<task>}:out
-- KEYS[2]  optional: the lease key        wk:{<job>:<task>}:run
-- ARGV[1]  the value                      bytes
-- ARGV[2]  TTL, milliseconds              integer >= 1
-- ARGV[3]  with KEYS[2]: the done mark    non-empty string
--
-- Returns { code }:
--   1  written
--   0  not written: the key already existed (the done mark is set all the same)
--  -3  bad argument: invalid TTL, or KEYS[2] without a non-empty ARGV[3]

local ttl = tonumber(ARGV[2])
if ttl == nil or ttl < 1 or ttl ~= math.floor(ttl) then
  return { -3 }
end
if KEYS[2] and (ARGV[3] == nil or ARGV[3] == '') then
  return { -3 }
end
local written = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ttl)
if KEYS[2] then
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
end
if written then
  return { 1 }
end
return { 0 }
