-- leaseRelease: give up an execution lease, only by its owner.
--
-- KEYS[1]  the lease key                  wk:{<job>:<task>}:run
-- ARGV[1]  owner token                    non-empty string
--
-- Returns { code, owner }:
--   1  released                                           (owner = caller)
--   0  held by another owner; unchanged                   (owner = that owner)
--   3  not held by anyone (expired or released already)   (owner = '')
--  -3  bad argument: empty owner
--  -4  wrong type: the key holds another type than string

local owner = ARGV[1]
if owner == '' then
  return { -3, '' }
end
local keyType = redis.call('TYPE', KEYS[1])['ok']
if keyType == 'none' then
  return { 3, '' }
end
if keyType ~= 'string' then
  return { -4, '' }
end
local current = redis.call('GET', KEYS[1])
if current == owner then
  redis.call('DEL', KEYS[1])
  return { 1, owner }
end
return { 0, current }
