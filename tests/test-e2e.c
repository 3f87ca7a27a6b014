/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* End to end: Xvfb showing a solid colour, the agent capturing it, the fake controller
 * serving the viewer page, and a headless browser (Chromium, Firefox) playing the
 * frontend. Passes when the page decodes frames of the screen's colour, and then of a new
 * colour, in the codec the agent must have chosen. A browser's cases are skipped when it
 * is not installed.
 *
 * Runs under tests/netns-run: all traffic stays on loopback and vsa0 (198.18.0.1).
 * Needs: xvfb, x11-xserver-utils (xsetroot), chromium and/or firefox-esr, iptables (the
 * reconnecting cases cut the media path in the namespace). */

#include "vsa-test-browser.h"
#include "vsa-test-controller.h"
#include "vsa-test-sdp.h"
#include "vsa-test-util.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include <xcb/xcb.h>

/* What the viewer page must report: see data/viewer/index.html. */
typedef struct
{
  gint64 min_frames;
  guint8 rgb[3];
  const char *codec; /* the mimeType the page must decode, e.g. "video/VP8" */
} VideoCheck;

static gboolean
report_shows_video (JsonObject *report, gpointer user_data)
{
  VideoCheck *check = user_data;

  return json_object_get_int_member_with_default (report, "frames", 0) >= check->min_frames
         && vsa_test_report_shows_color (report, check->rgb)
         && g_ascii_strcasecmp (json_object_get_string_member_with_default (report, "codec", ""),
                                check->codec)
                == 0;
}

/* ---- The tests. ---- */

/* A browser the test runs, and what it needs to report on failure. */
typedef struct
{
  GSubprocess *process;
  char *log_path;
} Page;

static void
page_clear (Page *page)
{
  /* SIGTERM first, so that the page's peer connection is closed as a user's would be. */
  vsa_test_process_stop (page->process, 5000);
  if (page->process != NULL && g_test_failed ())
    vsa_test_print_log_tail (page->log_path, 4000);
  g_clear_object (&page->process);
  g_clear_pointer (&page->log_path, g_free);
}

typedef struct
{
  char *tmp_dir;
  VsaTestXvfb *xvfb;
  VsaTestController *controller;
  char *url;
  GSubprocess *agent;
  char *agent_log;
  guint first_display; /* 0: the first free from :99; else from here (a test restarting it) */
  gboolean media_cut;  /* the namespace's firewall drops what goes to 198.18.0.1 */
  Page pages[2];       /* the page of the current load, and the previous one while it lives */
  guint loads;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  fixture->tmp_dir = g_dir_make_tmp ("vsa-e2e-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->agent_log = g_build_filename (fixture->tmp_dir, "agent.log", NULL);
}

/* Drops (insert) or passes again (delete) every packet to vsa0's 198.18.0.1, the only
 * address ICE has here: the media path, both ways, and nothing else (the page's reports
 * go to the controller on 127.0.0.1). The namespace is the test program's own. */
static gboolean
cut_media (Fixture *fixture, gboolean cut)
{
  const char *const argv[]
      = { "iptables", "-w", cut ? "-I" : "-D", "INPUT", "-d", "198.18.0.1/32", "-j", "DROP", NULL };
  g_autoptr (GError) error = NULL;

  if (!vsa_test_run (argv, 10000, &error))
    {
      g_test_fail_printf ("iptables: %s", error->message);
      return FALSE;
    }
  fixture->media_cut = cut;
  return TRUE;
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  /* the next case runs in the same namespace */
  if (fixture->media_cut)
    cut_media (fixture, FALSE);
  /* The browsers first, so that the agent sees its peer leave; the screen last. */
  for (gsize i = 0; i < G_N_ELEMENTS (fixture->pages); i++)
    page_clear (&fixture->pages[i]);
  if (fixture->agent != NULL)
    {
      vsa_test_process_stop (fixture->agent, 5000);
      if (g_test_failed () || g_test_verbose ())
        vsa_test_print_log_tail (fixture->agent_log, 8000);
      g_clear_object (&fixture->agent);
    }
  g_clear_pointer (&fixture->controller, vsa_test_controller_free);
  g_clear_pointer (&fixture->url, g_free);
  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);
  vsa_test_rm_rf (fixture->tmp_dir);
  g_clear_pointer (&fixture->tmp_dir, g_free);
  g_clear_pointer (&fixture->agent_log, g_free);
}

/* The codec each browser gets by default: Chromium offers H264, the agent's first
 * preference; Firefox without OpenH264 offers VP8 (PT 120), VP9 (121) and AV1. */
static const char *
default_codec (VsaTestBrowser browser)
{
  return browser == VSA_TEST_BROWSER_CHROMIUM ? "video/H264" : "video/VP8";
}

static double
seconds_since (gint64 start_us)
{
  return (double) (g_get_monotonic_time () - start_us) / G_USEC_PER_SEC;
}

/* Xvfb painted red, the controller and the agent (with extra_args, NULL-terminated, or
 * NULL), its output in agent.log. */
static gboolean
start_agent (Fixture *fixture, const char *const *extra_args)
{
  const char *agent_bin = g_getenv ("VSA_AGENT_BIN");
  const char *viewer_dir = g_getenv ("VSA_VIEWER_DIR");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *controller_arg = NULL;
  g_autofree char *display_arg = NULL;

  if (agent_bin == NULL || viewer_dir == NULL)
    {
      g_test_fail_printf ("VSA_AGENT_BIN and VSA_VIEWER_DIR must be set (meson test does)");
      return FALSE;
    }
  fixture->xvfb = fixture->first_display == 0
                      ? vsa_test_xvfb_start (1280, 720, &error)
                      : vsa_test_xvfb_start_on (vsa_test_xvfb_free_display (fixture->first_display),
                                                1280, 720, &error);
  if (fixture->xvfb == NULL || !vsa_test_xvfb_set_color (fixture->xvfb, "#ff0000", &error))
    {
      g_test_fail_printf ("X server: %s", error->message);
      return FALSE;
    }
  fixture->controller = vsa_test_controller_new ("127.0.0.1", 0, viewer_dir, &error);
  if (fixture->controller == NULL)
    {
      g_test_fail_printf ("controller: %s", error->message);
      return FALSE;
    }
  fixture->url = vsa_test_controller_get_url (fixture->controller);
  controller_arg = g_strconcat ("--controller-url=", fixture->url, NULL);
  display_arg = g_strconcat ("--display=", fixture->xvfb->display, NULL);

  g_ptr_array_add (argv, (char *) agent_bin);
  g_ptr_array_add (argv, "--session-id=e2e");
  g_ptr_array_add (argv, controller_arg);
  g_ptr_array_add (argv, display_arg);
  g_ptr_array_add (argv, "--source=x11");
  g_ptr_array_add (argv, "--verbose");
  for (gsize i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  fixture->agent
      = vsa_test_spawn ((const char *const *) argv->pdata, NULL, fixture->agent_log, &error);
  if (fixture->agent == NULL)
    {
      g_test_fail_printf ("agent: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

/* Loads the viewer page in a new browser with query (after session and report), as
 * fixture->pages[0]; the page that was there becomes pages[1] (whatever was in pages[1]
 * is closed). The page reports as "load-N", N counting from 1; returns N, or 0. */
static guint
load_page (Fixture *fixture, VsaTestBrowser browser, gboolean hide_host_addresses,
           const char *query)
{
  g_autofree char *program = vsa_test_browser_find (browser);
  g_autofree char *page_url = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (GError) error = NULL;
  guint load = fixture->loads + 1;

  page_clear (&fixture->pages[1]);
  fixture->pages[1] = fixture->pages[0];
  fixture->pages[0] = (Page){ NULL, NULL };
  if (program == NULL)
    {
      g_test_fail_printf ("%s is not installed", vsa_test_browser_name (browser));
      return 0;
    }
  dir = g_strdup_printf ("%s/load-%u", fixture->tmp_dir, load);
  fixture->pages[0].log_path = g_strdup_printf ("%s/load-%u.log", fixture->tmp_dir, load);
  page_url = g_strdup_printf ("%s/?session=e2e&report=load-%u%s", fixture->url, load, query);
  fixture->pages[0].process = vsa_test_browser_start (
      browser, program, page_url, dir, hide_host_addresses, fixture->pages[0].log_path, &error);
  if (fixture->pages[0].process == NULL)
    {
      g_test_fail_printf ("%s: %s", program, error->message);
      return 0;
    }
  fixture->loads = load;
  return load;
}

/* Waits for page load to show at least 3 frames of colour rgb in codec: a still screen is
 * sent once a second (the agent skips unchanged frames), so more would only take longer. */
static gboolean
expect_video (Fixture *fixture, guint load, const guint8 rgb[3], const char *codec,
              guint timeout_ms)
{
  g_autofree char *report_id = g_strdup_printf ("load-%u", load);
  VideoCheck check = { 3, { rgb[0], rgb[1], rgb[2] }, codec };
  gint64 start = g_get_monotonic_time ();
  g_autoptr (JsonNode) last = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *last_text = NULL;
  gboolean done = vsa_test_wait_for_report (fixture->controller, report_id, fixture->agent,
                                            report_shows_video, &check, timeout_ms, &last, &error);

  /* The last report either way: it holds the page's timings. */
  last_text = last != NULL ? json_to_string (last, FALSE) : NULL;
  g_test_message ("%s; last report: %s", done ? "done" : error->message,
                  last_text ? last_text : "none");
  if (!done)
    {
      g_test_fail_printf ("load %u: no %" G_GINT64_FORMAT " frames of #%02x%02x%02x in %s "
                          "within %u s",
                          load, check.min_frames, rgb[0], rgb[1], rgb[2], codec, timeout_ms / 1000);
      return FALSE;
    }
  g_test_message ("load %u: %" G_GINT64_FORMAT " frames of #%02x%02x%02x in %s after %.1f s", load,
                  check.min_frames, rgb[0], rgb[1], rgb[2], codec, seconds_since (start));
  return TRUE;
}

static gboolean
paint (Fixture *fixture, const guint8 rgb[3])
{
  g_autofree char *color = g_strdup_printf ("#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  g_autoptr (GError) error = NULL;

  if (vsa_test_xvfb_set_color (fixture->xvfb, color, &error))
    return TRUE;
  g_test_fail_printf ("xsetroot: %s", error->message);
  return FALSE;
}

static const guint8 red[3] = { 255, 0, 0 };
static const guint8 blue[3] = { 0, 0, 255 };

/* One frontend flow in one browser: the viewer page's query (see data/viewer/index.html). */
typedef struct
{
  const char *path;
  VsaTestBrowser browser;
  const char *query;
  const char *codec;            /* what the agent must send */
  const char *agent_codecs;     /* the agent's --codec list, or NULL for its default */
  gboolean hide_host_addresses; /* the browser's host candidates are mDNS names */
} FlowCase;

/* The page reported the candidates it gathered; with hidden host addresses, every host
 * candidate must be an mDNS name, or the case would test nothing. */
static gboolean
report_hides_host_addresses (JsonObject *report)
{
  JsonNode *node = json_object_get_member (report, "localCandidates");
  JsonArray *candidates
      = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  guint hosts = 0;

  for (guint i = 0; candidates != NULL && i < json_array_get_length (candidates); i++)
    {
      const char *candidate = json_array_get_string_element (candidates, i);
      g_auto (GStrv) fields = g_strsplit (candidate != NULL ? candidate : "", " ", 0);

      if (g_strv_length (fields) < 8 || g_strcmp0 (fields[7], "host") != 0)
        continue;
      if (!g_str_has_suffix (fields[4], ".local"))
        return FALSE;
      hosts++;
    }
  return hosts > 0;
}

#define PLAYOUT_DELAY_URI "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

/* The answer's playout-delay extmap without its URI ("5", "6/sendonly"), or NULL. */
static char *
answer_playout_delay (Fixture *fixture)
{
  g_autofree char *answer_json = vsa_test_controller_dup_answer (fixture->controller, "e2e");
  g_autoptr (JsonNode) root = answer_json != NULL ? json_from_string (answer_json, NULL) : NULL;
  g_autoptr (GstSDPMessage) sdp = NULL;
  const GstSDPMedia *video;
  JsonObject *answer = NULL;

  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    answer = json_object_get_object_member (json_node_get_object (root), "answer");
  if (answer == NULL)
    return NULL;
  sdp = vsa_test_sdp_parse (json_object_get_string_member_with_default (answer, "sdp", NULL));
  video = sdp != NULL ? vsa_test_sdp_get_media (sdp, "video") : NULL;
  return video != NULL ? vsa_test_sdp_get_extmap (video, PLAYOUT_DELAY_URI) : NULL;
}

/* Playout-delay is answered exactly when offered, under the offer's id, and the browser's
 * receiver took it (when the browser says: RTCRtpReceiver.getParameters()). */
static gboolean
expect_playout_delay (Fixture *fixture, guint load)
{
  g_autofree char *report_id = g_strdup_printf ("load-%u", load);
  g_autoptr (JsonNode) report = vsa_test_controller_dup_report (fixture->controller, report_id);
  g_autofree char *extmap = answer_playout_delay (fixture);
  g_autofree char *extensions = NULL;
  g_autofree char *entry = NULL;
  char *end = NULL;
  JsonObject *object;
  JsonNode *node;
  gint64 offered = -1;

  if (report == NULL || !JSON_NODE_HOLDS_OBJECT (report))
    {
      g_test_fail_printf ("load %u: no report", load);
      return FALSE;
    }
  object = json_node_get_object (report);
  node = json_object_get_member (object, "offeredPlayoutDelay");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
    offered = json_node_get_int (node);
  node = json_object_get_member (object, "headerExtensions");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    extensions = json_to_string (node, FALSE);
  g_test_message ("load %u: offered playout-delay id %" G_GINT64_FORMAT ", answered \"%s\", "
                  "the receiver's header extensions: %s",
                  load, offered, extmap != NULL ? extmap : "",
                  extensions != NULL ? extensions : "?");

  if (offered < 0)
    {
      if (extmap == NULL)
        return TRUE;
      g_test_fail_printf ("load %u: playout-delay answered but not offered", load);
      return FALSE;
    }
  if (extmap == NULL || g_ascii_strtoll (extmap, &end, 10) != offered
      || (*end != '\0' && *end != '/'))
    {
      g_test_fail_printf ("load %u: playout-delay offered as %" G_GINT64_FORMAT
                          " but answered \"%s\"",
                          load, offered, extmap != NULL ? extmap : "");
      return FALSE;
    }
  entry = g_strdup_printf ("\"%" G_GINT64_FORMAT " " PLAYOUT_DELAY_URI "\"", offered);
  if (extensions != NULL && strstr (extensions, entry) == NULL)
    {
      g_test_fail_printf ("load %u: the browser's receiver did not take playout-delay", load);
      return FALSE;
    }
  return TRUE;
}

static void
test_flow (Fixture *fixture, gconstpointer user_data)
{
  const FlowCase *flow = user_data;
  g_autofree char *program = vsa_test_browser_find (flow->browser);
  g_autofree char *codecs_arg = NULL;
  const char *extra_args[] = { NULL, NULL };
  guint load;

  if (program == NULL)
    {
      g_test_skip_printf ("%s is not installed", vsa_test_browser_name (flow->browser));
      return;
    }
  if (flow->agent_codecs != NULL)
    extra_args[0] = codecs_arg = g_strconcat ("--codec=", flow->agent_codecs, NULL);
  if (!start_agent (fixture, extra_args))
    return;
  load = load_page (fixture, flow->browser, flow->hide_host_addresses, flow->query);
  if (load == 0 || !expect_video (fixture, load, red, flow->codec, 30000)
      || !expect_playout_delay (fixture, load))
    return;
  g_test_message ("answers posted: %u",
                  vsa_test_controller_get_answer_count (fixture->controller, "e2e"));

  if (flow->hide_host_addresses)
    {
      g_autoptr (JsonNode) report = vsa_test_controller_dup_report (fixture->controller, "load-1");

      if (!report_hides_host_addresses (json_node_get_object (report)))
        {
          g_test_fail_printf ("the browser's host candidates are not mDNS names");
          return;
        }
    }

  /* Live frames, not one stale picture: the page must follow a change of the screen. */
  if (paint (fixture, blue))
    expect_video (fixture, load, blue, flow->codec, 10000);
}

/* Lines of the agent's log that contain needle. */
static guint
count_agent_log_lines (Fixture *fixture, const char *needle)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  guint count = 0;

  if (!g_file_get_contents (fixture->agent_log, &contents, NULL, NULL))
    return 0;
  lines = g_strsplit (contents, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      count++;
  return count;
}

typedef struct
{
  Fixture *fixture;
  const char *needle;
  guint min_offer_polls;
} LogWait;

static gboolean
agent_logged (gpointer user_data)
{
  LogWait *wait = user_data;

  return count_agent_log_lines (wait->fixture, wait->needle) > 0
         && vsa_test_controller_get_request_count (wait->fixture->controller, "GET", "/offer")
                >= wait->min_offer_polls;
}

/* An offer of only AV1, which the agent cannot encode: one warning naming what was
 * offered, however often the agent polls it again; no answer; and the next page,
 * offering the usual codecs, gets video from the same agent. */
static void
test_unsupported_codec (Fixture *fixture, gconstpointer user_data)
{
  VsaTestBrowser browser = GPOINTER_TO_INT (user_data);
  g_autofree char *program = vsa_test_browser_find (browser);
  const char *error_line = "warning: session e2e: ended: offer not answered: the offer's video "
                           "codecs (AV1) include none of ours";
  LogWait wait = { fixture, error_line, 0 };
  guint load;

  if (program == NULL)
    {
      g_test_skip_printf ("%s is not installed", vsa_test_browser_name (browser));
      return;
    }
  if (!start_agent (fixture, NULL) || load_page (fixture, browser, FALSE, "&codec=AV1") == 0)
    return;
  if (!vsa_test_wait_until (agent_logged, &wait, 30000))
    {
      g_test_fail_printf ("the agent did not log \"%s\" within 30 s", error_line);
      return;
    }
  /* A few more polls of the same offer: still one line. */
  wait.min_offer_polls
      = vsa_test_controller_get_request_count (fixture->controller, "GET", "/offer") + 4;
  if (!vsa_test_wait_until (agent_logged, &wait, 10000))
    {
      g_test_fail_printf ("the agent stopped polling the offer");
      return;
    }
  g_assert_cmpuint (count_agent_log_lines (fixture, error_line), ==, 1);
  g_assert_cmpuint (count_agent_log_lines (fixture, "warning:"), ==, 1);
  g_assert_cmpuint (vsa_test_controller_get_answer_count (fixture->controller, "e2e"), ==, 0);

  load = load_page (fixture, browser, FALSE, "");
  if (load != 0)
    expect_video (fixture, load, red, default_codec (browser), 30000);
}

/* Five page loads against one agent, each a new offer replacing the last, Chromium and
 * Firefox in turn (or the one installed), each on a new screen colour: every one gets
 * video. Loads 2 and 4 come while the previous page still streams; load 3's browser is
 * killed mid-stream (no goodbye) before load 4, and load 5 comes after load 4's browser
 * closed its page. */
static void
test_back_to_back (Fixture *fixture, gconstpointer user_data)
{
  static const guint8 colors[][3] = {
    { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 }, { 255, 255, 255 }, { 255, 0, 255 },
  };
  g_autofree char *chromium = vsa_test_browser_find (VSA_TEST_BROWSER_CHROMIUM);
  g_autofree char *firefox = vsa_test_browser_find (VSA_TEST_BROWSER_FIREFOX);

  if (chromium == NULL && firefox == NULL)
    {
      g_test_skip ("neither chromium nor firefox-esr is installed");
      return;
    }
  if (!start_agent (fixture, NULL))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (colors); i++)
    {
      VsaTestBrowser browser = (i % 2 == 0 && chromium != NULL) || firefox == NULL
                                   ? VSA_TEST_BROWSER_CHROMIUM
                                   : VSA_TEST_BROWSER_FIREFOX;
      guint load;

      if (i == 3)
        {
          g_test_message ("killing load 3's browser mid-stream");
          g_subprocess_force_exit (fixture->pages[0].process);
          vsa_test_process_wait (fixture->pages[0].process, 5000);
        }
      else if (i == 4)
        page_clear (&fixture->pages[0]);
      if (!paint (fixture, colors[i]))
        return;
      load = load_page (fixture, browser, FALSE, "");
      if (load == 0 || !expect_video (fixture, load, colors[i], default_codec (browser), 30000))
        return;
    }
  g_test_message ("answers posted for the last offer: %u",
                  vsa_test_controller_get_answer_count (fixture->controller, "e2e"));
}

/* The page's CSS cursor is the one the agent sent last, at its hotspot, and not the one
 * with serial user_data (0: any). */
static gboolean
report_shows_cursor (JsonObject *report, gpointer user_data)
{
  gint64 old_serial = GPOINTER_TO_INT (user_data);
  JsonObject *cursor = json_object_get_object_member (report, "cursor");
  g_autofree char *hotspot = NULL;
  const char *css;

  if (cursor == NULL || json_object_get_int_member_with_default (cursor, "serial", 0) == old_serial)
    return FALSE;
  css = json_object_get_string_member_with_default (cursor, "css", "");
  hotspot = g_strdup_printf (") %" G_GINT64_FORMAT " %" G_GINT64_FORMAT ", auto",
                             json_object_get_int_member_with_default (cursor, "xhot", -1),
                             json_object_get_int_member_with_default (cursor, "yhot", -1));
  return g_str_has_prefix (css, "url(\"data:image/png;base64,") && g_str_has_suffix (css, hotspot);
}

/* The notice over the picture: user_data NULL for none, else a part of its text. */
static gboolean
report_shows_notice (JsonObject *report, gpointer user_data)
{
  const char *notice = json_object_get_string_member_with_default (report, "notice", NULL);

  return user_data == NULL ? notice == NULL : notice != NULL && strstr (notice, user_data) != NULL;
}

static gboolean
expect_report (Fixture *fixture, guint load, VsaTestReportCheck check, gpointer data,
               const char *what, JsonNode **out_report)
{
  g_autofree char *report_id = g_strdup_printf ("load-%u", load);
  g_autoptr (JsonNode) last = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *last_text = NULL;

  if (vsa_test_wait_for_report (fixture->controller, report_id, fixture->agent, check, data, 15000,
                                &last, &error))
    {
      if (out_report != NULL)
        *out_report = g_steal_pointer (&last);
      return TRUE;
    }
  last_text = last != NULL ? json_to_string (last, FALSE) : NULL;
  g_test_fail_printf ("load %u: %s not shown within 15 s (%s); last report: %.2000s", load, what,
                      error->message, last_text != NULL ? last_text : "none");
  return FALSE;
}

/* The text cursor (the cursor font's XC_xterm) on the root window, kept while conn is:
 * as a VM program keeps its own (the server refuses the image of a freed one). */
static void
define_text_cursor (xcb_connection_t *conn)
{
  xcb_window_t root = xcb_setup_roots_iterator (xcb_get_setup (conn)).data->root;
  xcb_font_t font = xcb_generate_id (conn);
  xcb_cursor_t cursor = xcb_generate_id (conn);

  xcb_open_font (conn, font, strlen ("cursor"), "cursor");
  xcb_create_glyph_cursor (conn, cursor, font, font, 152, 153, 0, 0, 0, 0xffff, 0xffff, 0xffff);
  xcb_change_window_attributes (conn, root, XCB_CW_CURSOR, &cursor);
  free (xcb_get_input_focus_reply (conn, xcb_get_input_focus (conn), NULL));
}

/* cursor=local: the page's cursor is the VM's, and follows it when a VM client changes it
 * (a text cursor over the desktop); the display's outage is said over the picture and
 * cleared when it is back. */
static void
test_local_cursor (Fixture *fixture, gconstpointer user_data)
{
  VsaTestBrowser browser = GPOINTER_TO_INT (user_data);
  g_autofree char *program = vsa_test_browser_find (browser);
  g_autoptr (JsonNode) first = NULL;
  g_autoptr (GError) error = NULL;
  xcb_connection_t *conn;
  gint64 serial;
  guint load, number;

  if (program == NULL)
    {
      g_test_skip_printf ("%s is not installed", vsa_test_browser_name (browser));
      return;
    }
  /* its display is restarted: away from the others' (x11-src :150, x11-connection :250,
   * cursor :270, agent :290) */
  fixture->first_display = 310;
  if (!start_agent (fixture, NULL))
    return;
  load = load_page (fixture, browser, FALSE, "");
  if (load == 0 || !expect_video (fixture, load, red, default_codec (browser), 30000)
      || !expect_report (fixture, load, report_shows_cursor, NULL, "the VM's cursor", &first))
    return;
  serial = json_object_get_int_member (
      json_object_get_object_member (json_node_get_object (first), "cursor"), "serial");
  conn = xcb_connect (fixture->xvfb->display, NULL);
  g_assert_false (xcb_connection_has_error (conn));
  define_text_cursor (conn);
  if (!expect_report (fixture, load, report_shows_cursor, GINT_TO_POINTER ((int) serial),
                      "the VM's text cursor", NULL))
    {
      xcb_disconnect (conn);
      return;
    }
  xcb_disconnect (conn);

  number = fixture->xvfb->number;
  g_assert_true (vsa_test_xvfb_stop (fixture->xvfb, &error));
  g_assert_no_error (error);
  if (!expect_report (fixture, load, report_shows_notice, "display is not available",
                      "the display's outage", NULL))
    return;
  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);
  fixture->xvfb = vsa_test_xvfb_start_on (number, 1280, 720, &error);
  g_assert_no_error (error);
  expect_report (fixture, load, report_shows_notice, NULL, "the display back", NULL);
}

/* The page's phase line says user_data (a prefix of it). */
static gboolean
report_says (JsonObject *report, gpointer user_data)
{
  return g_str_has_prefix (json_object_get_string_member_with_default (report, "shown", ""),
                           user_data);
}

/* The member name of report as an object, or NULL. */
static JsonObject *
report_object (JsonObject *report, const char *name)
{
  JsonNode *node = json_object_get_member (report, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* "Live", with the stats overlay open and its numbers, as the page shows them, there. */
static gboolean
report_shows_live_stats (JsonObject *report, gpointer user_data)
{
  static const char *const shown[] = { "codec", "resolution", "fps", "bitrate", "latency" };
  JsonObject *stats = report_object (report, "stats");

  if (!report_says (report, "Live") || stats == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (shown); i++)
    if (*json_object_get_string_member_with_default (stats, shown[i], "") == '\0')
      return FALSE;
  return TRUE;
}

/* The video element's rendered size and the stage's it sits in (CSS pixels) in report:
 * size[0..3] width, height, stage width, stage height. */
static void
report_video_box (JsonNode *report, gint64 size[4])
{
  static const char *const names[] = { "width", "height", "stageWidth", "stageHeight" };
  JsonObject *box = report_object (json_node_get_object (report), "videoBox");

  for (guint i = 0; i < 4; i++)
    size[i] = box != NULL ? json_object_get_int_member_with_default (box, names[i], 0) : 0;
  g_test_message ("video %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " on a stage of %" G_GINT64_FORMAT
                  "x%" G_GINT64_FORMAT,
                  size[0], size[1], size[2], size[3]);
}

/* The page as a person sees it: "Live" once frames come, the stats overlay (stats=1)
 * naming the codec, resolution and frame rate, the picture fitted into the window (its
 * aspect kept); a second page (scale=1:1) replacing the first shows the picture at its
 * size, and the first says the session ended. */
static void
test_phases (Fixture *fixture, gconstpointer user_data)
{
  VsaTestBrowser browser = GPOINTER_TO_INT (user_data);
  g_autofree char *program = vsa_test_browser_find (browser);
  g_autoptr (JsonNode) fit = NULL;
  g_autoptr (JsonNode) one_to_one = NULL;
  g_autoptr (JsonNode) first_end = NULL;
  JsonObject *stats;
  gint64 size[4];
  guint load;

  if (program == NULL)
    {
      g_test_skip_printf ("%s is not installed", vsa_test_browser_name (browser));
      return;
    }
  if (!start_agent (fixture, NULL))
    return;
  load = load_page (fixture, browser, FALSE, "&stats=1");
  if (load == 0 || !expect_video (fixture, load, red, default_codec (browser), 30000)
      || !expect_report (fixture, load, report_shows_live_stats, NULL, "Live and the stats", &fit))
    return;
  stats = report_object (json_node_get_object (fit), "stats");
  g_test_message ("stats: codec %s, %s, %s, %s, latency %s",
                  json_object_get_string_member (stats, "codec"),
                  json_object_get_string_member (stats, "resolution"),
                  json_object_get_string_member (stats, "fps"),
                  json_object_get_string_member (stats, "bitrate"),
                  json_object_get_string_member (stats, "latency"));
  g_assert_cmpstr (json_object_get_string_member (stats, "codec"), ==,
                   default_codec (browser) + strlen ("video/"));
  g_assert_cmpstr (json_object_get_string_member (stats, "resolution"), ==, "1280\u00d7720");
  /* fitted: as wide or as high as the stage, inside it, 16:9 kept */
  report_video_box (fit, size);
  g_assert_cmpint (size[0], >, 0);
  g_assert_true (ABS (size[0] - size[2]) <= 1 || ABS (size[1] - size[3]) <= 1);
  g_assert_cmpint (size[0], <=, size[2] + 1);
  g_assert_cmpint (size[1], <=, size[3] + 1);
  g_assert_cmpint (ABS (size[0] * 9 - size[1] * 16), <=, 32);

  load = load_page (fixture, browser, FALSE, "&scale=1:1");
  if (load == 0 || !expect_video (fixture, load, red, default_codec (browser), 30000)
      || !expect_report (fixture, load, report_says, "Live", "Live at 1:1", &one_to_one)
      || !expect_report (fixture, load - 1, report_says, "Ended: ", "the first page's end",
                         &first_end))
    return;
  /* the agent's goodbye names the reason; "the connection was lost" means it never came */
  g_test_message ("the first page: %s",
                  json_object_get_string_member (json_node_get_object (first_end), "shown"));
  report_video_box (one_to_one, size);
  g_assert_cmpint (size[0], ==, 1280);
  g_assert_cmpint (size[1], ==, 720);
}

/* A cut of the media path: in which browser, and whether it outlasts the agent's 10 s
 * of liveness. */
typedef struct
{
  VsaTestBrowser browser;
  gboolean outlasts;
} CutCase;

static gboolean
agent_log_has (gpointer data)
{
  const char *const *what = data;
  g_autofree char *log = NULL;

  return g_file_get_contents (what[0], &log, NULL, NULL) && strstr (log, what[1]) != NULL;
}

/* The media path cut (the firewall drops it): the page says "Reconnecting" while it is
 * down. A short cut: once the path is back ICE comes back on its own, the same session
 * goes on (a new colour arrives: the page never makes a second offer) and the page says
 * "Live" again. A cut that outlasts the agent's liveness (10 s without a packet from the
 * browser ends the session; Firefox takes about as long to say it is disconnected): the
 * agent's goodbye cannot get through and the browser would go on saying "disconnected"
 * for long after the path is back, so the page says the session ended 10 s after its
 * "Reconnecting". */
static void
test_reconnecting (Fixture *fixture, gconstpointer user_data)
{
  const CutCase *cut = user_data;
  g_autofree char *program = vsa_test_browser_find (cut->browser);
  const char *const silence[] = { fixture->agent_log, "ended: nothing from the browser" };
  gint64 start;
  guint load;

  if (program == NULL)
    {
      g_test_skip_printf ("%s is not installed", vsa_test_browser_name (cut->browser));
      return;
    }
  if (!start_agent (fixture, NULL))
    return;
  load = load_page (fixture, cut->browser, FALSE, "");
  if (load == 0 || !expect_video (fixture, load, red, default_codec (cut->browser), 30000)
      || !expect_report (fixture, load, report_says, "Live", "Live", NULL))
    return;
  start = g_get_monotonic_time ();
  if (!cut_media (fixture, TRUE)
      || !expect_report (fixture, load, report_says, "Reconnecting", "Reconnecting", NULL))
    return;
  g_test_message ("Reconnecting shown %.1f s after the cut", seconds_since (start));
  if (cut->outlasts)
    {
      g_assert_true (vsa_test_wait_until (agent_log_has, (gpointer) silence, 20000));
      g_test_message ("the agent ended the session %.1f s after the cut", seconds_since (start));
      start = g_get_monotonic_time ();
      if (cut_media (fixture, FALSE)
          && expect_report (fixture, load, report_says, "Ended: the connection was lost", "the end",
                            NULL))
        g_test_message ("Ended shown %.1f s after the path is back", seconds_since (start));
      return;
    }
  start = g_get_monotonic_time ();
  if (!cut_media (fixture, FALSE) || !paint (fixture, blue)
      || !expect_video (fixture, load, blue, default_codec (cut->browser), 15000)
      || !expect_report (fixture, load, report_says, "Live", "Live again", NULL))
    return;
  g_test_message ("Live again %.1f s after the path is back", seconds_since (start));
}

int
main (int argc, char **argv)
{
  static const FlowCase flows[] = {
    { "/vsa/e2e/chromium-early", VSA_TEST_BROWSER_CHROMIUM, "", "video/H264" },
    { "/vsa/e2e/chromium-viewer", VSA_TEST_BROWSER_CHROMIUM, "&flow=viewer", "video/H264" },
    /* The dashboard's offer, then the viewer's: the agent must answer the second. */
    { "/vsa/e2e/chromium-double", VSA_TEST_BROWSER_CHROMIUM, "&flow=double", "video/H264" },
    { "/vsa/e2e/firefox-early", VSA_TEST_BROWSER_FIREFOX, "", "video/VP8" },
    { "/vsa/e2e/firefox-viewer", VSA_TEST_BROWSER_FIREFOX, "&flow=viewer", "video/VP8" },
    { "/vsa/e2e/firefox-double", VSA_TEST_BROWSER_FIREFOX, "&flow=double", "video/VP8" },
    /* The page offers one codec; the agent's preference puts it last. */
    { "/vsa/e2e/chromium-h264", VSA_TEST_BROWSER_CHROMIUM, "&codec=H264", "video/H264",
      "vp8,vp9,h264" },
    { "/vsa/e2e/chromium-vp8", VSA_TEST_BROWSER_CHROMIUM, "&codec=VP8", "video/VP8",
      "vp9,h264,vp8" },
    { "/vsa/e2e/chromium-vp9", VSA_TEST_BROWSER_CHROMIUM, "&codec=VP9", "video/VP9" },
    { "/vsa/e2e/firefox-vp8", VSA_TEST_BROWSER_FIREFOX, "&codec=VP8", "video/VP8", "vp9,h264,vp8" },
    { "/vsa/e2e/firefox-vp9", VSA_TEST_BROWSER_FIREFOX, "&codec=VP9", "video/VP9" },
    /* codecs=offer: the page puts a codec first (setCodecPreferences) and offers the rest
     * too; the agent follows it, not its own order (which would send H264, VP8) */
    { "/vsa/e2e/chromium-codecs-offer", VSA_TEST_BROWSER_CHROMIUM, "&prefer=VP8", "video/VP8",
      "offer" },
    { "/vsa/e2e/firefox-codecs-offer", VSA_TEST_BROWSER_FIREFOX, "&prefer=VP9", "video/VP9",
      "offer" },
    /* Candidates with and without prefix, sdpMid or sdpMLineIndex only, mDNS and TCP. */
    { "/vsa/e2e/chromium-candidate-forms", VSA_TEST_BROWSER_CHROMIUM,
      "&flow=viewer&candidates=varied", "video/H264" },
    { "/vsa/e2e/firefox-candidate-forms", VSA_TEST_BROWSER_FIREFOX, "&candidates=varied",
      "video/VP8" },
    /* Browsers' default: host addresses hidden; peer-reflexive candidates connect. */
    { "/vsa/e2e/chromium-mdns-early", VSA_TEST_BROWSER_CHROMIUM, "", "video/H264", NULL, TRUE },
    { "/vsa/e2e/chromium-mdns-viewer", VSA_TEST_BROWSER_CHROMIUM, "&flow=viewer", "video/H264",
      NULL, TRUE },
    { "/vsa/e2e/firefox-mdns-early", VSA_TEST_BROWSER_FIREFOX, "", "video/VP8", NULL, TRUE },
    { "/vsa/e2e/firefox-mdns-viewer", VSA_TEST_BROWSER_FIREFOX, "&flow=viewer", "video/VP8", NULL,
      TRUE },
  };

  static const CutCase short_cut = { VSA_TEST_BROWSER_CHROMIUM, FALSE };
  static const CutCase chromium_long_cut = { VSA_TEST_BROWSER_CHROMIUM, TRUE };
  static const CutCase firefox_long_cut = { VSA_TEST_BROWSER_FIREFOX, TRUE };

  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (flows); i++)
    g_test_add (flows[i].path, Fixture, &flows[i], fixture_set_up, test_flow, fixture_tear_down);
  g_test_add ("/vsa/e2e/chromium-unsupported-codec", Fixture,
              GINT_TO_POINTER (VSA_TEST_BROWSER_CHROMIUM), fixture_set_up, test_unsupported_codec,
              fixture_tear_down);
  g_test_add ("/vsa/e2e/firefox-unsupported-codec", Fixture,
              GINT_TO_POINTER (VSA_TEST_BROWSER_FIREFOX), fixture_set_up, test_unsupported_codec,
              fixture_tear_down);
  g_test_add ("/vsa/e2e/chromium-local-cursor", Fixture,
              GINT_TO_POINTER (VSA_TEST_BROWSER_CHROMIUM), fixture_set_up, test_local_cursor,
              fixture_tear_down);
  g_test_add ("/vsa/e2e/firefox-local-cursor", Fixture, GINT_TO_POINTER (VSA_TEST_BROWSER_FIREFOX),
              fixture_set_up, test_local_cursor, fixture_tear_down);
  g_test_add ("/vsa/e2e/chromium-phases", Fixture, GINT_TO_POINTER (VSA_TEST_BROWSER_CHROMIUM),
              fixture_set_up, test_phases, fixture_tear_down);
  g_test_add ("/vsa/e2e/firefox-phases", Fixture, GINT_TO_POINTER (VSA_TEST_BROWSER_FIREFOX),
              fixture_set_up, test_phases, fixture_tear_down);
  g_test_add ("/vsa/e2e/chromium-reconnecting", Fixture, &short_cut, fixture_set_up,
              test_reconnecting, fixture_tear_down);
  g_test_add ("/vsa/e2e/chromium-reconnecting-too-late", Fixture, &chromium_long_cut,
              fixture_set_up, test_reconnecting, fixture_tear_down);
  g_test_add ("/vsa/e2e/firefox-reconnecting-too-late", Fixture, &firefox_long_cut, fixture_set_up,
              test_reconnecting, fixture_tear_down);
  g_test_add ("/vsa/e2e/back-to-back", Fixture, NULL, fixture_set_up, test_back_to_back,
              fixture_tear_down);
  return g_test_run ();
}
