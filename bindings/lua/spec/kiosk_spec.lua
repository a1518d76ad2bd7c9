-- Scripted kiosk sessions: answers on standard input, through lua5.4 and
-- through the embedding C host. The transcript must end with the plain
-- words for the verdict and the pre-care instructions, show no rule id or
-- field path, and the verdict must be what `mesoscreen screen` gives for
-- the record the kiosk wrote.
local S = require "spec.support"

local FACE = { "--area", "face", "--ingredients", "biotin, hyaluronic acid", "--numbing-cream" }
local SCALP = { "--area", "scalp", "--ingredients", "biotin", "--depth", "2.5" }

-- The words that tell the patient what to do next, for each verdict.
local NEXT_STEP = {
	clear = "You can go ahead with your treatment.\n",
	caution = "A staff member will first check something with you.",
	incomplete = "Please talk to the clinician before your treatment",
	defer = "Not today. Please talk to the clinician: the treatment may be possible at a later date.",
	contraindicated = "Not today. Please talk to the clinician.\n",
}

local SESSIONS = {
	{ name = "no to everything", plan = FACE, verdict = "clear",
	  input = { "n", "n", "n", "n", "n", "n", "none", "n", "n", "none" } },
	{ name = "aspirin", plan = FACE, verdict = "caution",
	  input = { "no", "no", "no", "no", "no", "no", "nothing", "no", "no", "Aspirin 100 mg, vitamin D" } },
	{ name = "pregnant: only what can still matter is asked", plan = FACE, verdict = "defer",
	  input = { "y", "n", "n", "n", "n", "none", "n", "n" },
	  asked = { "pregnant", "stroke" }, not_asked = { "breastfeeding", "which medicines do you take" } },
	{ name = "allergic to the numbing cream", plan = FACE, verdict = "contraindicated",
	  input = { "n", "n", "n", "n", "n", "n", "lidocaine" },
	  not_asked = { "urticaria" } },
	{ name = "don't know, a bad answer, then the end of the input", plan = FACE, verdict = "incomplete",
	  input = { "n", "perhaps", "n", "?", "n", "n" },
	  once = { "Have you ever had a stroke?" }, says = { "Sorry, I did not understand" } },
	{ name = "hair transplant three months ago", plan = SCALP, verdict = "defer",
	  input = { "n", "n", "n", "n", "n", "n", "none", "n", "n", "none", "3 months" } },
	{ name = "never had a hair transplant", plan = SCALP, verdict = "clear",
	  input = { "n", "n", "n", "n", "n", "n", "none", "n", "n", "none", "never" } },
}

local function count(text, plain)
	local n, at = 0, 1
	while true do
		local i = text:find(plain, at, true)
		if not i then
			return n
		end
		n, at = n + 1, i + #plain
	end
end

-- Runs one session; returns the transcript and the record the kiosk wrote.
local function run(command, session)
	local input, record = os.tmpname(), os.tmpname()
	S.write(input, table.concat(session.input, "\n") .. "\n")
	local args = {}
	for i, a in ipairs(session.plan) do
		args[i] = S.quote(a)
	end
	local transcript, code = S.run(("%s %s --echo --record %s < %s 2>&1"):format(
		command, table.concat(args, " "), S.quote(record), S.quote(input)))
	os.remove(input)
	assert.equal(0, code, transcript)
	return transcript, record
end

local RUNNERS = {
	{ "lua5.4 kiosk.lua", S.quote(S.lua) .. " " .. S.quote(S.kiosk) },
	{ "the embedding host", S.host and S.quote(S.host) },
}

for _, runner in ipairs(RUNNERS) do
	describe("the kiosk through " .. runner[1], function()
		for _, session in ipairs(SESSIONS) do
			it(session.name, function()
				assert.is_string(runner[2], "MESOSCREEN_KIOSK_HOST is not set")
				local transcript, record = run(runner[2], session)
				local result = S.cli_json("screen", record)
				os.remove(record)

				-- the same verdict as the command-line tool, in plain words
				assert.equal(session.verdict, result.verdict)
				assert.truthy(transcript:find(NEXT_STEP[session.verdict], 1, true), transcript)
				for verdict, words in pairs(NEXT_STEP) do
					if verdict ~= session.verdict then
						assert.is_nil(transcript:find(words, 1, true), transcript)
					end
				end
				for _, instruction in ipairs(result.instructions.before) do
					assert.truthy(transcript:find(instruction.text, 1, true), instruction.id)
				end

				-- no rule ids, no field paths on screen
				assert.is_nil(transcript:match "%u%u+%.%u[%u_]+", transcript)
				assert.is_nil(transcript:find("patient.", 1, true), transcript)
				assert.is_nil(transcript:find("plan.", 1, true), transcript)

				local lower = transcript:lower()
				for _, word in ipairs(session.asked or {}) do
					assert.truthy(lower:find(word, 1, true), word)
				end
				for _, word in ipairs(session.not_asked or {}) do
					assert.is_nil(lower:find(word, 1, true), word)
				end
				for _, question in ipairs(session.once or {}) do
					assert.equal(1, count(transcript, question))
				end
				for _, words in ipairs(session.says or {}) do
					assert.truthy(transcript:find(words, 1, true), words)
				end
			end)
		end
	end)
end

describe("the kiosk", function()
	it("refuses a plan the library refuses, before asking anything", function()
		local out, code = S.run(S.quote(S.lua) .. " " .. S.quote(S.kiosk) .. " --area elbow 2>&1 </dev/null")
		assert.equal(2, code)
		assert.matches("plan%.area", out)
		assert.is_nil(out:find("Question", 1, true))
	end)
end)
