/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-input.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <xcb/xcb.h>
#include <xcb/xtest.h>

#include "vsa-json.h"
#include "vsa-x11-connection.h"

/* DOM wheel deltas are pixels; Chromium reports 100 per notch of a mouse wheel. */
#define WHEEL_NOTCH_PX 100.0
/* A single wheel event clicks at most this often (a flung trackpad, a hostile page). */
#define WHEEL_MAX_CLICKS 10
/* A display that went away is tried again at most this often. */
#define RECONNECT_INTERVAL_US G_USEC_PER_SEC
/* The root's size (xrandr may change it) is read again at most this often. */
#define GEOMETRY_INTERVAL_US (G_USEC_PER_SEC / 2)

#define KEYCODES 256
#define BUTTONS 10

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
  gboolean keys_down[KEYCODES];
  guint32 keysyms_down[KEYCODES];
  gboolean buttons_down[BUTTONS];
  GHashTable *codes_down; /* DOM code → keycode it pressed */

  /* keycodes with no keysym at all when first needed, lent to keysyms the map lacks */
  guint8 spares[KEYCODES];
  guint n_spares;
  guint next_spare;
  gboolean spares_known;

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
disconnect (VsaInput *self)
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
  disconnect (self);
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
forget_pressed (VsaInput *self)
{
  memset (self->keys_down, 0, sizeof self->keys_down);
  memset (self->keysyms_down, 0, sizeof self->keysyms_down);
  memset (self->buttons_down, 0, sizeof self->buttons_down);
  g_hash_table_remove_all (self->codes_down);
  self->wheel_dx = self->wheel_dy = 0;
}

static gboolean
ensure_connected (VsaInput *self)
{
  const char *label = vsa_x11_connection_label (self->display);

  if (vsa_x11_connection_is_up (&self->x11))
    return TRUE;
  if (self->x11.conn != NULL)
    {
      /* the server is gone, and what we pressed with it */
      disconnect (self);
      forget_pressed (self);
    }
  if (!vsa_x11_connection_may_try (&self->x11))
    return FALSE;
  if (!vsa_x11_connection_open (&self->x11, self->display))
    {
      if (vsa_x11_connection_mark_down (&self->x11))
        g_warning ("input: cannot connect to X display \"%s\": dropping input", label);
      disconnect (self);
      return FALSE;
    }
  if (vsa_x11_connection_extension (&self->x11, &xcb_test_id) == NULL)
    {
      if (vsa_x11_connection_mark_down (&self->x11))
        g_warning ("input: X display \"%s\" has no XTEST extension: dropping input", label);
      disconnect (self);
      return FALSE;
    }
  self->width = self->x11.screen->width_in_pixels;
  self->height = self->x11.screen->height_in_pixels;
  self->geometry_at_us = g_get_monotonic_time ();
  self->spares_known = FALSE;
  vsa_x11_connection_mark_up (&self->x11);
  return TRUE;
}

static void
fake (VsaInput *self, guint8 type, guint8 detail, gint16 x, gint16 y)
{
  xcb_test_fake_input (self->x11.conn, type, detail, XCB_CURRENT_TIME,
                       type == XCB_MOTION_NOTIFY ? self->x11.screen->root : XCB_NONE, x, y, 0);
}

/* --- keys ----------------------------------------------------------------------------- */

/* The server's keyboard mapping, fetched for each key: another client (setxkbmap, the
 * desktop) may change it at any time. */
typedef struct
{
  xcb_get_keyboard_mapping_reply_t *reply;
  xcb_keysym_t *keysyms;
  guint8 min_keycode;
  guint count;
  guint per; /* keysyms per keycode */
} Keymap;

static void
keymap_clear (Keymap *map)
{
  g_free (map->reply);
  map->reply = NULL;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Keymap, keymap_clear)

static gboolean
keymap_fetch (VsaInput *self, Keymap *map)
{
  const xcb_setup_t *setup = xcb_get_setup (self->x11.conn);

  map->min_keycode = setup->min_keycode;
  map->count = (guint) setup->max_keycode - setup->min_keycode + 1;
  map->reply = xcb_get_keyboard_mapping_reply (
      self->x11.conn,
      xcb_get_keyboard_mapping (self->x11.conn, map->min_keycode, (guint8) map->count), NULL);
  if (map->reply == NULL || map->reply->keysyms_per_keycode == 0)
    return FALSE;
  map->keysyms = xcb_get_keyboard_mapping_keysyms (map->reply);
  map->per = map->reply->keysyms_per_keycode;
  return TRUE;
}

static xcb_keysym_t
keymap_get (const Keymap *map, guint keycode, guint column)
{
  return map->keysyms[(keycode - map->min_keycode) * map->per + column];
}

/* The level a keycode types keysym at: its column, or either (a lent spare). */
typedef enum
{
  LEVEL_BASE,
  LEVEL_SHIFT,
  LEVEL_ANY,
} Level;

/* The keycode typing keysym unshifted (column 0), else shifted (column 1: *shift); 0 if
 * neither. Other columns need AltGr or another group: not used. */
static guint8
keymap_find (const Keymap *map, xcb_keysym_t keysym, gboolean *shift)
{
  guint8 shifted = 0;

  for (guint i = 0; i < map->count; i++)
    {
      guint keycode = map->min_keycode + i;

      if (keymap_get (map, keycode, 0) == keysym)
        {
          *shift = FALSE;
          return (guint8) keycode;
        }
      if (shifted == 0 && map->per > 1 && keymap_get (map, keycode, 1) == keysym)
        shifted = (guint8) keycode;
    }
  *shift = shifted != 0;
  return shifted;
}

/* Puts keysym on a spare keycode (one that had no keysym), least recently lent first and
 * never one that is down. It stays there until lent again: a client translates a key
 * event with the mapping it has when it reads the event. */
static guint8
lend_spare (VsaInput *self, const Keymap *map, xcb_keysym_t keysym)
{
  g_autofree xcb_keysym_t *row = NULL;
  g_autofree xcb_generic_error_t *error = NULL;
  guint8 keycode = 0;

  if (!self->spares_known)
    {
      self->n_spares = self->next_spare = 0;
      for (guint i = 0; i < map->count; i++)
        {
          guint j = 0;

          while (j < map->per && keymap_get (map, map->min_keycode + i, j) == XCB_NO_SYMBOL)
            j++;
          if (j == map->per)
            self->spares[self->n_spares++] = (guint8) (map->min_keycode + i);
        }
      self->spares_known = TRUE;
    }
  for (guint i = 0; i < self->n_spares && keycode == 0; i++)
    {
      guint index = (self->next_spare + i) % self->n_spares;

      if (!self->keys_down[self->spares[index]])
        {
          keycode = self->spares[index];
          self->next_spare = index + 1;
        }
    }
  if (keycode == 0)
    return 0;

  /* the same keysym shifted or not, so that Shift or Caps Lock change nothing */
  row = g_new0 (xcb_keysym_t, map->per);
  for (guint j = 0; j < MIN (map->per, 2u); j++)
    row[j] = keysym;
  error = xcb_request_check (
      self->x11.conn,
      xcb_change_keyboard_mapping_checked (self->x11.conn, 1, keycode, (guint8) map->per, row));
  return error == NULL ? keycode : 0;
}

/* A character keysym's code point (Latin-1 or Unicode keysyms), 0 for others. */
static gunichar
keysym_unichar (xcb_keysym_t keysym)
{
  if ((keysym >= 0x20 && keysym <= 0x7e) || (keysym >= 0xa0 && keysym <= 0xff))
    return keysym;
  if (keysym >= 0x01000100 && keysym <= 0x0110ffff)
    return keysym - 0x01000000;
  return 0;
}

/* Whether the keycode's two columns are a letter's cases: Lock then inverts its level. */
static gboolean
keymap_is_letter (const Keymap *map, guint8 keycode)
{
  gunichar lower = keysym_unichar (keymap_get (map, keycode, 0));
  gunichar upper = map->per > 1 ? keysym_unichar (keymap_get (map, keycode, 1)) : 0;

  return lower != 0 && lower != upper && g_unichar_toupper (lower) == upper;
}

static gboolean
lock_is_on (VsaInput *self)
{
  g_autofree xcb_query_pointer_reply_t *reply = xcb_query_pointer_reply (
      self->x11.conn, xcb_query_pointer (self->x11.conn, self->x11.screen->root), NULL);

  return reply != NULL && (reply->mask & XCB_MOD_MASK_LOCK);
}

/* The keycode for keysym (lending a spare one if the map has none), and whether Shift
 * must be down for it, given the Lock state; 0 if there is none. */
static guint8
resolve_keysym (VsaInput *self, xcb_keysym_t keysym, Level *level)
{
  g_auto (Keymap) map = { 0 };
  gboolean shift = FALSE;
  guint8 keycode;

  *level = LEVEL_BASE;
  if (!keymap_fetch (self, &map))
    return 0;
  keycode = keymap_find (&map, keysym, &shift);
  if (keycode == 0)
    {
      *level = LEVEL_ANY;
      return lend_spare (self, &map, keysym);
    }
  if (keymap_is_letter (&map, keycode) && lock_is_on (self))
    shift = !shift;
  *level = shift ? LEVEL_SHIFT : LEVEL_BASE;
  return keycode;
}

/* The Shift keys the user holds, into held; returns how many. */
static guint
held_shifts (VsaInput *self, guint8 held[KEYCODES])
{
  guint n = 0;

  for (guint i = 0; i < KEYCODES; i++)
    if (self->keys_down[i]
        && (self->keysyms_down[i] == XK_Shift_L || self->keysyms_down[i] == XK_Shift_R))
      held[n++] = (guint8) i;
  return n;
}

static void
fake_keys (VsaInput *self, guint8 type, const guint8 *keycodes, guint n)
{
  for (guint i = 0; i < n; i++)
    fake (self, type, keycodes[i], 0, 0);
}

/* Presses keysym's key at exactly the level it needs: Shift pressed around it if the user
 * holds none, or, for a character, the user's Shift let go around it (and held again
 * after: it is still down for what follows). Named keys keep the user's Shift
 * (Shift+Arrow selects). With unless_down, a key already down is left alone. Returns the
 * keycode, 0 if none was pressed. */
static guint8
press_keysym (VsaInput *self, xcb_keysym_t keysym, gboolean unless_down)
{
  Level level;
  guint8 keycode = resolve_keysym (self, keysym, &level);
  guint8 held[KEYCODES];
  guint n_held = held_shifts (self, held);
  guint8 shift_keycode = 0;
  guint n_lifted = 0;

  if (keycode == 0)
    {
      g_debug ("input: no keycode for keysym 0x%x", keysym);
      return 0;
    }
  if (unless_down && self->keys_down[keycode])
    return 0;
  if (level == LEVEL_SHIFT && n_held == 0)
    shift_keycode = resolve_keysym (self, XK_Shift_L, &(Level){ LEVEL_BASE });
  if (level == LEVEL_BASE && keysym_unichar (keysym) != 0)
    n_lifted = n_held;
  if (shift_keycode != 0)
    fake (self, XCB_KEY_PRESS, shift_keycode, 0, 0);
  fake_keys (self, XCB_KEY_RELEASE, held, n_lifted);
  fake (self, XCB_KEY_PRESS, keycode, 0, 0);
  fake_keys (self, XCB_KEY_PRESS, held, n_lifted);
  if (shift_keycode != 0)
    fake (self, XCB_KEY_RELEASE, shift_keycode, 0, 0);
  self->keys_down[keycode] = TRUE;
  self->keysyms_down[keycode] = keysym;
  return keycode;
}

static void
release_keycode (VsaInput *self, guint8 keycode)
{
  if (!self->keys_down[keycode])
    return;
  fake (self, XCB_KEY_RELEASE, keycode, 0, 0);
  self->keys_down[keycode] = FALSE;
  self->keysyms_down[keycode] = 0;
}

/* A character's keysym: Latin-1 as itself, the rest of Unicode at 0x01000000 + code point;
 * 0 for control characters. */
static xcb_keysym_t
keysym_for_char (gunichar c)
{
  if (c == '\n' || c == '\r')
    return 0xff0d; /* Return */
  if (c == '\t')
    return 0xff09; /* Tab */
  if (!g_unichar_isdefined (c) || g_unichar_iscntrl (c))
    return 0;
  if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff))
    return c;
  return 0x01000000 + c;
}

typedef struct
{
  const char *key;
  xcb_keysym_t left;
  xcb_keysym_t right; /* the key at the right ("ShiftRight"), or 0 */
} NamedKey;

static const NamedKey named_keys[] = {
  { "Enter", 0xff0d, 0 },       { "Backspace", 0xff08, 0 },      { "Tab", 0xff09, 0 },
  { "Escape", 0xff1b, 0 },      { "ArrowLeft", 0xff51, 0 },      { "ArrowUp", 0xff52, 0 },
  { "ArrowRight", 0xff53, 0 },  { "ArrowDown", 0xff54, 0 },      { "Home", 0xff50, 0 },
  { "End", 0xff57, 0 },         { "PageUp", 0xff55, 0 },         { "PageDown", 0xff56, 0 },
  { "Delete", 0xffff, 0 },      { "Insert", 0xff63, 0 },         { "CapsLock", 0xffe5, 0 },
  { "ContextMenu", 0xff67, 0 }, { "Shift", XK_Shift_L, 0xffe2 }, { "Control", 0xffe3, 0xffe4 },
  { "Alt", 0xffe9, 0xffea },    { "Meta", 0xffeb, 0xffec }, /* Super_L/R */
};

/* Keys the browser already resolved in the user's layout: AltGr and a dead key change the
 * character it sends with the next key, and an IME composes the text itself. Held in the
 * VM, AltGr (ISO_Level3_Shift) would change what the following keys type. */
static const char *const ignored_keys[] = { "AltGraph", "Dead", "Process", "Unidentified", NULL };

static gboolean
is_ignored_key (const char *key)
{
  return key != NULL && g_strv_contains (ignored_keys, key);
}

/* key's keysym (code tells left from right), 0 if we have none for it. */
static xcb_keysym_t
keysym_for_key (const char *key, const char *code)
{
  guint64 n;

  if (g_utf8_strlen (key, -1) == 1)
    return keysym_for_char (g_utf8_get_char (key));
  for (guint i = 0; i < G_N_ELEMENTS (named_keys); i++)
    if (g_str_equal (key, named_keys[i].key))
      return named_keys[i].right != 0 && code != NULL && g_str_has_suffix (code, "Right")
                 ? named_keys[i].right
                 : named_keys[i].left;
  if (key[0] == 'F' && g_ascii_string_to_unsigned (key + 1, 10, 1, 12, &n, NULL))
    return 0xffbe + (xcb_keysym_t) n - 1; /* F1 … F12 */
  return 0;
}

/* --- events --------------------------------------------------------------------------- */

/* Takes n events' worth from the rate budget; FALSE if it has not that much. */
static gboolean
take_tokens (VsaInput *self, guint n)
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
scale (double v, guint size)
{
  return (guint) CLAMP (floor (v * size), 0, (double) size - 1);
}

/* Follows a resize of the root (xrandr), reading its size at most every
 * GEOMETRY_INTERVAL_US. */
static void
update_geometry (VsaInput *self)
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
handle_pointer_move (VsaInput *self, JsonObject *event)
{
  double x, y;

  if (!vsa_json_get_number (event, "x", &x) || !vsa_json_get_number (event, "y", &y))
    return FALSE;
  if (!ensure_connected (self))
    return TRUE;
  update_geometry (self);
  fake (self, XCB_MOTION_NOTIFY, FALSE, (gint16) scale (x, self->width),
        (gint16) scale (y, self->height));
  return TRUE;
}

static gboolean
handle_button (VsaInput *self, JsonObject *event, gboolean down)
{
  static const guint8 x_buttons[] = { 1, 2, 3, 8, 9 }; /* DOM 0 main, 1 middle, 2 … */
  double dom;
  guint8 button;

  if (!vsa_json_get_number (event, "button", &dom) || dom != floor (dom) || dom < 0
      || dom >= G_N_ELEMENTS (x_buttons))
    return FALSE;
  button = x_buttons[(guint) dom];
  if (!ensure_connected (self) || self->buttons_down[button] == down)
    return TRUE;
  fake (self, down ? XCB_BUTTON_PRESS : XCB_BUTTON_RELEASE, button, 0, 0);
  self->buttons_down[button] = down;
  return TRUE;
}

static void
click (VsaInput *self, guint8 button, int times)
{
  for (int i = 0; i < times; i++)
    {
      fake (self, XCB_BUTTON_PRESS, button, 0, 0);
      fake (self, XCB_BUTTON_RELEASE, button, 0, 0);
    }
}

/* Whole notches click; the rest adds up (a trackpad's small deltas), until the direction
 * changes. */
static int
notches (double *accumulated, double delta)
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
handle_wheel (VsaInput *self, JsonObject *event)
{
  double dx = 0, dy = 0;
  int x, y;

  if ((json_object_has_member (event, "dx") && !vsa_json_get_number (event, "dx", &dx))
      || (json_object_has_member (event, "dy") && !vsa_json_get_number (event, "dy", &dy)))
    return FALSE;
  x = notches (&self->wheel_dx, dx);
  y = notches (&self->wheel_dy, dy);
  if (!ensure_connected (self))
    return TRUE;
  click (self, y < 0 ? 4 : 5, ABS (y)); /* up, down */
  click (self, x < 0 ? 6 : 7, ABS (x)); /* left, right */
  return TRUE;
}

static gboolean
handle_key (VsaInput *self, JsonObject *event, gboolean down)
{
  const char *key = vsa_json_get_string (event, "key");
  const char *code = vsa_json_get_string (event, "code");
  xcb_keysym_t keysym;
  gpointer keycode;

  if (key == NULL && code == NULL)
    return FALSE;
  if (!ensure_connected (self))
    return TRUE;
  /* a key is released as it was pressed, whatever it says its key is now */
  if (!down && code != NULL
      && g_hash_table_lookup_extended (self->codes_down, code, NULL, &keycode))
    {
      release_keycode (self, (guint8) GPOINTER_TO_UINT (keycode));
      g_hash_table_remove (self->codes_down, code);
      return TRUE;
    }
  if (is_ignored_key (key))
    {
      g_debug ("input: ignoring key \"%s\" (%s)", key, code != NULL ? code : "");
      return TRUE;
    }
  keysym = key != NULL ? keysym_for_key (key, code) : 0;
  if (keysym == 0)
    {
      g_debug ("input: no keysym for key \"%s\" (%s)", key != NULL ? key : "", code);
      return TRUE;
    }
  if (down)
    {
      guint8 pressed = press_keysym (self, keysym, FALSE);

      if (pressed != 0 && code != NULL)
        g_hash_table_insert (self->codes_down, g_strdup (code), GUINT_TO_POINTER (pressed));
    }
  else
    {
      for (guint i = 0; i < KEYCODES; i++)
        if (self->keys_down[i] && self->keysyms_down[i] == keysym)
          release_keycode (self, (guint8) i);
    }
  return TRUE;
}

static gboolean
handle_text (VsaInput *self, JsonObject *event)
{
  const char *text = vsa_json_get_string (event, "text");

  if (text == NULL)
    return FALSE;
  if (!ensure_connected (self))
    return TRUE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      xcb_keysym_t keysym = keysym_for_char (g_utf8_get_char (p));
      guint8 keycode;

      if (keysym == 0)
        continue;
      if (!take_tokens (self, 1))
        break;
      /* a key the user holds is left alone */
      keycode = press_keysym (self, keysym, TRUE);
      if (keycode != 0)
        release_keycode (self, keycode);
    }
  return TRUE;
}

static gboolean
handle_clipboard (VsaInput *self, JsonObject *event)
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
drop_malformed (VsaInput *self, const char *why)
{
  if (!self->warned_malformed)
    g_warning ("input: dropping a malformed message (%s); further ones are not logged", why);
  else
    g_debug ("input: dropping a malformed message (%s)", why);
  self->warned_malformed = TRUE;
}

void
vsa_input_handle_message (VsaInput *self, const char *message)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonNode *root;
  JsonObject *event;
  const char *type;
  gboolean valid;

  g_return_if_fail (VSA_IS_INPUT (self));

  if (message == NULL || strnlen (message, VSA_INPUT_MAX_MESSAGE + 1) > VSA_INPUT_MAX_MESSAGE)
    {
      if (!self->warned_oversized)
        g_warning ("input: dropping a message over %d bytes; further ones are not logged",
                   VSA_INPUT_MAX_MESSAGE);
      self->warned_oversized = TRUE;
      return;
    }
  if (!json_parser_load_from_data (parser, message, -1, &error))
    {
      drop_malformed (self, error->message);
      return;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      drop_malformed (self, "not an object");
      return;
    }
  event = json_node_get_object (root);
  type = vsa_json_get_string (event, "type");
  if (type == NULL)
    {
      drop_malformed (self, "no type");
      return;
    }
  /* text pays per character, as it types; a big message per 4 KiB */
  if (!g_str_equal (type, "text") && !take_tokens (self, 1 + (guint) strlen (message) / 4096))
    return;

  if (g_str_equal (type, "pointermove"))
    valid = handle_pointer_move (self, event);
  else if (g_str_equal (type, "pointerdown") || g_str_equal (type, "pointerup"))
    valid = handle_button (self, event, g_str_equal (type, "pointerdown"));
  else if (g_str_equal (type, "wheel"))
    valid = handle_wheel (self, event);
  else if (g_str_equal (type, "keydown") || g_str_equal (type, "keyup"))
    valid = handle_key (self, event, g_str_equal (type, "keydown"));
  else if (g_str_equal (type, "text"))
    valid = handle_text (self, event);
  else if (g_str_equal (type, "clipboard"))
    valid = handle_clipboard (self, event);
  else
    valid = FALSE;
  if (!valid)
    {
      g_autofree char *why = g_strdup_printf ("bad \"%s\" event", type);

      drop_malformed (self, why);
    }
  if (self->x11.conn != NULL)
    xcb_flush (self->x11.conn);
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

  if (vsa_x11_connection_is_up (&self->x11))
    {
      for (guint i = 0; i < KEYCODES; i++)
        release_keycode (self, (guint8) i);
      for (guint i = 0; i < BUTTONS; i++)
        if (self->buttons_down[i])
          fake (self, XCB_BUTTON_RELEASE, (guint8) i, 0, 0);
      xcb_flush (self->x11.conn);
    }
  forget_pressed (self);
}
