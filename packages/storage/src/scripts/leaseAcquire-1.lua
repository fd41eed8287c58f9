-- leaseAcquire: take the execution lease of a task (DESIGN.md §6.3).
--
-- SET NX PX with the caller's owner token. The current owner acquiring again extends its lease (a retried
-- call whose first reply was lost must not lock its own caller out).
--
-- KEYS[1]  the lease key                  wk:{<job>:<task>}:run
-- ARGV[1]  owner token                    non-empty string
-- ARGV[2]  lease duration, milliseconds   integer >= 1
--
-- Returns { code, owner, remainingMs }:
--   1  acquired: the lease was free                       (owner = caller, remainingMs = ARGV[2])
--   2  the caller already held it; extended to ARGV[2]    (owner = caller, remainingMs = ARGV[2])
--   0  held by another owner                              (owner = that owner, remainingMs = its PTTL)
--  -3  bad argument: empty owner or invalid duration
--  -4  wrong type: the key holds another type than string

local owner = ARGV[1]
local ms = tonumber(ARGV[2])
if owner == '' or ms == nil or ms < 1 or ms ~= math.floor(ms) then
  return { -3, '', 0 }
end
local keyType = redis.call('TYPE', KEYS[1])['ok']
if keyType ~= 'none' and keyType ~= 'string' then
  return { -4, '', 0 }
end
if redis.call('SET', KEYS[1], owner, 'NX', 'PX', ms) then
  return { 1, owner, ms }
end
local current = redis.call('GET', KEYS[1])
if current == owner then
  redis.call('PEXPIRE', KEYS[1], ms)
  return { 2, owner, ms }
end
return { 0, current, redis.call('PTTL', KEYS[1]) }
