/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-input.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <xcb/xcb.h>
#include <xcb/xtest.h>

#include "vsa-json.h"
#include "vsa-keymap.h"
#include "vsa-x11-connection.h"

/* DOM wheel deltas are pixels; Chromium reports 100 per notch of a mouse wheel. */
#define WHEEL_NOTCH_PX 100.0
/* A single wheel event clicks at most this often (a flung trackpad, a hostile page). */
#define WHEEL_MAX_CLICKS 10
/* A display that went away is tried again at most this often. */
#define RECONNECT_INTERVAL_US G_USEC_PER_SEC
/* The root's size (xrandr may change it) is read again at most this often. */
#define GEOMETRY_INTERVAL_US (G_USEC_PER_SEC / 2)

#define BUTTONS 10
/* Messages waiting for a lent keycode's pause (VSA_INPUT_LEND_PAUSE_MS), at most. */
#define HELD_MAX 64

#define XK_Shift_L 0xffe1
#define XK_Shift_R 0xffe2

struct _VsaInput
{
  GObject parent_instance;

  char *display;
  VsaX11Connection x11;
  guint width, height; /* the root's */
  gint64 geometry_at_us;

  /* what we pressed, to release it when the browser goes */
  gboolean keys_down[VSA_KEYMAP_KEYCODES];
  guint32 keysyms_down[VSA_KEYMAP_KEYCODES];
  gboolean buttons_down[BUTTONS];
  GHashTable *codes_down; /* DOM code → keycode it pressed */

  VsaKeymapSpares spares;
  gboolean lent;   /* a spare was just lent for the message being handled */
  char *retry;     /* what is left of that message, to handle after the pause */
  GQueue held;     /* messages (char *) waiting for the pause to end */
  guint resume_id; /* the pause's timeout */

  double tokens;
  gint64 tokens_at_us;
  double wheel_dx, wheel_dy;

  VsaClipboard *clipboard;

  gboolean warned_malformed;
  gboolean warned_oversized;
  gboolean warned_rate;
};

G_DEFINE_FINAL_TYPE (VsaInput, vsa_input, G_TYPE_OBJECT)

static void
vsa_input_disconnect (VsaInput *self)
{
  /* The server drops what a client sent just before it hung up (the releases of what it
   * pressed): a round trip first. */
  if (vsa_x11_connection_is_up (&self->x11))
    free (xcb_get_input_focus_reply (self->x11.conn, xcb_get_input_focus (self->x11.conn), NULL));
  vsa_x11_connection_close (&self->x11);
}

static void
vsa_input_dispose (GObject *object)
{
  VsaInput *self = VSA_INPUT (object);

  vsa_input_release_all (self);
  vsa_input_disconnect (self);
  G_OBJECT_CLASS (vsa_input_parent_class)->dispose (object);
}

static void
vsa_input_finalize (GObject *object)
{
  VsaInput *self = VSA_INPUT (object);

  g_free (self->display);
  g_clear_object (&self->clipboard);
  g_hash_table_unref (self->codes_down);
  G_OBJECT_CLASS (vsa_input_parent_class)->finalize (object);
}

static void
vsa_input_class_init (VsaInputClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vsa_input_dispose;
  object_class->finalize = vsa_input_finalize;
}

static void
vsa_input_init (VsaInput *self)
{
  self->codes_down = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->tokens = VSA_INPUT_MAX_RATE;
  self->tokens_at_us = g_get_monotonic_time ();
  vsa_x11_connection_init (&self->x11, RECONNECT_INTERVAL_US);
}

VsaInput *
vsa_input_new (const char *display)
{
  VsaInput *self = g_object_new (VSA_TYPE_INPUT, NULL);

  self->display = g_strdup (display);
  return self;
}

/* --- the display ---------------------------------------------------------------------- */

static void
vsa_input_forget_pressed (VsaInput *self)
{
  memset (self->keys_down, 0, sizeof self->keys_down);
  memset (self->keysyms_down, 0, sizeof self->keysyms_down);
  memset (self->buttons_down, 0, sizeof self->buttons_down);
  g_hash_table_remove_all (self->codes_down);
  self->wheel_dx = self->wheel_dy = 0;
}

static gboolean
vsa_input_ensure_connected (VsaInput *self)
{
  const char *label = vsa_x11_connection_label (self->display);

  if (vsa_x11_connection_is_up (&self->x11))
    return TRUE;
  if (self->x11.conn != NULL)
    {
      /* the server is gone, and what we pressed with it */
      vsa_input_disconnect (self);
      vsa_input_forget_pressed (self);
    }
  if (!vsa_x11_connection_may_try (&self->x11))
    return FALSE;
  if (!vsa_x11_connection_open (&self->x11, self->display))
    {
      if (vsa_x11_connection_mark_down (&self->x11))
        g_warning ("input: cannot connect to X display \"%s\": dropping input", label);
      vsa_input_disconnect (self);
      return FALSE;
    }
  if (vsa_x11_connection_extension (&self->x11, &xcb_test_id) == NULL)
    {
      if (vsa_x11_connection_mark_down (&self->x11))
        g_warning ("input: X display \"%s\" has no XTEST extension: dropping input", label);
      vsa_input_disconnect (self);
      return FALSE;
    }
  self->width = self->x11.screen->width_in_pixels;
  self->height = self->x11.screen->height_in_pixels;
  self->geometry_at_us = g_get_monotonic_time ();
  vsa_keymap_spares_forget (&self->spares);
  vsa_x11_connection_mark_up (&self->x11);
  return TRUE;
}

static void
vsa_input_fake (VsaInput *self, guint8 type, guint8 detail, gint16 x, gint16 y)
{
  xcb_test_fake_input (self->x11.conn, type, detail, XCB_CURRENT_TIME,
                       type == XCB_MOTION_NOTIFY ? self->x11.screen->root : XCB_NONE, x, y, 0);
}

/* --- keys ----------------------------------------------------------------------------- */

/* The Shift keys the user holds, into held; returns how many. */
static guint
vsa_input_held_shifts (VsaInput *self, guint8 held[VSA_KEYMAP_KEYCODES])
{
  guint n = 0;

  for (guint i = 0; i < VSA_KEYMAP_KEYCODES; i++)
    if (self->keys_down[i]
        && (self->keysyms_down[i] == XK_Shift_L || self->keysyms_down[i] == XK_Shift_R))
      held[n++] = (guint8) i;
  return n;
}

static void
vsa_input_fake_keys (VsaInput *self, guint8 type, const guint8 *keycodes, guint n)
{
  for (guint i = 0; i < n; i++)
    vsa_input_fake (self, type, keycodes[i], 0, 0);
}

/* Presses keysym's key at exactly the level it needs: Shift pressed around it if the user
 * holds none, or, for a character, the user's Shift let go around it (and held again
 * after: it is still down for what follows). Named keys keep the user's Shift
 * (Shift+Arrow selects). With unless_down, a key already down is left alone. Returns the
 * keycode, 0 if none was pressed. */
static guint8
vsa_input_press_keysym (VsaInput *self, xcb_keysym_t keysym, gboolean unless_down)
{
  VsaKeymapLevel level;
  guint8 keycode = vsa_keymap_resolve (&self->spares, &self->x11, self->keys_down, keysym, &level);
  guint8 held[VSA_KEYMAP_KEYCODES];
  guint n_held = vsa_input_held_shifts (self, held);
  guint8 shift_keycode = 0;
  guint n_lifted = 0;

  if (keycode == 0)
    {
      g_debug ("input: no keycode for keysym 0x%x", keysym);
      return 0;
    }
  if (level == VSA_KEYMAP_LEVEL_ANY)
    {
      g_debug ("input: keycode %u lent to keysym 0x%x, pressed after a pause", keycode, keysym);
      self->lent = TRUE;
      return 0;
    }
  if (unless_down && self->keys_down[keycode])
    return 0;
  if (level == VSA_KEYMAP_LEVEL_SHIFT && n_held == 0)
    shift_keycode = vsa_keymap_resolve (&self->spares, &self->x11, self->keys_down, XK_Shift_L,
                                        &(VsaKeymapLevel){ VSA_KEYMAP_LEVEL_BASE });
  if (level == VSA_KEYMAP_LEVEL_BASE && vsa_keymap_keysym_unichar (keysym) != 0)
    n_lifted = n_held;
  if (shift_keycode != 0)
    vsa_input_fake (self, XCB_KEY_PRESS, shift_keycode, 0, 0);
  vsa_input_fake_keys (self, XCB_KEY_RELEASE, held, n_lifted);
  vsa_input_fake (self, XCB_KEY_PRESS, keycode, 0, 0);
  vsa_input_fake_keys (self, XCB_KEY_PRESS, held, n_lifted);
  if (shift_keycode != 0)
    vsa_input_fake (self, XCB_KEY_RELEASE, shift_keycode, 0, 0);
  self->keys_down[keycode] = TRUE;
  self->keysyms_down[keycode] = keysym;
  return keycode;
}

static void
vsa_input_release_keycode (VsaInput *self, guint8 keycode)
{
  if (!self->keys_down[keycode])
    return;
  vsa_input_fake (self, XCB_KEY_RELEASE, keycode, 0, 0);
  self->keys_down[keycode] = FALSE;
  self->keysyms_down[keycode] = 0;
}

/* --- events --------------------------------------------------------------------------- */

/* Takes n events' worth from the rate budget; FALSE if it has not that much. */
static gboolean
vsa_input_take_tokens (VsaInput *self, guint n)
{
  gint64 now = g_get_monotonic_time ();

  self->tokens = MIN (
      (double) VSA_INPUT_MAX_RATE,
      self->tokens + (double) (now - self->tokens_at_us) * VSA_INPUT_MAX_RATE / G_USEC_PER_SEC);
  self->tokens_at_us = now;
  if (self->tokens < n)
    {
      if (!self->warned_rate)
        g_message ("input: more than %d events/s: dropping the excess", VSA_INPUT_MAX_RATE);
      self->warned_rate = TRUE;
      return FALSE;
    }
  self->tokens -= n;
  return TRUE;
}

static guint
vsa_input_scale (double v, guint size)
{
  return (guint) CLAMP (floor (v * size), 0, (double) size - 1);
}

/* Follows a resize of the root (xrandr), reading its size at most every
 * GEOMETRY_INTERVAL_US. */
static void
vsa_input_update_geometry (VsaInput *self)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree xcb_get_geometry_reply_t *reply = NULL;

  if (now - self->geometry_at_us < GEOMETRY_INTERVAL_US)
    return;
  self->geometry_at_us = now;
  reply = xcb_get_geometry_reply (self->x11.conn,
                                  xcb_get_geometry (self->x11.conn, self->x11.screen->root), NULL);
  if (reply == NULL || reply->width == 0 || reply->height == 0)
    return;
  self->width = reply->width;
  self->height = reply->height;
}

static gboolean
vsa_input_handle_pointer_move (VsaInput *self, JsonObject *event)
{
  double x, y;

  if (!vsa_json_get_number (event, "x", &x) || !vsa_json_get_number (event, "y", &y))
    return FALSE;
  if (!vsa_input_ensure_connected (self))
    return TRUE;
  vsa_input_update_geometry (self);
  vsa_input_fake (self, XCB_MOTION_NOTIFY, FALSE, (gint16) vsa_input_scale (x, self->width),
                  (gint16) vsa_input_scale (y, self->height));
  return TRUE;
}

static gboolean
vsa_input_handle_button (VsaInput *self, JsonObject *event, gboolean down)
{
  static const guint8 x_buttons[] = { 1, 2, 3, 8, 9 }; /* DOM 0 main, 1 middle, 2 … */
  double dom;
  guint8 button;

  if (!vsa_json_get_number (event, "button", &dom) || dom != floor (dom) || dom < 0
      || dom >= G_N_ELEMENTS (x_buttons))
    return FALSE;
  button = x_buttons[(guint) dom];
  if (!vsa_input_ensure_connected (self) || self->buttons_down[button] == down)
    return TRUE;
  vsa_input_fake (self, down ? XCB_BUTTON_PRESS : XCB_BUTTON_RELEASE, button, 0, 0);
  self->buttons_down[button] = down;
  return TRUE;
}

static void
vsa_input_click (VsaInput *self, guint8 button, int times)
{
  for (int i = 0; i < times; i++)
    {
      vsa_input_fake (self, XCB_BUTTON_PRESS, button, 0, 0);
      vsa_input_fake (self, XCB_BUTTON_RELEASE, button, 0, 0);
    }
}

/* Whole notches click; the rest adds up (a trackpad's small deltas), until the direction
 * changes. */
static int
vsa_input_notches (double *accumulated, double delta)
{
  int clicks;

  if ((*accumulated > 0 && delta < 0) || (*accumulated < 0 && delta > 0))
    *accumulated = 0;
  *accumulated += delta;
  clicks = (int) CLAMP (*accumulated / WHEEL_NOTCH_PX, -WHEEL_MAX_CLICKS, WHEEL_MAX_CLICKS);
  *accumulated -= clicks * WHEEL_NOTCH_PX;
  if (ABS (*accumulated) >= WHEEL_NOTCH_PX)
    *accumulated = 0;
  return clicks;
}

static gboolean
vsa_input_handle_wheel (VsaInput *self, JsonObject *event)
{
  double dx = 0, dy = 0;
  int x, y;

  if ((json_object_has_member (event, "dx") && !vsa_json_get_number (event, "dx", &dx))
      || (json_object_has_member (event, "dy") && !vsa_json_get_number (event, "dy", &dy)))
    return FALSE;
  x = vsa_input_notches (&self->wheel_dx, dx);
  y = vsa_input_notches (&self->wheel_dy, dy);
  if (!vsa_input_ensure_connected (self))
    return TRUE;
  vsa_input_click (self, y < 0 ? 4 : 5, ABS (y)); /* up, down */
  vsa_input_click (self, x < 0 ? 6 : 7, ABS (x)); /* left, right */
  return TRUE;
}

static gboolean
vsa_input_handle_key (VsaInput *self, JsonObject *event, gboolean down)
{
  const char *key = vsa_json_get_string (event, "key");
  const char *code = vsa_json_get_string (event, "code");
  xcb_keysym_t keysym;
  gpointer keycode;

  if (key == NULL && code == NULL)
    return FALSE;
  if (!vsa_input_ensure_connected (self))
    return TRUE;
  /* a key is released as it was pressed, whatever it says its key is now */
  if (!down && code != NULL
      && g_hash_table_lookup_extended (self->codes_down, code, NULL, &keycode))
    {
      vsa_input_release_keycode (self, (guint8) GPOINTER_TO_UINT (keycode));
      g_hash_table_remove (self->codes_down, code);
      return TRUE;
    }
  if (vsa_keymap_is_ignored_key (key))
    {
      g_debug ("input: ignoring key \"%s\" (%s)", key, code != NULL ? code : "");
      return TRUE;
    }
  keysym = key != NULL ? vsa_keymap_keysym_for_key (key, code) : 0;
  if (keysym == 0)
    {
      g_debug ("input: no keysym for key \"%s\" (%s)", key != NULL ? key : "", code);
      return TRUE;
    }
  if (down)
    {
      guint8 pressed = vsa_input_press_keysym (self, keysym, FALSE);

      if (pressed != 0 && code != NULL)
        g_hash_table_insert (self->codes_down, g_strdup (code), GUINT_TO_POINTER (pressed));
    }
  else
    {
      for (guint i = 0; i < VSA_KEYMAP_KEYCODES; i++)
        if (self->keys_down[i] && self->keysyms_down[i] == keysym)
          vsa_input_release_keycode (self, (guint8) i);
    }
  return TRUE;
}

/* {"type":"text","text":text} */
static char *
vsa_input_text_message (const char *text)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (object, "type", "text");
  json_object_set_string_member (object, "text", text);
  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

static gboolean
vsa_input_handle_text (VsaInput *self, JsonObject *event)
{
  const char *text = vsa_json_get_string (event, "text");

  if (text == NULL)
    return FALSE;
  if (!vsa_input_ensure_connected (self))
    return TRUE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      xcb_keysym_t keysym = vsa_keymap_keysym_for_char (g_utf8_get_char (p));
      guint8 keycode;

      if (keysym == 0)
        continue;
      if (!vsa_input_take_tokens (self, 1))
        break;
      /* a key the user holds is left alone */
      keycode = vsa_input_press_keysym (self, keysym, TRUE);
      if (keycode != 0)
        vsa_input_release_keycode (self, keycode);
      if (self->lent)
        {
          self->retry = vsa_input_text_message (p);
          break;
        }
    }
  return TRUE;
}

static gboolean
vsa_input_handle_clipboard (VsaInput *self, JsonObject *event)
{
  const char *text = vsa_json_get_string (event, "text");

  if (text == NULL)
    return FALSE;
  if (self->clipboard != NULL && !vsa_clipboard_set_text (self->clipboard, text))
    g_message ("input: the clipboard text was not taken (over %d bytes, or not UTF-8)",
               VSA_CLIPBOARD_MAX_TEXT);
  return TRUE;
}

static void
vsa_input_drop_malformed (VsaInput *self, const char *why)
{
  if (!self->warned_malformed)
    g_warning ("input: dropping a malformed message (%s); further ones are not logged", why);
  else
    g_debug ("input: dropping a malformed message (%s)", why);
  self->warned_malformed = TRUE;
}

static gboolean vsa_input_resume (gpointer user_data);

static void
vsa_input_process (VsaInput *self, const char *message)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonNode *root;
  JsonObject *event;
  const char *type;
  gboolean valid;

  if (!json_parser_load_from_data (parser, message, -1, &error))
    {
      vsa_input_drop_malformed (self, error->message);
      return;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      vsa_input_drop_malformed (self, "not an object");
      return;
    }
  event = json_node_get_object (root);
  type = vsa_json_get_string (event, "type");
  if (type == NULL)
    {
      vsa_input_drop_malformed (self, "no type");
      return;
    }
  /* text pays per character, as it types; a big message per 4 KiB */
  if (!g_str_equal (type, "text")
      && !vsa_input_take_tokens (self, 1 + (guint) strlen (message) / 4096))
    return;

  if (g_str_equal (type, "pointermove"))
    valid = vsa_input_handle_pointer_move (self, event);
  else if (g_str_equal (type, "pointerdown") || g_str_equal (type, "pointerup"))
    valid = vsa_input_handle_button (self, event, g_str_equal (type, "pointerdown"));
  else if (g_str_equal (type, "wheel"))
    valid = vsa_input_handle_wheel (self, event);
  else if (g_str_equal (type, "keydown") || g_str_equal (type, "keyup"))
    valid = vsa_input_handle_key (self, event, g_str_equal (type, "keydown"));
  else if (g_str_equal (type, "text"))
    valid = vsa_input_handle_text (self, event);
  else if (g_str_equal (type, "clipboard"))
    valid = vsa_input_handle_clipboard (self, event);
  else
    valid = FALSE;
  if (!valid)
    {
      g_autofree char *why = g_strdup_printf ("bad \"%s\" event", type);

      vsa_input_drop_malformed (self, why);
    }
  if (self->x11.conn != NULL)
    xcb_flush (self->x11.conn);
  /* a key whose keysym was just lent: the message again (a text: the rest) after the
   * pause */
  if (self->lent)
    {
      g_queue_push_head (&self->held,
                         self->retry != NULL ? g_steal_pointer (&self->retry) : g_strdup (message));
      self->lent = FALSE;
      self->resume_id = g_timeout_add (VSA_INPUT_LEND_PAUSE_MS, vsa_input_resume, self);
    }
}

/* The pause is over: the held messages in order, until one pauses again. */
static gboolean
vsa_input_resume (gpointer user_data)
{
  VsaInput *self = user_data;
  char *message;

  self->resume_id = 0;
  while (self->resume_id == 0 && (message = g_queue_pop_head (&self->held)) != NULL)
    {
      vsa_input_process (self, message);
      g_free (message);
    }
  return G_SOURCE_REMOVE;
}

void
vsa_input_handle_message (VsaInput *self, const char *message)
{
  g_return_if_fail (VSA_IS_INPUT (self));

  if (message == NULL || strnlen (message, VSA_INPUT_MAX_MESSAGE + 1) > VSA_INPUT_MAX_MESSAGE)
    {
      if (!self->warned_oversized)
        g_warning ("input: dropping a message over %d bytes; further ones are not logged",
                   VSA_INPUT_MAX_MESSAGE);
      self->warned_oversized = TRUE;
      return;
    }
  if (self->resume_id == 0)
    vsa_input_process (self, message);
  else if (self->held.length < HELD_MAX)
    g_queue_push_tail (&self->held, g_strdup (message));
  else
    g_debug ("input: dropping a message: %d are waiting for a lent keycode", HELD_MAX);
}

void
vsa_input_set_clipboard (VsaInput *self, VsaClipboard *clipboard)
{
  g_return_if_fail (VSA_IS_INPUT (self));

  g_set_object (&self->clipboard, clipboard);
}

void
vsa_input_release_all (VsaInput *self)
{
  g_return_if_fail (VSA_IS_INPUT (self));

  g_clear_handle_id (&self->resume_id, g_source_remove);
  g_queue_clear_full (&self->held, g_free);
  if (vsa_x11_connection_is_up (&self->x11))
    {
      for (guint i = 0; i < VSA_KEYMAP_KEYCODES; i++)
        vsa_input_release_keycode (self, (guint8) i);
      for (guint i = 0; i < BUTTONS; i++)
        if (self->buttons_down[i])
          vsa_input_fake (self, XCB_BUTTON_RELEASE, (guint8) i, 0, 0);
      xcb_flush (self->x11.conn);
    }
  vsa_input_forget_pressed (self);
}
