-- wrk script: officers submitting quiz attempts over the API (bench/attempts.py drives it).
--
--   wrk -t2 -c32 -d20s -s bench/attempt.lua URL -- TOKENS LESSON_ID ANSWERS PREFIX MODE IDS_OUT
--
-- TOKENS: file, one bearer token per line.  ANSWERS: file, one JSON answers object per line
-- (requests cycle through them).  PREFIX: makes this run's idempotency keys unique.
-- MODE: "submit" (every request POSTs an attempt) or "fetch_submit" (GET the lesson, then
-- POST the attempt with the same token, alternately).  IDS_OUT: file for the attempt ids
-- returned with 2xx, one per line, so the caller can check them against the database.
--
-- wrk's Lua has no per-connection state: each thread hands its tokens out round-robin per
-- request (for fetch_submit, per GET+POST pair).  Idempotency keys are
-- PREFIX-t<thread>-<counter>: unique across threads and requests.

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function lines(path)
  local out = {}
  for line in io.lines(path) do
    if #line > 0 then table.insert(out, line) end
  end
  return out
end

local tokens, answers, lesson_path, prefix, mode
local counter = 0
ids_out = nil  -- a global: done() runs in the main Lua state, which init() never saw
-- per thread, read back by done()
ok_post, ok_get, non2xx, statuses, ids = 0, 0, 0, "", {}

function init(args)
  tokens = lines(args[1])
  lesson_path = "/api/v1/lessons/" .. args[2]
  answers = lines(args[3])
  prefix = args[4]
  mode = args[5] or "submit"
  ids_out = args[6]
end

local function post(token)
  local key = string.format("%s-t%d-%d", prefix, tid, counter)
  local answer = answers[(counter % #answers) + 1]
  local body = '{"idempotency_key":"' .. key .. '","answers":' .. answer .. '}'
  return wrk.format("POST", lesson_path .. "/attempts",
                    {["Authorization"] = "Bearer " .. token,
                     ["Content-Type"] = "application/json"}, body)
end

function request()
  counter = counter + 1
  if mode == "fetch_submit" then
    local pair = math.floor((counter - 1) / 2)
    local token = tokens[((pair + tid * 7) % #tokens) + 1]
    if counter % 2 == 1 then
      return wrk.format("GET", lesson_path, {["Authorization"] = "Bearer " .. token})
    end
    return post(token)
  end
  return post(tokens[((counter + tid * 7) % #tokens) + 1])
end

local seen = {}
function response(status, headers, body)
  if status >= 200 and status < 300 then
    local id = string.match(body, '"attempt_id":%s*(%d+)')
    if id then
      ok_post = ok_post + 1
      table.insert(ids, id)
    else
      ok_get = ok_get + 1
    end
  else
    non2xx = non2xx + 1
    if not seen[status] then
      seen[status] = true
      statuses = statuses .. status .. ":" .. string.sub(body or "", 1, 160) .. " | "
    end
  end
end

function done(summary, latency, requests)
  local post_ok, get_ok, bad, notes = 0, 0, 0, ""
  local path = threads[1] and threads[1]:get("ids_out")
  local out = path and io.open(path, "w")
  for _, thread in ipairs(threads) do
    post_ok = post_ok + thread:get("ok_post")
    get_ok = get_ok + thread:get("ok_get")
    bad = bad + thread:get("non2xx")
    notes = notes .. thread:get("statuses")
    if out then
      for _, id in ipairs(thread:get("ids")) do out:write(id, "\n") end
    end
  end
  if out then out:close() end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  print(string.format(
    "BENCH requests=%d seconds=%.2f rps=%.1f ok_post=%d ok_get=%d non2xx=%d " ..
    "p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_ms=%.2f " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d",
    summary.requests, seconds, summary.requests / seconds, post_ok, get_ok, bad,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.connect, e.read, e.write, e.timeout))
  if #notes > 0 then print("BENCH_NON2XX " .. notes) end
end
