/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "vsa-bitrate.h"
#include "vsa-codec.h"
#include "vsa-config.h"

G_BEGIN_DECLS

/* The session's rate control: what the browser says of our stream (its receiver reports,
 * as webrtcbin's stats carry them, and its transport-wide feedback) steers the encoder's
 * target bitrate: the lower of the loss rule (vsa-bitrate.c) and, while feedback comes,
 * the delay rule (vsa-delay-bwe.c); after a large drop, probes (vsa-bwe-probe.c, sent by
 * the pipeline's vsapacer) lift both when the link has come back. Main context, except
 * where noted. */
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

/* With transport-wide feedback negotiated (@choice's twcc_id), the delay rule starts at
 * the configured start bitrate; without, the loss rule alone at the configured bitrate. */
VsaRateControl *vsa_rate_control_new (const VsaConfig *config, const VsaCodecChoice *choice);
void vsa_rate_control_free (VsaRateControl *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaRateControl, vsa_rate_control_free)

/* Any thread: what webrtcbin's get-stats @reply says, into @out. */
void vsa_rate_control_read_stats (const GstStructure *reply, VsaRateControlStats *out);

/* On the thread rtpsession sends it from: keeps what a transport-wide feedback event says
 * (others are ignored) for vsa_rate_control_handle_feedback(). TRUE when the main context
 * should be told: the first event since it last took them. */
gboolean vsa_rate_control_take_feedback_event (VsaRateControl *self, GstEvent *event);

/* Tells the encoder in @pipeline the starting target, before the pipeline runs. */
void vsa_rate_control_start (VsaRateControl *self, GstElement *pipeline);
/* Steer the encoder in @pipeline from the stats (when they carry a receiver report;
 * @sent_kbps is for the log) or from the feedback taken since the last call. */
void vsa_rate_control_handle_stats (VsaRateControl *self, GstElement *pipeline,
                                    const VsaRateControlStats *stats, guint sent_kbps);
void vsa_rate_control_handle_feedback (VsaRateControl *self, GstElement *pipeline);

/* What the encoder was last told. */
guint vsa_rate_control_get_kbps (VsaRateControl *self);
/* The last receiver report's round trip; < 0 unknown. */
double vsa_rate_control_get_rtt (VsaRateControl *self);
/* The loss the rule works from, 0–1. */
double vsa_rate_control_get_loss (VsaRateControl *self);
/* TRUE while loss is judged from the transport-wide feedback. */
gboolean vsa_rate_control_uses_feedback (VsaRateControl *self);

G_END_DECLS
