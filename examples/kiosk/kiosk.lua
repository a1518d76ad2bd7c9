#!/usr/bin/env lua5.4
--[[
The waiting-room kiosk: asks the patient, one question at a time and in
plain words, only the questions that can still change the verdict for the
clinic's plan, then says what to do next and how to prepare.

  lua5.4 kiosk.lua --area face --ingredients "biotin, hyaluronic acid" --numbing-cream
  mesoscreen-kiosk --area scalp ...          (the same, embedded in a C program)

The plan is the clinic's: it comes from the options (or a Lua file that
returns a plan table), never from the patient. --record FILE writes the
answers and the plan as a JSON intake record, so the clinic can check the
verdict with `mesoscreen screen FILE`.
]]
local ms = require "mesoscreen"

local USAGE = [[
usage: kiosk.lua [PLAN OPTIONS] [--rules FILE]... [--record FILE] [--echo]

plan (set by the clinic):
  --area AREA            face, neck, decollete, hands, scalp, under-eye, ...
  --technique T          needle, gun or needle-free
  --ingredients LIST     the planned mixture, comma-separated
  --numbing-cream        a numbing cream will be used
  --depth MM             injection depth in millimetres
  --plan FILE            a Lua file returning a plan table (options override it)

  --rules FILE           a clinic rule file on top of the built-in table
  --record FILE          write the intake record (JSON) for the clinic
  --echo                 repeat each answer (for transcripts of piped input)
]]

-- Plain words for the patient: what the verdict means for them today.
local NEXT_STEP = {
	clear = "You can go ahead with your treatment.",
	caution = "You can go ahead with your treatment. A staff member will first check something with you.",
	incomplete = "Please talk to the clinician before your treatment: some answers are still needed.",
	defer = "Not today. Please talk to the clinician: the treatment may be possible at a later date.",
	contraindicated = "Not today. Please talk to the clinician.",
}

local LIST_TYPES = { medications = true, allergies = true, ingredients = true, codes = true }

local function trim(s)
	return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function split_list(text)
	local items = {}
	for item in text:gmatch "[^,;]+" do
		item = trim(item)
		if item ~= "" then
			items[#items + 1] = item
		end
	end
	return items
end

local function die(message)
	io.stderr:write("kiosk: ", message, "\n")
	os.exit(2)
end

------------------------------------------------------------------------------
-- Options

local function parse_options(args)
	local opts = { rules = {}, plan_options = {} }
	local i = 1
	local function value(name)
		i = i + 1
		if args[i] == nil then
			die(name .. " needs a value\n" .. USAGE)
		end
		return args[i]
	end
	while i <= #args do
		local a = args[i]
		if a == "--help" or a == "-h" then
			io.write(USAGE)
			os.exit(0)
		elseif a == "--area" then
			opts.plan_options.area = value(a)
		elseif a == "--technique" then
			opts.plan_options.technique = value(a)
		elseif a == "--ingredients" then
			opts.plan_options.ingredients = split_list(value(a))
		elseif a == "--numbing-cream" then
			opts.plan_options.numbing_cream = true
		elseif a == "--depth" then
			local v = value(a)
			opts.plan_options.depth_mm = tonumber(v) or die("--depth: not a number: " .. v)
		elseif a == "--plan" then
			opts.plan_file = value(a)
		elseif a == "--rules" then
			opts.rules[#opts.rules + 1] = value(a)
		elseif a == "--record" then
			opts.record = value(a)
		elseif a == "--echo" then
			opts.echo = true
		else
			die("unknown option " .. a .. "\n" .. USAGE)
		end
		i = i + 1
	end
	return opts
end

-- The clinic's plan, or nil when none was given (then it is unknown).
local function read_plan(opts)
	local plan
	if opts.plan_file then
		local chunk, err = loadfile(opts.plan_file, "t", {})
		if not chunk then
			die(err)
		end
		plan = chunk()
		if type(plan) ~= "table" then
			die(opts.plan_file .. ": expected the file to return a plan table")
		end
	end
	for k, v in pairs(opts.plan_options) do
		plan = plan or {}
		plan[k] = v
	end
	return plan
end

------------------------------------------------------------------------------
-- Questions and answers

local DONT_KNOW = {}

local function hint(q)
	if q.type == "yesno" then
		return "y = yes, n = no, ? = I don't know"
	elseif LIST_TYPES[q.type] then
		return 'separate names with commas; "none" if none; ? = I don\'t know'
	elseif q.type == "number" then
		return "a number; ? = I don't know"
	elseif q.values then
		return "one of: " .. table.concat(q.values, ", ") .. "; ? = I don't know"
	end
	return "? = I don't know"
end

-- The answer as a record value, DONT_KNOW, or nil when not understood.
local function parse_answer(q, line)
	local text = trim(line)
	local lower = text:lower()
	if lower == "?" or lower == "unknown" or lower == "not sure" or lower:match "^don'?t know$" or lower == "dk" then
		return DONT_KNOW
	end
	if text == "" then
		return nil
	end
	if q.type == "yesno" then
		if lower == "y" or lower == "yes" then
			return true
		elseif lower == "n" or lower == "no" then
			return false
		end
		return nil
	elseif LIST_TYPES[q.type] then
		if lower == "none" or lower == "no" or lower == "nothing" or lower == "n" then
			return {}
		end
		return split_list(text)
	elseif q.type == "number" then
		-- "3", "3 months", "2.5"; any other word ("never") is the library's to judge
		local number = lower:match "^(%d+%.?%d*)%s*%a*$"
		return number and tonumber(number) or lower
	end
	return lower
end

local function ask(rs, q, number, answers, plan, opts)
	local field = q.fact:match "^patient%.(.+)$"
	io.write(("\nQuestion %d. %s\n"):format(number, q.question))
	while true do
		io.write("  (", hint(q), ") > ")
		io.flush()
		local line = io.read "l"
		if line == nil then
			return nil -- no more input: stop asking
		end
		if opts.echo then
			io.write(line, "\n")
		end
		local value = parse_answer(q, line)
		if value == DONT_KNOW then
			return DONT_KNOW
		end
		if value ~= nil then
			-- the library judges the answer: a number out of range, an unknown word...
			answers[field] = value
			if rs:try_screen { patient = answers, plan = plan } then
				return value
			end
			answers[field] = nil
		end
		io.write("  Sorry, I did not understand that answer. Please try again.\n")
	end
end

------------------------------------------------------------------------------
-- The clinic's copy: the intake record as JSON

local function json_string(s)
	return '"' .. s:gsub('[%c"\\]', function(c)
		local named = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r" }
		return named[c] or ("\\u%04x"):format(c:byte())
	end) .. '"'
end

local function json_value(v)
	if type(v) == "string" then
		return json_string(v)
	elseif math.type(v) == "integer" then
		return ("%d"):format(v)
	elseif type(v) == "number" then
		return ("%.17g"):format(v)
	elseif type(v) == "boolean" then
		return tostring(v)
	end
	local items = {} -- a list: every value of a record that is a table
	for i, item in ipairs(v) do
		items[i] = json_string(item)
	end
	return "[" .. table.concat(items, ", ") .. "]"
end

local function json_section(fields, order)
	local parts = {}
	for _, key in ipairs(order) do
		if fields[key] ~= nil then
			parts[#parts + 1] = json_string(key) .. ": " .. json_value(fields[key])
		end
	end
	return "{" .. table.concat(parts, ", ") .. "}"
end

local function sorted_keys(t)
	local keys = {}
	for k in pairs(t) do
		keys[#keys + 1] = k
	end
	table.sort(keys)
	return keys
end

local function write_record(path, answers, order, plan)
	local text = '{"patient": ' .. json_section(answers, order)
	if plan then
		text = text .. ', "plan": ' .. json_section(plan, sorted_keys(plan))
	end
	local f = assert(io.open(path, "w"))
	f:write(text, "}\n")
	f:close()
end

------------------------------------------------------------------------------
-- The session

local function main(args)
	local opts = parse_options(args)
	local rs = ms.builtin
	if #opts.rules > 0 then
		local err
		rs, err = ms.try_load_rules(table.unpack(opts.rules))
		if not rs then
			die(err)
		end
	end
	local plan = read_plan(opts)
	local ok, err = rs:try_screen { plan = plan }
	if not ok then
		die("the plan is not valid: " .. err)
	end

	io.write [[
Welcome. Before your mesotherapy treatment, please answer a few questions.
Answer each one as well as you can; if you are not sure, answer ? and the
clinician will ask you about it.
]]
	local answers, order, asked = {}, {}, {}
	local count = 0
	while true do
		local q = rs:next_question(answers, plan, asked)
		if not q then
			break
		end
		count = count + 1
		asked[q.fact] = true
		local answer = ask(rs, q, count, answers, plan, opts)
		if answer == nil then
			io.write "\n"
			break
		end
		if answer ~= DONT_KNOW then
			order[#order + 1] = q.fact:match "^patient%.(.+)$"
		end
	end

	local result = rs:screen { patient = answers, plan = plan }
	io.write("\n", ("-"):rep(60), "\nThank you. What happens next:\n\n  ", NEXT_STEP[result.verdict], "\n")
	if #result.instructions.before > 0 then
		io.write "\nTo prepare for your treatment:\n"
		for _, instruction in ipairs(result.instructions.before) do
			io.write("  - ", instruction.text, "\n")
		end
	end
	io.write(("-"):rep(60), "\n")
	if opts.record then
		write_record(opts.record, answers, order, plan)
	end
end

main(arg)
