/*
 * The one SWIG interface of libmesoscreen, shared by the Python and Lua
 * bindings. Language-specific typemaps live in python/python.i and
 * lua/lua.i; everything that is the same for both is here.
 *
 * Error codes become exceptions (Python) or errors (Lua) in ONE typemap
 * over the status type: every function of the C API that can fail returns
 * int (MSC_OK or a negative MSC_E*), and msc_swig_raise() below maps each
 * code to one SWIG error type. msc_error_code() is not wrapped: the
 * exception carries the code.
 */
%module mesoscreen

%{
#include <mesoscreen/mesoscreen.h>
%}

%include "exception.i"

%{
/* The SWIG error type for each status code: one code, one meaning. */
static int msc_swig_error_type(int code)
{
	switch (code) {
	case MSC_ENOMEM: return SWIG_MemoryError;
	case MSC_EIO: return SWIG_IOError;
	case MSC_EINVAL: return SWIG_TypeError;
	default: return SWIG_ValueError; /* EFIELD, ELIMIT, EPARSE, ERULES */
	}
}
%}

%ignore msc_error_code;
%ignore msc_error_set; /* for C fill callbacks; a binding raises its own errors */
%ignore msc_batch_screen_records; /* arrays of C records: for C callers */

#if defined(SWIGPYTHON)
%include "python/python.i"
#elif defined(SWIGLUA)
%include "lua/lua.i"
#endif

%include <mesoscreen/common.h>
%include <mesoscreen/version.h>
%include <mesoscreen/rules.h>
%include <mesoscreen/record.h>
%include <mesoscreen/result.h>
%include <mesoscreen/json.h>
%include <mesoscreen/batch.h>
