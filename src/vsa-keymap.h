/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <xcb/xcb.h>

#include "vsa-x11-connection.h"

G_BEGIN_DECLS

/* The VM's keyboard map as vsa-input types with it: the keysym for the browser's key or
 * character, the keycode and Shift level that type it in the X server's map, and spare
 * keycodes lent to keysyms the map lacks. Main context, like vsa-input. */

#define VSA_KEYMAP_KEYCODES 256

/* A character's keysym: Latin-1 as itself, the rest of Unicode at 0x01000000 + code
 * point, Return for '\n' and '\r', Tab for '\t'; 0 for other control characters. */
xcb_keysym_t vsa_keymap_keysym_for_char (gunichar c);

/* A character keysym's code point (Latin-1 or Unicode keysyms), 0 for others. */
gunichar vsa_keymap_keysym_unichar (xcb_keysym_t keysym);

/* A DOM key's keysym (code, may be NULL, tells left from right: "ShiftRight"): a single
 * character, a named key ("Enter", "ArrowLeft", "Control", "F1" … "F12"); 0 if we have
 * none for it. */
xcb_keysym_t vsa_keymap_keysym_for_key (const char *key, const char *code);

/* Keys the browser already resolved in the user's layout ("AltGraph", "Dead", an IME's
 * "Process" and "Unidentified"): never pressed in the VM. FALSE for NULL. */
gboolean vsa_keymap_is_ignored_key (const char *key);

/* The server's keyboard mapping at one moment: fetched for each key, since another client
 * (setxkbmap, the desktop) may change it at any time. */
typedef struct
{
  xcb_get_keyboard_mapping_reply_t *reply; /* owned; NULL for a map over a given array */
  const xcb_keysym_t *keysyms;
  guint8 min_keycode;
  guint count;
  guint per; /* keysyms per keycode */
} VsaKeymap;

/* A map over keysyms (count keycodes from min_keycode, per keysyms each), which the caller
 * keeps while the map is used. */
void vsa_keymap_init (VsaKeymap *map, guint8 min_keycode, guint count, guint per,
                      const xcb_keysym_t *keysyms);

/* The server's map now; FALSE if it sent none. Cleared by vsa_keymap_clear() either way. */
gboolean vsa_keymap_fetch (VsaKeymap *map, xcb_connection_t *conn);

void vsa_keymap_clear (VsaKeymap *map);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VsaKeymap, vsa_keymap_clear)

/* keycode's keysym in column (0 unshifted, 1 shifted, …); keycode must be in the map. */
xcb_keysym_t vsa_keymap_get (const VsaKeymap *map, guint keycode, guint column);

/* The keycode typing keysym unshifted (column 0: *shift FALSE), else shifted (column 1:
 * *shift TRUE); 0 if neither. Other columns need AltGr or another group: not used. */
guint8 vsa_keymap_find (const VsaKeymap *map, xcb_keysym_t keysym, gboolean *shift);

/* Whether keycode's two columns are a letter's cases: Lock then inverts its level. */
gboolean vsa_keymap_is_letter (const VsaKeymap *map, guint8 keycode);

/* Keycodes that had no keysym at all when first needed, lent to keysyms the map lacks. */
typedef struct
{
  guint8 keycodes[VSA_KEYMAP_KEYCODES];
  guint n;
  guint next;
  gboolean known;
} VsaKeymapSpares;

/* None known: they are looked for again in the next map (a new connection). */
void vsa_keymap_spares_forget (VsaKeymapSpares *spares);

/* The next spare keycode of map, least recently picked first and never one down in
 * keys_down; 0 if none is free. */
guint8 vsa_keymap_spares_pick (VsaKeymapSpares *spares, const VsaKeymap *map,
                               const gboolean keys_down[VSA_KEYMAP_KEYCODES]);

/* Puts keysym on a spare keycode (vsa_keymap_spares_pick) in the server's map; returns it,
 * or 0. It stays there until lent again: a client translates a key event with the mapping
 * it has when it reads the event. */
guint8 vsa_keymap_spares_lend (VsaKeymapSpares *spares, const VsaKeymap *map,
                               xcb_connection_t *conn,
                               const gboolean keys_down[VSA_KEYMAP_KEYCODES], xcb_keysym_t keysym);

/* The level a keycode types a keysym at: its column, or either (a lent spare). */
typedef enum
{
  VSA_KEYMAP_LEVEL_BASE,
  VSA_KEYMAP_LEVEL_SHIFT,
  VSA_KEYMAP_LEVEL_ANY,
} VsaKeymapLevel;

/* The keycode for keysym in x11's current map (lending a spare one if the map has none),
 * and whether Shift must be down for it, given the Lock state; 0 if there is none. */
guint8 vsa_keymap_resolve (VsaKeymapSpares *spares, VsaX11Connection *x11,
                           const gboolean keys_down[VSA_KEYMAP_KEYCODES], xcb_keysym_t keysym,
                           VsaKeymapLevel *level);

G_END_DECLS
