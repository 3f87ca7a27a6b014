/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vsa-json: typed reads of untrusted JSON. */

#include <math.h>

#include "vsa-json.h"

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_string (void)
{
  g_autoptr (JsonObject) object
      = parse_object ("{\"s\":\"h\\u00e9llo\",\"empty\":\"\",\"n\":1,\"null\":null,"
                      "\"a\":[\"x\"],\"o\":{\"s\":\"x\"}}");

  g_assert_cmpstr (vsa_json_get_string (object, "s"), ==, "héllo");
  g_assert_cmpstr (vsa_json_get_string (object, "empty"), ==, "");
  g_assert_null (vsa_json_get_string (object, "missing"));
  g_assert_null (vsa_json_get_string (object, "n"));
  g_assert_null (vsa_json_get_string (object, "null"));
  g_assert_null (vsa_json_get_string (object, "a"));
  g_assert_null (vsa_json_get_string (object, "o"));
}

/* A string that is not UTF-8 reads as none: set directly (json-glib takes any bytes),
 * and as json-glib's parser decodes an escaped lone surrogate or an octal escape. */
static void
test_string_not_utf8 (void)
{
  g_autoptr (JsonObject) object = parse_object ("{\"surrogate\":\"\\ud800x\",\"octal\":\"\\377\"}");
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);

  json_object_set_string_member (object, "bytes", "caf\xe9");
  json_object_set_string_member (object, "cut", "\xe2\x82");
  g_assert_null (vsa_json_get_string (object, "bytes"));
  g_assert_null (vsa_json_get_string (object, "cut"));
  g_assert_null (vsa_json_get_string (object, "surrogate"));
  g_assert_null (vsa_json_get_string (object, "octal"));

  json_node_set_string (node, "\xff");
  g_assert_null (vsa_json_node_get_string (node));
  json_node_set_string (node, "€");
  g_assert_cmpstr (vsa_json_node_get_string (node), ==, "€");
}

static void
test_node_string (void)
{
  g_autoptr (JsonNode) number = json_node_new (JSON_NODE_VALUE);
  g_autoptr (JsonNode) null = json_node_new (JSON_NODE_NULL);
  g_autoptr (JsonNode) array = json_node_new (JSON_NODE_ARRAY);

  json_node_set_int (number, 1);
  json_node_take_array (array, json_array_new ());
  g_assert_null (vsa_json_node_get_string (NULL));
  g_assert_null (vsa_json_node_get_string (number));
  g_assert_null (vsa_json_node_get_string (null));
  g_assert_null (vsa_json_node_get_string (array));
}

static void
test_number (void)
{
  g_autoptr (JsonObject) object
      = parse_object ("{\"int\":-3,\"double\":0.25,\"s\":\"1\",\"b\":true,\"null\":null,"
                      "\"a\":[1]}");
  double out = 42;

  g_assert_true (vsa_json_get_number (object, "int", &out));
  g_assert_cmpfloat (out, ==, -3);
  g_assert_true (vsa_json_get_number (object, "double", &out));
  g_assert_cmpfloat (out, ==, 0.25);

  out = 42;
  g_assert_false (vsa_json_get_number (object, "missing", &out));
  g_assert_false (vsa_json_get_number (object, "s", &out));
  g_assert_false (vsa_json_get_number (object, "b", &out));
  g_assert_false (vsa_json_get_number (object, "null", &out));
  g_assert_false (vsa_json_get_number (object, "a", &out));
  g_assert_cmpfloat (out, ==, 42);

  json_object_set_double_member (object, "infinite", INFINITY);
  json_object_set_double_member (object, "nan", NAN);
  g_assert_false (vsa_json_get_number (object, "infinite", &out));
  g_assert_false (vsa_json_get_number (object, "nan", &out));
}

static void
test_array (void)
{
  g_autoptr (JsonObject) object = parse_object ("{\"a\":[1,\"x\"],\"empty\":[],\"s\":\"[]\","
                                                "\"o\":{},\"null\":null}");
  JsonArray *array = vsa_json_get_array (object, "a");

  g_assert_nonnull (array);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpstr (vsa_json_node_get_string (json_array_get_element (array, 1)), ==, "x");
  g_assert_nonnull (vsa_json_get_array (object, "empty"));
  g_assert_null (vsa_json_get_array (object, "missing"));
  g_assert_null (vsa_json_get_array (object, "s"));
  g_assert_null (vsa_json_get_array (object, "o"));
  g_assert_null (vsa_json_get_array (object, "null"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vsa/json/string", test_string);
  g_test_add_func ("/vsa/json/string-not-utf8", test_string_not_utf8);
  g_test_add_func ("/vsa/json/node-string", test_node_string);
  g_test_add_func ("/vsa/json/number", test_number);
  g_test_add_func ("/vsa/json/array", test_array);

  return g_test_run ();
}
