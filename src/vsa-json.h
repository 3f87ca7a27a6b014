/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Typed reads of untrusted JSON (the controller's bodies, the browser's input messages):
 * a value that is absent or of another type reads as none. */

/* node's string, or NULL when it is not a string or not UTF-8: json-glib turns an
 * escaped lone surrogate ("\ud800") into bytes that are not. */
const char *vsa_json_node_get_string (JsonNode *node);

/* The string member name, as vsa_json_node_get_string(); NULL when absent. */
const char *vsa_json_get_string (JsonObject *object, const char *name);

/* The number member name (integer or not) in *out; FALSE when absent, not a number or
 * not finite. */
gboolean vsa_json_get_number (JsonObject *object, const char *name, double *out);

/* The array member name, or NULL when absent or not an array. */
JsonArray *vsa_json_get_array (JsonObject *object, const char *name);

G_END_DECLS
