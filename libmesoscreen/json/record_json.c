/*
 * JSON intake record in: jansson parses, the schema is the rule set's
 * facts, and every value goes through the same record setters as the C
 * API, so the checks are written once. Any error empties the record.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int set_value(msc_record *rec, const msc_fact *f, json_t *v)
{
	const char *path = f->info.path;

	if (json_is_null(v))
		return msc_record_unset(rec, path);
	switch (f->type) {
	case MSC_FT_YESNO:
		if (json_is_boolean(v))
			return msc_record_set_answer(rec, path, json_is_true(v) ? MSC_YES : MSC_NO);
		if (json_is_string(v))
			return msc_record_set_word(rec, path, json_string_value(v));
		return msc__fail(MSC_EFIELD, "%s: expected true, false, null, \"yes\", \"no\" or \"unknown\"", path);
	case MSC_FT_NUMBER:
		if (json_is_number(v))
			return msc_record_set_number(rec, path, json_number_value(v));
		if (json_is_string(v) && f->accepts_never && strcmp(json_string_value(v), "never") == 0)
			return msc_record_set_word(rec, path, "never");
		return msc__fail(MSC_EFIELD, "%s: expected a number%s or null", path,
				 f->accepts_never ? ", \"never\"" : "");
	case MSC_FT_ENUM:
		if (json_is_string(v))
			return msc_record_set_word(rec, path, json_string_value(v));
		return msc__fail(MSC_EFIELD, "%s: expected a string or null", path);
	default: {
		const char *items[MSC_MAX_LIST];
		size_t i, n;
		if (!json_is_array(v))
			return msc__fail(MSC_EFIELD, "%s: expected a list of strings, [] for none, or null", path);
		n = json_array_size(v);
		if (n > MSC_MAX_LIST)
			return msc__fail(MSC_ELIMIT, "%s: %zu entries, more than the limit of %d", path, n,
					 MSC_MAX_LIST);
		for (i = 0; i < n; i++) {
			json_t *e = json_array_get(v, i);
			if (!json_is_string(e))
				return msc__fail(MSC_EFIELD, "%s[%zu]: expected a string", path, i);
			if (strlen(json_string_value(e)) != json_string_length(e))
				return msc__fail(MSC_EFIELD, "%s[%zu]: holds a NUL character", path, i);
			items[i] = json_string_value(e);
		}
		return msc_record_set_list(rec, path, items, n);
	}
	}
}

/* Nested: {"patient": {...}, "plan": {...}}. */
static int read_nested(msc_record *rec, json_t *root)
{
	const msc_rules *rules = rec->rules;
	const char *skey;
	json_t *section;

	json_object_foreach(root, skey, section) {
		const char *key;
		json_t *v;
		int s = msc__rules_section_index(rules, skey, strlen(skey));
		if (s < 0)
			return msc__fail(MSC_EFIELD, "%.64s: unknown key (expected patient or plan)", skey);
		if (json_is_null(section))
			continue;
		if (!json_is_object(section))
			return msc__fail(MSC_EFIELD, "%s: expected an object or null", skey);
		rec->present[s] = 1;
		json_object_foreach(section, key, v) {
			char path[2 * MSC_MAX_TEXT];
			int fi, rc;
			snprintf(path, sizeof(path), "%s.%s", skey, key);
			fi = msc__rules_fact_index(rules, path, strlen(path));
			if (fi < 0 || strlen(key) > MSC_MAX_TEXT || strchr(key, '.'))
				return msc__fail(MSC_EFIELD, "%s.%.64s: unknown key", skey, key);
			rc = set_value(rec, &rules->facts[fi], v);
			if (rc)
				return rc;
		}
	}
	return MSC_OK;
}

/* Flat: {"pregnant": true, "area": "face"} (a DataFrame row). A null (a
 * None or NaN in the frame) is unknown, as in a nested record; a section
 * is present when one of its columns is there. */
static int read_flat(msc_record *rec, json_t *root)
{
	const msc_rules *rules = rec->rules;
	const char *key;
	json_t *v;

	json_object_foreach(root, key, v) {
		int fi = strchr(key, '.') ? -1 : msc__rules_fact_index(rules, key, strlen(key));
		int rc;
		if (fi < 0)
			return msc__fail(MSC_EFIELD, "%.64s: unknown column", key);
		rc = set_value(rec, &rules->facts[fi], v);
		if (rc)
			return rc;
		rec->present[rules->facts[fi].section] = 1;
	}
	return MSC_OK;
}

int msc__record_from_json(msc_record *rec, const char *json, size_t len, int flat)
{
	json_error_t err;
	json_t *root;
	int rc;

	if (!rec || (!json && len))
		return msc__fail(MSC_EINVAL, "record or json is NULL");
	msc_record_clear(rec);
	if (len > MSC_MAX_RECORD_JSON)
		return msc__fail(MSC_ELIMIT, "record: %zu bytes, more than the limit of %d", len,
				 MSC_MAX_RECORD_JSON);
	memset(&err, 0, sizeof(err)); /* jansson may fail before filling it in */
	msc__alloc_failed_reset();
	root = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (!root) {
		/* jansson reports some allocation failures as parse errors */
		if (json_error_code(&err) == json_error_out_of_memory || err.text[0] == '\0' ||
		    msc__alloc_failed())
			return msc__fail(MSC_ENOMEM, "out of memory while parsing JSON");
		return msc__fail(MSC_EPARSE, "line %d, column %d: %s", err.line, err.column, err.text);
	}
	if (msc__alloc_failed()) {
		/* jansson can lose characters of a string when an allocation fails
		 * and still return a document: it cannot be trusted */
		json_decref(root);
		return msc__fail(MSC_ENOMEM, "out of memory while parsing JSON");
	}
	if (!json_is_object(root))
		rc = msc__fail(MSC_EFIELD, "record: expected a JSON object%s",
			       flat ? "" : " with \"patient\" and \"plan\"");
	else
		rc = flat ? read_flat(rec, root) : read_nested(rec, root);
	json_decref(root);
	if (rc && msc__alloc_failed())
		rc = msc__fail(MSC_ENOMEM, "out of memory while reading the record");
	if (rc)
		msc_record_clear(rec); /* never half-read */
	return rc;
}

MSC_EXTERN(int) msc_record_from_json(msc_record *rec, const char *json, size_t len)
{
	return msc__record_from_json(rec, json, len, 0);
}
