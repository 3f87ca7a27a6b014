/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-input against a real Xvfb: a window of the test's own covers the screen and records
 * what arrives, with each key translated by the keyboard mapping the moment it is read.
 * Needs xvfb. */

#include "vsa-input-channel.h"
#include "vsa-input.h"
#include "vsa-test-recorder.h"
#include "vsa-test-util.h"

#include <xcb/xcb.h>

#define WIDTH 640
#define HEIGHT 480
#define WAIT_MS 5000

#define XK_Shift_L 0xffe1

typedef struct
{
  VsaTestXvfb *xvfb;
  VsaTestRecorder *recorder;
  VsaInput *input;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->xvfb = vsa_test_xvfb_start (WIDTH, HEIGHT, &error);
  g_assert_no_error (error);
  fixture->recorder = vsa_test_recorder_new (fixture->xvfb->display, WIDTH, HEIGHT, 0x000000);
  fixture->input = vsa_input_new (fixture->xvfb->display);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_object (&fixture->input);
  g_clear_pointer (&fixture->recorder, vsa_test_recorder_free);
  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);
}

/* Waits for a key or button event (after index *from, which it moves past it). */
static const VsaTestRecorded *
expect_event (Fixture *fixture, guint8 type, guint8 detail, guint32 keysym, guint *from)
{
  return vsa_test_recorder_expect (fixture->recorder, type, detail, keysym, 0, from, WAIT_MS);
}

typedef struct
{
  Fixture *fixture;
  gint16 x, y;
  guint found; /* the motion's index */
} MotionWait;

static gboolean
find_motion (gpointer data)
{
  MotionWait *wait = data;
  GArray *events = wait->fixture->recorder->events;

  vsa_test_recorder_poll (wait->fixture->recorder);
  for (guint i = 0; i < events->len; i++)
    {
      const VsaTestRecorded *got = &g_array_index (events, VsaTestRecorded, i);

      if (got->type == XCB_MOTION_NOTIFY && got->x == wait->x && got->y == wait->y)
        {
          wait->found = i;
          return TRUE;
        }
    }
  return FALSE;
}

/* Waits for the pointer to arrive at (x, y); returns the event's index. */
static guint
expect_motion (Fixture *fixture, gint16 x, gint16 y)
{
  MotionWait wait = { fixture, x, y, 0 };

  if (!vsa_test_wait_until (find_motion, &wait, WAIT_MS))
    g_test_fail_printf ("the pointer did not arrive at %d,%d within %d ms", x, y, WAIT_MS);
  return wait.found;
}

static gboolean
has_motion (Fixture *fixture, gint16 x, gint16 y)
{
  MotionWait wait = { fixture, x, y, 0 };

  return find_motion (&wait);
}

static void
send (Fixture *fixture, const char *message)
{
  vsa_input_handle_message (fixture->input, message);
}

static void
test_pointer_move (Fixture *fixture, gconstpointer data)
{
  send (fixture, "{\"type\":\"pointermove\",\"x\":0.25,\"y\":0.5}");
  expect_motion (fixture, WIDTH / 4, HEIGHT / 2);
  /* the far edge is the last pixel; beyond it is clamped */
  send (fixture, "{\"type\":\"pointermove\",\"x\":1,\"y\":1.5}");
  expect_motion (fixture, WIDTH - 1, HEIGHT - 1);
  send (fixture, "{\"type\":\"pointermove\",\"x\":0,\"y\":0}");
  expect_motion (fixture, 0, 0);
}

static void
test_click (Fixture *fixture, gconstpointer data)
{
  guint from = 0;

  send (fixture, "{\"type\":\"pointermove\",\"x\":0.5,\"y\":0.5}");
  send (fixture, "{\"type\":\"pointerdown\",\"button\":0}");
  send (fixture, "{\"type\":\"pointerup\",\"button\":0}");
  expect_event (fixture, XCB_BUTTON_PRESS, 1, 0, &from);
  expect_event (fixture, XCB_BUTTON_RELEASE, 1, 0, &from);
  /* DOM's secondary button is X's 3 */
  send (fixture, "{\"type\":\"pointerdown\",\"button\":2}");
  send (fixture, "{\"type\":\"pointerup\",\"button\":2}");
  expect_event (fixture, XCB_BUTTON_PRESS, 3, 0, &from);
  expect_event (fixture, XCB_BUTTON_RELEASE, 3, 0, &from);
}

static void
test_wheel (Fixture *fixture, gconstpointer data)
{
  guint from = 0;

  /* a notch down, then two and a half left: two clicks, half a notch kept */
  send (fixture, "{\"type\":\"wheel\",\"dx\":0,\"dy\":100}");
  expect_event (fixture, XCB_BUTTON_PRESS, 5, 0, &from);
  expect_event (fixture, XCB_BUTTON_RELEASE, 5, 0, &from);
  send (fixture, "{\"type\":\"wheel\",\"dx\":-250}");
  expect_event (fixture, XCB_BUTTON_PRESS, 6, 0, &from);
  expect_event (fixture, XCB_BUTTON_PRESS, 6, 0, &from);
  send (fixture, "{\"type\":\"wheel\",\"dx\":-50}");
  expect_event (fixture, XCB_BUTTON_PRESS, 6, 0, &from);
}

static void
test_type_latin (Fixture *fixture, gconstpointer data)
{
  const VsaTestRecorded *event;
  guint from = 0;

  send (fixture, "{\"type\":\"text\",\"text\":\"aZ\"}");
  event = expect_event (fixture, XCB_KEY_PRESS, 0, 'a', &from);
  g_assert_nonnull (event);
  g_assert_false (event->state & XCB_MOD_MASK_SHIFT);
  expect_event (fixture, XCB_KEY_RELEASE, 0, 'a', &from);
  expect_event (fixture, XCB_KEY_PRESS, 0, XK_Shift_L, &from);
  event = expect_event (fixture, XCB_KEY_PRESS, 0, 'Z', &from);
  g_assert_nonnull (event);
  g_assert_true (event->state & XCB_MOD_MASK_SHIFT);
  expect_event (fixture, XCB_KEY_RELEASE, 0, XK_Shift_L, &from);
}

static void
test_type_unicode (Fixture *fixture, gconstpointer data)
{
  guint from = 0;

  /* neither is in Xvfb's map: each goes on a spare keycode */
  send (fixture, "{\"type\":\"text\",\"text\":\"ж€\"}");
  expect_event (fixture, XCB_KEY_PRESS, 0, 0x1000436, &from);
  expect_event (fixture, XCB_KEY_RELEASE, 0, 0x1000436, &from);
  expect_event (fixture, XCB_KEY_PRESS, 0, 0x10020ac, &from);
  /* and as a key */
  send (fixture, "{\"type\":\"keydown\",\"code\":\"Semicolon\",\"key\":\"ж\"}");
  send (fixture, "{\"type\":\"keyup\",\"code\":\"Semicolon\",\"key\":\"ж\"}");
  expect_event (fixture, XCB_KEY_PRESS, 0, 0x1000436, &from);
  expect_event (fixture, XCB_KEY_RELEASE, 0, 0x1000436, &from);
}

/* A character lent a spare keycode is pressed only after a pause (a busy client reads the
 * new mapping late), and the messages after it wait their turn. */
static void
test_lend_pause (Fixture *fixture, gconstpointer data)
{
  gint64 sent_us = g_get_monotonic_time ();
  guint from = 0;

  send (fixture, "{\"type\":\"keydown\",\"code\":\"Semicolon\",\"key\":\"ж\"}");
  send (fixture, "{\"type\":\"keyup\",\"code\":\"Semicolon\",\"key\":\"ж\"}");
  send (fixture, "{\"type\":\"text\",\"text\":\"aя\"}");
  send (fixture, "{\"type\":\"text\",\"text\":\"b\"}");
  expect_event (fixture, XCB_KEY_PRESS, 0, 0x1000436, &from);
  g_assert_cmpint (g_get_monotonic_time () - sent_us, >=, VSA_INPUT_LEND_PAUSE_MS * 1000);
  expect_event (fixture, XCB_KEY_RELEASE, 0, 0x1000436, &from);
  expect_event (fixture, XCB_KEY_PRESS, 0, 'a', &from);
  expect_event (fixture, XCB_KEY_PRESS, 0, 0x100044f, &from); /* я, after a pause of its own */
  expect_event (fixture, XCB_KEY_PRESS, 0, 'b', &from);
}

static void
test_named_keys (Fixture *fixture, gconstpointer data)
{
  static const struct
  {
    const char *code, *key;
    guint32 keysym;
  } keys[] = {
    { "Enter", "Enter", 0xff0d },
    { "ArrowLeft", "ArrowLeft", 0xff51 },
    { "F5", "F5", 0xffc2 },
    { "ControlRight", "Control", 0xffe4 },
    { "Backspace", "Backspace", 0xff08 },
  };
  guint from = 0;

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *down = g_strdup_printf (
          "{\"type\":\"keydown\",\"code\":\"%s\",\"key\":\"%s\"}", keys[i].code, keys[i].key);
      g_autofree char *up = g_strdup_printf ("{\"type\":\"keyup\",\"code\":\"%s\",\"key\":\"%s\"}",
                                             keys[i].code, keys[i].key);

      send (fixture, down);
      send (fixture, up);
      expect_event (fixture, XCB_KEY_PRESS, 0, keys[i].keysym, &from);
      expect_event (fixture, XCB_KEY_RELEASE, 0, keys[i].keysym, &from);
    }
}

static void
send_key (Fixture *fixture, const char *type, const char *code, const char *key)
{
  g_autofree char *message
      = g_strdup_printf ("{\"type\":\"%s\",\"code\":\"%s\",\"key\":\"%s\"}", type, code, key);

  send (fixture, message);
}

static void
tap_key (Fixture *fixture, const char *code, const char *key)
{
  send_key (fixture, "keydown", code, key);
  send_key (fixture, "keyup", code, key);
}

/* The user's Shift is let go for a character the VM types unshifted ("/" from a German
 * Shift+7), and held again for what follows. */
static void
test_held_shift (Fixture *fixture, gconstpointer data)
{
  const VsaTestRecorded *event;
  guint from = 0;

  send_key (fixture, "keydown", "ShiftLeft", "Shift");
  tap_key (fixture, "Digit7", "/");
  event = expect_event (fixture, XCB_KEY_PRESS, 0, '/', &from);
  g_assert_nonnull (event);
  g_assert_false (event->state & XCB_MOD_MASK_SHIFT);
  tap_key (fixture, "KeyA", "A");
  event = expect_event (fixture, XCB_KEY_PRESS, 0, 'A', &from);
  g_assert_nonnull (event);
  g_assert_true (event->state & XCB_MOD_MASK_SHIFT);
  tap_key (fixture, "Minus", "?");
  expect_event (fixture, XCB_KEY_PRESS, 0, '?', &from);
  /* and a named key keeps it (Shift+Arrow selects) */
  tap_key (fixture, "ArrowLeft", "ArrowLeft");
  event = expect_event (fixture, XCB_KEY_PRESS, 0, 0xff51, &from);
  g_assert_nonnull (event);
  g_assert_true (event->state & XCB_MOD_MASK_SHIFT);
}

/* With Caps Lock on, a letter still comes out in the case the browser sent. */
static void
test_caps_lock (Fixture *fixture, gconstpointer data)
{
  const VsaTestRecorded *event;
  guint from = 0;

  tap_key (fixture, "CapsLock", "CapsLock");
  expect_event (fixture, XCB_KEY_RELEASE, 0, 0xffe5, &from);
  tap_key (fixture, "KeyA", "a");
  /* Shift undoes Lock for it */
  event = expect_event (fixture, XCB_KEY_PRESS, 0, 'a', &from);
  g_assert_nonnull (event);
  g_assert_true (event->state & XCB_MOD_MASK_LOCK);
  g_assert_true (event->state & XCB_MOD_MASK_SHIFT);
  tap_key (fixture, "KeyB", "B");
  event = expect_event (fixture, XCB_KEY_PRESS, 0, 'B', &from);
  g_assert_nonnull (event);
  g_assert_false (event->state & XCB_MOD_MASK_SHIFT);
  send (fixture, "{\"type\":\"text\",\"text\":\"cD\"}");
  expect_event (fixture, XCB_KEY_PRESS, 0, 'c', &from);
  expect_event (fixture, XCB_KEY_PRESS, 0, 'D', &from);
}

/* AltGr and dead keys were resolved by the browser: only the character arrives. */
static void
test_altgr_dead (Fixture *fixture, gconstpointer data)
{
  guint from = 0;

  send_key (fixture, "keydown", "AltRight", "AltGraph");
  tap_key (fixture, "KeyQ", "@");
  send_key (fixture, "keyup", "AltRight", "AltGraph");
  tap_key (fixture, "BracketLeft", "Dead");
  tap_key (fixture, "KeyE", "ê");
  tap_key (fixture, "KeyX", "Process");
  tap_key (fixture, "KeyX", "Unidentified");
  tap_key (fixture, "Enter", "Enter");
  expect_event (fixture, XCB_KEY_RELEASE, 0, 0xff0d, &from);
  /* no press but @, ê, Enter (and the Shift @ needs on a US map) */
  for (guint i = 0; i < fixture->recorder->events->len; i++)
    {
      const VsaTestRecorded *r = &g_array_index (fixture->recorder->events, VsaTestRecorded, i);

      if (r->type == XCB_KEY_PRESS && r->keysym != XK_Shift_L && r->keysym != '@'
          && r->keysym != 0xea && r->keysym != 0xff0d)
        g_test_fail_printf ("unexpected key 0x%x pressed", r->keysym);
    }
  from = 0;
  expect_event (fixture, XCB_KEY_PRESS, 0, '@', &from);
  expect_event (fixture, XCB_KEY_PRESS, 0, 0xea, &from);
}

/* A held Shift and button are released when the channel closes, and when the input goes. */
static void
test_release_on_close (Fixture *fixture, gconstpointer data)
{
  const VsaTestRecorded *event;
  guint8 keycode;
  guint from = 0;

  send (fixture, "{\"type\":\"keydown\",\"code\":\"ShiftLeft\",\"key\":\"Shift\"}");
  send (fixture, "{\"type\":\"keydown\",\"code\":\"KeyA\",\"key\":\"A\"}");
  event = expect_event (fixture, XCB_KEY_PRESS, 0, 'A', &from);
  g_assert_nonnull (event);
  g_assert_true (event->state & XCB_MOD_MASK_SHIFT);
  keycode = event->detail;
  vsa_input_release_all (fixture->input);
  expect_event (fixture, XCB_KEY_RELEASE, 0, XK_Shift_L, &(guint){ 0 });
  expect_event (fixture, XCB_KEY_RELEASE, keycode, 0, &(guint){ 0 });

  from = fixture->recorder->events->len;
  send (fixture, "{\"type\":\"keydown\",\"code\":\"ShiftRight\",\"key\":\"Shift\"}");
  send (fixture, "{\"type\":\"pointerdown\",\"button\":1}");
  expect_event (fixture, XCB_BUTTON_PRESS, 2, 0, &from);
  g_clear_object (&fixture->input);
  expect_event (fixture, XCB_KEY_RELEASE, 0, 0xffe2, &from);
  expect_event (fixture, XCB_BUTTON_RELEASE, 2, 0, &(guint){ 0 });
}

/* One warning for the first malformed message, none for the next; a good one still
 * works and nothing of the bad ones arrived before it. */
static void
test_malformed (Fixture *fixture, gconstpointer data)
{
  g_test_expect_message ("vsa", G_LOG_LEVEL_WARNING, "*malformed*");
  send (fixture, "{\"type\":\"pointermove\",\"x\":0.5,");
  g_test_assert_expected_messages ();
  send (fixture, "[\"pointermove\"]");
  send (fixture, "{\"type\":\"pointermove\",\"x\":\"half\",\"y\":0.5}");
  send (fixture, "{\"type\":\"pointerdown\",\"button\":7}");
  send (fixture, "{\"type\":\"teleport\"}");
  send (fixture, "{\"x\":0.5,\"y\":0.5}");
  send (fixture, "{\"type\":\"pointermove\",\"x\":0.1,\"y\":0.1}");
  expect_motion (fixture, WIDTH / 10, HEIGHT / 10);
  g_assert_false (has_motion (fixture, WIDTH / 2, HEIGHT / 2));
  for (guint i = 0; i < fixture->recorder->events->len; i++)
    g_assert_cmpuint (g_array_index (fixture->recorder->events, VsaTestRecorded, i).type, ==,
                      XCB_MOTION_NOTIFY);
}

static void
test_oversized (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GString) big
      = g_string_new ("{\"type\":\"pointermove\",\"x\":0.5,\"y\":0.5,\"pad\":\"");

  g_autofree char *warning = g_strdup_printf ("*over %d bytes*", VSA_INPUT_MAX_MESSAGE);

  while (big->len <= VSA_INPUT_MAX_MESSAGE)
    g_string_append_c (big, 'x');
  g_string_append (big, "\"}");
  g_test_expect_message ("vsa", G_LOG_LEVEL_WARNING, warning);
  send (fixture, big->str);
  g_test_assert_expected_messages ();
  send (fixture, "{\"type\":\"pointermove\",\"x\":0.1,\"y\":0.1}");
  expect_motion (fixture, WIDTH / 10, HEIGHT / 10);
  g_assert_false (has_motion (fixture, WIDTH / 2, HEIGHT / 2));
}

static gboolean
has_200_motions (gpointer data)
{
  Fixture *fixture = data;

  vsa_test_recorder_poll (fixture->recorder);
  return fixture->recorder->events->len >= VSA_INPUT_MAX_RATE;
}

/* A burst of 400 moves: 200 (the budget, and what refilled meanwhile) arrive. */
static void
test_rate_limit (Fixture *fixture, gconstpointer data)
{
  gint64 start = g_get_monotonic_time ();
  double elapsed_s;

  g_test_expect_message ("vsa", G_LOG_LEVEL_MESSAGE, "*events/s*");
  for (guint i = 1; i <= 2 * VSA_INPUT_MAX_RATE; i++)
    {
      g_autofree char *move
          = g_strdup_printf ("{\"type\":\"pointermove\",\"x\":%g,\"y\":0.5}", i / 500.0);

      send (fixture, move);
    }
  elapsed_s = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  g_test_assert_expected_messages ();
  g_assert_true (vsa_test_wait_until (has_200_motions, fixture, WAIT_MS));
  /* whatever else was on its way */
  g_usleep (200 * 1000);
  vsa_test_recorder_poll (fixture->recorder);
  g_assert_cmpuint (fixture->recorder->events->len, <=,
                    VSA_INPUT_MAX_RATE + 1 + elapsed_s * VSA_INPUT_MAX_RATE);
}

static void
test_no_post (VsaInputChannelEvent event, GObject *channel, const char *text, gpointer user_data)
{
}

/* The owner of the display's CLIPBOARD, or XCB_NONE. */
static xcb_window_t
clipboard_owner (Fixture *fixture)
{
  xcb_connection_t *conn = fixture->recorder->conn;
  g_autofree xcb_intern_atom_reply_t *atom
      = xcb_intern_atom_reply (conn, xcb_intern_atom (conn, 0, 9, "CLIPBOARD"), NULL);
  g_autofree xcb_get_selection_owner_reply_t *owner = NULL;

  g_assert_nonnull (atom);
  owner = xcb_get_selection_owner_reply (conn, xcb_get_selection_owner (conn, atom->atom), NULL);
  return owner != NULL ? owner->owner : XCB_NONE;
}

/* input=false (vsa-input-channel): the channel's messages reach nothing, the first one
 * logs that input is off, the stop how many were dropped; then the same channel with
 * input on moves the pointer, and that move is all the window saw. */
static void
test_view_only (Fixture *fixture, gconstpointer data)
{
  const char *const messages[] = {
    "{\"type\":\"pointermove\",\"x\":0.5,\"y\":0.5}",
    "{\"type\":\"pointerdown\",\"button\":0}",
    "{\"type\":\"keydown\",\"code\":\"KeyA\",\"key\":\"a\"}",
    "{\"type\":\"text\",\"text\":\"b\"}",
    "{\"type\":\"clipboard\",\"text\":\"secret\"}",
  };
  g_autoptr (VsaConfig) config = vsa_config_new ();
  g_autoptr (GObject) channel = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr (VsaInputChannel) input_channel = NULL;
  GArray *events = fixture->recorder->events;

  config->session_id = g_strdup ("view-only");
  g_free (config->display);
  config->display = g_strdup (fixture->xvfb->display);
  config->input = FALSE;
  config->cursor = VSA_CURSOR_VIDEO; /* a stand-in channel: nothing is to be sent on it */
  input_channel = vsa_input_channel_new (config, test_no_post, NULL);
  g_test_expect_message ("vsa-input-channel", G_LOG_LEVEL_MESSAGE,
                         "session view-only: input is off (input=false)*");
  vsa_input_channel_handle (input_channel, VSA_INPUT_CHANNEL_OPENED, channel, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    vsa_input_channel_handle (input_channel, VSA_INPUT_CHANNEL_MESSAGE, NULL, messages[i]);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (clipboard_owner (fixture), ==, XCB_NONE);
  g_test_expect_message ("vsa-input-channel", G_LOG_LEVEL_MESSAGE,
                         "session view-only: 5 input messages ignored (input=false)");
  g_clear_pointer (&input_channel, vsa_input_channel_free);
  g_test_assert_expected_messages ();

  config->input = TRUE;
  input_channel = vsa_input_channel_new (config, test_no_post, NULL);
  vsa_input_channel_handle (input_channel, VSA_INPUT_CHANNEL_MESSAGE, NULL,
                            "{\"type\":\"pointermove\",\"x\":0.1,\"y\":0.1}");
  expect_motion (fixture, WIDTH / 10, HEIGHT / 10);
  for (guint i = 0; i < events->len; i++)
    {
      const VsaTestRecorded *got = &g_array_index (events, VsaTestRecorded, i);

      g_assert_cmpuint (got->type, ==, XCB_MOTION_NOTIFY);
      g_assert_cmpint (got->x, ==, WIDTH / 10);
      g_assert_cmpint (got->y, ==, HEIGHT / 10);
    }
  g_assert_cmpuint (clipboard_owner (fixture), ==, XCB_NONE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/vsa/input/pointer-move", test_pointer_move);
  ADD ("/vsa/input/click", test_click);
  ADD ("/vsa/input/wheel", test_wheel);
  ADD ("/vsa/input/type-latin", test_type_latin);
  ADD ("/vsa/input/type-unicode", test_type_unicode);
  ADD ("/vsa/input/lend-pause", test_lend_pause);
  ADD ("/vsa/input/named-keys", test_named_keys);
  ADD ("/vsa/input/held-shift", test_held_shift);
  ADD ("/vsa/input/caps-lock", test_caps_lock);
  ADD ("/vsa/input/altgr-dead", test_altgr_dead);
  ADD ("/vsa/input/release-on-close", test_release_on_close);
  ADD ("/vsa/input/malformed", test_malformed);
  ADD ("/vsa/input/oversized", test_oversized);
  ADD ("/vsa/input/rate-limit", test_rate_limit);
  ADD ("/vsa/input/view-only", test_view_only);
#undef ADD
  return g_test_run ();
}
