-- Benchmark: the Lua binding, ms.screen(table) per record over a seeded
-- synthetic cohort (bench-cohort --format lua, cohort.h). Goal: median
-- <= 10 us per record.
--
--   lua5.4 bench_lua.lua PATH-TO-bench-cohort
--
-- with LUA_PATH_5_4 / LUA_CPATH_5_4 as `meson devenv` sets them (meson's
-- benchmark() does). The timer is os.clock (CPU time of this process, which
-- is single-threaded, so it is the time screening took). Exit status 0
-- whatever the figure (a MISS line says the goal is not met); an error
-- raises, and so does a result that differs from ms.screen_json's for the
-- same record as JSON (checked after the timing, for every record).
-- Environment: BENCH_REPS (default 9), BENCH_SEED, BENCH_SMOKE (a smoke run,
-- as the test suite's bench-smoke-lua makes one: tiny cohorts and few
-- repetitions, to show that the benchmark runs and prints every figure; its
-- figures mean nothing, and the log says so).
local ms = require "mesoscreen"

local gen = assert(arg[1], "usage: lua5.4 bench_lua.lua PATH-TO-bench-cohort")
local smoke = (os.getenv("BENCH_SMOKE") or "") ~= "" and os.getenv("BENCH_SMOKE") ~= "0"
-- `full`, or `small` in a smoke run: a size or a count of the benchmark
local function size(full, small)
	return smoke and small or full
end
local reps = tonumber(os.getenv("BENCH_REPS") or "") or size(9, 1)
local seed = os.getenv("BENCH_SEED") or "20261121"
local N = size(5000, 200)

local function read_cmd(cmd)
	local p = assert(io.popen(cmd))
	local s = p:read("a")
	p:close()
	return s
end

local function machine(what)
	local model = "unknown"
	local f = io.open("/proc/cpuinfo")
	if f then
		for line in f:lines() do
			local m = line:match("^model name%s*:%s*(.-)%s*$")
			if m then
				model = m
				break
			end
		end
		f:close()
	end
	local uname = read_cmd("uname -m 2>/dev/null"):gsub("%s+$", "")
	local nproc = read_cmd("nproc 2>/dev/null"):gsub("%s+$", "")
	print(("# machine: %s | %s | nproc %s | build %s | %s | %s"):format(uname, model, nproc,
		os.getenv("BENCH_BUILDTYPE") or "unknown", what, _VERSION))
	if smoke then -- the line bench.h's BENCH_SMOKE_LINE is
		print("# smoke run (BENCH_SMOKE): tiny cohorts, few repetitions; the figures mean nothing")
	end
end

local function median(v)
	table.sort(v)
	local n = #v
	if n % 2 == 1 then
		return v[(n + 1) // 2]
	end
	return (v[n // 2] + v[n // 2 + 1]) / 2
end

machine(("Lua binding ms.screen(table) (mesoscreen %s), timer os.clock"):format(ms.version))

-- the cohort, as Lua tables; `null` is ms.null (JSON null)
local records = {}
local env = { null = ms.null }
local p = assert(io.popen(("%q --seed %s --format lua %d"):format(gen, seed, N)))
for line in p:lines() do
	records[#records + 1] = assert(load("return " .. line, "=cohort", "t", env))()
end
assert(p:close())
assert(#records == N, "bench-cohort gave " .. #records .. " records")

-- warm-up, and the verdict mix
local mix = {}
for i = 1, N do
	local r = ms.screen(records[i])
	mix[r.verdict] = (mix[r.verdict] or 0) + 1
end
local parts = {}
for _, v in ipairs { "clear", "caution", "incomplete", "defer", "contraindicated" } do
	parts[#parts + 1] = ("%s %.0f%%"):format(v, 100 * (mix[v] or 0) / N)
end
print(("# cohort: %d records: %s"):format(N, table.concat(parts, ", ")))

local screen = ms.screen
local us = {}
for r = 1, reps do
	collectgarbage("collect")
	local t0 = os.clock()
	for i = 1, N do
		screen(records[i])
	end
	us[r] = (os.clock() - t0) * 1e6 / N
end
local lo = math.huge
for _, v in ipairs(us) do
	lo = math.min(lo, v)
end
local med = median(us)

-- Then, untimed, every result checked field for field against the C
-- library's JSON reader on the same cohort as JSON (bench-cohort --format
-- nested, same seed): a fast path that cut a corner fails here, before a
-- figure is printed. (After the timing, so that the timed runs see the
-- heap as before.)
local function same(a, b)
	if type(a) ~= "table" or type(b) ~= "table" then
		return a == b
	end
	for k, v in pairs(a) do
		if not same(v, b[k]) then
			return false
		end
	end
	for k in pairs(b) do
		if a[k] == nil then
			return false
		end
	end
	return true
end
local checked = 0
p = assert(io.popen(("%q --seed %s --format nested %d"):format(gen, seed, N)))
for line in p:lines() do
	checked = checked + 1
	assert(same(ms.screen(records[checked]), ms.screen_json(line)),
		("record %d: ms.screen(table) and ms.screen_json disagree: %s"):format(checked, line))
end
assert(p:close())
assert(checked == N, "bench-cohort gave " .. checked .. " JSON records")
print(("# checked: the %d results equal ms.screen_json's of the same records as JSON"):format(N))
-- N with a thousands separator, as the other benchmarks print their sizes
local count = tostring(N):reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "")
print(("[%s] Lua ms.screen(table) per record (%s seeded records): median %.4g us/record (min %.4g, N=%d); goal <= 10 us/record")
	:format(med <= 10 and "PASS" or "MISS", count, med, lo, reps))
