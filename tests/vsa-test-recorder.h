/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <xcb/xcb.h>

G_BEGIN_DECLS

/* A window of the test's own covering an X screen, in a colour of its own: it takes the
 * keyboard focus and records the keys, buttons and pointer moves that arrive, each key
 * translated by the keyboard mapping the moment it is read. */
typedef struct
{
  guint8 type; /* XCB_KEY_PRESS, …, XCB_MOTION_NOTIFY */
  guint8 detail;
  guint32 keysym; /* keys: as the mapping translated it (Shift, Lock, the AltGr group) */
  guint16 state;
  gint16 x, y;
} VsaTestRecorded;

typedef struct
{
  xcb_connection_t *conn;
  xcb_window_t window;
  GArray *events; /* of VsaTestRecorded */
} VsaTestRecorder;

/* Covers display's screen (width x height) with a window of background rgb (0xRRGGBB). */
VsaTestRecorder *vsa_test_recorder_new (const char *display, guint width, guint height,
                                        guint32 rgb);
void vsa_test_recorder_free (VsaTestRecorder *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaTestRecorder, vsa_test_recorder_free)

/* Appends what arrived since the last call to events. */
void vsa_test_recorder_poll (VsaTestRecorder *self);
/* Every event recorded, as test messages (for a failure). */
void vsa_test_recorder_dump (VsaTestRecorder *self);
/* Waits (timeout_ms, scaled for slow runs) for an event of type after index *from, which
 * moves past it: of detail and of keysym or keysym2 unless those are 0. NULL (and the
 * test failed, with every event dumped) if none came. The event stays valid until the
 * next poll. */
const VsaTestRecorded *vsa_test_recorder_expect (VsaTestRecorder *self, guint8 type, guint8 detail,
                                                 guint32 keysym, guint32 keysym2, guint *from,
                                                 guint timeout_ms);

/* Whether pixel (as Xvfb's 24-bit TrueColor gives it) is rgb (0xRRGGBB), each channel give
 * or take 40, as video compression leaves it. */
gboolean vsa_test_color_is_close (guint32 pixel, guint32 rgb);

/* Where a colour is on an X screen. */
typedef struct
{
  gint x0, y0, x1, y1; /* its bounding box, -1 if it is nowhere */
  double share;        /* of the pixels, 0 to 1 */
} VsaTestColorBox;

/* Reads the screen of conn (width x height at 0,0), every other pixel both ways, for rgb
 * (as vsa_test_color_is_close): a window of that colour seen in the decoded video. FALSE
 * if the screen could not be read. */
gboolean vsa_test_find_color (xcb_connection_t *conn, guint width, guint height, guint32 rgb,
                              VsaTestColorBox *box);

G_END_DECLS
