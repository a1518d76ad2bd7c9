/*
 * The rule language: tokenise, parse and compile rule text into a rule set.
 * The built-in table (builtin.rules) is written in it, and so are a
 * clinic's files. Every error is reported as "name:line:column: message"
 * and collected; a text with errors adds nothing to the rule set.
 * The language is documented in docs/rules.md.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MSC_MAX_RULE_TEXT (1024 * 1024)
#define MSC_MAX_SOURCES 256
#define MSC_MAX_DEPTH 64
/* Terms of one condition: evaluation recurses along and/or chains, so this
 * bounds the stack a screening needs (a few dozen KiB) on any thread. */
#define MSC_MAX_NODES 512
#define MSC_MAX_RULES 4096
#define MSC_MAX_FACTS 1024

typedef enum tok_kind {
	T_EOF, T_NEWLINE, T_WORD, T_NUMBER, T_STRING, T_LPAREN, T_RPAREN, T_COMMA, T_OP
} tok_kind;

typedef struct token {
	tok_kind kind;
	const char *s;     /* points into the text (for T_STRING: unescaped copy) */
	size_t n;
	int line, col;
	msc_cmp op;
} token;

typedef struct source_def {
	char *id;
	char *title;
} source_def;

/*
 * Every rule set is allocated here, as this struct: the public rule set
 * first (what ruleset.c and msc_rules_free() see: a pointer to it is a
 * pointer to this struct, C11 6.7.2.1p15), then what only the compiler
 * reads back: the sources declared by the texts compiled in, so that
 * msc_compiler_new_from() can let later texts cite them. The table lives
 * in the rule set's arena and is freed with it.
 */
typedef struct compiled_rules {
	msc_rules rules;
	const source_def *sources;
	size_t source_count;
} compiled_rules;

/* What a rule file adds to the rule set's name after a '+': its ruleset
 * name, else its file name without the directories. */
static const char *file_label(const msc_rules_file *f)
{
	const char *slash = f->ruleset ? NULL : strrchr(f->name, '/');
	return f->ruleset ? f->ruleset : slash ? slash + 1 : f->name;
}

struct msc_compiler {
	msc_rules *rules;        /* being built; NULL once handed over */
	size_t text_count;       /* texts compiled in, the built-in table first */
	source_def sources[MSC_MAX_SOURCES];
	size_t source_count;
	size_t base_sources;     /* the first ones, from msc_compiler_new_from()'s base:
				    in the rule set's arena, not freed one by one */
	char **errors;           /* strings in error_arena */
	size_t error_count, error_cap;
	msc_arena error_arena;
	int failed;              /* an allocation failed: refuse to finish */
};

typedef struct pending_change {
	size_t index;            /* of the rule changed */
	msc_rule rule;           /* what it becomes */
} pending_change;

typedef struct parser {
	msc_compiler *c;
	int builtin;             /* the first text: the built-in table */
	msc_rules_file *file;    /* provenance of a later text */
	pending_change *pending; /* overrides and disables, applied if the text compiles */
	size_t pending_count, pending_cap;
	const char *name;
	token *toks;
	size_t ntok, cap, pos;
	msc_arena scratch;       /* unescaped strings */
	int errors;
	int depth;
	int paren;               /* open parentheses in the condition */
	int nodes;               /* terms of the condition so far */
} parser;

static const char *const TOP_KEYWORDS[] = {
	"ruleset", "version", "source", "fact", "rule", "instruction", "override", "disable", NULL
};

/* ---------------------------------------------------------------- errors */

static void add_error(msc_compiler *c, const char *name, int line, int col, const char *fmt, ...)
	MSC_PRINTF(5, 6);

/* Writes ":line:col: " into pos (24 bytes at most); returns its length. */
static size_t format_position(char *pos, int line, int col)
{
	char digits[12];
	size_t n = 0, k, part;
	unsigned v;
	for (part = 0; part < 2; part++) {
		v = (unsigned)(part ? col : line);
		pos[n++] = ':';
		k = 0;
		do
			digits[k++] = (char)('0' + v % 10);
		while ((v /= 10) > 0);
		while (k)
			pos[n++] = digits[--k];
	}
	pos[n++] = ':';
	pos[n++] = ' ';
	return n;
}

static void add_error(msc_compiler *c, const char *name, int line, int col, const char *fmt, ...)
{
	char msg[512], pos[32];
	size_t nn = strlen(name), np, nm;
	int k;
	char *e;
	va_list ap;
	void *arr = c->errors;

	va_start(ap, fmt);
	k = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nm = k < 0 ? 0 : (size_t)k < sizeof(msg) ? (size_t)k : sizeof(msg) - 1;
	np = format_position(pos, line, col);
	if (msc__grow(&arr, &c->error_cap, c->error_count + 1, sizeof(char *))) {
		c->failed = 1;
		return;
	}
	c->errors = arr;
	/* "name:line:col: message", in the compiler's error arena */
	e = msc_arena_alloc(&c->error_arena, nn + np + nm + 1);
	if (!e) {
		c->failed = 1;
		return;
	}
	memcpy(e, name, nn);
	memcpy(e + nn, pos, np);
	memcpy(e + nn + np, msg, nm);
	e[nn + np + nm] = '\0';
	c->errors[c->error_count++] = e;
}

#define ERR_AT(p, t, ...) \
	do { (p)->errors++; add_error((p)->c, (p)->name, (t)->line, (t)->col, __VA_ARGS__); } while (0)

/* ---------------------------------------------------------------- tokens */

/* Byte classes as 256-bit sets: a look-up instead of a chain of
 * comparisons per character (the tokenizer's inner loops). */
typedef struct byte_set {
	uint64_t bits[4];
} byte_set;

static int in_set(const byte_set *set, char ch)
{
	unsigned char c = (unsigned char)ch;
	return (int)((set->bits[c >> 6] >> (c & 63)) & 1);
}

/* a-z A-Z 0-9 _ . - */
static const byte_set WORD_CHARS = { { 0x03FF600000000000u, 0x07FFFFFE87FFFFFEu, 0, 0 } };
/* where a quoted string's scan stops: " \ and the end of the line */
static const byte_set STRING_STOPS = { { 0x0000000400000400u, 0x0000000010000000u, 0, 0 } };

static int is_word_char(char ch)
{
	return in_set(&WORD_CHARS, ch);
}

static int is_number(const char *s, size_t n)
{
	size_t i = 0, digits = 0, dots = 0;
	if (i < n && s[i] == '-')
		i++;
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.' && digits && !dots)
			dots++;
		else
			return 0;
	}
	return digits > 0 && s[n - 1] != '.';
}

static int push(parser *p, token t)
{
	void *arr = p->toks;
	if (msc__grow(&arr, &p->cap, p->ntok + 1, sizeof(token))) {
		p->c->failed = 1;
		return -1;
	}
	p->toks = arr;
	p->toks[p->ntok++] = t;
	return 0;
}

/* Skips to the end of the line (not past it). */
static size_t line_end(const char *text, size_t i, size_t len)
{
	const char *nl = memchr(text + i, '\n', len - i);
	return nl ? (size_t)(nl - text) : len;
}

/* A quoted string from text[i] (the opening quote): one scan to the
 * closing quote, then the runs between escapes (\" and \\, the only two;
 * any other backslash stays) copied into one scratch string. The text is
 * valid UTF-8 (msc_compiler_add_text() checked it), and so is the string:
 * quotes and backslashes are never part of a multi-byte sequence. Returns
 * the index after the closing quote, 0 if the string is unterminated, or
 * (size_t)-1 if out of memory. */
static size_t scan_string(parser *p, const char *text, size_t i, size_t len, token *t)
{
	size_t j = i + 1, escapes = 0, from, k = 0;
	char *str;

	for (;;) {
		while (j < len && !in_set(&STRING_STOPS, text[j]))
			j++;
		if (j >= len || text[j] != '\\')
			break;
		if (j + 1 < len && (text[j + 1] == '"' || text[j + 1] == '\\')) {
			escapes++;
			j++;
		}
		j++;
	}
	if (j >= len || text[j] != '"')
		return 0;
	str = msc_arena_alloc(&p->scratch, j - i - escapes);
	if (!str) {
		p->c->failed = 1;
		return (size_t)-1;
	}
	for (from = i + 1; from < j;) {
		const char *bs = memchr(text + from, '\\', j - from);
		size_t run = bs ? (size_t)(bs - (text + from)) : j - from;
		memcpy(str + k, text + from, run);
		k += run;
		from += run;
		if (from < j) { /* a backslash: escaping \" or \\, or itself */
			if (text[from + 1] == '"' || text[from + 1] == '\\')
				from++;
			str[k++] = text[from++];
		}
	}
	str[k] = '\0';
	t->kind = T_STRING;
	t->s = str;
	t->n = k;
	return j + 1;
}

static int tokenize(parser *p, const char *text, size_t len)
{
	size_t i = 0;
	int line = 1, col = 1;

	/* about one token in five bytes of a rule text: one allocation for
	 * most texts (at most 4096 tokens ahead; beyond, as they come) */
	if (len > 64) {
		void *arr = NULL;
		if (msc__grow(&arr, &p->cap, len / 5 < 4096 ? len / 5 : 4096, sizeof(token))) {
			p->c->failed = 1;
			return -1;
		}
		p->toks = arr;
	}
	while (i < len) {
		char ch = text[i];
		token t;
		memset(&t, 0, sizeof(t));
		t.line = line;
		t.col = col;
		if (is_word_char(ch)) {
			size_t j = i + 1;
			while (j < len && is_word_char(text[j]))
				j++;
			t.s = &text[i];
			t.n = j - i;
			t.kind = is_number(t.s, t.n) ? T_NUMBER : T_WORD;
			if (push(p, t))
				return -1;
			col += (int)(j - i);
			i = j;
			continue;
		}
		switch (ch) {
		case '\n':
			t.kind = T_NEWLINE;
			if (push(p, t))
				return -1;
			i++;
			line++;
			col = 1;
			continue;
		case ' ':
		case '\t':
		case '\r':
			i++;
			col++;
			continue;
		case '#':
			i = line_end(text, i, len);
			continue;
		case '"': {
			size_t after = scan_string(p, text, i, len, &t);
			if (after == (size_t)-1)
				return -1;
			if (!after) {
				ERR_AT(p, &t, "unterminated string");
				i = line_end(text, i, len);
				continue;
			}
			if (push(p, t))
				return -1;
			col += (int)(after - i);
			i = after;
			continue;
		}
		case '(':
		case ')':
		case ',':
			t.kind = ch == '(' ? T_LPAREN : ch == ')' ? T_RPAREN : T_COMMA;
			t.s = &text[i];
			t.n = 1;
			if (push(p, t))
				return -1;
			i++;
			col++;
			continue;
		case '<':
		case '>':
		case '=':
		case '!': {
			size_t n = (i + 1 < len && text[i + 1] == '=') ? 2 : 1;
			t.kind = T_OP;
			t.s = &text[i];
			t.n = n;
			if (ch == '<')
				t.op = n == 2 ? MSC_LE : MSC_LT;
			else if (ch == '>')
				t.op = n == 2 ? MSC_GE : MSC_GT;
			else if (ch == '=')
				t.op = MSC_EQ;
			else if (n == 2)
				t.op = MSC_NE;
			else {
				ERR_AT(p, &t, "unexpected '!' (did you mean '!='?)");
				i++;
				col++;
				continue;
			}
			if (push(p, t))
				return -1;
			i += n;
			col += (int)n;
			continue;
		}
		default:
			ERR_AT(p, &t, "unexpected character '%c'", ch >= 32 && ch < 127 ? ch : '?');
			i++;
			col++;
		}
	}
	{
		token t;
		memset(&t, 0, sizeof(t));
		t.kind = T_NEWLINE;
		t.line = line;
		t.col = col;
		if (push(p, t))
			return -1;
		t.kind = T_EOF;
		return push(p, t);
	}
}

/* ---------------------------------------------------------------- helpers */

static token *peek(parser *p)
{
	return &p->toks[p->pos];
}

static token *next(parser *p)
{
	token *t = &p->toks[p->pos];
	if (t->kind != T_EOF)
		p->pos++;
	return t;
}

/* The next token as a property's value: at the end of a line it is not
 * consumed, so the caller reports the missing value and the next line is
 * parsed as its own. */
static token *next_value(parser *p)
{
	token *t = peek(p);
	if (t->kind == T_NEWLINE || t->kind == T_EOF)
		return t;
	return next(p);
}

static int is_word(const token *t, const char *w)
{
	return t->kind == T_WORD && strlen(w) == t->n && memcmp(t->s, w, t->n) == 0;
}

static int at_line_start(parser *p)
{
	return p->pos == 0 || p->toks[p->pos - 1].kind == T_NEWLINE;
}

static int is_top_keyword(const token *t)
{
	size_t i;
	for (i = 0; TOP_KEYWORDS[i]; i++)
		if (is_word(t, TOP_KEYWORDS[i]))
			return 1;
	return 0;
}

/* Skips to the start of the next line. */
static void skip_line(parser *p)
{
	while (peek(p)->kind != T_NEWLINE && peek(p)->kind != T_EOF)
		next(p);
	if (peek(p)->kind == T_NEWLINE)
		next(p);
}

static void skip_newlines(parser *p)
{
	while (peek(p)->kind == T_NEWLINE)
		next(p);
}

/* Skips what remains of a block, up to the next top-level keyword. */
static void skip_block(parser *p)
{
	for (;;) {
		skip_newlines(p);
		if (peek(p)->kind == T_EOF || is_top_keyword(peek(p)))
			return;
		skip_line(p);
	}
}

static int end_of_line(parser *p, const char *what)
{
	token *t = peek(p);
	if (t->kind != T_NEWLINE && t->kind != T_EOF) {
		ERR_AT(p, t, "unexpected '%.*s' after %s", (int)t->n, t->s, what);
		skip_line(p);
		return -1;
	}
	next(p);
	return 0;
}

static char *arena_tok(parser *p, const token *t)
{
	char *s = msc_arena_strndup(&p->c->rules->arena, t->s, t->n);
	if (!s)
		p->c->failed = 1;
	return s;
}

/* A string, continued by further strings on the following lines, joined
 * by a space; made in the rule set's arena at its size. */
static char *parse_text(parser *p, const char *what)
{
	size_t first = p->pos, last, i, len = 0, k = 0;
	char *s;
	token *t = peek(p);

	if (t->kind != T_STRING) {
		ERR_AT(p, t, "expected a quoted string for %s", what);
		skip_line(p);
		return NULL;
	}
	while (peek(p)->kind == T_STRING) {
		t = next(p);
		len += (len ? 1 : 0) + t->n;
		if (peek(p)->kind == T_NEWLINE && p->toks[p->pos + 1].kind == T_STRING)
			next(p);
	}
	last = p->pos;
	if (end_of_line(p, what))
		return NULL;
	s = msc_arena_alloc(&p->c->rules->arena, len + 1);
	if (!s) {
		p->c->failed = 1;
		return NULL;
	}
	for (i = first; i < last; i++) { /* strings, and the line breaks between them */
		t = &p->toks[i];
		if (t->kind != T_STRING)
			continue;
		if (k)
			s[k++] = ' ';
		memcpy(s + k, t->s, t->n);
		k += t->n;
	}
	s[k] = '\0';
	return s;
}

static int parse_number_tok(parser *p, const token *t, double *out)
{
	char tmp[64];
	if (t->kind != T_NUMBER || t->n >= sizeof(tmp)) {
		ERR_AT(p, t, "expected a number, not '%.*s'", (int)t->n, t->s);
		return -1;
	}
	memcpy(tmp, t->s, t->n);
	tmp[t->n] = '\0';
	*out = strtod(tmp, NULL);
	return 0;
}

/* ---------------------------------------------------------------- expressions */

static msc_node *parse_or(parser *p);

static msc_node *new_node(parser *p, msc_node_kind kind)
{
	msc_node *n;
	if (++p->nodes > MSC_MAX_NODES) {
		if (p->nodes == MSC_MAX_NODES + 1)
			ERR_AT(p, peek(p), "condition has more than %d terms", MSC_MAX_NODES);
		return NULL;
	}
	n = msc_arena_alloc(&p->c->rules->arena, sizeof(*n));
	if (!n) {
		p->c->failed = 1;
		return NULL;
	}
	n->kind = kind;
	n->fact = n->fact2 = -1;
	return n;
}

/* Inside an expression a line break continues the expression when a
 * parenthesis is open or the next line starts with `and` / `or`. */
static token *peek_expr(parser *p, int open)
{
	size_t save = p->pos;
	if (peek(p)->kind == T_NEWLINE) {
		while (p->toks[p->pos].kind == T_NEWLINE)
			p->pos++;
		if (open || is_word(&p->toks[p->pos], "and") || is_word(&p->toks[p->pos], "or"))
			return peek(p);
		p->pos = save;
	}
	return peek(p);
}

static int fact_ref(parser *p, const token *t, const char *what)
{
	int f;
	if (t->kind != T_WORD) {
		ERR_AT(p, t, "expected a fact for %s, not '%.*s'", what, (int)t->n, t->s);
		return -1;
	}
	f = msc__rules_fact_index(p->c->rules, t->s, t->n);
	if (f < 0)
		ERR_AT(p, t, "unknown fact '%.*s'", (int)t->n, t->s);
	return f;
}

static const char *type_name(msc_fact_type t)
{
	static const char *const names[] = {
		"yesno", "number", "enum", "medications", "allergies", "ingredients", "codes"
	};
	return names[t];
}

static int enum_value(const msc_fact *f, const token *t)
{
	size_t i;
	for (i = 0; i < f->info.value_count; i++)
		if (strlen(f->info.values[i]) == t->n && memcmp(f->info.values[i], t->s, t->n) == 0)
			return (int)i;
	return -1;
}

static msc_node *parse_atom(parser *p, int open)
{
	token *t = peek_expr(p, open);
	token *ft, *op;
	msc_node *n;
	msc_fact *f;
	int fi;

	if (++p->depth > MSC_MAX_DEPTH) {
		ERR_AT(p, t, "condition nested too deeply (more than %d levels)", MSC_MAX_DEPTH);
		return NULL;
	}
	if (is_word(t, "not")) {
		next(p);
		n = new_node(p, MSC_N_NOT);
		if (!n)
			return NULL;
		n->a = parse_atom(p, open);
		p->depth--;
		return n->a ? n : NULL;
	}
	if (t->kind == T_LPAREN) {
		next(p);
		p->paren++;
		n = parse_or(p);
		p->paren--;
		if (!n)
			return NULL;
		t = peek_expr(p, 1);
		if (t->kind != T_RPAREN) {
			ERR_AT(p, t, "expected ')'");
			return NULL;
		}
		next(p);
		p->depth--;
		return n;
	}
	if (is_word(t, "always")) {
		next(p);
		p->depth--;
		return new_node(p, MSC_N_ALWAYS);
	}
	ft = next_value(p);
	fi = fact_ref(p, ft, "the condition");
	if (fi < 0)
		return NULL;
	f = &p->c->rules->facts[fi];
	op = peek_expr(p, open || p->paren);
	p->depth--;

	if (op->kind == T_OP) {
		token *v;
		next(p);
		v = next_value(p);
		if (f->type == MSC_FT_NUMBER) {
			n = new_node(p, MSC_N_COMPARE);
			if (!n || parse_number_tok(p, v, &n->number))
				return NULL;
			n->fact = fi;
			n->op = op->op;
			return n;
		}
		if (op->op != MSC_EQ && op->op != MSC_NE) {
			ERR_AT(p, op, "'%.*s' compares numbers, and %s is %s", (int)op->n, op->s,
			       f->info.path, type_name(f->type));
			return NULL;
		}
		if (f->type == MSC_FT_YESNO) {
			n = new_node(p, MSC_N_YESNO);
			if (!n)
				return NULL;
			n->fact = fi;
			if (is_word(v, "yes"))
				n->want = 1;
			else if (is_word(v, "no"))
				n->want = 0;
			else {
				ERR_AT(p, v, "%s is yes or no, not '%.*s'", f->info.path, (int)v->n, v->s);
				return NULL;
			}
			if (op->op == MSC_NE)
				n->want = !n->want;
			return n;
		}
		if (f->type == MSC_FT_ENUM) {
			int e = enum_value(f, v);
			if (e < 0) {
				ERR_AT(p, v, "'%.*s' is not a value of %s", (int)v->n, v->s, f->info.path);
				return NULL;
			}
			n = new_node(p, MSC_N_ENUM);
			if (!n)
				return NULL;
			n->fact = fi;
			n->mask = (uint64_t)1 << e;
			n->negate = op->op == MSC_NE;
			return n;
		}
		ERR_AT(p, op, "%s is a list (%s): use 'has' or 'match'", f->info.path, type_name(f->type));
		return NULL;
	}
	if (is_word(op, "in")) {
		next(p);
		if (f->type != MSC_FT_ENUM) {
			ERR_AT(p, op, "'in' needs an enum fact, and %s is %s", f->info.path, type_name(f->type));
			return NULL;
		}
		n = new_node(p, MSC_N_ENUM);
		if (!n)
			return NULL;
		n->fact = fi;
		if (peek(p)->kind != T_LPAREN) {
			ERR_AT(p, peek(p), "expected '(' after 'in'");
			return NULL;
		}
		next(p);
		for (;;) {
			token *v = peek_expr(p, 1);
			int e;
			next(p);
			e = enum_value(f, v);
			if (e < 0) {
				ERR_AT(p, v, "'%.*s' is not a value of %s", (int)v->n, v->s, f->info.path);
				return NULL;
			}
			n->mask |= (uint64_t)1 << e;
			v = peek_expr(p, 1);
			if (v->kind == T_COMMA) {
				next(p);
				continue;
			}
			if (v->kind == T_RPAREN) {
				next(p);
				break;
			}
			ERR_AT(p, v, "expected ',' or ')'");
			return NULL;
		}
		return n;
	}
	if (is_word(op, "has")) {
		token *w;
		next(p);
		if (!MSC_FT_IS_LIST(f->type) || f->type == MSC_FT_CODES) {
			ERR_AT(p, op, "'has' needs a list of names, and %s is %s", f->info.path,
			       type_name(f->type));
			return NULL;
		}
		w = next_value(p);
		if (is_word(w, "class")) {
			token *cname = next_value(p);
			char buf[64];
			int ci;
			if (f->type != MSC_FT_MEDICATIONS) {
				ERR_AT(p, w, "'has class' needs medications, and %s is %s", f->info.path,
				       type_name(f->type));
				return NULL;
			}
			if (cname->kind != T_WORD || cname->n >= sizeof(buf)) {
				ERR_AT(p, cname, "expected a class name after 'has class'");
				return NULL;
			}
			memcpy(buf, cname->s, cname->n);
			buf[cname->n] = '\0';
			ci = msc_lex_class_index(buf);
			if (ci < 0) {
				ERR_AT(p, cname, "unknown medication class '%s'", buf);
				return NULL;
			}
			n = new_node(p, MSC_N_HAS_CLASS);
			if (!n)
				return NULL;
			n->fact = fi;
			n->cls = 1u << ci;
			n->text = msc__lex_class_names[ci];
			return n;
		}
		if (is_word(w, "unrecognized") || is_word(w, "unrecognised")) {
			n = new_node(p, MSC_N_HAS_UNRECOGNIZED);
			if (n)
				n->fact = fi;
			return n;
		}
		if (w->kind == T_STRING) {
			char norm[MSC_NORM_MAX];
			msc_lex_table tab = f->type == MSC_FT_MEDICATIONS ? MSC_LEX_MEDICATION :
					    f->type == MSC_FT_INGREDIENTS ? MSC_LEX_INGREDIENT : MSC_LEX_NONE;
			n = new_node(p, MSC_N_HAS_NAME);
			if (!n)
				return NULL;
			n->fact = fi;
			msc_lex_normalize(w->s, w->n, norm);
			n->text = msc_arena_strdup(&p->c->rules->arena, norm);
			if (!n->text) {
				p->c->failed = 1;
				return NULL;
			}
			n->hit.table = MSC_LEX_NONE;
			n->hit.entry = -1;
			if (tab != MSC_LEX_NONE)
				msc_lex_lookup(tab, norm, w->s, &n->hit);
			else if (!msc_lex_lookup(MSC_LEX_INGREDIENT, norm, w->s, &n->hit) &&
				 !msc_lex_lookup(MSC_LEX_MEDICATION, norm, w->s, &n->hit))
				msc_lex_lookup(MSC_LEX_ALLERGEN, norm, w->s, &n->hit);
			return n;
		}
		ERR_AT(p, w, "expected 'class NAME', 'unrecognized' or a quoted name after 'has'");
		return NULL;
	}
	if (is_word(op, "match")) {
		token *w;
		next(p);
		if (f->type != MSC_FT_ALLERGIES) {
			ERR_AT(p, op, "'match' compares allergies with ingredients, and %s is %s",
			       f->info.path, type_name(f->type));
			return NULL;
		}
		w = next_value(p);
		if (w->kind == T_STRING) {
			char norm[MSC_NORM_MAX];
			msc_lex_normalize(w->s, w->n, norm);
			n = new_node(p, MSC_N_MATCH_NAME);
			if (!n)
				return NULL;
			n->fact = fi;
			n->text = msc_arena_strdup(&p->c->rules->arena, norm);
			if (!n->text) {
				p->c->failed = 1;
				return NULL;
			}
			if (!msc_lex_lookup(MSC_LEX_INGREDIENT, norm, w->s, &n->hit)) {
				ERR_AT(p, w, "'%.*s' is not in the ingredient lexicon", (int)w->n, w->s);
				return NULL;
			}
			return n;
		} else {
			int f2 = fact_ref(p, w, "'match'");
			if (f2 < 0)
				return NULL;
			if (p->c->rules->facts[f2].type != MSC_FT_INGREDIENTS) {
				ERR_AT(p, w, "'match' needs an ingredients list, and %s is %s",
				       p->c->rules->facts[f2].info.path,
				       type_name(p->c->rules->facts[f2].type));
				return NULL;
			}
			n = new_node(p, MSC_N_MATCH_LIST);
			if (!n)
				return NULL;
			n->fact = fi;
			n->fact2 = f2;
			return n;
		}
	}
	if (f->type == MSC_FT_YESNO) {
		n = new_node(p, MSC_N_YESNO);
		if (!n)
			return NULL;
		n->fact = fi;
		n->want = 1;
		return n;
	}
	ERR_AT(p, ft, "%s is %s: compare it (=, <, in, has, match), it is not yes or no by itself",
	       f->info.path, type_name(f->type));
	return NULL;
}

/* Binary operators by precedence: level 0 joins level-1 expressions with
 * `or`, level 1 joins atoms with `and`. */
static msc_node *parse_level(parser *p, int level)
{
	static const char *const words[2] = { "or", "and" };
	static const msc_node_kind kinds[2] = { MSC_N_OR, MSC_N_AND };
	msc_node *left = level ? parse_atom(p, p->paren) : parse_level(p, 1);
	while (left) {
		token *t = peek_expr(p, p->paren);
		msc_node *n;
		if (!is_word(t, words[level]))
			break;
		next(p);
		n = new_node(p, kinds[level]);
		if (!n)
			return NULL;
		n->a = left;
		n->b = level ? parse_atom(p, p->paren) : parse_level(p, 1);
		if (!n->b)
			return NULL;
		left = n;
	}
	return left;
}

static msc_node *parse_or(parser *p)
{
	return parse_level(p, 0);
}

/* The condition as written, from its tokens toks[start..p->pos - 1): one
 * space apart, but none after '(' nor before ')' and ','; strings quoted.
 * Writes into `out` unless it is NULL; returns the length. */
static size_t condition_text(const parser *p, size_t start, char *out)
{
	size_t i, n = 0;
	for (i = start; i + 1 < p->pos; i++) {
		const token *t = &p->toks[i];
		if (t->kind == T_NEWLINE)
			continue;
		if (n && t->kind != T_RPAREN && t->kind != T_COMMA && p->toks[i - 1].kind != T_LPAREN) {
			if (out)
				out[n] = ' ';
			n++;
		}
		if (t->kind == T_STRING) {
			if (out) {
				out[n] = '"';
				memcpy(out + n + 1, t->s, t->n);
				out[n + 1 + t->n] = '"';
			}
			n += t->n + 2;
		} else {
			if (out)
				memcpy(out + n, t->s, t->n);
			n += t->n;
		}
	}
	return n;
}

/* Parses `when ...` up to the end of the (continued) line; keeps the text. */
static msc_node *parse_condition(parser *p, const char **text)
{
	size_t start = p->pos, len;
	msc_node *n;
	char *s;

	p->paren = 0;
	p->depth = 0;
	p->nodes = 0;
	n = parse_or(p);
	if (!n) {
		/* skip the rest of the condition, continuation lines included */
		skip_line(p);
		while (is_word(peek(p), "and") || is_word(peek(p), "or"))
			skip_line(p);
		return NULL;
	}
	if (end_of_line(p, "the condition"))
		return NULL;
	len = condition_text(p, start, NULL);
	s = msc_arena_alloc(&p->c->rules->arena, len + 1);
	if (!s) {
		p->c->failed = 1;
		return NULL;
	}
	condition_text(p, start, s);
	s[len] = '\0';
	*text = s;
	return n;
}

/* ---------------------------------------------------------------- blocks */

static const source_def *find_source(msc_compiler *c, const token *t)
{
	size_t i;
	for (i = 0; i < c->source_count; i++)
		if (strlen(c->sources[i].id) == t->n && memcmp(c->sources[i].id, t->s, t->n) == 0)
			return &c->sources[i];
	return NULL;
}

static void parse_source(parser *p, token *kw)
{
	token *id = next_value(p);
	char *title;
	source_def *s;

	if (id->kind != T_WORD) {
		ERR_AT(p, id, "expected a source id after 'source'");
		skip_line(p);
		return;
	}
	if (find_source(p->c, id)) {
		ERR_AT(p, id, "source '%.*s' is already declared", (int)id->n, id->s);
		skip_line(p);
		return;
	}
	title = parse_text(p, "the source's title");
	if (!title)
		return;
	if (p->c->source_count >= MSC_MAX_SOURCES) {
		ERR_AT(p, kw, "more than %d sources", MSC_MAX_SOURCES);
		return;
	}
	s = &p->c->sources[p->c->source_count];
	s->id = msc__strndup(id->s, id->n);
	s->title = msc__strndup(title, strlen(title));
	if (!s->id || !s->title) {
		msc__free(s->id);
		msc__free(s->title);
		p->c->failed = 1;
		return;
	}
	p->c->source_count++;
}

static int parse_sources(parser *p, msc_rule *r)
{
	const char **list;
	size_t n = 0, i;
	size_t start = p->pos;

	while (peek(p)->kind == T_WORD)
		{ next(p); n++; }
	p->pos = start;
	if (n == 0) {
		ERR_AT(p, peek(p), "expected source ids after 'sources'");
		skip_line(p);
		return -1;
	}
	list = msc_arena_alloc(&p->c->rules->arena, n * sizeof(char *));
	if (!list) {
		p->c->failed = 1;
		return -1;
	}
	for (i = 0; i < n; i++) {
		token *t = next_value(p);
		const source_def *s = find_source(p->c, t);
		if (!s) {
			ERR_AT(p, t, "unknown source '%.*s' (declare it with 'source')", (int)t->n, t->s);
			list[i] = "";
			continue;
		}
		list[i] = msc_arena_strdup(&p->c->rules->arena, s->title);
		if (!list[i])
			p->c->failed = 1;
	}
	r->info.sources = list;
	r->info.source_count = n;
	return end_of_line(p, "the sources");
}

static int fact_type(const token *t, msc_fact_type *out)
{
	static const char *const names[] = {
		"yesno", "number", "enum", "medications", "allergies", "ingredients", "codes", NULL
	};
	int i;
	for (i = 0; names[i]; i++)
		if (is_word(t, names[i])) {
			*out = (msc_fact_type)i;
			return 0;
		}
	return -1;
}

static msc_fact *new_fact(msc_compiler *c)
{
	msc_rules *r = c->rules;
	void *arr = r->facts;
	if (msc__grow(&arr, &r->fact_cap, r->fact_count + 1, sizeof(msc_fact))) {
		c->failed = 1;
		return NULL;
	}
	r->facts = arr;
	memset(&r->facts[r->fact_count], 0, sizeof(msc_fact));
	return &r->facts[r->fact_count];
}

static int add_section(msc_compiler *c, const char *name, size_t n)
{
	msc_rules *r = c->rules;
	int s = msc__rules_section_index(r, name, n);
	char **arr;
	if (s >= 0)
		return s;
	arr = msc_arena_alloc(&r->arena, (r->section_count + 1) * sizeof(char *));
	if (!arr)
		return -1;
	if (r->section_count)
		memcpy(arr, r->sections, r->section_count * sizeof(char *));
	arr[r->section_count] = msc_arena_strndup(&r->arena, name, n);
	if (!arr[r->section_count])
		return -1;
	r->sections = arr;
	return (int)r->section_count++;
}

static void parse_fact(parser *p)
{
	token *path = next(p), *ty;
	msc_fact *f;
	msc_fact_type type;
	const char *dot;
	const char *values[MSC_MAX_ENUM];
	size_t nvalues = 0;
	int bad = 0;

	if (path->kind != T_WORD || !(dot = memchr(path->s, '.', path->n)) || dot == path->s ||
	    (size_t)(dot - path->s) + 1 >= path->n || memchr(dot + 1, '.', path->n - (size_t)(dot - path->s) - 1)) {
		ERR_AT(p, path, "expected a fact path such as patient.age after 'fact'");
		skip_block(p);
		return;
	}
	if (msc__rules_fact_index(p->c->rules, path->s, path->n) >= 0 ||
	    msc__rules_fact_index(p->c->rules, dot + 1, path->n - (size_t)(dot - path->s) - 1) >= 0) {
		ERR_AT(p, path, "fact '%.*s' is already declared", (int)path->n, path->s);
		skip_block(p);
		return;
	}
	ty = next_value(p);
	if (fact_type(ty, &type)) {
		ERR_AT(p, ty, "expected a fact type (yesno, number, enum, medications, allergies, ingredients, codes), not '%.*s'",
		       (int)ty->n, ty->s);
		skip_block(p);
		return;
	}
	if (type == MSC_FT_ENUM) {
		while (peek(p)->kind == T_WORD || peek(p)->kind == T_NUMBER) {
			token *v = next_value(p);
			if (nvalues == MSC_MAX_ENUM) {
				ERR_AT(p, v, "more than %d values", MSC_MAX_ENUM);
				bad = 1;
				break;
			}
			values[nvalues] = arena_tok(p, v);
			if (!values[nvalues])
				return;
			nvalues++;
		}
		if (!nvalues) {
			ERR_AT(p, peek(p), "an enum fact lists its values after 'enum'");
			bad = 1;
		}
	}
	if (bad || end_of_line(p, "the fact's type")) {
		skip_block(p);
		return;
	}
	if (p->c->rules->fact_count >= MSC_MAX_FACTS) {
		ERR_AT(p, path, "more than %d facts", MSC_MAX_FACTS);
		skip_block(p);
		return;
	}
	f = new_fact(p->c);
	if (!f)
		return;
	f->type = type;
	f->info.path = arena_tok(p, path);
	f->info.type = type_name(type);
	f->min = -INFINITY;
	f->max = INFINITY;
	if (!f->info.path)
		return;
	f->name = f->info.path + (dot - path->s) + 1;
	f->section = add_section(p->c, path->s, (size_t)(dot - path->s));
	if (f->section < 0) {
		p->c->failed = 1;
		return;
	}
	if (nvalues) {
		const char **v = msc_arena_alloc(&p->c->rules->arena, nvalues * sizeof(char *));
		if (!v) {
			p->c->failed = 1;
			return;
		}
		memcpy(v, values, nvalues * sizeof(char *));
		f->info.values = v;
		f->info.value_count = nvalues;
	}
	/* properties */
	for (;;) {
		token *k;
		skip_newlines(p);
		k = peek(p);
		if (k->kind == T_EOF || is_top_keyword(k))
			break;
		next(p);
		if (is_word(k, "question")) {
			f->info.question = parse_text(p, "the question");
		} else if (is_word(k, "default")) {
			token *v = next_value(p);
			f->has_default = 1;
			f->default_state = MSC_VS_VALUE;
			if (is_word(v, "none") && f->type == MSC_FT_NUMBER) {
				f->default_state = MSC_VS_NONE;
			} else if (f->type == MSC_FT_YESNO && (is_word(v, "yes") || is_word(v, "no"))) {
				f->default_answer = is_word(v, "yes");
			} else if (f->type == MSC_FT_NUMBER && v->kind == T_NUMBER) {
				parse_number_tok(p, v, &f->default_number);
			} else if (f->type == MSC_FT_ENUM && (f->default_enum = enum_value(f, v)) >= 0) {
				/* ok */
			} else {
				ERR_AT(p, v, "'%.*s' is not a default for %s (%s)", (int)v->n, v->s,
				       f->info.path, f->info.type);
				f->has_default = 0;
			}
			end_of_line(p, "the default");
		} else if ((is_word(k, "min") || is_word(k, "max") || is_word(k, "above")) &&
			   f->type == MSC_FT_NUMBER) {
			double d;
			if (parse_number_tok(p, next_value(p), &d) == 0) {
				if (is_word(k, "max"))
					f->max = d;
				else {
					f->min = d;
					f->min_exclusive = is_word(k, "above");
				}
			}
			end_of_line(p, "the limit");
		} else if (is_word(k, "accepts") && f->type == MSC_FT_NUMBER) {
			token *v = next_value(p);
			if (!is_word(v, "never"))
				ERR_AT(p, v, "a number fact accepts only the word 'never'");
			f->info.accepts_never = 1;
			end_of_line(p, "'accepts never'");
		} else {
			ERR_AT(p, k, "unknown property '%.*s' for %s %s fact", (int)k->n, k->s,
			       f->info.type[0] == 'e' || f->info.type[0] == 'a' ? "an" : "a", f->info.type);
			skip_line(p);
		}
	}
	p->c->rules->fact_count++;
}

static msc_rule *find_rule(msc_rules *r, const char *id, size_t n)
{
	size_t i;
	for (i = 0; i < r->rule_count; i++)
		if (strlen(r->rules[i].info.id) == n && memcmp(r->rules[i].info.id, id, n) == 0)
			return &r->rules[i];
	return NULL;
}

static int severity_word(const token *t, msc_verdict *out)
{
	if (is_word(t, "contraindicated"))
		*out = MSC_CONTRAINDICATED;
	else if (is_word(t, "defer"))
		*out = MSC_DEFER;
	else if (is_word(t, "caution"))
		*out = MSC_CAUTION;
	else
		return -1;
	return 0;
}

typedef enum rule_mode { MODE_NEW, MODE_OVERRIDE, MODE_DISABLE } rule_mode;

/* Parses `rule ID`, `instruction ID`, `override ID` or `disable ID` and
 * its properties. A new entry is added at once; a change to an entry of an
 * earlier text waits in p->pending until the whole text has compiled. */
static void parse_rule(parser *p, token *kw, msc_rule_kind kind, rule_mode mode)
{
	token *id = next_value(p);
	msc_rule r, *target = NULL;
	int have_severity = 0, have_phase = 0, have_when = 0, have_text = 0, errors_before = p->errors;
	msc_ask asks[16];
	size_t nask = 0;
	const char *what = mode == MODE_OVERRIDE ? "override" : mode == MODE_DISABLE ? "disable" :
			   kind == MSC_RULE ? "rule" : "instruction";

	memset(&r, 0, sizeof(r));
	r.info.kind = kind;
	if (id->kind != T_WORD) {
		ERR_AT(p, id, "expected an id after '%s'", what);
		skip_block(p);
		return;
	}
	target = find_rule(p->c->rules, id->s, id->n);
	if (mode == MODE_NEW && target) {
		ERR_AT(p, id, "duplicate id '%.*s'%s", (int)id->n, id->s,
		       target->info.origin != p->name ? " (to change an earlier rule, use 'override' or 'disable')" : "");
		skip_block(p);
		return;
	}
	if (mode != MODE_NEW && (!target || target->info.origin == p->name)) {
		ERR_AT(p, id, "'%s' needs a rule of an earlier rule text, and '%.*s' is not one", what,
		       (int)id->n, id->s);
		skip_block(p);
		return;
	}
	if (end_of_line(p, "the id")) {
		skip_block(p);
		return;
	}
	if (target) {
		r = *target;
		kind = r.info.kind;
		/* each change states its own reason: never inherit an earlier one */
		r.info.reason = NULL;
		r.info.changed_by = p->name;
		r.info.disabled = mode == MODE_DISABLE;
	} else {
		r.info.id = arena_tok(p, id);
		r.info.origin = p->name;
	}
	for (;;) {
		token *k;
		skip_newlines(p);
		k = peek(p);
		if (k->kind == T_EOF || is_top_keyword(k))
			break;
		next(p);
		if (is_word(k, "reason") && mode != MODE_NEW) {
			r.info.reason = parse_text(p, "the reason");
		} else if (mode == MODE_DISABLE) {
			ERR_AT(p, k, "'disable' takes only a 'reason', not '%.*s'", (int)k->n, k->s);
			skip_line(p);
		} else if (is_word(k, "severity") && kind == MSC_RULE) {
			token *v = next_value(p);
			if (severity_word(v, &r.info.severity))
				ERR_AT(p, v, "severity is contraindicated, defer or caution, not '%.*s'",
				       (int)v->n, v->s);
			else
				have_severity = 1;
			end_of_line(p, "the severity");
		} else if (is_word(k, "phase") && kind == MSC_INSTRUCTION) {
			token *v = next_value(p);
			if (is_word(v, "before"))
				r.info.phase = MSC_BEFORE;
			else if (is_word(v, "after"))
				r.info.phase = MSC_AFTER;
			else
				ERR_AT(p, v, "phase is before or after, not '%.*s'", (int)v->n, v->s);
			have_phase = 1;
			end_of_line(p, "the phase");
		} else if (is_word(k, "when")) {
			if (have_when)
				ERR_AT(p, k, "a second 'when'");
			have_when = 1;
			r.when = parse_condition(p, &r.info.condition);
		} else if (is_word(k, (kind == MSC_RULE) ? "message" : "text")) {
			have_text = 1;
			r.info.message = parse_text(p, (kind == MSC_RULE) ? "the message" : "the text");
		} else if (is_word(k, "sources")) {
			parse_sources(p, &r);
		} else if (is_word(k, "ask")) {
			token *ft = next_value(p);
			int fi = fact_ref(p, ft, "'ask'");
			const char *q = parse_text(p, "the question");
			if (nask == sizeof(asks) / sizeof(asks[0]))
				ERR_AT(p, k, "more than %zu 'ask' lines", sizeof(asks) / sizeof(asks[0]));
			else if (fi >= 0 && q) {
				memset(&asks[nask], 0, sizeof(asks[nask]));
				asks[nask].fact = fi;
				asks[nask].question = q;
				nask++;
			}
		} else {
			ERR_AT(p, k, "unknown property '%.*s' for %s %s", (int)k->n, k->s,
			       what[0] == 'i' || what[0] == 'o' ? "an" : "a", what);
			skip_line(p);
		}
	}
	if (p->errors != errors_before)
		return;
	if (mode == MODE_NEW) {
		if (kind == MSC_RULE && !have_severity)
			ERR_AT(p, kw, "rule %s has no severity", r.info.id);
		if (kind == MSC_INSTRUCTION && !have_phase)
			ERR_AT(p, kw, "instruction %s has no phase", r.info.id);
		if (kind == MSC_RULE && !have_when)
			ERR_AT(p, kw, "rule %s has no 'when' condition", r.info.id);
		if (!have_text)
			ERR_AT(p, kw, "%s %s has no %s", what, r.info.id, kind == MSC_RULE ? "message" : "text");
		if (!r.info.source_count)
			ERR_AT(p, kw, "%s %s cites no sources", what, r.info.id);
	} else if (!r.info.reason) {
		/* only a stricter severity needs no reason */
		int stricter_only = mode == MODE_OVERRIDE && !have_when && !have_text && !have_phase && !nask &&
				    (!have_severity || r.info.severity >= target->info.severity);
		if (mode == MODE_DISABLE)
			ERR_AT(p, kw, "disabling %s needs a stated 'reason'", r.info.id);
		else if (!stricter_only)
			ERR_AT(p, kw, "this override can weaken %s: state a 'reason' (it is shown in every result it affects)",
			       r.info.id);
	}
	if (p->errors != errors_before)
		return;
	if (!r.info.condition)
		r.info.condition = "always";
	if (nask) {
		msc_ask *all = msc_arena_alloc(&p->c->rules->arena, (r.ask_count + nask) * sizeof(msc_ask));
		if (!all) {
			p->c->failed = 1;
			return;
		}
		if (r.ask_count)
			memcpy(all + nask, r.asks, r.ask_count * sizeof(msc_ask));
		memcpy(all, asks, nask * sizeof(msc_ask));
		r.asks = all;
		r.ask_count += nask;
	}
	if (mode == MODE_NEW) {
		msc_rules *rs = p->c->rules;
		void *arr = rs->rules;
		if (rs->rule_count >= MSC_MAX_RULES) {
			ERR_AT(p, kw, "more than %d rules", MSC_MAX_RULES);
			return;
		}
		if (msc__grow(&arr, &rs->rule_cap, rs->rule_count + 1, sizeof(msc_rule))) {
			p->c->failed = 1;
			return;
		}
		rs->rules = arr;
		rs->rules[rs->rule_count++] = r;
	} else {
		void *arr = p->pending;
		if (msc__grow(&arr, &p->pending_cap, p->pending_count + 1, sizeof(pending_change))) {
			p->c->failed = 1;
			return;
		}
		p->pending = arr;
		p->pending[p->pending_count].index = (size_t)(target - p->c->rules->rules);
		p->pending[p->pending_count].rule = r;
		p->pending_count++;
	}
}

static void parse_text_top(parser *p)
{
	for (;;) {
		token *k;
		skip_newlines(p);
		k = peek(p);
		if (k->kind == T_EOF || p->c->failed)
			return;
		if (!at_line_start(p) || !is_top_keyword(k)) {
			ERR_AT(p, k, "expected ruleset, version, source, fact, rule, instruction, override or disable, not '%.*s'",
			       (int)k->n, k->s);
			skip_block(p);
			if (peek(p) == k)
				skip_line(p);
			continue;
		}
		next(p);
		if (is_word(k, "ruleset") || is_word(k, "version")) {
			token *v = next_value(p);
			int is_name = is_word(k, "ruleset");
			if (v->kind != T_WORD && v->kind != T_NUMBER && v->kind != T_STRING) {
				ERR_AT(p, v, "expected a name after '%.*s'", (int)k->n, k->s);
				skip_line(p);
				continue;
			}
			if (p->builtin) {
				char **slot = is_name ? &p->c->rules->name : &p->c->rules->version;
				msc__free(*slot);
				*slot = msc__strndup(v->s, v->n);
				if (!*slot)
					p->c->failed = 1;
			} else {
				/* a clinic file names itself; the built-in table keeps its name */
				const char **slot = is_name ? &p->file->ruleset : &p->file->version;
				*slot = arena_tok(p, v);
			}
			end_of_line(p, "the name");
		} else if (is_word(k, "source")) {
			parse_source(p, k);
		} else if (is_word(k, "fact")) {
			parse_fact(p);
		} else if (is_word(k, "rule")) {
			parse_rule(p, k, MSC_RULE, MODE_NEW);
		} else if (is_word(k, "instruction")) {
			parse_rule(p, k, MSC_INSTRUCTION, MODE_NEW);
		} else if (is_word(k, "override")) {
			parse_rule(p, k, MSC_RULE, MODE_OVERRIDE);
		} else {
			parse_rule(p, k, MSC_RULE, MODE_DISABLE);
		}
	}
}

/* ---------------------------------------------------------------- compiler */

MSC_EXTERN(int) msc_compiler_new(msc_compiler **out)
{
	msc_compiler *c;
	int rc;

	if (!out)
		return msc__fail(MSC_EINVAL, "out is NULL");
	*out = NULL;
	c = msc__calloc(1, sizeof(*c));
	if (!c)
		return msc__fail(MSC_ENOMEM, "out of memory");
	c->rules = msc__calloc(1, sizeof(compiled_rules));
	if (!c->rules) {
		msc__free(c);
		return msc__fail(MSC_ENOMEM, "out of memory");
	}
	rc = msc_compiler_add_text(c, "builtin", msc__builtin_rules, msc__builtin_rules_len);
	if (rc) {
		/* only a broken build gets here (builtin.rules is compiled by
		 * every test): say what is wrong */
		if (rc == MSC_ERULES) /* GCOVR_EXCL_BR_LINE */
			msc__fail(MSC_ERULES, "the built-in rule table does not compile: %s", /* GCOVR_EXCL_LINE */
				  msc_compiler_error(c, 0));
		msc_compiler_free(c);
		return rc;
	}
	*out = c;
	return MSC_OK;
}

/* ---------------------------------------------------------------- a compiler from a rule set */

/* Copies a finished rule set into a compiler's rule set being built. */
typedef struct name_copy {
	const char *from, *to;
} name_copy;

typedef struct copier {
	msc_arena *arena;
	char *block;             /* carved into strings and nodes: one arena */
	size_t left;             /* allocation per many, not per string */
	name_copy *names;        /* texts' names (origin, changed_by), copied once */
	size_t name_count, name_cap;
	int failed;
} copier;

#define COPY_BLOCK 8192

/* `size` bytes aligned for any object, from the current block or a new one. */
static void *copy_alloc(copier *cp, size_t size)
{
	size_t align = _Alignof(max_align_t), pad = (size_t)((uintptr_t)cp->block % align);
	void *p;
	pad = pad ? align - pad : 0;
	if (!cp->block || size + pad > cp->left) {
		size_t n = size > COPY_BLOCK ? size : COPY_BLOCK;
		cp->block = msc_arena_alloc(cp->arena, n); /* aligned */
		if (!cp->block) {
			cp->failed = 1;
			cp->left = 0;
			return NULL;
		}
		cp->left = n;
		pad = 0;
	}
	p = cp->block + pad;
	cp->block += pad + size;
	cp->left -= pad + size;
	return p;
}

static char *copy_str(copier *cp, const char *s)
{
	size_t n;
	char *d;
	if (!s)
		return NULL;
	n = strlen(s) + 1;
	if (n > cp->left) {
		d = copy_alloc(cp, n);
		if (!d)
			return NULL;
	} else { /* strings need no alignment */
		d = cp->block;
		cp->block += n;
		cp->left -= n;
	}
	memcpy(d, s, n);
	return d;
}

/* A text's name: the rules of a text share one string, and so do their copies. */
static const char *copy_name(copier *cp, const char *s)
{
	size_t i;
	void *arr = cp->names;
	if (!s)
		return NULL;
	for (i = 0; i < cp->name_count; i++)
		if (cp->names[i].from == s)
			return cp->names[i].to;
	if (msc__grow(&arr, &cp->name_cap, cp->name_count + 1, sizeof(name_copy))) {
		cp->failed = 1;
		return NULL;
	}
	cp->names = arr;
	cp->names[cp->name_count].from = s;
	cp->names[cp->name_count].to = copy_str(cp, s);
	return cp->names[cp->name_count++].to;
}

static const char **copy_strs(copier *cp, const char *const *v, size_t n)
{
	const char **d;
	size_t i;
	if (!n)
		return NULL;
	d = copy_alloc(cp, n * sizeof(char *));
	if (!d)
		return NULL;
	for (i = 0; i < n; i++)
		d[i] = copy_str(cp, v[i]);
	return d;
}

/* A condition: at most MSC_MAX_NODES nodes, as deep as screening recurses. */
static msc_node *copy_node(copier *cp, const msc_node *n)
{
	msc_node *d;
	if (!n || cp->failed)
		return NULL;
	d = copy_alloc(cp, sizeof(*d));
	if (!d)
		return NULL;
	*d = *n;
	d->text = copy_str(cp, n->text);
	d->a = copy_node(cp, n->a);
	d->b = copy_node(cp, n->b);
	return d;
}

/* A tripwire for copy_rules() below, on the platform CI builds on: a field
 * added to one of these structs must be copied there, or left to
 * msc__rules_finish() (then reset there), before the size here is updated.
 * A pointer copied as it is would point into the base, which the caller
 * may free. */
#if defined(__x86_64__) && defined(__LP64__)
_Static_assert(sizeof(struct msc_rules) == 264, "struct msc_rules changed: update copy_rules()");
_Static_assert(sizeof(msc_fact) == 144, "msc_fact changed: update copy_rules()");
_Static_assert(sizeof(msc_fact_info) == 48, "msc_fact_info changed: update copy_rules()");
_Static_assert(sizeof(msc_rule) == 168, "msc_rule changed: update copy_rules()");
_Static_assert(sizeof(msc_rule_info) == 88, "msc_rule_info changed: update copy_rules()");
_Static_assert(sizeof(msc_node) == 104, "msc_node changed: update copy_node()");
_Static_assert(sizeof(msc_ask) == 32, "msc_ask changed: update copy_rules()");
_Static_assert(sizeof(msc_rules_file) == 32, "msc_rules_file changed: update copy_rules()");
#endif

/* Copies every part of `base` (every field of struct msc_rules, internal.h)
 * that compiling reads or the finished set keeps into c->rules, empty and
 * allocated as compiled_rules; what msc__rules_finish() derives (look-ups,
 * list and name fact indexes, a fact's `said` phrases, the JSON fragments)
 * is left to it, in msc_compiler_get_rules(). */
static int copy_rules(msc_compiler *c, const msc_rules *base, size_t name_len)
{
	const compiled_rules *bc = (const compiled_rules *)(const void *)base;
	msc_rules *r = c->rules;
	copier cp;
	size_t i;
	void *arr;

	memset(&cp, 0, sizeof(cp));
	cp.arena = &r->arena;

	r->name = msc__strndup(base->name, name_len);
	r->version = msc__strndup(base->version, strlen(base->version));
	if (!r->name || !r->version)
		goto oom;
	r->override_count = base->override_count;

	/* provenance: a file's name is the origin of its rules */
	if (base->file_count) {
		arr = NULL;
		if (msc__grow(&arr, &r->file_cap, base->file_count, sizeof(msc_rules_file)))
			goto oom;
		r->files = arr;
		for (i = 0; i < base->file_count; i++) {
			const msc_rules_file *f = &base->files[i];
			r->files[i].name = copy_name(&cp, f->name);
			r->files[i].ruleset = copy_str(&cp, f->ruleset);
			r->files[i].version = copy_str(&cp, f->version);
			r->files[i].sha256 = copy_str(&cp, f->sha256);
		}
		r->file_count = base->file_count;
	}

	if (base->section_count) {
		r->sections = (char **)copy_strs(&cp, (const char *const *)base->sections, base->section_count);
		r->section_count = base->section_count;
	}

	if (base->fact_count) {
		arr = NULL;
		/* room for a text's own facts and rules without a first realloc */
		if (msc__grow(&arr, &r->fact_cap, base->fact_count + 16, sizeof(msc_fact)))
			goto oom;
		r->facts = arr;
		for (i = 0; i < base->fact_count; i++) {
			const msc_fact *f = &base->facts[i];
			msc_fact *d = &r->facts[i];
			*d = *f;
			d->info.path = copy_str(&cp, f->info.path);
			d->info.type = type_name(f->type);
			d->info.question = copy_str(&cp, f->info.question);
			d->info.values = copy_strs(&cp, f->info.values, f->info.value_count);
			/* the bare name is the path's tail */
			d->name = d->info.path ? d->info.path + (f->name - f->info.path) : NULL;
			d->said = NULL; /* msc__rules_finish() */
			d->json_missing = NULL;
			d->json_missing_len = 0;
		}
		r->fact_count = base->fact_count;
	}

	if (base->rule_count) {
		arr = NULL;
		if (msc__grow(&arr, &r->rule_cap, base->rule_count + 16, sizeof(msc_rule)))
			goto oom;
		r->rules = arr;
		for (i = 0; i < base->rule_count && !cp.failed; i++) {
			const msc_rule *from = &base->rules[i];
			msc_rule *d = &r->rules[i];
			size_t k;
			*d = *from;
			d->info.id = copy_str(&cp, from->info.id);
			d->info.condition = copy_str(&cp, from->info.condition);
			d->info.message = copy_str(&cp, from->info.message);
			d->info.sources = copy_strs(&cp, from->info.sources, from->info.source_count);
			d->info.origin = copy_name(&cp, from->info.origin);
			d->info.reason = copy_str(&cp, from->info.reason);
			d->info.changed_by = copy_name(&cp, from->info.changed_by);
			d->json_head = d->json_tail = NULL;
			d->json_head_len = d->json_tail_len = 0;
			d->json_rule = NULL;
			d->json_rule_len = 0;
			d->when = copy_node(&cp, from->when);
			d->cond = 0; /* msc__rules_finish(), with each node's slot */
			d->asks = NULL;
			if (from->ask_count) {
				d->asks = copy_alloc(&cp, from->ask_count * sizeof(msc_ask));
				/* no input was found that makes this one copy fail (the
				 * asks follow aligned condition nodes in the same block;
				 * file names of 1 to 16,400 bytes were tried): kept for
				 * safety, excluded from the line gate */
				if (!d->asks) /* GCOVR_EXCL_BR_LINE */
					break; /* GCOVR_EXCL_LINE */
				for (k = 0; k < from->ask_count; k++) {
					d->asks[k].fact = from->asks[k].fact;
					d->asks[k].question = copy_str(&cp, from->asks[k].question);
					d->asks[k].json = NULL; /* msc__rules_finish() */
					d->asks[k].json_len = 0;
				}
			}
		}
		r->rule_count = base->rule_count;
	}

	/* the sources its texts declared, for later texts to cite: in the
	 * rule set's arena, like everything else of base */
	for (i = 0; i < bc->source_count; i++) {
		c->sources[i].id = copy_str(&cp, bc->sources[i].id);
		c->sources[i].title = copy_str(&cp, bc->sources[i].title);
	}
	if (cp.failed)
		goto oom;
	c->source_count = c->base_sources = bc->source_count;
	msc__free(cp.names);
	/* the built-in table and every file of base count as texts compiled in */
	c->text_count = 1 + base->file_count;
	return MSC_OK;
oom:
	msc__free(cp.names);
	return msc__fail(MSC_ENOMEM, "out of memory");
}

/* The length of a finished rule set's name before msc_compiler_get_rules()
 * appended "+label" for each file, or (size_t)-1 if it is not such a set
 * (one still being compiled has no look-ups yet). */
static size_t unfinished_name_len(const msc_rules *r)
{
	size_t i, suffix = 0, len;
	if (!r->fact_slots || !r->name || !r->version)
		return (size_t)-1;
	for (i = 0; i < r->file_count; i++)
		suffix += 1 + strlen(file_label(&r->files[i]));
	len = strlen(r->name);
	return suffix > len || (suffix && r->name[len - suffix] != '+') ? (size_t)-1 : len - suffix;
}

MSC_EXTERN(int) msc_compiler_new_from(msc_compiler **out, const msc_rules *base)
{
	msc_compiler *c;
	size_t name_len;
	int rc;

	if (!out)
		return msc__fail(MSC_EINVAL, "out is NULL");
	*out = NULL;
	if (!base)
		return msc__fail(MSC_EINVAL, "base is NULL");
	if ((name_len = unfinished_name_len(base)) == (size_t)-1)
		return msc__fail(MSC_EINVAL, "base is not a finished rule set");
	c = msc__calloc(1, sizeof(*c));
	if (!c)
		return msc__fail(MSC_ENOMEM, "out of memory");
	c->rules = msc__calloc(1, sizeof(compiled_rules));
	if (!c->rules) {
		msc__free(c);
		return msc__fail(MSC_ENOMEM, "out of memory");
	}
	rc = copy_rules(c, base, name_len);
	if (rc) {
		msc_compiler_free(c);
		return rc;
	}
	*out = c;
	return MSC_OK;
}

MSC_EXTERN(int) msc_compiler_add_text(msc_compiler *c, const char *name, const char *text, size_t len)
{
	parser p;
	size_t facts_before, rules_before, sections_before, sources_before, i;
	char *hash = NULL;        /* a later text's SHA-256, in its provenance */
	int rc = MSC_OK;

	if (!c || !name || (!text && len))
		return msc__fail(MSC_EINVAL, "compiler, name or text is NULL");
	if (!c->rules)
		return msc__fail(MSC_EINVAL, "this compiler has already handed over its rules");
	if (len > MSC_MAX_RULE_TEXT)
		return msc__fail(MSC_ELIMIT, "%s: %zu bytes, more than the limit of %d", name, len,
				 MSC_MAX_RULE_TEXT);
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.builtin = c->text_count == 0;
	p.name = msc_arena_strdup(&c->rules->arena, name);
	if (!p.name) {
		c->failed = 1; /* a text was lost: the rule set must not be finished */
		return msc__fail(MSC_ENOMEM, "out of memory");
	}
	if (!p.builtin) {
		/* provenance: the file's name and the hash of its content */
		msc_rules *r = c->rules;
		void *arr = r->files;
		hash = msc_arena_alloc(&r->arena, 65);
		if (!hash || msc__grow(&arr, &r->file_cap, r->file_count + 1, sizeof(msc_rules_file))) {
			c->failed = 1;
			return msc__fail(MSC_ENOMEM, "out of memory");
		}
		r->files = arr;
		p.file = &r->files[r->file_count];
		memset(p.file, 0, sizeof(*p.file));
		p.file->name = p.name;
		p.file->sha256 = hash;
	}
	facts_before = c->rules->fact_count;
	rules_before = c->rules->rule_count;
	sections_before = c->rules->section_count;
	sources_before = c->source_count;
	if (!msc_utf8_valid(text ? text : "", len)) {
		add_error(c, name, 1, 1, "the text is not valid UTF-8 (or holds a NUL byte)");
		p.errors++;
	} else if (tokenize(&p, text ? text : "", len) == 0) {
		parse_text_top(&p);
	}
	if (c->failed)
		rc = msc__fail(MSC_ENOMEM, "out of memory");
	else if (p.errors)
		rc = msc__fail(MSC_ERULES, "%s: %d error%s in the rule text; first: %s", name, p.errors,
			       p.errors == 1 ? "" : "s", c->errors[c->error_count - (size_t)p.errors]);
	if (rc) {
		/* a text with errors adds nothing and changes nothing */
		c->rules->fact_count = facts_before;
		c->rules->rule_count = rules_before;
		c->rules->section_count = sections_before;
		while (c->source_count > sources_before) {
			c->source_count--;
			msc__free(c->sources[c->source_count].id);
			msc__free(c->sources[c->source_count].title);
		}
	} else {
		for (i = 0; i < p.pending_count; i++) {
			if (!c->rules->rules[p.pending[i].index].info.changed_by)
				c->rules->override_count++;
			c->rules->rules[p.pending[i].index] = p.pending[i].rule;
		}
		if (p.file) {
			/* hashed once it compiled: a refused text has no provenance */
			msc_sha256_hex(text ? text : "", len, hash);
			c->rules->file_count++;
		}
		c->text_count++;
	}
	msc__free(p.toks);
	msc__free(p.pending);
	msc_arena_free(&p.scratch);
	return rc;
}

MSC_EXTERN(int) msc_compiler_add_file(msc_compiler *c, const char *path)
{
	FILE *f;
	msc_buf b = {0};
	char chunk[8192];
	size_t n;
	int rc;

	if (!c || !path)
		return msc__fail(MSC_EINVAL, "compiler or path is NULL");
	f = fopen(path, "rb");
	if (!f)
		return msc__fail(MSC_EIO, "%s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > MSC_MAX_RULE_TEXT) {
			fclose(f);
			msc_buf_free(&b);
			return msc__fail(MSC_ELIMIT, "%s: more than the limit of %d bytes", path,
					 MSC_MAX_RULE_TEXT);
		}
		if (msc_buf_append(&b, chunk, n)) {
			fclose(f);
			msc_buf_free(&b);
			c->failed = 1;
			return MSC_ENOMEM;
		}
	}
	if (ferror(f)) {
		fclose(f);
		msc_buf_free(&b);
		return msc__fail(MSC_EIO, "%s: read error", path);
	}
	fclose(f);
	rc = msc_compiler_add_text(c, path, b.data ? b.data : "", b.len);
	msc_buf_free(&b);
	return rc;
}

MSC_EXTERN(size_t) msc_compiler_error_count(const msc_compiler *c)
{
	return c ? c->error_count : 0;
}

MSC_EXTERN(const char *) msc_compiler_error(const msc_compiler *c, size_t i)
{
	return c && i < c->error_count ? c->errors[i] : NULL;
}

/* Keeps the compiler's source table in the rule set's arena, for
 * msc_compiler_new_from(). */
static int keep_sources(msc_compiler *c)
{
	compiled_rules *cr = (compiled_rules *)(void *)c->rules;
	source_def *s = NULL;
	size_t i;

	if (c->source_count) {
		s = msc_arena_alloc(&c->rules->arena, c->source_count * sizeof(*s));
		if (!s)
			return MSC_ENOMEM;
		for (i = 0; i < c->source_count; i++) {
			if (i < c->base_sources) { /* in this arena already */
				s[i] = c->sources[i];
				continue;
			}
			s[i].id = msc_arena_strdup(&c->rules->arena, c->sources[i].id);
			s[i].title = msc_arena_strdup(&c->rules->arena, c->sources[i].title);
			if (!s[i].id || !s[i].title)
				return MSC_ENOMEM;
		}
	}
	cr->sources = s;
	cr->source_count = c->source_count;
	return MSC_OK;
}

MSC_EXTERN(int) msc_compiler_get_rules(msc_compiler *c, msc_rules **out)
{
	if (!c || !out)
		return msc__fail(MSC_EINVAL, "compiler or out is NULL");
	*out = NULL;
	if (!c->rules)
		return msc__fail(MSC_EINVAL, "this compiler has already handed over its rules");
	if (c->failed)
		return msc__fail(MSC_ENOMEM, "out of memory while compiling");
	if (c->error_count)
		return msc__fail(MSC_ERULES, "%zu error%s in the rule text; first: %s", c->error_count,
				 c->error_count == 1 ? "" : "s", c->errors[0]);
	/* builtin.rules names itself and gives its version; a failure to copy
	 * them stops the compiler before this point */
	if (!c->rules->name || !c->rules->version) /* GCOVR_EXCL_BR_LINE */
		return msc__fail(MSC_ERULES, "the rule set has no name or version"); /* GCOVR_EXCL_LINE */
	{
		/* "builtin+clinic-a+clinic-b": the files by their ruleset name (or
		 * file name); the old name is kept until nothing can fail */
		msc_buf b = {0};
		char *old = c->rules->name;
		size_t i;
		if (msc_buf_puts(&b, old))
			return MSC_ENOMEM;
		for (i = 0; i < c->rules->file_count; i++) {
			if (msc_buf_append(&b, "+", 1) || msc_buf_puts(&b, file_label(&c->rules->files[i]))) {
				msc_buf_free(&b);
				return MSC_ENOMEM;
			}
		}
		c->rules->name = b.data;
		/* look-ups and constant JSON resolved once here, not at every
		 * record; the sources kept for msc_compiler_new_from() */
		if (msc__rules_finish(c->rules) || keep_sources(c)) {
			c->rules->name = old;
			msc_buf_free(&b);
			/* still compiling: facts are found by a scan again, not by
			 * a hash that a later text's facts would not be in */
			msc__free(c->rules->fact_slots);
			c->rules->fact_slots = NULL;
			return msc__fail(MSC_ENOMEM, "out of memory");
		}
		msc__free(old);
	}
	*out = c->rules;
	c->rules = NULL;
	return MSC_OK;
}

MSC_EXTERN(void) msc_compiler_free(msc_compiler *c)
{
	size_t i;
	if (!c)
		return;
	msc_rules_free(c->rules);
	for (i = c->base_sources; i < c->source_count; i++) {
		msc__free(c->sources[i].id);
		msc__free(c->sources[i].title);
	}
	msc__free(c->errors);
	msc_arena_free(&c->error_arena);
	msc__free(c);
}

MSC_EXTERN(int) msc_rules_builtin(msc_rules **out)
{
	msc_compiler *c;
	int rc;

	if (!out)
		return msc__fail(MSC_EINVAL, "out is NULL");
	*out = NULL;
	rc = msc_compiler_new(&c);
	if (rc)
		return rc;
	rc = msc_compiler_get_rules(c, out);
	msc_compiler_free(c);
	return rc;
}
