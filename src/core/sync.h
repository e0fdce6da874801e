/* Read-write locks shared by the modules that use them (include after a feature macro that
 * exposes pthread_rwlock_t, e.g. _GNU_SOURCE or _POSIX_C_SOURCE >= 200112L). */
#ifndef GROWTH_SYNC_H
#define GROWTH_SYNC_H

#include <pthread.h>

/* Initialises a read-write lock that prefers writers (where the C library can), so readers on
 * a hot path cannot starve the one thread that mutates. */
void grwlock_init(pthread_rwlock_t *lock);

#endif
