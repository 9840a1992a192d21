// SPDX-License-Identifier: BSD-2-Clause
/* Reasons written into a caller's buffer (errbuf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"

int errbuf_set(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	n = strlen(err);
	if (rc < 0)
		snprintf(err + n, errlen - n, ": %s", strerror(-rc));
	return rc;
}
