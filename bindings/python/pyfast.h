/*
 * The Python binding's fast paths (pyfast.c): records filled straight from
 * Python objects with the public setters, results built as Python objects in
 * one call, cohorts and DataFrame columns screened with the GIL released.
 *
 * Wrapped by SWIG (python.i declares the same functions); compiled as its
 * own translation unit with the project's warnings.
 */
#ifndef MESOSCREEN_PYFAST_H
#define MESOSCREEN_PYFAST_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>

#include <mesoscreen/mesoscreen.h>

/* A rule set's context (a capsule): its facts and sections for reading
 * records, and the caches that make results cheap to build. `owner` is
 * kept alive as long as the context (it must keep `rules` alive); `plain`
 * turns an unusual value (numpy scalar or array, pandas NA) into a plain
 * one, or returns it unchanged; `record_error` is the exception class of
 * a refused record, called as record_error(message, code_name);
 * `result_type` is mesoscreen.Result (slots _raw, _data, _json, _views). */
PyObject *msc_py_ctx_new(const msc_rules *rules, PyObject *owner, PyObject *plain,
			 PyObject *record_error, PyObject *result_type);

/* The context's facts, in the rule set's order: a list of (path, name). */
PyObject *msc_py_ctx_facts(PyObject *ctx);

/* Fills `record` from a record dict ({"patient": {...}, "plan": {...}}) with
 * the msc_record_set_* functions. Returns None, or raises the context's
 * record error naming the field (the record is then left empty). */
PyObject *msc_py_fill(PyObject *ctx, msc_record *record, PyObject *dict);

/* Fills `record` from a record dict, screens it into `result` (the GIL
 * released for both) and returns its mesoscreen.Result, which holds the
 * result in the compact form below. */
PyObject *msc_py_screen(PyObject *ctx, msc_record *record, msc_result *result, PyObject *dict);

/* The mesoscreen.Result of a result screened with the context's rule set,
 * made in one call. It holds the result in compact form: (verdict,
 * ruleset, findings, missing, before, after, overrides, unrecognized),
 * tuples of str (see pyfast.c, build_result), which it turns into
 * contract.md's dict when asked. */
PyObject *msc_py_result(PyObject *ctx, const msc_result *result);

/* The Results msc_py_result() and msc_py_screen_many() make are left out
 * of the garbage collector (they cannot be part of a reference cycle while
 * they hold only the compact form). Puts `obj` back in its lists if it is
 * a collected kind of object that is not there: mesoscreen.Result calls it
 * before it keeps anything mutable (its dict, its typed views). GIL held;
 * borrows obj; returns None; never fails. */
PyObject *msc_py_track(PyObject *obj);

/* Drops the texts, tuples and whole results the context keeps to share
 * result objects between screenings (some of them texts of the records
 * screened: a finding's "because", an unrecognised name); results already
 * made are not changed. GIL held; returns None. */
PyObject *msc_py_ctx_forget(PyObject *ctx);

/* A thread's tools for msc_py_screen_many(): one record and `size` results. */
PyObject *msc_py_pool_new(PyObject *ctx, size_t size);

/* Screens a list of at most the pool's size record dicts: converted under
 * the GIL, filled and screened without it, results built under it. Returns
 * (items, refused): for each record its mesoscreen.Result or, if it was
 * refused, a tuple (code_name, message); and how many were refused. */
PyObject *msc_py_screen_many(PyObject *ctx, PyObject *pool, PyObject *records);

/* Screens `rows` flat records given as columns: a list of (fact_index,
 * values) where values is a list or a contiguous numpy array of Python
 * values (None or NaN unknown), or a contiguous buffer of float64 (NaN
 * unknown) or bool, `rows` long. The columns are converted under the GIL
 * (each distinct object of a column once), then msc_batch_screen_fill()
 * runs without it. Returns (verdicts, rules, errors): bytes with one
 * signed byte per row (the msc_verdict, -1 for a refused row), a list of
 * tuples of the fired rule ids, and a list of (row, message) for the
 * refused rows. */
PyObject *msc_py_frame_screen(PyObject *ctx, msc_batch *batch, PyObject *columns, size_t rows);

#endif
