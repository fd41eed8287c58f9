-- writeOnce: store a task output at most once (DESIGN.md §5, `out`).
--
-- SET NX PX: the first writer wins, later writers (duplicates, retries, racing executors) leave the stored
-- value untouched and learn that it already existed.
--
-- KEYS[1]  the output key                 wk:{<job>:<task>}:out
-- ARGV[1]  the value                      bytes
-- ARGV[2]  TTL, milliseconds              integer >= 1
--
-- Returns { code }:
--   1  written
--   0  not written: the key already existed
--  -3  bad argument: invalid TTL

local ttl = tonumber(ARGV[2])
if ttl == nil or ttl < 1 or ttl ~= math.floor(ttl) then
  return { -3 }
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ttl) then
  return { 1 }
end
return { 0 }
