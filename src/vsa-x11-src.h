/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

/* "vsax11src": the X screen (root window) as live BGRx video, captured with XCB and
 * MIT-SHM, the pointer drawn in. Unlike ximagesrc it survives the X server: while the
 * display is absent it sends black frames, retries every 2 s and posts an element message
 * "vsa-x11-src" (display, connected, reason | width, height) on each transition. */
#define VSA_TYPE_X11_SRC (vsa_x11_src_get_type ())
G_DECLARE_FINAL_TYPE (VsaX11Src, vsa_x11_src, VSA, X11_SRC, GstPushSrc)

/* Registers "vsax11src" with the default registry (a static element: no plugin).
 * Idempotent; FALSE if registration failed. */
gboolean vsa_x11_src_register (void);

/* With skip-unchanged: send the next frame even if the screen is still (the encoder was
 * asked for a keyframe). Any thread. */
void vsa_x11_src_request_frame (VsaX11Src *self);

/* With max-refresh-frames: the encoder's picture of the frame at running time t has
 * converged, so a still screen whose last change came before t needs no more refresh
 * frames. Any thread. */
void vsa_x11_src_converged (VsaX11Src *self, GstClockTime t);

G_END_DECLS
