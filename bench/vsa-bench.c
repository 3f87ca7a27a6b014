/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-bench: what a stream costs and how late it is. For each configuration (screen
 * size, moving or still content, browser) it runs Xvfb with the bench's picture
 * (vsa-bench-screen.c), the fake controller and the agent binary, and measures:
 * - waiting: the agent's CPU and RSS while it polls for an offer (steady state);
 * - a headless browser on the viewer page in bench mode: offer stored → answer stored,
 *   offer stored → first frame, glass-to-glass latency of the patch's switches, fps,
 *   bitrate and keyframes from the page, the agent's CPU and peak RSS;
 * - the bare pipeline: the agent's capture and encode elements, with its settings, in
 *   gst-launch-1.0 into fakesink, the floor the agent's overhead is measured against.
 * Prints a table; --write puts it, with the machine's description, into BENCHMARKS.md and
 * draws bench/latency.svg. Runs under tests/netns-run (scripts/bench). */

#include "bench-config.h"

#include "vsa-bench-plot.h"
#include "vsa-bench-report.h"
#include "vsa-bench-run.h"
#include "vsa-bench-screen.h"
#include "vsa-pipeline.h"
#include "vsa-test-browser.h"
#include "vsa-test-controller.h"
#include "vsa-test-util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SESSION_ID "bench"
#define REPORT_ID "bench"

/* Everything one configuration runs; cleared on every path, browser first so that the
 * agent sees its peer go, the screen last. */
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
  GSubprocess *bare;
  char *bare_log;
} Run;

static void
run_clear (Run *run, gboolean failed)
{
  vsa_bench_stop_process (&run->browser, run->browser_log, failed);
  vsa_bench_stop_process (&run->agent, run->agent_log, failed);
  vsa_bench_stop_process (&run->bare, run->bare_log, failed);
  g_clear_pointer (&run->controller, vsa_test_controller_free);
  g_clear_pointer (&run->screen, vsa_bench_screen_free);
  g_clear_pointer (&run->xvfb, vsa_test_xvfb_free);
  if (run->dir != NULL)
    vsa_test_rm_rf (run->dir);
  g_clear_pointer (&run->dir, g_free);
  g_clear_pointer (&run->url, g_free);
  g_clear_pointer (&run->agent_log, g_free);
  g_clear_pointer (&run->browser_log, g_free);
  g_clear_pointer (&run->bare_log, g_free);
}

/* ---- The bare pipeline ---- */

static gboolean
needs_quoting (const char *token)
{
  if (g_str_equal (token, "!"))
    return FALSE;
  for (const char *c = token; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && strchr ("-_=./:,+", *c) == NULL)
      return TRUE;
  return FALSE;
}

/* argv of gst-launch-1.0 running bin's elements, in link order, each with the properties
 * it was given (those not at their default), into fakesink. gst-launch-1.0 escapes each
 * argument's spaces itself, so caps need no quotes. */
static GPtrArray *
launch_args_from_bin (GstElement *bin)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GstElement) element = gst_bin_get_by_name (GST_BIN (bin), "source");

  g_ptr_array_add (argv, g_strdup ("gst-launch-1.0"));
  g_ptr_array_add (argv, g_strdup ("-q"));
  while (element != NULL)
    {
      g_autoptr (GstPad) src = gst_element_get_static_pad (element, "src");
      g_autoptr (GstPad) peer = src != NULL ? gst_pad_get_peer (src) : NULL;
      guint n_properties;
      g_autofree GParamSpec **properties
          = g_object_class_list_properties (G_OBJECT_GET_CLASS (element), &n_properties);

      g_ptr_array_add (argv, g_strdup (GST_OBJECT_NAME (gst_element_get_factory (element))));
      for (guint i = 0; i < n_properties; i++)
        {
          GParamSpec *pspec = properties[i];
          g_auto (GValue) value = G_VALUE_INIT;
          g_autofree char *text = NULL;

          if ((pspec->flags & G_PARAM_READWRITE) != G_PARAM_READWRITE
              || (pspec->flags & G_PARAM_CONSTRUCT_ONLY) || g_str_equal (pspec->name, "name")
              || g_str_equal (pspec->name, "parent"))
            continue;
          g_value_init (&value, pspec->value_type);
          g_object_get_property (G_OBJECT (element), pspec->name, &value);
          if (g_param_value_defaults (pspec, &value))
            continue;
          /* caps as gst-launch-1.0 users write them, not in their escaped nested form */
          text = G_VALUE_HOLDS (&value, GST_TYPE_CAPS)
                     ? gst_caps_to_string (gst_value_get_caps (&value))
                     : gst_value_serialize (&value);
          if (text == NULL)
            continue;
          g_ptr_array_add (argv, g_strdup_printf ("%s=%s", pspec->name, text));
        }
      g_ptr_array_add (argv, g_strdup ("!"));
      /* The last element's peer is the bin's ghost pad, not an element. */
      g_clear_object (&element);
      element = peer != NULL ? gst_pad_get_parent_element (peer) : NULL;
    }
  g_ptr_array_add (argv, g_strdup ("fakesink"));
  return g_steal_pointer (&argv);
}

static char *
command_line (GPtrArray *argv)
{
  const char *plugin_dir = VSA_BENCH_PLUGIN_DIR;
  g_autoptr (GString) line = NULL;

  /* relative to the source tree, where scripts/bench runs, when the build is in it */
  if (g_str_has_prefix (plugin_dir, VSA_BENCH_SOURCE_ROOT "/"))
    plugin_dir += strlen (VSA_BENCH_SOURCE_ROOT "/");
  line = g_string_new ("GST_PLUGIN_PATH=");
  g_string_append (line, plugin_dir);

  for (guint i = 0; i < argv->len; i++)
    {
      g_autofree char *quoted = needs_quoting (argv->pdata[i]) ? g_shell_quote (argv->pdata[i])
                                                               : g_strdup (argv->pdata[i]);

      g_string_append_printf (line, " %s", quoted);
    }
  return g_string_free (g_steal_pointer (&line), FALSE);
}

/* The agent's own video bin for these arguments and the negotiated codec, as a
 * gst-launch-1.0 argv. */
static GPtrArray *
bare_pipeline_args (const char *const *agent_argv, const char *codec_mime, GError **error)
{
  g_autoptr (VsaConfig) config = vsa_config_new ();
  char *no_environment[] = { NULL };
  VsaCodecChoice choice = { 0 };
  const char *codec_name = codec_mime != NULL ? strchr (codec_mime, '/') : NULL;
  g_autoptr (GstElement) bin = NULL;

  if (codec_name == NULL || !vsa_codec_from_string (codec_name + 1, &choice.codec))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "unknown codec %s", codec_mime);
      return NULL;
    }
  choice.payload_type = 96;
  choice.profile_level_id = "42e01f";
  if (!vsa_config_load (config, (char **) agent_argv, no_environment, error))
    return NULL;
  bin = vsa_pipeline_new_video_bin (config, &choice, error);
  if (bin == NULL)
    return NULL;
  gst_object_ref_sink (bin);
  return launch_args_from_bin (bin);
}

/* ---- The page's report ---- */

/* Streaming: frames decoded and the patch seen changing. A few frames: a still screen
 * comes once a second. */
static gboolean
report_shows_patch (JsonObject *report, gpointer user_data)
{
  /* the codec comes from the page's stats, sampled apart from its frames */
  return json_object_get_int_member_with_default (report, "frames", 0) >= 5
         && json_object_get_string_member_with_default (report, "codec", NULL) != NULL
         && vsa_bench_json_length (
                vsa_bench_json_array (vsa_bench_json_object (report, "bench"), "transitions"))
                >= 2;
}

/* The page's stats reached *(double *) user_data (wall-clock ms). */
static gboolean
report_has_stats_until (JsonObject *report, gpointer user_data)
{
  JsonArray *stats = vsa_bench_json_array (vsa_bench_json_object (report, "bench"), "stats");
  guint n = vsa_bench_json_length (stats);

  return n > 0
         && vsa_bench_json_double (json_array_get_object_element (stats, n - 1), "t")
                >= *(double *) user_data;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static GArray *
sorted_doubles (GArray *values)
{
  g_array_sort (values, compare_doubles);
  return values;
}

/* Each transition the page saw, matched to the latest switch to its colour before it
 * (field: the page's time of the frame to use); the latencies of the switches made in
 * [start_us, end_us], and how many of those the page never showed. */
static GArray *
match_switches (GArray *switches, JsonArray *transitions, const char *field, gint64 start_us,
                gint64 end_us, guint *in_window, guint *missed)
{
  GArray *latencies = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree gboolean *matched = g_new0 (gboolean, switches->len + 1);

  for (guint i = 0; i < vsa_bench_json_length (transitions); i++)
    {
      JsonObject *transition = json_array_get_object_element (transitions, i);
      gboolean white
          = g_strcmp0 (json_object_get_string_member_with_default (transition, "color", ""),
                       "white")
            == 0;
      double shown_ms = vsa_bench_json_double (transition, field);

      for (guint j = switches->len; !isnan (shown_ms) && j > 0; j--)
        {
          VsaBenchSwitch *change = &g_array_index (switches, VsaBenchSwitch, j - 1);
          double latency = shown_ms - change->time_us / 1000.0;

          if (change->white != white || latency < 0)
            continue;
          if (!matched[j - 1] && change->time_us >= start_us && change->time_us <= end_us)
            g_array_append_val (latencies, latency);
          matched[j - 1] = TRUE;
          break;
        }
    }
  *in_window = 0;
  *missed = 0;
  for (guint j = 0; j < switches->len; j++)
    {
      VsaBenchSwitch *change = &g_array_index (switches, VsaBenchSwitch, j);

      if (change->time_us >= start_us && change->time_us <= end_us)
        {
          (*in_window)++;
          *missed += matched[j] ? 0 : 1;
        }
    }
  return sorted_doubles (latencies);
}

/* fps, kbit/s and keyframes between the first stats sample in [start, end] (wall-clock
 * ms) and the last. */
static gboolean
stats_rates (JsonArray *stats, double start_ms, double end_ms, VsaBenchResult *result)
{
  JsonObject *first = NULL, *last = NULL;
  double seconds;

  for (guint i = 0; i < vsa_bench_json_length (stats); i++)
    {
      JsonObject *sample = json_array_get_object_element (stats, i);
      double t = vsa_bench_json_double (sample, "t");

      if (t >= start_ms && t <= end_ms)
        {
          first = first != NULL ? first : sample;
          last = sample;
        }
    }
  if (first == NULL || first == last)
    return FALSE;
  seconds = (vsa_bench_json_double (last, "t") - vsa_bench_json_double (first, "t")) / 1000;
  result->fps = (vsa_bench_json_double (last, "framesDecoded")
                 - vsa_bench_json_double (first, "framesDecoded"))
                / seconds;
  result->kbps = (vsa_bench_json_double (last, "bytesReceived")
                  - vsa_bench_json_double (first, "bytesReceived"))
                 * 8 / 1000 / seconds;
  result->keyframes = (gint64) (vsa_bench_json_double (last, "keyFramesDecoded")
                                - vsa_bench_json_double (first, "keyFramesDecoded"));
  return TRUE;
}

/* ---- One configuration ---- */

static const char *
content_name (const VsaBenchSetup *setup)
{
  return setup->moving ? "moving" : "static";
}

static GPtrArray *
agent_args (Run *run, const VsaBenchSetup *setup, const char *config_file)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (VSA_BENCH_AGENT_BIN));
  g_ptr_array_add (argv, g_strdup ("--session-id=" SESSION_ID));
  g_ptr_array_add (argv, g_strconcat ("--controller-url=", run->url, NULL));
  g_ptr_array_add (argv, g_strconcat ("--display=", run->xvfb->display, NULL));
  g_ptr_array_add (argv, g_strdup_printf ("--fps=%u", setup->fps));
  if (config_file != NULL)
    g_ptr_array_add (argv, g_strconcat ("--config=", config_file, NULL));
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* The agent waiting for an offer, in the steady state: without the first minute of fast
 * polls (fast-poll-window=0, so it polls every poll-interval). */
static gboolean
measure_waiting (Run *run, const VsaBenchPlan *plan, VsaBenchResult *result, GError **error)
{
  g_autofree char *config_file = g_build_filename (run->dir, "waiting.conf", NULL);
  g_autoptr (GPtrArray) argv = NULL;

  if (!g_file_set_contents (config_file, "[agent]\nfast-poll-window=0\n", -1, error))
    return FALSE;
  argv = agent_args (run, &result->setup, config_file);
  run->agent = vsa_bench_start_agent (run->controller, (const char *const *) argv->pdata,
                                      run->agent_log, error);
  if (run->agent == NULL)
    return FALSE;
  vsa_bench_pause (plan->settle * 1000);
  if (!vsa_bench_measure_usage (run->agent, "the waiting agent", plan->waiting, &result->waiting,
                                error))
    return FALSE;
  vsa_test_process_stop (run->agent, 5000);
  g_clear_object (&run->agent);
  return TRUE;
}

/* The agent at its defaults streaming to the browser's bench page. */
static gboolean
measure_streaming (Run *run, const VsaBenchPlan *plan, const char *program, GPtrArray *argv,
                   VsaBenchResult *result, GError **error)
{
  g_autofree char *page_url = g_strdup_printf (
      "%s/?session=" SESSION_ID "&report=" REPORT_ID "&bench=1&patchx=%d&patchy=%d&patchsize=%d",
      run->url, VSA_BENCH_PATCH_X, VSA_BENCH_PATCH_Y, VSA_BENCH_PATCH_SIZE);
  g_autofree char *browser_dir = g_build_filename (run->dir, "browser", NULL);
  g_autoptr (JsonNode) report = NULL;
  g_autoptr (GArray) switches = NULL;
  g_autoptr (GArray) expected = NULL;
  g_autoptr (GArray) callback = NULL;
  JsonObject *page, *bench;
  VsaTestOfferTimes times;
  JsonObject *wall_times;
  gint64 start_us, end_us;
  double end_ms;
  guint ignored_in_window, ignored_missed;

  run->agent = vsa_bench_start_agent (run->controller, (const char *const *) argv->pdata,
                                      run->agent_log, error);
  if (run->agent == NULL)
    return FALSE;
  run->browser = vsa_test_browser_start (result->setup.browser, program, page_url, browser_dir,
                                         FALSE, run->browser_log, error);
  if (run->browser == NULL)
    return FALSE;
  if (!vsa_test_wait_for_report (run->controller, REPORT_ID, run->agent, report_shows_patch, NULL,
                                 60000, &report, error))
    {
      g_prefix_error (error, "no video of the patch from the page: ");
      return FALSE;
    }
  page = json_node_get_object (report);
  result->codec = g_strdup (json_object_get_string_member_with_default (page, "codec", "?"));
  result->clock_skew_ms
      = vsa_bench_json_double (vsa_bench_json_object (page, "bench"), "clockSkew");
  if (!vsa_test_controller_get_offer_times (run->controller, SESSION_ID, &times)
      || times.answered_us == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no answer stored");
      return FALSE;
    }
  result->offer_to_fetch_ms = (times.fetched_us - times.stored_us) / 1000.0;
  result->offer_to_answer_ms = (times.answered_us - times.stored_us) / 1000.0;
  wall_times = vsa_bench_json_object (page, "wallTimes");
  result->offer_to_frame_ms
      = vsa_bench_json_double (wall_times, "firstFrame") - times.stored_us / 1000.0;
  result->answer_received_ms
      = vsa_bench_json_double (wall_times, "answerReceived") - times.stored_us / 1000.0;
  result->ice_connected_ms
      = vsa_bench_json_double (wall_times, "iceConnected") - times.stored_us / 1000.0;
  result->connected_ms = vsa_bench_json_double (wall_times, "connected") - times.stored_us / 1000.0;

  vsa_bench_pause (plan->settle * 1000);
  start_us = g_get_real_time ();
  if (!vsa_bench_measure_usage (run->agent, "the agent", plan->streaming, &result->streaming,
                                error))
    return FALSE;
  end_us = g_get_real_time ();
  /* The page reports every 250 ms: wait for what it saw up to the end and a little after
   * (the last switches' frames). */
  end_ms = end_us / 1000.0 + 1000;
  g_clear_pointer (&report, json_node_unref);
  if (!vsa_test_wait_for_report (run->controller, REPORT_ID, run->agent, report_has_stats_until,
                                 &end_ms, 10000, &report, error))
    {
      g_prefix_error (error, "the page's report after the window: ");
      return FALSE;
    }
  bench = vsa_bench_json_object (json_node_get_object (report), "bench");
  switches = vsa_bench_screen_dup_switches (run->screen);
  /* The frame decoded and handed to the compositor: headless Chromium's
   * expectedDisplayTime is a guess of its own scheduler (up to 250 ms later on a still
   * screen, where frames are rare), with no display behind it. */
  result->latencies
      = match_switches (switches, vsa_bench_json_array (bench, "transitions"), "presented",
                        start_us, end_us, &result->switches, &result->missed);
  expected = match_switches (switches, vsa_bench_json_array (bench, "transitions"), "expected",
                             start_us, end_us, &ignored_in_window, &ignored_missed);
  callback = match_switches (switches, vsa_bench_json_array (bench, "transitions"), "callback",
                             start_us, end_us, &ignored_in_window, &ignored_missed);
  result->expected_p50 = vsa_bench_quantile ((double *) expected->data, expected->len, 0.5);
  result->callback_p50 = vsa_bench_quantile ((double *) callback->data, callback->len, 0.5);
  if (!stats_rates (vsa_bench_json_array (bench, "stats"), start_us / 1000.0, end_us / 1000.0,
                    result))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "the page sent no stats during the window");
      return FALSE;
    }
  vsa_bench_stop_process (&run->browser, NULL, FALSE);
  vsa_bench_stop_process (&run->agent, NULL, FALSE);
  return TRUE;
}

/* The same capture and encode without the agent, for as long. */
static gboolean
measure_bare (Run *run, const VsaBenchPlan *plan, GPtrArray *agent_argv, VsaBenchResult *result,
              GError **error)
{
  g_autoptr (GPtrArray) argv
      = bare_pipeline_args ((const char *const *) agent_argv->pdata, result->codec, error);
  const VsaTestEnv env[] = { { "GST_PLUGIN_PATH", VSA_BENCH_PLUGIN_DIR }, { NULL, NULL } };

  if (argv == NULL)
    return FALSE;
  result->bare_command = command_line (argv);
  g_ptr_array_add (argv, NULL);
  run->bare = vsa_test_spawn ((const char *const *) argv->pdata, env, run->bare_log, error);
  if (run->bare == NULL)
    return FALSE;
  vsa_bench_pause (plan->settle * 1000);
  return vsa_bench_measure_usage (run->bare, "the bare pipeline", plan->streaming, &result->bare,
                                  error);
}

static gboolean
run_setup (Run *run, const VsaBenchPlan *plan, guint32 seed, const char *program,
           VsaBenchResult *result, GError **error)
{
  const VsaBenchSetup *setup = &result->setup;
  g_autoptr (GPtrArray) argv = NULL;

  run->dir = g_dir_make_tmp ("vsa-bench-XXXXXX", error);
  if (run->dir == NULL)
    return FALSE;
  run->agent_log = g_build_filename (run->dir, "agent.log", NULL);
  run->browser_log = g_build_filename (run->dir, "browser.log", NULL);
  run->bare_log = g_build_filename (run->dir, "bare.log", NULL);
  run->xvfb = vsa_test_xvfb_start (setup->width, setup->height, error);
  if (run->xvfb == NULL)
    return FALSE;
  run->screen = vsa_bench_screen_start (run->xvfb->display, setup->width, setup->height,
                                        setup->moving, seed, error);
  if (run->screen == NULL)
    return FALSE;
  run->controller = vsa_test_controller_new ("127.0.0.1", 0, VSA_BENCH_VIEWER_DIR, error);
  if (run->controller == NULL)
    return FALSE;
  run->url = vsa_test_controller_get_url (run->controller);

  g_printerr ("%s: waiting for an offer, %u s\n", result->label, plan->waiting);
  if (!measure_waiting (run, plan, result, error))
    return FALSE;
  g_printerr ("%s: streaming, %u s\n", result->label, plan->streaming);
  argv = agent_args (run, &result->setup, NULL);
  if (!measure_streaming (run, plan, program, argv, result, error))
    return FALSE;
  g_printerr ("%s: bare pipeline, %u s\n", result->label, plan->streaming);
  return measure_bare (run, plan, argv, result, error);
}

/* The agent's last warning, or NULL. */
static char *
last_agent_warning (const char *log)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  guint n;

  if (log == NULL || !g_file_get_contents (log, &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (n = g_strv_length (lines); n > 0; n--)
    if (strstr (lines[n - 1], "warning: ") != NULL)
      return g_strdup (strstr (lines[n - 1], "warning: ") + strlen ("warning: "));
  return NULL;
}

static void
run_one (const VsaBenchPlan *plan, guint32 seed, VsaBenchResult *result)
{
  g_autofree char *program = vsa_test_browser_find (result->setup.browser);
  g_autoptr (GError) error = NULL;
  Run run = { 0 };
  gboolean ok;

  if (program == NULL)
    {
      result->skipped
          = g_strdup_printf ("%s is not installed", vsa_test_browser_name (result->setup.browser));
      g_printerr ("%s: skipped: %s\n", result->label, result->skipped);
      return;
    }
  ok = run_setup (&run, plan, seed, program, result, &error);
  if (!ok)
    {
      g_autofree char *warning = last_agent_warning (run.agent_log);

      result->failed = warning != NULL ? g_strdup_printf ("%s (the agent's last warning: %s)",
                                                          error->message, warning)
                                       : g_strdup (error->message);
      g_printerr ("%s: failed: %s\n", result->label, result->failed);
    }
  run_clear (&run, !ok);
}

/* Library chatter (spawned commands, stopped processes) goes to stderr; stdout has the
 * results. */
static void
print_to_stderr (const char *text)
{
  fputs (text, stderr);
}

int
main (int argc, char **argv)
{
  static const VsaBenchSetup full[] = {
    { 1280, 720, 30, TRUE, VSA_TEST_BROWSER_CHROMIUM },
    { 1280, 720, 30, TRUE, VSA_TEST_BROWSER_FIREFOX },
    { 1280, 720, 30, FALSE, VSA_TEST_BROWSER_CHROMIUM },
    { 1280, 720, 30, FALSE, VSA_TEST_BROWSER_FIREFOX },
    { 1920, 1080, 30, TRUE, VSA_TEST_BROWSER_CHROMIUM },
    { 1920, 1080, 30, TRUE, VSA_TEST_BROWSER_FIREFOX },
    { 1920, 1080, 30, FALSE, VSA_TEST_BROWSER_CHROMIUM },
    { 1920, 1080, 30, FALSE, VSA_TEST_BROWSER_FIREFOX },
    /* the 60 fps lever: half the capture interval against twice the work */
    { 1280, 720, 60, TRUE, VSA_TEST_BROWSER_CHROMIUM },
  };
  gboolean quick = FALSE, write = FALSE;
  g_autofree char *only = NULL;
  const GOptionEntry entries[] = {
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      "Only the configurations whose name contains TEXT (e.g. \"720@30 moving firefox\")", "TEXT" },
    { "quick", 0, 0, G_OPTION_ARG_NONE, &quick,
      "One configuration (720p moving, Chromium), 10 s windows: checks that the bench works",
      NULL },
    { "write", 0, 0, G_OPTION_ARG_NONE, &write,
      "Write the results into BENCHMARKS.md and the plot into bench/latency.svg", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context
      = g_option_context_new ("- measure the agent's latency and cost");
  g_autoptr (GError) error = NULL;
  VsaBenchPlan plan = { 2, 20, 25 };
  guint n_results = 0;
  VsaBenchResult results[G_N_ELEMENTS (full)] = { 0 };
  g_autofree char *table = NULL;
  g_autofree char *notes = NULL;
  g_autofree char *windows = NULL;
  guint ran = 0, failed = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "vsa-bench: %s\n", error->message);
      return 2;
    }
  g_set_print_handler (print_to_stderr);
  gst_init (NULL, NULL);
  if (write && only != NULL)
    {
      fprintf (stderr, "vsa-bench: --write needs every configuration, not --only\n");
      return 2;
    }
  if (quick)
    plan = (VsaBenchPlan){ 1, 10, 10 };
  for (guint i = 0; i < (quick ? 1 : G_N_ELEMENTS (full)); i++)
    {
      g_autofree char *label
          = g_strdup_printf ("%ux%u@%u %s %s", full[i].width, full[i].height, full[i].fps,
                             content_name (&full[i]), vsa_test_browser_name (full[i].browser));

      if (only != NULL && strstr (label, only) == NULL)
        continue;
      results[n_results].setup = full[i];
      results[n_results].label = g_steal_pointer (&label);
      /* a seed per configuration: the same picture and switches every run */
      run_one (&plan, 5 + i, &results[n_results++]);
    }
  if (n_results == 0)
    {
      fprintf (stderr, "vsa-bench: no configuration's name contains \"%s\"\n", only);
      return 2;
    }
  for (guint i = 0; i < n_results; i++)
    {
      if (results[i].failed != NULL
          || (results[i].skipped == NULL
              && (results[i].latencies->len == 0 || !(results[i].fps > 0))))
        failed++;
      else if (results[i].skipped == NULL)
        ran++;
    }

  table = vsa_bench_results_table (results, n_results);
  notes = vsa_bench_results_notes (results, n_results);
  windows = vsa_bench_plan_description (&plan);
  printf ("%s\n\n%s\n%s", windows, table, notes);
  for (guint i = 0; i < n_results; i++)
    if (results[i].bare_command != NULL)
      printf ("- %s: bare pipeline: %s\n", results[i].label, results[i].bare_command);
  fflush (stdout);
  if (write && ran > 0)
    {
      g_autofree char *section = vsa_bench_results_section (&plan, results, n_results);

      if (!vsa_bench_write_results (section, results, n_results, &error))
        {
          fprintf (stderr, "vsa-bench: %s\n", error->message);
          failed++;
        }
      else
        fprintf (stderr, "vsa-bench: wrote BENCHMARKS.md and bench/latency.svg\n");
    }
  for (guint i = 0; i < n_results; i++)
    vsa_bench_result_clear (&results[i]);
  if (failed > 0)
    return 1;
  return ran > 0 ? 0 : 77; /* 77: skipped, for meson */
}
