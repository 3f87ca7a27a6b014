/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Delay-based bandwidth estimation: GCC's delay-based controller (draft-ietf-rmcat-gcc-02
 * section 5; libwebrtc's goog_cc DelayBasedBwe). From when our packets were sent and when
 * the browser says they arrived (its transport-wide feedback), it sees the bottleneck's
 * queue grow before the queue overflows, and sets a target just under the throughput that
 * got through; while the delay stays flat it ramps up, multiplicatively far from the last
 * capacity seen, additively near it, never above 1.5 × what was acknowledged.
 *
 * The loss rule stays on top: the encoder is told MIN (vsa_bitrate_get_kbps (loss-based),
 * vsa_delay_bwe_get_kbps (delay-based)). Sizes are RTP payload bytes (what rtptwcc in 1.22
 * records), so every rate here is a media rate, the one the encoder is told.
 *
 * Pure logic with no clock of its own; one thread at a time. */
typedef struct _VsaDelayBwe VsaDelayBwe;

/* arrival_us of a packet the feedback reports missing */
#define VSA_DELAY_BWE_LOST G_MININT64

/* One packet as a feedback reports it. */
typedef struct
{
  gint64 seqnum;     /* transport-wide sequence number, unwrapped */
  gint64 send_us;    /* when we sent it, on our clock */
  gint64 arrival_us; /* when it arrived, on the receiver's clock (any origin), unwrapped */
  guint size;        /* payload bytes */
} VsaDelayBwePacket;

typedef enum
{
  VSA_DELAY_BWE_NORMAL,
  VSA_DELAY_BWE_OVERUSE,  /* the queue grows: the target goes down */
  VSA_DELAY_BWE_UNDERUSE, /* the queue drains: the target holds until it is flat */
} VsaDelayBweUsage;

/* Starts at start_kbps, within min_kbps–max_kbps. */
VsaDelayBwe *vsa_delay_bwe_new (guint start_kbps, guint min_kbps, guint max_kbps);
void vsa_delay_bwe_free (VsaDelayBwe *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaDelayBwe, vsa_delay_bwe_free)

/* Feeds one feedback's packets in the order it lists them, at now_us (our monotonic
 * clock, when the feedback came). Packets out of send order, duplicates and packets
 * reported lost then received are taken for what they tell. Returns the target. */
guint vsa_delay_bwe_update (VsaDelayBwe *self, const VsaDelayBwePacket *packets, guint n_packets,
                            gint64 now_us);
/* The round trip (receiver reports) paces decreases and the additive increase; 200 ms
 * until told. */
void vsa_delay_bwe_set_rtt (VsaDelayBwe *self, double rtt_s);

guint vsa_delay_bwe_get_kbps (const VsaDelayBwe *self);
/* What arrived over the last half second, kbit/s; 0 until 100 ms of it is known. */
guint vsa_delay_bwe_get_acked_kbps (const VsaDelayBwe *self);
/* What the delay trend said at the last feedback, and the threshold it was judged by. */
VsaDelayBweUsage vsa_delay_bwe_get_usage (const VsaDelayBwe *self);
/* "normal", "overuse", "underuse": for logs. */
const char *vsa_delay_bwe_usage_to_string (VsaDelayBweUsage usage);
double vsa_delay_bwe_get_threshold_ms (const VsaDelayBwe *self);
/* The queue the delay shows now (its smoothed delay over its least), ms. */
double vsa_delay_bwe_get_queue_ms (const VsaDelayBwe *self);

/* A probe (vsa-bwe-probe.c) found the link carrying @kbps at now_us: the target goes up
 * to it, and on multiplicatively from there, the capacity seen before forgotten. Packets
 * of size 0 (a probe's padding) are left to the probe: update() skips them. */
void vsa_delay_bwe_set_probed (VsaDelayBwe *self, guint kbps, gint64 now_us);

/* rtpsession's feedback events, read on its thread: one unwrapper per session, zeroed
 * before the first event. */
typedef struct
{
  gboolean have_seqnum;
  gboolean have_remote;
  gint64 seqnum;    /* the highest unwrapped so far */
  gint64 remote_ns; /* likewise */
} VsaDelayBweUnwrapper;

/* TWCC's reference time is 24 bits of 64 ms (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01 3.1); rtptwcc in 1.22 gives it as it comes, so the receiver's clock goes
 * back by this much every 12.4 days of it. */
#define VSA_DELAY_BWE_REMOTE_WRAP_NS (G_GINT64_CONSTANT (64000000) << 24)

gint64 vsa_delay_bwe_unwrap_seqnum (VsaDelayBweUnwrapper *self, guint16 seqnum);
gint64 vsa_delay_bwe_unwrap_remote (VsaDelayBweUnwrapper *self, guint64 remote_ns);

/* Appends what a custom upstream "RTPTWCCPackets" event (rtpsession's, 1.22: a "packets"
 * GValueArray of structures seqnum, local-ts, remote-ts, size, lost) reports to @packets
 * (of VsaDelayBwePacket), unwrapped. Packets rtpsession could not match to one it sent
 * (no local-ts) are left out. FALSE for other events. */
gboolean vsa_delay_bwe_parse_event (VsaDelayBweUnwrapper *unwrapper, GstEvent *event,
                                    GArray *packets);

G_END_DECLS
