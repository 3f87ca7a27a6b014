/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-bench-quality: how sharp the picture is in the browser after the screen changes.
 * For each browser and bitrate it runs Xvfb with the quality scenes (vsa-bench-scenes.c),
 * the fake controller, the agent binary and the browser on the viewer page in quality mode;
 * after each change the page copies the whole decoded picture at set times and sends it
 * here, where it is compared with the X screen (SSIM, PSNR and the worst 16x16 block, on
 * luma, over the changed part). Prints a table and, with --write, puts it into
 * BENCHMARKS.md with picture strips (bench/quality-*.png). Runs under tests/netns-run
 * (scripts/bench --quality). */

#include "bench-config.h"

#include "vsa-bench-image.h"
#include "vsa-bench-plot.h"
#include "vsa-bench-report.h"
#include "vsa-bench-run.h"
#include "vsa-bench-scenes.h"
#include "vsa-bench-strip.h"
#include "vsa-test-browser.h"
#include "vsa-test-controller.h"
#include "vsa-test-util.h"

#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define SESSION_ID "quality"
#define REPORT_ID "quality"
#define WIDTH 1280
#define HEIGHT 720
#define QUALITY_BEGIN "<!-- bench:quality:begin -->"
#define QUALITY_END "<!-- bench:quality:end -->"

/* Times after a change stops at which the page copies the picture, ms. */
static const guint after_ms[] = { 100, 300, 1000, 3000 };
#define N_AFTER G_N_ELEMENTS (after_ms)
/* During the scroll (1.5 s), ms after it starts. */
static const guint during_ms[] = { 250, 500, 750, 1000, 1250 };
#define N_DURING G_N_ELEMENTS (during_ms)

typedef struct
{
  VsaTestBrowser browser;
  guint kbps; /* 0: the agent's default */
} Setup;

/* Measures of one capture time over the repetitions. */
typedef struct
{
  GArray *ssim, *psnr, *worst; /* of double */
  GArray *frames_decoded;      /* frames decoded since the first capture, by this time */
  guint not_shown;             /* captures whose latest frame came before the change */
} Samples;

typedef struct
{
  Samples after[N_AFTER];
  Samples during;                    /* the scroll's, all times together */
  VsaBenchImage *crops[N_AFTER + 1]; /* the first repetition's detail: decoded, then X */
  VsaBenchImage *reference;          /* the first repetition's X screen after the change */
  VsaBenchSceneParts parts;
  /* the window's red and blue text and its black text, RGB PSNR at COLOUR_AT */
  GArray *colour_psnr, *black_psnr;
} SceneResult;

#define COLOUR_AT 2 /* +1 s */

/* One capture the page is asked for, and what it sent. */
typedef struct
{
  double at_ms;
  VsaBenchImage *image; /* NULL until it arrived */
  double t_ms, presented_ms, frames;
  double lost, nacks, freezes, keyframes; /* the page's inbound-rtp counters then */
} Capture;

typedef struct
{
  Setup setup;
  char *label;
  char *skipped, *failed;
  char *codec;
  SceneResult scenes[VSA_BENCH_N_SCENES];
  VsaBenchUsage idle;
  double latest_capture_ms; /* the most a capture came after its time */
  double latest_change_ms;  /* the most a change (or the scroll's end) came after its time */
  Capture last;             /* the page's counters at its last capture */
} Result;

/* The page's side: the plans it waits for and the captures it sent. */
typedef struct
{
  GQueue waiting;      /* SoupServerMessage *, paused GET /quality/plan */
  GQueue plans;        /* char *, JSON not yet taken */
  GPtrArray *captures; /* of Capture *, by id */
} Page;

static void
capture_free (gpointer data)
{
  Capture *capture = data;

  vsa_bench_image_free (capture->image);
  g_free (capture);
}

static void
samples_init (Samples *samples)
{
  samples->ssim = g_array_new (FALSE, FALSE, sizeof (double));
  samples->psnr = g_array_new (FALSE, FALSE, sizeof (double));
  samples->worst = g_array_new (FALSE, FALSE, sizeof (double));
  samples->frames_decoded = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
samples_clear (Samples *samples)
{
  g_clear_pointer (&samples->ssim, g_array_unref);
  g_clear_pointer (&samples->psnr, g_array_unref);
  g_clear_pointer (&samples->worst, g_array_unref);
  g_clear_pointer (&samples->frames_decoded, g_array_unref);
}

static void
samples_add (Samples *samples, const VsaBenchQuality *quality, double frames_decoded)
{
  g_array_append_val (samples->ssim, quality->ssim);
  g_array_append_val (samples->psnr, quality->psnr);
  g_array_append_val (samples->worst, quality->worst_block);
  g_array_append_val (samples->frames_decoded, frames_decoded);
}

static void
result_clear (Result *result)
{
  g_free (result->label);
  g_free (result->skipped);
  g_free (result->failed);
  g_free (result->codec);
  for (guint s = 0; s < VSA_BENCH_N_SCENES; s++)
    {
      SceneResult *scene = &result->scenes[s];

      for (guint i = 0; i < N_AFTER; i++)
        samples_clear (&scene->after[i]);
      samples_clear (&scene->during);
      for (guint i = 0; i <= N_AFTER; i++)
        g_clear_pointer (&scene->crops[i], vsa_bench_image_free);
      g_clear_pointer (&scene->reference, vsa_bench_image_free);
      g_clear_pointer (&scene->colour_psnr, g_array_unref);
      g_clear_pointer (&scene->black_psnr, g_array_unref);
    }
}

/* ---- The page's requests ---- */

static void
reply_plan (SoupServerMessage *msg, char *json)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, json, strlen (json));
}

static void
on_waiting_finished (SoupServerMessage *msg, Page *page)
{
  g_queue_remove (&page->waiting, msg);
  g_object_unref (msg);
}

/* Hands plan (JSON, taken) to a waiting page request, or keeps it for the next. */
static void
send_plan (Page *page, char *json)
{
  SoupServerMessage *msg = g_queue_pop_head (&page->waiting);

  if (msg == NULL)
    {
      g_queue_push_tail (&page->plans, json);
      return;
    }
  g_signal_handlers_disconnect_by_func (msg, on_waiting_finished, page);
  reply_plan (msg, json);
  soup_server_message_unpause (msg);
  g_object_unref (msg);
}

static double
query_number (GHashTable *query, const char *name)
{
  const char *value = query != NULL ? g_hash_table_lookup (query, name) : NULL;

  return value != NULL ? g_ascii_strtod (value, NULL) : NAN;
}

static void
handle_frame (Page *page, SoupServerMessage *msg, const char *id_text, GHashTable *query)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) pixels = soup_message_body_flatten (body);
  guint64 id = g_ascii_strtoull (id_text, NULL, 10);
  double x = query_number (query, "x"), y = query_number (query, "y");
  double width = query_number (query, "w"), height = query_number (query, "h");
  Capture *capture = id < page->captures->len ? page->captures->pdata[id] : NULL;
  g_autoptr (VsaBenchImage) part = NULL;

  if (capture == NULL || !(x >= 0 && y >= 0 && width > 0 && height > 0) || x + width > WIDTH
      || y + height > HEIGHT || g_bytes_get_size (pixels) != (gsize) width * (gsize) height * 4)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      return;
    }
  /* the part the page copied, where it is on the screen */
  part = vsa_bench_image_new_from_rgba (g_bytes_get_data (pixels, NULL), width, height);
  g_clear_pointer (&capture->image, vsa_bench_image_free);
  capture->image = vsa_bench_image_new (WIDTH, HEIGHT);
  vsa_bench_image_paste (capture->image, x, y, part, &(VsaBenchRect){ 0, 0, width, height });
  capture->t_ms = query_number (query, "t");
  capture->presented_ms = query_number (query, "presented");
  capture->frames = query_number (query, "framesDecoded");
  capture->lost = query_number (query, "packetsLost");
  capture->nacks = query_number (query, "nackCount");
  capture->freezes = query_number (query, "freezeCount");
  capture->keyframes = query_number (query, "keyFramesDecoded");
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
page_callback (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
               gpointer user_data)
{
  Page *page = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (g_str_equal (path, "/quality/plan") && g_str_equal (method, "GET"))
    {
      char *plan = g_queue_pop_head (&page->plans);

      if (plan != NULL)
        reply_plan (msg, plan);
      else
        {
          /* held until the bench has a plan (or the page goes) */
          soup_server_message_pause (msg);
          g_queue_push_tail (&page->waiting, g_object_ref (msg));
          g_signal_connect (msg, "finished", G_CALLBACK (on_waiting_finished), page);
        }
    }
  else if (g_str_has_prefix (path, "/quality/frame/") && g_str_equal (method, "POST"))
    handle_frame (page, msg, path + strlen ("/quality/frame/"), query);
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static void
page_clear (Page *page)
{
  SoupServerMessage *msg;

  while ((msg = g_queue_pop_head (&page->waiting)) != NULL)
    {
      g_signal_handlers_disconnect_by_func (msg, on_waiting_finished, page);
      g_object_unref (msg);
    }
  g_queue_clear_full (&page->plans, g_free);
  g_clear_pointer (&page->captures, g_ptr_array_unref);
}

typedef struct
{
  Page *page;
  guint first, n;
} CaptureWait;

static gboolean
captures_arrived (gpointer user_data)
{
  CaptureWait *wait = user_data;

  for (guint i = wait->first; i < wait->first + wait->n; i++)
    if (((Capture *) wait->page->captures->pdata[i])->image == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
scroll_ended (gpointer user_data)
{
  return vsa_bench_scenes_scroll_end (user_data) != 0;
}

/* ---- One configuration ---- */

typedef struct
{
  char *dir;
  VsaTestXvfb *xvfb;
  VsaBenchScenes *scenes;
  VsaTestController *controller;
  Page page;
  GSubprocess *agent;
  char *agent_log;
  GSubprocess *browser;
  char *browser_log;
} Run;

static void
run_clear (Run *run, gboolean failed)
{
  vsa_bench_stop_process (&run->browser, run->browser_log, failed);
  vsa_bench_stop_process (&run->agent, run->agent_log, failed);
  g_clear_pointer (&run->controller, vsa_test_controller_free);
  page_clear (&run->page);
  g_clear_pointer (&run->scenes, vsa_bench_scenes_free);
  g_clear_pointer (&run->xvfb, vsa_test_xvfb_free);
  if (run->dir != NULL)
    vsa_test_rm_rf (run->dir);
  g_clear_pointer (&run->dir, g_free);
  g_clear_pointer (&run->agent_log, g_free);
  g_clear_pointer (&run->browser_log, g_free);
}

static gboolean
report_has_video (JsonObject *report, gpointer user_data)
{
  return json_object_get_int_member_with_default (report, "frames", 0) >= 1
         && json_object_get_string_member_with_default (report, "codec", NULL) != NULL;
}

/* Judges capture against reference; frames_before: the page's count of frames decoded at
 * the scene's first capture; change_ms: when the change was on the X screen. */
static void
judge (Result *result, const VsaBenchRect *region, const VsaBenchImage *reference,
       const Capture *capture, Samples *samples, double frames_before, double change_ms)
{
  if (!(capture->presented_ms >= change_ms))
    samples->not_shown++;
  VsaBenchQuality quality = vsa_bench_image_compare (reference, capture->image, region);

  samples_add (samples, &quality, capture->frames - frames_before);
  result->latest_capture_ms = MAX (result->latest_capture_ms, capture->t_ms - capture->at_ms);
  result->last = *capture;
  result->last.image = NULL;
}

/* Asks the page for captures of region at start_ms + offsets[i] (wall clock); returns
 * the first's id. */
static guint
plan_captures (Page *page, double start_ms, const guint *offsets, guint n,
               const VsaBenchRect *region)
{
  g_autoptr (GString) json = g_string_new ("{\"captures\":[");
  guint first = page->captures->len;

  for (guint i = 0; i < n; i++)
    {
      Capture *capture = g_new0 (Capture, 1);

      capture->at_ms = start_ms + offsets[i];
      g_ptr_array_add (page->captures, capture);
      g_string_append_printf (json, "%s{\"id\":%u,\"at\":%.0f,\"x\":%d,\"y\":%d,\"w\":%d,\"h\":%d}",
                              i > 0 ? "," : "", first + i, capture->at_ms, region->x, region->y,
                              region->width, region->height);
    }
  g_string_append (json, "]}");
  send_plan (page, g_string_free (g_steal_pointer (&json), FALSE));
  return first;
}

/* One change of kind (repetition rep): prepare, settle, change, the page's captures during
 * and after it, judged against the X screen. The page has its plan LEAD_MS before the
 * change, so that its first capture is not late. */
#define LEAD_MS 300
static gboolean
measure_change (Run *run, VsaBenchSceneKind kind, guint rep, guint settle_ms, Result *result,
                GError **error)
{
  SceneResult *scene = &result->scenes[kind];
  gboolean scroll = kind == VSA_BENCH_SCENE_SCROLL;
  g_autoptr (VsaBenchImage) reference = NULL;
  VsaBenchSceneParts parts;
  CaptureWait during = { &run->page, 0, scroll ? N_DURING : 0 }, after = { &run->page, 0, N_AFTER };
  double change_ms, changed_ms, end_ms, frames_before = NAN;

  vsa_bench_scenes_prepare (run->scenes, kind, rep, &parts);
  vsa_bench_pause (settle_ms - LEAD_MS);
  change_ms = g_get_real_time () / 1000.0 + LEAD_MS;
  end_ms = change_ms + (scroll ? VSA_BENCH_SCROLL_MS : 0);
  if (scroll)
    during.first = plan_captures (&run->page, change_ms, during_ms, N_DURING, &parts.region);
  after.first = plan_captures (&run->page, end_ms, after_ms, N_AFTER, &parts.region);
  vsa_bench_pause (LEAD_MS);
  /* how late the change (and the scroll's end) came: the captures' times are after it */
  changed_ms = vsa_bench_scenes_change (run->scenes, kind) / 1000.0;
  result->latest_change_ms = MAX (result->latest_change_ms, changed_ms - change_ms);
  if (scroll)
    {
      if (!vsa_test_wait_until (scroll_ended, run->scenes, 10000))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "the scroll did not end");
          return FALSE;
        }
      result->latest_change_ms = MAX (result->latest_change_ms,
                                      vsa_bench_scenes_scroll_end (run->scenes) / 1000.0 - end_ms);
    }
  /* the screen stays as it is until the next prepare */
  reference = vsa_bench_scenes_grab (run->scenes, error);
  if (reference == NULL)
    return FALSE;
  if (!vsa_test_wait_until (captures_arrived, &after, after_ms[N_AFTER - 1] + 10000)
      || !vsa_test_wait_until (captures_arrived, &during, 1000))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "the page did not send its pictures of the %s change",
                   vsa_bench_scene_name (kind));
      return FALSE;
    }

  for (guint i = 0; i < during.n; i++)
    {
      Capture *capture = run->page.captures->pdata[during.first + i];
      g_autoptr (VsaBenchImage) then
          = vsa_bench_scenes_scroll_reference (run->scenes, reference, capture->image);

      if (i == 0)
        frames_before = capture->frames;
      judge (result, &parts.region, then, capture, &scene->during, frames_before, changed_ms);
    }
  for (guint i = 0; i < N_AFTER; i++)
    {
      Capture *capture = run->page.captures->pdata[after.first + i];

      if (isnan (frames_before))
        frames_before = capture->frames;
      judge (result, &parts.region, reference, capture, &scene->after[i], frames_before,
             changed_ms);
      if (i == COLOUR_AT && parts.colour_text.width > 0)
        {
          double colour = vsa_bench_image_psnr_rgb (reference, capture->image, &parts.colour_text);
          double black = vsa_bench_image_psnr_rgb (reference, capture->image, &parts.black_text);

          g_array_append_val (scene->colour_psnr, colour);
          g_array_append_val (scene->black_psnr, black);
        }
      if (rep == 0)
        {
          scene->crops[i] = capture->image;
          capture->image = NULL;
        }
      else
        g_clear_pointer (&capture->image, vsa_bench_image_free);
    }
  if (rep == 0)
    {
      scene->reference = g_steal_pointer (&reference);
      scene->parts = parts;
    }
  return TRUE;
}

static GPtrArray *
agent_args (Run *run, const Setup *setup, const char *url)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (VSA_BENCH_AGENT_BIN));
  g_ptr_array_add (argv, g_strdup ("--session-id=" SESSION_ID));
  g_ptr_array_add (argv, g_strconcat ("--controller-url=", url, NULL));
  g_ptr_array_add (argv, g_strconcat ("--display=", run->xvfb->display, NULL));
  if (setup->kbps != 0)
    g_ptr_array_add (argv, g_strdup_printf ("--bitrate=%u", setup->kbps));
  g_ptr_array_add (argv, NULL);
  return argv;
}

static gboolean
run_setup (Run *run, guint reps, guint settle_ms, guint idle_s, const char *program, Result *result,
           GError **error)
{
  g_autofree char *url = NULL;
  g_autofree char *page_url = NULL;
  g_autofree char *browser_dir = NULL;
  g_autoptr (GPtrArray) argv = NULL;
  g_autoptr (JsonNode) report = NULL;

  run->dir = g_dir_make_tmp ("vsa-bench-quality-XXXXXX", error);
  if (run->dir == NULL)
    return FALSE;
  run->agent_log = g_build_filename (run->dir, "agent.log", NULL);
  run->browser_log = g_build_filename (run->dir, "browser.log", NULL);
  browser_dir = g_build_filename (run->dir, "browser", NULL);
  run->page.captures = g_ptr_array_new_with_free_func (capture_free);
  run->xvfb = vsa_test_xvfb_start (WIDTH, HEIGHT, error);
  if (run->xvfb == NULL)
    return FALSE;
  run->scenes = vsa_bench_scenes_new (run->xvfb->display, WIDTH, HEIGHT, error);
  if (run->scenes == NULL)
    return FALSE;
  vsa_bench_scenes_prepare (run->scenes, VSA_BENCH_SCENE_WINDOW, 0, &(VsaBenchSceneParts){ 0 });
  run->controller = vsa_test_controller_new ("127.0.0.1", 0, VSA_BENCH_VIEWER_DIR, error);
  if (run->controller == NULL)
    return FALSE;
  vsa_test_controller_add_handler (run->controller, "/quality", page_callback, &run->page);
  url = vsa_test_controller_get_url (run->controller);
  argv = agent_args (run, &result->setup, url);
  run->agent = vsa_bench_start_agent (run->controller, (const char *const *) argv->pdata,
                                      run->agent_log, error);
  if (run->agent == NULL)
    return FALSE;
  page_url = g_strdup_printf ("%s/?session=" SESSION_ID "&report=" REPORT_ID "&quality=1", url);
  run->browser = vsa_test_browser_start (result->setup.browser, program, page_url, browser_dir,
                                         FALSE, run->browser_log, error);
  if (run->browser == NULL)
    return FALSE;
  if (!vsa_test_wait_for_report (run->controller, REPORT_ID, run->agent, report_has_video, NULL,
                                 60000, &report, error))
    {
      g_prefix_error (error, "no video from the page: ");
      return FALSE;
    }
  result->codec = g_strdup (
      json_object_get_string_member_with_default (json_node_get_object (report), "codec", "?"));

  for (guint rep = 0; rep < reps; rep++)
    for (VsaBenchSceneKind kind = 0; kind < VSA_BENCH_N_SCENES; kind++)
      {
        g_printerr ("%s: %s, %u of %u\n", result->label, vsa_bench_scene_name (kind), rep + 1,
                    reps);
        if (!measure_change (run, kind, rep, settle_ms, result, error))
          return FALSE;
      }

  /* a still screen, after its last change has been refined */
  g_printerr ("%s: still screen, %u s\n", result->label, idle_s);
  vsa_bench_pause (settle_ms);
  if (!vsa_bench_measure_usage (run->agent, "the agent", idle_s, &result->idle, error))
    return FALSE;
  send_plan (&run->page, g_strdup ("{\"done\":true}"));
  return TRUE;
}

static void
run_one (const Setup *setup, guint reps, guint settle_ms, guint idle_s, Result *result)
{
  g_autofree char *program = vsa_test_browser_find (setup->browser);
  g_autoptr (GError) error = NULL;
  Run run = { 0 };
  gboolean ok;

  result->setup = *setup;
  for (guint s = 0; s < VSA_BENCH_N_SCENES; s++)
    {
      for (guint i = 0; i < N_AFTER; i++)
        samples_init (&result->scenes[s].after[i]);
      samples_init (&result->scenes[s].during);
      result->scenes[s].colour_psnr = g_array_new (FALSE, FALSE, sizeof (double));
      result->scenes[s].black_psnr = g_array_new (FALSE, FALSE, sizeof (double));
    }
  if (program == NULL)
    {
      result->skipped
          = g_strdup_printf ("%s is not installed", vsa_test_browser_name (setup->browser));
      g_printerr ("%s: skipped: %s\n", result->label, result->skipped);
      return;
    }
  ok = run_setup (&run, reps, settle_ms, idle_s, program, result, &error);
  if (!ok)
    {
      result->failed = g_strdup (error->message);
      g_printerr ("%s: failed: %s\n", result->label, result->failed);
    }
  run_clear (&run, !ok);
}

/* ---- The output ---- */

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (GArray *values)
{
  g_autoptr (GArray) sorted = NULL;

  if (values == NULL || values->len == 0)
    return NAN;
  sorted = g_array_copy (values);
  g_array_sort (sorted, compare_doubles);
  return vsa_bench_quantile ((double *) sorted->data, sorted->len, 0.5);
}

static double
minimum (GArray *values)
{
  double least = NAN;

  for (guint i = 0; values != NULL && i < values->len; i++)
    if (isnan (least) || g_array_index (values, double, i) < least)
      least = g_array_index (values, double, i);
  return least;
}

static char *
quality_cell (const Samples *samples)
{
  if (samples->ssim->len == 0)
    return g_strdup ("-");
  return g_strdup_printf ("%.3f · %.1f · %.1f", median (samples->ssim), median (samples->psnr),
                          median (samples->worst));
}

static GPtrArray *
row_new (void)
{
  return g_ptr_array_new_with_free_func (g_free);
}

/* What 4:2:0 alone leaves of a scene (its first X screen): the bound of any codec the
 * browsers decode. */
static void
add_bound_row (GPtrArray *rows, VsaBenchSceneKind kind, Result *results, guint n_results)
{
  for (guint i = 0; i < n_results; i++)
    {
      SceneResult *scene = &results[i].scenes[kind];
      g_autoptr (VsaBenchImage) subsampled = NULL;
      VsaBenchQuality bound;
      GPtrArray *row;

      if (scene->reference == NULL)
        continue;
      subsampled = vsa_bench_image_chroma_420 (scene->reference);
      bound = vsa_bench_image_compare (scene->reference, subsampled, &scene->parts.region);
      row = row_new ();
      g_ptr_array_add (row, g_strdup (vsa_bench_scene_name (kind)));
      g_ptr_array_add (row, g_strdup ("4:2:0 alone (the bound)"));
      g_ptr_array_add (row, g_strdup (""));
      for (guint t = 0; t < N_AFTER; t++)
        g_ptr_array_add (
            row, g_strdup_printf ("%.3f · %.1f · %.1f", bound.ssim, bound.psnr, bound.worst_block));
      g_ptr_array_add (row, g_strdup (""));
      g_ptr_array_add (rows, row);
      return; /* the screen is the same for every configuration */
    }
}

static char *
results_table (Result *results, guint n_results)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *header = row_new ();

  g_ptr_array_add (header, g_strdup ("scene"));
  g_ptr_array_add (header, g_strdup ("configuration"));
  g_ptr_array_add (header, g_strdup ("codec"));
  for (guint t = 0; t < N_AFTER; t++)
    g_ptr_array_add (header, after_ms[t] < 1000 ? g_strdup_printf ("+%u ms", after_ms[t])
                                                : g_strdup_printf ("+%u s", after_ms[t] / 1000));
  g_ptr_array_add (header, g_strdup ("during the scroll (median; least PSNR)"));
  g_ptr_array_add (rows, header);
  for (VsaBenchSceneKind kind = 0; kind < VSA_BENCH_N_SCENES; kind++)
    {
      for (guint i = 0; i < n_results; i++)
        {
          SceneResult *scene = &results[i].scenes[kind];
          GPtrArray *row;

          if (results[i].skipped != NULL || results[i].failed != NULL)
            continue;
          row = row_new ();
          g_ptr_array_add (row, g_strdup (vsa_bench_scene_name (kind)));
          g_ptr_array_add (row, g_strdup (results[i].label));
          g_ptr_array_add (
              row, g_strdup (results[i].codec != NULL ? strchr (results[i].codec, '/') + 1 : "?"));
          for (guint t = 0; t < N_AFTER; t++)
            g_ptr_array_add (row, quality_cell (&scene->after[t]));
          if (kind == VSA_BENCH_SCENE_SCROLL)
            g_ptr_array_add (row, g_strdup_printf ("%s; %.1f", quality_cell (&scene->during),
                                                   minimum (scene->during.psnr)));
          else
            g_ptr_array_add (row, g_strdup (""));
          g_ptr_array_add (rows, row);
        }
      add_bound_row (rows, kind, results, n_results);
    }
  return vsa_bench_format_table (rows);
}

static char *
results_notes (Result *results, guint n_results)
{
  GString *notes = g_string_new (NULL);

  for (guint i = 0; i < n_results; i++)
    {
      Result *result = &results[i];

      if (result->skipped != NULL)
        {
          g_string_append_printf (notes, "- %s: skipped: %s\n", result->label, result->skipped);
          continue;
        }
      if (result->failed != NULL)
        {
          g_string_append_printf (notes, "- %s: failed: %s\n", result->label, result->failed);
          continue;
        }
      g_string_append_printf (notes,
                              "- %s: a still screen after its last change costs the agent "
                              "%.2f %% of a core. The page copied each picture at most %.0f ms "
                              "after its time, each change came at most %.0f ms late. Frames "
                              "decoded from +%u ms by +%u ms, +%u s, +%u s (median):",
                              result->label, result->idle.cpu_percent, result->latest_capture_ms,
                              result->latest_change_ms, after_ms[0], after_ms[1],
                              after_ms[2] / 1000, after_ms[3] / 1000);
      for (VsaBenchSceneKind kind = 0; kind < VSA_BENCH_N_SCENES; kind++)
        {
          g_string_append_printf (notes, " %s", vsa_bench_scene_name (kind));
          for (guint t = 1; t < N_AFTER; t++)
            g_string_append_printf (notes, "%s%.0f", t == 1 ? " " : "/",
                                    median (result->scenes[kind].after[t].frames_decoded));
          g_string_append (notes, kind + 1 < VSA_BENCH_N_SCENES ? ";" : ".");
        }
      for (VsaBenchSceneKind kind = 0; kind < VSA_BENCH_N_SCENES; kind++)
        for (guint t = 0; t < N_AFTER; t++)
          if (result->scenes[kind].after[t].not_shown > 0)
            g_string_append_printf (
                notes, " The %s change was not shown yet at +%u ms in %u of %u.",
                vsa_bench_scene_name (kind), after_ms[t], result->scenes[kind].after[t].not_shown,
                result->scenes[kind].after[t].ssim->len);
      {
        SceneResult *window = &result->scenes[VSA_BENCH_SCENE_WINDOW];

        if (window->reference != NULL)
          {
            g_autoptr (VsaBenchImage) subsampled = vsa_bench_image_chroma_420 (window->reference);

            g_string_append_printf (
                notes,
                " Colour text at +%u s (the window's red line and blue links; RGB PSNR): "
                "%.1f dB, 4:2:0 alone %.1f dB; its black text %.1f dB, 4:2:0 alone %.1f dB.",
                after_ms[COLOUR_AT] / 1000, median (window->colour_psnr),
                vsa_bench_image_psnr_rgb (window->reference, subsampled,
                                          &window->parts.colour_text),
                median (window->black_psnr),
                vsa_bench_image_psnr_rgb (window->reference, subsampled,
                                          &window->parts.black_text));
          }
      }
      g_string_append_printf (notes,
                              " Over the run the page lost %.0f packets, sent %.0f NACKs, "
                              "froze %.0f times and decoded %.0f keyframes.\n",
                              result->last.lost, result->last.nacks, result->last.freezes,
                              result->last.keyframes);
    }
  return g_string_free (notes, FALSE);
}

/* bench/quality-SCENE.png: the first repetition's detail, X screen then each time, a row
 * per configuration. */
static gboolean
write_strips (Result *results, guint n_results, GError **error)
{
  const char *titles[N_AFTER + 2] = { "X screen" };
  g_autofree char *names[N_AFTER] = { NULL };

  for (guint t = 0; t < N_AFTER; t++)
    {
      names[t] = after_ms[t] < 1000 ? g_strdup_printf ("browser, +%u ms", after_ms[t])
                                    : g_strdup_printf ("browser, +%u s", after_ms[t] / 1000);
      titles[t + 1] = names[t];
    }
  for (VsaBenchSceneKind kind = 0; kind < VSA_BENCH_N_SCENES; kind++)
    {
      g_autoptr (VsaBenchStrip) strip = vsa_bench_strip_new (titles, 320, 180);
      g_autofree char *file = g_strdup_printf ("quality-%s.png", vsa_bench_scene_name (kind));
      g_autofree char *path = g_build_filename (VSA_BENCH_SOURCE_ROOT, "bench", file, NULL);

      for (guint i = 0; i < n_results; i++)
        {
          SceneResult *scene = &results[i].scenes[kind];
          guint row;

          if (scene->reference == NULL)
            continue;
          row = vsa_bench_strip_add_row (strip, results[i].label);
          vsa_bench_strip_set_cell (strip, row, 0, scene->reference, scene->parts.detail.x,
                                    scene->parts.detail.y, NULL);
          for (guint t = 0; t < N_AFTER; t++)
            if (scene->crops[t] != NULL)
              {
                g_autofree char *caption = g_strdup_printf (
                    "SSIM %.3f, PSNR %.1f dB", g_array_index (scene->after[t].ssim, double, 0),
                    g_array_index (scene->after[t].psnr, double, 0));

                vsa_bench_strip_set_cell (strip, row, t + 1, scene->crops[t], scene->parts.detail.x,
                                          scene->parts.detail.y, caption);
              }
        }
      if (!vsa_bench_strip_write_png (strip, path, error))
        return FALSE;
    }
  return TRUE;
}

static char *
section (Result *results, guint n_results, guint reps, guint settle_ms)
{
  g_autofree char *machine = vsa_bench_machine_description ();
  g_autofree char *table = results_table (results, n_results);
  g_autofree char *notes = results_notes (results, n_results);
  GString *text = g_string_new (NULL);

  g_string_append_printf (
      text,
      "Measured %s.\n\nEach scene %u times, %.1f s still before each change. Cells: SSIM · "
      "PSNR-Y dB · worst 16x16 block's PSNR-Y dB, the median of the repetitions, over the "
      "changed part and a 32-pixel margin (the scroll: the page's viewport).\n\n%s\n%s\n",
      machine, reps, settle_ms / 1000.0, table, notes);
  for (VsaBenchSceneKind kind = 0; kind < VSA_BENCH_N_SCENES; kind++)
    g_string_append_printf (text,
                            "![%s: the X screen and the browser's picture](bench/quality-%s.png)\n",
                            vsa_bench_scene_name (kind), vsa_bench_scene_name (kind));
  return g_string_free (text, FALSE);
}

static void
print_to_stderr (const char *text)
{
  fputs (text, stderr);
}

int
main (int argc, char **argv)
{
  guint low_kbps = 600;
  Setup full[] = {
    { VSA_TEST_BROWSER_CHROMIUM, 0 },
    { VSA_TEST_BROWSER_FIREFOX, 0 },
    { VSA_TEST_BROWSER_CHROMIUM, 0 /* low_kbps */ },
    { VSA_TEST_BROWSER_FIREFOX, 0 /* low_kbps */ },
  };
  gboolean quick = FALSE, write = FALSE;
  g_autofree char *only = NULL;
  const GOptionEntry entries[] = {
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      "Only the configurations whose name contains TEXT (e.g. \"chromium 600\")", "TEXT" },
    { "quick", 0, 0, G_OPTION_ARG_NONE, &quick,
      "One configuration (Chromium, default bitrate), each scene once: checks that the bench "
      "works",
      NULL },
    { "low-bitrate", 0, 0, G_OPTION_ARG_INT, &low_kbps,
      "The low bitrate the last two configurations run at, kbit/s (600)", "KBPS" },
    { "write", 0, 0, G_OPTION_ARG_NONE, &write,
      "Write the results into BENCHMARKS.md and the strips into bench/quality-*.png", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context
      = g_option_context_new ("- measure how sharp the browser's picture is after changes");
  g_autoptr (GError) error = NULL;
  Result results[G_N_ELEMENTS (full)] = { 0 };
  guint n_results = 0, ran = 0, failed = 0;
  guint reps = 3, settle_ms = 4000, idle_s = 10;
  g_autofree char *table = NULL;
  g_autofree char *notes = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "vsa-bench-quality: %s\n", error->message);
      return 2;
    }
  full[2].kbps = full[3].kbps = low_kbps;
  if (write && (only != NULL || quick || low_kbps != 600))
    {
      fprintf (stderr, "vsa-bench-quality: --write needs every configuration\n");
      return 2;
    }
  g_set_print_handler (print_to_stderr);
  gst_init (NULL, NULL);
  if (quick)
    {
      reps = 1;
      idle_s = 3;
    }
  for (guint i = 0; i < (quick ? 1 : G_N_ELEMENTS (full)); i++)
    {
      g_autofree char *label
          = full[i].kbps != 0
                ? g_strdup_printf ("%s %u kbit/s", vsa_test_browser_name (full[i].browser),
                                   full[i].kbps)
                : g_strdup_printf ("%s default bitrate", vsa_test_browser_name (full[i].browser));

      if (only != NULL && strstr (label, only) == NULL)
        continue;
      results[n_results].label = g_steal_pointer (&label);
      run_one (&full[i], reps, settle_ms, idle_s, &results[n_results++]);
    }
  if (n_results == 0)
    {
      fprintf (stderr, "vsa-bench-quality: no configuration's name contains \"%s\"\n", only);
      return 2;
    }
  for (guint i = 0; i < n_results; i++)
    {
      if (results[i].failed != NULL)
        failed++;
      else if (results[i].skipped == NULL)
        ran++;
    }
  table = results_table (results, n_results);
  notes = results_notes (results, n_results);
  printf ("%s\n%s", table, notes);
  fflush (stdout);
  if (write && ran > 0)
    {
      g_autofree char *text = section (results, n_results, reps, settle_ms);

      if (!write_strips (results, n_results, &error)
          || !vsa_bench_replace_section (QUALITY_BEGIN, QUALITY_END, text, &error))
        {
          fprintf (stderr, "vsa-bench-quality: %s\n", error->message);
          failed++;
        }
      else
        fprintf (stderr, "vsa-bench-quality: wrote BENCHMARKS.md and bench/quality-*.png\n");
    }
  for (guint i = 0; i < n_results; i++)
    result_clear (&results[i]);
  if (failed > 0)
    return 1;
  return ran > 0 ? 0 : 77;
}
