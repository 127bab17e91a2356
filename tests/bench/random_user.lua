-- wrk: GET /recommend/<uniformly random user id in 1..MAX_USER>
local max_user = tonumber(os.getenv("MAX_USER") or "3000")
math.randomseed(os.time())
request = function()
	return wrk.format("GET", "/recommend/" .. math.random(1, max_user))
end
