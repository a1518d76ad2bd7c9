/*
 * libmesoscreen - rule sets: compile once, screen many (YARA's shape).
 *
 * Life cycle of a rule set:
 *   1. msc_rules_builtin() gives the documented rule table, no file needed;
 *      or msc_compiler_new() + msc_compiler_add_*() + msc_compiler_get_rules()
 *      compile rule text (the built-in table is always compiled in first);
 *      msc_compiler_new_from() starts from a rule set already compiled
 *      instead, to compile many clinic files on one base quickly.
 *   2. Any number of threads screen against the same msc_rules at once: a
 *      compiled rule set is immutable and holds no mutable state. Every
 *      msc_rules_*() function below only reads it, from any thread.
 *   3. msc_rules_free() once no record or result made with it is in use.
 *
 * A compiler (msc_compiler_*) is used by one thread at a time; different
 * compilers are independent, also when they start from one rule set.
 */
#ifndef MESOSCREEN_RULES_H
#define MESOSCREEN_RULES_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A compiled, immutable rule set. Opaque. */
typedef struct msc_rules msc_rules;

/** Compiles rule text into a rule set. Opaque; one thread at a time. */
typedef struct msc_compiler msc_compiler;

/** What a rule-table entry is. */
typedef enum msc_rule_kind {
	MSC_RULE = 0,        /**< a contraindication or precaution: it changes the verdict */
	MSC_INSTRUCTION = 1  /**< pre-care or aftercare: it never changes the verdict */
} msc_rule_kind;

/** When an instruction applies. */
typedef enum msc_phase {
	MSC_BEFORE = 0,
	MSC_AFTER = 1
} msc_phase;

/**
 * One entry of a compiled rule table, as a clinician reads it.
 *
 * Ownership: every pointer is owned by the rule set and valid until
 * msc_rules_free().
 */
typedef struct msc_rule_info {
	const char *id;            /**< "CI.PREGNANCY" */
	msc_rule_kind kind;
	msc_verdict severity;      /**< for MSC_RULE: CAUTION, DEFER or CONTRAINDICATED */
	msc_phase phase;           /**< for MSC_INSTRUCTION */
	const char *condition;     /**< the condition as written in the table ("always" if none) */
	const char *message;       /**< the message or, for an instruction, its text */
	const char *const *sources;/**< titles of the cited source documents */
	size_t source_count;
	const char *origin;        /**< name of the rule text that defined it ("builtin") */
	/* appended in 0.1.0 with clinic rule files: */
	int disabled;              /**< a clinic file disabled it: it never fires */
	const char *reason;        /**< why a clinic file overrode or disabled it, else NULL */
	const char *changed_by;    /**< the rule text that overrode or disabled it, else NULL */
} msc_rule_info;

/**
 * A rule text compiled into a rule set on top of the built-in table:
 * provenance, so that an audit can reproduce a result.
 * Ownership: owned by the rule set.
 */
typedef struct msc_rules_file {
	const char *name;      /**< the name given to msc_compiler_add_text() or the file's path */
	const char *ruleset;   /**< the text's `ruleset` statement, or NULL */
	const char *version;   /**< the text's `version` statement, or NULL */
	const char *sha256;    /**< SHA-256 of the text, 64 hex digits */
} msc_rules_file;

/**
 * One fact the intake record can carry (a question's subject).
 * Ownership: owned by the rule set.
 */
typedef struct msc_fact_info {
	const char *path;      /**< "patient.pregnant" */
	const char *type;      /**< "yesno", "number", "enum", "medications", "allergies", "ingredients", "codes" */
	const char *question;  /**< the question that settles it when unknown */
	const char *const *values; /**< for "enum": the accepted words */
	size_t value_count;
	int accepts_never;     /**< "number" facts: 1 if the word "never" is an answer too
				    ("months since a hair transplant": never had one) */
} msc_fact_info;

/**
 * Compiles the built-in rule table (the documented rules of requirements.md).
 *
 * @param out receives a new rule set, owned by the caller (msc_rules_free()).
 * @return MSC_OK or MSC_ENOMEM.
 * Thread-safety: may be called from any thread; each call returns a new set.
 */
MSC_EXTERN(int) msc_rules_builtin(msc_rules **out);

/** Frees a rule set. NULL is a no-op. No record or result made with it may be used afterwards. */
MSC_EXTERN(void) msc_rules_free(msc_rules *rules);

/** The rule set's name: "builtin", plus "+name" for each rule file on top. Owned by the set. */
MSC_EXTERN(const char *) msc_rules_name(const msc_rules *rules);

/** The built-in table's version; the files' own versions and hashes are in msc_rules_file_get(). Owned by the set. */
MSC_EXTERN(const char *) msc_rules_version(const msc_rules *rules);

/** Number of rule files compiled on top of the built-in table. 0 for NULL. */
MSC_EXTERN(size_t) msc_rules_file_count(const msc_rules *rules);

/** Rule file `index` (in the order added) or NULL when out of range. Owned by the set. */
MSC_EXTERN(const msc_rules_file *) msc_rules_file_get(const msc_rules *rules, size_t index);

/** Number of entries (rules and instructions), in table order. 0 for NULL. */
MSC_EXTERN(size_t) msc_rules_count(const msc_rules *rules);

/** Entry `index` (0-based) or NULL when out of range. Owned by the set. */
MSC_EXTERN(const msc_rule_info *) msc_rules_get(const msc_rules *rules, size_t index);

/** The entry with this id, or NULL. Owned by the set. */
MSC_EXTERN(const msc_rule_info *) msc_rules_find(const msc_rules *rules, const char *id);

/** Number of facts a record may carry. 0 for NULL. */
MSC_EXTERN(size_t) msc_rules_fact_count(const msc_rules *rules);

/** Fact `index` or NULL when out of range. Owned by the set. */
MSC_EXTERN(const msc_fact_info *) msc_rules_fact(const msc_rules *rules, size_t index);

/**
 * Starts a compiler. The built-in table is compiled in first, so added
 * texts extend the documented rules.
 *
 * @param out receives the compiler, owned by the caller (msc_compiler_free()).
 * @return MSC_OK, MSC_EINVAL if out is NULL, MSC_ENOMEM (*out is then NULL).
 * Thread-safety: may be called from any thread; each call returns a new compiler.
 */
MSC_EXTERN(int) msc_compiler_new(msc_compiler **out);

/**
 * Starts a compiler from a rule set already compiled, without compiling its
 * texts again: as if msc_compiler_new() had been called and then every text
 * `base` was made of (its msc_rules_file_get() files, in order) added. Later
 * texts may change base's rules (`override`, `disable`), use its facts and
 * cite the sources its texts declared; the rule set it gives is named, and
 * lists its files, as that longer way would (base's files first). Much
 * faster than msc_compiler_new() when many texts are compiled on one base,
 * e.g. each clinic's file on msc_rules_builtin().
 *
 * @param out  receives the compiler, owned by the caller (msc_compiler_free()).
 * @param base a rule set from msc_rules_builtin() or msc_compiler_get_rules().
 *             Only read during the call: the compiler copies what it needs,
 *             so base may be freed as soon as this returns, and neither the
 *             compiler nor the rule sets it gives refer to it.
 * @return MSC_OK; MSC_EINVAL if out or base is NULL; MSC_ENOMEM (nothing is
 *         allocated then, and *out is NULL).
 * Thread-safety: base is not changed, so any number of threads may start
 * compilers from the same rule set at once, also while it screens; each
 * compiler is used by one thread at a time.
 */
MSC_EXTERN(int) msc_compiler_new_from(msc_compiler **out, const msc_rules *base);

/**
 * Adds rule text. `name` names it in error messages and in provenance.
 * Every error of the text is collected (see msc_compiler_error()); a text
 * with errors adds nothing. A text may add facts and rules; it may change
 * a rule of an earlier text only with `override` or `disable`, and must
 * then state a `reason` unless it only makes the rule stricter. The
 * reason is reported in every result the change affects.
 *
 * The text is read during the call only (the caller keeps it); `name` is
 * copied. After MSC_ENOMEM the compiler refuses to finish.
 *
 * @return MSC_OK, MSC_ERULES if the text has errors, MSC_ELIMIT if it is
 *         longer than 1 MiB, MSC_EINVAL (a NULL argument, or a compiler that
 *         handed over its rules), MSC_ENOMEM.
 * Thread-safety: one thread at a time per compiler.
 */
MSC_EXTERN(int) msc_compiler_add_text(msc_compiler *compiler, const char *name,
				      const char *text, size_t length);

/**
 * Reads and adds a rule file, named by its path. MSC_EIO if it cannot be
 * read; otherwise as msc_compiler_add_text(). Thread-safety: as it.
 */
MSC_EXTERN(int) msc_compiler_add_file(msc_compiler *compiler, const char *path);

/** Number of errors collected so far; 0 for NULL. One thread at a time per compiler. */
MSC_EXTERN(size_t) msc_compiler_error_count(const msc_compiler *compiler);

/**
 * Error `index` as "name:line:column: message", or NULL when out of range.
 * Owned by the compiler: valid until msc_compiler_free(). One thread at a
 * time per compiler.
 */
MSC_EXTERN(const char *) msc_compiler_error(const msc_compiler *compiler, size_t index);

/**
 * Finishes compiling. Refused (MSC_ERULES) if any error was collected:
 * never a partial rule set. The compiler can be freed afterwards; the rule
 * set does not depend on it. It hands its rules over once: afterwards it
 * only refuses (MSC_EINVAL). After MSC_ENOMEM here it can go on (add texts,
 * finish again).
 *
 * @param out receives the rule set, owned by the caller (msc_rules_free());
 *            NULL on any error.
 * @return MSC_OK, MSC_ERULES, MSC_EINVAL, MSC_ENOMEM.
 * Thread-safety: one thread at a time per compiler.
 */
MSC_EXTERN(int) msc_compiler_get_rules(msc_compiler *compiler, msc_rules **out);

/** Frees a compiler and its errors (not a rule set it handed over). NULL is a no-op. */
MSC_EXTERN(void) msc_compiler_free(msc_compiler *compiler);

#ifdef __cplusplus
}
#endif

#endif
