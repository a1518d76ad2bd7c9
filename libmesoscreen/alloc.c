/* Memory: every allocation of the library goes through here. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void *msc__malloc(size_t size)
{
	return malloc(size ? size : 1);
}

void *msc__calloc(size_t count, size_t size)
{
	return calloc(count ? count : 1, size ? size : 1);
}

void *msc__realloc(void *ptr, size_t size)
{
	return realloc(ptr, size ? size : 1);
}

void msc__free(void *ptr)
{
	free(ptr);
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

int msc__grow(void **array, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return MSC_OK;
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
