/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "vsa-bitrate.h"
#include "vsa-codec.h"
#include "vsa-config.h"

G_BEGIN_DECLS

/* The session's rate control: what the browser says of our stream (its receiver reports,
 * as webrtcbin's stats carry them, and its transport-wide feedback) steers the encoder's
 * target bitrate through the rule of vsa-bitrate.c. Main context, except where noted. */
typedef struct _VsaRateControl VsaRateControl;

/* What one get-stats reply says of our video stream. */
typedef struct
{
  guint64 bytes_sent;
  guint64 keyframe_requests; /* PLI + FIR counts, when webrtcbin has them */
  gboolean have_report;      /* the browser's latest receiver report, if there was one */
  VsaBitrateReport report;
  double jitter_s;
} VsaRateControlStats;

/* Starts at the configured bitrate. */
VsaRateControl *vsa_rate_control_new (const VsaConfig *config, VsaCodec codec);
void vsa_rate_control_free (VsaRateControl *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaRateControl, vsa_rate_control_free)

/* Any thread: what webrtcbin's get-stats @reply says, into @out. */
void vsa_rate_control_read_stats (const GstStructure *reply, VsaRateControlStats *out);

/* On the thread rtpsession sends it from: counts a transport-wide feedback event (others
 * are ignored). TRUE, with the totals so far in @totals, when the main context should
 * hear of it (at most every 100 ms: the totals carry whatever was skipped). */
gboolean vsa_rate_control_count_feedback (VsaRateControl *self, GstEvent *event,
                                          VsaBitrateFeedback *totals);

/* Steer the encoder in @pipeline from the stats (when they carry a receiver report;
 * @sent_kbps is for the log) or from the feedback totals. */
void vsa_rate_control_handle_stats (VsaRateControl *self, GstElement *pipeline,
                                    const VsaRateControlStats *stats, guint sent_kbps);
void vsa_rate_control_handle_feedback (VsaRateControl *self, GstElement *pipeline,
                                       const VsaBitrateFeedback *totals);

/* What the encoder was last told. */
guint vsa_rate_control_get_kbps (VsaRateControl *self);
/* The last receiver report's round trip; < 0 unknown. */
double vsa_rate_control_get_rtt (VsaRateControl *self);
/* The loss the rule works from, 0–1. */
double vsa_rate_control_get_loss (VsaRateControl *self);
/* TRUE while loss is judged from the transport-wide feedback. */
gboolean vsa_rate_control_uses_feedback (VsaRateControl *self);

G_END_DECLS
