/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "vsa-session.h"

G_BEGIN_DECLS

/* The session's timers that end it when the stream or the peer is gone: no first caps,
 * no ICE connection, a long disconnection, a silent peer. Main context, except where
 * noted; @end is called there, at most once per timer. */
typedef struct _VsaLiveness VsaLiveness;

typedef void (*VsaLivenessEndFunc) (VsaEndReason reason, const char *text, gpointer user_data);

VsaLiveness *vsa_liveness_new (VsaLivenessEndFunc end, gpointer user_data);
/* Stops it first. */
void vsa_liveness_free (VsaLiveness *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaLiveness, vsa_liveness_free)

/* The pipeline started: the video's first caps and an ICE connection must follow in time. */
void vsa_liveness_start (VsaLiveness *self);
/* webrtcbin's video sink has its first caps. */
void vsa_liveness_caps_arrived (VsaLiveness *self);
/* ICE connected (or completed). TRUE the first time: from then on, what arrives on
 * @webrtc's transports (watched on their streaming threads) shows the peer is there. */
gboolean vsa_liveness_connected (VsaLiveness *self, GstElement *webrtc);
/* ICE disconnected: the end unless it connects again in time. */
void vsa_liveness_disconnected (VsaLiveness *self);
/* Removes every timer: nothing is ended from here any more. */
void vsa_liveness_stop (VsaLiveness *self);

G_END_DECLS
