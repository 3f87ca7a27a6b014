/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vsa-metrics.h"

#include "vsa-http.h"

#include <libsoup/soup.h>

#define PREFIX "vm_stream_agent_"
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct _VsaMetrics
{
  VsaSessionHost *host;
  SoupServer *server;
  guint port;
};

/* --- the text format ------------------------------------------------------------------- */

static void
vsa_metrics_append_header (GString *out, const char *name, const char *type, const char *help)
{
  g_string_append_printf (out, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name, help, name,
                          type);
}

/* Label values may hold anything: backslash, double quote and newline are escaped. */
static void
vsa_metrics_append_label_value (GString *out, const char *value)
{
  for (const char *c = value; *c != '\0'; c++)
    if (*c == '\\')
      g_string_append (out, "\\\\");
    else if (*c == '"')
      g_string_append (out, "\\\"");
    else if (*c == '\n')
      g_string_append (out, "\\n");
    else
      g_string_append_c (out, *c);
}

/* name{label="value"} or name; labels: NULL-terminated name, value pairs */
static void
vsa_metrics_append_sample_name (GString *out, const char *name, const char *const *labels)
{
  g_string_append (out, PREFIX);
  g_string_append (out, name);
  if (labels == NULL || labels[0] == NULL)
    return;
  g_string_append_c (out, '{');
  for (guint i = 0; labels[i] != NULL; i += 2)
    {
      g_string_append_printf (out, "%s%s=\"", i > 0 ? "," : "", labels[i]);
      vsa_metrics_append_label_value (out, labels[i + 1]);
      g_string_append_c (out, '"');
    }
  g_string_append_c (out, '}');
}

static void
vsa_metrics_append_uint (GString *out, const char *name, const char *const *labels, guint64 value)
{
  vsa_metrics_append_sample_name (out, name, labels);
  g_string_append_printf (out, " %" G_GUINT64_FORMAT "\n", value);
}

/* Locale-independent, so that a German locale does not write "0,5". */
static void
vsa_metrics_append_double (GString *out, const char *name, const char *const *labels, double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  vsa_metrics_append_sample_name (out, name, labels);
  g_string_append_printf (out, " %s\n", g_ascii_formatd (buffer, sizeof buffer, "%.6g", value));
}

static void
vsa_metrics_append_histogram (GString *out, const VsaSessionHostStats *stats)
{
  char bound[G_ASCII_DTOSTR_BUF_SIZE];

  vsa_metrics_append_header (
      out, "offer_to_answer_seconds", "histogram",
      "Time from an offer first seen to its answer stored at the controller (or sent "
      "over WHEP).");
  for (guint i = 0; i < VSA_SESSION_HOST_ANSWER_BUCKETS; i++)
    {
      const char *labels[]
          = { "le",
              g_ascii_formatd (bound, sizeof bound, "%g", vsa_session_host_answer_buckets_s[i]),
              NULL };

      vsa_metrics_append_uint (out, "offer_to_answer_seconds_bucket", labels,
                               stats->offer_to_answer_le[i]);
    }
  vsa_metrics_append_uint (out, "offer_to_answer_seconds_bucket",
                           (const char *[]){ "le", "+Inf", NULL }, stats->offer_to_answer_count);
  vsa_metrics_append_double (out, "offer_to_answer_seconds_sum", NULL,
                             stats->offer_to_answer_sum_s);
  vsa_metrics_append_uint (out, "offer_to_answer_seconds_count", NULL,
                           stats->offer_to_answer_count);
}

/* A metric of one unlabelled sample, with its header. */
static void
vsa_metrics_append_one (GString *out, const char *name, const char *type, const char *help,
                        guint64 value)
{
  vsa_metrics_append_header (out, name, type, help);
  vsa_metrics_append_uint (out, name, NULL, value);
}

/* A counter with one sample per end reason. */
static void
vsa_metrics_append_by_reason (GString *out, const char *name, const char *help,
                              const guint64 counts[VSA_END_REASON_COUNT])
{
  vsa_metrics_append_header (out, name, "counter", help);
  for (VsaEndReason reason = 0; reason < VSA_END_REASON_COUNT; reason++)
    vsa_metrics_append_uint (out, name,
                             (const char *[]){ "reason", vsa_end_reason_to_string (reason), NULL },
                             counts[reason]);
}

char *
vsa_metrics_format (const VsaSessionHostStats *stats, const char *version)
{
  GString *out = g_string_new (NULL);
  gboolean session = stats->codec != NULL;

  vsa_metrics_append_header (out, "build_info", "gauge", "The agent's version; always 1.");
  vsa_metrics_append_uint (out, "build_info", (const char *[]){ "version", version, NULL }, 1);

  vsa_metrics_append_header (
      out, "state", "gauge",
      "The agent's state: 1 for the current one (waiting, negotiating, streaming, "
      "ended), 0 for the others.");
  for (VsaSessionHostState state = VSA_SESSION_HOST_WAITING; state <= VSA_SESSION_HOST_ENDED;
       state++)
    vsa_metrics_append_uint (
        out, "state", (const char *[]){ "state", vsa_session_host_state_to_string (state), NULL },
        state == stats->state);

  vsa_metrics_append_one (out, "sessions_started_total", "counter",
                          "Offers taken up: negotiations begun.", stats->sessions_started);
  vsa_metrics_append_one (out, "sessions_answered_total", "counter",
                          "Answers stored at the controller (or sent over WHEP).",
                          stats->sessions_answered);
  vsa_metrics_append_one (out, "sessions_streamed_total", "counter",
                          "Sessions that connected and streamed.", stats->sessions_streamed);
  vsa_metrics_append_by_reason (out, "sessions_ended_total", "Sessions ended, by reason.",
                                stats->sessions_ended);
  vsa_metrics_append_by_reason (
      out, "sessions_failed_total",
      "Sessions ended before their answer was stored (the browser got no video), by "
      "reason; also counted in sessions_ended_total.",
      stats->sessions_failed);

  vsa_metrics_append_header (out, "last_offer_to_answer_seconds", "gauge",
                             "Time from the last answered offer first seen to its answer stored.");
  if (stats->last_offer_to_answer_s >= 0)
    vsa_metrics_append_double (out, "last_offer_to_answer_seconds", NULL,
                               stats->last_offer_to_answer_s);
  vsa_metrics_append_histogram (out, stats);

  vsa_metrics_append_header (out, "encoder_info", "gauge",
                             "The current session's encoder element and codec; always 1.");
  if (session && stats->session.encoder != NULL)
    vsa_metrics_append_uint (
        out, "encoder_info",
        (const char *[]){ "encoder", stats->session.encoder, "codec", stats->codec, NULL }, 1);
  vsa_metrics_append_header (out, "frames_per_second", "gauge",
                             "Frames the encoder produced in the last second.");
  vsa_metrics_append_double (out, "frames_per_second", NULL, stats->session.fps);
  vsa_metrics_append_one (
      out, "bitrate_target_bits_per_second", "gauge",
      "The encoder's target bitrate (set by loss and the packets' delay), 0 without a session.",
      (guint64) stats->session.target_kbps * 1000);
  vsa_metrics_append_one (out, "sent_bits_per_second", "gauge",
                          "RTP bits sent in the last second (webrtcbin's outbound-rtp bytes).",
                          (guint64) stats->session.sent_kbps * 1000);
  vsa_metrics_append_header (
      out, "round_trip_time_seconds", "gauge",
      "Round-trip time from the browser's last receiver report; absent when unknown.");
  if (session && stats->session.rtt_s >= 0)
    vsa_metrics_append_double (out, "round_trip_time_seconds", NULL, stats->session.rtt_s);
  vsa_metrics_append_header (
      out, "packet_loss_ratio", "gauge",
      "Share of packets lost (0-1) as the bitrate control last judged it; absent "
      "without a session.");
  if (session)
    vsa_metrics_append_double (out, "packet_loss_ratio", NULL, stats->session.loss);

  vsa_metrics_append_one (out, "frames_sent_total", "counter", "Frames the encoder produced.",
                          stats->frames_sent);
  vsa_metrics_append_one (out, "keyframes_sent_total", "counter", "Keyframes the encoder produced.",
                          stats->keyframes_sent);
  vsa_metrics_append_one (out, "keyframe_requests_total", "counter",
                          "Keyframe requests (PLI and FIR) from browsers.",
                          stats->keyframe_requests);
  return g_string_free (out, FALSE);
}

/* --- the server ------------------------------------------------------------------------ */

static void
vsa_metrics_respond (SoupServerMessage *message, guint status, const char *content_type, char *body)
{
  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, content_type, SOUP_MEMORY_TAKE, body, strlen (body));
}

/* Only the exact paths, and only GET (and HEAD, which libsoup answers from GET). */
static gboolean
vsa_metrics_check_request (SoupServerMessage *message, const char *path, const char *expected)
{
  const char *method = soup_server_message_get_method (message);

  if (g_strcmp0 (path, expected) != 0)
    {
      vsa_metrics_respond (message, SOUP_STATUS_NOT_FOUND, "text/plain", g_strdup ("not found\n"));
      return FALSE;
    }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (message), "Allow",
                                    "GET, HEAD");
      vsa_metrics_respond (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "text/plain",
                           g_strdup ("method not allowed\n"));
      return FALSE;
    }
  return TRUE;
}

static void
vsa_metrics_on_metrics (SoupServer *server, SoupServerMessage *message, const char *path,
                        GHashTable *query, gpointer data)
{
  VsaMetrics *self = data;
  VsaSessionHostStats stats;

  if (!vsa_metrics_check_request (message, path, "/metrics"))
    return;
  vsa_session_host_get_stats (self->host, &stats);
  vsa_metrics_respond (message, SOUP_STATUS_OK, CONTENT_TYPE,
                       vsa_metrics_format (&stats, PACKAGE_VERSION));
}

/* Answered by the main loop: when this answers, the loop runs (systemd's watchdog pings
 * from the same loop). */
static void
vsa_metrics_on_healthz (SoupServer *server, SoupServerMessage *message, const char *path,
                        GHashTable *query, gpointer data)
{
  if (vsa_metrics_check_request (message, path, "/healthz"))
    vsa_metrics_respond (message, SOUP_STATUS_OK, "text/plain", g_strdup ("ok\n"));
}

VsaMetrics *
vsa_metrics_new (VsaSessionHost *host)
{
  VsaMetrics *self = g_new0 (VsaMetrics, 1);

  self->host = g_object_ref (host);
  self->server = soup_server_new ("server-header", PACKAGE " ", NULL);
  soup_server_add_handler (self->server, "/metrics", vsa_metrics_on_metrics, self, NULL);
  soup_server_add_handler (self->server, "/healthz", vsa_metrics_on_healthz, self, NULL);
  return self;
}

void
vsa_metrics_free (VsaMetrics *self)
{
  if (self == NULL)
    return;
  soup_server_disconnect (self->server);
  g_object_unref (self->server);
  g_object_unref (self->host);
  g_free (self);
}

gboolean
vsa_metrics_listen (VsaMetrics *self, const char *address, guint port, GError **error)
{
  return vsa_http_listen (self->server, "metrics-listen", address, port, &self->port, error);
}

guint
vsa_metrics_get_port (VsaMetrics *self)
{
  return self->port;
}
