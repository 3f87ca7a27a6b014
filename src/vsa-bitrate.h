/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What the browser's latest RTCP receiver report block says about our stream
 * (RFC 3550 6.4.1), as webrtcbin's remote-inbound-rtp stats carry it. */
typedef struct
{
  guint32 highest_seq; /* extended highest sequence number received */
  gint64 packets_lost; /* cumulative number of packets lost */
  double rtt_s;        /* round-trip time, seconds; < 0 when unknown */
} VsaBitrateReport;

/* What the browser's transport-wide congestion control feedback (RTCP transport-cc, about
 * every frame) has said so far: running totals of the packets it accounted for and of
 * those it reported missing, as rtpsession's "twcc-stats" give them per feedback. */
typedef struct
{
  guint64 packets;
  guint64 lost;
} VsaBitrateFeedback;

#define VSA_BITRATE_RTT_WINDOW 30

/* The encoder's target bitrate between min_kbps and max_kbps, steered by loss (GCC's
 * loss-based controller: draft-ietf-rmcat-gcc-02 section 6, libwebrtc's
 * SendSideBandwidthEstimation) and by the round-trip time growing over its recent
 * minimum (a standing queue at the bottleneck). Pure logic, fed about once a second. */
typedef struct
{
  guint min_kbps;
  guint max_kbps;
  double target_kbps;
  /* the report the current loss interval starts from */
  gboolean have_base;
  guint32 base_seq;
  gint64 base_lost;
  gint64 last_step_us;     /* when the last loss interval was judged */
  gint64 last_decrease_us; /* when the target last went down */
  /* the feedback the current transport-wide loss interval starts from */
  gboolean have_feedback_base;
  guint64 base_packets;
  guint64 base_packets_lost;
  gint64 last_feedback_us; /* 0: none yet */
  /* round-trip times of the last reports, for their minimum */
  double rtts[VSA_BITRATE_RTT_WINDOW];
  guint n_rtts;
  guint next_rtt;
  /* what the last judged interval showed, for logs */
  double loss;
  double queue_s;
} VsaBitrate;

/* Starts at max_kbps: the configured bitrate is what the operator expects to see. */
void vsa_bitrate_init (VsaBitrate *self, guint min_kbps, guint max_kbps);

/* Feeds the latest report at monotonic time now_us. A report without new packets
 * since the last one judged (the same report polled again) changes nothing; one
 * covering too few packets waits for the next. Returns the target in kbit/s. */
guint vsa_bitrate_update (VsaBitrate *self, const VsaBitrateReport *report, gint64 now_us);

/* Feeds transport-wide feedback totals at now_us. While feedback keeps coming (within
 * VSA_BITRATE_FEEDBACK_STALE_US), loss is judged from it as soon as it covers enough
 * packets, tenths of a second after the loss instead of a receiver report's second or
 * more; the receiver reports then only bring the round-trip time. Returns the target. */
#define VSA_BITRATE_FEEDBACK_STALE_US (2 * G_USEC_PER_SEC)
guint vsa_bitrate_update_feedback (VsaBitrate *self, const VsaBitrateFeedback *feedback,
                                   gint64 now_us);
/* TRUE when loss is judged from transport-wide feedback at now_us. */
gboolean vsa_bitrate_uses_feedback (const VsaBitrate *self, gint64 now_us);

/* A probe found the link carrying @kbps: the target goes up to it (never down), as
 * libwebrtc's loss-based estimate does on a probe's result, and the round trips seen so
 * far no longer count as the minimum a queue is judged from. */
void vsa_bitrate_set_probed (VsaBitrate *self, guint kbps);

guint vsa_bitrate_get_kbps (const VsaBitrate *self);
/* Loss (0–1) and queueing delay (seconds over the RTT minimum, 0 when unknown) of the
 * last interval judged. */
double vsa_bitrate_get_loss (const VsaBitrate *self);
double vsa_bitrate_get_queue_delay (const VsaBitrate *self);

G_END_DECLS
