/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* vsapacer: lets RTP packets through no faster than its "bitrate" (kbit/s; 0: as they
 * come), one at a time, buffer lists too, but up to VSA_PACER_BURST_US ahead of that
 * schedule: an ordinary frame (at 2.5 × the target, 13 ms of it) leaves at once and adds
 * no latency, while the rest of a keyframe or a frame after a change is spread out, so
 * that the router before a slow link queues less of it at once and the browser's
 * transport-wide feedback sees the delay grow packet by packet (libwebrtc's pacer: 2.5 ×
 * its target, bursts of 40 ms). It waits on its upstream's streaming thread: put a queue
 * before it so that the encoder goes on meanwhile. It also sends the bandwidth probes of
 * vsa-bwe-probe.c: bursts of padding between the media's frames, from a thread of its own
 * (vsa_pacer_probe()). */
#define VSA_TYPE_PACER (vsa_pacer_get_type ())
G_DECLARE_FINAL_TYPE (VsaPacer, vsa_pacer, VSA, PACER, GstElement)

#define VSA_PACER_BURST_US 40000

/* Registers "vsapacer" in the process's registry (once; the plugin of vsa-x11-src-plugin.c
 * carries it too). */
gboolean vsa_pacer_register (void);

/* When a packet of @bytes may leave, with the pacer's clock at *next_us (the time its
 * last packet's bits will have been paced out; 0 at first) and now at @now_us; advances
 * *next_us past this packet. The schedule the element follows, for its test. */
gint64 vsa_pacer_schedule (gint64 *next_us, gint64 now_us, gsize bytes, guint kbps);

/* Any thread: sends @n_packets of padding at @kbps (their padding bytes' rate) from now,
 * each a padding-only RTP packet on the media's SSRC and payload type, numbered in its
 * sequence (the media's numbers after it move up) and carrying the transport-wide number's
 * extension, so that rtpsession numbers it and the browser reports its arrival; the
 * browser's jitter buffer takes the number and drops the packet. FALSE when it cannot:
 * no media packet yet, no transport-wide extension in its caps, a probe still going, or
 * not running. */
gboolean vsa_pacer_probe (VsaPacer *self, guint kbps, guint n_packets);

G_END_DECLS
