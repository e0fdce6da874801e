/* Head names of the multi-head learners (core.h: ghead_names). */
#include <string.h>

#include "core.h"

int ghead_names(const char *who, const char *list, int64_t heads, int max_heads, char names[][GHEAD_NAME_MAX])
{
    for (int h = 0; h < max_heads; h++) names[h][0] = 0;
    if (list[0] == 0) return GROWTH_OK;
    const char *p = list;
    int count = 0;
    while (1) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (count >= heads || count >= max_heads)
            return gerr(GROWTH_EINVAL, "%s: config key 'head_names' lists more names than heads=%lld", who,
                        (long long)heads);
        if (len == 0 || len >= GHEAD_NAME_MAX)
            return gerr(GROWTH_EINVAL, "%s: config key 'head_names': name %d is empty or longer than %d", who,
                        count, GHEAD_NAME_MAX - 1);
        for (size_t i = 0; i < len; i++) {
            char c = p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-'))
                return gerr(GROWTH_EINVAL,
                            "%s: config key 'head_names': '%.*s' has characters other than letters, digits, "
                            "'_' and '-'",
                            who, (int)len, p);
        }
        memcpy(names[count], p, len);
        names[count][len] = 0;
        for (int j = 0; j < count; j++)
            if (strcmp(names[j], names[count]) == 0)
                return gerr(GROWTH_EINVAL, "%s: config key 'head_names': '%s' appears twice", who,
                            names[count]);
        count++;
        if (!bar) break;
        p = bar + 1;
    }
    if (count != heads)
        return gerr(GROWTH_EINVAL, "%s: config key 'head_names' lists %d names but heads=%lld", who, count,
                    (long long)heads);
    return GROWTH_OK;
}
