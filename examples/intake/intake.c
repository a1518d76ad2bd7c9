/*
 * intake: a clinic intake program in C, the way an intake system links
 * libmesoscreen. Reads one intake record (JSON) and prints a summary for
 * the clinician.
 *
 *   cc intake.c $(pkg-config --cflags --libs mesoscreen) -o intake
 *   ./intake record.json        (or - for standard input)
 *
 * Exit status: 0 screened, 1 the record was rejected, 2 usage or I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mesoscreen/mesoscreen.h>

static const char *plain(msc_verdict v)
{
	switch (v) {
	case MSC_CONTRAINDICATED: return "CONTRAINDICATED - do not treat";
	case MSC_DEFER: return "DEFER - not now; screen again later";
	case MSC_INCOMPLETE: return "INCOMPLETE - answer the open questions first";
	case MSC_CAUTION: return "CAUTION - precautions to handle before treating (staff review)";
	default: return "CLEAR - the standard instructions apply";
	}
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0, got;
	char *buf = malloc(cap);
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *p = realloc(buf, cap *= 2);
			if (!p) {
				free(buf);
				return NULL;
			}
			buf = p;
		}
	}
	*len = n;
	return buf;
}

static void print_summary(const msc_result *res)
{
	static const char *const lists[3] = { "medications", "allergies", "ingredients" };
	size_t i, j;

	printf("Verdict: %s\n", plain(msc_result_verdict(res)));
	for (i = 0; i < msc_result_finding_count(res); i++) {
		const msc_finding *f = msc_result_finding(res, i);
		printf("\n[%s] %s\n  %s\n", msc_verdict_name(f->severity), f->rule, f->message);
		for (j = 0; j < f->because_count; j++)
			printf("  because %s\n", f->because[j]);
		for (j = 0; j < f->source_count; j++)
			printf("  source: %s\n", f->sources[j]);
	}
	if (msc_result_missing_count(res))
		printf("\nAsk before deciding:\n");
	for (i = 0; i < msc_result_missing_count(res); i++) {
		const msc_missing *m = msc_result_missing(res, i);
		printf("  - %s  (%s, for %s)\n", m->question, m->fact, m->rule);
	}
	for (j = 0; j < 3; j++)
		for (i = 0; i < msc_result_unrecognized_count(res, (msc_list)j); i++)
			printf("%s  not recognised (%s): %s\n", i ? "" : "\n", lists[j],
			       msc_result_unrecognized(res, (msc_list)j, i));
	for (j = 0; j < 2; j++) {
		printf("\n%s the session:\n", j ? "After" : "Before");
		for (i = 0; i < msc_result_instruction_count(res, (msc_phase)j); i++)
			printf("  - %s\n", msc_result_instruction(res, (msc_phase)j, i)->text);
	}
	printf("\nRule set: %s %s (libmesoscreen %s)\n", msc_result_ruleset_name(res),
	       msc_result_ruleset_version(res), msc_version());
}

int main(int argc, char **argv)
{
	msc_rules *rules = NULL;
	msc_record *rec = NULL;
	msc_result *res = NULL;
	FILE *f;
	char *json;
	size_t len;
	int rc, status = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s RECORD.json|-\n", argv[0]);
		return 2;
	}
	f = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	json = read_all(f, &len);
	if (f != stdin)
		fclose(f);
	if (!json) {
		fprintf(stderr, "%s: cannot read\n", argv[1]);
		return 2;
	}
	/* compile once (here: the built-in table), screen many */
	if ((rc = msc_rules_builtin(&rules)) != MSC_OK || (rc = msc_record_new(&rec, rules)) != MSC_OK ||
	    (rc = msc_result_new(&res)) != MSC_OK) {
		fprintf(stderr, "intake: %s\n", msc_error_message());
		status = 2;
	} else if ((rc = msc_record_from_json(rec, json, len)) != MSC_OK) {
		/* the message names the field; nothing of the record was kept */
		fprintf(stderr, "intake: record rejected: %s\n", msc_error_message());
		status = 1;
	} else if ((rc = msc_screen(res, rules, rec)) != MSC_OK) {
		fprintf(stderr, "intake: %s\n", msc_error_message());
		status = 2;
	} else {
		print_summary(res);
	}
	free(json);
	msc_result_free(res);
	msc_record_free(rec);
	msc_rules_free(rules);
	return status;
}
