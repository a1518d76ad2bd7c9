/*
 * libmesoscreen - common definitions: export macro, error codes, the
 * thread-local last error, answers, severities and verdicts, limits.
 *
 * Conventions for every public function (libgit2's):
 *   - functions that can fail return int: MSC_OK (0) or a negative MSC_E*;
 *   - out-parameters come first and are named `out`;
 *   - on failure msc_error_message() says what went wrong, naming the field;
 *   - freeing NULL is a harmless no-op.
 */
#ifndef MESOSCREEN_COMMON_H
#define MESOSCREEN_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks every public symbol; the library is built with hidden visibility. */
#if defined(_WIN32)
#define MSC_EXTERN(type) extern __declspec(dllexport) type
#elif defined(__GNUC__)
#define MSC_EXTERN(type) extern __attribute__((visibility("default"))) type
#else
#define MSC_EXTERN(type) extern type
#endif

/**
 * Error codes. Each means one thing, so that bindings can map each one to
 * one exception type.
 */
typedef enum msc_status {
	MSC_OK = 0,
	MSC_ENOMEM = -1,   /**< an allocation failed; nothing was changed */
	MSC_EINVAL = -2,   /**< a bad argument from the caller (NULL, out of range) */
	MSC_EFIELD = -3,   /**< a record field is invalid: unknown key, wrong type, bad enum */
	MSC_ELIMIT = -4,   /**< a size or length limit was exceeded (see MSC_MAX_*) */
	MSC_EPARSE = -5,   /**< malformed JSON or rule text (line and column in the message) */
	MSC_EIO = -6,      /**< a file could not be read */
	MSC_ERULES = -7    /**< a rule file is invalid (see msc_compiler_error()) */
} msc_status;

/**
 * The message of the last error on the calling thread: never NULL ("" after
 * success has been reported by no error at all). Field errors start with the
 * field's path, e.g. "patient.pregnant: expected true, false, null, ...".
 *
 * Ownership: the string is owned by the library and stays valid until the
 * next libmesoscreen call on the same thread. Thread-safety: each thread has
 * its own last error.
 */
MSC_EXTERN(const char *) msc_error_message(void);

/** The code of the last error on the calling thread (MSC_OK if none). */
MSC_EXTERN(int) msc_error_code(void);

/**
 * Sets the calling thread's last error, for a caller that refuses a record
 * for a reason of its own: a msc_batch_fill_fn whose column holds a value
 * it cannot read returns `msc_error_set(MSC_EFIELD, "patient.age: ...")`,
 * and the message becomes that record's msc_batch_error().
 * @param code an error status (MSC_ENOMEM to MSC_ERULES).
 * @param message copied (at most 511 bytes are kept); NULL keeps only the
 *        code, with msc_status_name(code) as its message.
 * @return code; MSC_EINVAL (and a message saying so) when code is not an
 *         error status.
 * Thread-safety: sets the calling thread's error only.
 */
MSC_EXTERN(int) msc_error_set(int code, const char *message);

/** A short constant name for a status code ("MSC_EFIELD"); never NULL. */
MSC_EXTERN(const char *) msc_status_name(int status);

/** A tri-state answer: unknown is never read as no. */
typedef enum msc_answer {
	MSC_UNKNOWN = -1,
	MSC_NO = 0,
	MSC_YES = 1
} msc_answer;

/**
 * Verdicts and rule severities share one scale, mildest first, so the worst
 * of several is their maximum.
 */
typedef enum msc_verdict {
	MSC_CLEAR = 0,           /**< nothing found: standard instructions apply */
	MSC_CAUTION = 1,         /**< precautions to handle before treating */
	MSC_INCOMPLETE = 2,      /**< a question that could block is unanswered */
	MSC_DEFER = 3,           /**< a temporary contraindication: not now */
	MSC_CONTRAINDICATED = 4  /**< do not treat */
} msc_verdict;

/** The verdict's name as in the result JSON ("defer"); NULL if out of range. */
MSC_EXTERN(const char *) msc_verdict_name(int verdict);

/** Limits on input; a value at the limit is accepted, one past it is refused with MSC_ELIMIT. */
#define MSC_MAX_TEXT 256          /**< bytes in one string value (a name, a code, an enum word) */
#define MSC_MAX_LIST 64           /**< entries in one list (medications, allergies, ...) */
#define MSC_MAX_RECORD_JSON 65536 /**< bytes in one JSON intake record */

/**
 * An allocator for the library (and for the JSON parser it uses), e.g. to
 * count or limit memory, or to test allocation failure. Option structs
 * start with a version and are only appended to.
 */
typedef struct msc_allocator {
	unsigned int version;                                 /**< MSC_ALLOCATOR_VERSION */
	void *(*malloc)(size_t size, void *ctx);
	void *(*realloc)(void *ptr, size_t size, void *ctx);  /**< realloc(NULL, n) allocates */
	void (*free)(void *ptr, void *ctx);                   /**< free(NULL) must be harmless */
	void *ctx;
} msc_allocator;

#define MSC_ALLOCATOR_VERSION 1

/**
 * Sets the process-wide allocator, or restores the C library's with NULL.
 * Every allocation of the library goes through it, its JSON parser's too;
 * no other library's allocator is changed.
 *
 * Process configuration, as sqlite3_config(): call it before any other
 * libmesoscreen call and while no other thread uses the library; memory
 * must be freed by the allocator that gave it.
 * @return MSC_OK, MSC_EINVAL (unknown version or a NULL function).
 */
MSC_EXTERN(int) msc_set_allocator(const msc_allocator *allocator);

/**
 * Frees memory the library handed to the caller (JSON text from
 * msc_result_to_json() and friends). NULL is a no-op.
 */
MSC_EXTERN(void) msc_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif
