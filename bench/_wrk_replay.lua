-- wrk script: replay pre-signed requests, each exactly once, then stop (bench/_wrk_load.py writes them).
--
--   wrk -t1 -c32 -d600s -s bench/_wrk_replay.lua URL -- REQUESTS_FILE RESULT_FILE
--
-- REQUESTS_FILE is a Lua chunk returning {{method, path, {headers}, body}, ...}. Each connection takes
-- the next request as soon as its previous answer is in, so the server sees real bursts (as many
-- requests in flight as connections) from a client that costs it next to nothing. Once every request
-- is out, connections send nothing more (delay() parks them); once every answer is in, the thread
-- writes RESULT_FILE (first send and last answer on CLOCK_MONOTONIC, answers by status, a few bodies
-- of non-200 answers) and stops. Run with one thread (-t1): the counters live in its Lua state.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } wrk_replay_timespec;
int clock_gettime(int clock_id, wrk_replay_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("wrk_replay_timespec")

local function monotonic()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) / 1e9
end

local prepared, result_path = {}, nil
local sent, answered, first_sent, statuses, samples = 0, 0, nil, {}, {}
-- wrk calls request() once on thread 0's state right after init() to count the requests a call
-- returns (its pipelining check); that string is never sent, so that call takes nothing off the list.
local verified = false

function init(args)
  local requests = dofile(args[1])
  result_path = args[2]
  for i, r in ipairs(requests) do
    prepared[i] = wrk.format(r[1], r[2], r[3], r[4])
  end
end

function delay()
  if sent >= #prepared then
    return 3600000 -- nothing left to send: this connection waits until the thread stops
  end
  return 0
end

function request()
  if not verified then
    verified = true
    return prepared[1]
  end
  sent = sent + 1
  if sent == 1 then
    first_sent = monotonic()
  end
  return prepared[math.min(sent, #prepared)]
end

function response(status, headers, body)
  answered = answered + 1
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 200 and #samples < 5 then
    samples[#samples + 1] = status .. " " .. string.sub(body or "", 1, 200):gsub("\n", " ")
  end
  if answered == #prepared then
    local out = assert(io.open(result_path .. ".part", "w"))
    out:write(string.format("first_sent %.6f\nlast_answer %.6f\nsent %d\n", first_sent, monotonic(), sent))
    for code, count in pairs(statuses) do
      out:write(string.format("status %d %d\n", code, count))
    end
    for _, line in ipairs(samples) do
      out:write("error " .. line .. "\n")
    end
    out:close()
    assert(os.rename(result_path .. ".part", result_path)) -- the reader sees it whole or not at all
    wrk.thread:stop()
  end
end
