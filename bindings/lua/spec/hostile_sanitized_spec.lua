-- Hostile input through the Lua binding, for the sanitizer stage of CI
-- (`.ci/hardening asan` runs the Lua specs with AddressSanitizer and UBSan
-- preloaded): every call returns or raises an error, and never crashes,
-- overflows, recurses without bound or leaks. nil where a record or a
-- handle belongs, wrong types (and tables whose metamethods raise), deep
-- nesting and cycles, 1 MB strings in every position, invalid UTF-8 and
-- NUL bytes, hostile rule files. Needs only the modules (no spec.support).
local ms = require "mesoscreen"
local core = require "mesoscreen_core"

local MB = 1 << 20

-- f(...) gives a result or raises an error; nothing else.
local function survives(f, ...)
	local ok, value = pcall(f, ...)
	if ok and value ~= nil then
		assert.is_table(value)
	end
	return ok, value
end

-- try_f(...) refuses: nil, a message, a code among `codes` (any code if none).
local function refused(codes, try_f, ...)
	local result, message, code = try_f(...)
	assert.is_nil(result)
	assert.is_string(message)
	assert.is_string(code, message)
	if codes then
		local known = false
		for _, c in ipairs(codes) do
			known = known or c == code
		end
		assert.is_true(known, code .. ": " .. message:sub(1, 200))
	end
	assert.is_true(#message < 4096, "an error message of " .. #message .. " bytes")
	return message, code
end

local function write(path, text)
	local f = assert(io.open(path, "wb"))
	f:write(text)
	f:close()
end

describe("nil", function()
	it("as a record, a JSON text, a plan, a rule file", function()
		survives(ms.screen, nil)
		survives(ms.try_screen, nil)
		survives(ms.screen_json, nil)
		survives(ms.try_screen_json, nil)
		survives(ms.questions, nil)
		survives(ms.next_question, nil, nil, nil)
		survives(ms.load_rules, nil)
		survives(ms.try_load_rules, nil)
	end)

	it("as a handle of the core module", function()
		assert.is_false(pcall(core.msc_screen, nil, nil, nil))
		assert.is_false(pcall(core.msc_record_from_json, nil, "{}"))
		assert.is_false(pcall(core.msc_compiler_add_text, nil, "n", "x"))
		assert.is_false(pcall(core.msc_rules_to_json, nil))
		assert.is_false(pcall(core.msc_result_to_json, nil))
		assert.equal(0, core.msc_rules_count(nil))
		core.msc_rules_free(nil)
		core.msc_record_free(nil)
		core.msc_result_free(nil)
	end)
end)

describe("wrong types", function()
	local raising = setmetatable({}, {
		__index = function() error("no __index") end,
		__pairs = function() error("no __pairs") end,
		__len = function() error("no __len") end,
	})

	it("as a record or a section", function()
		for _, record in ipairs {
			42, 1.5, "x", true, print, coroutine.create(print), io.stdout, raising,
			{ patient = 42 }, { patient = io.stdout }, { patient = raising }, { patient = print },
			{ [1] = {} }, { [true] = {} }, { [1.5] = {} }, { [print] = {} }, { [{}] = {} },
		} do
			survives(ms.screen, record)
			survives(ms.try_screen, record)
		end
	end)

	it("as values and keys", function()
		for _, patient in ipairs {
			{ pregnant = 0 / 0 },
			{ pregnant = {} },
			{ pregnant = raising },
			{ hair_transplant_months_ago = 0 / 0 },
			{ hair_transplant_months_ago = math.huge },
			{ hair_transplant_months_ago = -math.huge },
			{ hair_transplant_months_ago = math.maxinteger },
			{ hair_transplant_months_ago = math.mininteger },
			{ hair_transplant_months_ago = -0.0 },
			{ medications = raising },
			{ medications = { raising } },
			{ medications = { 1, 2 } },
			{ medications = { [math.maxinteger] = "x" } },
			{ medications = { [0] = "x" } },
			{ medications = { [-1] = "x" } },
			{ medications = { [1.5] = "x" } },
			{ medications = { n = 3 } },
			{ medications = io.stdout },
			{ [1] = true },
			{ [0 / 0 ~= 0 / 0] = true },
			{ [print] = true },
		} do
			survives(ms.screen, { patient = patient })
		end
	end)

	it("as a JSON text or a plan", function()
		for _, v in ipairs { 42, true, {}, print, io.stdout, raising } do
			survives(ms.screen_json, v)
			survives(ms.try_screen_json, v)
			survives(ms.questions, v)
			survives(ms.next_question, v, v, v)
		end
	end)
end)

describe("deep nesting and cycles", function()
	local function deep(n)
		local root = {}
		local node = root
		for _ = 1, n do
			node[1] = {}
			node = node[1]
		end
		return root
	end

	it("in records", function()
		survives(ms.screen, { patient = deep(100000) })
		survives(ms.screen, { patient = { medications = deep(100000) } })
		local loop = {}
		loop[1] = loop
		loop.x = loop
		survives(ms.screen, { patient = loop })
		survives(ms.screen, { patient = { medications = loop } })
		local record = {}
		record.patient = record
		survives(ms.screen, record)
	end)

	it("in JSON text", function()
		refused(nil, ms.try_screen_json, '{"patient": ' .. ("["):rep(30000) .. ("]"):rep(30000) .. "}")
		refused(nil, ms.try_screen_json, '{"patient": ' .. ('{"a": '):rep(6000) .. "1" .. ("}"):rep(6000) .. "}")
		refused(nil, ms.try_screen_json, ("{"):rep(60000))
		refused(nil, ms.try_screen_json, ("["):rep(MB))
	end)
end)

describe("1 MB strings", function()
	local big = ("x"):rep(MB)

	it("as values", function()
		for _, record in ipairs {
			{ plan = { area = big } },
			{ patient = { pregnant = big } },
			{ patient = { hair_transplant_months_ago = ("9"):rep(MB) } },
			{ patient = { medications = { big } } },
			{ patient = { allergies = { "lidocaine", big } } },
			{ patient = { conditions = { big } } },
			{ plan = { ingredients = { ("\xc3\xa9"):rep(MB // 2) } } },
		} do
			refused({ "MSC_ELIMIT", "MSC_EFIELD" }, ms.try_screen, record)
		end
	end)

	it("as names", function()
		refused({ "MSC_EFIELD", "MSC_ELIMIT" }, ms.try_screen, { patient = { [big] = true } })
		refused({ "MSC_EFIELD", "MSC_ELIMIT" }, ms.try_screen, { [big] = {} })
	end)

	it("as JSON text", function()
		refused({ "MSC_ELIMIT" }, ms.try_screen_json, '{"patient": {"medications": ["' .. big .. '"]}}')
		refused({ "MSC_ELIMIT", "MSC_EPARSE" }, ms.try_screen_json, ("\xff"):rep(MB))
	end)

	it("in rule files", function()
		local path = os.tmpname()
		write(path, ("#"):rep(MB + 1))
		refused({ "MSC_ELIMIT" }, ms.try_load_rules, path)
		local head = 'source BIG "big"\nrule BIG.ALWAYS\n  severity caution\n  when patient.pregnant\n  message "'
		local tail = '"\n  sources BIG\n'
		write(path, head .. ("m"):rep(MB - #head - #tail - 16) .. tail)
		local rs = ms.load_rules(path)
		local r = rs:screen { patient = { pregnant = true } }
		local found = false
		for _, f in ipairs(r.findings) do
			if f.rule == "BIG.ALWAYS" then
				found = #f.message > MB - 200
			end
		end
		assert.is_true(found)
		write(path, 'source A "' .. ("a"):rep(MB - 20))
		refused({ "MSC_ERULES" }, ms.try_load_rules, path)
		os.remove(path)
		refused(nil, ms.try_load_rules, "/nonexistent/" .. ("d"):rep(5000))
	end)
end)

describe("invalid UTF-8 and NUL bytes", function()
	it("in records", function()
		for _, record in ipairs {
			{ patient = { medications = { "\xff\xfe" } } },
			{ patient = { medications = { "asp\xc0\xafirin" } } },
			{ patient = { allergies = { "latex\0" } } },
			{ plan = { area = "fa\xe2\x82" } },
			{ plan = { area = "face\0" } },
			{ patient = { ["\xed\xa0\x80"] = true } },
			{ patient = { ["pregnant\0x"] = true } },
			{ ["\xf4\x90\x80\x80"] = {} },
			{ ["patient\0"] = {} },
		} do
			refused({ "MSC_EFIELD" }, ms.try_screen, record)
		end
	end)

	it("in JSON text", function()
		for _, text in ipairs {
			'{"patient": {"medications": ["\xff"]}}',
			'{"patient": {"\xed\xa0\x80": true}}',
			'{"plan": {"area": "fa\xe2\x82"}}',
			'{"patient": {"allergies": ["latex\0"]}}',
			'{"patient": {"allergies": ["latex\\u0000"]}}',
			'{"patient"\0: {}}',
		} do
			refused({ "MSC_EPARSE", "MSC_EFIELD" }, ms.try_screen_json, text)
		end
	end)

	it("in rule files and their paths", function()
		local path = os.tmpname()
		for _, text in ipairs { "ruleset \xff\n", "ruleset a\0b\n", 'source A "\xed\xa0\x80"\n' } do
			write(path, text)
			refused({ "MSC_ERULES" }, ms.try_load_rules, path)
		end
		os.remove(path)
		survives(ms.try_load_rules, "a\0b")
		survives(ms.try_load_rules, "\xff")
	end)
end)
