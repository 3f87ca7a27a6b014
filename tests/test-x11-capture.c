/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-x11-capture against a real Xvfb: frames of the painted colour with the pointer drawn
 * in or not, frames held downstream left alone (MIT-SHM segments, then GetImage) and
 * valid after the capture is gone, changes seen from DAMAGE and pointer moves, and the
 * server killed and started again at another size. Needs xvfb and x11-xserver-utils. */

#include "vsa-x11-capture.h"
#include "vsa-test-util.h"

#include <stdlib.h>
#include <xcb/xcb.h>

/* Displays from here up: away from the e2e tests' (from :99), test-x11-src's (from :150)
 * and test-x11-connection's (from :250), which may run beside us. */
#define FIRST_DISPLAY 200
#define RETRY_MS 500
#define WAIT_MS 2000

typedef struct
{
  guint number;
  char *display;
  VsaTestXvfb *xvfb;
  VsaX11Capture *capture;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  fixture->number = vsa_test_xvfb_free_display (FIRST_DISPLAY);
  fixture->display = g_strdup_printf (":%u", fixture->number);
  fixture->capture = vsa_x11_capture_new (RETRY_MS * G_TIME_SPAN_MILLISECOND);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  g_clear_pointer (&fixture->capture, vsa_x11_capture_free);
  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);
  g_free (fixture->display);
}

static void
paint (Fixture *fixture, const char *color)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (vsa_test_xvfb_set_color (fixture->xvfb, color, &error));
  g_assert_no_error (error);
}

static void
start_xvfb (Fixture *fixture, guint width, guint height, const char *color)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (fixture->xvfb);
  fixture->xvfb = vsa_test_xvfb_start_on (fixture->number, width, height, &error);
  g_assert_no_error (error);
  paint (fixture, color);
}

static void
connect_capture (Fixture *fixture, int width, int height)
{
  g_autoptr (GError) error = NULL;
  int w = 0, h = 0;

  g_assert_true (vsa_x11_capture_connect (fixture->capture, fixture->display, &error));
  g_assert_no_error (error);
  g_assert_true (vsa_x11_capture_is_open (fixture->capture));
  vsa_x11_capture_get_size (fixture->capture, &w, &h);
  g_assert_cmpint (w, ==, width);
  g_assert_cmpint (h, ==, height);
  /* Xvfb has DAMAGE and XFixes */
  g_assert_true (vsa_x11_capture_reports_changes (fixture->capture));
}

/* The BGRx pixel at (x, y) of a frame width wide, as 0xRRGGBB. */
static guint32
pixel_at (GstBuffer *buffer, int width, int x, int y)
{
  GstMapInfo map;
  guint32 pixel;

  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  pixel = ((guint32 *) map.data)[(gsize) y * width + x] & 0xffffff;
  gst_buffer_unmap (buffer, &map);
  return pixel;
}

/* Pixels of the frame not of rgb. */
static guint
count_other_pixels (GstBuffer *buffer, int width, int height, guint32 rgb)
{
  guint count = 0;

  g_assert_cmpuint (gst_buffer_get_size (buffer), ==, (gsize) width * height * 4);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      count += pixel_at (buffer, width, x, y) != rgb;
  return count;
}

/* A frame whose corners are of rgb, once the server has painted them. */
static GstBuffer *
grab_color (Fixture *fixture, gboolean show_pointer, int width, int height, guint32 rgb)
{
  gint64 deadline = g_get_monotonic_time ()
                    + (gint64) WAIT_MS * vsa_test_timeout_multiplier () * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      GstBuffer *buffer = vsa_x11_capture_grab (fixture->capture, show_pointer, &error);

      g_assert_no_error (error);
      g_assert_nonnull (buffer);
      if (pixel_at (buffer, width, 0, 0) == rgb
          && pixel_at (buffer, width, width - 1, height - 1) == rgb)
        return buffer;
      gst_buffer_unref (buffer);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * G_TIME_SPAN_MILLISECOND);
    }
}

/* Polls the capture's fd until its events show a change; FALSE if none came in time. */
static gboolean
wait_for_change (Fixture *fixture)
{
  gint64 deadline = g_get_monotonic_time ()
                    + (gint64) WAIT_MS * vsa_test_timeout_multiplier () * G_TIME_SPAN_MILLISECOND;
  GPollFD fd = { vsa_x11_capture_get_fd (fixture->capture), G_IO_IN, 0 };

  while (!vsa_x11_capture_drain_events (fixture->capture))
    {
      gint64 left = deadline - g_get_monotonic_time ();

      if (left <= 0)
        return FALSE;
      g_poll (&fd, 1, (int) (left / G_TIME_SPAN_MILLISECOND) + 1);
    }
  return TRUE;
}

static gboolean
may_connect (gpointer user_data)
{
  return vsa_x11_capture_may_connect (user_data);
}

static void
test_frames (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstBuffer) with_pointer = NULL;
  g_autoptr (GstBuffer) without_pointer = NULL;
  guint pointer_pixels;

  start_xvfb (fixture, 320, 240, "#ff0000");
  connect_capture (fixture, 320, 240);
  without_pointer = grab_color (fixture, FALSE, 320, 240, 0xff0000);
  g_assert_cmpuint (count_other_pixels (without_pointer, 320, 240, 0xff0000), ==, 0);
  with_pointer = vsa_x11_capture_grab (fixture->capture, TRUE, &error);
  g_assert_no_error (error);
  /* Xvfb's pointer, an X, at the screen's centre */
  pointer_pixels = count_other_pixels (with_pointer, 320, 240, 0xff0000);
  g_test_message ("pixels of the pointer: %u", pointer_pixels);
  g_assert_cmpuint (pointer_pixels, >, 20);
}

/* Five frames held at once, the screen repainted between them: three in shared memory
 * segments, two by GetImage, none overwritten by a later capture, all valid after the
 * capture is gone. */
static void
test_frames_held (Fixture *fixture, gconstpointer user_data)
{
  static const char *const colors[] = { "#ff0000", "#00ff00", "#0000ff", "#ffff00", "#00ffff" };
  static const guint32 rgbs[] = { 0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0x00ffff };
  GstBuffer *held[G_N_ELEMENTS (colors)];

  start_xvfb (fixture, 320, 240, colors[0]);
  connect_capture (fixture, 320, 240);
  for (guint i = 0; i < G_N_ELEMENTS (colors); i++)
    {
      paint (fixture, colors[i]);
      held[i] = grab_color (fixture, FALSE, 320, 240, rgbs[i]);
    }
  /* Let go of one: its segment takes the next frame. */
  gst_clear_buffer (&held[1]);
  paint (fixture, "#ffffff");
  held[1] = grab_color (fixture, FALSE, 320, 240, 0xffffff);
  g_clear_pointer (&fixture->capture, vsa_x11_capture_free);
  for (guint i = 0; i < G_N_ELEMENTS (colors); i++)
    {
      g_assert_cmpuint (count_other_pixels (held[i], 320, 240, i == 1 ? 0xffffff : rgbs[i]), ==, 0);
      gst_buffer_unref (held[i]);
    }
}

/* A core cursor of hotspot x,x on the root window, the server done with it. */
static void
define_root_cursor (xcb_connection_t *conn, guint16 x)
{
  xcb_window_t root = xcb_setup_roots_iterator (xcb_get_setup (conn)).data->root;
  xcb_pixmap_t pixmap = xcb_generate_id (conn);
  xcb_cursor_t cursor = xcb_generate_id (conn);

  xcb_create_pixmap (conn, 1, pixmap, root, 8, 8);
  xcb_create_cursor (conn, cursor, pixmap, pixmap, 0, 0, 0, 0xffff, 0xffff, 0xffff, x, x);
  xcb_change_window_attributes (conn, root, XCB_CW_CURSOR, &cursor);
  free (xcb_get_input_focus_reply (conn, xcb_get_input_focus (conn), NULL));
}

/* A repaint, a pointer move and (with the pointer drawn) a new pointer image are changes
 * until the next capture; a still screen is not. */
static void
test_changes (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GstBuffer) red = NULL;
  g_autoptr (GstBuffer) blue = NULL;
  g_autoptr (GstBuffer) moved = NULL;
  g_autoptr (GError) error = NULL;
  xcb_connection_t *conn;

  start_xvfb (fixture, 320, 240, "#ff0000");
  connect_capture (fixture, 320, 240);
  red = grab_color (fixture, TRUE, 320, 240, 0xff0000);
  /* What the server reported since connecting came before that frame's reply; nothing
   * after it. */
  vsa_x11_capture_changed (fixture->capture, TRUE);
  g_assert_false (vsa_x11_capture_changed (fixture->capture, TRUE));

  paint (fixture, "#0000ff");
  g_assert_true (wait_for_change (fixture));
  /* what the fd's events showed is remembered until asked, once */
  g_assert_true (vsa_x11_capture_changed (fixture->capture, FALSE));
  g_assert_false (vsa_x11_capture_changed (fixture->capture, FALSE));
  blue = grab_color (fixture, TRUE, 320, 240, 0x0000ff);
  g_assert_false (vsa_x11_capture_changed (fixture->capture, TRUE));

  conn = xcb_connect (fixture->display, NULL);
  g_assert_false (xcb_connection_has_error (conn));
  xcb_warp_pointer (conn, XCB_NONE, xcb_setup_roots_iterator (xcb_get_setup (conn)).data->root, 0,
                    0, 0, 0, 100, 100);
  free (xcb_get_input_focus_reply (conn, xcb_get_input_focus (conn), NULL)); /* done */
  xcb_disconnect (conn);
  g_assert_true (vsa_x11_capture_changed (fixture->capture, TRUE));
  moved = vsa_x11_capture_grab (fixture->capture, TRUE, &error);
  g_assert_no_error (error);
  g_assert_false (vsa_x11_capture_changed (fixture->capture, TRUE));

  /* A new pointer image wakes the fd, but is a change only with the pointer drawn. */
  conn = xcb_connect (fixture->display, NULL);
  g_assert_false (xcb_connection_has_error (conn));
  define_root_cursor (conn, 3);
  g_assert_true (wait_for_change (fixture));
  g_assert_false (vsa_x11_capture_changed (fixture->capture, FALSE));
  define_root_cursor (conn, 5);
  g_assert_true (vsa_x11_capture_changed (fixture->capture, TRUE));
  xcb_disconnect (conn);
}

/* The server killed: the capture fails, the outage is reported once, frames already taken
 * stay valid, black frames fill in, and a new server at another size is captured after
 * the retry interval. */
static void
test_server_restart (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GstBuffer) red = NULL;
  g_autoptr (GstBuffer) black = NULL;
  g_autoptr (GstBuffer) black_again = NULL;
  g_autoptr (GstBuffer) green = NULL;
  g_autoptr (GError) error = NULL;
  GstBuffer *lost;

  start_xvfb (fixture, 320, 240, "#ff0000");
  connect_capture (fixture, 320, 240);
  red = grab_color (fixture, FALSE, 320, 240, 0xff0000);
  g_assert_true (vsa_test_xvfb_stop (fixture->xvfb, &error));
  g_assert_no_error (error);
  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);

  lost = vsa_x11_capture_grab (fixture->capture, TRUE, &error);
  g_assert_null (lost);
  g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  /* a failed connection counts as a change: the capture finds it */
  g_assert_true (vsa_x11_capture_drain_events (fixture->capture));
  g_assert_true (vsa_x11_capture_close (fixture->capture));
  g_assert_false (vsa_x11_capture_is_open (fixture->capture));
  g_assert_false (vsa_x11_capture_may_connect (fixture->capture));
  g_assert_cmpuint (count_other_pixels (red, 320, 240, 0xff0000), ==, 0);

  black = vsa_x11_capture_black_frame (fixture->capture, 64, 48);
  g_assert_cmpuint (count_other_pixels (black, 64, 48, 0x000000), ==, 0);
  black_again = vsa_x11_capture_black_frame (fixture->capture, 64, 48);
  g_assert_true (gst_buffer_peek_memory (black, 0) == gst_buffer_peek_memory (black_again, 0));

  /* Still away: the attempt fails, and is not a new outage. */
  g_assert_true (vsa_test_wait_until (may_connect, fixture->capture, WAIT_MS));
  g_assert_false (vsa_x11_capture_connect (fixture->capture, fixture->display, &error));
  g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ);
  g_clear_error (&error);
  g_assert_false (vsa_x11_capture_is_open (fixture->capture));
  g_assert_false (vsa_x11_capture_close (fixture->capture));

  start_xvfb (fixture, 400, 300, "#00ff00");
  g_assert_true (vsa_test_wait_until (may_connect, fixture->capture, WAIT_MS));
  connect_capture (fixture, 400, 300);
  green = grab_color (fixture, FALSE, 400, 300, 0x00ff00);
  g_assert_cmpuint (count_other_pixels (green, 400, 300, 0x00ff00), ==, 0);
  /* connected again: the next loss is a new outage */
  g_assert_true (vsa_x11_capture_close (fixture->capture));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add ("/vsa/x11-capture/frames", Fixture, NULL, fixture_set_up, test_frames,
              fixture_tear_down);
  g_test_add ("/vsa/x11-capture/frames-held", Fixture, NULL, fixture_set_up, test_frames_held,
              fixture_tear_down);
  g_test_add ("/vsa/x11-capture/changes", Fixture, NULL, fixture_set_up, test_changes,
              fixture_tear_down);
  g_test_add ("/vsa/x11-capture/server-restart", Fixture, NULL, fixture_set_up, test_server_restart,
              fixture_tear_down);
  return g_test_run ();
}
