-- The C paths of ms.screen (lua.i: msc_lua_screen fills the record from
-- the table with the library's setters and builds the result table in one
-- call): they must read a table exactly as the JSON edge reads the same
-- record as JSON, name the field of every error, empty the record on an
-- error, and turn hostile input into a clean error, never a crash.
local ms = require "mesoscreen"
local core = require "mesoscreen_core"
local S = require "spec.support"
local json = require "dkjson"

------------------------------------------------------------------------------
-- helpers

-- A copy without metatables (dkjson marks its tables), JSON null as ms.null.
local function plain(v)
	if v == json.null or v == ms.null then
		return ms.null
	elseif type(v) ~= "table" then
		return v
	end
	local t = {}
	for k, x in pairs(v) do
		t[k] = plain(x)
	end
	return t
end

-- JSON text for a Lua value as the record means it: ms.null is null, the
-- record and its sections are objects, any other table an array.
local function encode(v, object)
	if v == ms.null then
		return "null"
	elseif type(v) == "string" then
		return json.quotestring(v)
	elseif math.type(v) == "integer" then
		return ("%d"):format(v)
	elseif type(v) == "number" then
		return ("%.17g"):format(v)
	elseif type(v) == "boolean" then
		return tostring(v)
	elseif object then
		local keys, parts = {}, {}
		for k in pairs(v) do
			keys[#keys + 1] = k
		end
		table.sort(keys)
		for i, k in ipairs(keys) do
			parts[i] = json.quotestring(k) .. ":" .. encode(v[k], object == "record" and "section")
		end
		return "{" .. table.concat(parts, ",") .. "}"
	end
	local parts = {}
	for i, x in ipairs(v) do
		parts[i] = encode(x)
	end
	return "[" .. table.concat(parts, ",") .. "]"
end

local function encode_record(record)
	return encode(record, "record")
end

-- Both paths on one record: results equal, or the same code and a message
-- naming the same field. Returns the result (or nil, message, code).
local function both(rs, record)
	local r1, m1, c1 = rs:try_screen(record)
	local r2, m2, c2 = rs:try_screen_json(encode_record(record))
	assert.same(r2, r1, "the JSON path gives another result for " .. encode_record(record))
	assert.equal(c2, c1, ("table: %s / JSON: %s"):format(tostring(m1), tostring(m2)))
	if c1 then
		local field1, field2 = m1:match "^([^:]*):", m2:match "^([^:]*):"
		assert.equal(field2, field1, ("table: %s / JSON: %s"):format(m1, m2))
	end
	return r1, m1, c1
end

-- The record is empty: screening it as it stands finds nothing and asks everything.
local function assert_emptied(rs)
	core.msc_screen(rs._result, rs._rules, rs._record)
	local empty = ms.screen {}
	assert.equal(0, core.msc_result_finding_count(rs._result))
	assert.equal(#empty.missing, core.msc_result_missing_count(rs._result))
end

local function starts(prefix, s)
	return s:sub(1, #prefix) == prefix
end

local rule_sets = {}
local function rules_for(name)
	if name == nil or name == json.null then
		return ms.builtin
	end
	rule_sets[name] = rule_sets[name] or ms.load_rules(S.root .. "/" .. name)
	return rule_sets[name]
end

------------------------------------------------------------------------------

describe("the table fill", function()
	it("equals the JSON path on every vector, in every field", function()
		local files = S.vector_files()
		assert.is_true(#files > 0)
		local seen = 0
		for _, file in ipairs(files) do
			local vector = S.decode(S.read(file))
			if type(vector.record) == "table" then
				local rs = rules_for(vector.rules)
				local record = plain(vector.record)
				-- the C library reads the vector's own JSON text
				local result, message, code = rs:try_screen(record)
				local r2, m2, c2 = rs:try_screen_json(json.encode(vector.record))
				assert.same(r2, result, file)
				assert.equal(c2, code, file)
				if code then
					assert.equal(m2:match "^([^:]*):", message:match "^([^:]*):", file)
				end
				if vector.error then
					assert.is_nil(result, file)
					assert.equal(vector.error.code, code, file)
					if vector.error.field ~= json.null then
						assert.truthy(starts(vector.error.field, message), file .. ": " .. message)
					end
				else
					assert.equal(vector.expect.verdict, result.verdict, file)
				end
				seen = seen + 1
			end
		end
		assert.is_true(seen > 60)
	end)

	it("dispatches every kind of value to the setter the JSON edge uses", function()
		-- every fact of the built-in set and of a clinic set, with every kind of value
		local values = {
			true, false, "yes", "no", "unknown", "maybe", "never", "3", "", 3, 0, -1, 2.5, 1e300,
			math.maxinteger, {}, { "aspirin" }, { "Z39.1" }, { "lidocaine", "biotin" }, { 1 }, ms.null,
			"face", "scalp", "needle", "Face", { {} },
		}
		for _, rs in ipairs { ms.builtin, rules_for "examples/rules/clinic.rules" } do
			for _, f in ipairs(rs:rules().facts) do
				local section, key = f.fact:match "^([^.]+)%.(.+)$"
				for _, v in ipairs(values) do
					local r, m, code = both(rs, { [section] = { [key] = v } })
					if code then
						assert.truthy(starts(f.fact, m), m)
					else
						assert.is_table(r)
					end
				end
			end
		end
	end)

	it("does not depend on the order of the table's keys", function()
		-- a code in one list sets a yes/no fact that another key leaves
		-- unknown: the code wins whichever key the table gives first
		local expected = ms.screen_json '{"patient": {"insulin_dependent_diabetes": null, "medications": ["Lantus"]}}'
		assert.equal("CI.IDDM", expected.findings[1].rule)
		for _, order in ipairs { { "insulin_dependent_diabetes", "medications" }, { "medications", "insulin_dependent_diabetes" } } do
			for size = 0, 40, 8 do
				-- tables of other sizes and insertion orders traverse in other orders
				local patient = {}
				for i = 1, size do
					patient["x" .. i] = true
				end
				for i = 1, size do
					patient["x" .. i] = nil
				end
				local values = { insulin_dependent_diabetes = ms.null, medications = { "Lantus" } }
				for _, k in ipairs(order) do
					patient[k] = values[k]
				end
				assert.same(expected, ms.screen { patient = patient })
			end
		end
		-- (the JSON reader gives this only with null before the list: after
		-- it, msc_record_unset() forgets the code; reported to the core)
		local coded = ms.screen_json '{"patient": {"insulin_dependent_diabetes": null, "conditions": ["E10.9"]}}'
		assert.equal("contraindicated", coded.verdict)
		assert.same(coded, ms.screen { patient = { insulin_dependent_diabetes = ms.null, conditions = { "E10.9" } } })
		assert.same(coded, ms.screen { patient = { conditions = { "E10.9" }, insulin_dependent_diabetes = ms.null } })

		-- every vector's record, its keys inserted in shuffled orders
		math.randomseed(20261121)
		for _, file in ipairs(S.vector_files()) do
			local vector = S.decode(S.read(file))
			if type(vector.record) == "table" and not vector.error then
				local rs = rules_for(vector.rules)
				local record = plain(vector.record)
				local first = rs:screen(record)
				for _ = 1, 4 do
					local copy = {}
					for section, fields in pairs(record) do
						if type(fields) == "table" and fields ~= ms.null then
							local keys = {}
							for k in pairs(fields) do
								keys[#keys + 1] = k
							end
							for i = #keys, 2, -1 do
								local j = math.random(i)
								keys[i], keys[j] = keys[j], keys[i]
							end
							copy[section] = {}
							for _, k in ipairs(keys) do
								copy[section][k] = fields[k]
							end
						else
							copy[section] = fields
						end
					end
					assert.same(first, rs:screen(copy), file)
				end
			end
		end
	end)

	it("reads sections as JSON does: ms.null is absent, {} is present", function()
		for _, record in ipairs {
			{}, { patient = ms.null }, { plan = ms.null }, { patient = {}, plan = {} },
			{ patient = ms.null, plan = { area = "face" } },
			{ plan = { numbing_cream = ms.null, technique = ms.null, depth_mm = ms.null } },
			{ patient = { medications = {}, allergies = {}, conditions = {} }, plan = { ingredients = {} } },
		} do
			assert.is_table((both(ms.builtin, record)))
		end
	end)

	it("gives the result shape of the command-line tool for clinic overrides too", function()
		local clinic = S.root .. "/examples/rules/clinic.rules"
		local rs = rules_for "examples/rules/clinic.rules"
		local record = { patient = { age = 30 }, plan = { area = "face", depth_mm = 6 } }
		local path = os.tmpname()
		S.write(path, encode_record(record))
		local expected = S.cli_json("--rules", clinic, "screen", path)
		os.remove(path)
		assert.same(expected, rs:screen(record))
		assert.is_table(rs:screen(record).overrides)
		assert.is_table(rs:screen(record).ruleset.files)
		assert.is_nil(ms.screen(record.plan and { plan = record.plan }).overrides)
	end)

	it("builds a new result table every time", function()
		local record = { patient = { pregnant = true, medications = { "aspirin" } }, plan = { area = "face" } }
		local r1 = ms.screen(record)
		local saved = S.decode(json.encode(r1))
		r1.findings[1].rule = "changed"
		r1.instructions.before[1].text = "changed"
		r1.ruleset.name = "changed"
		table.insert(r1.findings[1].because, "changed")
		local r2 = ms.screen(record)
		assert.same(saved.findings, r2.findings)
		assert.same(saved.instructions, r2.instructions)
		assert.equal("builtin", r2.ruleset.name)
	end)
end)

describe("errors of the table fill", function()
	local cases = {
		-- record, field the message starts with, code
		{ nil, "record", "MSC_EFIELD" },
		{ 42, "record", "MSC_EFIELD" },
		{ ms.null, "record", "MSC_EFIELD" },
		{ { [1] = {} }, "record", "MSC_EFIELD" },
		{ { [print] = {} }, "record", "MSC_EFIELD" },
		{ { patients = {} }, "patients", "MSC_EFIELD" },
		{ { patient = 1 }, "patient", "MSC_EFIELD" },
		{ { plan = "face" }, "plan", "MSC_EFIELD" },
		{ { patient = { [true] = true } }, "patient.true", "MSC_EFIELD" },
		{ { patient = { [2.5] = true } }, "patient.2.5", "MSC_EFIELD" },
		{ { patient = { [{}] = true } }, "patient", "MSC_EFIELD" },
		{ { patient = { ["patient.pregnant"] = true } }, "patient.patient.pregnant", "MSC_EFIELD" },
		{ { patient = { area = "face" } }, "patient.area", "MSC_EFIELD" },
		{ { patient = { pregnant = 1 } }, "patient.pregnant", "MSC_EFIELD" },
		{ { patient = { pregnant = {} } }, "patient.pregnant", "MSC_EFIELD" },
		{ { patient = { pregnant = "Yes" } }, "patient.pregnant", "MSC_EFIELD" },
		{ { patient = { pregnant = io.stdout } }, "patient.pregnant", "MSC_EFIELD" },
		{ { patient = { pregnant = coroutine.create(print) } }, "patient.pregnant", "MSC_EFIELD" },
		{ { patient = { hair_transplant_months_ago = "3" } }, "patient.hair_transplant_months_ago", "MSC_EFIELD" },
		{ { patient = { hair_transplant_months_ago = true } }, "patient.hair_transplant_months_ago", "MSC_EFIELD" },
		{ { patient = { hair_transplant_months_ago = 0 / 0 } }, "patient.hair_transplant_months_ago", "MSC_EFIELD" },
		{ { plan = { depth_mm = math.huge } }, "plan.depth_mm", "MSC_EFIELD" },
		{ { plan = { depth_mm = "never" } }, "plan.depth_mm", "MSC_EFIELD" },
		{ { plan = { area = true } }, "plan.area", "MSC_EFIELD" },
		{ { plan = { area = { "face" } } }, "plan.area", "MSC_EFIELD" },
		{ { plan = { technique = "laser" } }, "plan.technique", "MSC_EFIELD" },
		{ { patient = { medications = "aspirin" } }, "patient.medications", "MSC_EFIELD" },
		{ { patient = { medications = true } }, "patient.medications", "MSC_EFIELD" },
		{ { patient = { medications = { "a", nil, "c" } } }, "patient.medications", "MSC_EFIELD" },
		{ { patient = { medications = { [2] = "b" } } }, "patient.medications", "MSC_EFIELD" },
		{ { patient = { medications = { [0] = "a" } } }, "patient.medications", "MSC_EFIELD" },
		{ { patient = { medications = { "a", x = "b" } } }, "patient.medications", "MSC_EFIELD" },
		{ { patient = { medications = { [1.5] = "a" } } }, "patient.medications", "MSC_EFIELD" },
		{ { patient = { medications = { "a", 2 } } }, "patient.medications[1]", "MSC_EFIELD" },
		{ { patient = { medications = { "a", ms.null } } }, "patient.medications[1]", "MSC_EFIELD" },
		{ { patient = { medications = { "a", { "b" } } } }, "patient.medications[1]", "MSC_EFIELD" },
		{ { patient = { allergies = { "a", "b\0c" } } }, "patient.allergies[1]", "MSC_EFIELD" },
		{ { patient = { conditions = { "Z39.1", "broken leg" } } }, "patient.conditions[1]", "MSC_EFIELD" },
		-- conditions are set before medications, whatever the table's order
		{ { patient = { medications = { 1 }, conditions = { "broken leg" } } }, "patient.conditions[0]", "MSC_EFIELD" },
		{ { patient = { conditions = { "broken leg" }, medications = { 1 } } }, "patient.conditions[0]", "MSC_EFIELD" },
		{ { patient = { pregnant = "yes\0no" } }, "patient.pregnant", "MSC_EFIELD" },
		{ { plan = { area = "face\0" } }, "plan.area", "MSC_EFIELD" },
	}

	it("name the field and keep the code", function()
		for _, case in ipairs(cases) do
			local r, message, code = ms.try_screen(case[1])
			assert.is_nil(r)
			assert.truthy(starts(case[2], message), ("%s: %s"):format(case[2], message))
			assert.equal(case[3], code, message)
			-- raised, they carry the caller's position, then the field
			local ok, err = pcall(function()
				ms.screen(case[1])
			end)
			assert.is_false(ok)
			assert.is_string(err)
			assert.truthy(starts(debug.getinfo(1, "S").short_src .. ":", err), err)
			assert.truthy(err:find(":%d+: " .. case[2]:gsub("%p", "%%%0")), err)
			ok, err = pcall(function()
				ms.builtin:screen(case[1])
			end)
			assert.is_false(ok)
			assert.truthy(err:find("fill_spec%.lua:%d+: " .. case[2]:gsub("%p", "%%%0")), err)
		end
	end)

	it("empty the record: it is never half-read", function()
		for _, case in ipairs(cases) do
			local record = case[1]
			if type(record) == "table" and record ~= ms.null then
				-- the same record with good answers first: they must not stay
				local mixed = { patient = { pregnant = true, stroke_history = true }, plan = { area = "scalp" } }
				for section, fields in pairs(record) do
					if type(section) == "string" and type(fields) == "table" and mixed[section] then
						for k, v in pairs(fields) do
							mixed[section][k] = v
						end
					end
				end
				if not ms.try_screen(mixed) then
					assert_emptied(ms.builtin)
				end
			end
			assert.is_nil(ms.try_screen(record))
			assert_emptied(ms.builtin)
		end
		-- and the rule set screens on as before
		assert.equal("defer", ms.screen({ patient = { pregnant = true } }).verdict)
	end)

	it("are raised by screen_json for what is not text", function()
		for _, v in ipairs { 1, true, {}, ms.null } do
			local r, message, code = ms.try_screen_json(v)
			assert.is_nil(r)
			assert.equal("MSC_EFIELD", code)
			assert.matches("^record: expected JSON text", message)
		end
		assert.is_nil(ms.try_screen_json())
	end)
end)

describe("hostile input", function()
	local big = ("x"):rep(1 << 20)
	local bad_utf8 = { "\xff", "\xc3\x28", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xc0\xafb" }

	it("1 MB strings are refused at the limit, naming the field", function()
		local cases = {
			{ { patient = { pregnant = big } }, "patient.pregnant", "MSC_ELIMIT" },
			{ { plan = { area = big } }, "plan.area", "MSC_ELIMIT" },
			{ { patient = { medications = { "aspirin", big } } }, "patient.medications[1]", "MSC_ELIMIT" },
			{ { patient = { hair_transplant_months_ago = big } }, "patient.hair_transplant_months_ago", "MSC_EFIELD" },
			{ { patient = { [big] = true } }, "patient.xxxx", "MSC_EFIELD" },
			{ { [big] = {} }, "xxxx", "MSC_EFIELD" },
		}
		for _, case in ipairs(cases) do
			local r, message, code = ms.try_screen(case[1])
			assert.is_nil(r)
			assert.equal(case[3], code, message)
			assert.truthy(starts(case[2], message), message)
			assert.is_true(#message < 600, "the message quotes at most a little of the text")
		end
		-- at the limit it is taken
		assert.is_table(ms.screen { patient = { medications = { ("a"):rep(256) } } })
		assert.is_nil(ms.try_screen { patient = { medications = { ("a"):rep(257) } } })
	end)

	it("invalid UTF-8 is refused, and not echoed in messages", function()
		for _, s in ipairs(bad_utf8) do
			local _, m1, c1 = ms.try_screen { plan = { area = s } }
			assert.equal("MSC_EFIELD", c1)
			assert.truthy(starts("plan.area", m1), m1)
			local _, m2, c2 = ms.try_screen { patient = { allergies = { "latex", s } } }
			assert.equal("MSC_EFIELD", c2)
			assert.truthy(starts("patient.allergies[1]", m2), m2)
			local _, m3, c3 = ms.try_screen { patient = { ["key" .. s] = true } }
			assert.equal("MSC_EFIELD", c3)
			assert.truthy(starts("patient.key", m3), m3)
			for _, m in ipairs { m1, m2, m3 } do
				assert.truthy(utf8.len(m), "the message is valid UTF-8: " .. m)
				assert.is_nil(m:find "[\0-\31]", "no control characters")
			end
		end
		-- a key with control characters is shown without them
		local _, message = ms.try_screen { patient = { ["a\nb\0c"] = true } }
		assert.equal("patient.a?b?c: unknown key", message)
	end)

	it("cycles and deep nesting are type errors, never a recursion", function()
		local record = {}
		record.patient = record
		local _, message, code = ms.try_screen(record)
		assert.equal("MSC_EFIELD", code)
		assert.truthy(starts("patient.patient", message), message)

		local list = {}
		list[1] = list
		_, message = ms.try_screen { patient = { medications = list } }
		assert.truthy(starts("patient.medications[0]", message), message)

		local deep = {}
		local d = deep
		for _ = 1, 200000 do
			d[1] = {}
			d = d[1]
		end
		_, message = ms.try_screen { patient = { allergies = deep } }
		assert.truthy(starts("patient.allergies[0]", message), message)
		_, message = ms.try_screen { patient = deep }
		assert.truthy(starts("patient.1", message), message)
		_, message = ms.try_screen(deep)
		assert.truthy(starts("record", message), message)

		local section = { area = "face" }
		section.self = section
		_, message = ms.try_screen { plan = section }
		assert.truthy(starts("plan.self", message), message)
	end)

	it("metatables are never called: tables are read raw", function()
		local trap = {
			__index = function() error "__index called" end,
			__newindex = function() error "__newindex called" end,
			__pairs = function() error "__pairs called" end,
			__len = function() error "__len called" end,
			__eq = function() error "__eq called" end,
		}
		local record = setmetatable({
			patient = setmetatable({
				pregnant = false,
				medications = setmetatable({ "aspirin" }, trap),
			}, trap),
			plan = setmetatable({ area = "face" }, trap),
		}, trap)
		local expected = ms.screen { patient = { pregnant = false, medications = { "aspirin" } }, plan = { area = "face" } }
		assert.same(expected, ms.screen(record))
		-- a proxy's fields are not seen
		local proxy = setmetatable({}, { __index = { pregnant = true } })
		assert.same(ms.screen { patient = {} }, ms.screen { patient = proxy })
		-- a table that only looks like ms.null is a table
		local fake_null = setmetatable({}, getmetatable(ms.null))
		assert.is_nil(ms.try_screen { patient = { pregnant = fake_null } })
		assert.same(ms.screen { patient = {} }, ms.screen { patient = { medications = ms.null } })
	end)

	it("sparse and odd lists are refused whole", function()
		for _, list in ipairs {
			{ [1] = "a", [3] = "c" },
			{ [1] = "a", [1000000] = "b" },
			{ [-1] = "a" },
			{ [0] = "a", "b" },
			{ "a", n = 1 },
			{ [math.maxinteger] = "a" },
			{ [math.mininteger] = "a" },
		} do
			local _, message, code = ms.try_screen { patient = { medications = list } }
			assert.equal("MSC_EFIELD", code, message)
			assert.matches("^patient%.medications: expected a list of strings", message)
		end
		local long = {}
		for i = 1, 100000 do
			long[i] = "aspirin"
		end
		local _, message, code = ms.try_screen { patient = { medications = long } }
		assert.equal("MSC_ELIMIT", code)
		assert.matches("^patient%.medications: 100000 entries", message)
	end)

	it("a finalizer that screens while a result is built is refused, not let in", function()
		-- in a Lua state of its own, with a small heap and the collector
		-- running all the time, so that finalizers run inside the call
		local script = os.tmpname()
		S.write(script, [=[
local ms = require "mesoscreen"
collectgarbage("incremental", 1, 1000, 0)
local ran, refused, wrong = 0, 0, 0
local function finalizer()
	ran = ran + 1
	local ok, err = pcall(ms.screen, { patient = { pregnant = true } })
	if not ok then
		refused = refused + 1
		assert(tostring(err):find("screening already", 1, true), err)
	elseif err.verdict ~= "defer" then
		wrong = wrong + 1
	end
end
local record = { patient = { pregnant = false, medications = { "aspirin" } }, plan = { area = "face" } }
local expected = ms.screen_json('{"patient": {"pregnant": false, "medications": ["aspirin"]}, "plan": {"area": "face"}}')
local function same(a, b)
	if type(a) ~= "table" or type(b) ~= "table" then
		return a == b
	end
	for k, v in pairs(a) do
		if not same(v, b[k]) then return false end
	end
	for k in pairs(b) do
		if a[k] == nil then return false end
	end
	return true
end
for _ = 1, 3000 do
	setmetatable({}, { __gc = finalizer })
	if not same(expected, ms.screen(record)) then
		wrong = wrong + 1
	end
end
collectgarbage()
collectgarbage("incremental", 200, 100, 13)
print(ran, refused, wrong, ms.screen({ patient = { pregnant = true } }).verdict)
]=])
		local out, code = S.run(S.quote(S.lua) .. " " .. S.quote(script) .. " 2>&1")
		os.remove(script)
		assert.equal(0, code, out)
		local ran, refused, wrong, verdict = out:match "^(%d+)\t(%d+)\t(%d+)\t(%a+)\n$"
		assert.is_string(ran, out)
		assert.equal(3000, tonumber(ran))
		assert.is_true(tonumber(refused) > 0, "no finalizer ran while a result was built: the test proves nothing")
		assert.equal(0, tonumber(wrong))
		-- and the rule set is not left held
		assert.equal("defer", verdict)
	end)

	it("errors inside the call do not leave the rule set held", function()
		for _ = 1, 3 do
			assert.is_nil(ms.try_screen { patient = { pregnant = "maybe" } })
			assert.is_nil(ms.try_screen_json "{")
		end
		assert.equal("defer", ms.screen({ patient = { pregnant = true } }).verdict)
	end)

	it("a freed rule set's context refuses to screen", function()
		local rs = ms.load_rules(S.root .. "/examples/rules/clinic.rules")
		local ctx = rs._ctx
		core.msc_lua_context_close(ctx)
		assert.has_error(function()
			core.msc_lua_screen(ctx, {})
		end)
		assert.has_error(function()
			core.msc_lua_screen("not a context", {})
		end)
	end)
end)
