-- The sliding window of one account, shared by every process that uses these keys.
--
-- KEYS[1] starts:  sorted set of request starts that happened (score: start time in µs).
-- KEYS[2] queue:   hash of waiting callers, ticket -> the slot last promised to its owner (µs).
-- KEYS[3] meta:    hash with `next` (the last ticket handed out) and `paused_until` (µs).
--
-- ARGV[1] op: "acquire", "start", "pause" or "answered"
-- ARGV[2] requests allowed in any window
-- ARGV[3] window length in µs
-- acquire: ARGV[4] budget in µs (-1: none), ARGV[5..] ages in µs of starts made without Redis
-- start:   ARGV[4] ticket, ARGV[5] budget in µs (-1: none)
-- pause:   ARGV[4] pause in µs
-- answered: ARGV[4] ticket of a start whose request got its answer: it counts from now on
--
-- Reply: { outcome, wait µs, ticket, now µs }; outcome 0 = started now, 1 = wait then call
-- "start" with the ticket, 2 = refused (the wait is beyond the budget, nothing was taken).
--
-- Every time is this server's TIME, never a caller's clock. The invariant: a start is recorded
-- only when it is at least one window after the requests-th latest request counted before it,
-- so no window [t, t + period) ever holds more than `requests` of them. A request counts at its
-- start, then at its answer once "answered" reports it: the server saw it somewhere between.

local starts_key, queue_key, meta_key = KEYS[1], KEYS[2], KEYS[3]
local op = ARGV[1]
local limit = tonumber(ARGV[2])
local period = tonumber(ARGV[3])

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

-- Scores and times are integers below 2^53; write them without an exponent.
local function int(x)
  return string.format('%.0f', x)
end

local paused_until = tonumber(redis.call('HGET', meta_key, 'paused_until') or '0')

if op == 'pause' then
  local until_ = now + tonumber(ARGV[4])
  if until_ > paused_until then
    paused_until = until_
    redis.call('HSET', meta_key, 'paused_until', int(paused_until))
  end
end

-- A start one window old can no longer hold anyone back.
redis.call('ZREMRANGEBYSCORE', starts_key, '-inf', int(now - period))

-- Tickets start from the clock when the keys are new, so that a ticket handed out before the
-- keys expired is never handed out again.
local function new_ticket()
  local ticket = redis.call('HINCRBY', meta_key, 'next', 1)
  if ticket == 1 then
    ticket = now
    redis.call('HSET', meta_key, 'next', int(ticket))
  end
  return ticket
end

-- Starts made while Redis was out of reach, reported by the process that made them.
if op == 'acquire' then
  for i = 5, #ARGV do
    local at = now - tonumber(ARGV[i])
    if at > now - period then
      redis.call('ZADD', starts_key, int(at), 'offline:' .. int(new_ticket()))
    end
  end
end

-- The waiting callers, first come first served. An owner a whole window late for its promised
-- slot has gone (its call was cancelled or its process stalled): its place is given up.
local waiting = {}
local latest_promise = now
local raw = redis.call('HGETALL', queue_key)
for i = 1, #raw, 2 do
  local ticket, promised = tonumber(raw[i]), tonumber(raw[i + 1])
  if promised + period <= now then
    redis.call('HDEL', queue_key, raw[i])
  else
    waiting[#waiting + 1] = { ticket = ticket, promised = promised }
    if promised > latest_promise then latest_promise = promised end
  end
end
table.sort(waiting, function(a, b) return a.ticket < b.ticket end)

-- The last `limit` starts, oldest first (older ones cannot hold anyone back); the schedule
-- appends the waiting callers' slots.
local times = {}
local recorded = redis.call('ZRANGE', starts_key, -limit, -1, 'WITHSCORES')
for i = 2, #recorded, 2 do
  times[#times + 1] = tonumber(recorded[i])
end

-- The earliest start the window allows after everything in `times`.
local function next_slot()
  local slot = now
  if paused_until > slot then slot = paused_until end
  local count = #times
  if count > 0 and times[count] > slot then slot = times[count] end
  if count >= limit then
    local held_back_until = times[count - limit + 1] + period
    if held_back_until > slot then slot = held_back_until end
  end
  return slot
end

-- Gives each waiting caller before `ticket` (all of them when nil) its slot, in order. An owner
-- never comes back before the slot it was promised, so its slot is never earlier than that.
local function schedule_before(ticket)
  for _, entry in ipairs(waiting) do
    if ticket and entry.ticket >= ticket then return end
    local slot = next_slot()
    if entry.promised > slot then slot = entry.promised end
    times[#times + 1] = slot
  end
end

-- Keys live one window past the last slot they describe, then disappear.
local function keep_keys(last_slot)
  local horizon = math.max(latest_promise, paused_until, last_slot)
  local ttl_ms = math.ceil((horizon - now + period) / 1000) + 1000
  redis.call('PEXPIRE', starts_key, ttl_ms)
  redis.call('PEXPIRE', queue_key, ttl_ms)
  redis.call('PEXPIRE', meta_key, ttl_ms)
end

-- Decides for a caller whose place in the queue is `ticket` (nil for a newcomer).
local function decide(ticket, budget)
  schedule_before(ticket)
  local slot = next_slot()
  local wait = slot - now
  if wait <= 0 then
    if ticket then redis.call('HDEL', queue_key, int(ticket)) else ticket = new_ticket() end
    redis.call('ZADD', starts_key, int(now), int(ticket))
    keep_keys(now)
    return { 0, 0, ticket, now }
  end
  if budget >= 0 and wait > budget then
    if ticket then redis.call('HDEL', queue_key, int(ticket)) end
    keep_keys(now)
    return { 2, wait, ticket or 0, now }
  end
  ticket = ticket or new_ticket()
  redis.call('HSET', queue_key, int(ticket), int(slot))
  keep_keys(slot)
  return { 1, wait, ticket, now }
end

if op == 'pause' then
  keep_keys(now)
  return { 0, 0, 0, now }
elseif op == 'answered' then
  -- Only a start still in the window moves, and only later.
  local member = int(tonumber(ARGV[4]))
  local counted = redis.call('ZSCORE', starts_key, member)
  if counted and tonumber(counted) < now then
    redis.call('ZADD', starts_key, int(now), member)
    keep_keys(now)
  end
  return { 0, 0, 0, now }
elseif op == 'acquire' then
  return decide(nil, tonumber(ARGV[4]))
elseif op == 'start' then
  local ticket = tonumber(ARGV[4])
  for _, entry in ipairs(waiting) do
    if entry.ticket == ticket then return decide(ticket, tonumber(ARGV[5])) end
  end
  -- Its place was given up or the keys expired: it queues again, as a newcomer.
  return decide(nil, tonumber(ARGV[5]))
end
return redis.error_reply('unknown operation ' .. tostring(op))
