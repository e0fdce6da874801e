/* Crash safety of saves: a child process saves two different models to the same path over and
 * over; the parent kills it with SIGKILL at random moments and then loads the file. The file
 * must always be one of the two models, complete — never torn, never missing once written. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

static growth_ftrl *make_model(float label)
{
    growth_ftrl *m = NULL;
    growth_ftrl_create(&m, "bits=16");
    uint32_t idx[64];
    for (int r = 0; r < 2000; r++) {
        for (int k = 0; k < 64; k++) idx[k] = (uint32_t)((r * 131 + k * 977) & 0xffff);
        growth_ftrl_update(m, idx, NULL, 64, &label, 1.0f);
    }
    return m;
}

static float probe(const growth_ftrl *m)
{
    uint32_t idx[3] = {1, 977, 131};
    float p = -1;
    growth_ftrl_predict(m, idx, NULL, 3, 0, &p, 1);
    return p;
}

TEST(test_kill_during_save)
{
    growth_ftrl *a = make_model(1.0f), *b = make_model(0.0f);
    float pa = probe(a), pb = probe(b);
    CHECK(pa != pb);
    char path[512];
    gt_path(path, sizeof path, "crash_safety.model");
    CHECK_OK(growth_ftrl_save(a, path));
    grng r;
    grng_seed(&r, (uint64_t)time(NULL));
    int torn = 0, kills = 0;
    for (int round = 0; round < 40; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            for (unsigned i = 0;; i++) growth_ftrl_save(i & 1 ? b : a, path);
            _exit(0);
        }
        usleep((useconds_t)(1000 + grng_below(&r, 20000)));
        kill(pid, SIGKILL);
        int st = 0;
        waitpid(pid, &st, 0);
        kills += WIFSIGNALED(st);
        growth_ftrl *m = NULL;
        int rc = growth_ftrl_load(&m, path);
        if (rc != GROWTH_OK) {
            fprintf(stderr, "  round %d: load failed: %s\n", round, growth_last_error());
            torn++;
            continue;
        }
        float p = probe(m);
        if (p != pa && p != pb) torn++;
        growth_ftrl_free(m);
    }
    CHECK(torn == 0);
    CHECK(kills == 40);
    /* Killed saves leave their temporary files behind (the proof that kills landed mid-save);
     * they are the only debris. Count and remove them. */
    int debris = 0;
    DIR *d = opendir(gt_tmpdir());
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "crash_safety.model.tmp.", 23) == 0) {
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", gt_tmpdir(), e->d_name);
            unlink(p);
            debris++;
        }
    }
    if (d) closedir(d);
    CHECK(debris > 0);
    growth_ftrl_free(a);
    growth_ftrl_free(b);
    unlink(path);
}

int main(void)
{
    RUN(test_kill_during_save);
    return GT_SUMMARY();
}
