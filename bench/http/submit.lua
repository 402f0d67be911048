-- bench/http/submit.lua — POST /v1/hashes with $BENCH_BATCH fresh random
-- hashes per request (JSON), so every hash is new to the notary and the
-- store's index sees random keys, as with real credential hashes.
-- $BENCH_TOKEN is the issuer token.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local bit = require("bit")
local n = tonumber(os.getenv("BENCH_BATCH") or "1")
local s1, s2

-- xorshift32 on two words, seeded per thread: cheap, distinct streams.
local function next32(x)
   x = bit.bxor(x, bit.lshift(x, 13))
   x = bit.bxor(x, bit.rshift(x, 17))
   return bit.bxor(x, bit.lshift(x, 5))
end

function init(args)
   local seed = os.time() + tonumber(tostring({}):sub(8), 16)
   s1 = bit.tobit(seed % 2147483647 + 1)
   s2 = bit.tobit((seed * 7919) % 2147483647 + 3)
   wrk.method = "POST"
   wrk.path = "/v1/hashes"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

local parts = {}
function request()
   for i = 1, n do
      local w = {}
      for k = 1, 8 do
         if k % 2 == 1 then s1 = next32(s1); w[k] = bit.tohex(s1, 8)
         else s2 = next32(s2); w[k] = bit.tohex(s2, 8) end
      end
      parts[i] = '"' .. table.concat(w) .. '"'
   end
   for i = n + 1, #parts do parts[i] = nil end
   return wrk.format(nil, nil, nil, '{"hashes":[' .. table.concat(parts, ",") .. ']}')
end

done = common.done
