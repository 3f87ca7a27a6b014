/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-signaling.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "vsa-json.h"

G_DEFINE_QUARK (vsa - signaling - error - quark, vsa_signaling_error)

VsaCandidate *
vsa_candidate_new (const char *candidate, int mline_index, const char *mid)
{
  VsaCandidate *self = g_new0 (VsaCandidate, 1);
  const char *text = candidate;

  /* Browsers and proxies send "candidate:…", "a=candidate:…" or the bare attribute. */
  if (g_str_has_prefix (text, "a="))
    text += 2;
  if (g_str_has_prefix (text, "candidate:"))
    self->candidate = g_strdup (text);
  else
    self->candidate = g_strconcat ("candidate:", text, NULL);
  g_strstrip (self->candidate);
  self->mline_index = mline_index;
  self->mid = g_strdup (mid);
  return self;
}

void
vsa_candidate_free (VsaCandidate *self)
{
  if (self == NULL)
    return;
  g_free (self->candidate);
  g_free (self->mid);
  g_free (self);
}

gboolean
vsa_candidate_is_mdns (const VsaCandidate *self)
{
  /* candidate:<foundation> <component> <transport> <priority> <address> <port> typ … */
  g_auto (GStrv) fields = g_strsplit (self->candidate, " ", 6);

  return g_strv_length (fields) >= 5 && g_str_has_suffix (fields[4], ".local");
}

void
vsa_offer_free (VsaOffer *self)
{
  if (self == NULL)
    return;
  g_free (self->sdp);
  g_clear_pointer (&self->candidates, g_ptr_array_unref);
  g_free (self);
}

char *
vsa_offer_dup_id (const char *sdp)
{
  const char *line = g_str_has_prefix (sdp, "o=") ? sdp : strstr (sdp, "\no=");
  g_autofree char *origin = NULL;
  g_autofree char *hash = NULL;

  if (line != NULL)
    {
      line += *line == '\n' ? 1 : 0;
      origin = g_strndup (line, strcspn (line, "\r\n"));
    }
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, origin != NULL ? origin : sdp, -1);
  return g_strndup (hash, 12);
}

void
vsa_ice_server_free (VsaIceServer *self)
{
  if (self == NULL)
    return;
  g_strfreev (self->urls);
  g_free (self->username);
  g_free (self->credential);
  g_free (self);
}

/* Ours nest 4 deep; the controller may add a few levels of its own. */
#define MAX_JSON_DEPTH 32

/* The UTF-16 unit of the \uXXXX escape at @text, or -1. */
static int
vsa_signaling_json_utf16_escape (const char *text, gsize length)
{
  int unit = 0;

  if (length < 6 || text[0] != '\\' || text[1] != 'u')
    return -1;
  for (guint i = 2; i < 6; i++)
    {
      if (!g_ascii_isxdigit (text[i]))
        return -1;
      unit = unit * 16 + g_ascii_xdigit_value (text[i]);
    }
  return unit;
}

/* The length of the string at @text (from its opening quote to its closing one, or to the
 * end when it is not closed: json-glib says so), or 0 when it has an escape JSON has not. */
static gsize
vsa_signaling_json_string_length (const char *text, gsize length)
{
  for (gsize i = 1; i < length; i++)
    {
      int unit;

      if (text[i] == '"')
        return i + 1;
      if (text[i] != '\\')
        continue;
      if (i + 1 < length && text[i + 1] != '\0' && strchr ("\"\\/bfnrt", text[i + 1]) != NULL)
        {
          i++;
          continue;
        }
      /* \uXXXX, a surrogate only as the first half of a pair */
      unit = vsa_signaling_json_utf16_escape (text + i, length - i);
      if (unit >= 0xd800 && unit <= 0xdbff)
        {
          int low = vsa_signaling_json_utf16_escape (text + i + 6, length - i - 6);

          if (low < 0xdc00 || low > 0xdfff)
            return 0;
          i += 6;
        }
      else if (unit < 0 || (unit >= 0xdc00 && unit <= 0xdfff))
        return 0;
      i += 5;
    }
  return length;
}

/* json-glib 1.6 takes more than JSON, and mishandles some of it, so a body is checked first:
 * - one object or array, nothing after it: json-glib leaks all top-level values but one;
 * - nested at most MAX_JSON_DEPTH deep: json-glib parses and frees nesting recursively, and
 *   some 75000 levels (a 75 kB body) overflow the stack;
 * - no comments or single-quoted strings, which json-glib takes: brackets would hide in them;
 * - only JSON's escapes: json-glib decodes octal ones and lone surrogates into invalid
 *   UTF-8, and leaks its string on a broken surrogate pair. */
static gboolean
vsa_signaling_json_is_plain_and_shallow (const char *body, gsize length)
{
  guint depth = 0;
  gsize i = 0;

  while (i < length && g_ascii_isspace (body[i]))
    i++;
  if (i == length || (body[i] != '{' && body[i] != '['))
    return FALSE;
  for (; i < length; i++)
    {
      if (body[i] == '"')
        {
          gsize string_length = vsa_signaling_json_string_length (body + i, length - i);

          if (string_length == 0)
            return FALSE;
          i += string_length - 1;
        }
      else if (body[i] == '/' || body[i] == '\'')
        return FALSE;
      else if (body[i] == '[' || body[i] == '{')
        {
          if (++depth > MAX_JSON_DEPTH)
            return FALSE;
        }
      else if ((body[i] == ']' || body[i] == '}') && --depth == 0)
        break;
    }
  for (i++; i < length; i++)
    if (!g_ascii_isspace (body[i]))
      return FALSE;
  return TRUE;
}

static JsonNode *
vsa_signaling_parse_json (const char *body, gsize length, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local_error = NULL;

  if (length == 0 || !g_utf8_validate_len (body, length, NULL))
    {
      g_set_error_literal (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_PARSE,
                           "body is empty or not UTF-8 text");
      return NULL;
    }
  if (!vsa_signaling_json_is_plain_and_shallow (body, length))
    {
      g_set_error (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_PARSE,
                   "body is not one plain JSON object nested at most %u deep", MAX_JSON_DEPTH);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, body, (gssize) length, &local_error))
    {
      g_set_error (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_PARSE, "body is not JSON: %s",
                   local_error->message);
      return NULL;
    }
  /* json-glib reads white space alone as no document, and sets no error */
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_PARSE,
                           "body holds no JSON value");
      return NULL;
    }
  return json_parser_steal_root (parser);
}

static JsonObject *
vsa_signaling_root_object (JsonNode *root, GError **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_SHAPE,
                           "body is not a JSON object");
      return NULL;
    }
  return json_node_get_object (root);
}

static gboolean
vsa_signaling_is_number_in (const char *text, guint64 min, guint64 max)
{
  return g_ascii_string_to_unsigned (text, 10, min, max, NULL, NULL);
}

/* "candidate:<foundation> <component> <udp|tcp> <priority> <address> <port> typ <type> …"
 * (RFC 8839): anything else would only reach libnice to be refused, or worse misread. */
static gboolean
vsa_signaling_candidate_is_well_formed (const char *candidate)
{
  static const char *const types[] = { "host", "srflx", "prflx", "relay", NULL };
  g_auto (GStrv) fields = g_strsplit (candidate + strlen ("candidate:"), " ", 9);

  return g_strv_length (fields) >= 8 && *fields[0] != '\0'
         && vsa_signaling_is_number_in (fields[1], 1, 256)
         && (g_ascii_strcasecmp (fields[2], "udp") == 0
             || g_ascii_strcasecmp (fields[2], "tcp") == 0)
         && vsa_signaling_is_number_in (fields[3], 0, G_MAXUINT32) && *fields[4] != '\0'
         && vsa_signaling_is_number_in (fields[5], 0, 65535) && g_str_equal (fields[6], "typ")
         && g_strv_contains (types, fields[7]);
}

/* Malformed entries are skipped: one bad candidate must not cost the good ones. */
static GPtrArray *
vsa_signaling_candidates_from_array (JsonArray *array)
{
  GPtrArray *candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) vsa_candidate_free);
  guint n = array != NULL ? json_array_get_length (array) : 0;

  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *object;
      JsonNode *index_node;
      const char *text;
      gint64 index = -1;
      g_autoptr (VsaCandidate) candidate = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      object = json_node_get_object (element);
      text = vsa_json_get_string (object, "candidate");
      if (text == NULL || *text == '\0' || strlen (text) > 1024)
        continue;

      index_node = json_object_get_member (object, "sdpMLineIndex");
      if (index_node != NULL && !JSON_NODE_HOLDS_NULL (index_node))
        {
          if (!JSON_NODE_HOLDS_VALUE (index_node)
              || json_node_get_value_type (index_node) != G_TYPE_INT64)
            continue;
          index = json_node_get_int (index_node);
          if (index < 0 || index > 255)
            continue;
        }

      candidate = vsa_candidate_new (text, (int) index, vsa_json_get_string (object, "sdpMid"));
      if (vsa_signaling_candidate_is_well_formed (candidate->candidate))
        g_ptr_array_add (candidates, g_steal_pointer (&candidate));
    }
  return candidates;
}

VsaOffer *
vsa_offer_parse (const char *body, gsize length, GError **error)
{
  g_autoptr (JsonNode) root = vsa_signaling_parse_json (body, length, error);
  g_autoptr (VsaOffer) offer = NULL;
  JsonObject *object;
  JsonNode *offer_node;
  JsonObject *offer_object;
  const char *sdp;

  if (root == NULL || (object = vsa_signaling_root_object (root, error)) == NULL)
    return NULL;

  offer_node = json_object_get_member (object, "offer");
  if (offer_node == NULL || !JSON_NODE_HOLDS_OBJECT (offer_node))
    {
      g_set_error_literal (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_SHAPE,
                           "\"offer\" is missing or not an object");
      return NULL;
    }
  offer_object = json_node_get_object (offer_node);
  if (g_strcmp0 (vsa_json_get_string (offer_object, "type"), "offer") != 0)
    {
      g_set_error_literal (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_SHAPE,
                           "\"offer.type\" is not \"offer\"");
      return NULL;
    }
  sdp = vsa_json_get_string (offer_object, "sdp");
  if (sdp == NULL || *sdp == '\0')
    {
      g_set_error_literal (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_SHAPE,
                           "\"offer.sdp\" is missing, empty or not a string");
      return NULL;
    }
  /* GStreamer's SDP parser takes any text; SDP starts with its version line. */
  if (!g_str_has_prefix (sdp, "v=0\r\n") && !g_str_has_prefix (sdp, "v=0\n"))
    {
      g_set_error_literal (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_SHAPE,
                           "\"offer.sdp\" is not SDP (no v=0 line first)");
      return NULL;
    }

  offer = g_new0 (VsaOffer, 1);
  offer->sdp = g_strdup (sdp);
  offer->candidates
      = vsa_signaling_candidates_from_array (vsa_json_get_array (object, "candidates"));
  return g_steal_pointer (&offer);
}

GPtrArray *
vsa_candidates_parse (const char *body, gsize length, GError **error)
{
  g_autoptr (JsonNode) root = vsa_signaling_parse_json (body, length, error);
  JsonObject *object;
  JsonArray *array;

  if (root == NULL || (object = vsa_signaling_root_object (root, error)) == NULL)
    return NULL;
  array = vsa_json_get_array (object, "candidates");
  if (array == NULL)
    {
      g_set_error_literal (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_SHAPE,
                           "\"candidates\" is missing or not an array");
      return NULL;
    }
  return vsa_signaling_candidates_from_array (array);
}

static gboolean
vsa_signaling_is_ice_url (const char *url)
{
  return g_str_has_prefix (url, "stun:") || g_str_has_prefix (url, "stuns:")
         || g_str_has_prefix (url, "turn:") || g_str_has_prefix (url, "turns:");
}

GPtrArray *
vsa_ice_servers_parse (const char *body, gsize length, GError **error)
{
  g_autoptr (JsonNode) root = vsa_signaling_parse_json (body, length, error);
  g_autoptr (GPtrArray) servers = NULL;
  JsonObject *object;
  JsonArray *array;

  if (root == NULL || (object = vsa_signaling_root_object (root, error)) == NULL)
    return NULL;
  array = vsa_json_get_array (object, "iceServers");
  if (array == NULL)
    {
      g_set_error_literal (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_SHAPE,
                           "\"iceServers\" is missing or not an array");
      return NULL;
    }

  servers = g_ptr_array_new_with_free_func ((GDestroyNotify) vsa_ice_server_free);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autoptr (GStrvBuilder) urls = g_strv_builder_new ();
      g_autoptr (VsaIceServer) server = NULL;
      JsonObject *entry;
      JsonArray *url_array;
      const char *url;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      entry = json_node_get_object (element);

      /* "urls" is a string in the real controller; WebRTC allows an array. */
      if ((url = vsa_json_get_string (entry, "urls")) != NULL && vsa_signaling_is_ice_url (url))
        g_strv_builder_add (urls, url);
      if ((url_array = vsa_json_get_array (entry, "urls")) != NULL)
        for (guint j = 0; j < json_array_get_length (url_array); j++)
          {
            JsonNode *node = json_array_get_element (url_array, j);

            if ((url = vsa_json_node_get_string (node)) != NULL && vsa_signaling_is_ice_url (url))
              g_strv_builder_add (urls, url);
          }

      server = g_new0 (VsaIceServer, 1);
      server->urls = g_strv_builder_end (urls);
      if (server->urls[0] == NULL)
        continue;
      server->username = g_strdup (vsa_json_get_string (entry, "username"));
      server->credential = g_strdup (vsa_json_get_string (entry, "credential"));
      g_ptr_array_add (servers, g_steal_pointer (&server));
    }
  return g_steal_pointer (&servers);
}

static void
vsa_signaling_add_candidate_members (JsonBuilder *builder, const VsaCandidate *candidate)
{
  json_builder_set_member_name (builder, "candidate");
  json_builder_add_string_value (builder, candidate->candidate);
  json_builder_set_member_name (builder, "sdpMLineIndex");
  json_builder_add_int_value (builder, MAX (candidate->mline_index, 0));
  if (candidate->mid != NULL)
    {
      json_builder_set_member_name (builder, "sdpMid");
      json_builder_add_string_value (builder, candidate->mid);
    }
}

static char *
vsa_signaling_builder_to_string (JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);

  return json_to_string (root, FALSE);
}

char *
vsa_answer_to_json (const char *sdp, GPtrArray *candidates)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "answer");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "answer");
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, sdp);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "candidates");
  json_builder_begin_array (builder);
  for (guint i = 0; candidates != NULL && i < candidates->len; i++)
    {
      json_builder_begin_object (builder);
      vsa_signaling_add_candidate_members (builder, g_ptr_array_index (candidates, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return vsa_signaling_builder_to_string (builder);
}

char *
vsa_candidate_to_json (const VsaCandidate *candidate)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  vsa_signaling_add_candidate_members (builder, candidate);
  json_builder_set_member_name (builder, "from");
  json_builder_add_string_value (builder, "vm");
  json_builder_end_object (builder);
  return vsa_signaling_builder_to_string (builder);
}
