/* Locale-independent numbers. Every decimal the library parses or prints goes through here, so
 * a process whose locale writes "0,05" (a JVM under LANG=de_DE.UTF-8, a notebook that called
 * locale.setlocale) reads and writes exactly what the C locale would. The library never calls
 * setlocale(): that would change the whole process. Parsing uses strtod_l with a C locale object;
 * formatting switches the calling thread alone to it with uselocale() for the one call. */
#define _GNU_SOURCE /* strtod_l, strtoll_l */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core.h"

/* glibc returns its static C locale object for this request (no allocation, never fails); on
 * other libcs the object is made once and kept for the life of the process. */
static locale_t c_locale(void)
{
    static locale_t loc;
    locale_t l = __atomic_load_n(&loc, __ATOMIC_ACQUIRE);
    if (GROWTH_UNLIKELY(l == (locale_t)0)) {
        locale_t made = newlocale(LC_ALL_MASK, "C", (locale_t)0);
        locale_t expected = (locale_t)0;
        if (made == (locale_t)0) return (locale_t)0;
        if (!__atomic_compare_exchange_n(&loc, &expected, made, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            freelocale(made); /* another thread made it first */
            made = expected;
        }
        l = made;
    }
    return l;
}

double gstrtod(const char *s, char **end)
{
    locale_t l = c_locale();
    if (GROWTH_UNLIKELY(l == (locale_t)0)) {
        /* No locale object could be made (out of memory on a non-glibc libc): refuse rather
         * than read "0.5" under the wrong decimal separator. */
        if (end) *end = (char *)s;
        return 0.0;
    }
    return strtod_l(s, end, l);
}

int gvsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
    locale_t l = c_locale();
    locale_t old = l ? uselocale(l) : (locale_t)0;
    int n = vsnprintf(buf, cap, fmt, ap);
    if (old) uselocale(old);
    return n;
}

int gsnprintf(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = gvsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

int64_t gmodel_time(void)
{
    /* Reproducible model bytes on request (reproducible-builds.org's SOURCE_DATE_EPOCH): a
     * training pipeline that sets it gets the same file for the same model, whenever it runs. */
    const char *s = getenv("SOURCE_DATE_EPOCH");
    if (s && *s) {
        char *end = NULL;
        long long v = strtoll(s, &end, 10);
        if (end && *end == 0 && v >= 0) return (int64_t)v;
    }
    return (int64_t)time(NULL);
}
