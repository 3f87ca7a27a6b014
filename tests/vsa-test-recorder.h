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

G_END_DECLS
