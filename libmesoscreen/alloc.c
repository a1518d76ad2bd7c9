/*
 * Memory: every allocation of the library goes through here (yajl's too:
 * record_json.c gives each parser these functions).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void *std_malloc(size_t size, void *ctx)
{
	(void)ctx;
	return malloc(size);
}

static void *std_realloc(void *ptr, size_t size, void *ctx)
{
	(void)ctx;
	return realloc(ptr, size);
}

static void std_free(void *ptr, void *ctx)
{
	(void)ctx;
	free(ptr);
}

/* Process configuration, set before use (msc_set_allocator()): the
 * library never changes it on its own. */
static msc_allocator current = { MSC_ALLOCATOR_VERSION, std_malloc, std_realloc, std_free, NULL };

MSC_EXTERN(int) msc_set_allocator(const msc_allocator *a)
{
	if (!a) {
		msc_allocator std = { MSC_ALLOCATOR_VERSION, std_malloc, std_realloc, std_free, NULL };
		current = std;
		return MSC_OK;
	}
	if (a->version != MSC_ALLOCATOR_VERSION || !a->malloc || !a->realloc || !a->free)
		return msc__fail(MSC_EINVAL, "allocator: version %u or a NULL function", a->version);
	current = *a;
	return MSC_OK;
}

void *msc__malloc(size_t size)
{
	return current.malloc(size ? size : 1, current.ctx);
}

void *msc__calloc(size_t count, size_t size)
{
	void *p;
	if (size && count > (size_t)-1 / size)
		return NULL;
	p = msc__malloc(count * size);
	if (p && count && size)
		memset(p, 0, count * size);
	return p;
}

void *msc__realloc(void *ptr, size_t size)
{
	return current.realloc(ptr, size ? size : 1, current.ctx);
}

void msc__free(void *ptr)
{
	if (ptr)
		current.free(ptr, current.ctx);
}

MSC_EXTERN(void) msc_free(void *ptr)
{
	msc__free(ptr);
}

char *msc__strndup(const char *s, size_t n)
{
	char *p = msc__malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Only called by msc__grow() (internal.h), once need > *cap. */
int msc__grow_slow(void **array, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *p;

	ncap = *cap ? *cap : 8;
	while (ncap < need)
		ncap *= 2;
	p = msc__realloc(*array, ncap * size);
	if (!p)
		return msc__fail(MSC_ENOMEM, "out of memory");
	*array = p;
	*cap = ncap;
	return MSC_OK;
}
