-- taskBegin: the start of a task's execution (DESIGN.md §6.3): take its lease, and say whether its output
-- already exists so a retried or duplicated executor skips the compute and only redoes the fan-out.
--
-- The lease value is the owner token while the task runs and ARGV[3] (the done mark) once its fan-out is
-- complete; a done task is never leased again, so a late duplicate stops here. The current owner calling
-- again extends its lease (a re-sent call must not lock its own caller out).
--
-- KEYS[1]  the lease key                  wk:{<job>:<task>}:run
-- KEYS[2]  the task's output key          wk:{<job>:<task>}:out
-- ARGV[1]  owner token                    non-empty string, never equal to ARGV[3]
-- ARGV[2]  lease duration, milliseconds   integer >= 1
-- ARGV[3]  the done mark                  non-empty string
--
-- Returns { code, owner }:
--   1  leased; the output does not exist: compute it           (owner = caller)
--   2  leased; the output exists: skip the compute, fan out    (owner = caller)
--   0  held by another owner                                   (owner = that owner)
--   3  the task is done                                        (owner = the done mark)
--  -3  bad argument: empty owner or mark, owner equal to the mark, or invalid duration
--  -4  wrong type: the lease key holds another type than string

local owner = ARGV[1]
local ms = tonumber(ARGV[2])
local mark = ARGV[3]
if owner == '' or mark == nil or mark == '' or owner == mark or ms == nil or ms < 1 or ms ~= math.floor(ms) then
  return { -3, '' }
end
-- GET refuses a key of another type: checked through redis.pcall, before anything is written.
local current = redis.pcall('GET', KEYS[1])
if type(current) == 'table' then
  return { -4, '' }
end
if current == mark then
  return { 3, mark }
end
if current and current ~= owner then
  return { 0, current }
end
redis.call('SET', KEYS[1], owner, 'PX', ms)
if redis.call('EXISTS', KEYS[2]) == 1 then
  return { 2, owner }
end
return { 1, owner }
