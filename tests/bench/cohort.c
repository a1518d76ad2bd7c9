/*
 * libmesoscreen benchmarks - the seeded synthetic cohort generator (see
 * cohort.h). splitmix64, so that a seed means the same cohort everywhere.
 */
#include "cohort.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cohort_seed(cohort_rng *rng, uint64_t seed)
{
	rng->state = seed;
}

uint64_t cohort_next(cohort_rng *rng)
{
	uint64_t z = (rng->state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* 0 <= result < n */
static unsigned pick(cohort_rng *rng, unsigned n)
{
	return (unsigned)(cohort_next(rng) % n);
}

/* true with probability percent/100 */
static int chance(cohort_rng *rng, unsigned percent)
{
	return pick(rng, 100) < percent;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ vocabulary */

static const char *const yesno_facts[] = {
	"pregnant", "breastfeeding", "stroke_history", "insulin_dependent_diabetes", "cancer",
	"clotting_disorder", "urticaria", "heart_disease_multiple_drugs", "needle_phobia",
};

/* everyday medications: generic names, brands, doses, forms */
static const char *const meds_safe[] = {
	"Atorvastatin 20 mg", "Lipitor", "Synthroid", "levothyroxine 50 mcg", "Tylenol",
	"paracetamol 500 mg tablet", "Metformin 850mg", "Zyrtec", "cetirizine 10 mg",
	"Omeprazole 20 mg capsule", "Ventolin inhaler", "vitamin D", "Lisinopril 10 mg",
	"sertraline 50 mg", "Amoxicillin 500 mg", "Euthyrox", "Concerta 18 mg",
};
/* blood thinners: brands, ATC codes, doses, synonyms */
static const char *const meds_thinner[] = {
	"Eliquis", "aspirin 100 mg", "Aspirin 100 mg EC tablet", "Xarelto 20mg", "Advil 200mg",
	"B01AA03", "Plavix 75 mg", "Coumadin", "acetylsalicylic acid", "ibuprofen 400 mg",
	"Pradaxa",
};
/* names no lexicon knows */
static const char *const meds_unknown[] = { "Frobozz 10 mg", "Zorblaxin", "herbal tea mix" };
static const char *const meds_insulin[] = { "Lantus 100 units/ml pen", "insulin glargine" };

static const char *const allergies_safe[] = {
	"latex", "penicillin", "pollen", "nickel", "cats", "hay fever", "bee stings", "dust mites",
};
static const char *const ingredients_safe[] = {
	"biotin", "hyaluronic acid", "Sodium hyaluronate", "vitamin C", "dexpanthenol",
	"collagen", "niacinamide", "glycine", "vitamin B complex", "proline",
};
/* an allergy and an ingredient that contains it (brand, salt, group) */
static const char *const allergy_hits[][2] = {
	{ "lidocaine", "lidocaine hydrochloride 2%" },
	{ "Xylocaine", "lidocaine" },
	{ "local anaesthetics", "procaine" },
	{ "Sodium hyaluronate", "hyaluronic acid" },
	{ "vitamin b", "biotin" },
};
/* ICD-10 codes that set a fact to yes */
static const char *const codes_hit[] = { "C50.9", "Z39.1", "I63.9", "D68.0", "E10.9", "L50.1", "Z34.00" };
/* codes that set nothing */
static const char *const codes_other[] = { "I10", "J45.909", "E78.5", "K21.9" };

static const char *const areas[] = {
	"face", "neck", "decollete", "hands", "scalp", "under-eye", "abdomen",
	"waist", "hips", "buttocks", "thighs", "legs", "arms",
};
static const char *const techniques[] = { "needle", "gun", "needle-free" };

/* ------------------------------------------------------------ the writer */

typedef struct out {
	char *buf;
	size_t cap, len;
	int format;
	int overflow;
	int first;      /* no comma needed before the next member */
} out;

static void put(out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	o->len += (size_t)n;
}

static void sep(out *o)
{
	if (!o->first)
		put(o, ",");
	o->first = 0;
}

static void key(out *o, const char *name)
{
	sep(o);
	if (o->format == COHORT_LUA)
		put(o, "%s=", name);
	else
		put(o, "\"%s\":", name);
}

static void str(out *o, const char *s)
{
	put(o, "\"%s\"", s); /* the vocabulary has no quote or backslash */
}

static void open_obj(out *o)
{
	put(o, "{");
	o->first = 1;
}

static void close_obj(out *o)
{
	put(o, "}");
	o->first = 0;
}

static void null_value(out *o)
{
	put(o, o->format == COHORT_LUA ? "null" : "null");
}

static void list(out *o, const char *name, const char *const *items, size_t n)
{
	size_t i;

	key(o, name);
	put(o, o->format == COHORT_LUA ? "{" : "[");
	for (i = 0; i < n; i++) {
		if (i)
			put(o, ",");
		str(o, items[i]);
	}
	put(o, o->format == COHORT_LUA ? "}" : "]");
	o->first = 0;
}

/* A yes/no answer: 1 yes, 0 no, -1 null, -2 "unknown", -3 absent. */
static void answer(out *o, cohort_rng *rng, const char *name, int value)
{
	if (value == -3)
		return;
	key(o, name);
	if (value == -1)
		null_value(o);
	else if (value == -2)
		str(o, "unknown");
	else if (chance(rng, 70))
		put(o, value ? "true" : "false");
	else
		str(o, value ? "yes" : "no");
}

/* ------------------------------------------------------------ a record */

enum { HEALTHY, BLOCKED, CAUTION, UNKNOWN };

typedef struct draft {
	int yesno[COUNT(yesno_facts)];
	const char *meds[8];
	size_t n_meds;
	int meds_absent;
	const char *allergies[4];
	size_t n_allergies;
	int allergies_absent;
	const char *conditions[3];
	size_t n_conditions;
	int conditions_absent;
	int hair;          /* months; -1 "never", -2 null, -3 absent */
	int plan_absent;
	const char *area;  /* NULL: absent */
	const char *technique;
	const char *ingredients[6];
	size_t n_ingredients;
	int ingredients_absent;
	int numbing;       /* as answer() */
	double depth;      /* < 0: absent */
} draft;

static void add(const char **list, size_t *n, size_t cap, const char *item)
{
	if (*n < cap)
		list[(*n)++] = item;
}

static double depth_for(cohort_rng *rng, const char *area, int in_range)
{
	int scalp = strcmp(area, "scalp") == 0;
	double lo = scalp ? 2.0 : 1.0, hi = scalp ? 3.0 : 4.0;

	if (in_range)
		return lo + (hi - lo) * (double)pick(rng, 11) / 10.0;
	return chance(rng, 50) ? lo / 4 : hi + 1.5;
}

static void healthy(draft *d, cohort_rng *rng)
{
	size_t i, n;

	memset(d, 0, sizeof *d);
	for (i = 0; i < COUNT(yesno_facts); i++)
		d->yesno[i] = 0;
	n = pick(rng, 4);
	for (i = 0; i < n; i++)
		add(d->meds, &d->n_meds, COUNT(d->meds), meds_safe[pick(rng, COUNT(meds_safe))]);
	n = pick(rng, 3);
	for (i = 0; i < n; i++)
		add(d->allergies, &d->n_allergies, COUNT(d->allergies),
		    allergies_safe[pick(rng, COUNT(allergies_safe))]);
	if (chance(rng, 20))
		add(d->conditions, &d->n_conditions, COUNT(d->conditions), codes_other[pick(rng, COUNT(codes_other))]);
	d->hair = chance(rng, 80) ? -1 : 7 + (int)pick(rng, 30);
	d->area = areas[pick(rng, COUNT(areas))];
	d->technique = chance(rng, 60) ? techniques[pick(rng, COUNT(techniques))] : NULL;
	n = 1 + pick(rng, 4);
	for (i = 0; i < n; i++)
		add(d->ingredients, &d->n_ingredients, COUNT(d->ingredients),
		    ingredients_safe[pick(rng, COUNT(ingredients_safe))]);
	d->numbing = chance(rng, 30) ? 1 : chance(rng, 50) ? 0 : -3;
	d->depth = chance(rng, 85) ? depth_for(rng, d->area, 1) : -1;
}

static void blocked(draft *d, cohort_rng *rng)
{
	unsigned hits = 1 + pick(rng, 2), h;

	for (h = 0; h < hits; h++) {
		switch (pick(rng, 6)) {
		case 0: /* an answer of yes */
			d->yesno[pick(rng, COUNT(yesno_facts) - 1)] = 1;
			break;
		case 1: /* a code that says yes */
			add(d->conditions, &d->n_conditions, COUNT(d->conditions), codes_hit[pick(rng, COUNT(codes_hit))]);
			break;
		case 2: { /* allergic to something in the mixture */
			unsigned k = pick(rng, COUNT(allergy_hits));
			add(d->allergies, &d->n_allergies, COUNT(d->allergies), allergy_hits[k][0]);
			add(d->ingredients, &d->n_ingredients, COUNT(d->ingredients), allergy_hits[k][1]);
			break;
		}
		case 3: /* allergic to the numbing cream */
			add(d->allergies, &d->n_allergies, COUNT(d->allergies), "prilocaine");
			d->numbing = 1;
			break;
		case 4: /* insulin by brand */
			add(d->meds, &d->n_meds, COUNT(d->meds), meds_insulin[pick(rng, COUNT(meds_insulin))]);
			break;
		default: /* a recent hair transplant, scalp planned */
			d->area = "scalp";
			d->hair = (int)pick(rng, 6);
			d->depth = depth_for(rng, d->area, 1);
			break;
		}
	}
}

static void caution(draft *d, cohort_rng *rng)
{
	switch (pick(rng, 4)) {
	case 0:
	case 1:
		add(d->meds, &d->n_meds, COUNT(d->meds), meds_thinner[pick(rng, COUNT(meds_thinner))]);
		break;
	case 2:
		d->depth = depth_for(rng, d->area, 0);
		break;
	default:
		add(d->meds, &d->n_meds, COUNT(d->meds), meds_unknown[pick(rng, COUNT(meds_unknown))]);
		break;
	}
}

static void unknowns(draft *d, cohort_rng *rng)
{
	size_t i;

	for (i = 0; i < COUNT(yesno_facts); i++)
		if (chance(rng, 35))
			d->yesno[i] = -1 - (int)pick(rng, 3);
	d->meds_absent = chance(rng, 30);
	d->allergies_absent = chance(rng, 30);
	d->conditions_absent = chance(rng, 50);
	if (chance(rng, 30))
		d->hair = -2 - (int)pick(rng, 2);
	d->ingredients_absent = chance(rng, 20);
	if (chance(rng, 15))
		d->area = NULL;
	if (chance(rng, 20))
		d->numbing = -1;
	d->plan_absent = chance(rng, 10);
}

static void emit(out *o, cohort_rng *rng, const draft *d)
{
	int flat = o->format == COHORT_FLAT;
	size_t i;

	open_obj(o);
	if (!flat) {
		key(o, "patient");
		open_obj(o);
	}
	for (i = 0; i < COUNT(yesno_facts); i++)
		answer(o, rng, yesno_facts[i], d->yesno[i]);
	if (!d->meds_absent)
		list(o, "medications", d->meds, d->n_meds);
	if (!d->allergies_absent)
		list(o, "allergies", d->allergies, d->n_allergies);
	if (d->hair != -3) {
		key(o, "hair_transplant_months_ago");
		if (d->hair == -1)
			str(o, "never");
		else if (d->hair == -2)
			null_value(o);
		else
			put(o, "%d", d->hair);
	}
	if (!d->conditions_absent)
		list(o, "conditions", d->conditions, d->n_conditions);
	if (!flat) {
		close_obj(o);
		if (d->plan_absent) {
			close_obj(o);
			return;
		}
		key(o, "plan");
		open_obj(o);
	} else if (d->plan_absent) {
		close_obj(o);
		return;
	}
	if (d->area) {
		key(o, "area");
		str(o, d->area);
	}
	if (d->technique) {
		key(o, "technique");
		str(o, d->technique);
	}
	if (!d->ingredients_absent)
		list(o, "ingredients", d->ingredients, d->n_ingredients);
	answer(o, rng, "numbing_cream", d->numbing);
	if (d->depth >= 0) {
		key(o, "depth_mm");
		put(o, "%g", d->depth);
	}
	if (!flat)
		close_obj(o);
	close_obj(o);
}

size_t cohort_record(cohort_rng *rng, int format, char *buf, size_t cap)
{
	out o = { buf, cap, 0, format, 0, 1 };
	draft d;
	unsigned u = pick(rng, 100);

	if (cap == 0)
		return 0;
	healthy(&d, rng);
	if (u < 45) {
		/* healthy */
	} else if (u < 62) {
		blocked(&d, rng);
	} else if (u < 77) {
		caution(&d, rng);
	} else {
		if (chance(rng, 30))
			blocked(&d, rng);
		unknowns(&d, rng);
	}
	emit(&o, rng, &d);
	if (o.overflow) {
		buf[0] = 0;
		return 0;
	}
	return o.len;
}

char *cohort_lines(uint64_t seed, size_t n, int format, size_t *length)
{
	cohort_rng rng;
	size_t cap = n * 512 + 4096, len = 0, i;
	char *text = malloc(cap);

	if (!text)
		return NULL;
	cohort_seed(&rng, seed);
	for (i = 0; i < n; i++) {
		size_t k;

		if (cap - len < 4096 + 1) {
			char *bigger = realloc(text, cap * 2);
			if (!bigger) {
				free(text);
				return NULL;
			}
			text = bigger;
			cap *= 2;
		}
		k = cohort_record(&rng, format, text + len, cap - len - 1);
		if (k == 0) {
			free(text);
			return NULL;
		}
		len += k;
		text[len++] = '\n';
	}
	text[len] = 0;
	if (length)
		*length = len;
	return text;
}

size_t *cohort_offsets(const char *text, size_t length, size_t n)
{
	size_t *off = malloc((n + 1) * sizeof *off), i = 0, p = 0;

	if (!off)
		return NULL;
	while (i < n && p < length) {
		const char *nl = memchr(text + p, '\n', length - p);
		off[i++] = p;
		p = nl ? (size_t)(nl - text) + 1 : length;
	}
	while (i <= n)
		off[i++] = p;
	return off;
}
