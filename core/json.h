/*
 * json.h - typed reads of json-c objects from outside (Telegram's answers
 * and updates).
 *
 * json-c's getters convert whatever they are given: the string "false" is
 * a true boolean, "12" the integer 12, a missing member 0 or NULL. What
 * comes over the wire is read only through these, which take a member
 * only when it has the expected JSON type. o may be NULL or not an object
 * (nothing is then found); returned pointers are borrowed from o.
 */
#ifndef TD_JSON_H
#define TD_JSON_H

#include <json-c/json.h>

#include "core/common.h"

/* Member key when it is a JSON string, else NULL. */
const char *json_get_str(json_object *o, const char *key);
/* Member key when it is an integer: true and *out set; else false, *out untouched. */
bool json_get_int(json_object *o, const char *key, int64_t *out);
/* Member key when it is the literal true (not "true", not 1). */
bool json_get_true(json_object *o, const char *key);
/* Member key when it is an object, else NULL. */
json_object *json_get_obj(json_object *o, const char *key);
/* Member key when it is an array, else NULL. */
json_object *json_get_array(json_object *o, const char *key);

#endif
