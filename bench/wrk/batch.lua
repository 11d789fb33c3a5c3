-- wrk script of bench/run.sh: POST /v1/lookup, federate=false, BATCH identifiers a request. The
-- caller's generated header sets TOKEN (a client bearer token), IDS (a file of raw identifiers,
-- one a line) and BATCH, and MODE, then runs this file with dofile:
--   MODE "warm"  BODIES bodies made at start, each of BATCH identifiers drawn at random from IDS
--                (the working set); each request sends one of them, at random.
--   MODE "cold"  identifiers never asked before: wrk's THREADS threads walk the file in order,
--                thread t taking the slices t, t + THREADS, t + 2 THREADS, ... of BATCH lines,
--                so no identifier repeats while the file lasts (on a fresh server, every
--                assertion is signed afresh). Past the end it starts again and says so.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. TOKEN
wrk.headers["Content-Type"] = "application/json"

local function body(ids, first, last)
  local quoted = {}
  for i = first, last do quoted[#quoted + 1] = '"' .. ids[i] .. '"' end
  return '{"identifiers": [' .. table.concat(quoted, ",") .. '], "federate": false}'
end

local threads, counter = {}, 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  threads[#threads + 1] = thread
end

local ids, bodies, slice = {}, {}, 0
function init(args)
  for line in io.lines(IDS) do ids[#ids + 1] = line end
  math.randomseed(os.time() + id)
  if MODE == "warm" then
    local picked = {}
    for b = 1, BODIES do
      for i = 1, BATCH do picked[i] = ids[math.random(#ids)] end
      bodies[b] = body(picked, 1, BATCH)
    end
  end
  slice = id
  wrapped = false
end

request = function()
  if MODE == "warm" then return wrk.format(nil, "/v1/lookup", nil, bodies[math.random(#bodies)]) end
  local first = slice * BATCH + 1
  if first + BATCH - 1 > #ids then
    slice, first, wrapped = id, id * BATCH + 1, true
  end
  slice = slice + THREADS
  return wrk.format(nil, "/v1/lookup", nil, body(ids, first, first + BATCH - 1))
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    if t:get("wrapped") then print("bench: cold batches ran past the end of " .. IDS .. "; later ones repeated") end
  end
end
