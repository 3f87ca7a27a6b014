/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-controller.h"

#include "vsa-offer-probe.h"

#include <libsoup/soup.h>
#include <string.h>

/* Bodies the agent reads are small JSON; more than this is a broken or hostile peer. */
#define MAX_BODY_BYTES (1024 * 1024)
/* A read's size when the length is not known (chunked): small enough that a buffer of it
 * is no new heap for malloc to grow and trim again on every poll. */
#define READ_CHUNK_BYTES (16 * 1024)
/* The longest Retry-After honoured: a controller asking for more is still polled. */
#define MAX_RETRY_AFTER_S 60
/* libsoup's default */
#define POST_CONNECTIONS 2

G_DEFINE_QUARK (vsa - controller - error - quark, vsa_controller_error)

struct _VsaController
{
  GObject parent_instance;

  SoupSession *soup;          /* POSTs */
  GHashTable *get_sessions;   /* source tag -> the SoupSession of that GET */
  GProxyResolver *proxy;      /* NULL: none */
  GTlsDatabase *tls_database; /* NULL: the system's */
  char *session_url;          /* <base>/api/webrtc/session/<escaped id> */
  char *offer_url;
  VsaOfferProbe *probe; /* NULL for https or a proxy */
  gboolean probe_armed; /* the last offer poll was a 404: the next ones likely too */
  char *ice_servers_url;
  char *authorization; /* "Bearer <token>" or NULL; a secret, never logged */
  guint timeout_s;
  guint retry_after_s; /* from the last response that carried Retry-After */
  GBytes *bad_offer;   /* the last offer body that did not parse, and why */
  GError *bad_offer_error;
};

G_DEFINE_FINAL_TYPE (VsaController, vsa_controller, G_TYPE_OBJECT)

static void
vsa_controller_finalize (GObject *object)
{
  VsaController *self = VSA_CONTROLLER (object);

  g_clear_object (&self->soup);
  g_clear_pointer (&self->get_sessions, g_hash_table_unref);
  g_clear_object (&self->proxy);
  g_clear_object (&self->tls_database);
  g_free (self->session_url);
  g_free (self->offer_url);
  g_clear_pointer (&self->probe, vsa_offer_probe_free);
  g_free (self->ice_servers_url);
  g_clear_pointer (&self->bad_offer, g_bytes_unref);
  g_clear_error (&self->bad_offer_error);
  vsa_secret_clear (&self->authorization);
  G_OBJECT_CLASS (vsa_controller_parent_class)->finalize (object);
}

static void
vsa_controller_class_init (VsaControllerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vsa_controller_finalize;
}

static void
vsa_controller_init (VsaController *self)
{
}

/* The proxy from the environment only, as curl reads it (https_proxy or http_proxy by the
 * URL's scheme, no_proxy), else none: GIO's default resolver loads libproxy and GNOME's
 * proxy settings (libstdc++ and dconf with them: 2 MB of a waiting agent) for a desktop
 * configuration a VM's daemon does not have. */
static GProxyResolver *
vsa_controller_proxy_from_env (const char *url)
{
  gboolean https = g_str_has_prefix (url, "https:");
  const char *proxy = g_getenv (https ? "https_proxy" : "http_proxy");
  const char *no_proxy = g_getenv ("no_proxy");
  g_auto (GStrv) ignore = NULL;

  if (proxy == NULL && https)
    proxy = g_getenv ("HTTPS_PROXY");
  if (proxy == NULL || *proxy == '\0')
    return NULL;
  if (no_proxy == NULL)
    no_proxy = g_getenv ("NO_PROXY");
  if (no_proxy != NULL)
    {
      ignore = g_strsplit (no_proxy, ",", -1);
      for (guint i = 0; ignore[i] != NULL; i++)
        g_strstrip (ignore[i]);
    }
  return g_simple_proxy_resolver_new (proxy, ignore);
}

static SoupSession *
vsa_controller_new_session (VsaController *self, guint max_connections)
{
  SoupSession *soup = soup_session_new_with_options (
      "timeout", self->timeout_s, "idle-timeout", 60, "user-agent", "vm-stream-agent",
      "proxy-resolver", self->proxy, "max-conns", max_connections, "max-conns-per-host",
      max_connections, NULL);

  if (self->tls_database != NULL)
    soup_session_set_tls_database (soup, self->tls_database);
  return soup;
}

VsaController *
vsa_controller_new (const VsaConfig *config, GError **error)
{
  g_autoptr (VsaController) self = g_object_new (VSA_TYPE_CONTROLLER, NULL);
  g_autofree char *escaped = g_uri_escape_string (config->session_id, NULL, FALSE);

  self->timeout_s = config->request_timeout_s;
  self->proxy = vsa_controller_proxy_from_env (config->controller_url);
  /* https certificates are verified against the system's CAs, or only this file's. */
  if (config->ca_file != NULL)
    {
      self->tls_database = g_tls_file_database_new (config->ca_file, error);
      if (self->tls_database == NULL)
        {
          g_prefix_error (error, "ca-file: %s: ", config->ca_file);
          return NULL;
        }
    }
  self->soup = vsa_controller_new_session (self, POST_CONNECTIONS);
  self->get_sessions = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  if (config->token != NULL)
    self->authorization = g_strconcat ("Bearer ", config->token, NULL);
  self->session_url = g_strdup_printf ("%s/api/webrtc/session/%s", config->controller_url, escaped);
  self->offer_url = g_strconcat (self->session_url, "/offer", NULL);
  /* the probe speaks to the controller itself: not through a proxy */
  if (self->proxy == NULL)
    self->probe
        = vsa_offer_probe_new (self->offer_url, self->authorization, config->request_timeout_s);
  self->ice_servers_url = g_strdup_printf ("%s/api/webrtc/ice-servers", config->controller_url);
  return g_steal_pointer (&self);
}

gboolean
vsa_controller_error_is_transient (const GError *error)
{
  if (error->domain == VSA_CONTROLLER_ERROR)
    return error->code >= 500 || error->code == 429 || error->code == 408;
  return error->domain != VSA_SIGNALING_ERROR
         && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
         && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
}

guint
vsa_controller_get_retry_after_s (VsaController *self)
{
  return self->retry_after_s;
}

/* One request: its message, its body as read so far, and what bounds it. */
typedef struct
{
  VsaController *controller;
  SoupMessage *message;
  GInputStream *stream;
  GByteArray *body;
  gsize reading;             /* bytes of a read in progress, at the end of body */
  goffset length;            /* Content-Length, or -1 */
  GCancellable *cancellable; /* cancelled by the caller's or by the deadline */
  GCancellable *caller_cancellable;
  gulong caller_handler;
  guint deadline_id;
  gboolean timed_out;
} Exchange;

static void
vsa_controller_exchange_free (Exchange *exchange)
{
  g_clear_handle_id (&exchange->deadline_id, g_source_remove);
  if (exchange->caller_cancellable != NULL)
    g_cancellable_disconnect (exchange->caller_cancellable, exchange->caller_handler);
  g_clear_object (&exchange->caller_cancellable);
  /* Closing a body not read to its end drops the connection; the rest is never read. */
  g_clear_object (&exchange->stream);
  g_clear_object (&exchange->cancellable);
  g_clear_object (&exchange->message);
  g_clear_pointer (&exchange->body, g_byte_array_unref);
  g_free (exchange);
}

static void
vsa_controller_cancel_exchange (GCancellable *caller_cancellable, gpointer data)
{
  Exchange *exchange = data;

  g_cancellable_cancel (exchange->cancellable);
}

/* libsoup's timeout bounds each read; this bounds the whole request (a controller that
 * trickles its answer byte by byte). */
static gboolean
vsa_controller_on_deadline (gpointer data)
{
  Exchange *exchange = data;

  exchange->deadline_id = 0;
  exchange->timed_out = TRUE;
  g_cancellable_cancel (exchange->cancellable);
  return G_SOURCE_REMOVE;
}

/* "GET /api/…/offer", for error messages. */
static char *
vsa_controller_exchange_name (Exchange *exchange)
{
  return g_strdup_printf ("%s %s", soup_message_get_method (exchange->message),
                          g_uri_get_path (soup_message_get_uri (exchange->message)));
}

static void
vsa_controller_return_error (GTask *task, GError *error)
{
  Exchange *exchange = g_task_get_task_data (task);

  if (exchange->timed_out && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *name = vsa_controller_exchange_name (exchange);

      g_clear_error (&error);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s: no complete response within %u s",
                           name, exchange->controller->timeout_s);
    }
  else if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
    {
      g_autofree char *name = vsa_controller_exchange_name (exchange);
      GError *untrusted
          = g_error_new (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                         "%s: %s (is the controller's CA in ca-file?)", name, error->message);

      /* The likely fix, for the operator reading the log. */
      g_error_free (error);
      error = untrusted;
    }
  g_task_return_error (task, error);
}

static void vsa_controller_read_next_chunk (GTask *task);

static void
vsa_controller_on_chunk_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Exchange *exchange = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  g_byte_array_set_size (exchange->body, exchange->body->len - exchange->reading + MAX (n, 0));
  exchange->reading = 0;
  if (n < 0)
    {
      vsa_controller_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (n == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (exchange->body->len > MAX_BODY_BYTES)
    {
      g_autofree char *name = vsa_controller_exchange_name (exchange);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                               "%s: response body over %u bytes", name, MAX_BODY_BYTES);
      return;
    }
  vsa_controller_read_next_chunk (g_steal_pointer (&task));
}

/* Reads into the body's own array: the rest of a known length at once (then one read
 * more for the end, which lets libsoup keep the connection), else a chunk. */
static void
vsa_controller_read_next_chunk (GTask *task)
{
  Exchange *exchange = g_task_get_task_data (task);
  guint len = exchange->body->len;

  exchange->reading
      = exchange->length > (goffset) len ? (gsize) (exchange->length - len) : READ_CHUNK_BYTES;
  g_byte_array_set_size (exchange->body, len + exchange->reading);
  g_input_stream_read_async (exchange->stream, exchange->body->data + len, exchange->reading,
                             G_PRIORITY_DEFAULT, exchange->cancellable,
                             vsa_controller_on_chunk_read, task);
}

/* Retry-After in seconds (the HTTP-date form is not used by the controller). */
static void
vsa_controller_note_retry_after (VsaController *self, SoupMessage *message)
{
  const char *value
      = soup_message_headers_get_one (soup_message_get_response_headers (message), "Retry-After");
  guint64 seconds = 0;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT, &seconds, NULL))
    seconds = 0;
  self->retry_after_s = (guint) MIN (seconds, MAX_RETRY_AFTER_S);
}

static void
vsa_controller_on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Exchange *exchange = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  guint status;

  exchange->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (exchange->stream == NULL)
    {
      vsa_controller_return_error (task, g_steal_pointer (&error));
      return;
    }
  status = soup_message_get_status (exchange->message);
  vsa_controller_note_retry_after (exchange->controller, exchange->message);
  exchange->length = soup_message_headers_get_content_length (
      soup_message_get_response_headers (exchange->message));
  /* Only a 200's body is used, but another one of known, bounded length is read too:
   * closing a body unread drops the connection, and a new connection for each poll (404
   * while waiting) cost more CPU than the poll itself. */
  if (status != SOUP_STATUS_OK && (exchange->length < 0 || exchange->length > MAX_BODY_BYTES))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (exchange->length > MAX_BODY_BYTES)
    {
      g_autofree char *name = vsa_controller_exchange_name (exchange);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                               "%s: response body of %" G_GOFFSET_FORMAT " bytes is over %u bytes",
                               name, exchange->length, MAX_BODY_BYTES);
      return;
    }
  vsa_controller_read_next_chunk (g_steal_pointer (&task));
}

/* libsoup 3.2 resends a GET whose kept-alive connection closed before any reply. When
 * the close is seen in the main-loop turn that sent the GET (a controller or proxy on
 * loopback resetting it at once) and the resend goes out at once on another idle
 * connection, the first try's completion, deferred to an idle, ends the message under
 * the resend, and the resend's own completion then reads the freed message: the agent
 * crashed (SIGSEGV in run_until_read_done) in about one soak run in ten. A session of
 * one connection has no other idle connection: the resend waits for a new one, and by
 * then the first try's completion has seen the restart. So each GET, sent one at a time,
 * has a session of its own; POSTs are never resent and share one. */
static SoupSession *
vsa_controller_session_for (VsaController *self, GTask *task, const char *method)
{
  gpointer tag = g_task_get_source_tag (task);
  SoupSession *soup;

  if (!g_str_equal (method, "GET"))
    return self->soup;
  soup = g_hash_table_lookup (self->get_sessions, tag);
  if (soup == NULL)
    {
      soup = vsa_controller_new_session (self, 1);
      g_hash_table_insert (self->get_sessions, tag, soup);
    }
  return soup;
}

/* Sends the request whose result task gives. */
static void
vsa_controller_send (VsaController *self, GTask *task, const char *method, const char *url,
                     const char *json_body)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  Exchange *exchange = g_new0 (Exchange, 1);

  g_task_set_task_data (task, exchange, (GDestroyNotify) vsa_controller_exchange_free);
  exchange->controller = self;
  exchange->message = soup_message_new (method, url);
  exchange->body = g_byte_array_new ();
  exchange->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      exchange->caller_cancellable = g_object_ref (cancellable);
      exchange->caller_handler = g_cancellable_connect (
          cancellable, G_CALLBACK (vsa_controller_cancel_exchange), exchange, NULL);
    }
  exchange->deadline_id
      = g_timeout_add_seconds (self->timeout_s, vsa_controller_on_deadline, exchange);
  if (self->authorization != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (exchange->message),
                                  "Authorization", self->authorization);
  if (json_body != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (exchange->message, "application/json", bytes);
    }
  soup_session_send_async (vsa_controller_session_for (self, task, method), exchange->message,
                           G_PRIORITY_DEFAULT, exchange->cancellable, vsa_controller_on_sent, task);
}

/* With the caller's cancellable, a request it cancelled finishes as cancelled even when
 * its response (or failure) was already on its way: the caller may be gone by then. */
static GTask *
vsa_controller_new_task (VsaController *self, gpointer source_tag, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  return task;
}

static void
vsa_controller_send_request (VsaController *self, const char *method, const char *url,
                             const char *json_body, gpointer source_tag, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  vsa_controller_send (self,
                       vsa_controller_new_task (self, source_tag, cancellable, callback, user_data),
                       method, url, json_body);
}

/* The exchange of a finished request; fails unless the status is 200 (or 404 when
 * @allow_not_found). */
static Exchange *
vsa_controller_finish_request (GAsyncResult *result, gboolean allow_not_found, GError **error)
{
  GTask *task = G_TASK (result);
  Exchange *exchange = g_task_get_task_data (task);
  g_autofree char *name = NULL;
  guint status;

  if (!g_task_propagate_boolean (task, error))
    return NULL;
  status = soup_message_get_status (exchange->message);
  if (status == SOUP_STATUS_OK || (allow_not_found && status == SOUP_STATUS_NOT_FOUND))
    return exchange;
  name = vsa_controller_exchange_name (exchange);
  g_set_error (error, VSA_CONTROLLER_ERROR, (int) status, "HTTP %u %s from %s", status,
               soup_message_get_reason_phrase (exchange->message), name);
  return NULL;
}

static const char *
vsa_controller_body_data (Exchange *exchange, gsize *length)
{
  *length = exchange->body->len;
  return exchange->body->len > 0 ? (const char *) exchange->body->data : "";
}

/* The probe's answer: a 404 is the whole result (no Retry-After on it to keep); anything
 * else is asked again through libsoup, which reads and reports it in full. */
static void
vsa_controller_on_probed (gboolean not_found, gpointer data)
{
  GTask *task = data;
  VsaController *self = g_task_get_source_object (task);

  if (!not_found)
    {
      vsa_controller_send (self, task, "GET", self->offer_url, NULL);
      return;
    }
  self->retry_after_s = 0;
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

void
vsa_controller_get_offer_async (VsaController *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = vsa_controller_new_task (self, vsa_controller_get_offer_async, cancellable,
                                         callback, user_data);

  if (self->probe_armed && vsa_offer_probe_send (self->probe, vsa_controller_on_probed, task))
    return;
  vsa_controller_send (self, task, "GET", self->offer_url, NULL);
}

VsaOffer *
vsa_controller_get_offer_finish (VsaController *self, GAsyncResult *result, GError **error)
{
  Exchange *exchange;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) parse_error = NULL;
  VsaOffer *offer;
  const char *data;
  gsize length;

  /* the probe's 404 (or the caller's cancellation) */
  if (g_task_get_task_data (G_TASK (result)) == NULL)
    {
      g_task_propagate_boolean (G_TASK (result), error);
      return NULL;
    }
  exchange = vsa_controller_finish_request (result, TRUE, error);
  /* Only a 404 through libsoup arms the probe (or starts its connection), so an offer
   * that is stored, a failing controller or https never pay for two requests. */
  self->probe_armed = self->probe != NULL && exchange != NULL
                      && soup_message_get_status (exchange->message) == SOUP_STATUS_NOT_FOUND;
  if (exchange == NULL || soup_message_get_status (exchange->message) == SOUP_STATUS_NOT_FOUND)
    return NULL;
  data = vsa_controller_body_data (exchange, &length);
  body = g_bytes_new_static (data, length);
  /* A bad offer stays until the browser stores another: parse it once, not on every
   * poll. */
  if (self->bad_offer != NULL && g_bytes_equal (body, self->bad_offer))
    {
      g_propagate_error (error, g_error_copy (self->bad_offer_error));
      return NULL;
    }
  offer = vsa_offer_parse (data, length, &parse_error);
  if (offer != NULL)
    return offer;
  /* The size tells one unusable offer from the next in the log. */
  g_prefix_error (&parse_error, "%" G_GSIZE_FORMAT " bytes: ", length);
  g_clear_pointer (&self->bad_offer, g_bytes_unref);
  g_clear_error (&self->bad_offer_error);
  self->bad_offer = g_bytes_new (data, length);
  self->bad_offer_error = g_error_copy (parse_error);
  g_propagate_error (error, g_steal_pointer (&parse_error));
  return NULL;
}

void
vsa_controller_get_ice_servers_async (VsaController *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
  vsa_controller_send_request (self, "GET", self->ice_servers_url, NULL,
                               vsa_controller_get_ice_servers_async, cancellable, callback,
                               user_data);
}

GPtrArray *
vsa_controller_get_ice_servers_finish (VsaController *self, GAsyncResult *result, GError **error)
{
  Exchange *exchange = vsa_controller_finish_request (result, FALSE, error);
  const char *data;
  gsize length;

  if (exchange == NULL)
    return NULL;
  data = vsa_controller_body_data (exchange, &length);
  return vsa_ice_servers_parse (data, length, error);
}

void
vsa_controller_post_answer_async (VsaController *self, const char *sdp, GPtrArray *candidates,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  g_autofree char *url = g_strconcat (self->session_url, "/answer", NULL);
  g_autofree char *body = vsa_answer_to_json (sdp, candidates);

  vsa_controller_send_request (self, "POST", url, body, vsa_controller_post_answer_async,
                               cancellable, callback, user_data);
}

gboolean
vsa_controller_post_answer_finish (VsaController *self, GAsyncResult *result, GError **error)
{
  return vsa_controller_finish_request (result, FALSE, error) != NULL;
}

void
vsa_controller_post_candidate_async (VsaController *self, const VsaCandidate *candidate,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_autofree char *url = g_strconcat (self->session_url, "/candidate", NULL);
  g_autofree char *body = vsa_candidate_to_json (candidate);

  vsa_controller_send_request (self, "POST", url, body, vsa_controller_post_candidate_async,
                               cancellable, callback, user_data);
}

gboolean
vsa_controller_post_candidate_finish (VsaController *self, GAsyncResult *result, GError **error)
{
  return vsa_controller_finish_request (result, FALSE, error) != NULL;
}

void
vsa_controller_get_browser_candidates_async (VsaController *self, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *url = g_strconcat (self->session_url, "/candidates/browser", NULL);

  vsa_controller_send_request (self, "GET", url, NULL, vsa_controller_get_browser_candidates_async,
                               cancellable, callback, user_data);
}

GPtrArray *
vsa_controller_get_browser_candidates_finish (VsaController *self, GAsyncResult *result,
                                              GError **error)
{
  Exchange *exchange = vsa_controller_finish_request (result, FALSE, error);
  const char *data;
  gsize length;

  if (exchange == NULL)
    return NULL;
  data = vsa_controller_body_data (exchange, &length);
  return vsa_candidates_parse (data, length, error);
}
