#!/usr/bin/env python3
"""Generate lexicon_data.c from the lexicon TSV files (run by meson).

Usage: gen_lexicon.py OUT.c medications.tsv ingredients.tsv allergens.tsv
                      classes.tsv codes.tsv modifiers.tsv

Keys are normalised the way lexicon.c normalises input (lower case, any
character other than a-z 0-9 - + / ' and bytes >= 0x80 becomes a space,
spaces collapsed). Duplicates, unknown `contains` names and malformed ATC
codes stop the build with file:line messages.
"""
import re
import sys

ATC = re.compile(r'^[A-Z](\d\d([A-Z]([A-Z](\d\d)?)?)?)?$')


def norm(s):
    out = []
    for ch in s.lower():
        if ('a' <= ch <= 'z') or ('0' <= ch <= '9') or ch in "-+/'" or ord(ch) >= 0x80:
            out.append(ch)
        else:
            out.append(' ')
    return ' '.join(''.join(out).split())


def rows(path, ncols, errors):
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            cols = line.split('\t')
            if len(cols) > ncols:
                errors.append(f'{path}:{lineno}: {len(cols)} columns, expected at most {ncols}')
                continue
            cols += [''] * (ncols - len(cols))
            yield lineno, [c.strip() for c in cols]


def split(col):
    return [x.strip() for x in col.split('|') if x.strip()]


def c_str(s):
    if s is None:
        return 'NULL'
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def prefix_index(w, name, prefixes):
    """A msc_lex_prefixes of the rows whose prefix is not None: sorted by
    the prefix's bytes, rows of equal prefix in table order, and a bit per
    prefix length present (lexicon.c's prefix_rows searches those only)."""
    rows = sorted((p.encode(), i) for i, p in enumerate(prefixes) if p is not None)
    lengths = 0
    for p, _i in rows:
        if not 0 < len(p) < 32:
            sys.exit(f'gen_lexicon.py: prefix {p!r}: 1 to 31 bytes')
        lengths |= 1 << len(p)
    w.append(f'static const msc_lex_prefix {name}_v[] = {{')
    for p, i in rows:
        w.append(f'\t{{{c_str(p.decode())}, {len(p)}, {i}}},')
    w.append('\t{NULL, 0, 0}\n};')
    return f'{{{name}_v, {len(rows)}, {lengths:#x}u}}'


def main():
    out, meds_p, ingr_p, alg_p, cls_p, codes_p, mods_p = sys.argv[1:8]
    errors = []
    tables = []  # (entries, keys) for medication, ingredient, allergen

    # medications
    entries, keys = [], {}
    for lineno, (name, atc, aliases) in rows(meds_p, 3, errors):
        codes = split(atc)
        for code in codes:
            if not ATC.match(code):
                errors.append(f'{meds_p}:{lineno}: bad ATC code {code!r}')
        idx = len(entries)
        entries.append({'name': norm(name), 'atc': '|'.join(codes) or None})
        for k in [name] + split(aliases):
            nk = norm(k)
            if nk in keys and keys[nk] != idx:
                errors.append(f'{meds_p}:{lineno}: {k!r} already names {entries[keys[nk]]["name"]!r}')
            keys[nk] = idx
    # an ATC code finds its drug too (the first row that gives it)
    for idx, e in enumerate(entries):
        for code in (e['atc'] or '').split('|'):
            if code and norm(code) not in keys:
                keys[norm(code)] = idx
    tables.append((entries, keys))

    # ingredients
    entries, keys, contains = [], {}, []
    for lineno, (name, aliases, cont) in rows(ingr_p, 3, errors):
        idx = len(entries)
        entries.append({'name': norm(name), 'atc': None})
        contains.append((lineno, [norm(c) for c in split(cont)]))
        for k in [name] + split(aliases):
            nk = norm(k)
            if nk in keys and keys[nk] != idx:
                errors.append(f'{ingr_p}:{lineno}: {k!r} already names {entries[keys[nk]]["name"]!r}')
            keys[nk] = idx
    by_name = {e['name']: i for i, e in enumerate(entries)}
    direct = []
    for i, (lineno, names) in enumerate(contains):
        ds = set()
        for n in names:
            if n not in by_name:
                errors.append(f'{ingr_p}:{lineno}: contains {n!r}, which is no ingredient row')
            else:
                ds.add(by_name[n])
        direct.append(ds)
    for i, e in enumerate(entries):
        seen, todo = {i}, [i]
        while todo:
            for j in direct[todo.pop()]:
                if j not in seen:
                    seen.add(j)
                    todo.append(j)
        e['expands'] = sorted(seen)
    tables.append((entries, keys))

    # allergens
    entries, keys = [], {}
    for lineno, (name, aliases) in rows(alg_p, 2, errors):
        idx = len(entries)
        entries.append({'name': norm(name), 'atc': None})
        for k in [name] + split(aliases):
            nk = norm(k)
            if nk in keys and keys[nk] != idx:
                errors.append(f'{alg_p}:{lineno}: {k!r} already names {entries[keys[nk]]["name"]!r}')
            keys[nk] = idx
    tables.append((entries, keys))

    # classes
    class_names, prefixes = [], []
    for lineno, (cls, prefix, effect, _note) in rows(cls_p, 4, errors):
        if effect not in ('include', 'exclude'):
            errors.append(f'{cls_p}:{lineno}: effect must be include or exclude')
            continue
        if not ATC.match(prefix):
            errors.append(f'{cls_p}:{lineno}: bad ATC prefix {prefix!r}')
        if cls not in class_names:
            class_names.append(cls)
        prefixes.append((class_names.index(cls), 1 if effect == 'include' else 0, prefix))
    if len(class_names) > 32:
        errors.append(f'{cls_p}: more than 32 classes')

    # codes
    codes = []
    for lineno, (system, prefix, fact, _note) in rows(codes_p, 4, errors):
        if system not in ('icd10', 'atc'):
            errors.append(f'{codes_p}:{lineno}: system must be icd10 or atc')
            continue
        codes.append((system, prefix.replace('.', '').upper(), fact))

    mods = sorted({norm(w) for _l, (w, _k) in rows(mods_p, 2, errors)}, key=lambda s: s.encode())

    if errors:
        sys.stderr.write('\n'.join(errors) + '\n')
        sys.exit(1)

    w = []
    w.append('/* Generated by gen_lexicon.py from the lexicon TSV files: do not edit. */')
    w.append('#include "internal.h"\n')
    tnames = ['medication', 'ingredient', 'allergen']
    for t, (entries, keys) in enumerate(tables):
        for i, e in enumerate(entries):
            if e.get('expands'):
                w.append(f'static const unsigned short {tnames[t]}_exp_{i}[] = {{'
                         + ', '.join(map(str, e['expands'])) + '};')
        w.append(f'static const msc_lex_entry {tnames[t]}_entries[] = {{')
        for i, e in enumerate(entries):
            exp = f'{tnames[t]}_exp_{i}, {len(e["expands"])}' if e.get('expands') else 'NULL, 0'
            w.append(f'\t{{{c_str(e["name"])}, {c_str(e["atc"])}, {exp}}},')
        w.append('\t{NULL, NULL, NULL, 0}\n};')
        w.append(f'static const msc_lex_key {tnames[t]}_keys[] = {{')
        for k in sorted(keys, key=lambda s: s.encode()):
            w.append(f'\t{{{c_str(k)}, {keys[k]}}},')
        w.append('\t{NULL, 0}\n};')
    w.append('const msc_lex_entry *const msc__lex_tables[3] = {'
             + ', '.join(f'{n}_entries' for n in tnames) + '};')
    w.append('const size_t msc__lex_sizes[3] = {'
             + ', '.join(str(len(t[0])) for t in tables) + '};')
    w.append('const msc_lex_key *const msc__lex_keys[3] = {'
             + ', '.join(f'{n}_keys' for n in tnames) + '};')
    w.append('const size_t msc__lex_key_counts[3] = {'
             + ', '.join(str(len(t[1])) for t in tables) + '};')
    w.append('const char *const msc__lex_class_names[] = {'
             + ', '.join(c_str(c) for c in class_names) + ', NULL};')
    w.append(f'const size_t msc__lex_class_count = {len(class_names)};')
    w.append('const msc_lex_class_prefix msc__lex_class_prefixes[] = {')
    for cls, inc, prefix in prefixes:
        w.append(f'\t{{{cls}, {inc}, {c_str(prefix)}}},')
    w.append('\t{0, 0, NULL}\n};')
    w.append(f'const size_t msc__lex_class_prefix_count = {len(prefixes)};')
    index = prefix_index(w, 'class_prefixes', [p for _c, _i, p in prefixes])
    w.append(f'const msc_lex_prefixes msc__lex_class_prefix_index = {index};')
    w.append('const msc_lex_code msc__lex_codes[] = {')
    for system, prefix, fact in codes:
        w.append(f'\t{{{c_str(system)}, {c_str(prefix)}, {c_str(fact)}}},')
    w.append('\t{NULL, NULL, NULL}\n};')
    w.append(f'const size_t msc__lex_code_count = {len(codes)};')
    index = [prefix_index(w, f'code_prefixes_{system}', [p if s == system else None for s, p, _f in codes])
             for system in ('atc', 'icd10')]
    w.append(f'const msc_lex_prefixes msc__lex_code_prefixes[2] = {{{index[0]}, {index[1]}}};')
    w.append('const char *const msc__lex_modifiers[] = {' + ', '.join(c_str(m) for m in mods) + ', NULL};')
    w.append(f'const size_t msc__lex_modifier_count = {len(mods)};')
    with open(out, 'w', encoding='utf-8') as f:
        f.write('\n'.join(w) + '\n')


if __name__ == '__main__':
    main()
