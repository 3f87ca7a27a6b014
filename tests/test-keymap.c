/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vsa-keymap without X: the browser's keys and characters as keysyms, and
 * lookups in maps built here. Resolving against a server's map (Lock, lent spares) is
 * test-input's, on Xvfb. */

#include <string.h>

#include <glib.h>

#include "vsa-keymap.h"

#define NO XCB_NO_SYMBOL

static void
test_keysym_for_char (void)
{
  g_assert_cmphex (vsa_keymap_keysym_for_char ('a'), ==, 0x61);
  g_assert_cmphex (vsa_keymap_keysym_for_char ('Z'), ==, 0x5a);
  g_assert_cmphex (vsa_keymap_keysym_for_char (' '), ==, 0x20);
  g_assert_cmphex (vsa_keymap_keysym_for_char ('~'), ==, 0x7e);
  /* Latin-1 as itself */
  g_assert_cmphex (vsa_keymap_keysym_for_char (0xa0), ==, 0xa0);
  g_assert_cmphex (vsa_keymap_keysym_for_char (0xe9), ==, 0xe9); /* é */
  g_assert_cmphex (vsa_keymap_keysym_for_char (0xff), ==, 0xff); /* ÿ */
  /* the rest of Unicode */
  g_assert_cmphex (vsa_keymap_keysym_for_char (0x436), ==, 0x1000436);   /* ж */
  g_assert_cmphex (vsa_keymap_keysym_for_char (0x20ac), ==, 0x10020ac);  /* € */
  g_assert_cmphex (vsa_keymap_keysym_for_char (0x1f600), ==, 0x101f600); /* 😀 */
  /* the control characters text can type, and the rest */
  g_assert_cmphex (vsa_keymap_keysym_for_char ('\n'), ==, 0xff0d);
  g_assert_cmphex (vsa_keymap_keysym_for_char ('\r'), ==, 0xff0d);
  g_assert_cmphex (vsa_keymap_keysym_for_char ('\t'), ==, 0xff09);
  g_assert_cmphex (vsa_keymap_keysym_for_char (0x07), ==, 0);
  g_assert_cmphex (vsa_keymap_keysym_for_char (0x1b), ==, 0);
  g_assert_cmphex (vsa_keymap_keysym_for_char (0x7f), ==, 0);
  g_assert_cmphex (vsa_keymap_keysym_for_char (0x85), ==, 0);
  /* unassigned */
  g_assert_cmphex (vsa_keymap_keysym_for_char (0x378), ==, 0);
}

static void
test_keysym_unichar (void)
{
  g_assert_cmphex (vsa_keymap_keysym_unichar ('a'), ==, 'a');
  g_assert_cmphex (vsa_keymap_keysym_unichar (0xe9), ==, 0xe9);
  g_assert_cmphex (vsa_keymap_keysym_unichar (0x1000436), ==, 0x436);
  g_assert_cmphex (vsa_keymap_keysym_unichar (0x10020ac), ==, 0x20ac);
  /* not characters: named keys, control codes, and Unicode keysyms below 0x100 (those
   * have Latin-1 keysyms of their own) */
  g_assert_cmphex (vsa_keymap_keysym_unichar (0xff0d), ==, 0);
  g_assert_cmphex (vsa_keymap_keysym_unichar (0xffe1), ==, 0);
  g_assert_cmphex (vsa_keymap_keysym_unichar (0x1f), ==, 0);
  g_assert_cmphex (vsa_keymap_keysym_unichar (0x7f), ==, 0);
  g_assert_cmphex (vsa_keymap_keysym_unichar (0x10000e9), ==, 0);
  g_assert_cmphex (vsa_keymap_keysym_unichar (NO), ==, 0);
}

static void
test_keysym_for_key (void)
{
  static const struct
  {
    const char *key, *code;
    xcb_keysym_t keysym;
  } keys[] = {
    /* a character, whatever the code */
    { "a", "KeyA", 'a' },
    { "A", "KeyA", 'A' },
    { "/", "Digit7", '/' },
    { "ж", "Semicolon", 0x1000436 },
    { "€", NULL, 0x10020ac },
    { "F", "KeyF", 'F' }, /* not a function key */
    /* named keys */
    { "Enter", "Enter", 0xff0d },
    { "Enter", "NumpadEnter", 0xff0d },
    { "Backspace", "Backspace", 0xff08 },
    { "Tab", "Tab", 0xff09 },
    { "Escape", "Escape", 0xff1b },
    { "ArrowLeft", "ArrowLeft", 0xff51 },
    { "ArrowUp", "ArrowUp", 0xff52 },
    { "ArrowRight", "ArrowRight", 0xff53 }, /* "Right" in its code, no right-hand twin */
    { "ArrowDown", "ArrowDown", 0xff54 },
    { "Home", "Home", 0xff50 },
    { "End", "End", 0xff57 },
    { "PageUp", "PageUp", 0xff55 },
    { "PageDown", "PageDown", 0xff56 },
    { "Delete", "Delete", 0xffff },
    { "Insert", "Insert", 0xff63 },
    { "CapsLock", "CapsLock", 0xffe5 },
    { "ContextMenu", "ContextMenu", 0xff67 },
    /* modifiers: the code tells left from right */
    { "Shift", "ShiftLeft", 0xffe1 },
    { "Shift", "ShiftRight", 0xffe2 },
    { "Shift", NULL, 0xffe1 },
    { "Control", "ControlLeft", 0xffe3 },
    { "Control", "ControlRight", 0xffe4 },
    { "Alt", "AltLeft", 0xffe9 },
    { "Alt", "AltRight", 0xffea },
    { "Meta", "MetaLeft", 0xffeb },
    { "Meta", "MetaRight", 0xffec },
    /* function keys F1 … F12 */
    { "F1", "F1", 0xffbe },
    { "F5", "F5", 0xffc2 },
    { "F12", "F12", 0xffc9 },
    /* none */
    { "F0", "F0", 0 },
    { "F13", "F13", 0 },
    { "F1x", NULL, 0 },
    { "enter", "Enter", 0 },
    { "MediaPlayPause", "MediaPlayPause", 0 },
    { "", "KeyA", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_test_message ("key \"%s\" code %s", keys[i].key, keys[i].code);
      g_assert_cmphex (vsa_keymap_keysym_for_key (keys[i].key, keys[i].code), ==, keys[i].keysym);
    }
}

static void
test_ignored_keys (void)
{
  g_assert_true (vsa_keymap_is_ignored_key ("AltGraph"));
  g_assert_true (vsa_keymap_is_ignored_key ("Dead"));
  g_assert_true (vsa_keymap_is_ignored_key ("Process"));
  g_assert_true (vsa_keymap_is_ignored_key ("Unidentified"));
  g_assert_false (vsa_keymap_is_ignored_key (NULL));
  g_assert_false (vsa_keymap_is_ignored_key (""));
  g_assert_false (vsa_keymap_is_ignored_key ("Alt"));
  g_assert_false (vsa_keymap_is_ignored_key ("altgraph"));
  g_assert_false (vsa_keymap_is_ignored_key ("a"));
}

/* Four keysyms per keycode (unshifted, shifted, AltGr, AltGr shifted), from keycode 8 as
 * X servers start. */
#define PER 4
#define MIN_KEYCODE 8
static const xcb_keysym_t us_keysyms[] = {
  'a',       'A',       NO,        NO, /* 8 */
  '1',       '!',       NO,        NO, /* 9 */
  NO,        NO,        NO,        NO, /* 10: spare */
  '/',       '?',       NO,        NO, /* 11 */
  'q',       'Q',       '@',       NO, /* 12: @ only with AltGr */
  '?',       NO,        NO,        NO, /* 13: ? unshifted */
  0xe4,      0xc4,      NO,        NO, /* 14: ä Ä */
  0x1000436, 0x1000416, NO,        NO, /* 15: ж Ж */
  NO,        NO,        NO,        NO, /* 16: spare */
  0xffe1,    NO,        NO,        NO, /* 17: Shift_L */
  'b',       'b',       NO,        NO, /* 18: one case only */
  NO,        NO,        0x10020ac, NO, /* 19: € with AltGr only: not spare */
  NO,        NO,        NO,        NO, /* 20: spare */
};
#define COUNT (G_N_ELEMENTS (us_keysyms) / PER)

static void
test_map_find (void)
{
  VsaKeymap map;
  gboolean shift = -1;

  vsa_keymap_init (&map, MIN_KEYCODE, COUNT, PER, us_keysyms);
  g_assert_cmphex (vsa_keymap_get (&map, 12, 0), ==, 'q');
  g_assert_cmphex (vsa_keymap_get (&map, 12, 2), ==, '@');
  g_assert_cmphex (vsa_keymap_get (&map, 20, 3), ==, NO);

  g_assert_cmpuint (vsa_keymap_find (&map, 'a', &shift), ==, 8);
  g_assert_false (shift);
  g_assert_cmpuint (vsa_keymap_find (&map, 'A', &shift), ==, 8);
  g_assert_true (shift);
  g_assert_cmpuint (vsa_keymap_find (&map, '!', &shift), ==, 9);
  g_assert_true (shift);
  /* unshifted anywhere wins over shifted earlier */
  g_assert_cmpuint (vsa_keymap_find (&map, '?', &shift), ==, 13);
  g_assert_false (shift);
  g_assert_cmpuint (vsa_keymap_find (&map, 0x1000416, &shift), ==, 15);
  g_assert_true (shift);
  g_assert_cmpuint (vsa_keymap_find (&map, 0xffe1, &shift), ==, 17);
  g_assert_false (shift);
  /* AltGr's columns are not used, and what the map lacks is not found */
  g_assert_cmpuint (vsa_keymap_find (&map, '@', &shift), ==, 0);
  g_assert_false (shift);
  g_assert_cmpuint (vsa_keymap_find (&map, 0x10020ac, &shift), ==, 0);
  g_assert_cmpuint (vsa_keymap_find (&map, 'z', &shift), ==, 0);
  g_assert_false (shift);
  vsa_keymap_clear (&map);
}

static void
test_map_one_column (void)
{
  static const xcb_keysym_t keysyms[] = { 'a', 'A', '1' };
  VsaKeymap map;
  gboolean shift = -1;

  /* one keysym per keycode: no shifted column to look in */
  vsa_keymap_init (&map, 8, G_N_ELEMENTS (keysyms), 1, keysyms);
  g_assert_cmpuint (vsa_keymap_find (&map, 'A', &shift), ==, 9);
  g_assert_false (shift);
  g_assert_false (vsa_keymap_is_letter (&map, 8));
  vsa_keymap_clear (&map);
}

static void
test_map_is_letter (void)
{
  VsaKeymap map;

  vsa_keymap_init (&map, MIN_KEYCODE, COUNT, PER, us_keysyms);
  g_assert_true (vsa_keymap_is_letter (&map, 8));   /* a A */
  g_assert_true (vsa_keymap_is_letter (&map, 12));  /* q Q */
  g_assert_true (vsa_keymap_is_letter (&map, 14));  /* ä Ä */
  g_assert_true (vsa_keymap_is_letter (&map, 15));  /* ж Ж */
  g_assert_false (vsa_keymap_is_letter (&map, 9));  /* 1 ! */
  g_assert_false (vsa_keymap_is_letter (&map, 11)); /* / ? */
  g_assert_false (vsa_keymap_is_letter (&map, 10)); /* nothing */
  g_assert_false (vsa_keymap_is_letter (&map, 13)); /* ? alone */
  g_assert_false (vsa_keymap_is_letter (&map, 17)); /* Shift_L */
  g_assert_false (vsa_keymap_is_letter (&map, 18)); /* b b */
  vsa_keymap_clear (&map);
}

static void
test_spares (void)
{
  xcb_keysym_t keysyms[G_N_ELEMENTS (us_keysyms)];
  gboolean keys_down[VSA_KEYMAP_KEYCODES] = { FALSE };
  VsaKeymapSpares spares = { 0 };
  VsaKeymap map;

  memcpy (keysyms, us_keysyms, sizeof keysyms);
  vsa_keymap_init (&map, MIN_KEYCODE, COUNT, PER, keysyms);
  /* the keycodes with no keysym in any column, in turn */
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 10);
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 16);
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 20);
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 10);
  /* never one that is down */
  keys_down[16] = TRUE;
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 20);
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 10);
  keys_down[10] = keys_down[20] = TRUE;
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 0);
  keys_down[10] = keys_down[16] = keys_down[20] = FALSE;

  /* a lent spare keeps its keysym and stays a spare: the list is the one first found */
  keysyms[(10 - MIN_KEYCODE) * PER] = 0x1000436;
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 16);
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 20);
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 10);
  /* a new connection looks again */
  vsa_keymap_spares_forget (&spares);
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 16);
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 20);
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 16);
  vsa_keymap_clear (&map);
}

static void
test_no_spares (void)
{
  gboolean keys_down[VSA_KEYMAP_KEYCODES] = { FALSE };
  VsaKeymapSpares spares = { 0 };
  VsaKeymap map;

  vsa_keymap_init (&map, MIN_KEYCODE, 2, PER, us_keysyms);
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 0);
  g_assert_cmpuint (vsa_keymap_spares_pick (&spares, &map, keys_down), ==, 0);
  vsa_keymap_clear (&map);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/keymap/keysym-for-char", test_keysym_for_char);
  g_test_add_func ("/vsa/keymap/keysym-unichar", test_keysym_unichar);
  g_test_add_func ("/vsa/keymap/keysym-for-key", test_keysym_for_key);
  g_test_add_func ("/vsa/keymap/ignored-keys", test_ignored_keys);
  g_test_add_func ("/vsa/keymap/map-find", test_map_find);
  g_test_add_func ("/vsa/keymap/map-one-column", test_map_one_column);
  g_test_add_func ("/vsa/keymap/map-is-letter", test_map_is_letter);
  g_test_add_func ("/vsa/keymap/spares", test_spares);
  g_test_add_func ("/vsa/keymap/no-spares", test_no_spares);
  return g_test_run ();
}
