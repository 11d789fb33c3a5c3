-- wrk script of bench/run.sh: GET /v1/lookup?id=..&federate=false of identifiers drawn at random
-- from a working set. The caller's generated header sets, then runs this file with dofile:
--   TOKEN  a client bearer token        WS  a file of raw identifiers, one a line
local paths = {}
local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end
for line in io.lines(WS) do paths[#paths + 1] = "/v1/lookup?id=" .. encode(line) .. "&federate=false" end
wrk.headers["Authorization"] = "Bearer " .. TOKEN
math.randomseed(os.time())

request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
