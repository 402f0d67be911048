-- bench/http/common.lua — shared by the wrk scripts of bench/http.sh: a
-- done() hook that prints one JSON line (requests, seconds, non-2xx,
-- latency percentiles in microseconds) for the shell script to read.
local M = {}

function M.done(summary, latency, requests)
   local s = summary.duration / 1e6
   io.write(string.format(
      '{"requests":%d,"seconds":%.3f,"rps":%.1f,"non2xx":%d,"socket_errors":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
      summary.requests, s, summary.requests / s, summary.errors.status,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end

return M
