/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "vsa-session.h"

G_BEGIN_DECLS

/* What a session measures of its own stream for metrics: the encoder's frames, the rates
 * over the last stats interval, the capture size. Main context, except where noted. */
typedef struct _VsaSessionMetrics VsaSessionMetrics;

VsaSessionMetrics *vsa_session_metrics_new (void);
void vsa_session_metrics_free (VsaSessionMetrics *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaSessionMetrics, vsa_session_metrics_free)

/* Counts the frames out of @pipeline's encoder (on its streaming thread) and notes its
 * factory. */
void vsa_session_metrics_watch_encoder (VsaSessionMetrics *self, GstElement *pipeline);

/* One stats interval's end, with webrtcbin's totals so far; returns the RTP rate sent over
 * the interval, in kbit/s (0 for the first). */
guint vsa_session_metrics_sample (VsaSessionMetrics *self, guint64 bytes_sent,
                                  guint64 keyframe_requests);

/* "1280x720" once @pipeline's capture size is known (kept after the pipeline is gone:
 * @pipeline may then be NULL), else NULL. */
const char *vsa_session_metrics_get_resolution (VsaSessionMetrics *self, GstElement *pipeline);

/* Fills the fields of @out that are this part's: sent_kbps, fps, frames, keyframes,
 * keyframe_requests and encoder. */
void vsa_session_metrics_get (VsaSessionMetrics *self, VsaSessionStats *out);

G_END_DECLS
