#include "core/json.h"

/* Member key of o when it has type t, else NULL. */
static json_object *member(json_object *o, const char *key, json_type t)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

const char *json_get_str(json_object *o, const char *key)
{
	json_object *v = member(o, key, json_type_string);
	return v ? json_object_get_string(v) : NULL;
}

bool json_get_int(json_object *o, const char *key, int64_t *out)
{
	json_object *v = member(o, key, json_type_int);
	if (!v)
		return false;
	*out = json_object_get_int64(v);
	return true;
}

bool json_get_true(json_object *o, const char *key)
{
	json_object *v = member(o, key, json_type_boolean);
	return v && json_object_get_boolean(v);
}

json_object *json_get_obj(json_object *o, const char *key)
{
	return member(o, key, json_type_object);
}

json_object *json_get_array(json_object *o, const char *key)
{
	return member(o, key, json_type_array);
}
