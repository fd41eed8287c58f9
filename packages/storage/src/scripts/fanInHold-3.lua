-- fanInHold: delayed I/O (DESIGN.md §6.4). A parent that keeps a large output in memory for a fan-in
-- child registers as the child's holder instead of signalling. When every other parent has arrived it
-- completes the fan-in itself (it arrives last, so it holds the trigger and runs the child where its large
-- input already is). A second parent with a large input is told `conflict` and must persist and fan in
-- normally, so two holders never wait on each other. A holder is woken by the parent whose `fanIn` leaves
-- only the holder missing (fanIn returns wake = 1 to it); it then calls this script again.
--
-- KEYS[1]   fan-in set of the child         wk:{<job>:<child>}:in
-- KEYS[2]   trigger of the child            wk:{<job>:<child>}:trigger
-- KEYS[3]   holder of the child             wk:{<job>:<child>}:hold
-- KEYS[4]   optional: the child's carried inputs (a hash, see fanIn-2.lua)   wk:{<job>:<child>}:inputs
-- ARGV[1]   the caller's parent index       canonical decimal integer >= 0, < in-degree (a position)
-- ARGV[2]   the child's in-degree           integer >= 2
-- ARGV[3]   TTL of the keys, milliseconds   integer >= 1
--
-- Returns { code, arrived, holder, carried }: arrived = parents recorded, holder = the registered holder
-- or '', carried (only with KEYS[4], only for code 1) = the other parents' carried inputs as a flat list
-- { parent, value, ... }.
--   1  won: every other parent had arrived; the caller completed the set and holds the trigger
--   0  wait: the caller is the registered holder; other parents are outstanding
--   3  conflict: another parent is the holder; persist and call fanIn
--   2  the set is complete and another parent holds the trigger (the caller is late: nothing to run)
--  -1  invalid parent: position >= in-degree
--  -2  in-degree is not an integer >= 2
--  -3  bad argument: parent index or TTL is not a valid integer
--  -4  wrong type: a key holds another type than set / string

local parent = ARGV[1]
if not (parent == '0' or string.match(parent, '^[1-9]%d*$')) then
  return { -3, 0, '' }
end
local inDegree = tonumber(ARGV[2])
if inDegree == nil or inDegree < 2 or inDegree ~= math.floor(inDegree) then
  return { -2, 0, '' }
end
local ttl = tonumber(ARGV[3])
if ttl == nil or ttl < 1 or ttl ~= math.floor(ttl) then
  return { -3, 0, '' }
end
if tonumber(parent) >= inDegree then
  return { -1, 0, '' }
end
for i = 1, 3 do
  local t = redis.call('TYPE', KEYS[i])['ok']
  local expected = (i == 1) and 'set' or 'string'
  if t ~= 'none' and t ~= expected then
    return { -4, 0, '' }
  end
end

local holder = redis.call('GET', KEYS[3]) or ''
if holder ~= '' and holder ~= parent then
  return { 3, redis.call('SCARD', KEYS[1]), holder }
end
local arrived = redis.call('SCARD', KEYS[1])
local already = redis.call('SISMEMBER', KEYS[1], parent) == 1
local others = already and (arrived - 1) or arrived
if others < inDegree - 1 then
  redis.call('SET', KEYS[3], parent, 'PX', ttl)
  return { 0, arrived, parent }
end
if not already then
  redis.call('SADD', KEYS[1], parent)
  redis.call('PEXPIRE', KEYS[1], ttl)
  arrived = arrived + 1
end
redis.call('SET', KEYS[2], parent, 'NX', 'PX', ttl)
local trigger = redis.call('GET', KEYS[2])
if trigger == parent then
  if #KEYS >= 4 then
    return { 1, arrived, holder, redis.call('HGETALL', KEYS[4]) }
  end
  return { 1, arrived, holder }
end
return { 2, arrived, holder }
