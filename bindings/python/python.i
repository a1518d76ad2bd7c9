/*
 * Python-only typemaps of the shared interface (included by ../mesoscreen.i
 * under SWIGPYTHON). The generated extension is `mesoscreen._mesoscreen`, a
 * thin, C-shaped layer; the package `mesoscreen` on top of it is the API of
 * contract.md.
 *
 *   - status:   ONE typemap: a negative int raises the exception of
 *               msc_swig_error_type() (MemoryError, OSError, TypeError,
 *               ValueError) with the message of msc_error_message() and the
 *               attributes `code` ("MSC_EFIELD") and `status` (-3); MSC_OK
 *               is returned as 0. The package maps these to its own
 *               exception classes;
 *   - handles:  `msc_x **out` becomes the return value (a pointer the
 *               caller frees with msc_x_free: the package does);
 *   - JSON out: `char **out, size_t *length` becomes a str;
 *   - strings:  `const char *json|jsonl|text, size_t length` take a str
 *               (its UTF-8) or any bytes-like object, without a copy;
 *               `const char *const *items, size_t count` a list of str;
 *   - the GIL:  released around the calls that do the work (reading a
 *               record, screening, batches, compiling rule files);
 *   - helpers:  msc_py_result_dict() below turns a result into the dict of
 *               contract.md (the reference the tests hold the fast path to);
 *   - fast paths: pyfast.h (records from dicts and DataFrame columns through
 *               the setters, results in one call, cohorts without the GIL).
 */

%begin %{
#define PY_SSIZE_T_CLEAN
%}

/* Every struct of the API is a view of memory the library owns: read only. */
%immutable;

%{
#include <stdlib.h>
#include <string.h>

/* Text from the library as str; invalid UTF-8 (a name cut at a byte limit
 * in a message) is replaced rather than refused. NULL gives "". */
static PyObject *msc_py_str(const char *s)
{
	return s ? PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace") : PyUnicode_FromString("");
}

/* An exception instance for a status, with `code` and `status`. */
static PyObject *msc_py_error(int status, const char *message, PyObject **type_out)
{
	PyObject *type = SWIG_Python_ErrorType(msc_swig_error_type(status));
	PyObject *text = msc_py_str(*message ? message : msc_status_name(status));
	PyObject *exc, *v;

	*type_out = type;
	if (!text)
		return NULL;
	exc = PyObject_CallFunctionObjArgs(type, text, NULL);
	Py_DECREF(text);
	if (!exc)
		return NULL;
	v = PyUnicode_FromString(msc_status_name(status));
	if (!v || PyObject_SetAttrString(exc, "code", v) < 0) {
		Py_XDECREF(v);
		Py_DECREF(exc);
		return NULL;
	}
	Py_DECREF(v);
	v = PyLong_FromLong(status);
	if (!v || PyObject_SetAttrString(exc, "status", v) < 0) {
		Py_XDECREF(v);
		Py_DECREF(exc);
		return NULL;
	}
	Py_DECREF(v);
	return exc;
}

/* Raises the exception of a failed call (the thread's last error). */
static void msc_py_raise(int status)
{
	PyObject *type, *exc = msc_py_error(status, msc_error_message(), &type);
	if (exc) {
		PyErr_SetObject(type, exc);
		Py_DECREF(exc);
	}
}
%}

/* The status of every function that can fail: the one place where C error
 * codes become Python exceptions. */
%typemap(out) int
%{	if ($1 < 0) {
		msc_py_raise($1);
		SWIG_fail;
	}
	$result = PyLong_FromLong($1);%}

/* ... except msc_batch_status(), whose value is a record's status, not the call's. */
%typemap(out) int msc_batch_status "$result = PyLong_FromLong($1);"

/* Handles: `msc_x **out` is returned (the status, 0, is dropped). */
%typemap(in, numinputs=0) SWIGTYPE **out ($*1_ltype handle = NULL) "$1 = &handle;"
%typemap(argout) SWIGTYPE **out
%{	Py_XDECREF($result);
	$result = SWIG_NewPointerObj(SWIG_as_voidptr(handle$argnum), $*1_descriptor, 0);%}

/* JSON out: a str; the library's buffer is freed whatever happens. */
%typemap(in, numinputs=0) (char **out, size_t *length) (char *text = NULL, size_t text_length = 0)
%{	$1 = &text;
	$2 = &text_length;%}
%typemap(argout) (char **out, size_t *length)
%{	Py_XDECREF($result);
	$result = PyUnicode_DecodeUTF8(text$argnum, (Py_ssize_t)text_length$argnum, "replace");
	if (!$result)
		SWIG_fail;%}
%typemap(freearg) (char **out, size_t *length) "msc_free(text$argnum);"

/* Text in: a str (its cached UTF-8, no copy) or a bytes-like object (its
 * buffer, held until the call returns). Both are immutable or locked for
 * the call, so the GIL can be released around it. */
%typemap(in) (const char *json, size_t length) (Py_buffer view, int have_view = 0)
%{	if (PyUnicode_Check($input)) {
		Py_ssize_t n;
		const char *s = PyUnicode_AsUTF8AndSize($input, &n);
		if (!s)
			SWIG_fail;
		$1 = ($1_ltype)s;
		$2 = (size_t)n;
	} else {
		if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) < 0)
			SWIG_fail;
		have_view = 1;
		$1 = ($1_ltype)view.buf;
		$2 = (size_t)view.len;
	}%}
%typemap(freearg) (const char *json, size_t length) "if (have_view$argnum) PyBuffer_Release(&view$argnum);"
%apply (const char *json, size_t length) {
	(const char *jsonl, size_t length),
	(const char *text, size_t length)
};

/* A list of names: a list or tuple of str (not a str itself). */
%typemap(in) (const char *const *items, size_t count) (PyObject *seq = NULL, const char **arr = NULL)
%{	{
		Py_ssize_t i, n;
		if (PyUnicode_Check($input) || PyBytes_Check($input)) {
			PyErr_SetString(PyExc_TypeError, "expected a list of str, not a single string");
			SWIG_fail;
		}
		seq = PySequence_Fast($input, "expected a list of str");
		if (!seq)
			SWIG_fail;
		n = PySequence_Fast_GET_SIZE(seq);
		arr = (const char **)malloc(sizeof(*arr) * (size_t)(n ? n : 1));
		if (!arr) {
			PyErr_NoMemory();
			SWIG_fail;
		}
		for (i = 0; i < n; i++) {
			PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
			Py_ssize_t len;
			if (!PyUnicode_Check(item)) {
				PyErr_Format(PyExc_TypeError, "item %zd: expected str, not %.64s", i,
					     Py_TYPE(item)->tp_name);
				SWIG_fail;
			}
			arr[i] = PyUnicode_AsUTF8AndSize(item, &len);
			if (!arr[i])
				SWIG_fail;
			if ((size_t)len != strlen(arr[i])) {
				PyErr_Format(PyExc_ValueError, "item %zd: holds a NUL character", i);
				SWIG_fail;
			}
		}
		$1 = ($1_ltype)arr;
		$2 = (size_t)n;
	}%}
%typemap(freearg) (const char *const *items, size_t count)
%{	free(arr$argnum);
	Py_XDECREF(seq$argnum);%}

/* The GIL is released where the library does the work; these calls touch
 * no Python object and the library holds no global lock. */
%define MSC_PY_NOGIL(function)
%exception function {
	Py_BEGIN_ALLOW_THREADS
	$action
	Py_END_ALLOW_THREADS
}
%enddef
MSC_PY_NOGIL(msc_rules_builtin)
MSC_PY_NOGIL(msc_compiler_add_text)
MSC_PY_NOGIL(msc_compiler_add_file)
MSC_PY_NOGIL(msc_compiler_get_rules)
MSC_PY_NOGIL(msc_record_from_json)
MSC_PY_NOGIL(msc_screen)
MSC_PY_NOGIL(msc_result_to_json)
MSC_PY_NOGIL(msc_batch_screen_lines)

/* ------------------------------------------------------------------
 * Helpers: a result or a batch's output as Python objects, in one call.
 */
%inline %{
/* The result as the dict of contract.md: the same keys, in the same order,
 * as msc_result_to_json() (the test suite checks they agree on every
 * vector), built straight from the public accessors instead of through
 * JSON text, which costs several times more. `rules` is the rule set that
 * produced it (for the rule files' provenance and the overrides). */
PyObject *msc_py_result_dict(const msc_result *result, const msc_rules *rules);
%}
%{
static PyObject *msc_py_strings(const char *const *s, size_t n)
{
	PyObject *list = PyList_New((Py_ssize_t)n);
	size_t i;
	for (i = 0; list && i < n; i++) {
		PyObject *v = msc_py_str(s[i]);
		if (!v) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, (Py_ssize_t)i, v);
	}
	return list;
}

/* Steals v; returns -1 if v is NULL or the insertion fails. */
static int msc_py_put(PyObject *dict, const char *key, PyObject *v)
{
	int rc;
	if (!v)
		return -1;
	rc = PyDict_SetItemString(dict, key, v);
	Py_DECREF(v);
	return rc;
}

static int msc_py_append(PyObject *list, PyObject *v)
{
	int rc;
	if (!v)
		return -1;
	rc = PyList_Append(list, v);
	Py_DECREF(v);
	return rc;
}

static PyObject *msc_py_str_or_none(const char *s)
{
	if (s)
		return msc_py_str(s);
	Py_INCREF(Py_None);
	return Py_None;
}

PyObject *msc_py_result_dict(const msc_result *result, const msc_rules *rules)
{
	static const char *const lists[3] = { "medications", "allergies", "ingredients" };
	PyObject *root, *a, *o, *e;
	size_t i, k, n;
	int changed = 0;

	if (!result || !rules) {
		PyErr_SetString(PyExc_TypeError, "result or rules is NULL");
		return NULL;
	}
	root = PyDict_New();
	if (!root)
		return NULL;
	if (msc_py_put(root, "verdict", msc_py_str(msc_verdict_name(msc_result_verdict(result)))))
		goto fail;
	o = PyDict_New();
	if (msc_py_put(root, "ruleset", o) ||
	    msc_py_put(o, "name", msc_py_str(msc_result_ruleset_name(result))) ||
	    msc_py_put(o, "version", msc_py_str(msc_result_ruleset_version(result))))
		goto fail;
	n = msc_rules_file_count(rules);
	if (n) {
		a = PyList_New(0);
		if (msc_py_put(o, "files", a))
			goto fail;
		for (i = 0; i < n; i++) {
			const msc_rules_file *f = msc_rules_file_get(rules, i);
			e = PyDict_New();
			if (msc_py_append(a, e) || msc_py_put(e, "name", msc_py_str(f->name)) ||
			    msc_py_put(e, "ruleset", msc_py_str_or_none(f->ruleset)) ||
			    msc_py_put(e, "version", msc_py_str_or_none(f->version)) ||
			    msc_py_put(e, "sha256", msc_py_str(f->sha256)))
				goto fail;
		}
	}
	n = msc_result_finding_count(result);
	a = PyList_New(0);
	if (msc_py_put(root, "findings", a))
		goto fail;
	for (i = 0; i < n; i++) {
		const msc_finding *f = msc_result_finding(result, i);
		e = PyDict_New();
		if (msc_py_append(a, e) ||
		    msc_py_put(e, "rule", msc_py_str(f->rule)) ||
		    msc_py_put(e, "severity", msc_py_str(msc_verdict_name(f->severity))) ||
		    msc_py_put(e, "message", msc_py_str(f->message)) ||
		    msc_py_put(e, "because", msc_py_strings(f->because, f->because_count)) ||
		    msc_py_put(e, "sources", msc_py_strings(f->sources, f->source_count)))
			goto fail;
	}
	n = msc_result_missing_count(result);
	a = PyList_New(0);
	if (msc_py_put(root, "missing", a))
		goto fail;
	for (i = 0; i < n; i++) {
		const msc_missing *m = msc_result_missing(result, i);
		e = PyDict_New();
		if (msc_py_append(a, e) ||
		    msc_py_put(e, "rule", msc_py_str(m->rule)) ||
		    msc_py_put(e, "fact", msc_py_str(m->fact)) ||
		    msc_py_put(e, "question", msc_py_str(m->question)))
			goto fail;
	}
	o = PyDict_New();
	if (msc_py_put(root, "instructions", o))
		goto fail;
	for (k = 0; k < 2; k++) {
		a = PyList_New(0);
		if (msc_py_put(o, k ? "after" : "before", a))
			goto fail;
		n = msc_result_instruction_count(result, (msc_phase)k);
		for (i = 0; i < n; i++) {
			const msc_instruction *in = msc_result_instruction(result, (msc_phase)k, i);
			e = PyDict_New();
			if (msc_py_append(a, e) || msc_py_put(e, "id", msc_py_str(in->id)) ||
			    msc_py_put(e, "text", msc_py_str(in->text)))
				goto fail;
		}
	}
	/* a clinic's changes to documented rules, where the rule set has any */
	n = msc_rules_count(rules);
	for (i = 0; i < n && !changed; i++)
		changed = msc_rules_get(rules, i)->changed_by != NULL;
	if (changed) {
		a = PyList_New(0);
		if (msc_py_put(root, "overrides", a))
			goto fail;
		n = msc_result_override_count(result);
		for (i = 0; i < n; i++) {
			const msc_override *ov = msc_result_override(result, i);
			e = PyDict_New();
			if (msc_py_append(a, e) || msc_py_put(e, "rule", msc_py_str(ov->rule)) ||
			    msc_py_put(e, "action", msc_py_str(ov->action)) ||
			    msc_py_put(e, "reason", msc_py_str(ov->reason)) ||
			    msc_py_put(e, "changed_by", msc_py_str(ov->changed_by)))
				goto fail;
		}
	}
	o = PyDict_New();
	if (msc_py_put(root, "unrecognized", o))
		goto fail;
	for (k = 0; k < 3; k++) {
		a = PyList_New(0);
		if (msc_py_put(o, lists[k], a))
			goto fail;
		n = msc_result_unrecognized_count(result, (msc_list)k);
		for (i = 0; i < n; i++)
			if (msc_py_append(a, msc_py_str(msc_result_unrecognized(result, (msc_list)k, i))))
				goto fail;
	}
	return root;
fail:
	Py_DECREF(root);
	return NULL;
}
%}

/* ------------------------------------------------------------------
 * The fast paths (pyfast.h, pyfast.c): records filled straight from
 * dicts and DataFrame columns with the setters, results built in one call,
 * cohorts screened with the GIL released. Each manages the GIL itself.
 */
%{
#include "pyfast.h"
%}
PyObject *msc_py_ctx_new(const msc_rules *rules, PyObject *owner, PyObject *plain, PyObject *record_error,
			 PyObject *result_type);
PyObject *msc_py_ctx_facts(PyObject *ctx);
PyObject *msc_py_fill(PyObject *ctx, msc_record *record, PyObject *dict);
PyObject *msc_py_screen(PyObject *ctx, msc_record *record, msc_result *result, PyObject *dict);
PyObject *msc_py_result(PyObject *ctx, const msc_result *result);
PyObject *msc_py_track(PyObject *obj);
PyObject *msc_py_ctx_forget(PyObject *ctx);
PyObject *msc_py_pool_new(PyObject *ctx, size_t size);
PyObject *msc_py_screen_many(PyObject *ctx, PyObject *pool, PyObject *records);
PyObject *msc_py_frame_screen(PyObject *ctx, msc_batch *batch, PyObject *columns, size_t rows);
