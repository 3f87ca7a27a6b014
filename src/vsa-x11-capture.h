/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* vsax11src's X side: its connection to the display (a VsaX11Connection), the root
 * window captured into BGRx buffers (MIT-SHM segments while the server shares memory,
 * GetImage otherwise) with the XFixes pointer drawn in, DAMAGE and pointer events as
 * "changed", and the black frame sent while the display is away. The element decides
 * when to capture, watches the fd and reports the outages.
 *
 * One thread at a time: the element's streaming thread (and its start and stop, which
 * never run beside it). Buffers may go anywhere and outlive the capture. */
typedef struct _VsaX11Capture VsaX11Capture;

/* Closed; the first connect may come at once, later ones a retry interval apart. */
VsaX11Capture *vsa_x11_capture_new (gint64 retry_interval_us);

/* Closes the connection; buffers handed out stay valid. */
void vsa_x11_capture_free (VsaX11Capture *self);

/* Connects to display (NULL: $DISPLAY); while closed only. Errors: GST_RESOURCE_ERROR_OPEN_READ
 * when there is no display (try again later), GST_RESOURCE_ERROR_SETTINGS for a screen that
 * is not BGRx (it will not change). Closed again on failure. */
gboolean vsa_x11_capture_connect (VsaX11Capture *self, const char *display, GError **error);

/* Whether connect succeeded and the connection was not closed since. */
gboolean vsa_x11_capture_is_open (const VsaX11Capture *self);

/* Whether a retry interval has passed since the last attempt or close. */
gboolean vsa_x11_capture_may_connect (const VsaX11Capture *self);

/* Drops the connection, if open; the next connect waits a retry interval. TRUE the first
 * time since new or the last connect: an outage to report once. */
gboolean vsa_x11_capture_close (VsaX11Capture *self);

/* The screen's size, while open. */
void vsa_x11_capture_get_size (const VsaX11Capture *self, int *width, int *height);

/* Whether the server reports changes (DAMAGE and XFixes), while open: then
 * vsa_x11_capture_changed() and the fd's events say when the screen changed. */
gboolean vsa_x11_capture_reports_changes (const VsaX11Capture *self);

/* The connection's fd, to poll for reading while open. */
int vsa_x11_capture_get_fd (const VsaX11Capture *self);

/* Reads the events that arrived; whether one showed a change (damage, a new pointer
 * image) or the connection failed. vsa_x11_capture_changed() says it again. */
gboolean vsa_x11_capture_drain_events (VsaX11Capture *self);

/* Whether the screen, or with show_pointer the pointer (its place or image), changed since
 * the last capture
 * (one round trip with show_pointer). Errors count as changes: the capture finds them. */
gboolean vsa_x11_capture_changed (VsaX11Capture *self, gboolean show_pointer);

/* One frame of the screen, the pointer drawn in with show_pointer; NULL (error
 * GST_RESOURCE_ERROR_READ, a reason for the log) when the capture failed: the connection
 * is then no use, close it. The pointer and image requests make one round trip. */
GstBuffer *vsa_x11_capture_grab (VsaX11Capture *self, gboolean show_pointer, GError **error);

/* A black frame of width x height, its memory shared with the last one of that size. */
GstBuffer *vsa_x11_capture_black_frame (VsaX11Capture *self, int width, int height);

G_END_DECLS
