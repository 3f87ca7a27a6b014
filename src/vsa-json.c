/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-json.h"

#include <math.h>

const char *
vsa_json_node_get_string (JsonNode *node)
{
  const char *text;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  text = json_node_get_string (node);
  return g_utf8_validate (text, -1, NULL) ? text : NULL;
}

const char *
vsa_json_get_string (JsonObject *object, const char *name)
{
  return vsa_json_node_get_string (json_object_get_member (object, name));
}

gboolean
vsa_json_get_number (JsonObject *object, const char *name, double *out)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type != G_TYPE_DOUBLE && type != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_double (node);
  return isfinite (*out);
}

JsonArray *
vsa_json_get_array (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}
