-- bench/http/proofs.lua — GET /v1/proofs/{hash} for hashes picked at random
-- from the file named by $BENCH_HASHES (one hex hash per line, all of them
-- in anchored batches).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local hashes = {}

function init(args)
   for line in io.lines(os.getenv("BENCH_HASHES")) do
      if #line == 64 then hashes[#hashes + 1] = line end
   end
   math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
end

function request()
   return wrk.format("GET", "/v1/proofs/" .. hashes[math.random(#hashes)])
end

done = common.done
