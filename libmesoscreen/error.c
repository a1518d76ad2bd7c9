/* The thread-local last error (libgit2's git_error_last): never NULL. */
#include <stdio.h>

#include "internal.h"

static _Thread_local int last_code;
static _Thread_local char last_message[512];

int msc__fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	va_end(ap);
	last_code = code;
	return code;
}

void msc__clear_error(void)
{
	last_code = MSC_OK;
	last_message[0] = '\0';
}

MSC_EXTERN(const char *) msc_error_message(void)
{
	return last_message;
}

MSC_EXTERN(int) msc_error_code(void)
{
	return last_code;
}

MSC_EXTERN(int) msc_error_set(int code, const char *message)
{
	if (code >= MSC_OK || code < MSC_ERULES)
		return msc__fail(MSC_EINVAL, "msc_error_set: %d is not an error status", code);
	return msc__fail(code, "%s", message ? message : msc_status_name(code));
}

MSC_EXTERN(const char *) msc_status_name(int status)
{
	switch (status) {
	case MSC_OK: return "MSC_OK";
	case MSC_ENOMEM: return "MSC_ENOMEM";
	case MSC_EINVAL: return "MSC_EINVAL";
	case MSC_EFIELD: return "MSC_EFIELD";
	case MSC_ELIMIT: return "MSC_ELIMIT";
	case MSC_EPARSE: return "MSC_EPARSE";
	case MSC_EIO: return "MSC_EIO";
	case MSC_ERULES: return "MSC_ERULES";
	default: return "MSC_EUNKNOWN";
	}
}

MSC_EXTERN(const char *) msc_verdict_name(int verdict)
{
	static const char *const names[] = {
		"clear", "caution", "incomplete", "defer", "contraindicated"
	};
	if (verdict < MSC_CLEAR || verdict > MSC_CONTRAINDICATED)
		return NULL;
	return names[verdict];
}
