/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vsa-signaling: the controller's JSON documents. */

#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "vsa-signaling.h"

#define MINIMAL_SDP "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

static char *
load_fixture (const char *name, gsize *length)
{
  const char *dir = g_getenv ("VSA_TEST_DATA");
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  if (dir == NULL)
    {
      g_test_fail_printf ("VSA_TEST_DATA is not set");
      return NULL;
    }
  path = g_build_filename (dir, name, NULL);
  g_file_get_contents (path, &contents, length, &error);
  g_assert_no_error (error);
  return contents;
}

static VsaOffer *
parse_str (const char *body, GError **error)
{
  return vsa_offer_parse (body, strlen (body), error);
}

static VsaCandidate *
candidate_at (GPtrArray *candidates, guint i)
{
  g_assert_cmpuint (i, <, candidates->len);
  return g_ptr_array_index (candidates, i);
}

static void
test_offer_fixtures (void)
{
  const struct
  {
    const char *name;
    guint candidates;
  } fixtures[] = {
    { "chromium-early-offer.json", 2 },
    { "chromium-viewer-offer.json", 0 },
    { "firefox-early-offer.json", 8 },
    { "firefox-viewer-offer.json", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (fixtures); i++)
    {
      gsize length = 0;
      g_autofree char *body = load_fixture (fixtures[i].name, &length);
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaOffer) offer = NULL;

      if (body == NULL)
        return;
      g_test_message ("%s", fixtures[i].name);
      offer = vsa_offer_parse (body, length, &error);
      g_assert_no_error (error);
      g_assert_nonnull (offer);
      g_assert_nonnull (offer->sdp);
      g_assert_true (g_str_has_prefix (offer->sdp, "v=0"));
      g_assert_nonnull (strstr (offer->sdp, "m=video "));
      g_assert_nonnull (offer->candidates);
      g_assert_cmpuint (offer->candidates->len, ==, fixtures[i].candidates);
      for (guint j = 0; j < offer->candidates->len; j++)
        {
          VsaCandidate *c = candidate_at (offer->candidates, j);

          g_assert_true (g_str_has_prefix (c->candidate, "candidate:"));
          g_assert_cmpuint (strlen (c->candidate), >, strlen ("candidate:"));
          g_assert_cmpint (c->mline_index, ==, 0);
          g_assert_cmpstr (c->mid, ==, "0");
        }
    }
}

/* The SDP text comes through unchanged (JSON escapes decoded). */
static void
test_offer_sdp_exact (void)
{
  gsize length = 0;
  g_autofree char *body = load_fixture ("firefox-viewer-offer.json", &length);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = NULL;
  JsonObject *root;
  const char *sdp;

  if (body == NULL)
    return;
  json_parser_load_from_data (parser, body, length, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  sdp = json_object_get_string_member (json_object_get_object_member (root, "offer"), "sdp");

  offer = vsa_offer_parse (body, length, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (offer->sdp, ==, sdp);
}

static void
test_offer_chromium_candidates (void)
{
  gsize length = 0;
  g_autofree char *body = load_fixture ("chromium-early-offer.json", &length);
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = NULL;

  if (body == NULL)
    return;
  offer = vsa_offer_parse (body, length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (offer->candidates->len, ==, 2);
  g_assert_cmpstr (candidate_at (offer->candidates, 0)->candidate, ==,
                   "candidate:699238449 1 udp 2113937151 192.0.2.2 60209 typ host generation 0 "
                   "ufrag RL1u network-cost 999");
  g_assert_cmpstr (candidate_at (offer->candidates, 1)->candidate, ==,
                   "candidate:786424961 1 udp 2113942271 fd00::2 41596 typ host generation 0 "
                   "ufrag RL1u network-cost 999");
}

static void
test_offer_firefox_candidates (void)
{
  gsize length = 0;
  g_autofree char *body = load_fixture ("firefox-early-offer.json", &length);
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = NULL;

  if (body == NULL)
    return;
  offer = vsa_offer_parse (body, length, &error);
  g_assert_no_error (error);
  /* Nine entries; the trailing "" (end of candidates) is skipped. */
  g_assert_cmpuint (offer->candidates->len, ==, 8);
  g_assert_cmpstr (candidate_at (offer->candidates, 0)->candidate, ==,
                   "candidate:0 1 UDP 2122187007 192.0.2.2 56473 typ host");
  g_assert_cmpstr (candidate_at (offer->candidates, 7)->candidate, ==,
                   "candidate:3 2 TCP 2105524478 fd00::2 9 typ host tcptype active");
}

static void
test_offer_candidate_prefix (void)
{
  const char *body = "{\"offer\":{\"type\":\"offer\",\"sdp\":\""
                     "v=0\\r\\n"
                     "\"},"
                     "\"candidates\":["
                     "{\"candidate\":\"1 1 udp 2113937151 192.0.2.2 60209 typ host\","
                     "\"sdpMLineIndex\":0},"
                     "{\"candidate\":\"a=candidate:2 1 udp 2113937151 192.0.2.3 60210 typ host\","
                     "\"sdpMLineIndex\":0},"
                     "{\"candidate\":\"candidate:3 1 udp 2113937151 192.0.2.4 60211 typ host\","
                     "\"sdpMLineIndex\":0}"
                     "]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = parse_str (body, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (offer->sdp, ==, "v=0\r\n");
  g_assert_cmpuint (offer->candidates->len, ==, 3);
  g_assert_cmpstr (candidate_at (offer->candidates, 0)->candidate, ==,
                   "candidate:1 1 udp 2113937151 192.0.2.2 60209 typ host");
  g_assert_cmpstr (candidate_at (offer->candidates, 1)->candidate, ==,
                   "candidate:2 1 udp 2113937151 192.0.2.3 60210 typ host");
  g_assert_cmpstr (candidate_at (offer->candidates, 2)->candidate, ==,
                   "candidate:3 1 udp 2113937151 192.0.2.4 60211 typ host");
}

static void
test_offer_mline_mid (void)
{
  const char *body
      = "{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"},"
        "\"candidates\":["
        "{\"candidate\":\"candidate:1 1 udp 1 192.0.2.2 1 typ host\",\"sdpMid\":\"0\"},"
        "{\"candidate\":\"candidate:2 1 udp 1 192.0.2.2 2 typ host\","
        "\"sdpMLineIndex\":1},"
        "{\"candidate\":\"candidate:3 1 udp 1 192.0.2.2 3 typ host\","
        "\"sdpMid\":\"video\",\"sdpMLineIndex\":2}"
        "]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = parse_str (body, &error);
  VsaCandidate *c;

  g_assert_no_error (error);
  g_assert_cmpuint (offer->candidates->len, ==, 3);
  c = candidate_at (offer->candidates, 0);
  g_assert_cmpint (c->mline_index, ==, -1);
  g_assert_cmpstr (c->mid, ==, "0");
  c = candidate_at (offer->candidates, 1);
  g_assert_cmpint (c->mline_index, ==, 1);
  g_assert_null (c->mid);
  c = candidate_at (offer->candidates, 2);
  g_assert_cmpint (c->mline_index, ==, 2);
  g_assert_cmpstr (c->mid, ==, "video");
}

static void
test_offer_no_candidates_key (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = NULL;

  offer = parse_str ("{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\ns=-\\r\\n\"}}", &error);
  g_assert_no_error (error);
  g_assert_nonnull (offer);
  g_assert_cmpstr (offer->sdp, ==, "v=0\r\ns=-\r\n");
  g_assert_nonnull (offer->candidates);
  g_assert_cmpuint (offer->candidates->len, ==, 0);
}

/* Only @length bytes are read: HTTP bodies are not NUL-terminated. */
static void
test_offer_length_honoured (void)
{
  const char *json = "{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}}";
  g_autofree char *buffer = g_strconcat (json, "}}garbage after the body", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = vsa_offer_parse (buffer, strlen (json), &error);
  g_autoptr (GPtrArray) candidates = NULL;
  const char *cjson = "{\"candidates\":[]}";
  g_autofree char *cbuffer = g_strconcat (cjson, "<html>", NULL);

  g_assert_no_error (error);
  g_assert_nonnull (offer);
  g_assert_cmpstr (offer->sdp, ==, "v=0\r\n");

  candidates = vsa_candidates_parse (cbuffer, strlen (cjson), &error);
  g_assert_no_error (error);
  g_assert_nonnull (candidates);
  g_assert_cmpuint (candidates->len, ==, 0);
}

static void
assert_offer_error (const char *body, gssize length, int code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = NULL;
  gsize len = length < 0 ? strlen (body) : (gsize) length;

  offer = vsa_offer_parse (body, len, &error);
  g_assert_null (offer);
  g_assert_nonnull (error);
  g_test_message ("error: %s", error->message);
  g_assert_error (error, VSA_SIGNALING_ERROR, code);
}

static void
test_offer_not_json (void)
{
  static const char garbage[] = { 0x00, (char) 0xff, (char) 0xfe, 0x7b, 0x22, (char) 0x80,
                                  0x01, 0x02,        (char) 0xc3, 0x28, 0x00, 0x7d };
  gsize length = 0;
  g_autofree char *fixture = load_fixture ("chromium-early-offer.json", &length);

  assert_offer_error ("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
                      "<body><h1>502 Bad Gateway</h1></body></html>",
                      -1, VSA_SIGNALING_ERROR_PARSE);
  assert_offer_error ("{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0", -1,
                      VSA_SIGNALING_ERROR_PARSE);
  assert_offer_error (garbage, sizeof garbage, VSA_SIGNALING_ERROR_PARSE);
  assert_offer_error (garbage + 1, sizeof garbage - 1, VSA_SIGNALING_ERROR_PARSE);
  assert_offer_error ("", 0, VSA_SIGNALING_ERROR_PARSE);
  /* json-glib returns no document and no error for white space, */
  assert_offer_error (" \n", -1, VSA_SIGNALING_ERROR_PARSE);
  /* leaks on a second value and on a broken surrogate pair, and decodes a lone surrogate
   * into bytes that are not UTF-8: none of that reaches it. */
  assert_offer_error ("{}[]", -1, VSA_SIGNALING_ERROR_PARSE);
  assert_offer_error ("{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\ud800\\u0041\"}}", -1,
                      VSA_SIGNALING_ERROR_PARSE);
  assert_offer_error ("{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\ud800ab\"}}", -1,
                      VSA_SIGNALING_ERROR_PARSE);
  if (fixture != NULL)
    assert_offer_error (fixture, length / 2, VSA_SIGNALING_ERROR_PARSE);
}

/* Deep nesting would overflow json-glib's recursive parser; long strings are only data. */
static void
test_offer_hostile (void)
{
  const gsize depth = 1000000;
  g_autoptr (GString) deep = g_string_sized_new (2 * depth);
  g_autoptr (GString) deep_in_string = g_string_new ("{\"x\":\"");
  g_autoptr (GString) long_sdp
      = g_string_new ("{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n");
  g_autoptr (VsaOffer) offer = NULL;
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < depth; i++)
    g_string_append_c (deep, i % 2 ? '{' : '[');
  assert_offer_error (deep->str, (gssize) deep->len, VSA_SIGNALING_ERROR_PARSE);
  g_string_set_size (deep, 0);
  for (gsize i = 0; i < 64; i++)
    g_string_append_c (deep, '[');
  for (gsize i = 0; i < 64; i++)
    g_string_append_c (deep, ']');
  assert_offer_error (deep->str, (gssize) deep->len, VSA_SIGNALING_ERROR_PARSE);

  /* Brackets inside a string (escaped quotes too) are not nesting. */
  for (gsize i = 0; i < 1000; i++)
    g_string_append (deep_in_string, "[{\\\"");
  g_string_append (deep_in_string, "\"}");
  assert_offer_error (deep_in_string->str, -1, VSA_SIGNALING_ERROR_SHAPE);

  for (gsize i = 0; i < 1000000; i++)
    g_string_append_c (long_sdp, 'A');
  g_string_append (long_sdp, "\"}}");
  offer = vsa_offer_parse (long_sdp->str, long_sdp->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (offer->sdp), ==, 5 + 1000000);
}

static void
test_offer_wrong_shape (void)
{
  const char *const bodies[] = {
    "[]",
    "[{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}}]",
    "{}",
    "{\"error\":\"Offer not found\",\"retry\":true}",
    "{\"offer\":null}",
    "{\"offer\":\"v=0\\r\\n\"}",
    "{\"offer\":{\"type\":\"offer\"}}",
    "{\"offer\":{\"type\":\"offer\",\"sdp\":42}}",
    "{\"offer\":{\"type\":\"offer\",\"sdp\":null}}",
    "{\"offer\":{\"type\":\"offer\",\"sdp\":[\"v=0\"]}}",
    "{\"offer\":{\"type\":\"offer\",\"sdp\":\"\"}}",
    "{\"offer\":{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\"}}",
    "{\"offer\":{\"type\":\"pranswer\",\"sdp\":\"v=0\\r\\n\"}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_test_message ("%s", bodies[i]);
      assert_offer_error (bodies[i], -1, VSA_SIGNALING_ERROR_SHAPE);
    }
}

static void
test_offer_bad_candidates_skipped (void)
{
  const char *body = "{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"},"
                     "\"candidates\":["
                     "42,"
                     "\"candidate:9 1 udp 1 192.0.2.9 9 typ host\","
                     "null,"
                     "{\"candidate\":\"candidate:1 1 udp 1 192.0.2.1 1 typ host\","
                     "\"sdpMLineIndex\":0},"
                     "{\"candidate\":5,\"sdpMLineIndex\":0},"
                     "{\"candidate\":null,\"sdpMLineIndex\":0},"
                     "{\"sdpMLineIndex\":0},"
                     "{\"candidate\":\"candidate:7 1 udp 1 192.0.2.7 7 typ host\","
                     "\"sdpMLineIndex\":-1},"
                     "{\"candidate\":\"candidate:8 1 udp 1 192.0.2.8 8 typ host\","
                     "\"sdpMLineIndex\":\"0\"},"
                     "{\"candidate\":\"\",\"sdpMLineIndex\":0},"
                     "{\"candidate\":\"candidate:2 1 udp 1 192.0.2.2 2 typ host\","
                     "\"sdpMid\":\"0\",\"sdpMLineIndex\":0}"
                     "]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = parse_str (body, &error);

  g_assert_no_error (error);
  g_assert_nonnull (offer);
  g_assert_cmpuint (offer->candidates->len, ==, 2);
  g_assert_cmpstr (candidate_at (offer->candidates, 0)->candidate, ==,
                   "candidate:1 1 udp 1 192.0.2.1 1 typ host");
  g_assert_cmpint (candidate_at (offer->candidates, 0)->mline_index, ==, 0);
  g_assert_cmpstr (candidate_at (offer->candidates, 1)->candidate, ==,
                   "candidate:2 1 udp 1 192.0.2.2 2 typ host");
  g_assert_cmpstr (candidate_at (offer->candidates, 1)->mid, ==, "0");
}

static void
test_candidates_parse (void)
{
  const char *body = "{\"success\":true,\"candidates\":["
                     "{\"candidate\":\"candidate:1 1 udp 2113937151 192.0.2.2 60209 typ host\","
                     "\"sdpMLineIndex\":0},"
                     "{\"candidate\":\"2 1 udp 2113937151 192.0.2.3 60210 typ host\","
                     "\"sdpMid\":\"0\"}"
                     "]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) candidates = vsa_candidates_parse (body, strlen (body), &error);
  VsaCandidate *c;

  g_assert_no_error (error);
  g_assert_nonnull (candidates);
  g_assert_cmpuint (candidates->len, ==, 2);
  c = candidate_at (candidates, 0);
  g_assert_cmpstr (c->candidate, ==, "candidate:1 1 udp 2113937151 192.0.2.2 60209 typ host");
  g_assert_cmpint (c->mline_index, ==, 0);
  g_assert_null (c->mid);
  c = candidate_at (candidates, 1);
  g_assert_cmpstr (c->candidate, ==, "candidate:2 1 udp 2113937151 192.0.2.3 60210 typ host");
  g_assert_cmpint (c->mline_index, ==, -1);
  g_assert_cmpstr (c->mid, ==, "0");
}

static void
test_candidates_parse_empty (void)
{
  const char *body = "{\"success\":true,\"candidates\":[]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) candidates = vsa_candidates_parse (body, strlen (body), &error);

  g_assert_no_error (error);
  g_assert_nonnull (candidates);
  g_assert_cmpuint (candidates->len, ==, 0);
}

static void
test_candidates_parse_skip_malformed (void)
{
  const char *body = "{\"success\":true,\"candidates\":["
                     "42,"
                     "{\"candidate\":\"candidate:1 1 udp 1 192.0.2.1 1 typ host\","
                     "\"sdpMLineIndex\":0},"
                     "{\"candidate\":false,\"sdpMLineIndex\":0},"
                     "{\"candidate\":\"candidate:7 1 udp 1 192.0.2.7 7 typ host\","
                     "\"sdpMLineIndex\":-3},"
                     "{\"candidate\":\"candidate:8 1 udp 1 192.0.2.8 8 typ host\","
                     "\"sdpMLineIndex\":\"zero\"},"
                     "{\"candidate\":\"\",\"sdpMLineIndex\":0},"
                     /* strings that are no candidate: libnice must never see them */
                     "{\"candidate\":\"candidate:garbage\",\"sdpMLineIndex\":0},"
                     "{\"candidate\":\"candidate:2 1 udp 1 192.0.2.2 70000 typ host\"},"
                     "{\"candidate\":\"candidate:3 0 udp 1 192.0.2.3 3 typ host\"},"
                     "{\"candidate\":\"candidate:4 1 sctp 1 192.0.2.4 4 typ host\"},"
                     "{\"candidate\":\"candidate:5 1 udp -1 192.0.2.5 5 typ host\"},"
                     "{\"candidate\":\"candidate:6 1 udp 1 192.0.2.6 6 type host\"},"
                     "{\"candidate\":\"candidate:9 1 udp 1 192.0.2.9 9 typ local\"},"
                     "{\"candidate\":\"candidate:10 1 TCP 1 192.0.2.10 9 typ host tcptype "
                     "active\"}"
                     "]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) candidates = vsa_candidates_parse (body, strlen (body), &error);

  g_assert_no_error (error);
  g_assert_nonnull (candidates);
  g_assert_cmpuint (candidates->len, ==, 2);
  g_assert_cmpstr (candidate_at (candidates, 0)->candidate, ==,
                   "candidate:1 1 udp 1 192.0.2.1 1 typ host");
  g_assert_cmpstr (candidate_at (candidates, 1)->candidate, ==,
                   "candidate:10 1 TCP 1 192.0.2.10 9 typ host tcptype active");
}

static void
test_candidates_parse_errors (void)
{
  const struct
  {
    const char *body;
    int code;
  } cases[] = {
    { "{\"success\":true}", VSA_SIGNALING_ERROR_SHAPE },
    { "[]", VSA_SIGNALING_ERROR_SHAPE },
    { "<html><body>Bad Gateway</body></html>", VSA_SIGNALING_ERROR_PARSE },
    { "{\"success\":true,\"candidates\":[", VSA_SIGNALING_ERROR_PARSE },
    { "", VSA_SIGNALING_ERROR_PARSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) candidates = NULL;

      g_test_message ("%s", cases[i].body);
      candidates = vsa_candidates_parse (cases[i].body, strlen (cases[i].body), &error);
      g_assert_null (candidates);
      g_assert_error (error, VSA_SIGNALING_ERROR, cases[i].code);
    }
}

static void
test_ice_servers_parse (void)
{
  const char *body = "{\"success\":true,\"iceServers\":["
                     "{\"urls\":\"stun:h:3478\"},"
                     "{\"urls\":[\"turn:h:3478?transport=udp\",\"turns:h:5349\"],"
                     "\"username\":\"u\",\"credential\":\"p\"}"
                     "]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) servers = vsa_ice_servers_parse (body, strlen (body), &error);
  VsaIceServer *s;

  g_assert_no_error (error);
  g_assert_nonnull (servers);
  g_assert_cmpuint (servers->len, ==, 2);

  s = g_ptr_array_index (servers, 0);
  g_assert_nonnull (s->urls);
  g_assert_cmpuint (g_strv_length (s->urls), ==, 1);
  g_assert_cmpstr (s->urls[0], ==, "stun:h:3478");
  g_assert_null (s->username);
  g_assert_null (s->credential);

  s = g_ptr_array_index (servers, 1);
  g_assert_nonnull (s->urls);
  g_assert_cmpuint (g_strv_length (s->urls), ==, 2);
  g_assert_cmpstr (s->urls[0], ==, "turn:h:3478?transport=udp");
  g_assert_cmpstr (s->urls[1], ==, "turns:h:5349");
  g_assert_cmpstr (s->username, ==, "u");
  g_assert_cmpstr (s->credential, ==, "p");
}

static void
test_ice_servers_skip_unusable (void)
{
  const char *body = "{\"success\":true,\"iceServers\":["
                     "{},"
                     "42,"
                     "{\"urls\":42},"
                     "{\"urls\":[]},"
                     "{\"urls\":null},"
                     "{\"username\":\"u\",\"credential\":\"p\"},"
                     "{\"urls\":\"stun:good:3478\"}"
                     "]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) servers = vsa_ice_servers_parse (body, strlen (body), &error);
  VsaIceServer *s;

  g_assert_no_error (error);
  g_assert_nonnull (servers);
  g_assert_cmpuint (servers->len, ==, 1);
  s = g_ptr_array_index (servers, 0);
  g_assert_cmpuint (g_strv_length (s->urls), ==, 1);
  g_assert_cmpstr (s->urls[0], ==, "stun:good:3478");
}

static void
test_ice_servers_errors (void)
{
  const struct
  {
    const char *body;
    int code;
  } cases[] = {
    { "{\"success\":true}", VSA_SIGNALING_ERROR_SHAPE },
    { "{\"success\":false,\"error\":\"boom\"}", VSA_SIGNALING_ERROR_SHAPE },
    { "[]", VSA_SIGNALING_ERROR_SHAPE },
    { "<html>502</html>", VSA_SIGNALING_ERROR_PARSE },
    { "", VSA_SIGNALING_ERROR_PARSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) servers = NULL;

      g_test_message ("%s", cases[i].body);
      servers = vsa_ice_servers_parse (cases[i].body, strlen (cases[i].body), &error);
      g_assert_null (servers);
      g_assert_error (error, VSA_SIGNALING_ERROR, cases[i].code);
    }
}

static JsonObject *
parse_object (JsonParser *parser, const char *json)
{
  g_autoptr (GError) error = NULL;
  JsonNode *root;

  g_assert_nonnull (json);
  g_test_message ("json: %s", json);
  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_node_get_object (root);
}

static gint64
int_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpuint (json_node_get_value_type (node), ==, G_TYPE_INT64);
  return json_node_get_int (node);
}

static const char *
string_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpuint (json_node_get_value_type (node), ==, G_TYPE_STRING);
  return json_node_get_string (node);
}

static void
test_answer_to_json (void)
{
  const char *sdp = MINIMAL_SDP "a=msid-semantic: WMS \"quoted\\back\"\r\n"
                                "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
  g_autoptr (GPtrArray) candidates
      = g_ptr_array_new_with_free_func ((GDestroyNotify) vsa_candidate_free);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;
  JsonObject *root, *answer, *c;
  JsonArray *array;

  g_ptr_array_add (
      candidates,
      vsa_candidate_new ("candidate:1 1 udp 2122260223 10.0.2.15 40000 typ host", 0, "video0"));
  g_ptr_array_add (candidates,
                   vsa_candidate_new ("candidate:2 1 udp 1686052607 203.0.113.5 40001 typ srflx "
                                      "raddr 10.0.2.15 rport 40000",
                                      0, NULL));
  json = vsa_answer_to_json (sdp, candidates);
  root = parse_object (parser, json);

  g_assert_true (json_object_has_member (root, "answer"));
  answer = json_object_get_object_member (root, "answer");
  g_assert_nonnull (answer);
  g_assert_cmpstr (string_member (answer, "type"), ==, "answer");
  g_assert_cmpstr (string_member (answer, "sdp"), ==, sdp);

  g_assert_true (json_object_has_member (root, "candidates"));
  array = json_object_get_array_member (root, "candidates");
  g_assert_nonnull (array);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);

  c = json_array_get_object_element (array, 0);
  g_assert_nonnull (c);
  g_assert_cmpstr (string_member (c, "candidate"), ==,
                   "candidate:1 1 udp 2122260223 10.0.2.15 40000 typ host");
  g_assert_cmpint (int_member (c, "sdpMLineIndex"), ==, 0);
  g_assert_cmpstr (string_member (c, "sdpMid"), ==, "video0");

  c = json_array_get_object_element (array, 1);
  g_assert_nonnull (c);
  g_assert_cmpstr (string_member (c, "candidate"), ==,
                   "candidate:2 1 udp 1686052607 203.0.113.5 40001 typ srflx raddr 10.0.2.15 "
                   "rport 40000");
  g_assert_cmpint (int_member (c, "sdpMLineIndex"), ==, 0);
  g_assert_false (json_object_has_member (c, "sdpMid"));
}

static void
test_answer_to_json_no_candidates (void)
{
  g_autoptr (GPtrArray) candidates
      = g_ptr_array_new_with_free_func ((GDestroyNotify) vsa_candidate_free);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *json = vsa_answer_to_json (MINIMAL_SDP, candidates);
  JsonObject *root = parse_object (parser, json);
  JsonArray *array;

  g_assert_cmpstr (string_member (json_object_get_object_member (root, "answer"), "sdp"), ==,
                   MINIMAL_SDP);
  array = json_object_get_array_member (root, "candidates");
  g_assert_nonnull (array);
  g_assert_cmpuint (json_array_get_length (array), ==, 0);
}

/* -1 (only a mid known) is written as 0: the controller wants a number. */
static void
test_candidate_to_json (void)
{
  const struct
  {
    const char *candidate;
    int mline_index;
    const char *mid;
    gint64 expected_index;
  } cases[] = {
    { "candidate:1 1 udp 2122260223 10.0.2.15 40000 typ host", 0, "0", 0 },
    { "candidate:1 1 udp 2122260223 10.0.2.15 40000 typ host", 1, NULL, 1 },
    { "candidate:1 1 udp 2122260223 10.0.2.15 40000 typ host", -1, "0", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (VsaCandidate) candidate
          = vsa_candidate_new (cases[i].candidate, cases[i].mline_index, cases[i].mid);
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autofree char *json = vsa_candidate_to_json (candidate);
      JsonObject *root = parse_object (parser, json);

      g_assert_cmpstr (string_member (root, "candidate"), ==, cases[i].candidate);
      g_assert_cmpint (int_member (root, "sdpMLineIndex"), ==, cases[i].expected_index);
      g_assert_cmpstr (string_member (root, "from"), ==, "vm");
      if (cases[i].mid != NULL)
        g_assert_cmpstr (string_member (root, "sdpMid"), ==, cases[i].mid);
      else
        g_assert_false (json_object_has_member (root, "sdpMid"));
    }
}

static void
test_candidate_is_mdns (void)
{
  const struct
  {
    const char *candidate;
    gboolean mdns;
  } cases[] = {
    { "candidate:1 1 udp 2113937151 3f1b6c1e-8d2e-4a6b-9d0c-1a2b3c4d5e6f.local 54321 typ host",
      TRUE },
    { "candidate:699238449 1 udp 2113937151 192.0.2.2 60209 typ host generation 0 ufrag RL1u "
      "network-cost 999",
      FALSE },
    { "candidate:786424961 1 udp 2113942271 fd00::2 41596 typ host generation 0", FALSE },
    { "candidate:2 1 TCP 2105458943 192.0.2.2 9 typ host tcptype active", FALSE },
    { "candidate:3 1 TCP 2105524479 fd00::2 9 typ host tcptype active", FALSE },
    { "candidate:842163049 1 udp 1677729535 203.0.113.5 50000 typ srflx raddr 0.0.0.0 rport 0",
      FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (VsaCandidate) candidate = vsa_candidate_new (cases[i].candidate, 0, "0");

      g_test_message ("%s", cases[i].candidate);
      g_assert_cmpint (vsa_candidate_is_mdns (candidate), ==, cases[i].mdns);
    }
}

/* The offer's log name: from its o= line only, 12 hex digits, the whole SDP without one. */
static void
test_offer_id (void)
{
  const char *sdp = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
  const char *same_origin = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=x\r\n";
  const char *other = "v=0\r\no=- 4611731400430051337 2 IN IP4 127.0.0.1\r\ns=-\r\n";
  g_autofree char *id = vsa_offer_dup_id (sdp);
  g_autofree char *id_same = vsa_offer_dup_id (same_origin);
  g_autofree char *id_other = vsa_offer_dup_id (other);
  g_autofree char *id_first = vsa_offer_dup_id ("o=- 1 2 IN IP4 0.0.0.0\n");
  g_autofree char *id_none = vsa_offer_dup_id ("not an sdp");
  g_autofree char *id_empty = vsa_offer_dup_id ("");

  g_assert_cmpuint (strlen (id), ==, 12);
  g_assert_true (strspn (id, "0123456789abcdef") == 12);
  g_assert_cmpstr (id, ==, id_same);
  g_assert_cmpstr (id, !=, id_other);
  g_assert_cmpuint (strlen (id_first), ==, 12);
  g_assert_cmpuint (strlen (id_none), ==, 12);
  g_assert_cmpuint (strlen (id_empty), ==, 12);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vsa/signaling/offer/fixtures", test_offer_fixtures);
  g_test_add_func ("/vsa/signaling/offer/id", test_offer_id);
  g_test_add_func ("/vsa/signaling/offer/sdp-exact", test_offer_sdp_exact);
  g_test_add_func ("/vsa/signaling/offer/chromium-candidates", test_offer_chromium_candidates);
  g_test_add_func ("/vsa/signaling/offer/firefox-candidates", test_offer_firefox_candidates);
  g_test_add_func ("/vsa/signaling/offer/candidate-prefix", test_offer_candidate_prefix);
  g_test_add_func ("/vsa/signaling/offer/mline-mid", test_offer_mline_mid);
  g_test_add_func ("/vsa/signaling/offer/no-candidates-key", test_offer_no_candidates_key);
  g_test_add_func ("/vsa/signaling/offer/length-honoured", test_offer_length_honoured);
  g_test_add_func ("/vsa/signaling/offer/not-json", test_offer_not_json);
  g_test_add_func ("/vsa/signaling/offer/wrong-shape", test_offer_wrong_shape);
  g_test_add_func ("/vsa/signaling/offer/bad-candidates-skipped",
                   test_offer_bad_candidates_skipped);
  g_test_add_func ("/vsa/signaling/candidates/parse", test_candidates_parse);
  g_test_add_func ("/vsa/signaling/candidates/empty", test_candidates_parse_empty);
  g_test_add_func ("/vsa/signaling/offer/hostile", test_offer_hostile);
  g_test_add_func ("/vsa/signaling/candidates/skip-malformed",
                   test_candidates_parse_skip_malformed);
  g_test_add_func ("/vsa/signaling/candidates/errors", test_candidates_parse_errors);
  g_test_add_func ("/vsa/signaling/ice-servers/parse", test_ice_servers_parse);
  g_test_add_func ("/vsa/signaling/ice-servers/skip-unusable", test_ice_servers_skip_unusable);
  g_test_add_func ("/vsa/signaling/ice-servers/errors", test_ice_servers_errors);
  g_test_add_func ("/vsa/signaling/answer/to-json", test_answer_to_json);
  g_test_add_func ("/vsa/signaling/answer/to-json-no-candidates",
                   test_answer_to_json_no_candidates);
  g_test_add_func ("/vsa/signaling/candidate/to-json", test_candidate_to_json);
  g_test_add_func ("/vsa/signaling/candidate/is-mdns", test_candidate_is_mdns);

  return g_test_run ();
}
