-- readInputs: the inputs carried in a task's fan-in record (see fanIn-2.lua), for an executor that runs
-- the task without having completed its fan-in itself (a retry after a crash, a watchdog re-invocation).
--
-- KEYS[1]  the task's carried inputs      wk:{<job>:<task>}:inputs
-- ARGV[1]  none: the script takes no arguments
--
-- Returns { code, carried }:
--   1  carried = { parent, value, parent, value, ... } (empty when nothing was carried)
--  -4  wrong type: the key holds another type than hash

local keyType = redis.call('TYPE', KEYS[1])['ok']
if keyType ~= 'none' and keyType ~= 'hash' then
  return { -4 }
end
return { 1, redis.call('HGETALL', KEYS[1]) }
