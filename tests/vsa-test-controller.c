/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fake controller for tests and the demo: see vsa-test-controller.h. */

#include "vsa-test-controller.h"
#include "vsa-test-util.h"

#include <libsoup/soup.h>
#include <string.h>

#define SESSION_PREFIX "/api/webrtc/session/"
#define REPORT_PREFIX "/report/"

typedef struct
{
  JsonObject *offer; /* {type, sdp}, or NULL until the browser stored one */
  JsonArray *offer_candidates;
  JsonObject *answer; /* {type, sdp}, or NULL */
  JsonArray *vm_candidates;
  JsonArray *browser_candidates;
  guint answer_count; /* accepted answers since the offer was stored */
  VsaTestOfferTimes times;
} Session;

struct _VsaTestController
{
  SoupServer *server;
  char *static_dir;           /* canonical, or NULL */
  GHashTable *sessions;       /* id -> Session */
  GHashTable *reports;        /* id -> JsonNode */
  GHashTable *request_counts; /* "METHOD path" -> count */
  GHashTable *client_ports;   /* "METHOD path" -> the client's port in its latest request */
  char *reset_method;         /* the next such request's connection is closed unanswered */
  char *reset_path_suffix;
  JsonArray *ice_servers;

  char *authorization; /* "Bearer <token>" every /api/ request must carry, or NULL */
  guint unauthorized;  /* requests refused for the want of it */

  /* What GET .../offer answers instead of the stored offer, when set. */
  guint raw_offer_status;
  char *raw_offer_type;
  GBytes *raw_offer; /* NULL: not set */
  gboolean raw_offer_chunked;
  guint raw_offer_retry_after_s;

  guint answer_refusal_status;    /* POST .../answer gets this when not 0 */
  guint candidate_refusal_status; /* POST .../candidate gets this when not 0 */

  /* Faults on /api/ requests: a share of them fail or stall, from a seeded generator. */
  double fault_rate;
  GRand *fault_rand;
  guint faults_injected;
};

static void
session_free (Session *session)
{
  g_clear_pointer (&session->offer, json_object_unref);
  g_clear_pointer (&session->offer_candidates, json_array_unref);
  g_clear_pointer (&session->answer, json_object_unref);
  g_clear_pointer (&session->vm_candidates, json_array_unref);
  g_clear_pointer (&session->browser_candidates, json_array_unref);
  g_free (session);
}

static Session *
lookup_session (VsaTestController *self, const char *id, gboolean create)
{
  Session *session = g_hash_table_lookup (self->sessions, id);

  if (session == NULL && create)
    {
      session = g_new0 (Session, 1);
      session->offer_candidates = json_array_new ();
      session->vm_candidates = json_array_new ();
      session->browser_candidates = json_array_new ();
      g_hash_table_insert (self->sessions, g_strdup (id), session);
    }
  return session;
}

/* JSON helpers that treat a missing member and a member of the wrong type alike. */
static const char *
get_string (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
get_object (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* A copy of the member array, or an empty array. */
static JsonArray *
dup_array (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;
  JsonArray *copy = json_array_new ();

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        json_array_add_element (copy, json_node_copy (json_array_get_element (array, i)));
    }
  return copy;
}

static JsonObject *
sdp_object_new (const char *type, const char *sdp)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "type", type);
  json_object_set_string_member (object, "sdp", sdp);
  return object;
}

static JsonObject *
error_reply (const char *message, gboolean retry)
{
  JsonObject *reply = json_object_new ();

  json_object_set_string_member (reply, "error", message);
  if (retry)
    json_object_set_boolean_member (reply, "retry", TRUE);
  return reply;
}

static JsonObject *
success_reply (void)
{
  JsonObject *reply = json_object_new ();

  json_object_set_boolean_member (reply, "success", TRUE);
  return reply;
}

static JsonObject *
candidates_reply (JsonArray *candidates)
{
  JsonObject *reply = success_reply ();

  json_object_set_array_member (reply, "candidates", json_array_ref (candidates));
  return reply;
}

static JsonObject *
answer_reply (Session *session)
{
  JsonObject *reply = json_object_new ();

  json_object_set_object_member (reply, "answer", json_object_ref (session->answer));
  json_object_set_array_member (reply, "candidates", json_array_ref (session->vm_candidates));
  return reply;
}

static char *
object_to_string (JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return json_to_string (node, FALSE);
}

/* Each handler returns the HTTP status and sets *reply to the JSON body. */

static guint
post_offer (VsaTestController *self, const char *id, JsonObject *body, JsonObject **reply)
{
  JsonObject *offer = get_object (body, "offer");
  const char *sdp = get_string (offer, "sdp");
  Session *session;

  if (sdp == NULL || *sdp == '\0' || g_strcmp0 (get_string (offer, "type"), "offer") != 0)
    {
      *reply = error_reply ("Invalid offer format", FALSE);
      return SOUP_STATUS_BAD_REQUEST;
    }

  /* The real controller replaces the whole session: everything posted before is lost. */
  g_hash_table_remove (self->sessions, id);
  session = lookup_session (self, id, TRUE);
  session->offer = sdp_object_new ("offer", sdp);
  session->times.stored_us = g_get_real_time ();
  g_clear_pointer (&session->offer_candidates, json_array_unref);
  session->offer_candidates = dup_array (body, "candidates");
  *reply = success_reply ();
  return SOUP_STATUS_OK;
}

static guint
get_offer (VsaTestController *self, const char *id, JsonObject **reply)
{
  Session *session = lookup_session (self, id, FALSE);

  if (session == NULL || session->offer == NULL)
    {
      *reply = error_reply ("Offer not found", TRUE);
      return SOUP_STATUS_NOT_FOUND;
    }
  if (session->times.fetched_us == 0)
    session->times.fetched_us = g_get_real_time ();
  *reply = json_object_new ();
  json_object_set_object_member (*reply, "offer", json_object_ref (session->offer));
  json_object_set_array_member (*reply, "candidates", json_array_ref (session->offer_candidates));
  return SOUP_STATUS_OK;
}

static guint
post_answer (VsaTestController *self, const char *id, JsonObject *body, JsonObject **reply)
{
  JsonObject *answer = get_object (body, "answer");
  const char *sdp = get_string (answer, "sdp");
  Session *session;

  if (sdp == NULL || *sdp == '\0' || g_strcmp0 (get_string (answer, "type"), "answer") != 0)
    {
      *reply = error_reply ("Invalid answer format", FALSE);
      return SOUP_STATUS_BAD_REQUEST;
    }

  session = lookup_session (self, id, TRUE);
  g_clear_pointer (&session->answer, json_object_unref);
  session->answer = sdp_object_new ("answer", sdp);
  /* The quirk: the answer's candidates replace any VM candidate posted before. */
  g_clear_pointer (&session->vm_candidates, json_array_unref);
  session->vm_candidates = dup_array (body, "candidates");
  session->answer_count++;
  if (session->times.answered_us == 0)
    session->times.answered_us = g_get_real_time ();
  *reply = success_reply ();
  return SOUP_STATUS_OK;
}

static guint
get_answer (VsaTestController *self, const char *id, JsonObject **reply)
{
  Session *session = lookup_session (self, id, FALSE);

  if (session == NULL || session->answer == NULL)
    {
      /* Not a 404: the real controller answers 200 and the frontend checks `answer`. */
      *reply = error_reply ("Answer not ready yet", TRUE);
      return SOUP_STATUS_OK;
    }
  *reply = answer_reply (session);
  return SOUP_STATUS_OK;
}

static guint
post_candidate (VsaTestController *self, const char *id, JsonObject *body, JsonObject **reply)
{
  const char *candidate = get_string (body, "candidate");
  Session *session;
  JsonObject *stored;

  if (candidate == NULL || *candidate == '\0')
    {
      *reply = error_reply ("Invalid candidate", FALSE);
      return SOUP_STATUS_BAD_REQUEST;
    }

  session = lookup_session (self, id, TRUE);
  stored = json_object_new ();
  json_object_set_string_member (stored, "candidate", candidate);
  if (json_object_has_member (body, "sdpMid"))
    json_object_set_member (stored, "sdpMid",
                            json_node_copy (json_object_get_member (body, "sdpMid")));
  if (json_object_has_member (body, "sdpMLineIndex"))
    json_object_set_member (stored, "sdpMLineIndex",
                            json_node_copy (json_object_get_member (body, "sdpMLineIndex")));
  json_array_add_object_element (g_strcmp0 (get_string (body, "from"), "vm") == 0
                                     ? session->vm_candidates
                                     : session->browser_candidates,
                                 stored);
  *reply = success_reply ();
  return SOUP_STATUS_OK;
}

static guint
get_candidates (VsaTestController *self, const char *id, gboolean vm, JsonObject **reply)
{
  Session *session = lookup_session (self, id, FALSE);
  g_autoptr (JsonArray) empty = json_array_new ();

  if (session == NULL)
    *reply = candidates_reply (empty);
  else
    *reply = candidates_reply (vm ? session->vm_candidates : session->browser_candidates);
  return SOUP_STATUS_OK;
}

static guint
handle_session (VsaTestController *self, const char *method, const char *id, const char *action,
                JsonObject *body, JsonObject **reply)
{
  gboolean is_get = g_str_equal (method, "GET");
  gboolean is_post = g_str_equal (method, "POST");

  if (is_post && body == NULL)
    {
      *reply = error_reply ("Invalid JSON", FALSE);
      return SOUP_STATUS_BAD_REQUEST;
    }
  if (g_str_equal (action, "offer") && is_post)
    return post_offer (self, id, body, reply);
  if (g_str_equal (action, "offer") && is_get)
    return get_offer (self, id, reply);
  if (g_str_equal (action, "answer") && is_post)
    return post_answer (self, id, body, reply);
  if (g_str_equal (action, "answer") && is_get)
    return get_answer (self, id, reply);
  if (g_str_equal (action, "candidate") && is_post)
    return post_candidate (self, id, body, reply);
  if (g_str_equal (action, "candidates/browser") && is_get)
    return get_candidates (self, id, FALSE, reply);
  if (g_str_equal (action, "candidates/vm") && is_get)
    return get_candidates (self, id, TRUE, reply);

  *reply = error_reply ("Not found", FALSE);
  return SOUP_STATUS_NOT_FOUND;
}

static JsonNode *
parse_json (const char *data, gssize length, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, data, length, error))
    return NULL;
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE, "empty document");
      return NULL;
    }
  return json_parser_steal_root (parser);
}

static JsonNode *
parse_request_body (SoupServerMessage *msg)
{
  g_autoptr (GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  return size > 0 ? parse_json (data, size, NULL) : NULL;
}

static const char *
content_type_for (const char *filename)
{
  static const struct
  {
    const char *suffix;
    const char *type;
  } types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".json", "application/json" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".ico", "image/x-icon" },
    { ".txt", "text/plain; charset=utf-8" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (filename, types[i].suffix))
      return types[i].type;
  return "application/octet-stream";
}

static void
reply_text (SoupServerMessage *msg, guint status, const char *content_type, char *text,
            gsize length)
{
  soup_server_message_set_status (msg, status, NULL);
  /* Pages and polls must never see a cached answer. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, text, length);
}

static void
reply_json (SoupServerMessage *msg, guint status, JsonObject *object)
{
  char *text = object_to_string (object);

  reply_text (msg, status, "application/json", text, strlen (text));
}

static void
serve_static (VsaTestController *self, SoupServerMessage *msg, const char *path)
{
  g_autofree char *relative = g_uri_unescape_string (path, NULL);
  g_autofree char *filename = NULL;
  g_autoptr (JsonObject) not_found = error_reply ("Not found", FALSE);
  char *contents = NULL;
  gsize length = 0;

  if (relative == NULL || relative[0] != '/')
    {
      reply_json (msg, SOUP_STATUS_NOT_FOUND, not_found);
      return;
    }
  /* Canonicalising resolves every "..", so a path outside static_dir cannot match. */
  filename = g_canonicalize_filename (g_str_equal (relative, "/") ? "index.html" : relative + 1,
                                      self->static_dir);
  if (!g_str_has_prefix (filename, self->static_dir)
      || filename[strlen (self->static_dir)] != G_DIR_SEPARATOR
      || !g_file_get_contents (filename, &contents, &length, NULL))
    {
      reply_json (msg, SOUP_STATUS_NOT_FOUND, not_found);
      return;
    }
  reply_text (msg, SOUP_STATUS_OK, content_type_for (filename), contents, length);
}

/* The raw offer, sent as it is; chunked (no Content-Length) when asked. */
static void
reply_raw_offer (VsaTestController *self, SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  soup_server_message_set_status (msg, self->raw_offer_status, NULL);
  soup_message_headers_replace (headers, "Content-Type", self->raw_offer_type);
  if (self->raw_offer_chunked)
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  if (self->raw_offer_retry_after_s > 0)
    {
      g_autofree char *seconds = g_strdup_printf ("%u", self->raw_offer_retry_after_s);

      soup_message_headers_replace (headers, "Retry-After", seconds);
    }
  soup_message_body_append_bytes (body, self->raw_offer);
  soup_message_body_complete (body);
}

typedef struct
{
  SoupServerMessage *msg;
  gboolean disconnected;
} Stall;

static void
on_stalled_disconnected (SoupServerMessage *msg, Stall *stall)
{
  stall->disconnected = TRUE;
}

static gboolean
end_stall (gpointer data)
{
  Stall *stall = data;

  if (!stall->disconnected)
    soup_server_message_unpause (stall->msg);
  g_signal_handlers_disconnect_by_func (stall->msg, on_stalled_disconnected, stall);
  g_object_unref (stall->msg);
  g_free (stall);
  return G_SOURCE_REMOVE;
}

/* Closes the request's connection with no reply. */
static void
reset_connection (SoupServerMessage *msg)
{
  GIOStream *stream = soup_server_message_steal_connection (msg);

  g_io_stream_close (stream, NULL, NULL);
  g_object_unref (stream);
}

/* Maybe fails the request as a sick controller or proxy would: 5xx, 429 with
 * Retry-After, a connection reset, or an answer sent only after 1 to 7 s (the agent's
 * timeout is 5 s). TRUE when the request must not be handled. A stalled request is
 * handled now and answered later. */
static gboolean
inject_fault (VsaTestController *self, SoupServerMessage *msg)
{
  static const guint statuses[] = { 500, 502, 503, 504 };
  Stall *stall;

  if (self->fault_rand == NULL || g_rand_double (self->fault_rand) >= self->fault_rate)
    return FALSE;
  self->faults_injected++;
  switch (g_rand_int_range (self->fault_rand, 0, 4))
    {
    case 0:
      reply_text (msg, statuses[g_rand_int_range (self->fault_rand, 0, G_N_ELEMENTS (statuses))],
                  "text/html", g_strdup ("<html><body>Bad gateway</body></html>"), 37);
      return TRUE;
    case 1:
      reply_text (msg, 429 /* Too Many Requests */, "application/json",
                  g_strdup ("{\"error\":\"slow down\"}"), 22);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                    "1");
      return TRUE;
    case 2:
      reset_connection (msg);
      return TRUE;
    default:
      stall = g_new0 (Stall, 1);
      stall->msg = g_object_ref (msg);
      g_signal_connect (msg, "disconnected", G_CALLBACK (on_stalled_disconnected), stall);
      soup_server_message_pause (msg);
      g_timeout_add (g_rand_int_range (self->fault_rand, 1000, 7000), end_stall, stall);
      return FALSE;
    }
}

static void
count_request (VsaTestController *self, SoupServerMessage *msg, const char *method,
               const char *path)
{
  char *key = g_strdup_printf ("%s %s", method, path);
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->request_counts, key));
  GSocketAddress *client = soup_server_message_get_remote_address (msg);
  guint16 port = G_IS_INET_SOCKET_ADDRESS (client)
                     ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (client))
                     : 0;

  g_hash_table_replace (self->client_ports, g_strdup (key), GUINT_TO_POINTER (port));
  g_hash_table_replace (self->request_counts, key, GUINT_TO_POINTER (count + 1));
}

/* Whether a request is one that method (NULL: any) and path_suffix (NULL: any) name. */
static gboolean
request_matches (const char *method, const char *path, const char *want_method,
                 const char *want_path_suffix)
{
  return (want_method == NULL || g_str_equal (method, want_method))
         && (want_path_suffix == NULL || g_str_has_suffix (path, want_path_suffix));
}

/* TRUE (once) for the request vsa_test_controller_reset_next named. */
static gboolean
take_reset (VsaTestController *self, const char *method, const char *path)
{
  if (self->reset_method == NULL
      || !request_matches (method, path, self->reset_method, self->reset_path_suffix))
    return FALSE;
  g_clear_pointer (&self->reset_method, g_free);
  g_clear_pointer (&self->reset_path_suffix, g_free);
  return TRUE;
}

static void
server_callback (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                 gpointer user_data)
{
  VsaTestController *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonObject) reply = NULL;
  guint status;

  count_request (self, msg, method, path);
  if (!g_str_has_prefix (path, REPORT_PREFIX)) /* four a second: too many to log */
    g_debug ("controller: %s %s", method, path);

  if (take_reset (self, method, path))
    {
      reset_connection (msg);
      return;
    }
  if (g_str_has_prefix (path, "/api/") && inject_fault (self, msg))
    return;
  if (g_str_has_prefix (path, "/api/") && self->authorization != NULL
      && g_strcmp0 (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                  "Authorization"),
                    self->authorization)
             != 0)
    {
      g_autoptr (JsonObject) unauthorized = error_reply ("Unauthorized", FALSE);

      self->unauthorized++;
      reply_json (msg, SOUP_STATUS_UNAUTHORIZED, unauthorized);
      return;
    }
  if (self->raw_offer != NULL && g_str_equal (method, "GET")
      && g_str_has_prefix (path, SESSION_PREFIX) && g_str_has_suffix (path, "/offer"))
    {
      reply_raw_offer (self, msg);
      return;
    }
  if (g_str_equal (method, "POST") && g_str_has_prefix (path, SESSION_PREFIX))
    {
      guint refusal = g_str_has_suffix (path, "/answer")      ? self->answer_refusal_status
                      : g_str_has_suffix (path, "/candidate") ? self->candidate_refusal_status
                                                              : 0;
      g_autoptr (JsonObject) refused = refusal != 0 ? error_reply ("Refused", FALSE) : NULL;

      if (refused != NULL)
        {
          reply_json (msg, refusal, refused);
          return;
        }
    }
  if (g_str_equal (method, "POST"))
    body = parse_request_body (msg);

  if (g_str_equal (path, "/api/webrtc/ice-servers") && g_str_equal (method, "GET"))
    {
      reply = success_reply ();
      json_object_set_array_member (reply, "iceServers", json_array_ref (self->ice_servers));
      status = SOUP_STATUS_OK;
    }
  else if (g_str_has_prefix (path, SESSION_PREFIX))
    {
      const char *rest = path + strlen (SESSION_PREFIX);
      const char *slash = strchr (rest, '/');
      g_autofree char *id = slash != NULL ? g_uri_unescape_segment (rest, slash, NULL) : NULL;

      if (id == NULL || *id == '\0')
        {
          reply = error_reply ("Not found", FALSE);
          status = SOUP_STATUS_NOT_FOUND;
        }
      else
        status = handle_session (
            self, method, id, slash + 1,
            body != NULL && JSON_NODE_HOLDS_OBJECT (body) ? json_node_get_object (body) : NULL,
            &reply);
    }
  else if (g_str_has_prefix (path, REPORT_PREFIX) && g_str_equal (method, "GET"))
    {
      /* For people watching a demo or debugging a test with curl. */
      g_autofree char *id = g_uri_unescape_string (path + strlen (REPORT_PREFIX), "/");
      JsonNode *report = id != NULL ? g_hash_table_lookup (self->reports, id) : NULL;

      reply = report != NULL ? json_node_dup_object (report)
                             : error_reply ("Report not found", FALSE);
      status = report != NULL ? SOUP_STATUS_OK : SOUP_STATUS_NOT_FOUND;
    }
  else if (g_str_has_prefix (path, REPORT_PREFIX) && g_str_equal (method, "POST"))
    {
      g_autofree char *id = g_uri_unescape_string (path + strlen (REPORT_PREFIX), "/");

      if (id == NULL || *id == '\0' || body == NULL || !JSON_NODE_HOLDS_OBJECT (body))
        {
          reply = error_reply ("Invalid report", FALSE);
          status = SOUP_STATUS_BAD_REQUEST;
        }
      else
        {
          g_hash_table_replace (self->reports, g_steal_pointer (&id), g_steal_pointer (&body));
          reply = success_reply ();
          status = SOUP_STATUS_OK;
        }
    }
  else if (self->static_dir != NULL
           && (g_str_equal (method, "GET") || g_str_equal (method, "HEAD")))
    {
      serve_static (self, msg, path);
      return;
    }
  else
    {
      reply = error_reply ("Not found", FALSE);
      status = SOUP_STATUS_NOT_FOUND;
    }

  reply_json (msg, status, reply);
}

/* certificate NULL: plain http. */
static VsaTestController *
controller_new (const char *address, guint port, const char *static_dir,
                GTlsCertificate *certificate, GError **error)
{
  g_autoptr (GSocketAddress) socket_address = NULL;
  VsaTestController *self;

  g_return_val_if_fail (address != NULL, NULL);
  g_return_val_if_fail (port <= G_MAXUINT16, NULL);

  socket_address = g_inet_socket_address_new_from_string (address, port);
  if (socket_address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "invalid address %s", address);
      return NULL;
    }

  self = g_new0 (VsaTestController, 1);
  self->server = soup_server_new ("server-header", "vsa-test-controller ", "tls-certificate",
                                  certificate, NULL);
  self->static_dir = static_dir != NULL ? g_canonicalize_filename (static_dir, NULL) : NULL;
  self->sessions
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) session_free);
  self->reports
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_node_unref);
  self->request_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->client_ports = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->ice_servers = json_array_new ();

  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);
  if (!soup_server_listen (self->server, socket_address,
                           certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0, error))
    {
      vsa_test_controller_free (self);
      return NULL;
    }
  return self;
}

VsaTestController *
vsa_test_controller_new (const char *address, guint port, const char *static_dir, GError **error)
{
  return controller_new (address, port, static_dir, NULL, error);
}

VsaTestController *
vsa_test_controller_new_https (const char *address, const char *cert_file, const char *key_file,
                               GError **error)
{
  g_autoptr (GTlsCertificate) certificate
      = g_tls_certificate_new_from_files (cert_file, key_file, error);

  return certificate != NULL ? controller_new (address, 0, NULL, certificate, error) : NULL;
}

void
vsa_test_controller_free (VsaTestController *self)
{
  if (self == NULL)
    return;
  soup_server_disconnect (self->server);
  g_object_unref (self->server);
  g_free (self->static_dir);
  g_hash_table_unref (self->sessions);
  g_hash_table_unref (self->reports);
  g_hash_table_unref (self->request_counts);
  g_hash_table_unref (self->client_ports);
  g_free (self->reset_method);
  g_free (self->reset_path_suffix);
  json_array_unref (self->ice_servers);
  g_free (self->authorization);
  g_free (self->raw_offer_type);
  g_clear_pointer (&self->raw_offer, g_bytes_unref);
  g_clear_pointer (&self->fault_rand, g_rand_free);
  g_free (self);
}

guint
vsa_test_controller_get_port (VsaTestController *self)
{
  GSList *uris = soup_server_get_uris (self->server);
  guint port = uris != NULL ? (guint) g_uri_get_port (uris->data) : 0;

  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return port;
}

char *
vsa_test_controller_get_url (VsaTestController *self)
{
  GSList *uris = soup_server_get_uris (self->server);
  char *url = NULL;

  if (uris != NULL)
    {
      const char *host = g_uri_get_host (uris->data);

      /* An IPv6 literal needs brackets in a URL. */
      url = g_strdup_printf (strchr (host, ':') != NULL ? "%s://[%s]:%d" : "%s://%s:%d",
                             g_uri_get_scheme (uris->data), host, g_uri_get_port (uris->data));
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return url;
}

gboolean
vsa_test_controller_store_offer (VsaTestController *self, const char *session_id,
                                 const char *body_json, GError **error)
{
  g_autoptr (JsonNode) body = parse_json (body_json, -1, error);
  g_autoptr (JsonObject) reply = NULL;

  if (body == NULL)
    return FALSE;
  if (post_offer (self, session_id,
                  JSON_NODE_HOLDS_OBJECT (body) ? json_node_get_object (body) : NULL, &reply)
      != SOUP_STATUS_OK)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, get_string (reply, "error"));
      return FALSE;
    }
  return TRUE;
}

void
vsa_test_controller_add_browser_candidate (VsaTestController *self, const char *session_id,
                                           const char *candidate, int sdp_mline_index,
                                           const char *sdp_mid)
{
  g_autoptr (JsonObject) body = json_object_new ();
  g_autoptr (JsonObject) reply = NULL;

  json_object_set_string_member (body, "candidate", candidate);
  json_object_set_int_member (body, "sdpMLineIndex", sdp_mline_index);
  if (sdp_mid != NULL)
    json_object_set_string_member (body, "sdpMid", sdp_mid);
  json_object_set_string_member (body, "from", "browser");
  post_candidate (self, session_id, body, &reply);
}

char *
vsa_test_controller_dup_answer (VsaTestController *self, const char *session_id)
{
  Session *session = lookup_session (self, session_id, FALSE);
  g_autoptr (JsonObject) reply = NULL;

  if (session == NULL || session->answer == NULL)
    return NULL;
  reply = answer_reply (session);
  return object_to_string (reply);
}

guint
vsa_test_controller_get_answer_count (VsaTestController *self, const char *session_id)
{
  Session *session = lookup_session (self, session_id, FALSE);

  return session != NULL ? session->answer_count : 0;
}

gboolean
vsa_test_controller_get_offer_times (VsaTestController *self, const char *session_id,
                                     VsaTestOfferTimes *times)
{
  Session *session = lookup_session (self, session_id, FALSE);

  if (session == NULL || session->offer == NULL)
    return FALSE;
  *times = session->times;
  return TRUE;
}

char *
vsa_test_controller_dup_vm_candidates (VsaTestController *self, const char *session_id)
{
  Session *session = lookup_session (self, session_id, FALSE);
  g_autoptr (JsonArray) empty = json_array_new ();
  g_autoptr (JsonNode) node
      = json_node_init_array (json_node_alloc (), session != NULL ? session->vm_candidates : empty);

  return json_to_string (node, FALSE);
}

/* Calls func on each "METHOD path" key of table that matches method and path_suffix. */
static void
foreach_request (GHashTable *table, const char *method, const char *path_suffix, GHFunc func,
                 gpointer data)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *space = strchr (key, ' ');
      g_autofree char *key_method = g_strndup (key, space - (const char *) key);

      if (request_matches (key_method, space + 1, method, path_suffix))
        func (key, value, data);
    }
}

static void
add_count (gpointer key, gpointer value, gpointer data)
{
  *(guint *) data += GPOINTER_TO_UINT (value);
}

guint
vsa_test_controller_get_request_count (VsaTestController *self, const char *method,
                                       const char *path_suffix)
{
  guint total = 0;

  foreach_request (self->request_counts, method, path_suffix, add_count, &total);
  return total;
}

static void
take_port (gpointer key, gpointer value, gpointer data)
{
  *(guint *) data = GPOINTER_TO_UINT (value);
}

guint
vsa_test_controller_get_client_port (VsaTestController *self, const char *method,
                                     const char *path_suffix)
{
  guint port = 0;

  foreach_request (self->client_ports, method, path_suffix, take_port, &port);
  return port;
}

void
vsa_test_controller_reset_next (VsaTestController *self, const char *method,
                                const char *path_suffix)
{
  g_free (self->reset_method);
  g_free (self->reset_path_suffix);
  self->reset_method = g_strdup (method);
  self->reset_path_suffix = g_strdup (path_suffix);
}

typedef struct
{
  VsaTestController *self;
  const char *method, *path_suffix;
  guint count;
} RequestWait;

static gboolean
more_requests (gpointer data)
{
  RequestWait *wait = data;

  return vsa_test_controller_get_request_count (wait->self, wait->method, wait->path_suffix)
         > wait->count;
}

gboolean
vsa_test_controller_wait_requests (VsaTestController *self, const char *method,
                                   const char *path_suffix, guint count, guint timeout_ms)
{
  RequestWait wait = { self, method, path_suffix, count };

  return vsa_test_wait_until (more_requests, &wait, timeout_ms);
}

JsonNode *
vsa_test_controller_dup_report (VsaTestController *self, const char *id)
{
  JsonNode *report = g_hash_table_lookup (self->reports, id);

  return report != NULL ? json_node_copy (report) : NULL;
}

gboolean
vsa_test_controller_set_ice_servers (VsaTestController *self, const char *ice_servers_json_array,
                                     GError **error)
{
  g_autoptr (JsonNode) node = parse_json (ice_servers_json_array, -1, error);

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a JSON array");
      return FALSE;
    }
  json_array_unref (self->ice_servers);
  self->ice_servers = json_node_dup_array (node);
  return TRUE;
}

void
vsa_test_controller_set_raw_offer (VsaTestController *self, guint status, const char *content_type,
                                   GBytes *body, gboolean chunked, guint retry_after_s)
{
  g_clear_pointer (&self->raw_offer, g_bytes_unref);
  g_clear_pointer (&self->raw_offer_type, g_free);
  if (body == NULL)
    return;
  self->raw_offer_status = status;
  self->raw_offer_type = g_strdup (content_type);
  self->raw_offer = g_bytes_ref (body);
  self->raw_offer_chunked = chunked;
  self->raw_offer_retry_after_s = retry_after_s;
}

void
vsa_test_controller_set_faults (VsaTestController *self, double rate, guint32 seed)
{
  g_clear_pointer (&self->fault_rand, g_rand_free);
  self->fault_rate = rate;
  if (rate > 0)
    self->fault_rand = g_rand_new_with_seed (seed);
}

guint
vsa_test_controller_get_faults_injected (VsaTestController *self)
{
  return self->faults_injected;
}

void
vsa_test_controller_set_token (VsaTestController *self, const char *token)
{
  g_free (self->authorization);
  self->authorization = token != NULL ? g_strconcat ("Bearer ", token, NULL) : NULL;
}

guint
vsa_test_controller_get_unauthorized_count (VsaTestController *self)
{
  return self->unauthorized;
}

void
vsa_test_controller_set_answer_status (VsaTestController *self, guint status)
{
  self->answer_refusal_status = status;
}

void
vsa_test_controller_set_candidate_status (VsaTestController *self, guint status)
{
  self->candidate_refusal_status = status;
}

void
vsa_test_controller_add_handler (VsaTestController *self, const char *path,
                                 SoupServerCallback callback, gpointer user_data)
{
  soup_server_add_handler (self->server, path, callback, user_data, NULL);
}
