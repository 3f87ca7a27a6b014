/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vsa-whep.h"

#include "vsa-http.h"

#include <libsoup/soup.h>
#include <string.h>

#include "vsa-codec.h"
#include "vsa-process.h"
#include "vsa-sdpfrag.h"
#include "vsa-session-host.h"

#define WHEP_PATH "/whep"
#define SDP_TYPE "application/sdp"
#define SDPFRAG_TYPE "application/trickle-ice-sdpfrag"
#define COLLECTION_METHODS "OPTIONS, POST"
#define RESOURCE_METHODS "OPTIONS, PATCH, DELETE"
/* Chromium keeps a preflight's answer 2 hours at most */
#define CORS_MAX_AGE "7200"
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
  GPtrArray *ice_servers; /* the configured ones as one VsaIceServer, or NULL */

  char *location;    /* "/whep/<uuid>" of the host's session */
  char *etag;        /* its ICE session's entity tag, quoted */
  char *offer_ufrag; /* the offer's ICE credentials: others in a PATCH are a restart */
  char *offer_pwd;
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

static void
vsa_whep_clear_resource (VsaWhep *self)
{
  g_clear_pointer (&self->location, g_free);
  g_clear_pointer (&self->etag, g_free);
  g_clear_pointer (&self->offer_ufrag, g_free);
  g_clear_pointer (&self->offer_pwd, g_free);
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
      soup_message_headers_replace (headers, "ETag", self->etag);
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
  vsa_whep_clear_resource (self);
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

/* A page from an origin in allow-origins may read our responses: its Origin is echoed
 * (Vary: the answer depends on it), and the headers a WHEP client needs are exposed. */
static gboolean
vsa_whep_allow_origin (VsaWhep *self, SoupServerMessage *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
  const char *origin
      = soup_message_headers_get_one (soup_server_message_get_request_headers (message), "Origin");

  if (self->config->allow_origins == NULL)
    return FALSE;
  soup_message_headers_replace (headers, "Vary", "Origin");
  if (origin == NULL
      || (!g_strv_contains ((const char *const *) self->config->allow_origins, origin)
          && !g_strv_contains ((const char *const *) self->config->allow_origins, "*")))
    return FALSE;
  soup_message_headers_replace (headers, "Access-Control-Allow-Origin", origin);
  soup_message_headers_replace (headers, "Access-Control-Expose-Headers", "Location, Link, ETag");
  return TRUE;
}

/* A quoted-string's content (RFC 9110): quotes and backslashes escaped. */
static void
vsa_whep_append_quoted (GString *out, const char *name, const char *value)
{
  g_string_append_printf (out, "; %s=\"", name);
  for (const char *c = value; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *c);
    }
  g_string_append_c (out, '"');
}

/* RFC 9725 section 4.6: one Link per ICE server URL, TURN ones with their credentials. */
static void
vsa_whep_add_ice_links (VsaWhep *self, SoupServerMessage *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
  const VsaIceServer *server;

  if (self->ice_servers == NULL)
    return;
  server = g_ptr_array_index (self->ice_servers, 0);
  for (guint i = 0; server->urls[i] != NULL; i++)
    {
      g_autoptr (GString) link = g_string_new (NULL);

      g_string_append_printf (link, "<%s>; rel=\"ice-server\"", server->urls[i]);
      if (g_str_has_prefix (server->urls[i], "turn") && server->username != NULL)
        {
          vsa_whep_append_quoted (link, "username", server->username);
          vsa_whep_append_quoted (link, "credential",
                                  server->credential != NULL ? server->credential : "");
          g_string_append (link, "; credential-type=\"password\"");
        }
      soup_message_headers_append (headers, "Link", link->str);
    }
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

/* A browser's CORS preflight (no Authorization: it never carries one) or a WHEP client
 * asking ahead. ICE servers only to a client that showed the token: TURN credentials are a
 * secret. */
static void
vsa_whep_options (VsaWhep *self, SoupServerMessage *message, const char *methods,
                  gboolean collection)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

  soup_message_headers_replace (headers, "Allow", methods);
  /* the origin was checked with the request */
  if (soup_message_headers_get_one (headers, "Access-Control-Allow-Origin") != NULL)
    {
      soup_message_headers_replace (headers, "Access-Control-Allow-Methods", methods);
      soup_message_headers_replace (headers, "Access-Control-Allow-Headers",
                                    "Content-Type, Authorization, If-Match");
      soup_message_headers_replace (headers, "Access-Control-Max-Age", CORS_MAX_AGE);
    }
  if (collection)
    {
      soup_message_headers_replace (headers, "Accept-Post", SDP_TYPE);
      if (vsa_whep_is_authorized (self, message))
        vsa_whep_add_ice_links (self, message);
    }
  else
    soup_message_headers_replace (headers, "Accept-Patch", SDPFRAG_TYPE);
  soup_server_message_set_status (message, SOUP_STATUS_NO_CONTENT, NULL);
}

/* The offer's ICE credentials: session level, else the first m-line's. */
static void
vsa_whep_keep_ice_credentials (VsaWhep *self, const GstSDPMessage *sdp)
{
  const GstSDPMedia *media
      = gst_sdp_message_medias_len (sdp) > 0 ? gst_sdp_message_get_media (sdp, 0) : NULL;
  const char *ufrag = gst_sdp_message_get_attribute_val (sdp, "ice-ufrag");
  const char *pwd = gst_sdp_message_get_attribute_val (sdp, "ice-pwd");

  if (ufrag == NULL && media != NULL)
    ufrag = gst_sdp_media_get_attribute_val (media, "ice-ufrag");
  if (pwd == NULL && media != NULL)
    pwd = gst_sdp_media_get_attribute_val (media, "ice-pwd");
  self->offer_ufrag = g_strdup (ufrag);
  self->offer_pwd = g_strdup (pwd);
}

/* A body of another type gets 415 and the header (Accept-Post, Accept-Patch) naming ours. */
static gboolean
vsa_whep_has_type (SoupServerMessage *message, const char *type, const char *expected,
                   const char *accept_header, const char *text)
{
  if (type != NULL && g_ascii_strcasecmp (type, expected) == 0)
    return TRUE;
  soup_message_headers_replace (soup_server_message_get_response_headers (message), accept_header,
                                expected);
  vsa_whep_respond_text (message, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, text);
  return FALSE;
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

  if (!vsa_whep_has_type (message, type, SDP_TYPE, "Accept-Post", "the offer must be " SDP_TYPE))
    return;
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
  g_free (uuid);
  uuid = g_uuid_string_random ();
  self->etag = g_strdup_printf ("\"%.8s\"", uuid);
  vsa_whep_keep_ice_credentials (self, sdp);
  g_message ("whep: offer %s is session %s", vsa_session_host_get_offer_id (self->host),
             self->location);
  if (!vsa_session_host_start (self->host, sdp, choice, NULL, self->ice_servers, &error))
    {
      problem = g_strdup_printf ("cannot start streaming: %s", error->message);
      vsa_whep_respond_text (message, SOUP_STATUS_INTERNAL_SERVER_ERROR, problem);
      return;
    }
  /* on the 201 */
  vsa_whep_add_ice_links (self, message);
  self->pending = g_object_ref (message);
  self->pending_disconnected_id = g_signal_connect (
      message, "disconnected", G_CALLBACK (vsa_whep_on_pending_disconnected), self);
  soup_server_message_pause (message);
}

/* Trickle ICE (RFC 9725 section 4.3): the client's candidates, after its offer. An ICE
 * restart is refused with 422 as the RFC says for a session that trickles but cannot
 * restart: webrtcbin has no ICE restart. */
static void
vsa_whep_patch (VsaWhep *self, SoupServerMessage *message)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (message);
  const char *type = soup_message_headers_get_content_type (request, NULL);
  const char *if_match = soup_message_headers_get_one (request, "If-Match");
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (VsaSdpFrag) frag = NULL;
  g_autoptr (GError) error = NULL;

  if (!vsa_whep_has_type (message, type, SDPFRAG_TYPE, "Accept-Patch",
                          "a PATCH must be " SDPFRAG_TYPE))
    return;
  if (g_strcmp0 (if_match, "*") == 0)
    {
      g_message ("whep: session %s: ICE restart refused (not supported)", self->location);
      vsa_whep_respond_text (message, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                             "ICE restart is not supported: POST a new offer");
      return;
    }
  if (if_match != NULL && g_strcmp0 (if_match, self->etag) != 0)
    {
      vsa_whep_respond_text (message, SOUP_STATUS_PRECONDITION_FAILED,
                             "If-Match does not name this ICE session");
      return;
    }
  bytes = soup_message_body_flatten (soup_server_message_get_request_body (message));
  frag = vsa_sdpfrag_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  if (frag == NULL)
    {
      vsa_whep_respond_text (message, SOUP_STATUS_BAD_REQUEST, error->message);
      return;
    }
  if ((frag->ice_ufrag != NULL && g_strcmp0 (frag->ice_ufrag, self->offer_ufrag) != 0)
      || (frag->ice_pwd != NULL && g_strcmp0 (frag->ice_pwd, self->offer_pwd) != 0))
    {
      g_message ("whep: session %s: ICE restart refused (new credentials in a PATCH)",
                 self->location);
      vsa_whep_respond_text (message, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                             "ICE restart is not supported: POST a new offer");
      return;
    }
  for (guint i = 0; i < frag->candidates->len; i++)
    vsa_session_host_add_remote_candidate (self->host, g_ptr_array_index (frag->candidates, i));
  if (frag->end_of_candidates)
    vsa_session_host_end_remote_candidates (self->host);
  g_debug ("whep: session %s: %u candidate%s from the client%s", self->location,
           frag->candidates->len, frag->candidates->len == 1 ? "" : "s",
           frag->end_of_candidates ? ", the last" : "");
  soup_server_message_set_status (message, SOUP_STATUS_NO_CONTENT, NULL);
}

static gboolean
vsa_whep_is_current (VsaWhep *self, const char *path)
{
  return self->location != NULL && g_strcmp0 (path, self->location) == 0;
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
  vsa_whep_allow_origin (self, message);
  if (collection ? method != SOUP_METHOD_POST && method != SOUP_METHOD_OPTIONS
                 : method != SOUP_METHOD_OPTIONS && method != SOUP_METHOD_DELETE
                       && g_strcmp0 (method, "PATCH") != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (message), "Allow",
                                    collection ? COLLECTION_METHODS : RESOURCE_METHODS);
      vsa_whep_respond_text (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed");
      return;
    }
  /* before the token: a browser's preflight never carries one */
  if (method == SOUP_METHOD_OPTIONS)
    {
      if (collection || vsa_whep_is_current (self, path))
        vsa_whep_options (self, message, collection ? COLLECTION_METHODS : RESOURCE_METHODS,
                          collection);
      else
        vsa_whep_respond_text (message, SOUP_STATUS_NOT_FOUND, "no such session");
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
  if (!vsa_whep_is_current (self, path))
    {
      vsa_whep_respond_text (message, SOUP_STATUS_NOT_FOUND, "no such session");
      return;
    }
  if (g_strcmp0 (method, "PATCH") == 0)
    {
      vsa_whep_patch (self, message);
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
  if (config->ice_servers != NULL)
    {
      VsaIceServer *server = g_new0 (VsaIceServer, 1);

      server->urls = g_strdupv (config->ice_servers);
      server->username = g_strdup (config->ice_username);
      server->credential = g_strdup (config->ice_credential);
      self->ice_servers = g_ptr_array_new_with_free_func ((GDestroyNotify) vsa_ice_server_free);
      g_ptr_array_add (self->ice_servers, server);
    }
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
  vsa_whep_clear_resource (self);
  g_clear_pointer (&self->ice_servers, g_ptr_array_unref);
  soup_server_disconnect (self->server);
  g_object_unref (self->server);
  g_free (self);
}

gboolean
vsa_whep_listen (VsaWhep *self, const char *address, guint port, GError **error)
{
  if (!vsa_http_listen (self->server, "listen", address, port, &self->port, error))
    return FALSE;
  /* what a player on another origin, or behind a NAT, will be told; never the credential */
  if (self->config->allow_origins != NULL)
    {
      g_autofree char *origins = g_strjoinv (", ", self->config->allow_origins);

      g_message ("whep: pages from %s may use the endpoint (CORS)", origins);
    }
  if (self->config->ice_servers != NULL)
    {
      g_autofree char *urls = g_strjoinv (", ", self->config->ice_servers);

      g_message ("whep: ICE servers %s%s", urls,
                 self->config->ice_username != NULL ? " (TURN as ice-username)" : "");
    }
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
