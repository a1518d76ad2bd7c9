/* The compiled rule set: immutable once built, shared by every thread. */
#include <string.h>

#include "internal.h"

MSC_EXTERN(void) msc_rules_free(msc_rules *rules)
{
	if (!rules)
		return;
	msc__free(rules->name);
	msc__free(rules->version);
	msc__free(rules->facts);
	msc__free(rules->files);
	msc__free(rules->code_facts);
	msc__free(rules->fact_slots);
	msc__free(rules->list_facts);
	msc__free(rules->name_facts);
	msc__free(rules->rules);
	msc__free(rules->ops);
	msc__free(rules->conds);
	msc_arena_free(&rules->arena);
	msc__free(rules);
}

MSC_EXTERN(const char *) msc_rules_name(const msc_rules *rules)
{
	return rules ? rules->name : NULL;
}

MSC_EXTERN(const char *) msc_rules_version(const msc_rules *rules)
{
	return rules ? rules->version : NULL;
}

MSC_EXTERN(size_t) msc_rules_file_count(const msc_rules *rules)
{
	return rules ? rules->file_count : 0;
}

MSC_EXTERN(const msc_rules_file *) msc_rules_file_get(const msc_rules *rules, size_t index)
{
	return rules && index < rules->file_count ? &rules->files[index] : NULL;
}

MSC_EXTERN(size_t) msc_rules_count(const msc_rules *rules)
{
	return rules ? rules->rule_count : 0;
}

MSC_EXTERN(const msc_rule_info *) msc_rules_get(const msc_rules *rules, size_t index)
{
	return rules && index < rules->rule_count ? &rules->rules[index].info : NULL;
}

MSC_EXTERN(const msc_rule_info *) msc_rules_find(const msc_rules *rules, const char *id)
{
	size_t i;
	if (!rules || !id)
		return NULL;
	for (i = 0; i < rules->rule_count; i++)
		if (strcmp(rules->rules[i].info.id, id) == 0)
			return &rules->rules[i].info;
	return NULL;
}

MSC_EXTERN(size_t) msc_rules_fact_count(const msc_rules *rules)
{
	return rules ? rules->fact_count : 0;
}

MSC_EXTERN(const msc_fact_info *) msc_rules_fact(const msc_rules *rules, size_t index)
{
	return rules && index < rules->fact_count ? &rules->facts[index].info : NULL;
}

static uint32_t hash_name(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t i;
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* A slot holds (fact << 1 | by_bare_name) + 1; 0 is empty. */
static int slot_matches(const msc_rules *rules, unsigned slot, const char *name, size_t len)
{
	const msc_fact *f = &rules->facts[(slot - 1) >> 1];
	const char *key = ((slot - 1) & 1) ? f->name : f->info.path;
	return strlen(key) == len && memcmp(key, name, len) == 0;
}

static int scan_fact(const msc_rules *rules, const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < rules->fact_count; i++) {
		const msc_fact *f = &rules->facts[i];
		if ((strlen(f->info.path) == len && memcmp(f->info.path, name, len) == 0) ||
		    (strlen(f->name) == len && memcmp(f->name, name, len) == 0))
			return (int)i;
	}
	return -1;
}

int msc__rules_fact_index(const msc_rules *rules, const char *name, size_t len)
{
	size_t i;
	if (!rules->fact_slots) /* still compiling */
		return scan_fact(rules, name, len);
	for (i = hash_name(name, len) & rules->fact_slot_mask; rules->fact_slots[i];
	     i = (i + 1) & rules->fact_slot_mask)
		if (slot_matches(rules, rules->fact_slots[i], name, len))
			return (int)((rules->fact_slots[i] - 1) >> 1);
	return -1;
}

/* ---------------------------------------------------------------- programs */

static size_t node_ops(const msc_node *n)
{
	switch (n->kind) {
	case MSC_N_AND: /* with its skip */
		return node_ops(n->a) + node_ops(n->b) + 2;
	case MSC_N_OR:
		return node_ops(n->a) + node_ops(n->b) + 1;
	case MSC_N_NOT:
		return node_ops(n->a) + 1;
	default:
		return 1;
	}
}

/* Appends the ops of n at ops[*k...] in postfix order (recursion as deep
 * as the condition, at most MSC_MAX_NODES, as copy_node's); returns its slot. */
static unsigned emit(msc_op *ops, size_t *k, msc_node *n)
{
	unsigned a = 0, b = 0, skip = 0;
	msc_op *op;

	if (n->kind == MSC_N_AND || n->kind == MSC_N_OR) {
		a = emit(ops, k, n->a);
		if (n->kind == MSC_N_AND) { /* no: its right side need not run */
			skip = (unsigned)(*k)++;
			ops[skip].code = MSC_OP_SKIP_IF_NO;
			ops[skip].u.s.a = a;
		}
		b = emit(ops, k, n->b);
	} else if (n->kind == MSC_N_NOT) {
		a = emit(ops, k, n->a);
	}
	n->slot = (unsigned)*k;
	op = &ops[(*k)++];
	op->fact = n->fact;
	switch (n->kind) {
	case MSC_N_AND:
		ops[skip].u.s.b = n->slot;
		op->code = MSC_OP_AND;
		op->u.s.a = a;
		op->u.s.b = b;
		break;
	case MSC_N_OR:
		op->code = MSC_OP_OR;
		op->u.s.a = a;
		op->u.s.b = b;
		break;
	case MSC_N_NOT:
		op->code = MSC_OP_NOT;
		op->u.s.a = a;
		break;
	case MSC_N_YESNO:
		op->code = MSC_OP_YESNO;
		op->arg = (unsigned char)n->want;
		break;
	case MSC_N_ENUM:
		op->code = MSC_OP_ENUM;
		op->arg = n->negate != 0;
		op->u.mask = n->mask;
		break;
	case MSC_N_COMPARE:
		op->code = MSC_OP_COMPARE;
		op->arg = (unsigned char)n->op;
		op->u.number = n->number;
		break;
	default: /* the list tests and `always`: the tree walk's leaf */
		op->code = MSC_OP_NODE;
		op->u.node = n;
		break;
	}
	return n->slot;
}

/* The rule table as one program: op 0 is yes, then each condition. */
static int compile_programs(msc_rules *rules)
{
	size_t i, k = 1;

	msc__free(rules->ops);
	msc__free(rules->conds);
	rules->conds = NULL;
	rules->op_count = 1;
	for (i = 0; i < rules->rule_count; i++)
		rules->op_count += rules->rules[i].when ? node_ops(rules->rules[i].when) : 0;
	rules->ops = msc__calloc(rules->op_count, sizeof(msc_op));
	rules->conds = msc__calloc(rules->rule_count + 1, sizeof(uint32_t));
	if (!rules->ops || !rules->conds || rules->op_count > UINT32_MAX)
		return MSC_ENOMEM;
	rules->ops[0].code = MSC_OP_YES;
	rules->phase_rules[0] = rules->phase_rules[1] = 0;
	for (i = 0; i < rules->rule_count; i++) {
		msc_rule *r = &rules->rules[i];
		r->cond = r->when ? emit(rules->ops, &k, r->when) : 0;
		rules->conds[i] = (uint32_t)r->cond;
		if (r->info.kind == MSC_INSTRUCTION)
			rules->phase_rules[r->info.phase == MSC_AFTER]++;
	}
	return MSC_OK;
}

int msc__rules_finish(msc_rules *rules)
{
	size_t k, i, size = 16;

	msc__free(rules->code_facts);
	msc__free(rules->fact_slots);
	msc__free(rules->list_facts);
	msc__free(rules->name_facts);
	rules->code_facts = NULL;
	rules->fact_slots = NULL;
	rules->list_facts = NULL;
	rules->name_facts = NULL;
	rules->list_fact_count = rules->number_fact_count = 0;
	/* the list facts, for the loops over lists only; the lists of names by
	 * kind, as a result reports the unrecognised ones */
	rules->list_facts = msc__calloc(rules->fact_count + 1, sizeof(int));
	rules->name_facts = msc__calloc(rules->fact_count + 1, sizeof(int));
	if (!rules->list_facts || !rules->name_facts)
		return MSC_ENOMEM;
	/* a number's and a list's place in a record (internal.h) */
	for (i = 0; i < rules->fact_count; i++) {
		msc_fact *f = &rules->facts[i];
		f->place = -1;
		if (MSC_FT_IS_LIST(f->type)) {
			f->place = (int)rules->list_fact_count;
			rules->list_facts[rules->list_fact_count++] = (int)i;
		} else if (f->type == MSC_FT_NUMBER) {
			f->place = (int)rules->number_fact_count++;
		}
	}
	{
		static const msc_fact_type kinds[3] = { MSC_FT_MEDICATIONS, MSC_FT_ALLERGIES, MSC_FT_INGREDIENTS };
		size_t n = 0;
		for (k = 0; k < 3; k++) {
			rules->name_start[k] = n;
			for (i = 0; i < rules->fact_count; i++)
				if (rules->facts[i].type == kinds[k])
					rules->name_facts[n++] = (int)i;
		}
		rules->name_start[3] = n;
	}
	/* what a result says of each yes/no and enum value */
	for (i = 0; i < rules->fact_count; i++) {
		msc_fact *f = &rules->facts[i];
		size_t n = f->type == MSC_FT_YESNO ? 3 : f->type == MSC_FT_ENUM ? f->info.value_count + 1 : 0;
		f->said = NULL;
		if (!n)
			continue;
		f->said = msc_arena_alloc(&rules->arena, n * sizeof(char *));
		if (!f->said)
			return MSC_ENOMEM;
		for (k = 0; k < n; k++) {
			static const char *const yesno[3] = { "no", "yes", "unknown" };
			const char *v = f->type == MSC_FT_YESNO ? yesno[k] : k + 1 < n ? f->info.values[k] : "unknown";
			size_t pl = strlen(f->info.path), vl = strlen(v);
			char *t = msc_arena_alloc(&rules->arena, pl + 3 + vl + 1);
			if (!t)
				return MSC_ENOMEM;
			memcpy(t, f->info.path, pl);
			memcpy(t + pl, " = ", 3);
			memcpy(t + pl + 3, v, vl + 1);
			f->said[k] = t;
		}
	}
	/* which yes/no fact each ICD-10/ATC code row sets */
	rules->code_facts = msc__calloc(msc__lex_code_count, sizeof(int)); /* never NULL for 0: one byte */
	if (!rules->code_facts)
		return MSC_ENOMEM;
	for (k = 0; k < msc__lex_code_count; k++) {
		int f = scan_fact(rules, msc__lex_codes[k].fact, strlen(msc__lex_codes[k].fact));
		/* -1 guards against a codes.tsv row naming no yes/no fact of
		 * builtin.rules, which every rule set starts with and no later
		 * text can redeclare; test_coverage's code_rows_set_yes_no_facts
		 * asserts there is none, so the -1 side is never taken. */
		rules->code_facts[k] = f >= 0 && rules->facts[f].type == MSC_FT_YESNO ? f : -1; /* GCOVR_EXCL_BR_LINE */
	}
	/* every path and bare name, at most half full. They are all different
	 * (the compiler refuses a fact whose path or bare name is taken, and
	 * only a path has a dot), so each takes the first free slot of its
	 * probe sequence; were two equal, the first in table order would still
	 * be found first, as a scan would find it. */
	while (size < 4 * rules->fact_count)
		size *= 2;
	rules->fact_slots = msc__calloc(size, sizeof(unsigned));
	if (!rules->fact_slots)
		return MSC_ENOMEM;
	rules->fact_slot_mask = size - 1;
	for (i = 0; i < 2 * rules->fact_count; i++) {
		const msc_fact *f = &rules->facts[i >> 1];
		const char *key = (i & 1) ? f->name : f->info.path;
		size_t len = strlen(key), h;
		for (h = hash_name(key, len) & rules->fact_slot_mask; rules->fact_slots[h];
		     h = (h + 1) & rules->fact_slot_mask)
			;
		rules->fact_slots[h] = (unsigned)i + 1;
	}
	if (compile_programs(rules))
		return MSC_ENOMEM;
	return msc__rules_json_fragments(rules);
}

int msc__rules_section_index(const msc_rules *rules, const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < rules->section_count; i++)
		if (strlen(rules->sections[i]) == len && memcmp(rules->sections[i], name, len) == 0)
			return (int)i;
	return -1;
}

const char *msc__rule_question(const msc_rules *rules, const msc_rule *rule, int fact, const char **json,
			       size_t *json_len)
{
	const msc_fact *f = &rules->facts[fact];
	size_t i;
	for (i = 0; i < rule->ask_count; i++)
		if (rule->asks[i].fact == fact) {
			*json = rule->asks[i].json;
			*json_len = rule->asks[i].json_len;
			return rule->asks[i].question;
		}
	*json = f->json_missing;
	*json_len = f->json_missing_len;
	return f->info.question ? f->info.question : f->info.path;
}
