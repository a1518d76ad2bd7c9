/*
 * Screening: evaluates every entry of the rule table against a record in
 * three-valued (Kleene) logic, then builds the result.
 *
 *   - a rule that is true becomes a finding, with the facts that made it so;
 *   - a rule that is unknown asks the questions of the facts that leave it
 *     unknown, if its severity is worse than every finding (only then can
 *     the answer change the verdict);
 *   - an instruction applies when its condition is true or unknown.
 *
 * The verdict is the worst finding, or incomplete while a question is open.
 *
 * The conditions are not walked as trees: the rule set holds them compiled
 * to one flat program (rules/ruleset.c, internal.h's msc_op), which run()
 * executes once per screening; the rest reads each node's value from its
 * slot. msc__eval, the tree walk, is left for the list tests (a program's
 * leaves) and as the reference the programs are tested against.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

struct msc_result {
	const msc_rules *rules;
	msc_verdict verdict;
	size_t *pending;           /* rules left unknown, to ask their questions */
	size_t pending_cap;
	signed char *tri;          /* the value of each op of rules->ops (the table's program) */
	size_t tri_cap;
	unsigned *stamp;           /* per fact: last rule that asked it (+1) */
	size_t stamp_cap;
	msc_finding *findings;
	size_t *finding_start;     /* first because string of each finding */
	const msc_rule **finding_rule;
	size_t finding_count, finding_cap, start_cap, frule_cap;
	msc_missing *missing;
	struct missing_json {      /* per missing entry: for the JSON writer */
		const msc_rule *rule;
		const char *json;
		size_t len;
	} *missing_json;
	size_t missing_count, missing_cap, mjson_cap;
	msc_instruction *instr[2];
	const msc_rule **instr_rule[2];
	size_t instr_count[2], instr_cap[2], irule_cap[2];
	size_t *str_off;           /* because strings and unrecognised names, in text */
	size_t str_count, str_cap;
	const char **str;          /* resolved once the text buffer stops moving */
	size_t str_ptr_cap;
	size_t unrec_start[3], unrec_count[3];
	msc_override *overrides;
	size_t override_count, override_cap;
	msc_buf text;
};

/* ---------------------------------------------------------------- facts */

/* The yes/no, number and enum tests read a fact's msc_hot, and a number
 * its value; the list tests the list's entries and their normalised names
 * (internal.h). */
static inline int number_state(const msc_record *rec, int fi, double *d)
{
	const msc_hot *v;
	const msc_fact *f = &rec->rules->facts[fi];
	int st = msc__record_state(rec, fi, &v);
	if (st == MSC_VS_VALUE)
		*d = v->set ? rec->numbers[f->place] : f->default_number;
	else if (st == MSC_VS_NEVER)
		*d = INFINITY;
	return st;
}

static inline int enum_index(const msc_record *rec, int fi)
{
	const msc_hot *v;
	int st = msc__record_state(rec, fi, &v);
	if (st != MSC_VS_VALUE)
		return -1;
	return v->set ? v->u.enum_index : rec->rules->facts[fi].default_enum;
}

static inline const msc_region *list_value(const msc_record *rec, int fi)
{
	const msc_hot *v;
	return msc__record_state(rec, fi, &v) == MSC_VS_VALUE ? &rec->lists[rec->rules->facts[fi].place] : NULL;
}

static const char *entry_name(int table, int entry)
{
	if (table == MSC_LEX_NONE || entry < 0)
		return NULL;
	return msc__lex_tables[table][entry].name;
}

/* Can allergy x be the same substance as ingredient y? Each is a
 * normalised name and its look-up (table and entry). */
static int pair_match(const char *xnorm, int xt, int xe, const char *ynorm, int yt, int ye)
{
	const char *nx, *ny;
	if (xnorm[0] && xnorm[0] == ynorm[0] && strcmp(xnorm, ynorm) == 0)
		return MSC_YES;
	if (xt == MSC_LEX_INGREDIENT && yt == MSC_LEX_INGREDIENT)
		return msc_lex_ingredients_meet(xe, ye) ? MSC_YES : MSC_NO;
	nx = entry_name(xt, xe);
	ny = entry_name(yt, ye);
	if (!nx || !ny)
		return MSC_UNKNOWN; /* an unrecognised name cannot be ruled out */
	if (xt == yt) /* one table names each entry once */
		return xe == ye ? MSC_YES : MSC_NO;
	return strcmp(nx, ny) == 0 ? MSC_YES : MSC_NO;
}

/* Entry i of list a and entry j of list b. */
static int item_match(const msc_record *rec, const msc_region *a, size_t i, const msc_region *b, size_t j)
{
	const msc_item *x = &msc__list_items(rec, a)[i], *y = &msc__list_items(rec, b)[j];
	return pair_match(msc__list_str(rec, a, x->norm), x->table, x->entry, msc__list_str(rec, b, y->norm),
			  y->table, y->entry);
}

/* Entry i of list a and the name of node n. */
static int name_match(const msc_record *rec, const msc_region *a, size_t i, const msc_node *n)
{
	const msc_item *x = &msc__list_items(rec, a)[i];
	return pair_match(msc__list_str(rec, a, x->norm), x->table, x->entry, n->text, n->hit.table, n->hit.entry);
}

/* Whether entry i of list v meets a HAS_CLASS, HAS_UNRECOGNIZED or
 * HAS_NAME node. */
static int item_has(const msc_record *rec, const msc_region *v, size_t i, const msc_node *n)
{
	const msc_item *it = &msc__list_items(rec, v)[i];
	return (n->kind == MSC_N_HAS_CLASS && (it->classes & n->cls)) ||
	       (n->kind == MSC_N_HAS_UNRECOGNIZED && it->table == MSC_LEX_NONE) ||
	       (n->kind == MSC_N_HAS_NAME && name_match(rec, v, i, n) == MSC_YES);
}

/* ---------------------------------------------------------------- evaluation */

/* Kleene's and, or, not over MSC_YES, MSC_NO, MSC_UNKNOWN. An `and` whose
 * left side is no is no without its right side: both callers skip it, so
 * kleene_and() is only given an `a` that is yes or unknown. */
static inline int kleene_and(int a, int b)
{
	if (b == MSC_NO)
		return MSC_NO;
	return a == MSC_YES && b == MSC_YES ? MSC_YES : MSC_UNKNOWN;
}

static inline int kleene_or(int a, int b)
{
	if (a == MSC_YES || b == MSC_YES)
		return MSC_YES;
	return a == MSC_NO && b == MSC_NO ? MSC_NO : MSC_UNKNOWN;
}

static inline int kleene_not(int a)
{
	return a == MSC_UNKNOWN ? MSC_UNKNOWN : a == MSC_YES ? MSC_NO : MSC_YES;
}

/* The leaves that a program runs inline, shared with the tree walk. */
static inline int yesno_test(const msc_record *rec, int fact, int want)
{
	int a = msc__record_answer(rec, fact);
	return a == MSC_UNKNOWN ? MSC_UNKNOWN : a == want ? MSC_YES : MSC_NO;
}

static inline int enum_test(const msc_record *rec, int fact, uint64_t mask, int negate)
{
	int e = enum_index(rec, fact), in;
	if (e < 0)
		return MSC_UNKNOWN;
	in = (mask >> e) & 1;
	return (negate ? !in : in) ? MSC_YES : MSC_NO;
}

static int compare_test(const msc_record *rec, int fact, msc_cmp op, double number)
{
	double d = 0;
	int st = number_state(rec, fact, &d);
	if (st == MSC_VS_UNKNOWN)
		return MSC_UNKNOWN;
	if (st == MSC_VS_NONE)
		return MSC_NO;
	switch (op) {
	case MSC_LT: return d < number ? MSC_YES : MSC_NO;
	case MSC_LE: return d <= number ? MSC_YES : MSC_NO;
	case MSC_GT: return d > number ? MSC_YES : MSC_NO;
	case MSC_GE: return d >= number ? MSC_YES : MSC_NO;
	case MSC_EQ: return d == number ? MSC_YES : MSC_NO;
	default: return d != number ? MSC_YES : MSC_NO;
	}
}

/* The list conditions. */
static int eval_list(const msc_node *n, const msc_record *rec)
{
	size_t i, j;

	switch (n->kind) {
	case MSC_N_MATCH_LIST: {
		const msc_region *a = list_value(rec, n->fact), *b = list_value(rec, n->fact2);
		int undecided = 0;
		if ((a && a->count == 0) || (b && b->count == 0))
			return MSC_NO;
		if (!a || !b)
			return MSC_UNKNOWN;
		for (i = 0; i < a->count; i++)
			for (j = 0; j < b->count; j++) {
				int m = item_match(rec, a, i, b, j);
				if (m == MSC_YES)
					return MSC_YES;
				undecided |= m == MSC_UNKNOWN;
			}
		return undecided ? MSC_UNKNOWN : MSC_NO;
	}
	case MSC_N_MATCH_NAME: {
		const msc_region *a = list_value(rec, n->fact);
		int undecided = 0;
		if (!a)
			return MSC_UNKNOWN;
		for (i = 0; i < a->count; i++) {
			int m = name_match(rec, a, i, n);
			if (m == MSC_YES)
				return MSC_YES;
			undecided |= m == MSC_UNKNOWN;
		}
		return undecided ? MSC_UNKNOWN : MSC_NO;
	}
	default: { /* HAS_CLASS, HAS_UNRECOGNIZED, HAS_NAME */
		const msc_region *v = list_value(rec, n->fact);
		if (!v)
			return MSC_UNKNOWN;
		for (i = 0; i < v->count; i++)
			if (item_has(rec, v, i, n))
				return MSC_YES;
		return MSC_NO;
	}
	}
}

int msc__eval(const msc_node *n, const msc_record *rec)
{
	int a;

	switch (n->kind) {
	case MSC_N_ALWAYS:
		return MSC_YES;
	case MSC_N_AND:
		a = msc__eval(n->a, rec);
		return a == MSC_NO ? MSC_NO : kleene_and(a, msc__eval(n->b, rec));
	case MSC_N_OR:
		a = msc__eval(n->a, rec);
		return a == MSC_YES ? MSC_YES : kleene_or(a, msc__eval(n->b, rec));
	case MSC_N_NOT:
		return kleene_not(msc__eval(n->a, rec));
	case MSC_N_YESNO:
		return yesno_test(rec, n->fact, n->want);
	case MSC_N_COMPARE:
		return compare_test(rec, n->fact, n->op, n->number);
	case MSC_N_ENUM:
		return enum_test(rec, n->fact, n->mask, n->negate);
	case MSC_N_HAS_CLASS:
	case MSC_N_HAS_UNRECOGNIZED:
	case MSC_N_HAS_NAME:
	case MSC_N_MATCH_LIST:
	case MSC_N_MATCH_NAME:
		return eval_list(n, rec);
	}
	return MSC_UNKNOWN; /* no other kind is compiled */
}

/* Runs the table's program (see internal.h): every op's value into t. */
static void run(const msc_op *ops, size_t n, signed char *t, const msc_record *rec)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const msc_op *op = &ops[i];
		int v;
		switch ((msc_op_code)op->code) {
		case MSC_OP_YES:
			v = MSC_YES;
			break;
		case MSC_OP_YESNO:
			v = yesno_test(rec, op->fact, op->arg);
			break;
		case MSC_OP_ENUM:
			v = enum_test(rec, op->fact, op->u.mask, op->arg);
			break;
		case MSC_OP_COMPARE:
			v = compare_test(rec, op->fact, (msc_cmp)op->arg, op->u.number);
			break;
		case MSC_OP_AND:
			v = kleene_and(t[op->u.s.a], t[op->u.s.b]);
			break;
		case MSC_OP_OR:
			v = kleene_or(t[op->u.s.a], t[op->u.s.b]);
			break;
		case MSC_OP_NOT:
			v = kleene_not(t[op->u.s.a]);
			break;
		case MSC_OP_SKIP_IF_NO:
			if (t[op->u.s.a] == MSC_NO) {
				i = op->u.s.b;
				t[i] = MSC_NO;
			}
			continue;
		default: /* MSC_OP_NODE */
			v = msc__eval(op->u.node, rec);
			break;
		}
		t[i] = (signed char)v;
	}
}

/* ---------------------------------------------------------------- result text */

static int push_str_begin(msc_result *r)
{
	void *arr = r->str_off;
	if (msc__grow(&arr, &r->str_cap, r->str_count + 1, sizeof(size_t)))
		return MSC_ENOMEM;
	r->str_off = arr;
	r->str_off[r->str_count] = r->text.len;
	return MSC_OK;
}

static int push_str_end(msc_result *r)
{
	/* strings are NUL-separated in the text buffer */
	if (msc_buf_append(&r->text, "", 1))
		return MSC_ENOMEM;
	r->str_count++;
	return MSC_OK;
}

/* One string of the result from its parts, a NULL-terminated list:
 * concatenation only, no format to parse (this is the hot path). */
static int push_parts(msc_result *r, ...)
{
	va_list ap;
	const char *s;
	int rc = push_str_begin(r);
	va_start(ap, r);
	while (!rc && (s = va_arg(ap, const char *)) != NULL)
		rc = msc_buf_puts(&r->text, s);
	va_end(ap);
	return rc || push_str_end(r);
}

#define PUSH(r, ...) push_parts(r, __VA_ARGS__, (const char *)NULL)

static int push_one(msc_result *r, const char *s)
{
	return push_str_begin(r) || msc_buf_append(&r->text, s, strlen(s) + 1) ? MSC_ENOMEM
									       : (r->str_count++, MSC_OK);
}

static const char *fact_path(const msc_record *rec, int fi)
{
	return rec->rules->facts[fi].info.path;
}

/* The number as "%g" writes it, made when a "because" string says it
 * (setting a number stays free of printf); a whole number below a million
 * (what records mostly hold: months, millimetres) without printf. */
static void number_text(char *out, size_t size, double value)
{
	char digits[8];
	size_t n = 0;
	unsigned long u;

	if (!(value >= 0 && value < 1e6) || value != floor(value) || (value == 0 && signbit(value))) {
		snprintf(out, size, "%g", value);
		return;
	}
	u = (unsigned long)value;
	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		*out++ = digits[--n];
	*out = '\0';
}

/* "patient.pregnant = yes", "plan.area = scalp", ... */
static int describe_fact(msc_result *r, const msc_record *rec, int fi)
{
	const msc_fact *f = &rec->rules->facts[fi];
	const msc_hot *h = &rec->hot[fi];
	const msc_region *v;
	double d = 0;

	switch (f->type) {
	case MSC_FT_YESNO: {
		int a = msc__record_answer(rec, fi);
		if (h->coded) {
			int answered_no = h->set && h->state == MSC_VS_VALUE && h->u.answer == MSC_NO, from = -1;
			const char *code = msc__record_coded_by(rec, fi, &from);
			return PUSH(r, fact_path(rec, from), ": \"", code, "\" sets ", f->info.path,
				    " = yes", answered_no ? " (answered no; the code wins)" : "");
		}
		return push_one(r, f->said[a == MSC_UNKNOWN ? 2 : a]);
	}
	case MSC_FT_NUMBER: {
		int st = number_state(rec, fi, &d);
		char num[32];
		if (st == MSC_VS_VALUE) {
			number_text(num, sizeof(num), d);
			return PUSH(r, f->info.path, " = ", num);
		}
		return PUSH(r, f->info.path, " = ", st == MSC_VS_NEVER ? "never" :
			    st == MSC_VS_NONE ? "not given" : "unknown");
	}
	case MSC_FT_ENUM: {
		int e = enum_index(rec, fi);
		return push_one(r, f->said[e < 0 ? f->info.value_count : (size_t)e]);
	}
	default: {
		char num[32];
		v = list_value(rec, fi);
		if (!v)
			return PUSH(r, f->info.path, " unknown");
		snprintf(num, sizeof(num), "%zu", (size_t)v->count);
		return PUSH(r, f->info.path, ": ", num, v->count == 1 ? " entry" : " entries");
	}
	}
}

/* "patient.medications: "Xarelto 20mg" is rivaroxaban (ATC B01AF01), class anticoagulant" */
static int describe_item(msc_result *r, const msc_record *rec, int fi, const msc_region *v, size_t i,
			 const char *what, const char *what2)
{
	const msc_item *it = &msc__list_items(rec, v)[i];
	const char *name = entry_name(it->table, it->entry), *text = msc__list_str(rec, v, it->text);
	const char *atc = it->table == MSC_LEX_MEDICATION && it->entry >= 0 ?
			  msc__lex_tables[MSC_LEX_MEDICATION][it->entry].atc : NULL;
	if (!atc && it->atc)
		atc = msc__item_atc(rec->pool.data + v->off, it);
	if (name && atc)
		return PUSH(r, fact_path(rec, fi), ": \"", text, "\" is ", name, " (ATC ", atc, ")", what, what2);
	if (name)
		return PUSH(r, fact_path(rec, fi), ": \"", text, "\" is ", name, what, what2);
	if (atc)
		return PUSH(r, fact_path(rec, fi), ": \"", text, "\" is ATC ", atc, what, what2);
	return PUSH(r, fact_path(rec, fi), ": \"", text, "\"", what, what2);
}

static int because(msc_result *r, const msc_node *n, const msc_record *rec);

static int because_facts(msc_result *r, const msc_node *n, const msc_record *rec)
{
	/* every fact under a negation, with its value */
	if (!n)
		return MSC_OK;
	if (n->kind == MSC_N_AND || n->kind == MSC_N_OR || n->kind == MSC_N_NOT)
		return because_facts(r, n->a, rec) || because_facts(r, n->b, rec);
	if (n->fact >= 0 && describe_fact(r, rec, n->fact))
		return MSC_ENOMEM;
	if (n->fact2 >= 0 && describe_fact(r, rec, n->fact2))
		return MSC_ENOMEM;
	return MSC_OK;
}

static int because(msc_result *r, const msc_node *n, const msc_record *rec)
{
	size_t i, j;
	const char *what = "", *what2 = "";

	switch (n->kind) {
	case MSC_N_ALWAYS:
		return MSC_OK;
	case MSC_N_AND:
	case MSC_N_OR:
		if (r->tri[n->a->slot] == MSC_YES && because(r, n->a, rec))
			return MSC_ENOMEM;
		if (r->tri[n->b->slot] == MSC_YES && because(r, n->b, rec))
			return MSC_ENOMEM;
		return MSC_OK;
	case MSC_N_NOT:
		return because_facts(r, n->a, rec);
	case MSC_N_YESNO:
	case MSC_N_COMPARE:
	case MSC_N_ENUM:
		return describe_fact(r, rec, n->fact);
	case MSC_N_HAS_CLASS:
	case MSC_N_HAS_UNRECOGNIZED:
	case MSC_N_HAS_NAME: {
		const msc_region *v = list_value(rec, n->fact);
		if (n->kind == MSC_N_HAS_CLASS) {
			what = ", class ";
			what2 = n->text;
		} else if (n->kind == MSC_N_HAS_UNRECOGNIZED) {
			what = " is not in the lexicon";
		}
		for (i = 0; v && i < v->count; i++)
			if (item_has(rec, v, i, n) && describe_item(r, rec, n->fact, v, i, what, what2))
				return MSC_ENOMEM;
		return MSC_OK;
	}
	case MSC_N_MATCH_LIST: {
		const msc_region *a = list_value(rec, n->fact), *b = list_value(rec, n->fact2);
		for (i = 0; a && b && i < a->count; i++)
			for (j = 0; j < b->count; j++)
				if (item_match(rec, a, i, b, j) == MSC_YES &&
				    PUSH(r, fact_path(rec, n->fact), ": \"", msc__list_text(rec, a, i), "\" matches ",
					 fact_path(rec, n->fact2), ": \"", msc__list_text(rec, b, j), "\""))
					return MSC_ENOMEM;
		return MSC_OK;
	}
	default: { /* MSC_N_MATCH_NAME: the last kind */
		const msc_region *a = list_value(rec, n->fact);
		for (i = 0; a && i < a->count; i++)
			if (name_match(rec, a, i, n) == MSC_YES &&
			    PUSH(r, fact_path(rec, n->fact), ": \"", msc__list_text(rec, a, i), "\" matches \"", n->text,
				 "\""))
				return MSC_ENOMEM;
		return MSC_OK;
	}
	}
}

/* ---------------------------------------------------------------- missing */

static int add_missing(msc_result *r, const msc_rule *rule, unsigned stamp, int fi)
{
	void *arr;
	if (fi < 0 || r->stamp[fi] == stamp)
		return MSC_OK;
	r->stamp[fi] = stamp;
	arr = r->missing;
	if (msc__grow(&arr, &r->missing_cap, r->missing_count + 1, sizeof(msc_missing)))
		return MSC_ENOMEM;
	r->missing = arr;
	arr = r->missing_json;
	if (msc__grow(&arr, &r->mjson_cap, r->missing_count + 1, sizeof(*r->missing_json)))
		return MSC_ENOMEM;
	r->missing_json = arr;
	r->missing[r->missing_count].rule = rule->info.id;
	r->missing[r->missing_count].fact = r->rules->facts[fi].info.path;
	r->missing[r->missing_count].question =
		msc__rule_question(r->rules, rule, fi, &r->missing_json[r->missing_count].json,
				   &r->missing_json[r->missing_count].len);
	r->missing_json[r->missing_count].rule = rule;
	r->missing_count++;
	return MSC_OK;
}

static int has_unrecognized(const msc_record *rec, const msc_region *v)
{
	size_t i;
	for (i = 0; v && i < v->count; i++)
		if (msc__list_items(rec, v)[i].table == MSC_LEX_NONE)
			return 1;
	return 0;
}

/* The facts that leave an unknown node unknown. */
static int missing(msc_result *r, const msc_node *n, const msc_record *rec, const msc_rule *rule,
		   unsigned stamp)
{
	switch (n->kind) {
	case MSC_N_AND:
	case MSC_N_OR:
		if (r->tri[n->a->slot] == MSC_UNKNOWN && missing(r, n->a, rec, rule, stamp))
			return MSC_ENOMEM;
		if (r->tri[n->b->slot] == MSC_UNKNOWN && missing(r, n->b, rec, rule, stamp))
			return MSC_ENOMEM;
		return MSC_OK;
	case MSC_N_NOT:
		return missing(r, n->a, rec, rule, stamp);
	case MSC_N_MATCH_LIST: {
		const msc_region *a = list_value(rec, n->fact), *b = list_value(rec, n->fact2);
		if ((!a || has_unrecognized(rec, a)) && add_missing(r, rule, stamp, n->fact))
			return MSC_ENOMEM;
		if ((!b || has_unrecognized(rec, b)) && add_missing(r, rule, stamp, n->fact2))
			return MSC_ENOMEM;
		return MSC_OK;
	}
	default:
		return add_missing(r, rule, stamp, n->fact);
	}
}

/* ---------------------------------------------------------------- screen */

static void empty(msc_result *r)
{
	r->finding_count = r->missing_count = r->str_count = r->override_count = 0;
	r->instr_count[0] = r->instr_count[1] = 0;
	memset(r->unrec_start, 0, sizeof(r->unrec_start));
	memset(r->unrec_count, 0, sizeof(r->unrec_count));
	r->text.len = 0;
}

static int add_finding(msc_result *r, const msc_rule *rule, const msc_record *rec, int depth)
{
	msc_finding *f;
	void *arr = r->findings;
	if (msc__grow(&arr, &r->finding_cap, r->finding_count + 1, sizeof(msc_finding)))
		return MSC_ENOMEM;
	r->findings = arr;
	arr = r->finding_start;
	if (msc__grow(&arr, &r->start_cap, r->finding_count + 1, sizeof(size_t)))
		return MSC_ENOMEM;
	r->finding_start = arr;
	arr = (void *)r->finding_rule;
	if (msc__grow(&arr, &r->frule_cap, r->finding_count + 1, sizeof(msc_rule *)))
		return MSC_ENOMEM;
	r->finding_rule = arr;
	r->finding_rule[r->finding_count] = rule;
	f = &r->findings[r->finding_count];
	f->rule = rule->info.id;
	f->severity = rule->info.severity;
	f->message = rule->info.message;
	f->sources = rule->info.sources;
	f->source_count = rule->info.source_count;
	r->finding_start[r->finding_count] = r->str_count;
	if (depth == MSC__SCREEN_FULL && rule->when && because(r, rule->when, rec))
		return MSC_ENOMEM;
	f->because_count = r->str_count - r->finding_start[r->finding_count];
	r->finding_count++;
	return MSC_OK;
}

/* Room for every instruction of the table is made before the pass. */
static void add_instruction(msc_result *r, const msc_rule *rule)
{
	int ph = rule->info.phase == MSC_AFTER;
	msc_instruction *in = &r->instr[ph][r->instr_count[ph]];
	r->instr_rule[ph][r->instr_count[ph]++] = rule;
	in->id = rule->info.id;
	in->phase = rule->info.phase;
	in->text = rule->info.message;
}

/* A clinic change that affects this result: the rule's condition is true or unknown. */
static int add_override(msc_result *r, const msc_rule *rule)
{
	void *arr = r->overrides;
	msc_override *o;
	if (msc__grow(&arr, &r->override_cap, r->override_count + 1, sizeof(msc_override)))
		return MSC_ENOMEM;
	r->overrides = arr;
	o = &r->overrides[r->override_count++];
	o->rule = rule->info.id;
	o->action = rule->info.disabled ? "disabled" : "overridden";
	o->reason = rule->info.reason;
	o->changed_by = rule->info.changed_by;
	return MSC_OK;
}

static int add_unrecognized(msc_result *r, const msc_record *rec)
{
	const msc_rules *rules = rec->rules;
	size_t k, l, i;
	for (k = 0; k < 3; k++) {
		r->unrec_start[k] = r->str_count;
		for (l = rules->name_start[k]; l < rules->name_start[k + 1]; l++) {
			const msc_region *v = list_value(rec, rules->name_facts[l]);
			for (i = 0; v && i < v->count; i++) {
				const msc_item *it = &msc__list_items(rec, v)[i];
				if (it->table == MSC_LEX_NONE && push_one(r, msc__list_str(rec, v, it->text)))
					return MSC_ENOMEM;
			}
		}
		r->unrec_count[k] = r->str_count - r->unrec_start[k];
	}
	return MSC_OK;
}

static int resolve(msc_result *r)
{
	size_t i;
	void *arr = (void *)r->str;
	if (msc__grow(&arr, &r->str_ptr_cap, r->str_count, sizeof(char *)))
		return MSC_ENOMEM;
	r->str = arr;
	for (i = 0; i < r->str_count; i++)
		r->str[i] = r->text.data + r->str_off[i];
	for (i = 0; i < r->finding_count; i++)
		r->findings[i].because = r->findings[i].because_count ? &r->str[r->finding_start[i]] : NULL;
	return MSC_OK;
}

static void prefetch(const void *from, const void *to)
{
	const char *p = (const char *)((uintptr_t)from & ~(uintptr_t)63);
	for (; p < (const char *)to; p += 64)
		MSC_PREFETCH(p);
}

/* How far into a record's block a screening reads: as far as the average
 * record's lists reach. */
static const char *block_end(const msc_record *rec, const msc_rules *rules)
{
	return (const char *)rec + msc__record_layout(rules).pool + MSC_POOL_INLINE / 2;
}

/* The lines of a record's block a screening reads, asked for without
 * reading the record. */
void msc__record_prefetch_block(const msc_record *rec, const msc_rules *rules)
{
	prefetch(rec, block_end(rec, rules));
}

/* What the record's lists need beyond that (reads the record's header:
 * ask for its block first). */
void msc__record_prefetch_lists(const msc_record *rec, const msc_rules *rules)
{
	const char *end = block_end(rec, rules);

	if (rec->pool.own)
		prefetch(rec->pool.data, rec->pool.data + rec->pool.len);
	else if ((const char *)rec->pool.data + rec->pool.len > end)
		prefetch(end, rec->pool.data + rec->pool.len);
}

static int screen(msc_result *r, const msc_rules *rules, const msc_record *rec, int depth)
{
	/* in locals: the result's arrays written in the loop could alias them */
	const msc_rule *table = rules->rules;
	const uint32_t *conds = rules->conds;
	size_t i, count = rules->rule_count, npending = 0;
	const signed char *t;
	int ph;
	msc_verdict worst = MSC_CLEAR;
	void *arr;

	arr = r->pending;
	if (msc__grow(&arr, &r->pending_cap, rules->rule_count, sizeof(size_t)))
		return MSC_ENOMEM;
	r->pending = arr;
	arr = r->tri;
	if (msc__grow(&arr, &r->tri_cap, rules->op_count, 1))
		return MSC_ENOMEM;
	r->tri = arr;
	arr = r->stamp;
	if (msc__grow(&arr, &r->stamp_cap, rules->fact_count, sizeof(unsigned)))
		return MSC_ENOMEM;
	r->stamp = arr;
	memset(r->stamp, 0, rules->fact_count * sizeof(unsigned));
	for (ph = 0; ph < 2; ph++) {
		arr = r->instr[ph];
		if (msc__grow(&arr, &r->instr_cap[ph], rules->phase_rules[ph], sizeof(msc_instruction)))
			return MSC_ENOMEM;
		r->instr[ph] = arr;
		arr = (void *)r->instr_rule[ph];
		if (msc__grow(&arr, &r->irule_cap[ph], rules->phase_rules[ph], sizeof(msc_rule *)))
			return MSC_ENOMEM;
		r->instr_rule[ph] = arr;
	}
	/* the block's lines asked for at once before the record is read,
	 * then what its lists need beyond */
	msc__record_prefetch_block(rec, rules);
	msc__record_prefetch_lists(rec, rules);
	run(rules->ops, rules->op_count, r->tri, rec);
	t = r->tri;
	/* one pass in table order: findings, instructions, clinic changes;
	 * the rules left unknown wait for the worst finding to be known */
	for (i = 0; i < count; i++) {
		const msc_rule *rule;
		int tri = t[conds[i]];
		if (tri == MSC_NO)
			continue;
		rule = &table[i];
		if (rule->info.changed_by && add_override(r, rule))
			return MSC_ENOMEM;
		if (rule->info.disabled)
			continue;
		if (rule->info.kind == MSC_INSTRUCTION) {
			add_instruction(r, rule);
		} else if (tri == MSC_YES) {
			if (add_finding(r, rule, rec, depth))
				return MSC_ENOMEM;
			if (rule->info.severity > worst)
				worst = rule->info.severity;
		} else {
			r->pending[npending++] = i;
		}
	}
	/* only an answer that could make the verdict worse is worth asking
	 * (for the verdict alone, one question is enough to know it is open) */
	for (i = 0; i < npending && !(depth == MSC__SCREEN_VERDICT && r->missing_count); i++) {
		const msc_rule *rule = &rules->rules[r->pending[i]];
		if (rule->info.severity > worst && missing(r, rule->when, rec, rule, (unsigned)r->pending[i] + 1))
			return MSC_ENOMEM;
	}
	if ((depth == MSC__SCREEN_FULL && add_unrecognized(r, rec)) || resolve(r))
		return MSC_ENOMEM;
	r->verdict = worst;
	if (r->missing_count && worst < MSC_INCOMPLETE)
		r->verdict = MSC_INCOMPLETE;
	return MSC_OK;
}

int msc__screen(msc_result *r, const msc_rules *rules, const msc_record *rec, int depth)
{
	int rc;
	if (!r || !rules || !rec)
		return msc__fail(MSC_EINVAL, "result, rules or record is NULL");
	empty(r);
	r->rules = rules;
	r->verdict = MSC_INCOMPLETE;
	if (rec->rules != rules)
		return msc__fail(MSC_EINVAL, "the record was made for another rule set");
	rc = screen(r, rules, rec, depth);
	if (rc) {
		/* never a half-built result, never clear */
		empty(r);
		r->verdict = MSC_INCOMPLETE;
		return msc__fail(MSC_ENOMEM, "out of memory while screening");
	}
	return MSC_OK;
}

MSC_EXTERN(int) msc_screen(msc_result *r, const msc_rules *rules, const msc_record *rec)
{
	return msc__screen(r, rules, rec, MSC__SCREEN_FULL);
}

/* ---------------------------------------------------------------- accessors */

MSC_EXTERN(int) msc_result_new(msc_result **out)
{
	if (!out)
		return msc__fail(MSC_EINVAL, "out is NULL");
	*out = msc__calloc(1, sizeof(msc_result));
	if (!*out)
		return msc__fail(MSC_ENOMEM, "out of memory");
	(*out)->verdict = MSC_INCOMPLETE;
	return MSC_OK;
}

MSC_EXTERN(void) msc_result_free(msc_result *r)
{
	if (!r)
		return;
	msc__free(r->pending);
	msc__free(r->tri);
	msc__free(r->stamp);
	msc__free(r->findings);
	msc__free(r->finding_start);
	msc__free((void *)r->finding_rule);
	msc__free((void *)r->instr_rule[0]);
	msc__free((void *)r->instr_rule[1]);
	msc__free(r->missing);
	msc__free(r->missing_json);
	msc__free(r->overrides);
	msc__free(r->instr[0]);
	msc__free(r->instr[1]);
	msc__free(r->str_off);
	msc__free((void *)r->str);
	msc_buf_free(&r->text);
	msc__free(r);
}

MSC_EXTERN(msc_verdict) msc_result_verdict(const msc_result *r)
{
	return r ? r->verdict : MSC_INCOMPLETE;
}

const msc_rule *msc__result_finding_rule(const msc_result *r, size_t i)
{
	return r->finding_rule[i];
}

const msc_rule *msc__result_missing_json(const msc_result *r, size_t i, const char **json, size_t *len)
{
	*json = r->missing_json[i].json;
	*len = r->missing_json[i].len;
	return r->missing_json[i].rule;
}

const msc_rule *msc__result_instruction_rule(const msc_result *r, int after, size_t i)
{
	return r->instr_rule[after != 0][i];
}

const msc_rules *msc__result_rules(const msc_result *r)
{
	return r->rules;
}

MSC_EXTERN(const char *) msc_result_ruleset_name(const msc_result *r)
{
	return r && r->rules ? r->rules->name : NULL;
}

MSC_EXTERN(const char *) msc_result_ruleset_version(const msc_result *r)
{
	return r && r->rules ? r->rules->version : NULL;
}

MSC_EXTERN(size_t) msc_result_finding_count(const msc_result *r)
{
	return r ? r->finding_count : 0;
}

MSC_EXTERN(const msc_finding *) msc_result_finding(const msc_result *r, size_t i)
{
	return r && i < r->finding_count ? &r->findings[i] : NULL;
}

MSC_EXTERN(size_t) msc_result_missing_count(const msc_result *r)
{
	return r ? r->missing_count : 0;
}

MSC_EXTERN(const msc_missing *) msc_result_missing(const msc_result *r, size_t i)
{
	return r && i < r->missing_count ? &r->missing[i] : NULL;
}

MSC_EXTERN(size_t) msc_result_instruction_count(const msc_result *r, msc_phase phase)
{
	if (!r || (phase != MSC_BEFORE && phase != MSC_AFTER))
		return 0;
	return r->instr_count[phase == MSC_AFTER];
}

MSC_EXTERN(const msc_instruction *) msc_result_instruction(const msc_result *r, msc_phase phase, size_t i)
{
	if (!r || (phase != MSC_BEFORE && phase != MSC_AFTER) || i >= r->instr_count[phase == MSC_AFTER])
		return NULL;
	return &r->instr[phase == MSC_AFTER][i];
}

MSC_EXTERN(size_t) msc_result_override_count(const msc_result *r)
{
	return r ? r->override_count : 0;
}

MSC_EXTERN(const msc_override *) msc_result_override(const msc_result *r, size_t i)
{
	return r && i < r->override_count ? &r->overrides[i] : NULL;
}

MSC_EXTERN(size_t) msc_result_unrecognized_count(const msc_result *r, msc_list list)
{
	if (!r || (unsigned)list > 2)
		return 0;
	return r->unrec_count[list];
}

MSC_EXTERN(const char *) msc_result_unrecognized(const msc_result *r, msc_list list, size_t i)
{
	if (!r || (unsigned)list > 2 || i >= r->unrec_count[list])
		return NULL;
	return r->str[r->unrec_start[list] + i];
}
