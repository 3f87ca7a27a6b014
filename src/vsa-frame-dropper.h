/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Frames the encoder must skip to hold its target (libwebrtc's FrameDropper, simplified):
 * what it wrote fills a bucket that empties at the target rate, and while the bucket holds
 * more than VSA_FRAME_DROPPER_WINDOW_MS of the target the next raw frame is dropped. An
 * encoder cannot always meet a low target: libvpx's VP8 at its coarsest quantiser went on
 * at 2200 kbit/s of a moving video told 300, into a link of 1 Mbit/s. The encoders'
 * buffer (300 ms, vsa-pipeline.c: a change's sharp first frame) fits under the window, so
 * an encoder that meets its target drops nothing. Safe between threads: the target is set
 * from the main context, frames come on the streaming thread. */
#define VSA_FRAME_DROPPER_WINDOW_MS 500

typedef struct _VsaFrameDropper VsaFrameDropper;

VsaFrameDropper *vsa_frame_dropper_new (guint kbps);
void vsa_frame_dropper_free (VsaFrameDropper *self);
void vsa_frame_dropper_set_target (VsaFrameDropper *self, guint kbps);
/* An encoded frame of @bytes left the encoder at @now_us (monotonic). */
void vsa_frame_dropper_add_encoded (VsaFrameDropper *self, gsize bytes, gint64 now_us);
/* Whether the raw frame arriving at @now_us should not reach the encoder; counts it if so. */
gboolean vsa_frame_dropper_should_drop (VsaFrameDropper *self, gint64 now_us);
guint64 vsa_frame_dropper_get_dropped (VsaFrameDropper *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaFrameDropper, vsa_frame_dropper_free)

G_END_DECLS
