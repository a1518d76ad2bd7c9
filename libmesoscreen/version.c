/* The version of the library that is linked. */
#include "internal.h"

MSC_EXTERN(const char *) msc_version(void)
{
	return MSC_VERSION;
}
