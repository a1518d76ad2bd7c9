/*
 * libmesoscreen - screening and its result.
 *
 * Life cycle (PCRE2's match data): the caller owns a result and reuses it
 * across calls; once its buffers have grown to fit, screening allocates
 * nothing.
 *   1. msc_result_new()
 *   2. msc_screen(result, rules, record), any number of times
 *   3. read it with the accessors below (or msc_result_to_json())
 *   4. msc_result_free()
 * Strings in a result belong to it (or to the rule set) and stay valid until
 * the next msc_screen() into the same result, msc_result_free() or
 * msc_rules_free(), whichever comes first.
 *
 * Thread-safety: a result belongs to one thread at a time.
 */
#ifndef MESOSCREEN_RESULT_H
#define MESOSCREEN_RESULT_H

#include "common.h"
#include "rules.h"
#include "record.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A screening result. Opaque. */
typedef struct msc_result msc_result;

/** A rule that fired. Owned by the result. */
typedef struct msc_finding {
	const char *rule;              /**< rule id, e.g. "CI.PREGNANCY" */
	msc_verdict severity;          /**< CAUTION, DEFER or CONTRAINDICATED */
	const char *message;
	const char *const *because;    /**< the facts that triggered it, e.g. "plan.area = scalp" */
	size_t because_count;
	const char *const *sources;    /**< titles of the cited source documents */
	size_t source_count;
} msc_finding;

/** A question still unanswered that could change the verdict. Owned by the result. */
typedef struct msc_missing {
	const char *rule;      /**< the rule that needs it */
	const char *fact;      /**< "patient.stroke_history" */
	const char *question;
} msc_missing;

/** A pre-care or aftercare instruction. The struct is owned by the result;
 *  its strings by the rule set (valid until msc_rules_free()). */
typedef struct msc_instruction {
	const char *id;        /**< "PRE.HYDRATE" */
	msc_phase phase;
	const char *text;
} msc_instruction;

/** A clinic file's change to a rule that affects this result (its condition
 *  is true or unknown): the result says so, with the stated reason. */
typedef struct msc_override {
	const char *rule;      /**< the rule changed */
	const char *action;    /**< "disabled" or "overridden" */
	const char *reason;    /**< the reason the rule file states; NULL for a change that only makes the rule stricter */
	const char *changed_by;/**< the rule file */
} msc_override;

/** Which list an unrecognised name came from. */
typedef enum msc_list {
	MSC_LIST_MEDICATIONS = 0,
	MSC_LIST_ALLERGIES = 1,
	MSC_LIST_INGREDIENTS = 2
} msc_list;

/** Creates an empty result. @param out owned by the caller (msc_result_free()). */
MSC_EXTERN(int) msc_result_new(msc_result **out);

/** Frees a result. NULL is a no-op. */
MSC_EXTERN(void) msc_result_free(msc_result *result);

/**
 * Screens a record against a rule set into `out`, replacing what it held.
 * The record must have been made for this rule set.
 * @return MSC_OK, MSC_EINVAL (a NULL argument, or a record of another rule
 *         set), MSC_ENOMEM (the result is then empty and its verdict is
 *         MSC_INCOMPLETE, never clear).
 * Thread-safety: rules may be shared; record and result are the caller's.
 */
MSC_EXTERN(int) msc_screen(msc_result *out, const msc_rules *rules, const msc_record *record);

/** The verdict: the worst finding, or MSC_INCOMPLETE while a blocking question is open. */
MSC_EXTERN(msc_verdict) msc_result_verdict(const msc_result *result);

/** The rule set that produced it (its name and version). Owned by the rule set. */
MSC_EXTERN(const char *) msc_result_ruleset_name(const msc_result *result);
MSC_EXTERN(const char *) msc_result_ruleset_version(const msc_result *result);

MSC_EXTERN(size_t) msc_result_finding_count(const msc_result *result);
/** Finding `index` (table order) or NULL when out of range. */
MSC_EXTERN(const msc_finding *) msc_result_finding(const msc_result *result, size_t index);

MSC_EXTERN(size_t) msc_result_missing_count(const msc_result *result);
/** Missing question `index` (table order) or NULL when out of range. */
MSC_EXTERN(const msc_missing *) msc_result_missing(const msc_result *result, size_t index);

/** Instructions that apply, in table order; phase MSC_BEFORE or MSC_AFTER. */
MSC_EXTERN(size_t) msc_result_instruction_count(const msc_result *result, msc_phase phase);
MSC_EXTERN(const msc_instruction *) msc_result_instruction(const msc_result *result,
							  msc_phase phase, size_t index);

/** Clinic changes (override, disable) that affect this result. Owned by the result. */
MSC_EXTERN(size_t) msc_result_override_count(const msc_result *result);
MSC_EXTERN(const msc_override *) msc_result_override(const msc_result *result, size_t index);

/** Names of a list that the lexicon did not recognise, as the record gave them. */
MSC_EXTERN(size_t) msc_result_unrecognized_count(const msc_result *result, msc_list list);
MSC_EXTERN(const char *) msc_result_unrecognized(const msc_result *result, msc_list list,
						 size_t index);

#ifdef __cplusplus
}
#endif

#endif
