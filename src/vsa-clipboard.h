/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The VM's clipboard, for the browser: text the page sends becomes the CLIPBOARD and
 * PRIMARY selections (we own them until another client takes them), and text another X
 * client puts on CLIPBOARD is read and reported with "changed". */
#define VSA_CLIPBOARD_MAX_TEXT (64 * 1024) /* bytes of UTF-8, either way */

#define VSA_TYPE_CLIPBOARD (vsa_clipboard_get_type ())
G_DECLARE_FINAL_TYPE (VsaClipboard, vsa_clipboard, VSA, CLIPBOARD, GObject)

/* display: NULL for $DISPLAY. Connects at once and watches CLIPBOARD from the thread-default
 * main context; if the display is not there, warns once and tries again (at most once a
 * second) at the next set_text. */
VsaClipboard *vsa_clipboard_new (const char *display);

/* Owns CLIPBOARD and PRIMARY with text (valid UTF-8, at most VSA_CLIPBOARD_MAX_TEXT, else
 * FALSE with a debug line). */
gboolean vsa_clipboard_set_text (VsaClipboard *self, const char *text);

/* signal "changed" (const char *text): another client's CLIPBOARD text, once per change,
 * not for our own set_text. */

G_END_DECLS
