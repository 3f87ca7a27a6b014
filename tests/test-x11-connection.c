/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-x11-connection against a real Xvfb: it connects, sees the server die, spaces its
 * attempts while the display is away, and is back within a retry interval of a new
 * server on the same display. Needs xvfb. */

#include "vsa-x11-connection.h"
#include "vsa-test-util.h"

#include <xcb/xcbext.h>
#include <xcb/xtest.h>

/* Displays from here up: away from the e2e tests' (from :99) and test-x11-src's (from
 * :150), which may run beside us and must not take our display while we restart it. */
#define FIRST_DISPLAY 250
#define RETRY_MS 500
#define RETRY_US (RETRY_MS * G_TIME_SPAN_MILLISECOND)
#define WAIT_MS 2000

typedef struct
{
  guint number;
  char *display;
  VsaTestXvfb *xvfb;
  VsaX11Connection x11;
  guint attempts;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  fixture->number = vsa_test_xvfb_free_display (FIRST_DISPLAY);
  fixture->display = g_strdup_printf (":%u", fixture->number);
  vsa_x11_connection_init (&fixture->x11, RETRY_US);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  vsa_x11_connection_close (&fixture->x11);
  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);
  g_free (fixture->display);
}

static void
start_xvfb (Fixture *fixture, guint width, guint height)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (fixture->xvfb);
  fixture->xvfb = vsa_test_xvfb_start_on (fixture->number, width, height, &error);
  g_assert_no_error (error);
}

static void
stop_xvfb (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (vsa_test_xvfb_stop (fixture->xvfb, &error));
  g_assert_no_error (error);
  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);
}

/* What an owner does when it next needs the display: drop a lost connection, and try
 * again when the interval allows. TRUE once connected. */
static gboolean
owner_connects (gpointer user_data)
{
  Fixture *fixture = user_data;

  if (vsa_x11_connection_is_up (&fixture->x11))
    return TRUE;
  vsa_x11_connection_close (&fixture->x11);
  if (!vsa_x11_connection_may_try (&fixture->x11))
    return FALSE;
  fixture->attempts++;
  if (vsa_x11_connection_open (&fixture->x11, fixture->display))
    return TRUE;
  vsa_x11_connection_close (&fixture->x11);
  return FALSE;
}

/* A round trip: xcb sees the server's hang-up only when it reads the socket. */
static gboolean
loss_seen (gpointer user_data)
{
  Fixture *fixture = user_data;
  xcb_connection_t *conn = fixture->x11.conn;

  free (xcb_get_input_focus_reply (conn, xcb_get_input_focus (conn), NULL));
  return !vsa_x11_connection_is_up (&fixture->x11);
}

static gboolean
may_try (gpointer user_data)
{
  Fixture *fixture = user_data;

  return vsa_x11_connection_may_try (&fixture->x11);
}

static gboolean
never (gpointer user_data)
{
  return FALSE;
}

static void
test_label (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("DISPLAY"));

  g_assert_cmpstr (vsa_x11_connection_label (":7"), ==, ":7");
  g_setenv ("DISPLAY", ":8", TRUE);
  g_assert_cmpstr (vsa_x11_connection_label (NULL), ==, ":8");
  g_unsetenv ("DISPLAY");
  g_assert_cmpstr (vsa_x11_connection_label (NULL), ==, "");
  if (saved != NULL)
    g_setenv ("DISPLAY", saved, TRUE);
}

static void
test_open (Fixture *fixture, gconstpointer user_data)
{
  xcb_extension_t no_such = { "VSA-NO-SUCH-EXTENSION", 0 };

  start_xvfb (fixture, 320, 240);
  g_assert_true (vsa_x11_connection_may_try (&fixture->x11));
  g_assert_false (vsa_x11_connection_is_up (&fixture->x11));
  g_assert_true (vsa_x11_connection_open (&fixture->x11, fixture->display));
  g_assert_true (vsa_x11_connection_is_up (&fixture->x11));
  g_assert_nonnull (fixture->x11.screen);
  g_assert_cmpint (fixture->x11.screen_number, ==, 0);
  g_assert_cmpuint (fixture->x11.screen->width_in_pixels, ==, 320);
  g_assert_cmpuint (fixture->x11.screen->height_in_pixels, ==, 240);
  g_assert_nonnull (vsa_x11_connection_extension (&fixture->x11, &xcb_test_id));
  g_assert_null (vsa_x11_connection_extension (&fixture->x11, &no_such));
  /* an attempt, even one that worked, starts an interval */
  g_assert_false (vsa_x11_connection_may_try (&fixture->x11));

  vsa_x11_connection_close (&fixture->x11);
  g_assert_null (fixture->x11.conn);
  g_assert_null (fixture->x11.screen);
  g_assert_false (vsa_x11_connection_is_up (&fixture->x11));
}

/* No server: the failed connection stays until closed, the outage is reported once, and
 * attempts come one retry interval apart. */
static void
test_no_display (Fixture *fixture, gconstpointer user_data)
{
  gint64 tried = g_get_monotonic_time ();
  gint64 elapsed;

  g_assert_false (vsa_x11_connection_open (&fixture->x11, fixture->display));
  g_assert_nonnull (fixture->x11.conn);
  g_assert_cmpint (xcb_connection_has_error (fixture->x11.conn), !=, 0);
  g_assert_false (vsa_x11_connection_is_up (&fixture->x11));
  g_assert_true (vsa_x11_connection_mark_down (&fixture->x11));
  g_assert_false (vsa_x11_connection_mark_down (&fixture->x11));
  vsa_x11_connection_close (&fixture->x11);
  g_assert_null (fixture->x11.conn);

  g_assert_false (vsa_x11_connection_may_try (&fixture->x11));
  g_assert_true (vsa_test_wait_until (may_try, fixture, RETRY_MS + WAIT_MS));
  g_assert_cmpint (g_get_monotonic_time () - tried, >=, RETRY_US);

  /* an owner asking all the time: one attempt per interval (and the first at once) */
  tried = g_get_monotonic_time ();
  g_assert_false (vsa_test_wait_until (owner_connects, fixture, 5 * RETRY_MS / 2));
  elapsed = g_get_monotonic_time () - tried;
  g_test_message ("%u attempts in %.0f ms", fixture->attempts, elapsed / 1000.0);
  g_assert_cmpuint (fixture->attempts, >=, 2);
  g_assert_cmpuint (fixture->attempts, <=, elapsed / RETRY_US + 1);

  /* once up again, the next failure is a new outage */
  vsa_x11_connection_mark_up (&fixture->x11);
  g_assert_true (vsa_x11_connection_mark_down (&fixture->x11));
}

/* The server dies and another comes up on the same display: the loss is seen, and the
 * owner is connected to the new one within a retry interval. */
static void
test_reconnect (Fixture *fixture, gconstpointer user_data)
{
  gint64 started, back;

  start_xvfb (fixture, 320, 240);
  g_assert_true (owner_connects (fixture));
  vsa_x11_connection_mark_up (&fixture->x11);

  stop_xvfb (fixture);
  g_assert_true (vsa_test_wait_until (loss_seen, fixture, WAIT_MS));
  g_assert_true (vsa_x11_connection_mark_down (&fixture->x11));
  vsa_x11_connection_close (&fixture->x11);
  vsa_x11_connection_hold_off (&fixture->x11);
  g_assert_false (vsa_x11_connection_may_try (&fixture->x11));

  /* away for a while: attempts fail, the outage stays reported */
  g_assert_false (vsa_test_wait_until (owner_connects, fixture, RETRY_MS));
  g_assert_false (vsa_x11_connection_mark_down (&fixture->x11));

  start_xvfb (fixture, 640, 480);
  started = g_get_monotonic_time ();
  g_assert_true (vsa_test_wait_until (owner_connects, fixture, RETRY_MS + WAIT_MS));
  back = g_get_monotonic_time ();
  g_test_message ("connected %.0f ms after Xvfb was up", (back - started) / 1000.0);
  g_assert_cmpint (back - started, <,
                   (RETRY_MS + 250) * G_TIME_SPAN_MILLISECOND * vsa_test_timeout_multiplier ());
  g_assert_cmpuint (fixture->x11.screen->width_in_pixels, ==, 640);
  g_assert_cmpuint (fixture->x11.screen->height_in_pixels, ==, 480);
  vsa_x11_connection_mark_up (&fixture->x11);
  /* and still there a moment later */
  vsa_test_wait_until (never, NULL, 100);
  g_assert_false (loss_seen (fixture));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vsa/x11-connection/label", test_label);
#define ADD(path, func)                                                                            \
  g_test_add ("/vsa/x11-connection/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("open", test_open);
  ADD ("no-display", test_no_display);
  ADD ("reconnect", test_reconnect);
#undef ADD
  return g_test_run ();
}
