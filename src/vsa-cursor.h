/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The VM's pointer image, for a page that draws the pointer itself (cursor=local). On the
 * main context, with its own X connection: XFixes says when the cursor changed, its image
 * is read then and, when its serial is new, made into the message the page takes:
 *   {"type":"cursor","serial":N,"width":W,"height":H,"xhot":X,"yhot":Y,
 *    "url":"data:image/png;base64,…"}
 * An image larger than VSA_CURSOR_MAX_SIZE a side is cropped around its hotspot. A display
 * that is away is tried again every 2 s.
 *
 * Signal "changed" (const char *message): a new image. */
#define VSA_CURSOR_MAX_SIZE 64

#define VSA_TYPE_CURSOR (vsa_cursor_get_type ())
G_DECLARE_FINAL_TYPE (VsaCursor, vsa_cursor, VSA, CURSOR, GObject)

/* display: NULL for $DISPLAY. Connects at once (and reads the current image) if it can. */
VsaCursor *vsa_cursor_new (const char *display);

/* The current image's message, NULL before the first. */
const char *vsa_cursor_get_message (VsaCursor *self);

/* The PNG of a premultiplied ARGB image (X's cursor format), straight alpha. */
GBytes *vsa_cursor_encode_png (const guint32 *argb, guint width, guint height, guint stride);

G_END_DECLS
