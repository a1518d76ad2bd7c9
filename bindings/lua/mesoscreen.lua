--- mesoscreen: screen a patient and a planned mesotherapy treatment against
-- a rule table that cites its sources (Lua 5.4 binding of libmesoscreen).
--
--   local ms = require "mesoscreen"
--   local result = ms.screen{patient = {pregnant = false}, plan = {area = "face"}}
--   print(result.verdict, #result.findings)
--
-- Records are tables shaped like the JSON intake record of contract.md:
-- nil (absent) is absent, `ms.null` is JSON null, an explicit unknown (a
-- plan switch set to ms.null takes no default). Every check of a record is
-- the C library's: the binding (lua.i) walks the table in C and calls the
-- setters, and builds the result table in the same call.
--
-- Errors: `screen` raises an error naming the field; `try_screen` returns
-- nil, message, code ("MSC_EFIELD", ...) instead. A record with an error
-- is never half-read.
--
-- A rule set (`ms.builtin`, or one from `ms.load_rules`) owns one record
-- and one result that it reuses (a Lua state runs one thing at a time);
-- results are plain tables that stay valid whatever happens to the set.
local core = require "mesoscreen_core"

local M = {}

--- Stands for JSON null in a record: the field is explicitly unknown.
M.null = setmetatable({}, { __name = "mesoscreen.null", __tostring = function() return "mesoscreen.null" end })

--- The version of the C library in use ("0.1.0").
M.version = core.msc_version()

local error_mt = { __name = "mesoscreen.error", __tostring = function(e) return e.message end }

local function is_library_error(e)
	return type(e) == "table" and e.code ~= nil and e.message ~= nil
end

-- pcall(f, ...) turned into `value` or `nil, message, code`; an error that
-- is not the library's (a bug) is raised again as it is.
local function try(f, ...)
	local ok, value = pcall(f, ...)
	if ok then
		return value
	end
	if is_library_error(value) then
		return nil, value.message, value.code
	end
	error(value, 0)
end

-- `f` made public: the library's errors are raised as their message at
-- the caller (other errors, bugs, as they are).
local function raising(f)
	return function(...)
		local ok, value = pcall(f, ...)
		if ok then
			return value
		end
		if is_library_error(value) then
			error(value.message, 2)
		end
		error(value, 0)
	end
end

-- A C string array (because, sources, values) as a sequence.
local function strings(array, count)
	local t = {}
	for i = 1, count do
		t[i] = core.msc_lua_string_at(array, count, i - 1)
	end
	return t
end

local verdict_name = core.msc_verdict_name

------------------------------------------------------------------------------
-- Records in, results out
--
-- Both are C (msc_lua_* in lua.i): one call reads the table into the rule
-- set's record with the library's setters, screens it and returns the
-- result table, so that a record costs one call, not one per field.
-- The table is read as the JSON edge reads a JSON record: the fact's type
-- decides (a yes/no fact takes true, false, "yes", "no" or "unknown"; a
-- number fact a number, or "never" where it accepts it; an enum a word; a
-- list fact a sequence of strings 1..n, {} for none) and `M.null` is
-- unknown anywhere (a section that is M.null is absent). Anything else is
-- an error naming the field, and the record is emptied. Tables are read
-- raw (metatables are not called) and only to the depth of the record, so
-- a proxy table shows no fields and a cycle is a type error. The order of
-- a table's keys never matters. A finalizer that screens with a rule set
-- while that rule set builds a result gets an error.

------------------------------------------------------------------------------
-- Rule sets

local RuleSet = {}
RuleSet.__index = RuleSet
RuleSet.__name = "mesoscreen.ruleset"

function RuleSet:__gc()
	core.msc_lua_context_close(self._ctx)
	core.msc_result_free(self._result)
	core.msc_record_free(self._record)
	core.msc_rules_free(self._rules)
end

function RuleSet:__tostring()
	return ("mesoscreen.ruleset(%s %s)"):format(core.msc_rules_name(self._rules), core.msc_rules_version(self._rules))
end

-- Takes ownership of a compiled msc_rules.
local function new_ruleset(rules)
	local self = setmetatable({ _rules = rules, _facts = {} }, RuleSet)
	self._record = select(2, core.msc_record_new(rules))
	self._result = select(2, core.msc_result_new())
	self._ctx = core.msc_lua_context(rules, self._record, self._result, M.null)
	for i = 1, core.msc_rules_fact_count(rules) do
		local f = core.msc_rules_fact(rules, i - 1)
		local info = {
			fact = f.path,
			type = f.type,
			question = f.question,
			values = f.value_count > 0 and strings(f.values, f.value_count) or nil,
			accepts_never = f.accepts_never ~= 0 or nil,
		}
		self._facts[i] = info
		self._facts[info.fact] = info
	end
	self._files = {}
	for i = 1, core.msc_rules_file_count(rules) do
		local f = core.msc_rules_file_get(rules, i - 1)
		self._files[i] = { name = f.name, ruleset = f.ruleset, version = f.version, sha256 = f.sha256 }
	end
	return self
end

local function screen_table(self, record)
	return core.msc_lua_screen(self._ctx, record)
end

local function screen_text(self, json)
	return core.msc_lua_screen_json(self._ctx, json)
end

local function copy_fact(info, question)
	return {
		fact = info.fact,
		type = info.type,
		question = question or info.question,
		values = info.values and table.move(info.values, 1, #info.values, 1, {}),
		accepts_never = info.accepts_never,
	}
end

-- The questionnaire for a plan: one entry per fact, as `mesoscreen questions --json`.
local function questions(self, plan)
	local result = screen_table(self, { plan = plan })
	local out, by_fact = {}, {}
	for _, m in ipairs(result.missing) do
		local q = by_fact[m.fact]
		if not q then
			q = copy_fact(self._facts[m.fact], m.question)
			q.rules = {}
			by_fact[m.fact] = q
			out[#out + 1] = q
		end
		q.rules[#q.rules + 1] = m.rule
	end
	return out
end

-- The first patient question of `missing` that is not in `skip`.
local function next_question(self, answers, plan, skip)
	local result = screen_table(self, { patient = answers or {}, plan = plan })
	for _, m in ipairs(result.missing) do
		local fact = m.fact
		if fact:find("patient.", 1, true) == 1 and not (skip and skip[fact]) then
			return copy_fact(self._facts[fact], m.question)
		end
	end
	return nil
end

-- {name, version} of a rule set, and its clinic files, as the JSON has them.
local function ruleset_info(self)
	local info = { name = core.msc_rules_name(self._rules), version = core.msc_rules_version(self._rules) }
	if #self._files > 0 then
		info.files = {}
		for i, f in ipairs(self._files) do
			info.files[i] = { name = f.name, ruleset = f.ruleset, version = f.version, sha256 = f.sha256 }
		end
	end
	return info
end

-- The rule table, as `mesoscreen rules --json`.
local function rules_table(self)
	local rules = self._rules
	local out = {
		ruleset = ruleset_info(self),
		rules = {},
		instructions = {},
		facts = {},
	}
	for i = 1, core.msc_rules_count(rules) do
		local r = core.msc_rules_get(rules, i - 1)
		local entry = {
			id = r.id,
			when = r.condition,
			sources = strings(r.sources, r.source_count),
			origin = r.origin,
		}
		if r.changed_by then -- overridden or disabled by a clinic file
			entry.changed_by, entry.disabled, entry.reason = r.changed_by, r.disabled ~= 0, r.reason
		end
		if r.kind == core.MSC_RULE then
			entry.severity = verdict_name(r.severity)
			entry.message = r.message
			out.rules[#out.rules + 1] = entry
		else
			entry.phase = r.phase == core.MSC_BEFORE and "before" or "after"
			entry.text = r.message
			out.instructions[#out.instructions + 1] = entry
		end
	end
	for i, info in ipairs(self._facts) do
		out.facts[i] = copy_fact(info)
	end
	return out
end

-- The API: each a method of a rule set (rs:screen(record)) and a function
-- of the module over the built-in set (ms.screen(record)). Those marked
-- true also come as try_NAME, returning nil, message, code on an error.
--
--   screen(record)         the result table of a record (a table)
--   screen_json(text)      the same for a JSON intake record
--   questions(plan)        the questionnaire for a plan (nil: any plan):
--                          {fact, question, type, values (enums), rules}
--                          for each fact that can change the verdict
--   next_question(answers, plan, skip)
--                          the next question for the patient: the first
--                          patient fact whose answer can still change the
--                          verdict of {patient = answers, plan = plan}, not
--                          in the set `skip` (fact -> true: asked already
--                          and left unknown); {fact, question, type,
--                          values}, or nil when none is left
--   rules()                the rule table: {ruleset, rules, instructions, facts}
local api = {
	screen = { screen_table, true },
	screen_json = { screen_text, true },
	questions = { questions },
	next_question = { next_question },
	rules = { rules_table },
}

------------------------------------------------------------------------------
-- The module

--- The built-in rule table (the documented rules).
M.builtin = new_ruleset(select(2, core.msc_rules_builtin()))

local function compile(paths)
	local compiler = select(2, core.msc_compiler_new())
	local ok, value = pcall(function()
		for _, path in ipairs(paths) do
			if type(path) ~= "string" then
				error(setmetatable({ code = "MSC_EINVAL", message = "rule file: expected a path" }, error_mt), 0)
			end
			core.msc_compiler_add_file(compiler, path)
		end
		return select(2, core.msc_compiler_get_rules(compiler))
	end)
	if not ok and is_library_error(value) and core.msc_compiler_error_count(compiler) > 0 then
		local lines = { value.message }
		for i = 1, core.msc_compiler_error_count(compiler) do
			lines[#lines + 1] = core.msc_compiler_error(compiler, i - 1)
		end
		value = setmetatable({ code = value.code, message = table.concat(lines, "\n") }, error_mt)
	end
	core.msc_compiler_free(compiler)
	if not ok then
		error(value, 0)
	end
	return new_ruleset(value)
end

--- Compiles clinic rule files on top of the built-in table; returns a rule
-- set or nil, message (every error of the files, one a line), code.
function M.try_load_rules(...)
	return try(compile, { ... })
end

--- Compiles clinic rule files on top of the built-in table; returns a rule
-- set with :screen, :try_screen, :questions, :next_question, :rules. Raises
-- on an unreadable or invalid file.
M.load_rules = raising(function(...)
	return compile { ... }
end)

for name, entry in pairs(api) do
	local f, with_try = entry[1], entry[2]
	local function builtin(...)
		return f(M.builtin, ...)
	end
	RuleSet[name], M[name] = raising(f), raising(builtin)
	if with_try then
		RuleSet["try_" .. name] = function(...)
			return try(f, ...)
		end
		M["try_" .. name] = function(...)
			return try(builtin, ...)
		end
	end
end

-- screen, the hot path, without the pcall of `raising`: the C call raises
-- a library error as its message at the caller (level 2) itself. Not tail
-- calls, so that level 2 is the caller.
local lua_screen = core.msc_lua_screen

function RuleSet:screen(record)
	local result = lua_screen(self._ctx, record, 2)
	return result
end

function M.screen(record)
	local result = lua_screen(M.builtin._ctx, record, 2)
	return result
end

return M
