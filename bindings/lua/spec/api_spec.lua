-- The Lua API of contract.md: results, errors, integers, rule sets, and
-- the same answers as the command-line tool.
local ms = require "mesoscreen"
local core = require "mesoscreen_core"
local S = require "spec.support"

local RECORDS = {
	{ patient = { pregnant = false, breastfeeding = "no", medications = { "aspirin 100 mg", "Eliquis" }, allergies = { "lidocaine" }, hair_transplant_months_ago = 3, conditions = { "Z39.1" } },
	  plan = { area = "scalp", technique = "needle", ingredients = { "biotin", "hyaluronic acid", "lidocaine" }, numbing_cream = true, depth_mm = 2.5 } },
	{ patient = { pregnant = true }, plan = { area = "face" } },
	{ patient = { medications = {}, allergies = {}, hair_transplant_months_ago = "never" }, plan = { area = "hands", ingredients = {} } },
	{ patient = { medications = { "foo-ximab" }, allergies = { "penicilin" } }, plan = { area = "thighs", ingredients = { "mystery" }, depth_mm = 6 } },
	{},
}

local function tmpjson(record)
	local path = os.tmpname()
	S.write(path, S.encode_record(record))
	return path
end

describe("ms.screen", function()
	it("returns the result of contract.md", function()
		local r = ms.screen(RECORDS[1])
		assert.equal("contraindicated", r.verdict)
		assert.equal("builtin", r.ruleset.name)
		assert.is_string(r.ruleset.version)
		local f = r.findings[1]
		assert.is_string(f.rule)
		assert.is_string(f.severity)
		assert.is_string(f.message)
		assert.is_table(f.because)
		assert.is_table(f.sources)
		assert.is_table(r.missing)
		assert.is_table(r.instructions.before)
		assert.is_table(r.instructions.after)
		assert.same({ medications = {}, allergies = {}, ingredients = {} }, r.unrecognized)
		local ids = {}
		for i, finding in ipairs(r.findings) do
			ids[i] = finding.rule
		end
		assert.same({ "CI.BREASTFEEDING", "CI.ALLERGY", "PR.BLOOD_THINNERS", "PR.HAIR_TRANSPLANT" }, ids)
	end)

	it("says what the command-line tool says, field for field", function()
		for _, record in ipairs(RECORDS) do
			local path = tmpjson(record)
			local expected = S.cli_json("screen", path)
			os.remove(path)
			assert.same(expected, ms.screen(record))
			assert.same(expected, ms.screen_json(S.encode_record(record)))
		end
	end)

	it("takes yes/no words, ms.null and bare sections", function()
		assert.same(ms.screen { patient = { pregnant = true } }, ms.screen { patient = { pregnant = "yes" } })
		assert.same(ms.screen { patient = {} }, ms.screen { patient = { pregnant = ms.null, medications = ms.null } })
		assert.same(ms.screen {}, ms.screen { plan = ms.null })
		-- a present plan takes its defaults: no numbing cream, so no PRE.NUMBING
		local before = {}
		for _, i in ipairs(ms.screen({ plan = {} }).instructions.before) do
			before[i.id] = true
		end
		assert.is_nil(before["PRE.NUMBING"])
	end)

	it("reuses its record without carrying answers over", function()
		assert.equal("defer", ms.screen({ patient = { pregnant = true } }).verdict)
		assert.equal("incomplete", ms.screen({ patient = {} }).verdict)
	end)
end)

describe("bad records", function()
	local cases = {
		{ { patient = { pregnant = "maybe" } }, "patient.pregnant" },
		{ { patient = { pregnant = 1 } }, "patient.pregnant" },
		{ { patient = { pregnat = true } }, "patient.pregnat" },
		{ { patient = { medications = "aspirin" } }, "patient.medications" },
		{ { patient = { medications = { "aspirin", 3 } } }, "patient.medications[1]" },
		{ { patient = { medications = { a = "aspirin" } } }, "patient.medications" },
		{ { patient = { medications = { "a\0b" } } }, "patient.medications[0]" },
		{ { patient = { allergies = { [1] = "x", [3] = "y" } } }, "patient.allergies" },
		{ { patient = { hair_transplant_months_ago = -1 } }, "patient.hair_transplant_months_ago" },
		{ { patient = { hair_transplant_months_ago = "soon" } }, "patient.hair_transplant_months_ago" },
		{ { patient = { conditions = { "not a code" } } }, "patient.conditions[0]" },
		{ { patient = { cancer = print } }, "patient.cancer" },
		{ { patient = { [1] = true } }, "patient.1" },
		{ { patient = true }, "patient" },
		{ { plan = { area = "elbow" } }, "plan.area" },
		{ { plan = { area = 3 } }, "plan.area" },
		{ { plan = { depth_mm = 0 } }, "plan.depth_mm" },
		{ { plan = { pregnant = true } }, "plan.pregnant" },
		{ { plans = {} }, "plans" },
		{ "a string", "record" },
	}

	it("raise an error that names the field", function()
		for _, case in ipairs(cases) do
			local ok, err = pcall(function()
				ms.screen(case[1])
			end)
			assert.is_false(ok)
			-- the position of the caller, then the field
			assert.truthy(err:find("api_spec.lua:%d+: " .. case[2]:gsub("[%.%[%]]", "%%%0") .. "[:%[ ]"), err)
		end
	end)

	it("give nil, message, code with try_screen", function()
		for _, case in ipairs(cases) do
			local result, message, code = ms.try_screen(case[1])
			assert.is_nil(result)
			assert.equal(case[2], message:sub(1, #case[2]), message)
			assert.matches("^MSC_E", code)
		end
		local _, _, code = ms.try_screen { patient = { medications = { ("x"):rep(300) } } }
		assert.equal("MSC_ELIMIT", code)
		local _, message, code2 = ms.try_screen_json "{\"patient\": "
		assert.equal("MSC_EPARSE", code2)
		assert.matches("line 1", message)
	end)

	it("are never half-read", function()
		assert.is_nil(ms.try_screen { patient = { pregnant = true, stroke_history = "perhaps" } })
		-- the record was emptied: screening it again as it stands finds nothing
		core.msc_screen(ms.builtin._result, ms.builtin._rules, ms.builtin._record)
		assert.equal(0, core.msc_result_finding_count(ms.builtin._result))
	end)
end)

describe("numbers", function()
	it("that are integers come out as Lua integers", function()
		local rules = select(2, core.msc_rules_builtin())
		assert.equal("integer", math.type(core.msc_rules_count(rules)))
		assert.equal("integer", math.type(core.msc_rules_get(rules, 0).severity))
		assert.equal("integer", math.type(core.msc_rules_get(rules, 0).source_count))
		assert.equal("integer", math.type(core.MSC_CONTRAINDICATED))
		local status, extra = core.msc_rules_builtin()
		assert.equal("integer", math.type(status))
		core.msc_rules_free(extra)
		assert.matches("^%d+$", tostring(core.msc_rules_count(rules)))
		assert.equal("integer", math.type(core.msc_result_finding_count(ms.builtin._result)))
		core.msc_rules_free(rules)
	end)
end)

describe("the core module", function()
	it("raises errors that carry the code", function()
		local _, record = core.msc_record_new(ms.builtin._rules)
		local ok, err = pcall(core.msc_record_set_word, record, "patient.pregnant", "maybe")
		assert.is_false(ok)
		assert.equal("MSC_EFIELD", err.code)
		assert.equal(core.MSC_EFIELD, err.status)
		assert.equal("ValueError", err.kind)
		assert.matches("^patient%.pregnant: ", tostring(err))
		ok, err = pcall(core.msc_record_set_list, record, "patient.medications", { "aspirin", false })
		assert.is_false(ok)
		assert.matches("^patient%.medications%[1%]: ", err.message)
		core.msc_record_free(record)
	end)

	it("gives JSON text as Lua strings", function()
		local _, text = core.msc_rules_to_json(ms.builtin._rules)
		assert.same(S.cli_json("rules", "--json"), S.decode(text))
	end)
end)

describe("ms.rules and ms.questions", function()
	it("give the rule table of `mesoscreen rules --json`", function()
		assert.same(S.cli_json("rules", "--json"), ms.rules())
	end)

	it("give the questionnaire of `mesoscreen questions --json`", function()
		assert.same(S.cli_json("questions", "--json"), ms.questions())
		for _, plan in ipairs {
			{ area = "face", ingredients = { "biotin" } },
			{ area = "scalp", ingredients = { "lidocaine" }, numbing_cream = true },
			{ area = "thighs", ingredients = {}, depth_mm = 3 },
		} do
			local path = tmpjson { plan = plan }
			local expected = S.cli_json("questions", "--json", "--plan", path)
			os.remove(path)
			assert.same(expected, ms.questions(plan))
		end
	end)
end)

describe("ms.next_question", function()
	it("asks the patient only what can change the verdict", function()
		local q = ms.next_question({}, { area = "face", ingredients = { "biotin" } })
		assert.same({ fact = "patient.pregnant", type = "yesno", question = "Are you pregnant, or could you be pregnant?" }, q)
		-- pregnant: defer; breastfeeding can no longer change that
		q = ms.next_question({ pregnant = true }, { area = "face", ingredients = { "biotin" } })
		assert.equal("patient.stroke_history", q.fact)
		-- never a plan fact, even when the plan is unknown
		local skip = {}
		q = ms.next_question({}, nil, skip)
		while q do
			assert.matches("^patient%.", q.fact)
			skip[q.fact] = true
			q = ms.next_question({}, nil, skip)
		end
		assert.is_true(skip["patient.hair_transplant_months_ago"])
	end)

	it("returns nil once nothing can change the verdict", function()
		assert.is_nil(ms.next_question({ stroke_history = true }, { area = "face" }))
	end)

	it("raises on bad answers", function()
		assert.has_error(function()
			ms.next_question({ pregnant = "maybe" }, nil)
		end)
	end)
end)

describe("a clinic rule set", function()
	local clinic = S.root .. "/examples/rules/clinic.rules"

	it("says what `mesoscreen --rules` says, field for field", function()
		local rs = ms.load_rules(clinic)
		assert.same(S.cli_json("--rules", clinic, "rules", "--json"), rs:rules())
		for _, record in ipairs {
			{ patient = { age = 16 }, plan = { area = "face", depth_mm = 6 } },
			{ patient = { age = 40, isotretinoin_months_ago = "never" }, plan = { area = "scalp", ingredients = {} } },
			RECORDS[1],
		} do
			local path = tmpjson(record)
			local expected = S.cli_json("--rules", clinic, "screen", path)
			os.remove(path)
			assert.same(expected, rs:screen(record))
		end
		local path = tmpjson { plan = { area = "face" } }
		assert.same(S.cli_json("--rules", clinic, "questions", "--json", "--plan", path), rs:questions { area = "face" })
		os.remove(path)
	end)
end)

describe("ms.load_rules", function()
	local dir = os.tmpname()
	local good, bad = dir .. ".good.rules", dir .. ".bad.rules"
	S.write(good, [[
source C1 "Clinic policy"
fact patient.age number
  min 0
  max 130
  question "How old are you?"
rule CLINIC.MINOR
  severity contraindicated
  when patient.age < 18
  message "Under 18: the clinic does not treat minors."
  sources C1
]])
	S.write(bad, "rule X\n  severity whatever\n  when patient.nope\n")

	teardown(function()
		os.remove(dir)
		os.remove(good)
		os.remove(bad)
	end)

	it("compiles a clinic file on top of the built-in table", function()
		local rs = ms.load_rules(good)
		assert.equal("contraindicated", rs:screen({ patient = { age = 12 } }).verdict)
		assert.equal("defer", rs:screen({ patient = { age = 40, pregnant = true } }).verdict)
		assert.is_nil(rs:try_screen { patient = { age = -1 } })
		-- a clinic's fact is asked too, with its type
		local skip, q = {}, nil
		repeat
			q = rs:next_question({}, { area = "face", ingredients = {} }, skip)
			if q then
				skip[q.fact] = true
			end
		until q == nil or q.fact == "patient.age"
		assert.same({ fact = "patient.age", type = "number", question = "How old are you?" }, q)
		assert.equal("CLINIC.MINOR", rs:rules().rules[#rs:rules().rules].id)
		-- the built-in set is untouched
		assert.is_nil(ms.try_screen { patient = { age = 12 } })
	end)

	it("lists every error of a bad file", function()
		local rs, message, code = ms.try_load_rules(bad)
		assert.is_nil(rs)
		assert.equal("MSC_ERULES", code)
		assert.matches("bad%.rules:2:%d+: ", message)
		assert.matches("bad%.rules:3:%d+: ", message)
		assert.has_error(function()
			ms.load_rules(bad)
		end)
		local _, _, code2 = ms.try_load_rules(dir .. ".missing.rules")
		assert.equal("MSC_EIO", code2)
	end)

	it("frees rule sets that are no longer used", function()
		for _ = 1, 50 do
			ms.load_rules(good):screen { patient = { age = 30 } }
		end
		collectgarbage()
		collectgarbage()
	end)
end)
