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
 * "ruleset", "version", "sha256"}]: enough for an audit to reproduce.
 * Only msc_rules_to_json() calls it, with rules never NULL. */
static json_t *ruleset_json(const msc_rules *rules)
{
	json_t *o = json_object(), *files;
	size_t i;
	if (!o || put(o, "name", json_string(rules->name)) || put(o, "version", json_string(rules->version)))
		goto fail;
	if (rules->file_count) {
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

/* ---------------------------------------------------------------- the result, written directly
 * The result is written straight into a buffer: it is the hot path (every
 * record of a batch), and building a jansson tree costs an allocation per
 * value. Its strings are valid UTF-8 (the record's and the rule text's are
 * checked on the way in), so escaping is all there is to do. */

static int w_str(msc_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	if (msc_buf_append(b, "\"", 1))
		return MSC_ENOMEM;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7];
		size_t n = 2;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (msc_buf_append(b, run, (size_t)(s - run)))
			return MSC_ENOMEM;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		if (msc_buf_append(b, esc, n))
			return MSC_ENOMEM;
		run = s + 1;
	}
	return msc_buf_append(b, run, (size_t)(s - run)) || msc_buf_append(b, "\"", 1) ? MSC_ENOMEM : MSC_OK;
}

/* ,"key": */
static int w_key(msc_buf *b, const char *key, int first)
{
	return (!first && msc_buf_append(b, ",", 1)) || w_str(b, key) || msc_buf_append(b, ":", 1)
		       ? MSC_ENOMEM : MSC_OK;
}

static int w_str_or_null(msc_buf *b, const char *s)
{
	return s ? w_str(b, s) : msc_buf_puts(b, "null");
}

static int w_strings(msc_buf *b, const char *const *s, size_t n)
{
	size_t i;
	if (msc_buf_append(b, "[", 1))
		return MSC_ENOMEM;
	for (i = 0; i < n; i++)
		if ((i && msc_buf_append(b, ",", 1)) || w_str(b, s[i]))
			return MSC_ENOMEM;
	return msc_buf_append(b, "]", 1);
}

static int w_ruleset(msc_buf *b, const msc_rules *rules)
{
	size_t i;
	if (msc_buf_append(b, "{", 1) || w_key(b, "name", 1) || w_str(b, rules ? rules->name : "") ||
	    w_key(b, "version", 0) || w_str(b, rules ? rules->version : ""))
		return MSC_ENOMEM;
	if (rules && rules->file_count) {
		if (w_key(b, "files", 0) || msc_buf_append(b, "[", 1))
			return MSC_ENOMEM;
		for (i = 0; i < rules->file_count; i++) {
			const msc_rules_file *f = &rules->files[i];
			if ((i && msc_buf_append(b, ",", 1)) || msc_buf_append(b, "{", 1) ||
			    w_key(b, "name", 1) || w_str(b, f->name) ||
			    w_key(b, "ruleset", 0) || w_str_or_null(b, f->ruleset) ||
			    w_key(b, "version", 0) || w_str_or_null(b, f->version) ||
			    w_key(b, "sha256", 0) || w_str(b, f->sha256) || msc_buf_append(b, "}", 1))
				return MSC_ENOMEM;
		}
		if (msc_buf_append(b, "]", 1))
			return MSC_ENOMEM;
	}
	return msc_buf_append(b, "}", 1);
}

int msc__result_write_json(msc_buf *b, const msc_result *res)
{
	static const char *const lists[3] = { "medications", "allergies", "ingredients" };
	const msc_rules *rules = msc__result_rules(res);
	size_t i, k;

	if (msc_buf_append(b, "{", 1) || w_key(b, "verdict", 1) ||
	    w_str(b, msc_verdict_name(msc_result_verdict(res))) ||
	    w_key(b, "ruleset", 0) ||
	    (rules ? msc_buf_append(b, rules->ruleset_json, rules->ruleset_json_len) : w_ruleset(b, NULL)) ||
	    w_key(b, "findings", 0) ||
	    msc_buf_append(b, "[", 1))
		return MSC_ENOMEM;
	for (i = 0; i < msc_result_finding_count(res); i++) {
		const msc_finding *f = msc_result_finding(res, i);
		const msc_rule *rule = msc__result_finding_rule(res, i);
		if ((i && msc_buf_append(b, ",", 1)) ||
		    msc_buf_append(b, rule->json_head, rule->json_head_len) ||
		    w_key(b, "because", 0) || w_strings(b, f->because, f->because_count) ||
		    msc_buf_append(b, rule->json_tail, rule->json_tail_len))
			return MSC_ENOMEM;
	}
	if (msc_buf_append(b, "]", 1) || w_key(b, "missing", 0) || msc_buf_append(b, "[", 1))
		return MSC_ENOMEM;
	for (i = 0; i < msc_result_missing_count(res); i++) {
		const char *json;
		size_t len;
		const msc_rule *rule = msc__result_missing_json(res, i, &json, &len);
		if ((i && msc_buf_append(b, ",", 1)) || msc_buf_append(b, rule->json_rule, rule->json_rule_len) ||
		    msc_buf_append(b, json, len))
			return MSC_ENOMEM;
	}
	if (msc_buf_append(b, "]", 1) || w_key(b, "instructions", 0) || msc_buf_append(b, "{", 1))
		return MSC_ENOMEM;
	for (k = 0; k < 2; k++) {
		if (w_key(b, k ? "after" : "before", k == 0) || msc_buf_append(b, "[", 1))
			return MSC_ENOMEM;
		for (i = 0; i < msc_result_instruction_count(res, (msc_phase)k); i++) {
			const msc_rule *rule = msc__result_instruction_rule(res, (int)k, i);
			if ((i && msc_buf_append(b, ",", 1)) ||
			    msc_buf_append(b, rule->json_head, rule->json_head_len))
				return MSC_ENOMEM;
		}
		if (msc_buf_append(b, "]", 1))
			return MSC_ENOMEM;
	}
	if (msc_buf_append(b, "}", 1))
		return MSC_ENOMEM;
	/* a clinic's changes to documented rules: shown in every result they affect */
	if (rules && rules->override_count) {
		if (w_key(b, "overrides", 0) || msc_buf_append(b, "[", 1))
			return MSC_ENOMEM;
		for (i = 0; i < msc_result_override_count(res); i++) {
			const msc_override *ov = msc_result_override(res, i);
			if ((i && msc_buf_append(b, ",", 1)) || msc_buf_append(b, "{", 1) ||
			    w_key(b, "rule", 1) || w_str(b, ov->rule) || w_key(b, "action", 0) ||
			    w_str(b, ov->action) || w_key(b, "reason", 0) || w_str_or_null(b, ov->reason) ||
			    w_key(b, "changed_by", 0) || w_str(b, ov->changed_by) || msc_buf_append(b, "}", 1))
				return MSC_ENOMEM;
		}
		if (msc_buf_append(b, "]", 1))
			return MSC_ENOMEM;
	}
	if (w_key(b, "unrecognized", 0) || msc_buf_append(b, "{", 1))
		return MSC_ENOMEM;
	for (k = 0; k < 3; k++) {
		if (w_key(b, lists[k], k == 0) || msc_buf_append(b, "[", 1))
			return MSC_ENOMEM;
		for (i = 0; i < msc_result_unrecognized_count(res, (msc_list)k); i++)
			if ((i && msc_buf_append(b, ",", 1)) ||
			    w_str(b, msc_result_unrecognized(res, (msc_list)k, i)))
				return MSC_ENOMEM;
		if (msc_buf_append(b, "]", 1))
			return MSC_ENOMEM;
	}
	return msc_buf_append(b, "}}", 2);
}

/* ,"fact":...,"question":...}: the rest of a result's "missing" entry */
static int w_missing(msc_buf *b, const char *fact, const char *question)
{
	return w_key(b, "fact", 0) || w_str(b, fact) || w_key(b, "question", 0) || w_str(b, question) ||
	       msc_buf_append(b, "}", 1) ? MSC_ENOMEM : MSC_OK;
}

/* A copy of b's text in the rule set's arena; b is emptied. Only called
 * once something was appended to b, so b->data is never NULL. */
static const char *keep(msc_rules *rules, msc_buf *b, size_t *len)
{
	const char *s = msc_arena_strndup(&rules->arena, b->data, b->len);
	*len = b->len;
	b->len = 0;
	return s;
}

int msc__rules_json_fragments(msc_rules *rules)
{
	msc_buf b = {0};
	size_t i;
	int rc = MSC_ENOMEM;

	if (w_ruleset(&b, rules) || !(rules->ruleset_json = keep(rules, &b, &rules->ruleset_json_len)))
		goto out;
	for (i = 0; i < rules->fact_count; i++) {
		msc_fact *f = &rules->facts[i];
		if (w_missing(&b, f->info.path, f->info.question ? f->info.question : f->info.path) ||
		    !(f->json_missing = keep(rules, &b, &f->json_missing_len)))
			goto out;
	}
	for (i = 0; i < rules->rule_count; i++) {
		msc_rule *r = &rules->rules[i];
		const msc_rule_info *in = &r->info;
		size_t k;
		if (msc_buf_append(&b, "{", 1) || w_key(&b, "rule", 1) || w_str(&b, in->id) ||
		    !(r->json_rule = keep(rules, &b, &r->json_rule_len)))
			goto out;
		for (k = 0; k < r->ask_count; k++) {
			msc_ask *a = &r->asks[k];
			if (w_missing(&b, rules->facts[a->fact].info.path, a->question) ||
			    !(a->json = keep(rules, &b, &a->json_len)))
				goto out;
		}
		if (in->kind == MSC_INSTRUCTION) {
			if (msc_buf_append(&b, "{", 1) || w_key(&b, "id", 1) || w_str(&b, in->id) ||
			    w_key(&b, "text", 0) || w_str(&b, in->message) || msc_buf_append(&b, "}", 1) ||
			    !(r->json_head = keep(rules, &b, &r->json_head_len)))
				goto out;
			r->json_tail = "";
			r->json_tail_len = 0;
			continue;
		}
		if (msc_buf_append(&b, "{", 1) || w_key(&b, "rule", 1) || w_str(&b, in->id) ||
		    w_key(&b, "severity", 0) || w_str(&b, msc_verdict_name(in->severity)) ||
		    w_key(&b, "message", 0) || w_str(&b, in->message) ||
		    !(r->json_head = keep(rules, &b, &r->json_head_len)) ||
		    w_key(&b, "sources", 0) || w_strings(&b, in->sources, in->source_count) ||
		    msc_buf_append(&b, "}", 1) || !(r->json_tail = keep(rules, &b, &r->json_tail_len)))
			goto out;
	}
	rc = MSC_OK;
out:
	msc_buf_free(&b);
	return rc;
}

MSC_EXTERN(int) msc_result_to_json(char **out, size_t *length, const msc_result *res)
{
	msc_buf b = {0};
	if (!out || !res)
		return msc__fail(MSC_EINVAL, "out or result is NULL");
	*out = NULL;
	if (msc__result_write_json(&b, res)) {
		msc_buf_free(&b);
		return msc__fail(MSC_ENOMEM, "out of memory while writing JSON");
	}
	*out = b.data;
	if (length)
		*length = b.len;
	return MSC_OK;
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
	    (fi->value_count && put(o, "values", strings(fi->values, fi->value_count))) ||
	    (fi->accepts_never && put(o, "accepts_never", json_true()))) {
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
			if (!q || append(root, q)) { /* append takes q, even when it fails */
				json_decref(root);
				root = NULL;
				break;
			}
			if (put(q, "question", json_string(m->question)) || put(q, "rules", json_array())) {
				json_decref(root); /* q belongs to root now */
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
