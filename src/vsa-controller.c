#include "vsa-controller.h"

#include <libsoup/soup.h>
#include <string.h>

G_DEFINE_QUARK (vsa - controller - error - quark, vsa_controller_error)

struct _VsaController
{
  GObject parent_instance;

  SoupSession *soup;
  char *session_url; /* <base>/api/webrtc/session/<escaped id> */
  char *ice_servers_url;
};

G_DEFINE_FINAL_TYPE (VsaController, vsa_controller, G_TYPE_OBJECT)

static void
vsa_controller_finalize (GObject *object)
{
  VsaController *self = VSA_CONTROLLER (object);

  g_clear_object (&self->soup);
  g_free (self->session_url);
  g_free (self->ice_servers_url);
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

VsaController *
vsa_controller_new (const char *base_url, const char *session_id, guint timeout_s)
{
  VsaController *self = g_object_new (VSA_TYPE_CONTROLLER, NULL);
  g_autofree char *escaped = g_uri_escape_string (session_id, NULL, FALSE);

  self->soup = soup_session_new_with_options ("timeout", timeout_s, "idle-timeout", 60,
                                              "user-agent", "vm-stream-agent", NULL);
  self->session_url = g_strdup_printf ("%s/api/webrtc/session/%s", base_url, escaped);
  self->ice_servers_url = g_strdup_printf ("%s/api/webrtc/ice-servers", base_url);
  return self;
}

gboolean
vsa_controller_error_is_transient (const GError *error)
{
  if (error->domain == VSA_CONTROLLER_ERROR)
    return error->code >= 500 || error->code == 429 || error->code == 408;
  return error->domain != VSA_SIGNALING_ERROR
         && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* What every request resolves to before its finish function parses it. */
typedef struct
{
  SoupMessage *message;
  GBytes *body;
} Exchange;

static void
exchange_free (Exchange *exchange)
{
  g_clear_object (&exchange->message);
  g_clear_pointer (&exchange->body, g_bytes_unref);
  g_free (exchange);
}

static void
on_send_and_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Exchange *exchange = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  exchange->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (exchange->body == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
send_request (VsaController *self, const char *method, const char *url, const char *json_body,
              gpointer source_tag, GCancellable *cancellable, GAsyncReadyCallback callback,
              gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Exchange *exchange = g_new0 (Exchange, 1);

  g_task_set_source_tag (task, source_tag);
  exchange->message = soup_message_new (method, url);
  g_task_set_task_data (task, exchange, (GDestroyNotify) exchange_free);
  if (json_body != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (exchange->message, "application/json", bytes);
    }
  soup_session_send_and_read_async (self->soup, exchange->message, G_PRIORITY_DEFAULT, cancellable,
                                    on_send_and_read, task);
}

/* The exchange of a finished request; fails unless the status is 200 (or 404 when
 * @allow_not_found). */
static Exchange *
finish_request (GAsyncResult *result, gboolean allow_not_found, GError **error)
{
  GTask *task = G_TASK (result);
  Exchange *exchange = g_task_get_task_data (task);
  guint status;

  if (!g_task_propagate_boolean (task, error))
    return NULL;
  status = soup_message_get_status (exchange->message);
  if (status == SOUP_STATUS_OK || (allow_not_found && status == SOUP_STATUS_NOT_FOUND))
    return exchange;
  g_set_error (error, VSA_CONTROLLER_ERROR, (int) status, "HTTP %u %s from %s %s", status,
               soup_message_get_reason_phrase (exchange->message),
               soup_message_get_method (exchange->message),
               g_uri_get_path (soup_message_get_uri (exchange->message)));
  return NULL;
}

static const char *
body_data (Exchange *exchange, gsize *length)
{
  return g_bytes_get_data (exchange->body, length);
}

void
vsa_controller_get_offer_async (VsaController *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *url = g_strconcat (self->session_url, "/offer", NULL);

  send_request (self, "GET", url, NULL, vsa_controller_get_offer_async, cancellable, callback,
                user_data);
}

VsaOffer *
vsa_controller_get_offer_finish (VsaController *self, GAsyncResult *result, GError **error)
{
  Exchange *exchange = finish_request (result, TRUE, error);
  const char *data;
  gsize length;

  if (exchange == NULL || soup_message_get_status (exchange->message) == SOUP_STATUS_NOT_FOUND)
    return NULL;
  data = body_data (exchange, &length);
  return vsa_offer_parse (data, length, error);
}

void
vsa_controller_get_ice_servers_async (VsaController *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
  send_request (self, "GET", self->ice_servers_url, NULL, vsa_controller_get_ice_servers_async,
                cancellable, callback, user_data);
}

GPtrArray *
vsa_controller_get_ice_servers_finish (VsaController *self, GAsyncResult *result, GError **error)
{
  Exchange *exchange = finish_request (result, FALSE, error);
  const char *data;
  gsize length;

  if (exchange == NULL)
    return NULL;
  data = body_data (exchange, &length);
  return vsa_ice_servers_parse (data, length, error);
}

void
vsa_controller_post_answer_async (VsaController *self, const char *sdp, GPtrArray *candidates,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  g_autofree char *url = g_strconcat (self->session_url, "/answer", NULL);
  g_autofree char *body = vsa_answer_to_json (sdp, candidates);

  send_request (self, "POST", url, body, vsa_controller_post_answer_async, cancellable, callback,
                user_data);
}

gboolean
vsa_controller_post_answer_finish (VsaController *self, GAsyncResult *result, GError **error)
{
  return finish_request (result, FALSE, error) != NULL;
}

void
vsa_controller_post_candidate_async (VsaController *self, const VsaCandidate *candidate,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_autofree char *url = g_strconcat (self->session_url, "/candidate", NULL);
  g_autofree char *body = vsa_candidate_to_json (candidate);

  send_request (self, "POST", url, body, vsa_controller_post_candidate_async, cancellable, callback,
                user_data);
}

gboolean
vsa_controller_post_candidate_finish (VsaController *self, GAsyncResult *result, GError **error)
{
  return finish_request (result, FALSE, error) != NULL;
}

void
vsa_controller_get_browser_candidates_async (VsaController *self, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *url = g_strconcat (self->session_url, "/candidates/browser", NULL);

  send_request (self, "GET", url, NULL, vsa_controller_get_browser_candidates_async, cancellable,
                callback, user_data);
}

GPtrArray *
vsa_controller_get_browser_candidates_finish (VsaController *self, GAsyncResult *result,
                                              GError **error)
{
  Exchange *exchange = finish_request (result, FALSE, error);
  const char *data;
  gsize length;

  if (exchange == NULL)
    return NULL;
  data = body_data (exchange, &length);
  return vsa_candidates_parse (data, length, error);
}
