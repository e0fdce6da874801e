#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include <pthread.h>

#include "sync.h"

void grwlock_init(pthread_rwlock_t *lock)
{
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
#ifdef __GLIBC__
    /* glibc's default prefers readers: a steady stream of searches or selects would starve
     * the thread applying rewards or adds. */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    pthread_rwlock_init(lock, &attr);
    pthread_rwlockattr_destroy(&attr);
}
