/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-cursor: its PNG, and against a real Xvfb the pointer image at the start, after a
 * client defines another (once per serial), cropped when large, and again after the
 * server is restarted on the same display. Needs xvfb. */

#include "vsa-cursor.h"
#include "vsa-test-util.h"

#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <xcb/xcb.h>

/* Away from the e2e tests' (from :99), test-x11-src's (:150) and test-x11-connection's
 * (:250) displays: ours is restarted. */
#define FIRST_DISPLAY 270
#define WAIT_MS 5000

typedef struct
{
  VsaTestXvfb *xvfb;
  VsaCursor *cursor;
  GPtrArray *messages; /* "changed" */
  xcb_connection_t *conn;
  xcb_window_t root;
} Fixture;

static void
on_changed (VsaCursor *cursor, const char *message, Fixture *fixture)
{
  g_ptr_array_add (fixture->messages, g_strdup (message));
}

static void
connect_client (Fixture *fixture)
{
  fixture->conn = xcb_connect (fixture->xvfb->display, NULL);
  g_assert_false (xcb_connection_has_error (fixture->conn));
  fixture->root = xcb_setup_roots_iterator (xcb_get_setup (fixture->conn)).data->root;
}

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->xvfb
      = vsa_test_xvfb_start_on (vsa_test_xvfb_free_display (FIRST_DISPLAY), 640, 480, &error);
  g_assert_no_error (error);
  connect_client (fixture);
  fixture->messages = g_ptr_array_new_with_free_func (g_free);
  fixture->cursor = vsa_cursor_new (fixture->xvfb->display);
  /* the image at the start was read before anyone could connect */
  g_assert_nonnull (vsa_cursor_get_message (fixture->cursor));
  g_ptr_array_add (fixture->messages, g_strdup (vsa_cursor_get_message (fixture->cursor)));
  g_signal_connect (fixture->cursor, "changed", G_CALLBACK (on_changed), fixture);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_object (&fixture->cursor);
  g_clear_pointer (&fixture->messages, g_ptr_array_unref);
  g_clear_pointer (&fixture->conn, xcb_disconnect);
  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);
}

/* A core cursor of width x height, all set, with its hotspot at x,y, on the root window
 * (under the pointer). */
static xcb_cursor_t
define_cursor (Fixture *fixture, guint16 width, guint16 height, guint16 x, guint16 y)
{
  xcb_pixmap_t pixmap = xcb_generate_id (fixture->conn);
  xcb_gcontext_t gc = xcb_generate_id (fixture->conn);
  xcb_cursor_t cursor = xcb_generate_id (fixture->conn);
  const guint32 foreground = 1;
  const xcb_rectangle_t all = { 0, 0, width, height };

  xcb_create_pixmap (fixture->conn, 1, pixmap, fixture->root, width, height);
  xcb_create_gc (fixture->conn, gc, pixmap, XCB_GC_FOREGROUND, &foreground);
  xcb_poly_fill_rectangle (fixture->conn, pixmap, gc, 1, &all);
  xcb_create_cursor (fixture->conn, cursor, pixmap, pixmap, 0, 0, 0, 0xffff, 0, 0, x, y);
  xcb_change_window_attributes (fixture->conn, fixture->root, XCB_CW_CURSOR, &cursor);
  xcb_flush (fixture->conn);
  return cursor;
}

static gboolean
has_messages (gpointer data)
{
  Fixture *fixture = data;

  return fixture->messages->len
         >= GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (fixture->cursor), "expected"));
}

static JsonObject *
wait_for_message (Fixture *fixture, guint count, JsonNode **node)
{
  g_autoptr (GError) error = NULL;

  g_object_set_data (G_OBJECT (fixture->cursor), "expected", GUINT_TO_POINTER (count));
  g_assert_true (vsa_test_wait_until (has_messages, fixture, WAIT_MS));
  *node = json_from_string (g_ptr_array_index (fixture->messages, count - 1), &error);
  g_assert_no_error (error);
  return json_node_get_object (*node);
}

static void
assert_image (JsonObject *message, gint64 width, gint64 height, gint64 xhot, gint64 yhot)
{
  const char *url = json_object_get_string_member (message, "url");
  g_autofree guchar *png = NULL;
  gsize length = 0;

  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "cursor");
  g_assert_cmpint (json_object_get_int_member (message, "width"), ==, width);
  g_assert_cmpint (json_object_get_int_member (message, "height"), ==, height);
  g_assert_cmpint (json_object_get_int_member (message, "xhot"), ==, xhot);
  g_assert_cmpint (json_object_get_int_member (message, "yhot"), ==, yhot);
  g_assert_true (g_str_has_prefix (url, "data:image/png;base64,"));
  png = g_base64_decode (url + strlen ("data:image/png;base64,"), &length);
  g_assert_cmpuint (length, >, 33);
  /* the IHDR's width and height */
  g_assert_cmpint (GUINT32_FROM_BE (*(guint32 *) (png + 16)), ==, width);
  g_assert_cmpint (GUINT32_FROM_BE (*(guint32 *) (png + 20)), ==, height);
}

/* The PNG as a decoder checks it: signature, chunk CRCs (IEND's is a constant), RGBA. */
static void
test_png (void)
{
  const guint32 argb[] = { 0xff000000, 0x80800000, 0x00000000, 0xffffffff };
  static const guint8 iend[] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };
  static const guint8 ihdr_start[]
      = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D',
          'R',  0,   0,   0,   2,    0,    0,    0,    2, 8, 6, 0,  0,   0 };
  g_autoptr (GBytes) png = vsa_cursor_encode_png (argb, 2, 2, 2);
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);

  g_assert_cmpuint (size, >, sizeof ihdr_start + sizeof iend);
  g_assert_cmpmem (data, sizeof ihdr_start, ihdr_start, sizeof ihdr_start);
  g_assert_cmpmem (data + size - sizeof iend, sizeof iend, iend, sizeof iend);
}

/* The image at the start, a new one when a client defines it, none for the same cursor
 * again. */
static void
test_changes (Fixture *fixture, gconstpointer data)
{
  g_autoptr (JsonNode) first = NULL;
  g_autoptr (JsonNode) second = NULL;
  JsonObject *message;
  xcb_cursor_t cursor;

  message = wait_for_message (fixture, 1, &first);
  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "cursor");
  g_assert_cmpstr (vsa_cursor_get_message (fixture->cursor), ==,
                   g_ptr_array_index (fixture->messages, 0));
  cursor = define_cursor (fixture, 16, 16, 3, 5);
  message = wait_for_message (fixture, 2, &second);
  assert_image (message, 16, 16, 3, 5);
  /* the same cursor again, and a round trip through the server: no message */
  xcb_change_window_attributes (fixture->conn, fixture->root, XCB_CW_CURSOR, &cursor);
  free (xcb_get_input_focus_reply (fixture->conn, xcb_get_input_focus (fixture->conn), NULL));
  g_object_set_data (G_OBJECT (fixture->cursor), "expected", GUINT_TO_POINTER (3));
  g_assert_false (vsa_test_wait_until (has_messages, fixture, 500));
}

/* Larger than 64 a side: cropped to 64x64 around the hotspot, which moves with it. */
static void
test_crop (Fixture *fixture, gconstpointer data)
{
  g_autoptr (JsonNode) first = NULL;
  g_autoptr (JsonNode) second = NULL;

  wait_for_message (fixture, 1, &first);
  define_cursor (fixture, 100, 80, 90, 10);
  /* x from min(90 - 32, 100 - 64) = 36, y from 0 */
  assert_image (wait_for_message (fixture, 2, &second), 64, 64, 54, 10);
}

/* The server restarted on the same display: the cursor is read again from the new one. */
static void
test_server_restart (Fixture *fixture, gconstpointer data)
{
  g_autoptr (JsonNode) first = NULL;
  g_autoptr (JsonNode) defined = NULL;
  g_autoptr (JsonNode) again = NULL;
  g_autoptr (GError) error = NULL;
  guint number = fixture->xvfb->number;

  wait_for_message (fixture, 1, &first);
  define_cursor (fixture, 16, 16, 3, 5);
  wait_for_message (fixture, 2, &defined);
  g_clear_pointer (&fixture->conn, xcb_disconnect);
  g_test_expect_message ("vsa-cursor", G_LOG_LEVEL_MESSAGE, "X display * went away*");
  g_assert_true (vsa_test_xvfb_stop (fixture->xvfb, &error));
  g_assert_no_error (error);
  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);
  fixture->xvfb = vsa_test_xvfb_start_on (number, 640, 480, &error);
  g_assert_no_error (error);
  /* the new server's root cursor, not the one defined on the old */
  g_assert_cmpint (json_object_get_int_member (wait_for_message (fixture, 3, &again), "width"), !=,
                   0);
  g_test_assert_expected_messages ();
  g_assert_cmpstr (g_ptr_array_index (fixture->messages, 2), !=,
                   g_ptr_array_index (fixture->messages, 1));
  connect_client (fixture);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/cursor/png", test_png);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/vsa/cursor/changes", test_changes);
  ADD ("/vsa/cursor/crop", test_crop);
  ADD ("/vsa/cursor/server-restart", test_server_restart);
  return g_test_run ();
}
