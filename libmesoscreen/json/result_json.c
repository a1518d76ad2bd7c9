/*
 * JSON out: the result (contract.md's shape), the rule table and the
 * questionnaire, built with jansson.
 */
#include <jansson.h>
#include <string.h>

#include "internal.h"

/* Each helper returns NULL on allocation failure; json_object_set_new and
 * json_array_append_new take ownership even when they fail. */
static int put(json_t *obj, const char *key, json_t *v)
{
	return !v || json_object_set_new(obj, key, v) ? -1 : 0;
}

static int append(json_t *arr, json_t *v)
{
	return !v || json_array_append_new(arr, v) ? -1 : 0;
}

static json_t *strings(const char *const *s, size_t n)
{
	json_t *a = json_array();
	size_t i;
	for (i = 0; a && i < n; i++)
		if (append(a, json_string(s[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int dump(json_t *root, char **out, size_t *length)
{
	size_t n;
	char *s;

	if (!root)
		return msc__fail(MSC_ENOMEM, "out of memory while writing JSON");
	n = json_dumpb(root, NULL, 0, JSON_COMPACT);
	s = n ? msc__malloc(n + 1) : NULL;
	if (!s || json_dumpb(root, s, n, JSON_COMPACT) != n) {
		msc__free(s);
		json_decref(root);
		return msc__fail(MSC_ENOMEM, "out of memory while writing JSON");
	}
	s[n] = '\0';
	json_decref(root);
	*out = s;
	if (length)
		*length = n;
	return MSC_OK;
}

/* {"name", "version"} and, with clinic files, "files": [{"name",
 * "ruleset", "version", "sha256"}]: enough for an audit to reproduce. */
static json_t *ruleset_json(const msc_rules *rules)
{
	json_t *o = json_object(), *files;
	size_t i;
	if (!o || put(o, "name", json_string(rules ? rules->name : "")) ||
	    put(o, "version", json_string(rules ? rules->version : "")))
		goto fail;
	if (rules && rules->file_count) {
		if (put(o, "files", files = json_array()))
			goto fail;
		for (i = 0; i < rules->file_count; i++) {
			const msc_rules_file *f = &rules->files[i];
			json_t *e;
			if (append(files, e = json_object()) || put(e, "name", json_string(f->name)) ||
			    put(e, "ruleset", f->ruleset ? json_string(f->ruleset) : json_null()) ||
			    put(e, "version", f->version ? json_string(f->version) : json_null()) ||
			    put(e, "sha256", json_string(f->sha256)))
				goto fail;
		}
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *result_json(const msc_result *res)
{
	json_t *root = json_object(), *a, *o;
	size_t i, k;
	static const char *const lists[3] = { "medications", "allergies", "ingredients" };

	if (!root)
		return NULL;
	if (put(root, "verdict", json_string(msc_verdict_name(msc_result_verdict(res)))) ||
	    put(root, "ruleset", ruleset_json(msc__result_rules(res))) ||
	    put(root, "findings", a = json_array()))
		goto fail;
	for (i = 0; i < msc_result_finding_count(res); i++) {
		const msc_finding *f = msc_result_finding(res, i);
		if (append(a, o = json_object()) ||
		    put(o, "rule", json_string(f->rule)) ||
		    put(o, "severity", json_string(msc_verdict_name(f->severity))) ||
		    put(o, "message", json_string(f->message)) ||
		    put(o, "because", strings(f->because, f->because_count)) ||
		    put(o, "sources", strings(f->sources, f->source_count)))
			goto fail;
	}
	if (put(root, "missing", a = json_array()))
		goto fail;
	for (i = 0; i < msc_result_missing_count(res); i++) {
		const msc_missing *m = msc_result_missing(res, i);
		if (append(a, o = json_object()) ||
		    put(o, "rule", json_string(m->rule)) ||
		    put(o, "fact", json_string(m->fact)) ||
		    put(o, "question", json_string(m->question)))
			goto fail;
	}
	if (put(root, "instructions", o = json_object()))
		goto fail;
	for (k = 0; k < 2; k++) {
		json_t *phase;
		if (put(o, k ? "after" : "before", phase = json_array()))
			goto fail;
		for (i = 0; i < msc_result_instruction_count(res, (msc_phase)k); i++) {
			const msc_instruction *in = msc_result_instruction(res, (msc_phase)k, i);
			json_t *e;
			if (append(phase, e = json_object()) || put(e, "id", json_string(in->id)) ||
			    put(e, "text", json_string(in->text)))
				goto fail;
		}
	}
	/* a clinic's changes to documented rules: shown in every result they affect */
	if (msc__result_rules(res) && msc__result_rules(res)->override_count) {
		if (put(root, "overrides", a = json_array()))
			goto fail;
		for (i = 0; i < msc_result_override_count(res); i++) {
			const msc_override *ov = msc_result_override(res, i);
			if (append(a, o = json_object()) || put(o, "rule", json_string(ov->rule)) ||
			    put(o, "action", json_string(ov->action)) ||
			    put(o, "reason", ov->reason ? json_string(ov->reason) : json_null()) ||
			    put(o, "changed_by", json_string(ov->changed_by)))
				goto fail;
		}
	}
	if (put(root, "unrecognized", o = json_object()))
		goto fail;
	for (k = 0; k < 3; k++) {
		json_t *l;
		if (put(o, lists[k], l = json_array()))
			goto fail;
		for (i = 0; i < msc_result_unrecognized_count(res, (msc_list)k); i++)
			if (append(l, json_string(msc_result_unrecognized(res, (msc_list)k, i))))
				goto fail;
	}
	return root;
fail:
	json_decref(root);
	return NULL;
}

MSC_EXTERN(int) msc_result_to_json(char **out, size_t *length, const msc_result *res)
{
	if (!out || !res)
		return msc__fail(MSC_EINVAL, "out or result is NULL");
	*out = NULL;
	return dump(result_json(res), out, length);
}

static json_t *rule_json(const msc_rule_info *ri)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (put(o, "id", json_string(ri->id)) ||
	    (ri->kind == MSC_RULE ? put(o, "severity", json_string(msc_verdict_name(ri->severity)))
				  : put(o, "phase", json_string(ri->phase == MSC_BEFORE ? "before" : "after"))) ||
	    put(o, "when", json_string(ri->condition)) ||
	    put(o, ri->kind == MSC_RULE ? "message" : "text", json_string(ri->message)) ||
	    put(o, "sources", strings(ri->sources, ri->source_count)) ||
	    put(o, "origin", json_string(ri->origin)) ||
	    (ri->changed_by && (put(o, "changed_by", json_string(ri->changed_by)) ||
				put(o, "disabled", json_boolean(ri->disabled)) ||
				put(o, "reason", ri->reason ? json_string(ri->reason) : json_null())))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *fact_json(const msc_fact_info *fi)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (put(o, "fact", json_string(fi->path)) || put(o, "type", json_string(fi->type)) ||
	    (fi->question && put(o, "question", json_string(fi->question))) ||
	    (fi->value_count && put(o, "values", strings(fi->values, fi->value_count)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

MSC_EXTERN(int) msc_rules_to_json(char **out, size_t *length, const msc_rules *rules)
{
	json_t *root, *r, *in, *facts;
	size_t i;

	if (!out || !rules)
		return msc__fail(MSC_EINVAL, "out or rules is NULL");
	*out = NULL;
	root = json_object();
	if (!root || put(root, "ruleset", ruleset_json(rules)) ||
	    put(root, "rules", r = json_array()) || put(root, "instructions", in = json_array()) ||
	    put(root, "facts", facts = json_array()))
		goto fail;
	for (i = 0; i < rules->rule_count; i++) {
		const msc_rule_info *ri = &rules->rules[i].info;
		if (append(ri->kind == MSC_RULE ? r : in, rule_json(ri)))
			goto fail;
	}
	for (i = 0; i < rules->fact_count; i++)
		if (append(facts, fact_json(&rules->facts[i].info)))
			goto fail;
	return dump(root, out, length);
fail:
	json_decref(root);
	return msc__fail(MSC_ENOMEM, "out of memory while writing JSON");
}

MSC_EXTERN(int) msc_questions_to_json(char **out, size_t *length, const msc_rules *rules,
				      const msc_record *rec)
{
	msc_result *res;
	json_t *root;
	int rc;
	size_t i, j;

	if (!out || !rules || !rec)
		return msc__fail(MSC_EINVAL, "out, rules or record is NULL");
	*out = NULL;
	rc = msc_result_new(&res);
	if (rc)
		return rc;
	rc = msc_screen(res, rules, rec);
	if (rc) {
		msc_result_free(res);
		return rc;
	}
	root = json_array();
	/* one question per fact, in table order, naming every rule that needs it */
	for (i = 0; root && i < msc_result_missing_count(res); i++) {
		const msc_missing *m = msc_result_missing(res, i);
		json_t *q = NULL, *rl;
		for (j = 0; j < json_array_size(root); j++) {
			json_t *e = json_array_get(root, j);
			if (strcmp(json_string_value(json_object_get(e, "fact")), m->fact) == 0)
				q = e;
		}
		if (!q) {
			int fi = msc__rules_fact_index(rules, m->fact, strlen(m->fact));
			q = fact_json(&rules->facts[fi].info);
			if (!q || put(q, "question", json_string(m->question)) ||
			    put(q, "rules", json_array()) || append(root, q)) {
				json_decref(root);
				root = NULL;
				break;
			}
		}
		rl = json_object_get(q, "rules");
		if (append(rl, json_string(m->rule))) {
			json_decref(root);
			root = NULL;
		}
	}
	msc_result_free(res);
	return dump(root, out, length);
}
