-- bench/http/submit.lua — POST /v1/hashes with $BENCH_BATCH hashes per
-- request (JSON). Every hash is new to the notary, so each one is stored
-- (a resubmitted hash would take the cheap "already stored" path).
--
-- Hash i of request k is A(i) .. W(k) .. B(i): W(k) is 4 bytes drawn per
-- request from a full-period xorshift32 stream (no value repeats within a
-- thread's 2^32-1 requests); A(i) (4 bytes) and B(i) (24 bytes) are random,
-- fixed per slot and thread at start. So no two hashes of a run are equal,
-- and the hashes of one request are spread over the whole key space by
-- their random leading bytes (a shared prefix would put a request's hashes
-- side by side in a B-tree and flatter any index). The body is built by
-- one table.concat per request (W is the separator): generating 8 random
-- words per hash in Lua cost ~4.6 us of client CPU per hash, more than the
-- server spends, on the same two cores. $BENCH_TOKEN is the issuer token.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local bit = require("bit")
local n = tonumber(os.getenv("BENCH_BATCH") or "1")
local w
local parts = {} -- A(1), B(1) '","' A(2), ..., B(n): joined with W(k)

local function next32(x)
   x = bit.bxor(x, bit.lshift(x, 13))
   x = bit.bxor(x, bit.rshift(x, 17))
   return bit.bxor(x, bit.lshift(x, 5))
end

function init(args)
   -- Seeds differ per thread (the address of a fresh table) and per run.
   local seed = bit.tobit(os.time() * 2654435761 + tonumber(tostring({}):sub(8), 16))
   w = seed ~= 0 and seed or 1
   local r = bit.bxor(w, 0x5bd1e995)
   if r == 0 then r = 7 end
   local function words(k)
      local t = {}
      for j = 1, k do r = next32(r); t[j] = bit.tohex(r, 8) end
      return table.concat(t)
   end
   parts[1] = words(1)
   for i = 1, n - 1 do parts[i + 1] = words(6) .. '","' .. words(1) end
   parts[n + 1] = words(6)
   wrk.method = "POST"
   wrk.path = "/v1/hashes"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

function request()
   w = next32(w)
   local body = '{"hashes":["' .. table.concat(parts, bit.tohex(w, 8)) .. '"]}'
   return wrk.format(nil, nil, nil, body)
end

done = common.done
