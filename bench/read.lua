-- wrk script: GET one path with a credential per request (bench/lesson_read.py drives it).
--
--   wrk -t2 -c32 -d20s -s bench/read.lua URL -- PATH HEADER CREDENTIALS
--
-- HEADER is "Authorization" or "Cookie"; CREDENTIALS a file with one header value per line
-- ("Bearer ..." or "lms_session=..."), handed out round-robin per request (wrk's Lua has no
-- per-connection state).

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local path, header, values
local counter = 0
ok, non2xx, statuses = 0, 0, ""

function init(args)
  path, header, values = args[1], args[2], {}
  for line in io.lines(args[3]) do
    if #line > 0 then table.insert(values, line) end
  end
end

function request()
  counter = counter + 1
  return wrk.format("GET", path, {[header] = values[((counter + tid * 7) % #values) + 1]})
end

local seen = {}
function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    non2xx = non2xx + 1
    if not seen[status] then
      seen[status] = true
      statuses = statuses .. status .. " "
    end
  end
end

function done(summary, latency, requests)
  local good, bad, notes = 0, 0, ""
  for _, thread in ipairs(threads) do
    good = good + thread:get("ok")
    bad = bad + thread:get("non2xx")
    notes = notes .. thread:get("statuses")
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  print(string.format(
    "BENCH requests=%d seconds=%.2f rps=%.1f ok=%d non2xx=%d bytes_per_req=%.0f " ..
    "p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_ms=%.2f " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d",
    summary.requests, seconds, summary.requests / seconds, good, bad,
    summary.bytes / math.max(summary.requests, 1),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.connect, e.read, e.write, e.timeout))
  if #notes > 0 then print("BENCH_NON2XX statuses " .. notes) end
end
