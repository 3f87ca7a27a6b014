/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tests' recorder window: see vsa-test-recorder.h. */

#include "vsa-test-recorder.h"

#include "vsa-test-util.h"

/* What keycode types with state now: the AltGr group (Mod5) in columns 4 and 5, Lock
 * inverting a letter pair as XKB's ALPHABETIC type does, else Shift. */
static guint32
keysym_now (VsaTestRecorder *self, guint8 keycode, guint16 state)
{
  g_autofree xcb_get_keyboard_mapping_reply_t *reply = xcb_get_keyboard_mapping_reply (
      self->conn, xcb_get_keyboard_mapping (self->conn, keycode, 1), NULL);
  gboolean shift = (state & XCB_MOD_MASK_SHIFT) != 0;
  xcb_keysym_t *keysyms;
  guint per;

  if (reply == NULL || reply->keysyms_per_keycode == 0)
    return 0;
  per = reply->keysyms_per_keycode;
  keysyms = xcb_get_keyboard_mapping_keysyms (reply);
  if ((state & XCB_MOD_MASK_5) && per > 4 && keysyms[4] != 0)
    return keysyms[shift && per > 5 && keysyms[5] != 0 ? 5 : 4];
  if ((state & XCB_MOD_MASK_LOCK) && per > 1 && keysyms[0] < 0x100 && keysyms[1] != keysyms[0]
      && g_unichar_toupper (keysyms[0]) == keysyms[1])
    shift = !shift;
  if (shift && per > 1 && keysyms[1] != 0)
    return keysyms[1];
  return keysyms[0];
}

VsaTestRecorder *
vsa_test_recorder_new (const char *display, guint width, guint height, guint32 rgb)
{
  VsaTestRecorder *self = g_new0 (VsaTestRecorder, 1);
  const guint32 values[] = {
    rgb, /* background pixel: Xvfb's 24-bit TrueColor */
    1,   /* override-redirect */
    XCB_EVENT_MASK_KEY_PRESS | XCB_EVENT_MASK_KEY_RELEASE | XCB_EVENT_MASK_BUTTON_PRESS
        | XCB_EVENT_MASK_BUTTON_RELEASE | XCB_EVENT_MASK_POINTER_MOTION,
  };
  xcb_screen_t *screen;

  self->events = g_array_new (FALSE, TRUE, sizeof (VsaTestRecorded));
  self->conn = xcb_connect (display, NULL);
  g_assert_false (xcb_connection_has_error (self->conn));
  screen = xcb_setup_roots_iterator (xcb_get_setup (self->conn)).data;
  self->window = xcb_generate_id (self->conn);
  xcb_create_window (self->conn, XCB_COPY_FROM_PARENT, self->window, screen->root, 0, 0,
                     (guint16) width, (guint16) height, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT,
                     screen->root_visual,
                     XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK, values);
  xcb_map_window (self->conn, self->window);
  xcb_set_input_focus (self->conn, XCB_INPUT_FOCUS_POINTER_ROOT, self->window, XCB_CURRENT_TIME);
  /* a round trip: the window is there before anything is injected */
  free (xcb_get_input_focus_reply (self->conn, xcb_get_input_focus (self->conn), NULL));
  return self;
}

void
vsa_test_recorder_free (VsaTestRecorder *self)
{
  if (self == NULL)
    return;
  xcb_disconnect (self->conn);
  g_array_unref (self->events);
  g_free (self);
}

void
vsa_test_recorder_poll (VsaTestRecorder *self)
{
  xcb_generic_event_t *event;

  while ((event = xcb_poll_for_event (self->conn)) != NULL)
    {
      VsaTestRecorded recorded = { .type = event->response_type & 0x7f };

      switch (recorded.type)
        {
        case XCB_KEY_PRESS:
        case XCB_KEY_RELEASE:
          {
            xcb_key_press_event_t *key = (xcb_key_press_event_t *) event;

            recorded.detail = key->detail;
            recorded.state = key->state;
            recorded.keysym = keysym_now (self, key->detail, key->state);
          }
          break;
        case XCB_BUTTON_PRESS:
        case XCB_BUTTON_RELEASE:
        case XCB_MOTION_NOTIFY:
          {
            /* the three share this layout */
            xcb_button_press_event_t *pointer = (xcb_button_press_event_t *) event;

            recorded.detail = pointer->detail;
            recorded.state = pointer->state;
            recorded.x = pointer->root_x;
            recorded.y = pointer->root_y;
          }
          break;
        default:
          recorded.type = 0;
        }
      if (recorded.type != 0)
        g_array_append_val (self->events, recorded);
      free (event);
    }
}

void
vsa_test_recorder_dump (VsaTestRecorder *self)
{
  for (guint i = 0; i < self->events->len; i++)
    {
      const VsaTestRecorded *r = &g_array_index (self->events, VsaTestRecorded, i);

      g_test_message ("event %u: type %u detail %u keysym 0x%x state 0x%x at %d,%d", i, r->type,
                      r->detail, r->keysym, r->state, r->x, r->y);
    }
}

typedef struct
{
  VsaTestRecorder *recorder;
  guint8 type;
  guint8 detail;      /* 0: any */
  guint32 keysyms[2]; /* 0: any; else either */
  guint from;
  guint found;
} Expect;

static gboolean
find_expected (gpointer data)
{
  Expect *expect = data;
  GArray *events = expect->recorder->events;

  vsa_test_recorder_poll (expect->recorder);
  for (guint i = expect->from; i < events->len; i++)
    {
      const VsaTestRecorded *got = &g_array_index (events, VsaTestRecorded, i);

      if (got->type == expect->type && (expect->detail == 0 || got->detail == expect->detail)
          && (expect->keysyms[0] == 0 || got->keysym == expect->keysyms[0]
              || (expect->keysyms[1] != 0 && got->keysym == expect->keysyms[1])))
        {
          expect->found = i;
          return TRUE;
        }
    }
  return FALSE;
}

const VsaTestRecorded *
vsa_test_recorder_expect (VsaTestRecorder *self, guint8 type, guint8 detail, guint32 keysym,
                          guint32 keysym2, guint *from, guint timeout_ms)
{
  Expect expect = { self, type, detail, { keysym, keysym2 }, *from, 0 };

  if (!vsa_test_wait_until (find_expected, &expect, timeout_ms))
    {
      vsa_test_recorder_dump (self);
      g_test_fail_printf ("no event of type %u (detail %u, keysym 0x%x) within %u ms", type, detail,
                          keysym, timeout_ms);
      return NULL;
    }
  *from = expect.found + 1;
  return &g_array_index (self->events, VsaTestRecorded, expect.found);
}

gboolean
vsa_test_color_is_close (guint32 pixel, guint32 rgb)
{
  for (guint shift = 0; shift <= 16; shift += 8)
    if (ABS ((gint) ((pixel >> shift) & 0xff) - (gint) ((rgb >> shift) & 0xff)) > 40)
      return FALSE;
  return TRUE;
}

gboolean
vsa_test_find_color (xcb_connection_t *conn, guint width, guint height, guint32 rgb,
                     VsaTestColorBox *box)
{
  xcb_screen_t *screen = xcb_setup_roots_iterator (xcb_get_setup (conn)).data;
  g_autofree xcb_get_image_reply_t *image = NULL;
  const guint32 *pixels;
  guint count = 0, samples = 0;

  *box = (VsaTestColorBox){ G_MAXINT, G_MAXINT, -1, -1, 0 };
  image = xcb_get_image_reply (conn,
                               xcb_get_image (conn, XCB_IMAGE_FORMAT_Z_PIXMAP, screen->root, 0, 0,
                                              (guint16) width, (guint16) height, ~0u),
                               NULL);
  if (image == NULL || xcb_get_image_data_length (image) < (int) (width * height * 4))
    {
      box->x0 = box->y0 = -1;
      return FALSE;
    }
  pixels = (const guint32 *) xcb_get_image_data (image);
  for (guint y = 0; y < height; y += 2)
    for (guint x = 0; x < width; x += 2, samples++)
      if (vsa_test_color_is_close (pixels[y * width + x], rgb))
        {
          count++;
          box->x0 = MIN (box->x0, (gint) x);
          box->y0 = MIN (box->y0, (gint) y);
          box->x1 = MAX (box->x1, (gint) x);
          box->y1 = MAX (box->y1, (gint) y);
        }
  if (count == 0)
    box->x0 = box->y0 = -1;
  box->share = (double) count / samples;
  return TRUE;
}
