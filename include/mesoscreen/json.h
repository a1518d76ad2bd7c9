/*
 * libmesoscreen - the JSON edge: intake records in, results out.
 *
 * Input is strict (contract.md): an unknown key, a wrong type, a bad enum
 * word or malformed JSON is an error naming the field (or the line and
 * column), and the record is left empty: never half-read.
 *
 * Thread-safety: as for the objects passed in.
 */
#ifndef MESOSCREEN_JSON_H
#define MESOSCREEN_JSON_H

#include "common.h"
#include "rules.h"
#include "record.h"
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Reads a JSON intake record into `record`, replacing what it held.
 * `json` need not be NUL-terminated.
 * @return MSC_OK; MSC_EPARSE (malformed JSON, "line L, column C" in the
 *         message), MSC_EFIELD (unknown key, wrong type, bad enum: the
 *         message starts with the field's path), MSC_ELIMIT (more than
 *         MSC_MAX_RECORD_JSON bytes, a list or string over its limit),
 *         MSC_EINVAL, MSC_ENOMEM. On error the record is left empty.
 */
MSC_EXTERN(int) msc_record_from_json(msc_record *record, const char *json, size_t length);

/**
 * Writes a result as JSON (the shape of contract.md), one line, no
 * trailing newline.
 * @param out receives a NUL-terminated string owned by the caller (msc_free()).
 * @param length receives its length in bytes; may be NULL.
 * @return MSC_OK, MSC_EINVAL, MSC_ENOMEM.
 */
MSC_EXTERN(int) msc_result_to_json(char **out, size_t *length, const msc_result *result);

/**
 * Writes the rule table as JSON: {"ruleset": {...}, "rules": [...],
 * "instructions": [...], "facts": [...]}.
 * @param out owned by the caller (msc_free()). @return MSC_OK, MSC_EINVAL, MSC_ENOMEM.
 */
MSC_EXTERN(int) msc_rules_to_json(char **out, size_t *length, const msc_rules *rules);

/**
 * Writes the questionnaire as a JSON array: the questions whose answer can
 * still change the verdict for this record (one per fact, table order:
 * {"fact", "question", "type", "rules": [...]} plus "values" for enums).
 * Give a record holding only a plan to get the questionnaire for that plan,
 * or an empty record for the whole questionnaire.
 * @param out owned by the caller (msc_free()). @return MSC_OK, MSC_EINVAL, MSC_ENOMEM.
 */
MSC_EXTERN(int) msc_questions_to_json(char **out, size_t *length, const msc_rules *rules,
				      const msc_record *record);

#ifdef __cplusplus
}
#endif

#endif
