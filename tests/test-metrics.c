/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-metrics: the text format of a snapshot (unit), and (/vsa/metrics/agent/,
 * integration) the endpoint scraped while the agent streams to an in-process peer. */
#include "config.h"

#include <gst/gst.h>
#include <libsoup/soup.h>
#include <string.h>

#include "vsa-agent.h"
#include "vsa-metrics.h"
#include "vsa-test-controller.h"
#include "vsa-test-peer.h"
#include "vsa-test-util.h"

#define SESSION "metrics"
#define VP8_CAPS "application/x-rtp,media=video,encoding-name=VP8,payload=120,clock-rate=90000"
#define PREFIX "vm_stream_agent_"

/* --- a strict reader of the exposition format ------------------------------------------- */

/* Reads a label set "{a="x",b="y"}" into "a=x,b=y" with the escapes undone; NULL when
 * malformed. *end: past the closing brace. */
static char *
read_labels (const char *text, const char **end)
{
  g_autoptr (GString) out = g_string_new (NULL);
  const char *c = text + 1;

  while (*c != '}')
    {
      gsize name_len
          = strspn (c, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");

      if (name_len == 0 || c[name_len] != '=' || c[name_len + 1] != '"')
        return NULL;
      if (out->len > 0)
        g_string_append_c (out, ',');
      g_string_append_len (out, c, (gssize) name_len + 1);
      for (c += name_len + 2; *c != '"'; c++)
        {
          if (*c == '\0' || *c == '\n')
            return NULL;
          if (*c == '\\')
            {
              c++;
              if (*c == 'n')
                g_string_append_c (out, '\n');
              else if (*c == '\\' || *c == '"')
                g_string_append_c (out, *c);
              else
                return NULL;
            }
          else
            g_string_append_c (out, *c);
        }
      c++;
      if (*c == ',')
        c++;
      else if (*c != '}')
        return NULL;
    }
  *end = c + 1;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The family a sample belongs to: a histogram's _bucket, _sum and _count are its own. */
static const char *
family_of (GHashTable *types, const char *name, char **owned)
{
  static const char *const suffixes[] = { "_bucket", "_sum", "_count" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (name, suffixes[i]))
      {
        g_autofree char *base = g_strndup (name, strlen (name) - strlen (suffixes[i]));

        if (g_strcmp0 (g_hash_table_lookup (types, base), "histogram") == 0)
          return *owned = g_steal_pointer (&base);
      }
  return name;
}

/* Checks text line by line and returns its samples: "name" or "name{a=x,b=y}" → the value
 * as a double in a string. Every sample's family has # HELP then # TYPE before it, each
 * once; names carry the prefix; values parse. */
static GHashTable *
parse_exposition (const char *text)
{
  g_autoptr (GHashTable) helps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTable *samples = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);

  g_assert_cmpuint (n, >, 1);
  g_assert_cmpstr (lines[n - 1], ==, ""); /* ends with a newline */
  for (guint i = 0; i + 1 < n; i++)
    {
      const char *line = lines[i];

      g_assert_cmpstr (line, !=, "");
      if (g_str_has_prefix (line, "# HELP "))
        {
          g_auto (GStrv) parts = g_strsplit (line + 7, " ", 2);

          g_assert_true (g_str_has_prefix (parts[0], PREFIX));
          g_assert_nonnull (parts[1]);
          g_assert_false (g_hash_table_contains (helps, parts[0]));
          g_hash_table_add (helps, g_strdup (parts[0]));
        }
      else if (g_str_has_prefix (line, "# TYPE "))
        {
          g_auto (GStrv) parts = g_strsplit (line + 7, " ", -1);

          g_assert_cmpuint (g_strv_length (parts), ==, 2);
          g_assert_true (g_hash_table_contains (helps, parts[0]));
          g_assert_false (g_hash_table_contains (types, parts[0]));
          g_assert_true (g_strv_contains (
              (const char *const *) (const char *[]){ "counter", "gauge", "histogram", NULL },
              parts[1]));
          g_hash_table_insert (types, g_strdup (parts[0]), g_strdup (parts[1]));
        }
      else
        {
          gsize name_len = strcspn (line, "{ ");
          g_autofree char *name = g_strndup (line, name_len);
          g_autofree char *labels = NULL;
          g_autofree char *family_owned = NULL;
          const char *family = family_of (types, name, &family_owned);
          const char *rest = line + name_len;
          char *end = NULL;
          double value;

          g_test_message ("%s", line);
          g_assert_false (g_str_has_prefix (line, "#"));
          g_assert_true (g_hash_table_contains (types, family));
          if (g_str_has_suffix (name, "_total"))
            g_assert_cmpstr (g_hash_table_lookup (types, family), ==, "counter");
          if (*rest == '{')
            {
              labels = read_labels (rest, &rest);
              g_assert_nonnull (labels);
            }
          g_assert_true (*rest == ' ');
          value = g_ascii_strtod (rest + 1, &end);
          g_assert_true (end != rest + 1 && *end == '\0');
          g_hash_table_insert (
              samples, labels != NULL ? g_strdup_printf ("%s{%s}", name, labels) : g_strdup (name),
              g_strdup_printf ("%.17g", value));
        }
    }
  return samples;
}

static double
sample (GHashTable *samples, const char *key)
{
  const char *value = g_hash_table_lookup (samples, key);

  if (value == NULL)
    g_test_message ("no sample %s", key);
  g_assert_nonnull (value);
  return g_ascii_strtod (value, NULL);
}

/* --- unit ------------------------------------------------------------------------------- */

static void
test_format_waiting (void)
{
  VsaSessionHostStats stats = { .state = VSA_SESSION_HOST_WAITING, .last_offer_to_answer_s = -1 };
  g_autofree char *text = NULL;
  g_autoptr (GHashTable) samples = NULL;

  stats.session.rtt_s = -1;
  text = vsa_metrics_format (&stats, "1.2.3");
  samples = parse_exposition (text);
  g_assert_cmpfloat (sample (samples, PREFIX "build_info{version=1.2.3}"), ==, 1);
  g_assert_cmpfloat (sample (samples, PREFIX "state{state=waiting}"), ==, 1);
  g_assert_cmpfloat (sample (samples, PREFIX "state{state=streaming}"), ==, 0);
  g_assert_cmpfloat (sample (samples, PREFIX "sessions_ended_total{reason=peer_silent}"), ==, 0);
  g_assert_cmpfloat (sample (samples, PREFIX "offer_to_answer_seconds_bucket{le=+Inf}"), ==, 0);
  /* unknown or not there: absent, not 0 */
  g_assert_false (g_hash_table_contains (samples, PREFIX "last_offer_to_answer_seconds"));
  g_assert_false (g_hash_table_contains (samples, PREFIX "round_trip_time_seconds"));
  g_assert_false (g_hash_table_contains (samples, PREFIX "packet_loss_ratio"));
  g_assert_null (strstr (text, PREFIX "encoder_info{"));
  g_assert_cmpfloat (sample (samples, PREFIX "frames_per_second"), ==, 0);
}

static void
test_format_streaming (void)
{
  VsaSessionHostStats stats = {
    .state = VSA_SESSION_HOST_STREAMING,
    .sessions_started = 3,
    .sessions_answered = 2,
    .sessions_streamed = 2,
    .last_offer_to_answer_s = 0.3,
    .offer_to_answer_le = { 0, 1, 2, 2, 2, 2, 2 },
    .offer_to_answer_count = 3,
    .offer_to_answer_sum_s = 20.45,
    .frames_sent = 900,
    .keyframes_sent = 2,
    .keyframe_requests = 1,
    .codec = "VP8",
    .session = { .target_kbps = 2500,
                 .sent_kbps = 1800,
                 .fps = 29.5,
                 .rtt_s = 0.004,
                 .loss = 0.125,
                 .encoder = "we\"ird\\enc\nname" },
  };
  g_autofree char *text = NULL;
  g_autoptr (GHashTable) samples = NULL;

  stats.sessions_ended[VSA_END_REASON_NEWER_OFFER] = 1;
  stats.sessions_ended[VSA_END_REASON_ANSWER_REFUSED] = 1;
  stats.sessions_failed[VSA_END_REASON_ANSWER_REFUSED] = 1;
  text = vsa_metrics_format (&stats, "0.1.0");
  samples = parse_exposition (text);
  g_assert_nonnull (strstr (text, PREFIX "encoder_info{encoder=\"we\\\"ird\\\\enc\\nname\","
                                         "codec=\"VP8\"} 1\n"));
  g_assert_cmpfloat (sample (samples, PREFIX "encoder_info{encoder=we\"ird\\enc\nname,codec=VP8}"),
                     ==, 1);
  g_assert_cmpfloat (sample (samples, PREFIX "state{state=streaming}"), ==, 1);
  g_assert_cmpfloat (sample (samples, PREFIX "state{state=waiting}"), ==, 0);
  g_assert_cmpfloat (sample (samples, PREFIX "sessions_started_total"), ==, 3);
  g_assert_cmpfloat (sample (samples, PREFIX "sessions_ended_total{reason=newer_offer}"), ==, 1);
  g_assert_cmpfloat (sample (samples, PREFIX "sessions_failed_total{reason=answer_refused}"), ==,
                     1);
  g_assert_cmpfloat (sample (samples, PREFIX "sessions_failed_total{reason=newer_offer}"), ==, 0);
  g_assert_cmpfloat (sample (samples, PREFIX "last_offer_to_answer_seconds"), ==, 0.3);
  g_assert_cmpfloat (sample (samples, PREFIX "offer_to_answer_seconds_bucket{le=0.1}"), ==, 0);
  g_assert_cmpfloat (sample (samples, PREFIX "offer_to_answer_seconds_bucket{le=0.25}"), ==, 1);
  g_assert_cmpfloat (sample (samples, PREFIX "offer_to_answer_seconds_bucket{le=10}"), ==, 2);
  g_assert_cmpfloat (sample (samples, PREFIX "offer_to_answer_seconds_bucket{le=+Inf}"), ==, 3);
  g_assert_cmpfloat (sample (samples, PREFIX "offer_to_answer_seconds_count"), ==, 3);
  g_assert_cmpfloat (sample (samples, PREFIX "offer_to_answer_seconds_sum"), ==, 20.45);
  g_assert_cmpfloat (sample (samples, PREFIX "frames_per_second"), ==, 29.5);
  g_assert_cmpfloat (sample (samples, PREFIX "bitrate_target_bits_per_second"), ==, 2500000);
  g_assert_cmpfloat (sample (samples, PREFIX "sent_bits_per_second"), ==, 1800000);
  g_assert_cmpfloat (sample (samples, PREFIX "round_trip_time_seconds"), ==, 0.004);
  g_assert_cmpfloat (sample (samples, PREFIX "packet_loss_ratio"), ==, 0.125);
  g_assert_cmpfloat (sample (samples, PREFIX "frames_sent_total"), ==, 900);
  g_assert_cmpfloat (sample (samples, PREFIX "keyframes_sent_total"), ==, 2);
  g_assert_cmpfloat (sample (samples, PREFIX "keyframe_requests_total"), ==, 1);
}

/* --- the endpoint, while the agent streams ---------------------------------------------- */

/* GET on the thread-default context, which also runs the agent and the endpoint. */
static char *
http_get (SoupSession *session, guint port, const char *path, guint *status)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr (SoupMessage) message = soup_message_new ("GET", url);
  char *text = vsa_test_http_send (session, message, 10000);

  *status = soup_message_get_status (message);
  return text;
}

typedef struct
{
  SoupSession *session;
  guint port;
  GHashTable *samples;
} Scrape;

/* For vsa_test_wait_until: a scrape shows a second of frames and of bits sent. */
static gboolean
scrape_shows_stream (gpointer data)
{
  Scrape *scrape = data;
  g_autofree char *text = NULL;
  guint status = 0;

  text = http_get (scrape->session, scrape->port, "/metrics", &status);
  g_assert_cmpuint (status, ==, 200);
  g_clear_pointer (&scrape->samples, g_hash_table_unref);
  scrape->samples = parse_exposition (text);
  return sample (scrape->samples, PREFIX "frames_per_second") > 0
         && sample (scrape->samples, PREFIX "sent_bits_per_second") > 0;
}

static void
test_agent_scrape (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaTestController) controller = vsa_test_controller_new ("127.0.0.1", 0, NULL, &error);
  g_autoptr (VsaConfig) config = vsa_config_new ();
  g_autoptr (VsaAgent) agent = NULL;
  g_autoptr (VsaMetrics) metrics = NULL;
  g_autoptr (VsaTestPeer) peer = NULL;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *health = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *encoder_key = NULL;
  Scrape scrape = { session, 0, NULL };
  guint status = 0;

  /* Streaming under valgrind does not reach the stats the scrape waits for in time; the
   * normal and ASan runs cover this. */
  if (vsa_test_skipped_under_valgrind ())
    return;

  g_assert_no_error (error);
  config->session_id = g_strdup (SESSION);
  config->controller_url = vsa_test_controller_get_url (controller);
  config->source = VSA_SOURCE_TEST;
  g_strfreev (config->codecs);
  config->codecs = g_strsplit ("vp8", ",", -1);
  config->request_timeout_s *= vsa_test_timeout_multiplier ();
  if (vsa_test_timeout_multiplier () > 1)
    config->fps = 10; /* a slow run (valgrind): see test-agent.c */
  agent = vsa_agent_new (config, &error);
  g_assert_no_error (error);
  metrics = vsa_metrics_new (vsa_agent_get_host (agent));
  g_assert_true (vsa_metrics_listen (metrics, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  scrape.port = vsa_metrics_get_port (metrics);
  g_assert_cmpuint (scrape.port, >, 0);
  vsa_agent_start (agent);

  health = http_get (session, scrape.port, "/healthz", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (health, ==, "ok\n");
  missing = http_get (session, scrape.port, "/nothing", &status);
  g_assert_cmpuint (status, ==, 404);

  peer = vsa_test_peer_new (VP8_CAPS);
  vsa_test_peer_store_offer (peer, controller, SESSION);
  vsa_test_peer_apply_answer (peer, controller, SESSION);
  g_assert_true (vsa_test_wait_until (vsa_test_peer_has_frames, peer, 20000));
  /* the rates come from the once-a-second stats: the second one after connecting */
  g_assert_true (vsa_test_wait_until (scrape_shows_stream, &scrape, 15000));

  g_assert_cmpfloat (sample (scrape.samples, PREFIX "state{state=streaming}"), ==, 1);
  g_assert_cmpfloat (sample (scrape.samples, PREFIX "state{state=waiting}"), ==, 0);
  g_assert_cmpfloat (sample (scrape.samples, PREFIX "sessions_started_total"), >=, 1);
  g_assert_cmpfloat (sample (scrape.samples, PREFIX "sessions_answered_total"), >=, 1);
  g_assert_cmpfloat (sample (scrape.samples, PREFIX "sessions_streamed_total"), >=, 1);
  g_assert_cmpfloat (sample (scrape.samples, PREFIX "last_offer_to_answer_seconds"), >, 0);
  g_assert_cmpfloat (sample (scrape.samples, PREFIX "offer_to_answer_seconds_count"), >=, 1);
  g_assert_cmpfloat (sample (scrape.samples, PREFIX "bitrate_target_bits_per_second"), >, 0);
  g_assert_cmpfloat (sample (scrape.samples, PREFIX "frames_sent_total"), >, 0);
  /* the encoder's first frame at least */
  g_assert_cmpfloat (sample (scrape.samples, PREFIX "keyframes_sent_total"), >=, 1);
  g_assert_cmpfloat (sample (scrape.samples, PREFIX "packet_loss_ratio"), >=, 0);
  encoder_key = g_strdup (PREFIX "encoder_info{encoder=vp8enc,codec=VP8}");
  g_assert_cmpfloat (sample (scrape.samples, encoder_key), ==, 1);
  g_assert_cmpfloat (sample (scrape.samples, PREFIX "build_info{version=" PACKAGE_VERSION "}"), ==,
                     1);

  g_clear_pointer (&scrape.samples, g_hash_table_unref);
  vsa_agent_stop (agent);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/metrics/format/waiting", test_format_waiting);
  g_test_add_func ("/vsa/metrics/format/streaming", test_format_streaming);
  g_test_add_func ("/vsa/metrics/agent/scrape", test_agent_scrape);
  return g_test_run ();
}
