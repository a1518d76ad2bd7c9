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
	msc__free(rules->rules);
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

int msc__rules_fact_index(const msc_rules *rules, const char *name, size_t len)
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

int msc__rules_section_index(const msc_rules *rules, const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < rules->section_count; i++)
		if (strlen(rules->sections[i]) == len && memcmp(rules->sections[i], name, len) == 0)
			return (int)i;
	return -1;
}

const char *msc__rule_question(const msc_rules *rules, const msc_rule *rule, int fact)
{
	const msc_fact *f = &rules->facts[fact];
	size_t i;
	for (i = 0; i < rule->ask_count; i++)
		if (rule->asks[i].fact == fact)
			return rule->asks[i].question;
	return f->info.question ? f->info.question : f->info.path;
}
