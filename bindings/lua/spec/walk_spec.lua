-- The kiosk's walk: asking ms.next_question until it says nil, answering
-- as the patient of a vector's record would ("don't know" where the record
-- says nothing), ends with the vector's verdict, never asks a fact twice,
-- and leaves no patient question open that was not asked.
local ms = require "mesoscreen"
local S = require "spec.support"
local json = require "dkjson"

describe("the next-question walk", function()
	local vectors = {}
	for _, file in ipairs(S.vector_files()) do
		local text = S.read(file)
		local vector = S.decode(text)
		local record = S.decode(text, ms.null).record
		if vector.expect and type(record) == "table" then
			vectors[#vectors + 1] = { file = file, vector = vector, record = record }
		end
	end
	if #vectors == 0 then
		pending("no vectors with a record and a result in " .. S.vectors .. " yet")
	end

	for _, v in ipairs(vectors) do
		it("reaches the verdict of " .. v.file:match "[^/]+$", function()
			local rules = v.vector.rules
			local rs = (rules == nil or rules == json.null) and ms.builtin or ms.load_rules(S.root .. "/" .. rules)
			local types = {}
			for _, f in ipairs(rs:rules().facts) do
				types[f.fact] = f.type
			end
			local patient = v.record.patient
			patient = (patient == nil or patient == ms.null) and {} or patient
			local plan = v.record.plan ~= ms.null and v.record.plan or nil
			-- codes come from the intake system, not from the patient
			local answers = {}
			for field, value in pairs(patient) do
				if types["patient." .. field] == "codes" then
					answers[field] = value
				end
			end
			-- what the patient knows: the record, and the facts its codes set
			-- (who takes insulin knows that their diabetes needs insulin)
			local knows = {}
			for field, value in pairs(patient) do
				if value ~= ms.null then
					knows[field] = value
				end
			end
			for _, f in ipairs(rs:screen(v.record).findings) do
				for _, because in ipairs(f.because) do
					local field = because:match " sets patient%.([%w_]+) = yes$"
					if field and knows[field] == nil then
						knows[field] = true
					end
				end
			end
			local asked, steps = {}, 0
			while true do
				local q = rs:next_question(answers, plan, asked)
				if not q then
					break
				end
				assert.is_nil(asked[q.fact], "asked twice: " .. q.fact)
				assert.matches("^patient%.", q.fact)
				asked[q.fact] = true
				steps = steps + 1
				assert.is_true(steps <= #rs:rules().facts)
				local field = q.fact:match "^patient%.(.+)$"
				answers[field] = knows[field]
			end
			local result = rs:screen { patient = answers, plan = plan }
			assert.equal(v.vector.expect.verdict, result.verdict)
			for _, m in ipairs(result.missing) do
				if m.fact:match "^patient%." then
					assert.is_true(asked[m.fact], "never asked: " .. m.fact)
				end
			end
		end)
	end
end)
