/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The demo as the README describes it, seen by its user: scripts/demo-desktop's desktop on
 * the VM's X server (:A), the dev controller serving the viewer page, the agent polling it
 * for session "demo", and a windowed Chromium on the user's X server (:B) on the page. Passes
 * when the page says Live, its stats are open, and :B's screen shows the demo's desktop in
 * the picture: the blue root around it, the README's text in its window, the clock.
 * VSA_VIEWER_SCREENSHOT=FILE.png writes :B's screen then (scripts/screenshot: the README's
 * picture).
 *
 * Runs under tests/netns-run. Needs: xvfb, x11-xserver-utils, openbox, xterm, x11-apps,
 * xdotool, chromium. */

#include "vsa-cursor.h"
#include "vsa-test-browser.h"
#include "vsa-test-recorder.h"
#include "vsa-test-util.h"

#include <stdlib.h>
#include <string.h>
#include <xcb/xcb.h>

/* scripts/demo-desktop's screen and root colour */
#define DEMO_WIDTH 1280
#define DEMO_HEIGHT 720
#define DEMO_ROOT_RGB 0x2d5f8b
/* the user's screen: the page shows the demo's picture fitted, almost at its size */
#define USER_WIDTH 1280
#define USER_HEIGHT 800
#define LIVE_WAIT_MS 60000
#define WAIT_MS 20000

typedef struct
{
  char *tmp_dir;
  VsaTestXvfb *user; /* :B */
  guint demo_number; /* :A */
  GSubprocess *desktop;
  GSubprocess *controller;
  GSubprocess *agent;
  GSubprocess *browser;
  char *desktop_log, *controller_log, *agent_log, *browser_log;
  char *controller_url; /* http://127.0.0.1:PORT */
  SoupSession *http;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->tmp_dir = g_dir_make_tmp ("vsa-demo-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->desktop_log = g_build_filename (fixture->tmp_dir, "desktop.log", NULL);
  fixture->controller_log = g_build_filename (fixture->tmp_dir, "controller.log", NULL);
  fixture->agent_log = g_build_filename (fixture->tmp_dir, "agent.log", NULL);
  fixture->browser_log = g_build_filename (fixture->tmp_dir, "browser.log", NULL);
  fixture->http = soup_session_new ();
}

/* Stops process, and prints its log when the test failed (or runs verbose). */
static void
stop_logged (GSubprocess **process, const char *log_path)
{
  vsa_test_process_stop (*process, 5000);
  if (*process != NULL && (g_test_failed () || g_test_verbose ()))
    vsa_test_print_log_tail (log_path, 4000);
  g_clear_object (process);
}

static gboolean
demo_display_is_gone (gpointer data)
{
  Fixture *fixture = data;
  g_autofree char *lock = g_strdup_printf ("/tmp/.X%u-lock", fixture->demo_number);

  return !g_file_test (lock, G_FILE_TEST_EXISTS);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  gboolean had_desktop = fixture->desktop != NULL;

  stop_logged (&fixture->browser, fixture->browser_log);
  stop_logged (&fixture->agent, fixture->agent_log);
  stop_logged (&fixture->controller, fixture->controller_log);
  /* scripts/demo-desktop stops its X server and clients on SIGTERM */
  stop_logged (&fixture->desktop, fixture->desktop_log);
  if (had_desktop && !vsa_test_wait_until (demo_display_is_gone, fixture, 5000))
    g_test_fail_printf ("scripts/demo-desktop left its X server :%u running", fixture->demo_number);
  g_clear_pointer (&fixture->user, vsa_test_xvfb_free);
  g_clear_object (&fixture->http);
  vsa_test_rm_rf (fixture->tmp_dir);
  g_free (fixture->tmp_dir);
  g_free (fixture->desktop_log);
  g_free (fixture->controller_log);
  g_free (fixture->agent_log);
  g_free (fixture->browser_log);
  g_free (fixture->controller_url);
}

/* The controller's URL from its "viewer: URL/?session=demo" line. */
static gboolean
find_controller_url (gpointer data)
{
  Fixture *fixture = data;
  g_autofree char *log = NULL;
  const char *start, *end;

  if (!g_file_get_contents (fixture->controller_log, &log, NULL, NULL))
    return FALSE;
  start = strstr (log, "viewer: ");
  end = start != NULL ? strstr (start, "/?session=demo") : NULL;
  if (end == NULL)
    return !vsa_test_process_is_running (fixture->controller);
  start += strlen ("viewer: ");
  fixture->controller_url = g_strndup (start, (gsize) (end - start));
  return TRUE;
}

/* The demo's three parts as scripts/demo starts them, and the user's browser on the page;
 * FALSE (failed or skipped) otherwise. */
static gboolean
start_demo (Fixture *fixture)
{
  const char *agent_bin = g_getenv ("VSA_AGENT_BIN");
  const char *controller_bin = g_getenv ("VSA_DEV_CONTROLLER");
  const char *desktop = g_getenv ("VSA_DEMO_DESKTOP");
  const char *viewer_dir = g_getenv ("VSA_VIEWER_DIR");
  g_autofree char *program = vsa_test_browser_find (VSA_TEST_BROWSER_CHROMIUM);
  g_autofree char *xdotool = g_find_program_in_path ("xdotool");
  g_autofree char *display = NULL;
  g_autofree char *url = NULL;
  g_autofree char *browser_dir = NULL;
  g_autoptr (GError) error = NULL;

  if (program == NULL || xdotool == NULL)
    {
      g_test_skip ("chromium or xdotool is not installed");
      return FALSE;
    }
  if (agent_bin == NULL || controller_bin == NULL || desktop == NULL || viewer_dir == NULL)
    {
      g_test_fail_printf ("VSA_AGENT_BIN, VSA_DEV_CONTROLLER, VSA_DEMO_DESKTOP and "
                          "VSA_VIEWER_DIR must be set (meson test does)");
      return FALSE;
    }
  fixture->user = vsa_test_xvfb_start (USER_WIDTH, USER_HEIGHT, &error);
  g_assert_no_error (error);
  fixture->demo_number = vsa_test_xvfb_free_display (99);
  display = g_strdup_printf (":%u", fixture->demo_number);
  fixture->desktop = vsa_test_spawn ((const char *const[]){ desktop, display, NULL }, NULL,
                                     fixture->desktop_log, &error);
  g_assert_no_error (error);
  fixture->controller = vsa_test_spawn (
      (const char *const[]){ controller_bin, "--port", "0", "--viewer-dir", viewer_dir, NULL },
      NULL, fixture->controller_log, &error);
  g_assert_no_error (error);
  if (!vsa_test_wait_until (find_controller_url, fixture, 10000) || fixture->controller_url == NULL)
    {
      g_test_fail_printf ("the dev controller gave no URL");
      return FALSE;
    }
  fixture->agent = vsa_test_spawn (
      (const char *const[]){ agent_bin, "--session-id", "demo", "--controller-url",
                             fixture->controller_url, "--verbose", NULL },
      (const VsaTestEnv[]){ { "DISPLAY", display }, { NULL, NULL } }, fixture->agent_log, &error);
  g_assert_no_error (error);

  /* the README's URL; report=demo lets the test read what the page shows */
  url = g_strconcat (fixture->controller_url, "/?session=demo&report=demo", NULL);
  browser_dir = g_build_filename (fixture->tmp_dir, "browser", NULL);
  fixture->browser = vsa_test_browser_start_windowed (
      VSA_TEST_BROWSER_CHROMIUM, program, url, browser_dir, fixture->user->display, USER_WIDTH,
      USER_HEIGHT, fixture->browser_log, &error);
  g_assert_no_error (error);
  return TRUE;
}

/* ---- What the page says, from its report. ---- */

typedef struct
{
  Fixture *fixture;
  JsonNode *report; /* the latest, or NULL */
  gboolean stats;   /* waiting for the stats panel's numbers, not for Live */
} ReportWait;

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_string (node) : NULL;
}

static gboolean
has_text (JsonObject *object, const char *name)
{
  const char *text = member_string (object, name);

  return text != NULL && text[0] != '\0';
}

static gboolean
report_is_there (gpointer data)
{
  ReportWait *wait = data;
  g_autofree char *uri = g_strconcat (wait->fixture->controller_url, "/report/demo", NULL);
  g_autoptr (SoupMessage) message = soup_message_new ("GET", uri);
  g_autofree char *body = vsa_test_http_send (wait->fixture->http, message, 5000);
  JsonObject *report, *stats;

  g_clear_pointer (&wait->report, json_node_unref);
  if (soup_message_get_status (message) == SOUP_STATUS_OK)
    wait->report = json_from_string (body, NULL);
  if (wait->report == NULL || !JSON_NODE_HOLDS_OBJECT (wait->report))
    return !vsa_test_process_is_running (wait->fixture->agent);
  report = json_node_get_object (wait->report);
  if (g_strcmp0 (member_string (report, "shown"), "Live") != 0)
    return FALSE;
  if (!wait->stats)
    return TRUE;
  stats = json_object_get_object_member (report, "stats"); /* NULL when closed */
  /* the codec, and the rates over a second of samples at least */
  return has_text (stats, "codec") && has_text (stats, "fps") && has_text (stats, "bitrate");
}

/* ---- What :B's screen shows. ---- */

/* The page's bar is above this on :B; the stage with the picture below it. */
#define STAGE_TOP 40

typedef struct
{
  xcb_connection_t *conn;
  gint x0, y0, x1, y1;            /* the demo's blue root's bounding box: the picture */
  double text_light, text_dark;   /* shares of the README window's text area */
  double clock_light, clock_dark; /* and of the clock's face */
} ScreenSeen;

/* The rectangle x, y, width x height of :B's screen, 0xRRGGBB each pixel; NULL if it could
 * not be read. */
static xcb_get_image_reply_t *
read_screen (xcb_connection_t *conn, gint x, gint y, gint width, gint height)
{
  xcb_screen_t *screen = xcb_setup_roots_iterator (xcb_get_setup (conn)).data;
  xcb_get_image_reply_t *image = xcb_get_image_reply (
      conn,
      xcb_get_image (conn, XCB_IMAGE_FORMAT_Z_PIXMAP, screen->root, (gint16) x, (gint16) y,
                     (guint16) width, (guint16) height, ~0u),
      NULL);

  if (image != NULL && xcb_get_image_data_length (image) < width * height * 4)
    g_clear_pointer (&image, free);
  return image;
}

/* Where the root's blue is on the stage (the pressed Stats button in the bar is a blue
 * close to it). FALSE if nowhere. */
static gboolean
find_root (ScreenSeen *seen)
{
  g_autofree xcb_get_image_reply_t *image
      = read_screen (seen->conn, 0, STAGE_TOP, USER_WIDTH, USER_HEIGHT - STAGE_TOP);
  const guint32 *pixels;

  seen->x0 = seen->y0 = G_MAXINT;
  seen->x1 = seen->y1 = -1;
  if (image == NULL)
    return FALSE;
  pixels = (const guint32 *) xcb_get_image_data (image);
  for (gint y = 0; y < USER_HEIGHT - STAGE_TOP; y++)
    for (gint x = 0; x < USER_WIDTH; x++)
      if (vsa_test_color_is_close (pixels[y * USER_WIDTH + x], DEMO_ROOT_RGB))
        {
          seen->x0 = MIN (seen->x0, x);
          seen->y0 = MIN (seen->y0, y + STAGE_TOP);
          seen->x1 = MAX (seen->x1, x);
          seen->y1 = MAX (seen->y1, y + STAGE_TOP);
        }
  return seen->x1 >= 0;
}

/* Shares of light (the windows' white) and dark (text, hands) pixels in the demo's
 * rectangle x, y, width x height as the picture shows it on :B. */
static void
measure (ScreenSeen *seen, gint x, gint y, gint width, gint height, double *light, double *dark)
{
  double scale = (double) (seen->x1 - seen->x0 + 1) / DEMO_WIDTH;
  gint bw = (gint) (width * scale), bh = (gint) (height * scale);
  g_autofree xcb_get_image_reply_t *image = read_screen (seen->conn, (gint) (seen->x0 + x * scale),
                                                         (gint) (seen->y0 + y * scale), bw, bh);
  const guint32 *pixels;
  guint lights = 0, darks = 0;

  *light = *dark = 0;
  if (image == NULL)
    return;
  pixels = (const guint32 *) xcb_get_image_data (image);
  for (gint i = 0; i < bw * bh; i++)
    {
      lights += vsa_test_color_is_close (pixels[i], 0xf0f0f0);
      darks += vsa_test_color_is_close (pixels[i], 0x101010);
    }
  *light = (double) lights / (bw * bh);
  *dark = (double) darks / (bw * bh);
}

static gboolean
desktop_is_shown (gpointer data)
{
  ScreenSeen *seen = data;

  /* the root's blue at the picture's four edges: the whole desktop, fitted */
  if (!find_root (seen) || seen->x1 - seen->x0 + 1 < DEMO_WIDTH * 9 / 10
      || seen->y1 - seen->y0 + 1 < DEMO_HEIGHT * 9 / 10)
    return FALSE;
  /* the text area of xterm (100x30 cells at 60,50 under openbox's title bar; white, black
   * text) and the clock's face (180x180 at 1040,150) */
  measure (seen, 100, 110, 480, 340, &seen->text_light, &seen->text_dark);
  measure (seen, 1070, 190, 120, 120, &seen->clock_light, &seen->clock_dark);
  return seen->text_light > 0.5 && seen->text_dark > 0.005 && seen->clock_light > 0.5
         && seen->clock_dark > 0.005;
}

/* Waits for the desktop on :B; FALSE (and the test failed) if it is not there. */
static gboolean
expect_desktop (Fixture *fixture, ScreenSeen *seen)
{
  if (!vsa_test_wait_until (desktop_is_shown, seen, WAIT_MS))
    {
      g_test_fail_printf ("the demo's desktop is not on %s: the blue root at %d,%d-%d,%d, the "
                          "README window %.2f light %.2f dark, the clock %.2f light %.2f dark",
                          fixture->user->display, seen->x0, seen->y0, seen->x1, seen->y1,
                          seen->text_light, seen->text_dark, seen->clock_light, seen->clock_dark);
      return FALSE;
    }
  g_test_message ("picture at %d,%d-%d,%d; README window %.2f light %.2f dark; clock %.2f light "
                  "%.2f dark",
                  seen->x0, seen->y0, seen->x1, seen->y1, seen->text_light, seen->text_dark,
                  seen->clock_light, seen->clock_dark);
  return TRUE;
}

/* :B's whole screen as a PNG at path. */
static void
write_screenshot (xcb_connection_t *conn, const char *path)
{
  g_autofree xcb_get_image_reply_t *image = read_screen (conn, 0, 0, USER_WIDTH, USER_HEIGHT);
  g_autofree guint32 *argb = g_new (guint32, USER_WIDTH * USER_HEIGHT);
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (image);
  memcpy (argb, xcb_get_image_data (image), USER_WIDTH * USER_HEIGHT * 4);
  for (guint i = 0; i < USER_WIDTH * USER_HEIGHT; i++)
    argb[i] |= 0xff000000u; /* the screen is opaque; X leaves the byte undefined */
  png = vsa_cursor_encode_png (argb, USER_WIDTH, USER_HEIGHT, USER_WIDTH);
  g_assert_nonnull (png);
  g_file_set_contents (path, g_bytes_get_data (png, NULL), (gssize) g_bytes_get_size (png), &error);
  g_assert_no_error (error);
  g_test_message ("screenshot in %s", path);
}

/* ---- The test. ---- */

/* The user opens the README's URL, sees Live and the demo's desktop, opens the stats
 * (Ctrl+Alt+Shift+S after a click on the picture, which gives the page the keyboard) and
 * still sees the desktop. */
static void
test_demo (Fixture *fixture, gconstpointer data)
{
  const char *screenshot = g_getenv ("VSA_VIEWER_SCREENSHOT");
  ReportWait wait = { fixture, NULL, FALSE };
  ScreenSeen seen = { 0 };
  JsonObject *report, *stats;
  g_autofree char *on_user = NULL, *x = NULL, *y = NULL;
  g_autoptr (GError) error = NULL;

  if (!start_demo (fixture))
    return;
  if (!vsa_test_wait_until (report_is_there, &wait, LIVE_WAIT_MS)
      || !vsa_test_process_is_running (fixture->agent))
    {
      g_test_fail_printf ("the page does not say Live within %d ms: it says \"%s\"", LIVE_WAIT_MS,
                          wait.report != NULL
                              ? member_string (json_node_get_object (wait.report), "shown")
                              : "(no report)");
      goto out;
    }
  report = json_node_get_object (wait.report);
  if (json_object_get_int_member (report, "width") != DEMO_WIDTH
      || json_object_get_int_member (report, "height") != DEMO_HEIGHT)
    {
      g_test_fail_printf ("the video is %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT ", not the demo's",
                          json_object_get_int_member (report, "width"),
                          json_object_get_int_member (report, "height"));
      goto out;
    }
  seen.conn = xcb_connect (fixture->user->display, NULL);
  g_assert_false (xcb_connection_has_error (seen.conn));
  if (!expect_desktop (fixture, &seen))
    goto out;

  /* a click on the page's bar, between its status and its buttons: the page has the
   * keyboard after it as after a click on the picture */
  on_user = g_strconcat ("DISPLAY=", fixture->user->display, NULL);
  x = g_strdup_printf ("%d", USER_WIDTH / 2);
  y = g_strdup_printf ("%d", seen.y0 / 4);
  if (!vsa_test_run (
          (const char *const[]){ "env", on_user, "xdotool", "mousemove", x, y, "click", "1", NULL },
          10000, &error)
      || !vsa_test_run ((const char *const[]){ "env", on_user, "xdotool", "key", "ctrl+alt+shift+s",
                                               "mousemove", "0", "0", NULL },
                        10000, &error))
    {
      g_test_fail_printf ("xdotool: %s", error->message);
      goto out;
    }
  wait.stats = TRUE;
  if (!vsa_test_wait_until (report_is_there, &wait, WAIT_MS))
    {
      g_autofree char *text = wait.report != NULL ? json_to_string (wait.report, FALSE) : NULL;

      g_test_fail_printf ("no stats with numbers on the page within %d ms: %s", WAIT_MS, text);
      goto out;
    }
  stats = json_object_get_object_member (json_node_get_object (wait.report), "stats");
  g_test_message ("stats: %s, %s, %s", member_string (stats, "codec"), member_string (stats, "fps"),
                  member_string (stats, "bitrate"));
  /* the panel over the picture's top right covers none of it that the test looks at */
  if (!expect_desktop (fixture, &seen))
    goto out;
  if (screenshot != NULL)
    write_screenshot (seen.conn, screenshot);
out:
  g_clear_pointer (&seen.conn, xcb_disconnect);
  g_clear_pointer (&wait.report, json_node_unref);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/vsa/demo/chromium", Fixture, NULL, fixture_set_up, test_demo, fixture_tear_down);
  return g_test_run ();
}
