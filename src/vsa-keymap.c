/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM's keyboard map for vsa-input: the browser's keys and characters as keysyms, the
 * keycode and level that type a keysym in the server's map, and the spare keycodes lent
 * to keysyms the map lacks. Main context only. */
#undef G_LOG_DOMAIN /* meson sets "vsa" for every file */
#define G_LOG_DOMAIN "vsa-keymap"

#include "vsa-keymap.h"

/* --- keysyms -------------------------------------------------------------------------- */

xcb_keysym_t
vsa_keymap_keysym_for_char (gunichar c)
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

gunichar
vsa_keymap_keysym_unichar (xcb_keysym_t keysym)
{
  if ((keysym >= 0x20 && keysym <= 0x7e) || (keysym >= 0xa0 && keysym <= 0xff))
    return keysym;
  if (keysym >= 0x01000100 && keysym <= 0x0110ffff)
    return keysym - 0x01000000;
  return 0;
}

typedef struct
{
  const char *key;
  xcb_keysym_t left;
  xcb_keysym_t right; /* the key at the right ("ShiftRight"), or 0 */
} VsaKeymapNamedKey;

static const VsaKeymapNamedKey vsa_keymap_named_keys[] = {
  { "Enter", 0xff0d, 0 },       { "Backspace", 0xff08, 0 },  { "Tab", 0xff09, 0 },
  { "Escape", 0xff1b, 0 },      { "ArrowLeft", 0xff51, 0 },  { "ArrowUp", 0xff52, 0 },
  { "ArrowRight", 0xff53, 0 },  { "ArrowDown", 0xff54, 0 },  { "Home", 0xff50, 0 },
  { "End", 0xff57, 0 },         { "PageUp", 0xff55, 0 },     { "PageDown", 0xff56, 0 },
  { "Delete", 0xffff, 0 },      { "Insert", 0xff63, 0 },     { "CapsLock", 0xffe5, 0 },
  { "ContextMenu", 0xff67, 0 }, { "Shift", 0xffe1, 0xffe2 }, { "Control", 0xffe3, 0xffe4 },
  { "Alt", 0xffe9, 0xffea },    { "Meta", 0xffeb, 0xffec }, /* Super_L/R */
};

/* Keys the browser already resolved in the user's layout: AltGr and a dead key change the
 * character it sends with the next key, and an IME composes the text itself. Held in the
 * VM, AltGr (ISO_Level3_Shift) would change what the following keys type. */
static const char *const vsa_keymap_ignored_keys[]
    = { "AltGraph", "Dead", "Process", "Unidentified", NULL };

gboolean
vsa_keymap_is_ignored_key (const char *key)
{
  return key != NULL && g_strv_contains (vsa_keymap_ignored_keys, key);
}

xcb_keysym_t
vsa_keymap_keysym_for_key (const char *key, const char *code)
{
  guint64 n;

  if (g_utf8_strlen (key, -1) == 1)
    return vsa_keymap_keysym_for_char (g_utf8_get_char (key));
  for (guint i = 0; i < G_N_ELEMENTS (vsa_keymap_named_keys); i++)
    if (g_str_equal (key, vsa_keymap_named_keys[i].key))
      return vsa_keymap_named_keys[i].right != 0 && code != NULL && g_str_has_suffix (code, "Right")
                 ? vsa_keymap_named_keys[i].right
                 : vsa_keymap_named_keys[i].left;
  if (key[0] == 'F' && g_ascii_string_to_unsigned (key + 1, 10, 1, 12, &n, NULL))
    return 0xffbe + (xcb_keysym_t) n - 1; /* F1 … F12 */
  return 0;
}

/* --- the server's map ----------------------------------------------------------------- */

void
vsa_keymap_init (VsaKeymap *map, guint8 min_keycode, guint count, guint per,
                 const xcb_keysym_t *keysyms)
{
  map->reply = NULL;
  map->min_keycode = min_keycode;
  map->count = count;
  map->per = per;
  map->keysyms = keysyms;
}

gboolean
vsa_keymap_fetch (VsaKeymap *map, xcb_connection_t *conn)
{
  const xcb_setup_t *setup = xcb_get_setup (conn);

  map->min_keycode = setup->min_keycode;
  map->count = (guint) setup->max_keycode - setup->min_keycode + 1;
  map->reply = xcb_get_keyboard_mapping_reply (
      conn, xcb_get_keyboard_mapping (conn, map->min_keycode, (guint8) map->count), NULL);
  if (map->reply == NULL || map->reply->keysyms_per_keycode == 0)
    return FALSE;
  map->keysyms = xcb_get_keyboard_mapping_keysyms (map->reply);
  map->per = map->reply->keysyms_per_keycode;
  return TRUE;
}

void
vsa_keymap_clear (VsaKeymap *map)
{
  g_free (map->reply);
  map->reply = NULL;
}

xcb_keysym_t
vsa_keymap_get (const VsaKeymap *map, guint keycode, guint column)
{
  return map->keysyms[(keycode - map->min_keycode) * map->per + column];
}

guint8
vsa_keymap_find (const VsaKeymap *map, xcb_keysym_t keysym, gboolean *shift)
{
  guint8 shifted = 0;

  for (guint i = 0; i < map->count; i++)
    {
      guint keycode = map->min_keycode + i;

      if (vsa_keymap_get (map, keycode, 0) == keysym)
        {
          *shift = FALSE;
          return (guint8) keycode;
        }
      if (shifted == 0 && map->per > 1 && vsa_keymap_get (map, keycode, 1) == keysym)
        shifted = (guint8) keycode;
    }
  *shift = shifted != 0;
  return shifted;
}

gboolean
vsa_keymap_is_letter (const VsaKeymap *map, guint8 keycode)
{
  gunichar lower = vsa_keymap_keysym_unichar (vsa_keymap_get (map, keycode, 0));
  gunichar upper = map->per > 1 ? vsa_keymap_keysym_unichar (vsa_keymap_get (map, keycode, 1)) : 0;

  return lower != 0 && lower != upper && g_unichar_toupper (lower) == upper;
}

/* --- spare keycodes ------------------------------------------------------------------- */

void
vsa_keymap_spares_forget (VsaKeymapSpares *spares)
{
  spares->known = FALSE;
}

guint8
vsa_keymap_spares_pick (VsaKeymapSpares *spares, const VsaKeymap *map,
                        const gboolean keys_down[VSA_KEYMAP_KEYCODES])
{
  if (!spares->known)
    {
      spares->n = spares->next = 0;
      for (guint i = 0; i < map->count; i++)
        {
          guint j = 0;

          while (j < map->per && vsa_keymap_get (map, map->min_keycode + i, j) == XCB_NO_SYMBOL)
            j++;
          if (j == map->per)
            spares->keycodes[spares->n++] = (guint8) (map->min_keycode + i);
        }
      spares->known = TRUE;
    }
  for (guint i = 0; i < spares->n; i++)
    {
      guint index = (spares->next + i) % spares->n;

      if (!keys_down[spares->keycodes[index]])
        {
          spares->next = index + 1;
          return spares->keycodes[index];
        }
    }
  return 0;
}

guint8
vsa_keymap_spares_lend (VsaKeymapSpares *spares, const VsaKeymap *map, xcb_connection_t *conn,
                        const gboolean keys_down[VSA_KEYMAP_KEYCODES], xcb_keysym_t keysym)
{
  guint8 keycode = vsa_keymap_spares_pick (spares, map, keys_down);
  g_autofree xcb_keysym_t *row = NULL;
  g_autofree xcb_generic_error_t *error = NULL;

  if (keycode == 0)
    return 0;
  /* the same keysym shifted or not, so that Shift or Caps Lock change nothing */
  row = g_new0 (xcb_keysym_t, map->per);
  for (guint j = 0; j < MIN (map->per, 2u); j++)
    row[j] = keysym;
  error = xcb_request_check (
      conn, xcb_change_keyboard_mapping_checked (conn, 1, keycode, (guint8) map->per, row));
  return error == NULL ? keycode : 0;
}

/* --- resolving ------------------------------------------------------------------------ */

static gboolean
vsa_keymap_lock_is_on (VsaX11Connection *x11)
{
  g_autofree xcb_query_pointer_reply_t *reply
      = xcb_query_pointer_reply (x11->conn, xcb_query_pointer (x11->conn, x11->screen->root), NULL);

  return reply != NULL && (reply->mask & XCB_MOD_MASK_LOCK);
}

guint8
vsa_keymap_resolve (VsaKeymapSpares *spares, VsaX11Connection *x11,
                    const gboolean keys_down[VSA_KEYMAP_KEYCODES], xcb_keysym_t keysym,
                    VsaKeymapLevel *level)
{
  g_auto (VsaKeymap) map = { 0 };
  gboolean shift = FALSE;
  guint8 keycode;

  *level = VSA_KEYMAP_LEVEL_BASE;
  if (!vsa_keymap_fetch (&map, x11->conn))
    return 0;
  keycode = vsa_keymap_find (&map, keysym, &shift);
  if (keycode == 0)
    {
      *level = VSA_KEYMAP_LEVEL_ANY;
      return vsa_keymap_spares_lend (spares, &map, x11->conn, keys_down, keysym);
    }
  if (vsa_keymap_is_letter (&map, keycode) && vsa_keymap_lock_is_on (x11))
    shift = !shift;
  *level = shift ? VSA_KEYMAP_LEVEL_SHIFT : VSA_KEYMAP_LEVEL_BASE;
  return keycode;
}
