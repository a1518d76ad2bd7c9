/*
 * libmesoscreen - the intake record: a patient and a planned treatment.
 *
 * Fields are named by their path in the intake record ("patient.pregnant",
 * "plan.area"); the bare name ("pregnant", "area") is accepted too, since
 * patient and plan fields never share a name. Which fields exist is decided
 * by the rule set the record is made for (a clinic's rule file may declare
 * more facts).
 *
 * Every field starts absent, which is unknown, except that a present
 * plan's switches take their defaults (numbing_cream no, technique needle)
 * and an absent depth means no depth check. A field set to unknown
 * (MSC_UNKNOWN, msc_record_unset(), JSON null or "unknown") is unknown,
 * whatever its default. Unknown is never read as no. A list that was never
 * set is unknown; a list set to zero entries means "none".
 *
 * Each setter checks its input and either applies it whole or changes
 * nothing and returns an error naming the field.
 *
 * Life cycle: msc_record_new() -> setters or msc_record_from_json() ->
 * msc_screen() any number of times -> msc_record_clear() to reuse ->
 * msc_record_free(). The record must not outlive its rule set.
 *
 * Thread-safety: a record belongs to one thread at a time; several threads
 * may screen different records against one rule set concurrently.
 */
#ifndef MESOSCREEN_RECORD_H
#define MESOSCREEN_RECORD_H

#include "common.h"
#include "rules.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An intake record. Opaque. */
typedef struct msc_record msc_record;

/**
 * Creates an empty record (every fact unknown) for a rule set.
 * @param out receives the record, owned by the caller (msc_record_free()).
 * @return MSC_OK, MSC_EINVAL (rules NULL), MSC_ENOMEM.
 */
MSC_EXTERN(int) msc_record_new(msc_record **out, const msc_rules *rules);

/** Frees a record. NULL is a no-op. It does not read the rule set, so it may come after msc_rules_free(). */
MSC_EXTERN(void) msc_record_free(msc_record *record);

/** Makes every fact unknown again, keeping the memory for reuse. NULL is a no-op. */
MSC_EXTERN(void) msc_record_clear(msc_record *record);

/**
 * Says that a section ("patient" or "plan") is present, even if empty: a
 * present plan's switches take their defaults (numbing_cream no, technique
 * needle, no depth check), while an absent plan is unknown throughout.
 * Setting any field of a section marks it present too.
 * @return MSC_OK, MSC_EFIELD (no such section), MSC_EINVAL.
 */
MSC_EXTERN(int) msc_record_set_present(msc_record *record, const char *section);

/**
 * Sets a yes/no fact. MSC_UNKNOWN makes it unknown (as msc_record_unset()),
 * even a plan switch that has a default.
 * @return MSC_OK, MSC_EFIELD (unknown field, or not a yes/no fact), MSC_EINVAL.
 */
MSC_EXTERN(int) msc_record_set_answer(msc_record *record, const char *field, msc_answer value);

/**
 * Sets a number fact (months, millimetres, a clinic's age...).
 * @return MSC_OK, MSC_EFIELD (unknown field, not a number fact, value out of
 *         the fact's range or not finite), MSC_EINVAL.
 */
MSC_EXTERN(int) msc_record_set_number(msc_record *record, const char *field, double value);

/**
 * Sets a fact from a word: an enum value ("scalp"), "yes"/"no"/"unknown"
 * for a yes/no fact, "never" for a number fact that accepts it, or a number
 * written as text. The word is matched exactly (lowercase).
 * @return MSC_OK, MSC_EFIELD (bad word, naming the accepted ones),
 *         MSC_ELIMIT (longer than MSC_MAX_TEXT), MSC_EINVAL.
 */
MSC_EXTERN(int) msc_record_set_word(msc_record *record, const char *field, const char *word);

/**
 * Sets a list fact (medications, allergies, ingredients, conditions) to
 * `count` entries; count 0 means "none" (items may then be NULL). Names are
 * normalised and looked up once, here; names the lexicon does not know are
 * kept and reported as unrecognised.
 * @return MSC_OK, MSC_EFIELD (not a list fact, an entry NULL or not valid
 *         UTF-8, a condition that is not an ICD-10 code), MSC_ELIMIT (more
 *         than MSC_MAX_LIST entries or an entry longer than MSC_MAX_TEXT),
 *         MSC_EINVAL, MSC_ENOMEM.
 */
MSC_EXTERN(int) msc_record_set_list(msc_record *record, const char *field,
				    const char *const *items, size_t count);

/**
 * Makes a fact unknown (JSON null means the same): unlike an absent field,
 * it does not take a default. msc_record_clear() makes every field absent.
 * @return MSC_OK, MSC_EFIELD (unknown field), MSC_EINVAL.
 */
MSC_EXTERN(int) msc_record_unset(msc_record *record, const char *field);

/*
 * Setters by fact index. The same as the setters above, for a caller that
 * fills many records and has found each field's index once: `fact` is the
 * index of msc_rules_fact() in the record's rule set (0 to
 * msc_rules_fact_count() - 1), and a word (and list entries, when their
 * lengths are given) comes with its length in bytes, so it need not be
 * NUL-terminated (one holding a NUL is refused). Each checks its input as
 * its by-name counterpart does, with the same messages, and either applies
 * it whole or changes nothing. Besides the by-name errors, each returns MSC_EFIELD for
 * a fact index out of range and MSC_EINVAL for a NULL record.
 * Thread-safety: as every setter (the record belongs to one thread).
 */

/** msc_record_set_answer() by fact index. */
MSC_EXTERN(int) msc_record_set_answer_at(msc_record *record, size_t fact, msc_answer value);

/** msc_record_set_number() by fact index. */
MSC_EXTERN(int) msc_record_set_number_at(msc_record *record, size_t fact, double value);

/** msc_record_set_word() by fact index; `word` holds `len` bytes (MSC_EINVAL if NULL). */
MSC_EXTERN(int) msc_record_set_word_at(msc_record *record, size_t fact, const char *word, size_t len);

/**
 * msc_record_set_list() by fact index. `lens` gives each entry's length in
 * bytes; NULL means the entries are NUL-terminated.
 */
MSC_EXTERN(int) msc_record_set_list_at(msc_record *record, size_t fact, const char *const *items,
				       const size_t *lens, size_t count);

/** msc_record_unset() by fact index. */
MSC_EXTERN(int) msc_record_unset_at(msc_record *record, size_t fact);

/**
 * A list value: the entries of a list fact checked, normalised and looked
 * up in the lexicons once, to be set into any number of records without
 * doing that again (a cohort often repeats the same lists). Opaque,
 * immutable once made.
 */
typedef struct msc_list_value msc_list_value;

/**
 * Makes a list value for fact `fact` (an index of msc_rules_fact()) of a
 * rule set, from `count` entries as msc_record_set_list_at() takes them.
 * It checks them exactly as that setter does, with the same errors.
 * @param out receives the value, owned by the caller (msc_list_value_free());
 *        NULL on error.
 * @return MSC_OK, MSC_EFIELD (fact out of range, not a list fact, a bad
 *         entry), MSC_ELIMIT, MSC_EINVAL (out or rules NULL), MSC_ENOMEM.
 * Thread-safety: the value is read only once made; any number of threads
 * may set it into their own records at once. It must not outlive its rule set.
 */
MSC_EXTERN(int) msc_list_value_new(msc_list_value **out, const msc_rules *rules, size_t fact,
				   const char *const *items, const size_t *lens, size_t count);

/** Frees a list value. NULL is a no-op. Records it was set into keep their own copy. */
MSC_EXTERN(void) msc_list_value_free(msc_list_value *value);

/**
 * Sets list fact `fact` (an index of msc_rules_fact()) of `record` to the
 * entries of `count` list values, one after the other (count 0 means
 * "none"; values may then be NULL). The record is then as
 * msc_record_set_list_at() with the same entries leaves it, without
 * normalising or looking them up again: a caller can make one value per
 * distinct name and set any list of those names. The record copies the
 * entries; the values may be freed afterwards.
 * @return MSC_OK, MSC_EFIELD (fact out of range or not a list fact),
 *         MSC_ELIMIT (more than MSC_MAX_LIST entries in all), MSC_EINVAL
 *         (record NULL, a value NULL or made for another fact or rule set),
 *         MSC_ENOMEM; on error nothing changed.
 */
MSC_EXTERN(int) msc_record_set_list_values(msc_record *record, size_t fact, const msc_list_value *const *values,
					    size_t count);

#ifdef __cplusplus
}
#endif

#endif
