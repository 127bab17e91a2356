-- wrk: GET /recommend/<a uniformly random user>: OFFSET + STRIDE * k for k
-- in 0..MAX_USER-1 (defaults 1, 1: the ids 1..MAX_USER).
local max_user = tonumber(os.getenv("MAX_USER") or "3000")
local stride = tonumber(os.getenv("STRIDE") or "1")
local offset = tonumber(os.getenv("OFFSET") or "1")
math.randomseed(os.time())
request = function()
	return wrk.format("GET", "/recommend/" ..
	    (offset + stride * math.random(0, max_user - 1)))
end
