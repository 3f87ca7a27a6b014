/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <xcb/xcb.h>

G_BEGIN_DECLS

/* A connection to an X display that may come and go, as the agent's X clients hold it:
 * capture (vsa-x11-src, on its streaming thread), input and the clipboard (on the main
 * context). It opens the display and finds its screen, spaces the attempts by a retry
 * interval, and tells its owner once per outage that the display is down.
 *
 * It has no thread, source or timer of its own: each owner notices a loss its own way (a
 * GstPoll and failed captures, a GLib fd source, or at its next request) and calls open
 * again from there, when may_try allows. One thread at a time. */
typedef struct
{
  xcb_connection_t *conn; /* NULL while closed */
  xcb_screen_t *screen;   /* the display's screen, while open */
  int screen_number;
  gint64 retry_interval_us;
  gint64 next_try_us; /* monotonic: no attempt before this */
  gboolean down;      /* the outage was reported (mark_down) */
} VsaX11Connection;

/* Closed, to be tried at once, no outage reported. */
void vsa_x11_connection_init (VsaX11Connection *self, gint64 retry_interval_us);

/* display (NULL: $DISPLAY) as log lines name it; "" when neither is set. */
const char *vsa_x11_connection_label (const char *display);

/* Whether the connection is open and the server has not gone away. */
gboolean vsa_x11_connection_is_up (const VsaX11Connection *self);

/* Whether a retry interval has passed since the last attempt (or hold_off). */
gboolean vsa_x11_connection_may_try (const VsaX11Connection *self);

/* Connects to display (NULL: $DISPLAY) and finds its screen; while closed only. Each
 * call is an attempt: the next one waits a retry interval. On FALSE the failed
 * connection stays, as xcb_connect leaves it (xcb_connection_has_error() says why),
 * until vsa_x11_connection_close(). */
gboolean vsa_x11_connection_open (VsaX11Connection *self, const char *display);

/* The extension's data when the server has it, else NULL. */
const xcb_query_extension_reply_t *vsa_x11_connection_extension (VsaX11Connection *self,
                                                                 xcb_extension_t *extension);

/* The owner has all it needs of the open connection: a failure from now on is a new
 * outage. */
void vsa_x11_connection_mark_up (VsaX11Connection *self);

/* TRUE the first time since init or mark_up: the owner reports an outage once. */
gboolean vsa_x11_connection_mark_down (VsaX11Connection *self);

/* Disconnects, if connected. */
void vsa_x11_connection_close (VsaX11Connection *self);

/* No attempt for a retry interval from now (after a loss). */
void vsa_x11_connection_hold_off (VsaX11Connection *self);

G_END_DECLS
