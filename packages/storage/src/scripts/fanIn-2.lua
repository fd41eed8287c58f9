-- fanIn: the exactly-once trigger of a child task (DESIGN.md §6.2).
--
-- A parent that finished (and whose output is already durable) adds its index to the child's fan-in set.
-- The call that completes the set claims the trigger with SET NX; from then on exactly that parent index
-- holds it. A duplicate or retried delivery of the holder is told again that it holds the trigger (it may
-- re-fire, which is idempotent downstream); any other parent is told who holds it. No counters: a re-sent
-- call adds nothing to a set.
--
-- KEYS[1]   fan-in set of the child         wk:{<job>:<child>}:in
-- KEYS[2]   trigger of the child            wk:{<job>:<child>}:trigger
-- KEYS[3]   optional: holder of the child   wk:{<job>:<child>}:hold   (delayed I/O, see fanInHold-3.lua)
-- KEYS[4]   optional (with KEYS[3]): the child's carried inputs, a hash   wk:{<job>:<child>}:inputs
-- KEYS[5]   optional (with KEYS[4] and KEYS[6]): the child's lease   wk:{<job>:<child>}:run
-- KEYS[6]   optional (with KEYS[5]): the child's output              wk:{<job>:<child>}:out
-- ARGV[1]   the caller's parent index       canonical decimal integer >= 0
-- ARGV[2]   the child's in-degree           integer >= 1
-- ARGV[3]   TTL of the keys, milliseconds   integer >= 1
-- ARGV[4]   with KEYS[4]: the caller's output to carry to the child, or '' (stored elsewhere). A small
--           output travels inside the fan-in record: written in the same atomic step as the signal, so
--           write-before-signal holds, and the parent that completes the set gets every carried input in
--           its reply instead of reading them one by one.
-- ARGV[5]   with KEYS[5]: the caller's owner token for the child's lease   non-empty, never ARGV[7]
-- ARGV[6]   with KEYS[5]: lease duration, milliseconds   integer >= 1
-- ARGV[7]   with KEYS[5]: the done mark                  non-empty string
--           With KEYS[5..6] the trigger holder also takes the child's lease, as taskBegin-2.lua would, in
--           the same atomic step: a parent that will run the child itself saves a round trip.
-- ARGV[4..] (ARGV[5..] with KEYS[4], ARGV[8..] with KEYS[5]) optional: the child's parent indices. When
--           given there must be exactly in-degree of them and ARGV[1] must be one of them; when absent
--           ARGV[1] is a position and must be < in-degree.
--
-- Returns { code, arrived, holder, wake, carried }: arrived = parents recorded so far, holder = trigger
-- holder or '', wake = 1 when KEYS[3] names a registered delayed-I/O holder and, after this call, every
-- parent but that holder has arrived: the caller must wake the holder (it completes the fan-in itself);
-- otherwise 0. carried (only with KEYS[4], only for code 1) = the carried inputs as a flat list
-- { parent, value, parent, value, ... }. With KEYS[5], code 1 adds a sixth item, the lease outcome, coded
-- as taskBegin's: 1 leased (compute), 2 leased and the output exists (resume), 0 held by another owner,
-- 3 the child is done.
--   1  the caller holds the trigger (it completed the set, now or in an earlier delivery)
--   0  waiting: the set is not complete yet
--   2  complete, and another parent holds the trigger
--  -1  invalid parent: not in the parent list, or position >= in-degree
--  -2  in-degree mismatch: in-degree not a positive integer, or the parent list has another length
--  -3  bad argument: parent index or TTL is not a valid integer, 5 keys, or invalid lease arguments
--  -4  wrong type: a key this call reads or writes holds another type than set / hash / string

local parent = ARGV[1]
if not (parent == '0' or string.match(parent, '^[1-9]%d*$')) then
  return { -3, 0, '' }
end
local inDegree = tonumber(ARGV[2])
if inDegree == nil or inDegree < 1 or inDegree ~= math.floor(inDegree) then
  return { -2, 0, '' }
end
local ttl = tonumber(ARGV[3])
if ttl == nil or ttl < 1 or ttl ~= math.floor(ttl) then
  return { -3, 0, '' }
end

if #KEYS == 5 then
  return { -3, 0, '' }
end
local carry = #KEYS >= 4
local lease = #KEYS >= 6
local owner, leaseMs, mark
if lease then
  owner = ARGV[5]
  leaseMs = tonumber(ARGV[6])
  mark = ARGV[7]
  if owner == nil or owner == '' or mark == nil or mark == '' or owner == mark or leaseMs == nil
    or leaseMs < 1 or leaseMs ~= math.floor(leaseMs) then
    return { -3, 0, '' }
  end
end
local firstListed = lease and 8 or (carry and 5 or 4)
local listed = #ARGV - firstListed + 1
if listed > 0 then
  if listed ~= inDegree then
    return { -2, 0, '' }
  end
  local found = false
  for i = firstListed, #ARGV do
    if ARGV[i] == parent then
      found = true
      break
    end
  end
  if not found then
    return { -1, 0, '' }
  end
elseif tonumber(parent) >= inDegree then
  return { -1, 0, '' }
end

-- Key types are checked only for the keys this call reads or writes, and no call that is refused (-4) leaves
-- anything written: SADD, the first write, checks the fan-in set itself (redis.pcall); a key met after it
-- that holds another type (the carried-inputs hash, the holder, the trigger, the lease) undoes the SADD.
-- Each redis.call costs a few microseconds, most of the script's time, so a waiting arrival makes as few as
-- it can: no TYPE call where a pcall'd write checks the type itself, and the fan-in set's TTL is set once,
-- by the call whose SADD created it (the TTL outlasts the job, so refreshing it on every arrival adds
-- nothing).
local added = redis.pcall('SADD', KEYS[1], parent)
if type(added) == 'table' then
  return { -4, 0, '' }
end
local function refuse()
  if added == 1 then
    redis.call('SREM', KEYS[1], parent)
  end
  return { -4, 0, '' }
end
local arrived = redis.call('SCARD', KEYS[1])
if added == 1 and arrived == 1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
local wake = 0
if arrived < inDegree then
  if #KEYS >= 3 and arrived == inDegree - 1 then
    local holder = redis.pcall('GET', KEYS[3])
    if type(holder) == 'table' then
      return refuse()
    end
    if holder and redis.call('SISMEMBER', KEYS[1], holder) == 0 then
      wake = 1
    end
  end
else
  -- The trigger holder reads the inputs hash (HGETALL) even when it carries nothing itself.
  local checked = { 2 }
  if lease then
    checked = { 2, 5 }
  end
  if carry and ARGV[4] == '' then
    checked[#checked + 1] = 4
  end
  for _, i in ipairs(checked) do
    local keyType = redis.call('TYPE', KEYS[i])['ok']
    local expected = (i == 4) and 'hash' or 'string'
    if keyType ~= 'none' and keyType ~= expected then
      return refuse()
    end
  end
end

if carry and ARGV[4] ~= '' then
  if type(redis.pcall('HSET', KEYS[4], parent, ARGV[4])) == 'table' then
    return refuse()
  end
  redis.call('PEXPIRE', KEYS[4], ttl)
end
if arrived < inDegree then
  return { 0, arrived, '', wake }
end

redis.call('SET', KEYS[2], parent, 'NX', 'PX', ttl)
local holder = redis.call('GET', KEYS[2])
if holder == parent then
  if lease then
    local leaseCode
    local current = redis.call('GET', KEYS[5])
    if current == mark then
      leaseCode = 3
    elseif current and current ~= owner then
      leaseCode = 0
    else
      redis.call('SET', KEYS[5], owner, 'PX', leaseMs)
      leaseCode = (redis.call('EXISTS', KEYS[6]) == 1) and 2 or 1
    end
    return { 1, arrived, holder, 0, redis.call('HGETALL', KEYS[4]), leaseCode }
  end
  if carry then
    return { 1, arrived, holder, 0, redis.call('HGETALL', KEYS[4]) }
  end
  return { 1, arrived, holder, 0 }
end
return { 2, arrived, holder, 0 }
