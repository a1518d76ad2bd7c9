-- Shared by the specs: where things are, JSON, running commands.
local json = require "dkjson" -- lua-dkjson, a dependency of lua-busted

local S = {}

S.root = assert(os.getenv "MESOSCREEN_SOURCE_ROOT", "run through meson test: MESOSCREEN_SOURCE_ROOT is not set")
S.cli = os.getenv "MESOSCREEN_CLI"
S.host = os.getenv "MESOSCREEN_KIOSK_HOST"
S.lua = os.getenv "MESOSCREEN_LUA" or "lua5.4"
S.vectors = os.getenv "MESOSCREEN_VECTORS" or (S.root .. "/tests/vectors")
S.kiosk = S.root .. "/examples/kiosk/kiosk.lua"

--- JSON text to Lua; JSON null becomes `null` (default: dkjson's own).
function S.decode(text, null)
	local value, _, err = json.decode(text, 1, null or json.null)
	assert(err == nil, err)
	return value
end

--- A record as JSON text: the record and its sections are objects even
-- when empty, every other table is a list.
function S.encode_record(record)
	local object = { __jsontype = "object" }
	local copy = setmetatable({}, object)
	for section, fields in pairs(record) do
		copy[section] = setmetatable({}, object)
		for k, v in pairs(fields) do
			copy[section][k] = v
		end
	end
	return json.encode(copy)
end

function S.quote(s)
	return "'" .. s:gsub("'", "'\\''") .. "'"
end

function S.read(path)
	local f = assert(io.open(path, "rb"))
	local text = f:read "a"
	f:close()
	return text
end

function S.write(path, text)
	local f = assert(io.open(path, "wb"))
	f:write(text)
	f:close()
end

--- Runs a shell command; returns its standard output and exit code.
function S.run(command)
	local p = assert(io.popen(command, "r"))
	local out = p:read "a"
	local _, _, code = p:close()
	return out, code
end

--- Runs the command-line tool on arguments; returns the decoded JSON output.
function S.cli_json(...)
	local args = {}
	for i, a in ipairs { ... } do
		args[i] = S.quote(a)
	end
	local out, code = S.run(S.quote(S.cli) .. " " .. table.concat(args, " "))
	assert(code == 0, "mesoscreen " .. table.concat(args, " ") .. " exited with " .. tostring(code))
	local value, _, err = json.decode(out, 1, nil) -- JSON null: absent, as in Lua
	assert(err == nil, err)
	return value
end

--- The vector files (*.json) of the vector directory, sorted.
function S.vector_files()
	local lfs = require "lfs" -- lua-filesystem, a dependency of lua-busted
	local files = {}
	if lfs.attributes(S.vectors, "mode") ~= "directory" then
		return files
	end
	for name in lfs.dir(S.vectors) do
		if name:match "%.json$" then
			files[#files + 1] = S.vectors .. "/" .. name
		end
	end
	table.sort(files)
	return files
end

return S
