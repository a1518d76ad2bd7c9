/*
 * JSON out: the result (contract.md's shape), the rule table and the
 * questionnaire, written directly into a buffer by one small writer
 * (w_str, w_key...). yajl reads records in (record_json.c); nothing here
 * needs a document tree.
 */
#include <string.h>

#include "internal.h"

/* ---------------------------------------------------------------- the writer
 * Straight into a buffer: the result is the hot path (every record of a
 * batch), and a document tree would cost an allocation per value. Every
 * string is valid UTF-8 (the record's and the rule text's are checked on
 * the way in), so escaping is all there is to do. */

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

/* Each of a rule's 'ask' lines as the rest of a "missing" entry. */
static int ask_fragments(msc_rules *rules, msc_rule *r, msc_buf *b)
{
	size_t k;
	int rc = MSC_OK;
	for (k = 0; !rc && k < r->ask_count; k++) {
		msc_ask *a = &r->asks[k];
		rc = w_missing(b, rules->facts[a->fact].info.path, a->question) ||
		     !(a->json = keep(rules, b, &a->json_len));
	}
	return rc ? MSC_ENOMEM : MSC_OK;
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
		if (msc_buf_append(&b, "{", 1) || w_key(&b, "rule", 1) || w_str(&b, in->id) ||
		    !(r->json_rule = keep(rules, &b, &r->json_rule_len)) || ask_fragments(rules, r, &b))
			goto out;
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

/* The caller's copy of what was written (msc_free() frees it). */
static int finish(msc_buf *b, int rc, char **out, size_t *length)
{
	if (rc) {
		msc_buf_free(b);
		return msc__fail(MSC_ENOMEM, "out of memory while writing JSON");
	}
	*out = b->data;
	if (length)
		*length = b->len;
	return MSC_OK;
}

MSC_EXTERN(int) msc_result_to_json(char **out, size_t *length, const msc_result *res)
{
	msc_buf b = {0};
	if (!out || !res)
		return msc__fail(MSC_EINVAL, "out or result is NULL");
	*out = NULL;
	return finish(&b, msc__result_write_json(&b, res), out, length);
}

/* A rule or instruction as msc_rules_to_json() lists it. */
static int w_rule(msc_buf *b, const msc_rule_info *ri)
{
	int rule = ri->kind == MSC_RULE;
	return msc_buf_append(b, "{", 1) || w_key(b, "id", 1) || w_str(b, ri->id) ||
	       (rule ? w_key(b, "severity", 0) || w_str(b, msc_verdict_name(ri->severity))
		     : w_key(b, "phase", 0) || w_str(b, ri->phase == MSC_BEFORE ? "before" : "after")) ||
	       w_key(b, "when", 0) || w_str(b, ri->condition) ||
	       w_key(b, rule ? "message" : "text", 0) || w_str(b, ri->message) ||
	       w_key(b, "sources", 0) || w_strings(b, ri->sources, ri->source_count) ||
	       w_key(b, "origin", 0) || w_str(b, ri->origin) ||
	       (ri->changed_by && (w_key(b, "changed_by", 0) || w_str(b, ri->changed_by) ||
				   w_key(b, "disabled", 0) || msc_buf_puts(b, ri->disabled ? "true" : "false") ||
				   w_key(b, "reason", 0) || w_str_or_null(b, ri->reason))) ||
	       msc_buf_append(b, "}", 1) ? MSC_ENOMEM : MSC_OK;
}

/* A fact's "fact", "type", "question", "values" and "accepts_never"
 * members, without the closing brace; `question` overrides the fact's. */
static int w_fact_members(msc_buf *b, const msc_fact_info *fi, const char *question)
{
	return msc_buf_append(b, "{", 1) || w_key(b, "fact", 1) || w_str(b, fi->path) ||
	       w_key(b, "type", 0) || w_str(b, fi->type) ||
	       (question && (w_key(b, "question", 0) || w_str(b, question))) ||
	       (fi->value_count && (w_key(b, "values", 0) || w_strings(b, fi->values, fi->value_count))) ||
	       (fi->accepts_never && (w_key(b, "accepts_never", 0) || msc_buf_puts(b, "true")))
		       ? MSC_ENOMEM : MSC_OK;
}

int msc__rules_write_json(msc_buf *b, const msc_rules *rules)
{
	size_t i, n;
	int k, rc = msc_buf_append(b, "{", 1) || w_key(b, "ruleset", 1) || w_ruleset(b, rules);

	/* the rules, then the instructions, each in table order */
	for (k = 0; !rc && k < 2; k++) {
		rc = w_key(b, k ? "instructions" : "rules", 0) || msc_buf_append(b, "[", 1);
		for (i = n = 0; !rc && i < rules->rule_count; i++) {
			const msc_rule_info *ri = &rules->rules[i].info;
			if ((ri->kind == MSC_INSTRUCTION) == k)
				rc = (n++ && msc_buf_append(b, ",", 1)) || w_rule(b, ri);
		}
		rc = rc || msc_buf_append(b, "]", 1);
	}
	rc = rc || w_key(b, "facts", 0) || msc_buf_append(b, "[", 1);
	for (i = 0; !rc && i < rules->fact_count; i++) {
		const msc_fact_info *fi = &rules->facts[i].info;
		rc = (i && msc_buf_append(b, ",", 1)) || w_fact_members(b, fi, fi->question) ||
		     msc_buf_append(b, "}", 1);
	}
	return rc || msc_buf_append(b, "]}", 2) ? MSC_ENOMEM : MSC_OK;
}

MSC_EXTERN(int) msc_rules_to_json(char **out, size_t *length, const msc_rules *rules)
{
	msc_buf b = {0};
	if (!out || !rules)
		return msc__fail(MSC_EINVAL, "out or rules is NULL");
	*out = NULL;
	return finish(&b, msc__rules_write_json(&b, rules), out, length);
}

/* One question per fact, in the order the screening first asks it, with
 * the question of the first rule that asks it and every rule that does. */
int msc__questions_write_json(msc_buf *b, const msc_rules *rules, const msc_result *res)
{
	size_t i, j, n = msc_result_missing_count(res), listed = 0;

	if (msc_buf_append(b, "[", 1))
		return MSC_ENOMEM;
	for (i = 0; i < n; i++) {
		const msc_missing *m = msc_result_missing(res, i);
		int fi = msc__rules_fact_index(rules, m->fact, strlen(m->fact)), first = 1;
		for (j = 0; j < i && first; j++)
			first = strcmp(msc_result_missing(res, j)->fact, m->fact) != 0;
		if (!first)
			continue;
		if ((listed++ && msc_buf_append(b, ",", 1)) ||
		    w_fact_members(b, &rules->facts[fi].info, m->question) || w_key(b, "rules", 0) ||
		    msc_buf_append(b, "[", 1))
			return MSC_ENOMEM;
		for (j = i; j < n; j++) {
			const msc_missing *o = msc_result_missing(res, j);
			if (strcmp(o->fact, m->fact) == 0 &&
			    ((j > i && msc_buf_append(b, ",", 1)) || w_str(b, o->rule)))
				return MSC_ENOMEM;
		}
		if (msc_buf_append(b, "]}", 2))
			return MSC_ENOMEM;
	}
	return msc_buf_append(b, "]", 1);
}

MSC_EXTERN(int) msc_questions_to_json(char **out, size_t *length, const msc_rules *rules,
				      const msc_record *rec)
{
	msc_buf b = {0};
	msc_result *res;
	int rc;

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
	rc = msc__questions_write_json(&b, rules, res);
	msc_result_free(res);
	return finish(&b, rc, out, length);
}
