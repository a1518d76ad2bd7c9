/* Growable buffers, a string arena and UTF-8 validation. */
#include <string.h>

#include "internal.h"

int msc__buf_append_slow(msc_buf *b, const char *s, size_t n)
{
	void *data = b->data;
	if (msc__grow(&data, &b->cap, b->len + n + 1, 1))
		return MSC_ENOMEM;
	b->data = data;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return MSC_OK;
}

void msc_buf_free(msc_buf *b)
{
	msc__free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

struct msc_arena_chunk {
	msc_arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

void *msc_arena_alloc(msc_arena *a, size_t size)
{
	msc_arena_chunk *c = a->head;
	size_t align = sizeof(max_align_t);
	void *p;

	size = (size + align - 1) / align * align;
	if (!c || c->size - c->used < size) {
		size_t csize = size > 16384 ? size : 16384;
		c = msc__malloc(sizeof(*c) + csize);
		if (!c) {
			msc__fail(MSC_ENOMEM, "out of memory");
			return NULL;
		}
		c->used = 0;
		c->size = csize;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *msc_arena_strndup(msc_arena *a, const char *s, size_t n)
{
	char *p = msc_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *msc_arena_strdup(msc_arena *a, const char *s)
{
	return msc_arena_strndup(a, s, strlen(s));
}

void msc_arena_free(msc_arena *a)
{
	msc_arena_chunk *c = a->head;
	while (c) {
		msc_arena_chunk *next = c->next;
		msc__free(c);
		c = next;
	}
	a->head = NULL;
}

int msc_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len, k;
		unsigned cp;

		if (c < 0x80) {
			if (c == 0)
				return 0;
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2; cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3; cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4; cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += len;
	}
	return 1;
}
