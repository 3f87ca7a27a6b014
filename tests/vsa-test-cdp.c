/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Chromium's DevTools protocol for the tests: see vsa-test-cdp.h. */

#include "vsa-test-cdp.h"

#include "vsa-test-util.h"

#include <libsoup/soup.h>
#include <string.h>

struct _VsaTestCdp
{
  SoupSession *session;
  SoupWebsocketConnection *socket;
  gint64 next_id;
  GHashTable *replies; /* id → the reply's JsonNode */
};

typedef struct
{
  gpointer result; /* a body's GBytes, a SoupWebsocketConnection */
  GError *error;
  gboolean done;
} Pending;

/* Waits at most timeout_ms for pending; then cancels it and waits for its callback (which
 * holds pending), its error a timeout. */
static void
pending_wait (Pending *pending, GCancellable *cancellable, guint timeout_ms, const char *what)
{
  if (vsa_test_wait_until (vsa_test_flag_is_set, &pending->done, timeout_ms))
    return;
  g_cancellable_cancel (cancellable);
  while (!pending->done)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  if (!g_error_matches (pending->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* it finished meanwhile */
  g_clear_error (&pending->error);
  g_set_error (&pending->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s: no answer in %u ms", what,
               timeout_ms);
}

static void
on_fetched (GObject *source, GAsyncResult *result, gpointer data)
{
  Pending *pending = data;

  pending->result
      = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &pending->error);
  pending->done = TRUE;
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer data)
{
  Pending *pending = data;

  pending->result
      = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &pending->error);
  pending->done = TRUE;
}

/* The page's websocket URL, from GET /json/list on the DevTools port; NULL (no error) if
 * there is no page yet. */
static char *
find_page (SoupSession *session, const char *port, GError **error)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%s/json/list", port);
  g_autoptr (SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GBytes) body = NULL;
  Pending pending = { 0 };
  JsonArray *targets;
  JsonNode *root;

  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, cancellable, on_fetched,
                                    &pending);
  pending_wait (&pending, cancellable, 5000, url);
  body = pending.result;
  if (pending.error != NULL)
    {
      g_propagate_error (error, pending.error);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                   (gssize) g_bytes_get_size (body), error))
    return NULL;
  root = json_parser_get_root (parser);
  targets = JSON_NODE_HOLDS_ARRAY (root) ? json_node_get_array (root) : NULL;
  for (guint i = 0; targets != NULL && i < json_array_get_length (targets); i++)
    {
      JsonNode *node = json_array_get_element (targets, i);
      JsonObject *target = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (target != NULL
          && g_strcmp0 (json_object_get_string_member_with_default (target, "type", ""), "page")
                 == 0
          && json_object_has_member (target, "webSocketDebuggerUrl"))
        return g_strdup (json_object_get_string_member (target, "webSocketDebuggerUrl"));
    }
  return NULL;
}

static void
on_message (SoupWebsocketConnection *socket, gint type, GBytes *message, gpointer data)
{
  VsaTestCdp *self = data;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *object;

  if (type != SOUP_WEBSOCKET_DATA_TEXT
      || !json_parser_load_from_data (parser, g_bytes_get_data (message, NULL),
                                      (gssize) g_bytes_get_size (message), NULL))
    return;
  root = json_parser_get_root (parser);
  object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  /* events (no id) are not asked for, and not wanted */
  if (object != NULL && json_object_has_member (object, "id"))
    g_hash_table_insert (self->replies,
                         GINT_TO_POINTER ((gint) json_object_get_int_member (object, "id")),
                         json_node_copy (root));
}

typedef struct
{
  const char *path;
  char *text;
} FileWait;

static gboolean
file_is_written (gpointer data)
{
  FileWait *wait = data;

  g_clear_pointer (&wait->text, g_free);
  /* "PORT\n/devtools/browser/ID\n", written once the port is open */
  return g_file_get_contents (wait->path, &wait->text, NULL, NULL) && strchr (wait->text, '\n');
}

VsaTestCdp *
vsa_test_cdp_connect (const char *profile_dir, guint timeout_ms, GError **error)
{
  g_autofree char *path = g_build_filename (profile_dir, "DevToolsActivePort", NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (SoupMessage) message = NULL;
  g_autofree char *page = NULL;
  FileWait wait = { path, NULL };
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  g_autoptr (GError) last_error = NULL;
  Pending pending = { 0 };
  VsaTestCdp *self;

  if (!vsa_test_wait_until (file_is_written, &wait, timeout_ms))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no %s", path);
      g_free (wait.text);
      return NULL;
    }
  *strchr (wait.text, '\n') = '\0';

  self = g_new0 (VsaTestCdp, 1);
  self->session = soup_session_new ();
  self->replies = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) json_node_unref);
  /* the page target shows up a moment after the port */
  while ((page = find_page (self->session, wait.text, &last_error)) == NULL
         && g_get_monotonic_time () < deadline)
    {
      g_clear_error (&last_error);
      g_usleep (100000);
    }
  g_free (wait.text);
  if (page == NULL)
    {
      if (last_error != NULL)
        g_propagate_error (error, g_steal_pointer (&last_error));
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "Chromium shows no page");
      vsa_test_cdp_free (self);
      return NULL;
    }

  /* no Origin header: Chromium refuses origins it was not told to allow */
  message = soup_message_new ("GET", page);
  soup_session_websocket_connect_async (self->session, message, NULL, NULL, G_PRIORITY_DEFAULT,
                                        cancellable, on_connected, &pending);
  pending_wait (&pending, cancellable, 5000, page);
  if (pending.error != NULL)
    g_propagate_error (error, pending.error);
  self->socket = pending.result;
  if (self->socket == NULL)
    {
      vsa_test_cdp_free (self);
      return NULL;
    }
  soup_websocket_connection_set_max_incoming_payload_size (self->socket, 0);
  g_signal_connect (self->socket, "message", G_CALLBACK (on_message), self);
  return self;
}

void
vsa_test_cdp_free (VsaTestCdp *self)
{
  if (self == NULL)
    return;
  if (self->socket != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->socket, self);
      if (soup_websocket_connection_get_state (self->socket) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->socket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (self->socket);
    }
  soup_session_abort (self->session);
  g_object_unref (self->session);
  g_hash_table_unref (self->replies);
  g_free (self);
}

typedef struct
{
  VsaTestCdp *self;
  gint64 id;
} ReplyWait;

static gboolean
reply_came (gpointer data)
{
  ReplyWait *wait = data;

  return g_hash_table_contains (wait->self->replies, GINT_TO_POINTER ((gint) wait->id))
         || soup_websocket_connection_get_state (wait->self->socket) != SOUP_WEBSOCKET_STATE_OPEN;
}

JsonNode *
vsa_test_cdp_call (VsaTestCdp *self, const char *method, const char *params, guint timeout_ms,
                   GError **error)
{
  ReplyWait wait = { self, ++self->next_id };
  g_autofree char *text = g_strdup_printf ("{\"id\":%" G_GINT64_FORMAT ",\"method\":\"%s\","
                                           "\"params\":%s}",
                                           wait.id, method, params != NULL ? params : "{}");
  gpointer key = GINT_TO_POINTER ((gint) wait.id);
  g_autoptr (JsonNode) reply = NULL;
  JsonObject *object;

  if (soup_websocket_connection_get_state (self->socket) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (self->socket, text);
  if (!vsa_test_wait_until (reply_came, &wait, timeout_ms)
      || !g_hash_table_steal_extended (self->replies, key, NULL, (gpointer *) &reply))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", method,
                   soup_websocket_connection_get_state (self->socket) == SOUP_WEBSOCKET_STATE_OPEN
                       ? "no reply"
                       : "the DevTools socket closed");
      return NULL;
    }
  object = json_node_get_object (reply);
  if (json_object_has_member (object, "error"))
    {
      g_autofree char *why = json_to_string (json_object_get_member (object, "error"), FALSE);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", method, why);
      return NULL;
    }
  if (!json_object_has_member (object, "result"))
    return json_node_new (JSON_NODE_NULL);
  return json_node_copy (json_object_get_member (object, "result"));
}

JsonNode *
vsa_test_cdp_evaluate (VsaTestCdp *self, const char *expression, guint timeout_ms, GError **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) params = NULL;
  g_autoptr (JsonNode) result = NULL;
  g_autofree char *text = NULL;
  JsonObject *object, *value;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "expression");
  json_builder_add_string_value (builder, expression);
  json_builder_set_member_name (builder, "returnByValue");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "awaitPromise");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);
  text = json_to_string (params, FALSE);
  result = vsa_test_cdp_call (self, "Runtime.evaluate", text, timeout_ms, error);
  if (result == NULL)
    return NULL;
  object = JSON_NODE_HOLDS_OBJECT (result) ? json_node_get_object (result) : NULL;
  if (object == NULL || json_object_has_member (object, "exceptionDetails")
      || !json_object_has_member (object, "result"))
    {
      g_autofree char *why = json_to_string (result, FALSE);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", expression, why);
      return NULL;
    }
  value = json_object_get_object_member (object, "result");
  if (!json_object_has_member (value, "value")) /* undefined */
    return json_node_new (JSON_NODE_NULL);
  return json_node_copy (json_object_get_member (value, "value"));
}
