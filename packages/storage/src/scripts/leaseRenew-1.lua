-- leaseRenew: extend an execution lease, only by its owner.
--
-- KEYS[1]  the lease key                  wk:{<job>:<task>}:run
-- ARGV[1]  owner token                    non-empty string
-- ARGV[2]  new duration, milliseconds     integer >= 1
--
-- Returns { code, owner, remainingMs }:
--   1  renewed                                            (owner = caller, remainingMs = ARGV[2])
--   0  held by another owner; unchanged                   (owner = that owner, remainingMs = its PTTL)
--   3  not held by anyone (expired or released)           (owner = '', remainingMs = 0)
--  -3  bad argument: empty owner or invalid duration
--  -4  wrong type: the key holds another type than string

local owner = ARGV[1]
local ms = tonumber(ARGV[2])
if owner == '' or ms == nil or ms < 1 or ms ~= math.floor(ms) then
  return { -3, '', 0 }
end
local keyType = redis.call('TYPE', KEYS[1])['ok']
if keyType == 'none' then
  return { 3, '', 0 }
end
if keyType ~= 'string' then
  return { -4, '', 0 }
end
local current = redis.call('GET', KEYS[1])
if current == owner then
  redis.call('PEXPIRE', KEYS[1], ms)
  return { 1, owner, ms }
end
return { 0, current, redis.call('PTTL', KEYS[1]) }
