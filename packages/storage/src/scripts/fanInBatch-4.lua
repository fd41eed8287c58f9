-- fanInBatch: several parents' fan-in calls for one child in one script, with the outcome each would have
-- had as its own fanIn-2.lua call, made one after another in the order given (read fanIn-2.lua for the
-- protocol). A host sends it when several executors there fan in to the same child in one turn of its
-- event loop (Figure 13's graph: dozens of the 100 parents of one `add` finish together): each
-- redis.call costs a few microseconds, and here the set, the carried inputs and the TTLs take one call
-- each for the whole batch instead of one each per parent.
--
-- KEYS[1]     fan-in set of the child          wk:{<job>:<child>}:in
-- KEYS[2]     trigger of the child             wk:{<job>:<child>}:trigger
-- KEYS[3]     holder of the child              wk:{<job>:<child>}:hold
-- KEYS[4]     the child's carried inputs       wk:{<job>:<child>}:inputs
-- KEYS[5]     optional (with KEYS[6]): the child's lease    wk:{<job>:<child>}:run
-- KEYS[6]     optional (with KEYS[5]): the child's output   wk:{<job>:<child>}:out
-- ARGV[1]     the child's in-degree                integer >= 1
-- ARGV[2]     TTL of the keys, milliseconds        integer >= 1
-- ARGV[3]     with KEYS[5]: lease duration, ms     integer >= 1 ('' without)
-- ARGV[4]     with KEYS[5]: the done mark          non-empty string ('' without)
-- ARGV[5..]   one triple per call: parent index (a position < in-degree), the output it carries or '',
--             its owner token for the child's lease ('' without KEYS[5]; never the done mark)
--
-- Returns { 1, reply1, reply2, ... }: reply i is what fanIn-2.lua returns for call i, including its own
-- rejections (-1 invalid parent, -3 bad parent or owner). The whole batch is refused with { -2 } (bad
-- in-degree), { -3 } (bad TTL, lease arguments, key count or triples) or { -4 } (a key of another type
-- than fanIn expects, checked for every key before anything is written, where fanIn checks only those a
-- call reads or writes).
--
-- One difference from separate calls, with no effect on an outcome: the carried inputs of the whole batch
-- are written before the trigger holder reads them, so a later call of the batch that carries an output
-- for a parent already in the set (a duplicate) has it in the holder's reply; being that parent's output,
-- it is the same value.

local inDegree = tonumber(ARGV[1])
if inDegree == nil or inDegree < 1 or inDegree ~= math.floor(inDegree) then
  return { -2 }
end
local ttl = tonumber(ARGV[2])
if ttl == nil or ttl < 1 or ttl ~= math.floor(ttl) then
  return { -3 }
end
if #KEYS ~= 4 and #KEYS ~= 6 then
  return { -3 }
end
local lease = #KEYS == 6
local leaseMs, mark
if lease then
  leaseMs = tonumber(ARGV[3])
  mark = ARGV[4]
  if mark == '' or leaseMs == nil or leaseMs < 1 or leaseMs ~= math.floor(leaseMs) then
    return { -3 }
  end
end
local n = (#ARGV - 4) / 3
if n < 1 or n ~= math.floor(n) then
  return { -3 }
end

local expected = { 'set', 'string', 'string', 'hash', 'string' }
for k = 1, lease and 5 or 4 do
  local keyType = redis.call('TYPE', KEYS[k])['ok']
  if keyType ~= 'none' and keyType ~= expected[k] then
    return { -4 }
  end
end

local function parentOf(i)
  return ARGV[2 + 3 * i]
end

-- Calls with valid arguments, in order; the others get their own rejection.
local results = {}
local valid = {}
local names = {}
for i = 1, n do
  local p = parentOf(i)
  -- In fanIn's order of checks: the parent's form, the owner, then the parent's range.
  if not (p == '0' or string.match(p, '^[1-9]%d*$')) then
    results[i] = { -3, 0, '' }
  elseif lease and (ARGV[4 + 3 * i] == '' or ARGV[4 + 3 * i] == mark) then
    results[i] = { -3, 0, '' }
  elseif tonumber(p) >= inDegree then
    results[i] = { -1, 0, '' }
  else
    valid[#valid + 1] = i
    names[#names + 1] = p
  end
end

local member = {}
local arrived = 0
if #valid > 0 then
  local was = redis.call('SMISMEMBER', KEYS[1], unpack(names))
  for j, p in ipairs(names) do
    if was[j] == 1 then
      member[p] = true
    end
  end
  arrived = redis.call('SCARD', KEYS[1])
end
local created = arrived == 0

-- Each call in turn: its arrival, and its reply while the set is incomplete.
local added = {}
local carried = {}
local holdRead, holdValue = false, nil
local completeAt = {}
for _, i in ipairs(valid) do
  local p = parentOf(i)
  if not member[p] then
    member[p] = true
    arrived = arrived + 1
    added[#added + 1] = p
  end
  local carry = ARGV[3 + 3 * i]
  if carry ~= '' then
    carried[#carried + 1] = p
    carried[#carried + 1] = carry
  end
  if arrived < inDegree then
    local wake = 0
    if arrived == inDegree - 1 then
      if not holdRead then
        holdValue = redis.call('GET', KEYS[3])
        holdRead = true
      end
      if holdValue and not member[holdValue] then
        wake = 1
      end
    end
    results[i] = { 0, arrived, '', wake }
  else
    completeAt[i] = arrived
  end
end

if #added > 0 then
  redis.call('SADD', KEYS[1], unpack(added))
  if created then
    redis.call('PEXPIRE', KEYS[1], ttl)
  end
end
if #carried > 0 then
  redis.call('HSET', KEYS[4], unpack(carried))
  redis.call('PEXPIRE', KEYS[4], ttl)
end

-- The calls that found the set complete: the first claims the trigger (as fanIn's SET NX would).
local holder, inputs
for _, i in ipairs(valid) do
  local at = completeAt[i]
  if at then
    local p = parentOf(i)
    if holder == nil then
      redis.call('SET', KEYS[2], p, 'NX', 'PX', ttl)
      holder = redis.call('GET', KEYS[2])
    end
    if holder == p then
      inputs = inputs or redis.call('HGETALL', KEYS[4])
      if lease then
        local owner = ARGV[4 + 3 * i]
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
        results[i] = { 1, at, holder, 0, inputs, leaseCode }
      else
        results[i] = { 1, at, holder, 0, inputs }
      end
    else
      results[i] = { 2, at, holder, 0 }
    end
  end
end

local out = { 1 }
for i = 1, n do
  out[i + 1] = results[i]
end
return out
