/*
 * libmesoscreen - screening for mesotherapy contraindications, precautions
 * and aftercare, from a rule table that cites its sources.
 *
 * The umbrella header: include this one.
 *
 *   msc_rules *rules; msc_record *rec; msc_result *res;
 *   msc_rules_builtin(&rules);
 *   msc_record_new(&rec, rules);
 *   msc_record_from_json(rec, json, len);        (or the msc_record_set_* calls)
 *   msc_result_new(&res);
 *   msc_screen(res, rules, rec);
 *   msc_result_verdict(res) ... msc_result_free(res); msc_record_free(rec);
 *   msc_rules_free(rules);
 */
#ifndef MESOSCREEN_H
#define MESOSCREEN_H

#include <mesoscreen/version.h>
#include "common.h"
#include "rules.h"
#include "record.h"
#include "result.h"
#include "json.h"
#include "batch.h"

#endif
