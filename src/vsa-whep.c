/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vsa-whep.h"

#include "vsa-http.h"

#include <libsoup/soup.h>
#include <string.h>

#include "vsa-codec.h"
#include "vsa-process.h"
#include "vsa-session-host.h"

#define WHEP_PATH "/whep"
#define SDP_TYPE "application/sdp"
#define PAGE_PATH "/org/vm-stream-agent/viewer/index.html"

/* from the compiled resource (src/vsa-viewer.gresource.xml); named here so that the static
 * library's object is linked in */
GResource *vsa_viewer_get_resource (void);

struct _VsaWhep
{
  const VsaConfig *config;
  SoupServer *server;
  guint port;
  VsaSessionHost *host;

  char *location;             /* "/whep/<uuid>" of the host's session */
  SoupServerMessage *pending; /* the POST waiting for the session's answer */
  gulong pending_disconnected_id;
};

static void
vsa_whep_respond_text (SoupServerMessage *message, guint status, const char *text)
{
  g_autofree char *body = g_strdup_printf ("%s\n", text);

  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, body,
                                    strlen (body));
}

/* The waiting POST gets its response, and the connection goes on. */
static void
vsa_whep_finish_pending (VsaWhep *self, guint status, const char *text, const char *sdp)
{
  g_autoptr (SoupServerMessage) message = g_steal_pointer (&self->pending);

  if (message == NULL)
    return;
  g_clear_signal_handler (&self->pending_disconnected_id, message);
  if (sdp != NULL)
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

      soup_message_headers_replace (headers, "Location", self->location);
      soup_server_message_set_status (message, status, NULL);
      soup_server_message_set_response (message, SDP_TYPE, SOUP_MEMORY_COPY, sdp, strlen (sdp));
    }
  else
    vsa_whep_respond_text (message, status, text);
  soup_server_message_unpause (message);
}

/* The POST still waiting hears why: a refused offer is the client's, a replaced or deleted
 * session a conflict, anything else before the answer is ours. */
static void
vsa_whep_on_host_state (VsaSessionHost *host, int state, VsaWhep *self)
{
  VsaEndReason kind;
  const char *reason;
  guint status;

  if (state != VSA_SESSION_HOST_ENDED)
    return;
  reason = vsa_session_host_get_last_end (host, &kind);
  if (kind == VSA_END_REASON_WEBRTC_ERROR)
    status = SOUP_STATUS_BAD_REQUEST;
  else if (kind == VSA_END_REASON_NEWER_OFFER || kind == VSA_END_REASON_CLIENT_LEFT)
    status = SOUP_STATUS_CONFLICT;
  else
    status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
  vsa_whep_finish_pending (self, status, reason, NULL);
  g_clear_pointer (&self->location, g_free);
}

/* WHEP has no way to trickle from the server: the answer carries every candidate gathered
 * within the answer window. */
static void
vsa_whep_on_answer_ready (VsaSessionHost *host, const char *sdp, GPtrArray *candidates,
                          VsaWhep *self)
{
  vsa_whep_finish_pending (self, SOUP_STATUS_CREATED, NULL, sdp);
  /* the client has the answer: an ICE failure from now on is final */
  vsa_session_host_answer_stored (host);
}

/* Nobody is left to take the answer: the session would only wait for its ICE timeout. */
static void
vsa_whep_on_pending_disconnected (SoupServerMessage *message, VsaWhep *self)
{
  self->pending_disconnected_id = 0;
  g_clear_object (&self->pending);
  vsa_session_host_end (self->host, VSA_END_REASON_CLIENT_LEFT,
                        "the client left before the answer");
}

static gboolean
vsa_whep_is_authorized (VsaWhep *self, SoupServerMessage *message)
{
  const char *header;
  g_autofree char *expected = NULL;

  if (self->config->token == NULL)
    return TRUE;
  header = soup_message_headers_get_one (soup_server_message_get_request_headers (message),
                                         "Authorization");
  expected = g_strdup_printf ("Bearer %s", self->config->token);
  return header != NULL && g_strcmp0 (header, expected) == 0;
}

static void
vsa_whep_post_offer (VsaWhep *self, SoupServerMessage *message)
{
  const char *type = soup_message_headers_get_content_type (
      soup_server_message_get_request_headers (message), NULL);
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GstSDPMessage) sdp = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *problem = NULL;
  VsaCodecChoice *choice;
  g_autofree char *uuid = NULL;

  if (type == NULL || g_ascii_strcasecmp (type, SDP_TYPE) != 0)
    {
      vsa_whep_respond_text (message, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                             "the offer must be " SDP_TYPE);
      return;
    }
  bytes = soup_message_body_flatten (body);
  text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  /* checked before the current session is replaced: a bad offer leaves it alone */
  choice = vsa_codec_choose_offer (text, (const char *const *) self->config->codecs, &sdp, &error);
  if (choice == NULL)
    {
      problem = g_strdup_printf ("offer not answered: %s", error->message);
      vsa_whep_respond_text (message, SOUP_STATUS_BAD_REQUEST, problem);
      return;
    }

  /* one viewer at a time: a new offer replaces the session, as on the controller */
  vsa_session_host_begin (self->host, text);
  uuid = g_uuid_string_random ();
  self->location = g_strdup_printf (WHEP_PATH "/%s", uuid);
  g_message ("whep: offer %s is session %s", vsa_session_host_get_offer_id (self->host),
             self->location);
  /* no ICE servers: standalone is for a browser that reaches the agent directly */
  if (!vsa_session_host_start (self->host, sdp, choice, NULL, NULL, &error))
    {
      problem = g_strdup_printf ("cannot start streaming: %s", error->message);
      vsa_whep_respond_text (message, SOUP_STATUS_INTERNAL_SERVER_ERROR, problem);
      return;
    }
  self->pending = g_object_ref (message);
  self->pending_disconnected_id = g_signal_connect (
      message, "disconnected", G_CALLBACK (vsa_whep_on_pending_disconnected), self);
  soup_server_message_pause (message);
}

static void
vsa_whep_on_whep (SoupServer *server, SoupServerMessage *message, const char *path,
                  GHashTable *query, gpointer data)
{
  VsaWhep *self = data;
  const char *method = soup_server_message_get_method (message);
  gboolean collection = g_strcmp0 (path, WHEP_PATH) == 0;

  if (!collection && !g_str_has_prefix (path, WHEP_PATH "/"))
    {
      vsa_whep_respond_text (message, SOUP_STATUS_NOT_FOUND, "not found");
      return;
    }
  if (method != (collection ? SOUP_METHOD_POST : SOUP_METHOD_DELETE))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (message), "Allow",
                                    collection ? "POST" : "DELETE");
      vsa_whep_respond_text (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed");
      return;
    }
  if (!vsa_whep_is_authorized (self, message))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                    "WWW-Authenticate", "Bearer");
      vsa_whep_respond_text (message, SOUP_STATUS_UNAUTHORIZED, "a bearer token is required");
      return;
    }
  if (collection)
    {
      vsa_whep_post_offer (self, message);
      return;
    }
  if (self->location == NULL || g_strcmp0 (path, self->location) != 0)
    {
      vsa_whep_respond_text (message, SOUP_STATUS_NOT_FOUND, "no such session");
      return;
    }
  vsa_session_host_end (self->host, VSA_END_REASON_CLIENT_LEFT, "the client deleted it");
  vsa_whep_respond_text (message, SOUP_STATUS_OK, "ended");
}

/* The page picks its flow from the query: WHEP unless one is given. */
static void
vsa_whep_on_page (SoupServer *server, SoupServerMessage *message, const char *path,
                  GHashTable *query, gpointer data)
{
  const char *method = soup_server_message_get_method (message);
  g_autoptr (GBytes) page = NULL;

  if (g_strcmp0 (path, "/") != 0)
    {
      vsa_whep_respond_text (message, SOUP_STATUS_NOT_FOUND, "not found");
      return;
    }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      vsa_whep_respond_text (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed");
      return;
    }
  if (query == NULL || !g_hash_table_contains (query, "flow"))
    {
      const char *rest = g_uri_get_query (soup_server_message_get_uri (message));
      g_autofree char *location
          = g_strdup_printf ("/?flow=whep%s%s", rest != NULL ? "&" : "", rest != NULL ? rest : "");

      soup_server_message_set_redirect (message, SOUP_STATUS_FOUND, location);
      return;
    }
  page = g_resource_lookup_data (vsa_viewer_get_resource (), PAGE_PATH,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (page, NULL), g_bytes_get_size (page));
}

VsaWhep *
vsa_whep_new (const VsaConfig *config)
{
  VsaWhep *self = g_new0 (VsaWhep, 1);

  self->config = config;
  self->server = soup_server_new ("server-header", PACKAGE " ", NULL);
  soup_server_add_handler (self->server, WHEP_PATH, vsa_whep_on_whep, self, NULL);
  soup_server_add_handler (self->server, "/", vsa_whep_on_page, self, NULL);
  self->host = vsa_session_host_new (config, config->session_id);
  g_signal_connect (self->host, "state-changed", G_CALLBACK (vsa_whep_on_host_state), self);
  g_signal_connect (self->host, "answer-ready", G_CALLBACK (vsa_whep_on_answer_ready), self);
  return self;
}

void
vsa_whep_free (VsaWhep *self)
{
  if (self == NULL)
    return;
  vsa_process_prepare_wait ();
  vsa_whep_finish_pending (self, SOUP_STATUS_SERVICE_UNAVAILABLE, "stopping", NULL);
  g_signal_handlers_disconnect_by_data (self->host, self);
  vsa_session_host_stop (self->host);
  g_object_unref (self->host);
  g_free (self->location);
  soup_server_disconnect (self->server);
  g_object_unref (self->server);
  g_free (self);
}

gboolean
vsa_whep_listen (VsaWhep *self, const char *address, guint port, GError **error)
{
  if (!vsa_http_listen (self->server, address, port, &self->port, error))
    return FALSE;
  /* the first session's DTLS key, made ahead as the agent does */
  vsa_process_prepare ();
  return TRUE;
}

guint
vsa_whep_get_port (VsaWhep *self)
{
  return self->port;
}

VsaSessionHost *
vsa_whep_get_host (VsaWhep *self)
{
  return self->host;
}
