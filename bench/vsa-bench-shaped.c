/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-bench-shaped: the agent on slow, lossy and bufferbloated links (issue 15,
 * BENCHMARKS.md "Real networks"). For each scenario and browser: Xvfb at 720p with the
 * bench's moving picture, whose patch shows a change counter (vsa-bench-screen.c), the
 * fake controller, a headless browser on the viewer page, all in the bench's namespace
 * (tests/netns-run); the agent in a namespace of its own behind a router's namespace
 * whose link towards the browser is shaped (bench/shaped-link-run: tc tbf, iptables
 * statistic). Measured from the first frame for a fixed window: glass-to-glass latency
 * of every change and the changes never shown, freezes, fps and the bytes delivered (the
 * page), the agent's target bitrate (its /metrics, read from inside its namespace so that
 * no request crosses the link), and how long latency takes to settle after a drop.
 * Prints a table; --write puts it into BENCHMARKS.md and draws
 * bench/shaped-<scenario>.svg. VSA_BENCH_KEEP=1 keeps each run's directory (its logs).
 * --anchor puts libwebrtc's own sender in the agent's place, on the same links, screen and
 * page: a windowed Chromium on the bench's screen in the VM's namespace, on
 * bench/anchor-sender.html (served by the controller), which answers the page's offer
 * with a capture of the screen. */

#define _GNU_SOURCE /* setns() */

#include "bench-config.h"

#include "vsa-bench-plot.h"
#include "vsa-bench-report.h"
#include "vsa-bench-run.h"
#include "vsa-bench-screen.h"
#include "vsa-test-browser.h"
#include "vsa-test-controller.h"
#include "vsa-test-util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SESSION_ID "shaped"
#define REPORT_ID "shaped"
#define CONTROLLER_ADDRESS "198.18.0.1" /* tests/netns-run's vsa0 */
#define VM_ADDRESS "198.19.0.2"         /* bench/shaped-link-run's vsab0: the agent's only one */
#define METRICS_PORT 9464               /* inside the agent's namespace */
#define WIDTH 1280
#define HEIGHT 720
#define FPS 30
/* 8 bits: 256 changes of 250–450 ms before the counter repeats, over a minute and a half */
#define CODE_BITS 8
#define CODE_MODULUS (1u << CODE_BITS)
#define FREEZE_MS 300 /* over this without a new frame: a freeze (issue 15) */
#define LONG_FREEZE_MS 500
#define SETTLED_MS 200      /* the latency a drop must come back under (issue 15's target) */
#define SHOWN_WAIT_MS 20000 /* for the window's last changes after it: queues of seconds */

#define SECTION_BEGIN "<!-- bench:shaped:begin -->"
#define SECTION_END "<!-- bench:shaped:end -->"

typedef struct
{
  const char *name; /* "a" */
  const char *title;
  guint kbps;
  guint queue_bytes; /* tbf's limit: the router's buffer */
  double loss;       /* of the UDP packets, at random */
  guint drop_kbps;   /* the rate for the plan's drop, 0 for none */
  gboolean video;    /* a video beside the text: more than the dropped link can carry */
} Scenario;

static const Scenario scenarios[] = {
  { "a", "600 kbit/s, 600 KB queue", 600, 600000, 0, 0 },
  /* 100 ms at 2 Mbit/s */
  { "b", "2 Mbit/s, 100 ms of queue (25 KB)", 2000, 25000, 0, 0 },
  /* 100 ms at 10 Mbit/s; the same bytes are 1 s at 1 Mbit/s */
  { "c", "10 Mbit/s, 1 Mbit/s for 20 s, 125 KB queue, a video", 10000, 125000, 0, 1000, TRUE },
  /* 100 ms of queue */
  { "d", "5 Mbit/s, 3 % random loss, 62.5 KB queue", 5000, 62500, 0.03, 0 },
};

/* Seconds from the first frame. */
typedef struct
{
  guint duration;
  guint drop_at, drop_for;
} Plan;

typedef struct
{
  const Scenario *scenario;
  VsaTestBrowser browser;
  char *label; /* "a chromium" */
  char *skipped;
  char *failed;
  char *codec;
  char *pair;        /* the page's selected candidate pair */
  double link_kbps;  /* the link's mean rate over the window */
  GArray *latencies; /* VsaBenchPoint: (change made, s; latency ms) */
  GArray *missed;    /* double: changes never shown, when made (s) */
  GArray *freezes;   /* VsaBenchPoint: (start s, end s) of each freeze */
  GArray *received;  /* VsaBenchPoint: kbit/s the page received */
  GArray *target;    /* VsaBenchPoint: the agent's target kbit/s */
  GArray *link;      /* VsaBenchPoint: the link's rate, from each change on */
  guint changes;
  double p50, p95, max;
  double delivered_kbps, fps, target_kbps;
  guint long_freezes; /* over LONG_FREEZE_MS */
  double longest_freeze_ms;
  double settled_s;      /* after the drop or the first frame; INFINITY: not by its end */
  double bitrate_back_s; /* after the link came back; INFINITY: not in the window */
  gint64 packets_lost, nacks, plis, keyframes;
  gint64 queue_sent_packets, queue_dropped; /* tbf's counters over the whole run */
  /* the anchor's: its mean bandwidth estimate, its encoder, the share of its samples
   * whose quality was limited by bandwidth and by CPU, its smallest frame width */
  double anchor_estimate_kbps;
  char *anchor_encoder;
  double anchor_bandwidth_limited, anchor_cpu_limited, anchor_min_width;
} Result;

static void
vsa_bench_shaped_result_clear (Result *result)
{
  g_free (result->label);
  g_free (result->skipped);
  g_free (result->failed);
  g_free (result->codec);
  g_free (result->pair);
  g_free (result->anchor_encoder);
  g_clear_pointer (&result->latencies, g_array_unref);
  g_clear_pointer (&result->missed, g_array_unref);
  g_clear_pointer (&result->freezes, g_array_unref);
  g_clear_pointer (&result->received, g_array_unref);
  g_clear_pointer (&result->target, g_array_unref);
  g_clear_pointer (&result->link, g_array_unref);
}

/* ---- The agent's target bitrate, from inside its namespace ---- */

/* A thread in the agent's network namespace asking its /metrics every 250 ms: over the
 * veth the requests and replies would queue on the link they measure. */
typedef struct
{
  int netns_fd;
  GThread *thread;
  GMutex lock;
  GCond wake;
  gboolean stopping; /* under lock */
  GArray *samples;   /* VsaBenchPoint (wall-clock ms, target kbit/s), under lock */
} Scraper;

/* The agent's /metrics over HTTP/1.0 on loopback, at most a second; NULL on failure. */
static char *
vsa_bench_shaped_fetch_metrics (void)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (METRICS_PORT) };
  struct timeval timeout = { 1, 0 };
  static const char request[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  g_autoptr (GString) reply = g_string_new (NULL);
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char buffer[4096];
  ssize_t n;

  if (fd < 0)
    return NULL;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (connect (fd, (struct sockaddr *) &address, sizeof address) != 0
      || write (fd, request, sizeof request - 1) != sizeof request - 1)
    {
      close (fd);
      return NULL;
    }
  while ((n = read (fd, buffer, sizeof buffer)) > 0 && reply->len < 1024 * 1024)
    g_string_append_len (reply, buffer, n);
  close (fd);
  return n == 0 ? g_string_free (g_steal_pointer (&reply), FALSE) : NULL;
}

/* A sample's value in the metrics text, or NAN. */
static double
vsa_bench_shaped_metric (const char *text, const char *name)
{
  g_autofree char *key = g_strdup_printf ("\nvm_stream_agent_%s ", name);
  const char *line = text != NULL ? strstr (text, key) : NULL;

  return line != NULL ? g_ascii_strtod (line + strlen (key), NULL) : NAN;
}

static gpointer
vsa_bench_shaped_scrape_thread (gpointer data)
{
  Scraper *self = data;
  /* this thread alone joins the agent's namespace: its sockets are made there */
  gboolean joined = setns (self->netns_fd, CLONE_NEWNET) == 0;
  gint64 next = g_get_monotonic_time ();

  if (!joined)
    g_printerr ("vsa-bench-shaped: cannot join the agent's namespace: %s\n", g_strerror (errno));
  g_mutex_lock (&self->lock);
  while (joined && !self->stopping)
    {
      g_autofree char *text = NULL;
      double target;

      g_mutex_unlock (&self->lock);
      text = vsa_bench_shaped_fetch_metrics ();
      target = vsa_bench_shaped_metric (text, "bitrate_target_bits_per_second");
      g_mutex_lock (&self->lock);
      /* 0 before the session starts */
      if (target > 0)
        g_array_append_val (self->samples,
                            ((VsaBenchPoint){ g_get_real_time () / 1000.0, target / 1000 }));
      next += 250 * 1000;
      if (!self->stopping)
        g_cond_wait_until (&self->wake, &self->lock, next);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

static Scraper *
vsa_bench_shaped_scraper_start (GSubprocess *agent, GError **error)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/ns/net", g_subprocess_get_identifier (agent));
  Scraper *self;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", path,
                   g_strerror (errno));
      return NULL;
    }
  self = g_new0 (Scraper, 1);
  self->netns_fd = fd;
  g_mutex_init (&self->lock);
  g_cond_init (&self->wake);
  self->samples = g_array_new (FALSE, FALSE, sizeof (VsaBenchPoint));
  self->thread = g_thread_new ("vsa-bench-scrape", vsa_bench_shaped_scrape_thread, self);
  return self;
}

/* Stops the thread; the samples so far. */
static GArray *
vsa_bench_shaped_scraper_stop (Scraper *self)
{
  GArray *samples;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);
  close (self->netns_fd);
  samples = self->samples;
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->wake);
  g_free (self);
  return samples;
}

/* ---- The anchor: libwebrtc's sender in the agent's place ---- */

static gboolean anchor; /* --anchor */

/* What the sender page (bench/anchor-sender.html) posted to /anchor/stats. */
typedef struct
{
  GPtrArray *samples; /* JsonObject */
  char *error;
} Anchor;

static void
vsa_bench_shaped_anchor_post (Anchor *self, SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *post;
  JsonArray *samples;

  if (!json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      return;
    }
  post = json_node_get_object (json_parser_get_root (parser));
  if (json_object_has_member (post, "error") && self->error == NULL)
    self->error = g_strdup (json_object_get_string_member_with_default (post, "error", "?"));
  samples = vsa_bench_json_array (post, "samples");
  for (guint i = 0; i < vsa_bench_json_length (samples); i++)
    {
      JsonNode *sample = json_array_get_element (samples, i);

      if (JSON_NODE_HOLDS_OBJECT (sample))
        g_ptr_array_add (self->samples, json_object_ref (json_node_get_object (sample)));
    }
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
vsa_bench_shaped_anchor_callback (SoupServer *server, SoupServerMessage *msg, const char *path,
                                  GHashTable *query, gpointer user_data)
{
  const char *method = soup_server_message_get_method (msg);

  if (g_str_equal (path, "/anchor/sender.html") && g_str_equal (method, "GET"))
    {
      g_autofree char *file
          = g_build_filename (VSA_BENCH_SOURCE_ROOT, "bench", "anchor-sender.html", NULL);
      char *page = NULL;
      gsize length = 0;

      if (!g_file_get_contents (file, &page, &length, NULL))
        {
          soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
          return;
        }
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_TAKE, page, length);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    }
  else if (g_str_equal (path, "/anchor/stats") && g_str_equal (method, "POST"))
    vsa_bench_shaped_anchor_post (user_data, msg);
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

/* The sender's targetBitrate as (wall-clock ms, kbit/s), as the agent's target is. */
static GArray *
vsa_bench_shaped_anchor_targets (Anchor *self)
{
  GArray *points = g_array_new (FALSE, FALSE, sizeof (VsaBenchPoint));

  for (guint i = 0; i < self->samples->len; i++)
    {
      JsonObject *sample = self->samples->pdata[i];
      double target = vsa_bench_json_double (sample, "target");

      if (target > 0)
        g_array_append_val (
            points, ((VsaBenchPoint){ vsa_bench_json_double (sample, "t"), target / 1000 }));
    }
  return points;
}

/* Over the window: the mean bandwidth estimate, the encoder, what limited the quality. */
static void
vsa_bench_shaped_anchor_summary (Anchor *self, double t0_ms, double end_ms, Result *result)
{
  double estimate = 0;
  guint n = 0, n_estimate = 0, bandwidth = 0, cpu = 0;

  result->anchor_min_width = INFINITY;
  for (guint i = 0; i < self->samples->len; i++)
    {
      JsonObject *sample = self->samples->pdata[i];
      double t = vsa_bench_json_double (sample, "t");
      double available = vsa_bench_json_double (sample, "available");
      double width = vsa_bench_json_double (sample, "frameWidth");
      const char *limitation
          = json_object_get_string_member_with_default (sample, "limitation", "");

      if (t < t0_ms || t > end_ms)
        continue;
      n++;
      if (!isnan (available))
        {
          estimate += available / 1000;
          n_estimate++;
        }
      if (!isnan (width))
        result->anchor_min_width = MIN (result->anchor_min_width, width);
      bandwidth += g_str_equal (limitation, "bandwidth") ? 1 : 0;
      cpu += g_str_equal (limitation, "cpu") ? 1 : 0;
      if (result->anchor_encoder == NULL)
        result->anchor_encoder
            = g_strdup (json_object_get_string_member_with_default (sample, "encoder", NULL));
    }
  result->anchor_estimate_kbps = n_estimate > 0 ? estimate / n_estimate : NAN;
  result->anchor_bandwidth_limited = n > 0 ? 100.0 * bandwidth / n : NAN;
  result->anchor_cpu_limited = n > 0 ? 100.0 * cpu / n : NAN;
}

/* ---- One run ---- */

/* Cleared on every path: the browser first so that the agent sees its peer go, the
 * screen last. The agent's namespace and veth go with the agent. */
typedef struct
{
  char *dir;
  VsaTestXvfb *xvfb;
  VsaBenchScreen *screen;
  VsaTestController *controller;
  char *url;
  GSubprocess *agent;
  char *agent_log;
  GSubprocess *browser;
  char *browser_log;
  Scraper *scraper;
  Anchor anchor; /* with --anchor; the sender (Chromium) is in agent's place */
} Run;

static void
vsa_bench_shaped_run_clear (Run *run, gboolean failed)
{
  vsa_bench_stop_process (&run->browser, run->browser_log, failed);
  if (run->scraper != NULL)
    g_array_unref (vsa_bench_shaped_scraper_stop (g_steal_pointer (&run->scraper)));
  vsa_bench_stop_process (&run->agent, run->agent_log, failed);
  g_clear_pointer (&run->controller, vsa_test_controller_free);
  g_clear_pointer (&run->anchor.samples, g_ptr_array_unref);
  g_clear_pointer (&run->anchor.error, g_free);
  g_clear_pointer (&run->screen, vsa_bench_screen_free);
  g_clear_pointer (&run->xvfb, vsa_test_xvfb_free);
  /* VSA_BENCH_KEEP=1: the run's directory (the agent's and browser's logs) stays */
  if (run->dir != NULL && g_strcmp0 (g_getenv ("VSA_BENCH_KEEP"), "1") == 0)
    g_printerr ("vsa-bench-shaped: kept %s\n", run->dir);
  else if (run->dir != NULL)
    vsa_test_rm_rf (run->dir);
  g_clear_pointer (&run->dir, g_free);
  g_clear_pointer (&run->url, g_free);
  g_clear_pointer (&run->agent_log, g_free);
  g_clear_pointer (&run->browser_log, g_free);
}

/* tbf's parameters for a rate: a burst of 4 ms at that rate, at least two full packets
 * (a smaller one cannot pass a packet), and the scenario's queue. */
static char *
vsa_bench_shaped_tbf (guint kbps, guint queue_bytes)
{
  guint burst = MAX (kbps * 1000 / 8 * 4 / 1000, 3028);

  return g_strdup_printf ("rate %ukbit burst %u limit %u", kbps, burst, queue_bytes);
}

/* The router's namespace, held by the agent's descriptor 3 (bench/shaped-link-run). */
static char *
vsa_bench_shaped_router_netns (Run *run)
{
  return g_strdup_printf ("--net=/proc/%s/fd/3", g_subprocess_get_identifier (run->agent));
}

/* The link's rate changed under the agent, as a router's would. */
static gboolean
vsa_bench_shaped_set_rate (Run *run, const Scenario *scenario, guint kbps, GError **error)
{
  g_autofree char *netns = vsa_bench_shaped_router_netns (run);
  g_autofree char *tbf = vsa_bench_shaped_tbf (kbps, scenario->queue_bytes);
  g_autofree char *command
      = g_strdup_printf ("nsenter %s tc qdisc change dev vsabr0 root tbf %s", netns, tbf);
  g_auto (GStrv) argv = g_strsplit (command, " ", -1);

  return vsa_test_run ((const char *const *) argv, 5000, error);
}

/* The router's tbf counters: packets sent, and dropped because its queue was full. */
static gboolean
vsa_bench_shaped_queue_counters (Run *run, gint64 *sent, gint64 *dropped)
{
  g_autofree char *netns = vsa_bench_shaped_router_netns (run);
  const char *argv[] = { "nsenter", netns, "tc", "-s", "qdisc", "show", "dev", "vsabr0", NULL };
  g_autofree char *out = NULL;
  g_autoptr (GSubprocess) tc = g_subprocess_newv (
      argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, NULL);
  const char *counters;

  if (tc == NULL || !g_subprocess_communicate_utf8 (tc, NULL, NULL, &out, NULL, NULL)
      || (counters = strstr (out, " bytes ")) == NULL)
    return FALSE;
  /* " Sent 90 bytes 1 pkt (dropped 0, overlimits 0 requeues 0)" */
  return sscanf (counters, " bytes %" G_GINT64_FORMAT " pkt (dropped %" G_GINT64_FORMAT, sent,
                 dropped)
         == 2;
}

/* Streaming, the counter read, and the path known. */
static gboolean
vsa_bench_shaped_report_ready (JsonObject *report, gpointer user_data)
{
  JsonObject *bench = vsa_bench_json_object (report, "bench");

  return json_object_get_int_member_with_default (report, "frames", 0) >= 5
         && json_object_get_string_member_with_default (report, "codec", NULL) != NULL
         && vsa_bench_json_object (report, "selectedPair") != NULL
         && vsa_bench_json_length (vsa_bench_json_array (bench, "transitions")) >= 2;
}

typedef struct
{
  double end_ms;
  guint after_value; /* the first change made after the window */
} TailWait;

/* The page has stats past the window and shows a change made after it: every change of
 * the window it ever shows is in. */
static gboolean
vsa_bench_shaped_report_past (JsonObject *report, gpointer user_data)
{
  TailWait *wait = user_data;
  JsonObject *bench = vsa_bench_json_object (report, "bench");
  JsonArray *stats = vsa_bench_json_array (bench, "stats");
  JsonArray *transitions = vsa_bench_json_array (bench, "transitions");
  guint n_stats = vsa_bench_json_length (stats), n = vsa_bench_json_length (transitions);
  guint value;

  if (n_stats == 0 || n == 0
      || vsa_bench_json_double (json_array_get_object_element (stats, n_stats - 1), "t")
             < wait->end_ms)
    return FALSE;
  value
      = (guint) vsa_bench_json_double (json_array_get_object_element (transitions, n - 1), "value");
  return (value - wait->after_value) % CODE_MODULUS < CODE_MODULUS / 4;
}

typedef struct
{
  VsaBenchScreen *screen;
  gint64 end_us;
} SwitchWait;

/* The screen made a change after the window. */
static gboolean
vsa_bench_shaped_switched_after (gpointer user_data)
{
  SwitchWait *wait = user_data;
  g_autoptr (GArray) switches = vsa_bench_screen_dup_switches (wait->screen);

  return switches->len > 0
         && g_array_index (switches, VsaBenchSwitch, switches->len - 1).time_us > wait->end_us;
}

static int
vsa_bench_shaped_compare (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Each switch made in the window matched to the first frame that showed its value: the
 * latencies, and the switches never shown. */
static void
vsa_bench_shaped_match (GArray *switches, JsonArray *transitions, double t0_ms, double end_ms,
                        Result *result)
{
  g_autoptr (GArray) sorted = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < switches->len; i++)
    {
      VsaBenchSwitch *change = &g_array_index (switches, VsaBenchSwitch, i);
      double made_ms = change->time_us / 1000.0;
      double latency = NAN;

      if (made_ms < t0_ms || made_ms > end_ms)
        continue;
      result->changes++;
      for (guint j = 0; j < vsa_bench_json_length (transitions) && isnan (latency); j++)
        {
          JsonObject *seen = json_array_get_object_element (transitions, j);
          double shown_ms = vsa_bench_json_double (seen, "presented");

          /* the counter repeats after 256 changes: one of the last minute's */
          if ((guint) vsa_bench_json_double (seen, "value") == change->value % CODE_MODULUS
              && shown_ms >= made_ms && shown_ms - made_ms < 60000)
            latency = shown_ms - made_ms;
        }
      if (isnan (latency))
        {
          double made_s = (made_ms - t0_ms) / 1000;

          g_array_append_val (result->missed, made_s);
          continue;
        }
      g_array_append_val (result->latencies,
                          ((VsaBenchPoint){ (made_ms - t0_ms) / 1000, latency }));
      g_array_append_val (sorted, latency);
    }
  g_array_sort (sorted, vsa_bench_shaped_compare);
  result->p50 = vsa_bench_quantile ((double *) sorted->data, sorted->len, 0.5);
  result->p95 = vsa_bench_quantile ((double *) sorted->data, sorted->len, 0.95);
  result->max = vsa_bench_quantile ((double *) sorted->data, sorted->len, 1);
}

/* From from_s, how long until every change up to to_s was shown within SETTLED_MS:
 * the time of the first good change after the last bad one (0 if none was bad);
 * INFINITY when the last one was bad. */
static double
vsa_bench_shaped_settled (const Result *result, double from_s, double to_s)
{
  double last_bad = -1, settled = 0;
  gboolean any = FALSE;

  for (guint i = 0; i < result->missed->len; i++)
    {
      double t = g_array_index (result->missed, double, i);

      if (t >= from_s && t <= to_s)
        last_bad = MAX (last_bad, t);
    }
  for (guint i = 0; i < result->latencies->len; i++)
    {
      VsaBenchPoint *p = &g_array_index (result->latencies, VsaBenchPoint, i);

      if (p->t >= from_s && p->t <= to_s && p->v > SETTLED_MS)
        last_bad = MAX (last_bad, p->t);
    }
  if (last_bad < 0)
    return 0;
  for (guint i = 0; i < result->latencies->len; i++)
    {
      VsaBenchPoint *p = &g_array_index (result->latencies, VsaBenchPoint, i);

      if (p->t > last_bad && p->t <= to_s && (!any || p->t < settled))
        {
          settled = p->t;
          any = TRUE;
        }
    }
  return any ? settled - from_s : INFINITY;
}

/* The page's inbound-rtp samples over the window: rates, and the received kbit/s over
 * time. */
static gboolean
vsa_bench_shaped_stats (JsonArray *stats, double t0_ms, double end_ms, Result *result)
{
  JsonObject *first = NULL, *last = NULL, *previous = NULL;
  double seconds;

  for (guint i = 0; i < vsa_bench_json_length (stats); i++)
    {
      JsonObject *sample = json_array_get_object_element (stats, i);
      double t = vsa_bench_json_double (sample, "t");

      if (t < t0_ms || t > end_ms)
        continue;
      first = first != NULL ? first : sample;
      last = sample;
      if (previous != NULL)
        {
          double dt = t - vsa_bench_json_double (previous, "t");
          double bytes = vsa_bench_json_double (sample, "bytesReceived")
                         - vsa_bench_json_double (previous, "bytesReceived");

          if (dt > 0)
            g_array_append_val (result->received,
                                ((VsaBenchPoint){ (t - t0_ms) / 1000, bytes * 8 / dt }));
        }
      previous = sample;
    }
  if (first == NULL || first == last)
    return FALSE;
#define DELTA(name) (vsa_bench_json_double (last, name) - vsa_bench_json_double (first, name))
  seconds = DELTA ("t") / 1000;
  result->delivered_kbps = DELTA ("bytesReceived") * 8 / 1000 / seconds;
  result->fps = DELTA ("framesDecoded") / seconds;
  result->keyframes = (gint64) DELTA ("keyFramesDecoded");
  result->packets_lost = (gint64) DELTA ("packetsLost");
  result->nacks = (gint64) DELTA ("nackCount");
  result->plis = (gint64) DELTA ("pliCount");
#undef DELTA
  return TRUE;
}

static void
vsa_bench_shaped_freezes (JsonArray *gaps, double t0_ms, double end_ms, Result *result)
{
  for (guint i = 0; i < vsa_bench_json_length (gaps); i++)
    {
      JsonObject *gap = json_array_get_object_element (gaps, i);
      double from = vsa_bench_json_double (gap, "from"), to = vsa_bench_json_double (gap, "to");

      if (from < t0_ms || from > end_ms || to - from <= FREEZE_MS)
        continue;
      g_array_append_val (result->freezes,
                          ((VsaBenchPoint){ (from - t0_ms) / 1000, (to - t0_ms) / 1000 }));
      result->longest_freeze_ms = MAX (result->longest_freeze_ms, to - from);
      result->long_freezes += to - from > LONG_FREEZE_MS ? 1 : 0;
    }
}

/* The agent's target over the window, its mean, and for a drop how long after the link
 * came back the target took to reach 90 % of its median over the 10 s before the drop. */
static void
vsa_bench_shaped_target (GArray *samples, double t0_ms, const Plan *plan, gboolean drop,
                         Result *result)
{
  g_autoptr (GArray) before = g_array_new (FALSE, FALSE, sizeof (double));
  double sum = 0, back_s = plan->drop_at + plan->drop_for, pre;
  guint n = 0;

  result->bitrate_back_s = NAN;
  for (guint i = 0; i < samples->len; i++)
    {
      VsaBenchPoint *p = &g_array_index (samples, VsaBenchPoint, i);
      double t = (p->t - t0_ms) / 1000;

      if (t < 0 || t > plan->duration)
        continue;
      g_array_append_val (result->target, ((VsaBenchPoint){ t, p->v }));
      sum += p->v;
      n++;
      if (t >= plan->drop_at - 10.0 && t < plan->drop_at)
        g_array_append_val (before, p->v);
    }
  result->target_kbps = n > 0 ? sum / n : NAN;
  if (!drop || before->len == 0)
    return;
  g_array_sort (before, vsa_bench_shaped_compare);
  pre = vsa_bench_quantile ((double *) before->data, before->len, 0.5);
  result->bitrate_back_s = INFINITY;
  for (guint i = 0; i < result->target->len; i++)
    {
      VsaBenchPoint *p = &g_array_index (result->target, VsaBenchPoint, i);

      if (p->t >= back_s && p->v >= 0.9 * pre)
        {
          result->bitrate_back_s = p->t - back_s;
          break;
        }
    }
}

/* Serves the main context until the wall clock reads wall_ms. */
static void
vsa_bench_shaped_pause_until (double wall_ms)
{
  double now_ms = g_get_real_time () / 1000.0;

  if (wall_ms > now_ms)
    vsa_bench_pause ((guint) (wall_ms - now_ms));
}

/* The link's rate from t (s from the first frame) on, for the plot. */
static void
vsa_bench_shaped_note_link (Result *result, double t, guint kbps)
{
  g_array_append_val (result->link, ((VsaBenchPoint){ t, kbps }));
}

/* With VSA_BENCH_KEEP=1, node into the run's directory (the page's last report, the
 * anchor's samples), for a closer look. */
static void
vsa_bench_shaped_keep_json (Run *run, JsonNode *node, const char *name)
{
  g_autofree char *path = g_build_filename (run->dir, name, NULL);
  g_autofree char *text = NULL;

  if (g_strcmp0 (g_getenv ("VSA_BENCH_KEEP"), "1") != 0)
    return;
  text = json_to_string (node, FALSE);
  if (!g_file_set_contents (path, text, -1, NULL))
    g_printerr ("vsa-bench-shaped: cannot write %s\n", path);
}

/* The anchor's Chromium in the VM's namespace (shaped-link-run's command, as the agent
 * is), a window on the bench's screen, off its right edge so that it covers nothing
 * captured; its page picks the whole screen without a dialog. */
static GSubprocess *
vsa_bench_shaped_start_anchor (Run *run, const char *parent, const char *tbf, const char *loss,
                               GError **error)
{
  g_autofree char *program = vsa_test_browser_find (VSA_TEST_BROWSER_CHROMIUM);
  g_autofree char *dir = g_build_filename (run->dir, "anchor", NULL);
  g_autofree char *profile = g_build_filename (dir, "profile", NULL);
  g_autofree char *home = g_strconcat ("HOME=", dir, NULL);
  g_autofree char *cache = g_strconcat ("XDG_CACHE_HOME=", dir, "/cache", NULL);
  g_autofree char *config = g_strconcat ("XDG_CONFIG_HOME=", dir, "/config", NULL);
  g_autofree char *display = g_strconcat ("DISPLAY=", run->xvfb->display, NULL);
  g_autofree char *user_data_dir = g_strconcat ("--user-data-dir=", profile, NULL);
  g_autofree char *secure
      = g_strconcat ("--unsafely-treat-insecure-origin-as-secure=", run->url, NULL);
  g_autofree char *app = g_strdup_printf (
      "--app=%s/anchor/sender.html?session=" SESSION_ID "&fps=%d", run->url, FPS);
  g_autofree char *position = g_strdup_printf ("--window-position=%d,0", WIDTH);
  GSubprocess *sender;

  if (program == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "the anchor needs Chromium, which is not installed");
      return NULL;
    }
  if (g_mkdir_with_parents (profile, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", profile,
                   g_strerror (errno));
      return NULL;
    }
  {
    const char *argv[] = {
      VSA_BENCH_SHAPED_LINK_RUN, parent, tbf, loss, "--", "env", home, cache, config, display,
      "G_DEBUG=", program, "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-breakpad", "--password-store=basic", "--test-type", user_data_dir,
      /* plain host addresses: 198.19.0.2 is the sender's one */
      "--disable-features=WebRtcHideLocalIpsWithMdns",
      /* getDisplayMedia wants a secure context, and no dialog */
      secure, "--use-fake-ui-for-media-stream",
      "--auto-select-desktop-capture-source=Entire screen",
      /* a window off the screen is not a background one */
      "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
      "--disable-backgrounding-occluded-windows", position, "--window-size=320,240", app, NULL
    };

    /* it polls the offer as the agent does: the same wait */
    sender = vsa_bench_start_agent (run->controller, argv, run->agent_log, error);
  }
  if (sender == NULL && run->anchor.error != NULL)
    g_prefix_error (error, "the anchor's page: %s; ", run->anchor.error);
  return sender;
}

static gboolean
vsa_bench_shaped_run (Run *run, const Plan *plan, guint32 seed, const char *program, Result *result,
                      GError **error)
{
  const Scenario *scenario = result->scenario;
  g_autofree char *parent = g_strdup_printf ("%d", getpid ());
  g_autofree char *tbf = vsa_bench_shaped_tbf (scenario->kbps, scenario->queue_bytes);
  char loss[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *controller_arg = NULL;
  g_autofree char *display_arg = NULL;
  g_autofree char *page_url = NULL;
  g_autofree char *browser_dir = NULL;
  g_autoptr (JsonNode) report = NULL;
  g_autoptr (GArray) switches = NULL;
  g_autoptr (GArray) samples = NULL;
  JsonObject *page, *bench, *remote;
  double t0_ms, end_ms;
  gboolean drop = scenario->drop_kbps != 0;
  SwitchWait switch_wait;
  TailWait tail;

  run->dir = g_dir_make_tmp ("vsa-bench-shaped-XXXXXX", error);
  if (run->dir == NULL)
    return FALSE;
  run->agent_log = g_build_filename (run->dir, "agent.log", NULL);
  run->browser_log = g_build_filename (run->dir, "browser.log", NULL);
  browser_dir = g_build_filename (run->dir, "browser", NULL);
  /* Chromium's X11 screen capturer fails to select Xvfb's XRandR monitor ("Could not
   * start video source"); without XRandR it takes the whole screen. */
  run->xvfb = vsa_test_xvfb_start_with (
      WIDTH, HEIGHT, anchor ? (const char *const[]){ "-extension", "RANDR", NULL } : NULL, error);
  if (run->xvfb == NULL)
    return FALSE;
  run->screen = vsa_bench_screen_start_coded (run->xvfb->display, WIDTH, HEIGHT, TRUE, seed,
                                              CODE_BITS, scenario->video, error);
  if (run->screen == NULL)
    return FALSE;
  run->controller = vsa_test_controller_new (CONTROLLER_ADDRESS, 0, VSA_BENCH_VIEWER_DIR, error);
  if (run->controller == NULL)
    return FALSE;
  run->url = vsa_test_controller_get_url (run->controller);
  run->anchor.samples = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  vsa_test_controller_add_handler (run->controller, "/anchor", vsa_bench_shaped_anchor_callback,
                                   &run->anchor);

  g_ascii_dtostr (loss, sizeof loss, scenario->loss);
  controller_arg = g_strconcat ("--controller-url=", run->url, NULL);
  display_arg = g_strconcat ("--display=", run->xvfb->display, NULL);
  {
    const char *argv[] = { VSA_BENCH_SHAPED_LINK_RUN,
                           parent,
                           tbf,
                           loss,
                           "--",
                           VSA_BENCH_AGENT_BIN,
                           "--session-id=" SESSION_ID,
                           controller_arg,
                           display_arg,
                           "--fps=" G_STRINGIFY (FPS),
                           "--metrics-listen=127.0.0.1:" G_STRINGIFY (METRICS_PORT),
                           NULL };

    if (anchor)
      run->agent = vsa_bench_shaped_start_anchor (run, parent, tbf, loss, error);
    else
      run->agent = vsa_bench_start_agent (run->controller, argv, run->agent_log, error);
  }
  if (run->agent == NULL)
    return FALSE;
  if (!anchor && (run->scraper = vsa_bench_shaped_scraper_start (run->agent, error)) == NULL)
    return FALSE;

  page_url = g_strdup_printf ("%s/?session=" SESSION_ID "&report=" REPORT_ID
                              "&bench=1&patchx=%d&patchy=%d&patchsize=%d&codebits=%d",
                              run->url, VSA_BENCH_PATCH_X, VSA_BENCH_PATCH_Y,
                              VSA_BENCH_PATCH_SIZE / 2, CODE_BITS);
  run->browser = vsa_test_browser_start (result->browser, program, page_url, browser_dir, FALSE,
                                         run->browser_log, error);
  if (run->browser == NULL)
    return FALSE;
  if (!vsa_test_wait_for_report (run->controller, REPORT_ID, run->agent,
                                 vsa_bench_shaped_report_ready, NULL, 60000, &report, error))
    {
      g_prefix_error (error, "no video of the counter from the page: ");
      return FALSE;
    }
  page = json_node_get_object (report);
  result->codec = g_strdup (json_object_get_string_member_with_default (page, "codec", "?"));
  /* Media that did not cross the shaped veth would make the run meaningless. */
  remote = vsa_bench_json_object (vsa_bench_json_object (page, "selectedPair"), "remote");
  result->pair = g_strdup_printf (
      "%s → %s",
      json_object_get_string_member_with_default (
          vsa_bench_json_object (vsa_bench_json_object (page, "selectedPair"), "local"), "address",
          "?"),
      json_object_get_string_member_with_default (remote, "address", "?"));
  if (g_strcmp0 (json_object_get_string_member_with_default (remote, "address", NULL), VM_ADDRESS)
      != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "the media's path is %s, not from the agent's " VM_ADDRESS, result->pair);
      return FALSE;
    }
  t0_ms = vsa_bench_json_double (vsa_bench_json_object (page, "wallTimes"), "firstFrame");
  if (isnan (t0_ms))
    t0_ms = g_get_real_time () / 1000.0;
  end_ms = t0_ms + plan->duration * 1000.0;
  g_printerr ("%s: streaming (%s), %u s\n", result->label, result->codec, plan->duration);

  vsa_bench_shaped_note_link (result, 0, scenario->kbps);
  if (drop)
    {
      vsa_bench_shaped_pause_until (t0_ms + plan->drop_at * 1000.0);
      if (!vsa_bench_shaped_set_rate (run, scenario, scenario->drop_kbps, error))
        return FALSE;
      vsa_bench_shaped_note_link (result, plan->drop_at, scenario->drop_kbps);
      vsa_bench_shaped_pause_until (t0_ms + (plan->drop_at + plan->drop_for) * 1000.0);
      if (!vsa_bench_shaped_set_rate (run, scenario, scenario->kbps, error))
        return FALSE;
      vsa_bench_shaped_note_link (result, plan->drop_at + plan->drop_for, scenario->kbps);
      result->link_kbps = (scenario->kbps * (plan->duration - plan->drop_for)
                           + scenario->drop_kbps * plan->drop_for)
                          / (double) plan->duration;
    }
  else
    result->link_kbps = scenario->kbps;
  vsa_bench_shaped_pause_until (end_ms);

  /* The window's last changes may still be queued: wait until a later one is shown. */
  switch_wait = (SwitchWait){ run->screen, (gint64) (end_ms * 1000) };
  vsa_test_wait_until (vsa_bench_shaped_switched_after, &switch_wait, 2000);
  switches = vsa_bench_screen_dup_switches (run->screen);
  tail.end_ms = end_ms;
  tail.after_value
      = g_array_index (switches, VsaBenchSwitch, switches->len - 1).value % CODE_MODULUS;
  g_clear_pointer (&report, json_node_unref);
  if (!vsa_test_wait_for_report (run->controller, REPORT_ID, run->agent,
                                 vsa_bench_shaped_report_past, &tail, SHOWN_WAIT_MS, &report,
                                 error))
    {
      if (report == NULL || !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          g_prefix_error (error, "the page's report after the window: ");
          return FALSE;
        }
      /* the stream stalled: what it never showed counts as never shown */
      g_printerr ("%s: no change after the window shown within %u s\n", result->label,
                  SHOWN_WAIT_MS / 1000);
      g_clear_error (error);
    }
  if (!vsa_bench_shaped_queue_counters (run, &result->queue_sent_packets, &result->queue_dropped))
    result->queue_sent_packets = result->queue_dropped = -1;
  samples = anchor ? vsa_bench_shaped_anchor_targets (&run->anchor)
                   : vsa_bench_shaped_scraper_stop (g_steal_pointer (&run->scraper));
  if (anchor)
    vsa_bench_shaped_anchor_summary (&run->anchor, t0_ms, end_ms, result);

  bench = vsa_bench_json_object (json_node_get_object (report), "bench");
  vsa_bench_shaped_keep_json (run, report, "page.json");
  if (anchor)
    {
      g_autoptr (JsonArray) kept = json_array_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

      for (guint i = 0; i < run->anchor.samples->len; i++)
        json_array_add_object_element (kept, json_object_ref (run->anchor.samples->pdata[i]));
      json_node_set_array (node, kept);
      vsa_bench_shaped_keep_json (run, node, "anchor.json");
    }
  g_clear_pointer (&switches, g_array_unref);
  switches = vsa_bench_screen_dup_switches (run->screen);
  vsa_bench_shaped_match (switches, vsa_bench_json_array (bench, "transitions"), t0_ms, end_ms,
                          result);
  if (!vsa_bench_shaped_stats (vsa_bench_json_array (bench, "stats"), t0_ms, end_ms, result))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "the page sent no stats during the window");
      return FALSE;
    }
  vsa_bench_shaped_freezes (vsa_bench_json_array (bench, "gaps"), t0_ms, end_ms, result);
  vsa_bench_shaped_target (samples, t0_ms, plan, drop, result);
  result->settled_s
      = drop ? vsa_bench_shaped_settled (result, plan->drop_at, plan->drop_at + plan->drop_for)
             : vsa_bench_shaped_settled (result, 0, plan->duration);
  return TRUE;
}

static void
vsa_bench_shaped_run_one (const Plan *plan, guint32 seed, Result *result)
{
  g_autofree char *program = vsa_test_browser_find (result->browser);
  g_autoptr (GError) error = NULL;
  Run run = { 0 };
  gboolean ok;

  if (program == NULL)
    {
      result->skipped
          = g_strdup_printf ("%s is not installed", vsa_test_browser_name (result->browser));
      g_printerr ("%s: skipped: %s\n", result->label, result->skipped);
      return;
    }
  ok = vsa_bench_shaped_run (&run, plan, seed, program, result, &error);
  if (!ok)
    {
      result->failed = g_strdup (error->message);
      g_printerr ("%s: failed: %s\n", result->label, result->failed);
    }
  vsa_bench_shaped_run_clear (&run, !ok);
}

/* ---- The report ---- */

static char *
vsa_bench_shaped_number (double value, int decimals)
{
  if (isinf (value))
    return g_strdup ("never");
  return isnan (value) ? g_strdup ("-") : g_strdup_printf ("%.*f", decimals, value);
}

static gboolean
vsa_bench_shaped_ran (const Result *result)
{
  return result->skipped == NULL && result->failed == NULL;
}

static char *
vsa_bench_shaped_table (Result *results, guint n_results)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  static const char *const header[] = { "scenario",
                                        "browser",
                                        "codec",
                                        "link kbit/s",
                                        "g2g p50 ms",
                                        "p95",
                                        "max",
                                        "changes (never shown)",
                                        "delivered kbit/s",
                                        "of the link",
                                        "target kbit/s",
                                        "fps",
                                        "freezes > 300 ms (> 500)",
                                        "longest ms",
                                        "settled s",
                                        "bitrate back s",
                                        "packets lost",
                                        "queue drops" };
  GPtrArray *row = g_ptr_array_new_with_free_func (g_free);

  for (guint c = 0; c < G_N_ELEMENTS (header); c++)
    g_ptr_array_add (row, g_strdup (header[c]));
  g_ptr_array_add (rows, row);
  for (guint i = 0; i < n_results; i++)
    {
      Result *r = &results[i];

      if (!vsa_bench_shaped_ran (r))
        continue;
      row = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (row, g_strdup_printf ("(%s) %s", r->scenario->name, r->scenario->title));
      /* the anchor's rows say so: they are not the agent's */
      g_ptr_array_add (row, g_strdup_printf ("%s%s", vsa_test_browser_name (r->browser),
                                             anchor ? " ← anchor" : ""));
      g_ptr_array_add (row, g_strdup (r->codec + (g_str_has_prefix (r->codec, "video/") ? 6 : 0)));
      g_ptr_array_add (row, vsa_bench_shaped_number (r->link_kbps, 0));
      g_ptr_array_add (row, vsa_bench_shaped_number (r->p50, 0));
      g_ptr_array_add (row, vsa_bench_shaped_number (r->p95, 0));
      g_ptr_array_add (row, vsa_bench_shaped_number (r->max, 0));
      g_ptr_array_add (row, g_strdup_printf ("%u (%u)", r->changes, r->missed->len));
      g_ptr_array_add (row, vsa_bench_shaped_number (r->delivered_kbps, 0));
      g_ptr_array_add (row, g_strdup_printf ("%.0f %%", 100 * r->delivered_kbps / r->link_kbps));
      g_ptr_array_add (row, vsa_bench_shaped_number (r->target_kbps, 0));
      g_ptr_array_add (row, vsa_bench_shaped_number (r->fps, 1));
      g_ptr_array_add (row, g_strdup_printf ("%u (%u)", r->freezes->len, r->long_freezes));
      g_ptr_array_add (row, vsa_bench_shaped_number (r->longest_freeze_ms, 0));
      g_ptr_array_add (row, vsa_bench_shaped_number (r->settled_s, 1));
      g_ptr_array_add (row, vsa_bench_shaped_number (r->bitrate_back_s, 1));
      g_ptr_array_add (row, g_strdup_printf ("%" G_GINT64_FORMAT, r->packets_lost));
      g_ptr_array_add (row, r->queue_dropped >= 0
                                ? g_strdup_printf ("%" G_GINT64_FORMAT, r->queue_dropped)
                                : g_strdup ("-"));
      g_ptr_array_add (rows, row);
    }
  return vsa_bench_format_table (rows);
}

static char *
vsa_bench_shaped_notes (Result *results, guint n_results)
{
  GString *notes = g_string_new (NULL);

  for (guint i = 0; i < n_results; i++)
    {
      Result *r = &results[i];

      if (r->skipped != NULL)
        g_string_append_printf (notes, "- %s: skipped: %s\n", r->label, r->skipped);
      else if (r->failed != NULL)
        g_string_append_printf (notes, "- %s: failed: %s\n", r->label, r->failed);
      else
        g_string_append_printf (notes,
                                "- %s: media %s; %" G_GINT64_FORMAT " NACKs, %" G_GINT64_FORMAT
                                " PLIs, %" G_GINT64_FORMAT " keyframes decoded in the window; "
                                "the queue passed %" G_GINT64_FORMAT " packets over the run.\n",
                                r->label, r->pair, r->nacks, r->plis, r->keyframes,
                                r->queue_sent_packets);
      if (r->skipped == NULL && r->failed == NULL && anchor)
        g_string_append_printf (notes,
                                "  - the anchor: encoder %s, bandwidth estimate %.0f kbit/s on "
                                "average, quality limited by bandwidth in %.0f %% of its samples "
                                "and by CPU in %.0f %%, frames %.0f pixels wide at the least\n",
                                r->anchor_encoder != NULL ? r->anchor_encoder : "?",
                                r->anchor_estimate_kbps, r->anchor_bandwidth_limited,
                                r->anchor_cpu_limited, r->anchor_min_width);
    }
  return g_string_free (notes, FALSE);
}

static char *
vsa_bench_shaped_plan_description (const Plan *plan)
{
  return g_strdup_printf (
      "Each run: %u s from the first frame, 1280x720@30 moving content; in (c) the link drops "
      "at %u s for %u s. %s",
      plan->duration, plan->drop_at, plan->drop_for,
      anchor ? "The sender: the anchor, libwebrtc in Chromium (bench/anchor-sender.html), not "
               "the agent; target kbit/s is its outbound-rtp targetBitrate."
             : "The agent at its defaults.");
}

/* One SVG per scenario, a run per browser. */
static gboolean
vsa_bench_shaped_write_plots (Result *results, guint n_results, const Plan *plan, GString *section,
                              GError **error)
{
  for (guint s = 0; s < G_N_ELEMENTS (scenarios); s++)
    {
      VsaBenchTimeline runs[2];
      VsaBenchLine lines[2][3];
      double marks[2] = { plan->drop_at, plan->drop_at + plan->drop_for };
      guint n_runs = 0;
      g_autofree char *title = NULL;
      g_autofree char *svg = NULL;
      g_autofree char *name = g_strdup_printf ("shaped-%s.svg", scenarios[s].name);
      g_autofree char *path = g_build_filename (VSA_BENCH_SOURCE_ROOT, "bench", name, NULL);
      char *titles[2] = { NULL, NULL };

      for (guint i = 0; i < n_results && n_runs < 2; i++)
        {
          Result *r = &results[i];

          if (r->scenario != &scenarios[s] || !vsa_bench_shaped_ran (r))
            continue;
          lines[n_runs][0] = (VsaBenchLine){ "link", "#bbb", (VsaBenchPoint *) r->link->data,
                                             r->link->len, TRUE };
          lines[n_runs][1]
              = (VsaBenchLine){ "agent's target", "#3182bd", (VsaBenchPoint *) r->target->data,
                                r->target->len, FALSE };
          lines[n_runs][2]
              = (VsaBenchLine){ "received (page)", "#2ca02c", (VsaBenchPoint *) r->received->data,
                                r->received->len, FALSE };
          titles[n_runs]
              = g_strdup_printf ("%s (%s)", vsa_test_browser_name (r->browser), r->codec);
          runs[n_runs] = (VsaBenchTimeline){
            titles[n_runs],
            lines[n_runs],
            3,
            (VsaBenchPoint *) r->latencies->data,
            r->latencies->len,
            (double *) r->missed->data,
            r->missed->len,
            (VsaBenchPoint *) r->freezes->data,
            r->freezes->len,
            marks,
            scenarios[s].drop_kbps != 0 ? 2 : 0,
          };
          n_runs++;
        }
      if (n_runs == 0)
        continue;
      title = g_strdup_printf ("(%s) %s", scenarios[s].name, scenarios[s].title);
      svg = vsa_bench_plot_timelines_svg (title, runs, n_runs, plan->duration);
      for (guint i = 0; i < n_runs; i++)
        g_free (titles[i]);
      if (!g_file_set_contents (path, svg, -1, error))
        return FALSE;
      g_string_append_printf (section, "![(%s) %s](bench/%s)\n", scenarios[s].name,
                              scenarios[s].title, name);
    }
  return TRUE;
}

/* Library chatter goes to stderr; stdout has the results. */
static void
vsa_bench_shaped_print_to_stderr (const char *text)
{
  fputs (text, stderr);
}

int
main (int argc, char **argv)
{
  static const VsaTestBrowser browsers[] = { VSA_TEST_BROWSER_CHROMIUM, VSA_TEST_BROWSER_FIREFOX };
  gboolean quick = FALSE, write = FALSE;
  g_autofree char *only = NULL;
  const GOptionEntry entries[] = {
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      "Only the runs whose name (\"SCENARIO BROWSER\", e.g. \"a chromium\") contains TEXT",
      "TEXT" },
    { "quick", 0, 0, G_OPTION_ARG_NONE, &quick,
      "Scenario (a) in Chromium for 15 s: checks that the bench works", NULL },
    { "write", 0, 0, G_OPTION_ARG_NONE, &write,
      "Write the results into BENCHMARKS.md and the plots into bench/shaped-*.svg", NULL },
    { "anchor", 0, 0, G_OPTION_ARG_NONE, &anchor,
      "libwebrtc's own sender (Chromium) in the agent's place: the anchor, printed only", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context
      = g_option_context_new ("- the agent on shaped links (run under tests/netns-run)");
  g_autoptr (GError) error = NULL;
  Plan plan = { 60, 20, 20 };
  Result results[G_N_ELEMENTS (scenarios) * G_N_ELEMENTS (browsers)] = { 0 };
  guint n_results = 0, ran = 0, failed = 0;
  g_autofree char *table = NULL;
  g_autofree char *notes = NULL;
  g_autofree char *description = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "vsa-bench-shaped: %s\n", error->message);
      return 2;
    }
  g_set_print_handler (vsa_bench_shaped_print_to_stderr);
  if (write && (only != NULL || quick || anchor))
    {
      fprintf (stderr,
               "vsa-bench-shaped: --write needs every run of the agent, not --only, --quick or "
               "--anchor\n");
      return 2;
    }
  if (quick)
    plan = (Plan){ 15, 5, 5 };
  for (guint s = 0; s < G_N_ELEMENTS (scenarios); s++)
    for (guint b = 0; b < G_N_ELEMENTS (browsers); b++)
      {
        g_autofree char *label
            = g_strdup_printf ("%s %s", scenarios[s].name, vsa_test_browser_name (browsers[b]));
        Result *result = &results[n_results];

        if ((only != NULL && strstr (label, only) == NULL) || (quick && n_results > 0))
          continue;
        result->scenario = &scenarios[s];
        result->browser = browsers[b];
        result->label = g_steal_pointer (&label);
#define NEW_POINTS() g_array_new (FALSE, FALSE, sizeof (VsaBenchPoint))
        result->latencies = NEW_POINTS ();
        result->freezes = NEW_POINTS ();
        result->received = NEW_POINTS ();
        result->target = NEW_POINTS ();
        result->link = NEW_POINTS ();
#undef NEW_POINTS
        result->missed = g_array_new (FALSE, FALSE, sizeof (double));
        /* a seed per scenario: the same picture and switches in both browsers */
        vsa_bench_shaped_run_one (&plan, 15 + s, result);
        n_results++;
      }
  if (n_results == 0)
    {
      fprintf (stderr, "vsa-bench-shaped: no run's name contains \"%s\"\n", only);
      return 2;
    }
  for (guint i = 0; i < n_results; i++)
    {
      if (results[i].failed != NULL
          || (results[i].skipped == NULL && results[i].latencies->len == 0))
        failed++;
      else if (results[i].skipped == NULL)
        ran++;
    }

  table = vsa_bench_shaped_table (results, n_results);
  notes = vsa_bench_shaped_notes (results, n_results);
  description = vsa_bench_shaped_plan_description (&plan);
  printf ("%s\n\n%s\n%s", description, table, notes);
  fflush (stdout);
  if (write && ran > 0)
    {
      g_autofree char *machine = vsa_bench_machine_description ();
      GString *section = g_string_new (NULL);

      g_string_append_printf (section, "Measured %s.\n\n%s\n\n%s\n%s\n", machine, description,
                              table, notes);
      if (!vsa_bench_shaped_write_plots (results, n_results, &plan, section, &error)
          || !vsa_bench_replace_section (SECTION_BEGIN, SECTION_END, section->str, &error))
        {
          fprintf (stderr, "vsa-bench-shaped: %s\n", error->message);
          failed++;
        }
      else
        fprintf (stderr, "vsa-bench-shaped: wrote BENCHMARKS.md and bench/shaped-*.svg\n");
      g_string_free (section, TRUE);
    }
  for (guint i = 0; i < n_results; i++)
    vsa_bench_shaped_result_clear (&results[i]);
  if (failed > 0)
    return 1;
  return ran > 0 ? 0 : 77; /* 77: skipped, for meson */
}
