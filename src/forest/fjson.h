/* A bounded, non-recursive reader of JSON and UBJSON documents into a flat DOM, for the model
 * files of xgboost (hostile input: every index, size and depth is checked). Private to forest. */
#ifndef GROWTH_FOREST_FJSON_H
#define GROWTH_FOREST_FJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { FJ_NULL, FJ_BOOL, FJ_NUM, FJ_STR, FJ_ARR, FJ_OBJ, FJ_TARR };

#define FJ_NONE      UINT32_MAX
#define FJ_MAX_DEPTH 64
#define FJ_MAX_INPUT ((size_t)1 << 31)

/* One value. Children of an array or object form a singly linked list (first/next), so the
 * parser never moves nodes. Strings and UBJSON typed arrays point into the input. */
typedef struct {
    uint8_t type;
    uint8_t etype;    /* FJ_TARR: UBJSON element marker (i U I l L d D) */
    uint32_t next;    /* next sibling; 0 = none (the root is never a sibling) */
    uint32_t first;   /* ARR/OBJ: first child (0 = none); STR/TARR: byte offset in the input */
    uint32_t count;   /* ARR/OBJ: number of children; STR: bytes; TARR: elements */
    uint32_t key_off; /* member of an object: its key's offset and length */
    uint32_t key_len;
    double num; /* NUM, BOOL */
} fj_val;

typedef struct {
    const uint8_t *buf;
    size_t len;
    fj_val *v;
    size_t n, cap;
    char err[160];
} fj_doc;

/* Parse a whole buffer; on failure returns false with a message in d->err. Free with fj_free. */
bool fj_parse_json(fj_doc *d, const uint8_t *buf, size_t len);
bool fj_parse_ubjson(fj_doc *d, const uint8_t *buf, size_t len);
void fj_free(fj_doc *d);

/* Member `key` of object `obj`, or FJ_NONE (also when obj is FJ_NONE or not an object). */
uint32_t fj_get(const fj_doc *d, uint32_t obj, const char *key);
/* Number of elements of an array (plain or typed); 0 for anything else. */
size_t fj_len(const fj_doc *d, uint32_t arr);
bool fj_is(const fj_doc *d, uint32_t v, int type);
/* A number, a bool, or a string holding a number ("5E-1", as xgboost writes parameters). */
bool fj_number(const fj_doc *d, uint32_t v, double *out);
/* The bytes of a string (not unescaped). */
bool fj_string(const fj_doc *d, uint32_t v, const char **s, size_t *n);
bool fj_string_eq(const fj_doc *d, uint32_t v, const char *s);
/* Copies the n elements of an array of numbers/bools into out; false if any is not numeric
 * or the array has another length. */
bool fj_numbers(const fj_doc *d, uint32_t arr, double *out, size_t n);

#endif
