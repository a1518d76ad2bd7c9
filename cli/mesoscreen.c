/*
 * mesoscreen: the command-line face of libmesoscreen.
 *
 *   mesoscreen [--rules FILE]... screen [--pretty] FILE|-
 *   mesoscreen [--rules FILE]... rules [--json]
 *   mesoscreen [--rules FILE]... questions [--json] [--plan FILE|-]
 *
 * Exit codes: see usage() below.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mesoscreen/mesoscreen.h>

enum {
	EXIT_OK = 0,        /* every record screened */
	EXIT_REJECTED = 1,  /* a record was rejected (bad JSON, a bad field) */
	EXIT_USAGE = 2,     /* bad command line */
	EXIT_INPUT = 3,     /* a file could not be read, or a rule file is invalid */
	EXIT_INTERNAL = 4   /* out of memory */
};

static void usage(FILE *to)
{
	fputs("usage: mesoscreen [--rules FILE]... COMMAND [OPTIONS]\n"
	      "\n"
	      "Screens patients for mesotherapy against a rule table that cites its sources.\n"
	      "\n"
	      "commands:\n"
	      "  screen [--pretty] FILE|-     screen an intake record (JSON) and print the result\n"
	      "                               JSON; JSON Lines input (one record a line) prints\n"
	      "                               one result a line, a bad line as {\"line\", \"error\"}\n"
	      "  rules [--json]               list the rule table: id, severity or phase, sources\n"
	      "  rules --check FILE...        validate rule files: every error as file:line:column\n"
	      "  questions [--json] [--plan FILE|-]\n"
	      "                               the questionnaire; for a plan ({\"plan\": {...}}) only\n"
	      "                               the questions that can change its verdict\n"
	      "\n"
	      "options:\n"
	      "  --rules FILE   compile a clinic's rule file on top of the built-in table\n"
	      "  --help         this text\n"
	      "  --version      the version\n"
	      "\n"
	      "exit codes: 0 screened (whatever the verdicts), 1 a record was rejected,\n"
	      "            2 bad usage, 3 unreadable input or invalid rule file, 4 out of memory\n",
	      to);
}

static int status_exit(int rc)
{
	switch (rc) {
	case MSC_ENOMEM: return EXIT_INTERNAL;
	case MSC_EIO:
	case MSC_ERULES: return EXIT_INPUT;
	default: return EXIT_REJECTED;
	}
}

static FILE *open_input(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		perror(path);
	return f;
}

static void close_input(FILE *f)
{
	if (f && f != stdin)
		fclose(f);
}

/* Reads the rest of f onto buf. */
static int slurp(FILE *f, char **buf, size_t *len)
{
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		char *p = realloc(*buf, *len + n + 1);
		if (!p)
			return -1;
		*buf = p;
		memcpy(*buf + *len, chunk, n);
		*len += n;
		(*buf)[*len] = '\0';
	}
	return ferror(f) ? -1 : 0;
}

static int print_json(const char *json, int pretty)
{
	if (pretty) {
		json_t *v = json_loads(json, 0, NULL);
		char *s = v ? json_dumps(v, JSON_INDENT(2)) : NULL;
		json_decref(v);
		if (!s)
			return -1;
		puts(s);
		free(s);
	} else {
		puts(json);
	}
	return 0;
}

/* Screens one record's text and prints the result. */
static int screen_one(const msc_rules *rules, const char *text, size_t len, const char *name, int pretty)
{
	msc_record *rec = NULL;
	msc_result *res = NULL;
	char *out = NULL;
	int rc = msc_record_new(&rec, rules);

	if (rc == MSC_OK)
		rc = msc_result_new(&res);
	if (rc == MSC_OK)
		rc = msc_record_from_json(rec, text, len);
	if (rc == MSC_OK)
		rc = msc_screen(res, rules, rec);
	if (rc == MSC_OK)
		rc = msc_result_to_json(&out, NULL, res);
	if (rc == MSC_OK)
		print_json(out, pretty);
	else
		fprintf(stderr, "mesoscreen: %s: %s\n", name, msc_error_message());
	msc_free(out);
	msc_result_free(res);
	msc_record_free(rec);
	return rc;
}

/* Screens a chunk of JSON Lines through the batch API and prints one line
 * per record: the result, or {"line", "error", "code"} for a bad record. */
static int screen_chunk(msc_batch *batch, const char *chunk, size_t len, long first_line,
			const char *name, int pretty, int *rejected)
{
	size_t i;
	if (msc_batch_screen_lines(batch, chunk, len))
		return MSC_ENOMEM;
	for (i = 0; i < msc_batch_count(batch); i++) {
		long line = first_line + (long)i;
		int rc = msc_batch_status(batch, i);
		if (rc == MSC_OK) {
			print_json(msc_batch_result_json(batch, i), pretty);
			continue;
		}
		json_t *e = json_pack("{s:i,s:s,s:s}", "line", (json_int_t)line, "error",
				      msc_batch_error(batch, i), "code", msc_status_name(rc));
		char *s = e ? json_dumps(e, JSON_COMPACT) : NULL;
		if (s)
			puts(s);
		free(s);
		json_decref(e);
		fprintf(stderr, "mesoscreen: %s:%ld: %s\n", name, line, msc_batch_error(batch, i));
		*rejected = 1;
	}
	return MSC_OK;
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

#define CHUNK_LINES 4096

static int cmd_screen(const msc_rules *rules, int argc, char **argv)
{
	const char *path = NULL;
	int pretty = 0, i, status = EXIT_OK, rejected = 0;
	FILE *f;
	char *line = NULL, *buf = NULL;
	size_t cap = 0, len = 0;
	ssize_t n;
	long lineno = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--pretty") == 0)
			pretty = 1;
		else if (!path && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
			path = argv[i];
		else {
			fprintf(stderr, "mesoscreen: screen: unexpected '%s'\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!path) {
		fputs("mesoscreen: screen needs a FILE, or - for standard input\n", stderr);
		return EXIT_USAGE;
	}
	f = open_input(path);
	if (!f)
		return EXIT_INPUT;
	/* The first non-blank line decides: a whole JSON object on one line
	 * means JSON Lines; anything else is one record over many lines. */
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (!blank(line))
			break;
	}
	if (n < 0) {
		if (ferror(f)) {
			perror(path);
			status = EXIT_INPUT;
		} else {
			fprintf(stderr, "mesoscreen: %s: no record (the input is empty)\n", path);
			status = EXIT_REJECTED;
		}
	} else {
		json_t *probe = json_loads(line, 0, NULL);
		int lines_mode = json_is_object(probe);
		json_decref(probe);
		if (lines_mode) {
			msc_batch *batch = NULL;
			long first = lineno, in_chunk = 0;
			if (msc_batch_new(&batch, rules, MSC_BATCH_KEEP_JSON))
				status = EXIT_INTERNAL;
			do {
				char *p;
				if (status != EXIT_OK)
					break;
				if (blank(line)) {
					/* a blank line is no record: skip it, keep numbering */
					if (in_chunk == 0)
						first = lineno + 1;
					else if (screen_chunk(batch, buf, len, first, path, pretty, &rejected))
						status = EXIT_INTERNAL;
					else {
						len = 0;
						in_chunk = 0;
						first = lineno + 1;
					}
					continue;
				}
				p = realloc(buf, len + (size_t)n + 1);
				if (!p) {
					status = EXIT_INTERNAL;
					break;
				}
				buf = p;
				memcpy(buf + len, line, (size_t)n);
				len += (size_t)n;
				if (len && buf[len - 1] != '\n')
					buf[len++] = '\n';
				if (++in_chunk == CHUNK_LINES) {
					if (screen_chunk(batch, buf, len, first, path, pretty, &rejected))
						status = EXIT_INTERNAL;
					len = 0;
					in_chunk = 0;
					first = lineno + 1;
				}
			} while (lineno++, (n = getline(&line, &cap, f)) >= 0);
			if (status == EXIT_OK && in_chunk &&
			    screen_chunk(batch, buf, len, first, path, pretty, &rejected))
				status = EXIT_INTERNAL;
			if (status == EXIT_OK && ferror(f)) {
				perror(path);
				status = EXIT_INPUT;
			}
			if (status == EXIT_OK && rejected)
				status = EXIT_REJECTED;
			msc_batch_free(batch);
		} else {
			buf = malloc((size_t)n + 1);
			if (!buf) {
				status = EXIT_INTERNAL;
			} else {
				memcpy(buf, line, (size_t)n + 1);
				len = (size_t)n;
				if (slurp(f, &buf, &len)) {
					perror(path);
					status = EXIT_INPUT;
				} else {
					int rc = screen_one(rules, buf, len, path, pretty);
					if (rc)
						status = status_exit(rc);
				}
			}
		}
	}
	free(line);
	free(buf);
	close_input(f);
	return status;
}

static int cmd_rules(const msc_rules *rules, int argc, char **argv)
{
	size_t i, j;
	if (argc >= 1 && strcmp(argv[0], "--check") == 0) {
		/* validate rule files only: every error, then a non-zero exit */
		msc_compiler *c;
		int bad = 0, k;
		if (argc < 2) {
			fputs("mesoscreen: rules --check needs a FILE\n", stderr);
			return EXIT_USAGE;
		}
		if (msc_compiler_new(&c))
			return EXIT_INTERNAL;
		for (k = 1; k < argc; k++) {
			int rc = msc_compiler_add_file(c, argv[k]);
			if (rc && rc != MSC_ERULES)
				fprintf(stderr, "mesoscreen: %s\n", msc_error_message());
			bad |= rc != MSC_OK;
		}
		for (i = 0; i < msc_compiler_error_count(c); i++)
			fprintf(stderr, "%s\n", msc_compiler_error(c, i));
		if (!bad) {
			msc_rules *checked;
			if (msc_compiler_get_rules(c, &checked) == MSC_OK) {
				printf("ok: %s (%zu rules and instructions, %zu facts)\n", msc_rules_name(checked),
				       msc_rules_count(checked), msc_rules_fact_count(checked));
				for (i = 0; i < msc_rules_file_count(checked); i++)
					printf("  %s sha256:%s\n", msc_rules_file_get(checked, i)->name,
					       msc_rules_file_get(checked, i)->sha256);
				msc_rules_free(checked);
			} else {
				bad = 1;
			}
		}
		msc_compiler_free(c);
		return bad ? EXIT_INPUT : EXIT_OK;
	}
	if (argc == 1 && strcmp(argv[0], "--json") == 0) {
		char *out;
		if (msc_rules_to_json(&out, NULL, rules))
			return EXIT_INTERNAL;
		print_json(out, 1);
		msc_free(out);
		return EXIT_OK;
	}
	if (argc) {
		fprintf(stderr, "mesoscreen: rules: unexpected '%s'\n", argv[0]);
		return EXIT_USAGE;
	}
	printf("# rule set %s %s\n", msc_rules_name(rules), msc_rules_version(rules));
	printf("%-28s %-16s %s\n", "id", "severity/phase", "sources");
	for (i = 0; i < msc_rules_count(rules); i++) {
		const msc_rule_info *r = msc_rules_get(rules, i);
		printf("%-28s %-16s ", r->id,
		       r->disabled ? "disabled" : r->kind == MSC_RULE ? msc_verdict_name(r->severity) :
		       r->phase == MSC_BEFORE ? "before" : "after");
		for (j = 0; j < r->source_count; j++)
			printf("%s%s", j ? "; " : "", r->sources[j]);
		putchar('\n');
		if (r->changed_by)
			printf("%-28s changed by %s: %s\n", "", r->changed_by, r->reason ? r->reason : "(stricter)");
	}
	return EXIT_OK;
}

static int cmd_questions(const msc_rules *rules, int argc, char **argv)
{
	const char *plan = NULL;
	int json = 0, i, rc, status = EXIT_OK;
	msc_record *rec = NULL;
	char *out = NULL;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--plan") == 0 && i + 1 < argc)
			plan = argv[++i];
		else {
			fprintf(stderr, "mesoscreen: questions: unexpected '%s'\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (msc_record_new(&rec, rules))
		return EXIT_INTERNAL;
	if (plan) {
		FILE *f = open_input(plan);
		char *text = NULL;
		size_t len = 0;
		if (!f) {
			msc_record_free(rec);
			return EXIT_INPUT;
		}
		if (slurp(f, &text, &len)) {
			perror(plan);
			status = EXIT_INPUT;
		} else if ((rc = msc_record_from_json(rec, text ? text : "", len)) != MSC_OK) {
			fprintf(stderr, "mesoscreen: %s: %s\n", plan, msc_error_message());
			status = status_exit(rc);
		}
		free(text);
		close_input(f);
	}
	if (status == EXIT_OK && (rc = msc_questions_to_json(&out, NULL, rules, rec)) != MSC_OK)
		status = status_exit(rc);
	if (status == EXIT_OK && json) {
		print_json(out, 1);
	} else if (status == EXIT_OK) {
		json_t *qs = json_loads(out, 0, NULL);
		size_t k;
		json_t *q;
		json_array_foreach(qs, k, q) {
			json_t *vals = json_object_get(q, "values"), *rl = json_object_get(q, "rules"), *v;
			size_t m;
			printf("%zu. %s\n   (%s, %s", k + 1, json_string_value(json_object_get(q, "question")),
			       json_string_value(json_object_get(q, "fact")),
			       json_string_value(json_object_get(q, "type")));
			json_array_foreach(vals, m, v)
				printf("%s%s", m ? "|" : ": ", json_string_value(v));
			printf("; for");
			json_array_foreach(rl, m, v)
				printf(" %s", json_string_value(v));
			printf(")\n");
		}
		if (json_array_size(qs) == 0)
			printf("No question can change the verdict.\n");
		json_decref(qs);
	}
	msc_free(out);
	msc_record_free(rec);
	return status;
}

int main(int argc, char **argv)
{
	msc_compiler *comp = NULL;
	msc_rules *rules = NULL;
	int i, rc, status, bad = 0;
	size_t e;

	/* options, then "--rules FILE" pairs, then the command */
	i = 1;
	while (i < argc) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("mesoscreen %s\n", msc_version());
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--rules") != 0)
			break;
		if (i + 1 >= argc) {
			fputs("mesoscreen: --rules needs a FILE\n", stderr);
			return EXIT_USAGE;
		}
		i += 2;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (msc_compiler_new(&comp)) {
		fprintf(stderr, "mesoscreen: %s\n", msc_error_message());
		return EXIT_INTERNAL;
	}
	for (int j = 1; j < i; j += 2) {
		rc = msc_compiler_add_file(comp, argv[j + 1]);
		if (rc && rc != MSC_ERULES)
			fprintf(stderr, "mesoscreen: %s\n", msc_error_message());
		bad |= rc == MSC_ENOMEM ? 2 : rc ? 1 : 0;
	}
	for (e = 0; e < msc_compiler_error_count(comp); e++)
		fprintf(stderr, "%s\n", msc_compiler_error(comp, e));
	rc = bad ? (bad & 2 ? MSC_ENOMEM : MSC_ERULES) : msc_compiler_get_rules(comp, &rules);
	msc_compiler_free(comp);
	if (rc) {
		if (rc != MSC_ERULES)
			fprintf(stderr, "mesoscreen: %s\n", msc_error_message());
		return rc == MSC_ENOMEM ? EXIT_INTERNAL : EXIT_INPUT;
	}
	if (strcmp(argv[i], "screen") == 0)
		status = cmd_screen(rules, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "rules") == 0)
		status = cmd_rules(rules, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "questions") == 0)
		status = cmd_questions(rules, argc - i - 1, argv + i + 1);
	else {
		fprintf(stderr, "mesoscreen: unknown command '%s'\n", argv[i]);
		usage(stderr);
		status = EXIT_USAGE;
	}
	msc_rules_free(rules);
	return status;
}
