-- The shared test vectors (tests/vectors/*.json, format in its README):
-- the Lua binding must give what the C suite gives, compared as the
-- README says. Each record also goes through the JSON reader of the C
-- library (ms.screen_json), which must agree with the table path.
local ms = require "mesoscreen"
local S = require "spec.support"
local json = require "dkjson"

local rule_sets = {}

-- The rule set a vector names (cached), or the built-in one.
local function rules_for(vector)
	local name = vector.rules
	if name == nil or name == json.null then
		return ms.builtin
	end
	rule_sets[name] = rule_sets[name] or ms.load_rules(S.root .. "/" .. name)
	return rule_sets[name]
end

local function pick(list, ...)
	local keys = { ... }
	local out = {}
	for i, entry in ipairs(list) do
		local e = {}
		for _, k in ipairs(keys) do
			e[k] = entry[k]
		end
		out[i] = e
	end
	return out
end

local function ids(list)
	local out = {}
	for i, entry in ipairs(list) do
		out[i] = entry.id
	end
	return out
end

-- Compares a result with a vector's `expect`, in order and exactly.
local function compare(expect, result)
	assert.equal(expect.verdict, result.verdict)
	if expect.findings then
		assert.same(pick(expect.findings, "rule", "severity", "because"), pick(result.findings, "rule", "severity", "because"))
	end
	if expect.missing then
		assert.same(pick(expect.missing, "rule", "fact"), pick(result.missing, "rule", "fact"))
	end
	if expect.instructions then
		assert.same(expect.instructions.before, ids(result.instructions.before))
		assert.same(expect.instructions.after, ids(result.instructions.after))
	end
	if expect.unrecognized then
		assert.same(expect.unrecognized, result.unrecognized)
	end
end

describe("test vectors", function()
	local files = S.vector_files()
	if #files == 0 then
		pending("no vectors in " .. S.vectors .. " yet")
	end
	for _, file in ipairs(files) do
		local text = S.read(file)
		local vector = S.decode(text)
		local record = S.decode(text, ms.null).record -- JSON null as ms.null
		it(file:match "[^/]+$" .. ": " .. tostring(vector.description), function()
			local rs = rules_for(vector)
			local result, message, code
			if type(record) == "string" then
				result, message, code = rs:try_screen_json(record)
			else
				result, message, code = rs:try_screen(record)
				-- the C library's JSON reader says the same
				local result2, message2, code2 = rs:try_screen_json(json.encode(vector.record))
				assert.same(result2, result)
				assert.equal(code2, code)
				if vector.error and vector.error.field ~= json.null then
					assert.equal(vector.error.field, message2:sub(1, #vector.error.field))
				end
			end
			if vector.error then
				assert.is_nil(result, "the record must be rejected")
				assert.equal(vector.error.code, code)
				if vector.error.field ~= json.null then
					assert.equal(vector.error.field, message:sub(1, #vector.error.field), message)
				end
			else
				assert.is_table(result, message)
				compare(vector.expect, result)
			end
		end)
	end
end)
