#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

static int write_full(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int gfile_write_atomic2(const char *who, const char *path, const void *a, size_t alen, const void *b,
                        size_t blen)
{
    GROWTH_CHECK_NULL(who, path);
    size_t plen = strlen(path);
    if (plen == 0) return gerr(GROWTH_EINVAL, "%s: empty path", who);
    char *tmp = malloc(plen + 16);
    char *dircopy = malloc(plen + 1);
    if (!tmp || !dircopy) {
        free(tmp);
        free(dircopy);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        free(dircopy);
        return gerr(GROWTH_EIO, "%s: cannot create a temporary file next to '%s': %s", who, path,
                    strerror(e));
    }
    int rc = GROWTH_OK;
    if ((alen && write_full(fd, a, alen) != 0) || (blen && write_full(fd, b, blen) != 0)) {
        rc = gerr(GROWTH_EIO, "%s: writing '%s' failed: %s", who, tmp, strerror(errno));
    } else if (fsync(fd) != 0) {
        rc = gerr(GROWTH_EIO, "%s: fsync of '%s' failed: %s", who, tmp, strerror(errno));
    }
    /* mkstemp creates 0600; give the file the permissions a plain fopen() would. */
    mode_t um = umask(0);
    umask(um);
    (void)fchmod(fd, 0666 & ~um);
    if (close(fd) != 0 && rc == GROWTH_OK)
        rc = gerr(GROWTH_EIO, "%s: closing '%s' failed: %s", who, tmp, strerror(errno));
    if (rc == GROWTH_OK && rename(tmp, path) != 0)
        rc = gerr(GROWTH_EIO, "%s: renaming '%s' to '%s' failed: %s", who, tmp, path, strerror(errno));
    if (rc != GROWTH_OK) {
        unlink(tmp);
    } else {
        memcpy(dircopy, path, plen + 1);
        int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            (void)fsync(dfd); /* best effort: makes the rename itself durable */
            close(dfd);
        }
    }
    free(tmp);
    free(dircopy);
    return rc;
}

int gfile_write_atomic(const char *who, const char *path, const void *data, size_t len)
{
    return gfile_write_atomic2(who, path, data, len, NULL, 0);
}

int gfile_read_all(const char *who, const char *path, size_t max_len, uint8_t **out, size_t *out_len)
{
    GROWTH_CHECK_NULL(who, path);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return gerr(GROWTH_EIO, "%s: cannot open '%s': %s", who, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return gerr(GROWTH_EIO, "%s: cannot stat '%s': %s", who, path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return gerr(GROWTH_EIO, "%s: '%s' is not a regular file", who, path);
    }
    if ((uint64_t)st.st_size > max_len) {
        close(fd);
        return gerr(GROWTH_EFORMAT, "%s: '%s' is %lld bytes, more than the limit of %zu", who, path,
                    (long long)st.st_size, max_len);
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        close(fd);
        return gerr(GROWTH_ENOMEM, "%s: cannot allocate %zu bytes for '%s'", who, len, path);
    }
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != len) {
        free(buf);
        return gerr(GROWTH_EIO, "%s: short read of '%s' (%zu of %zu bytes)", who, path, got, len);
    }
    *out = buf;
    *out_len = len;
    return GROWTH_OK;
}
