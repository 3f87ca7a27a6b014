/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "vsa-delay-bwe.h"

G_BEGIN_DECLS

/* Probing after a large drop (libwebrtc goog_cc's ProbeController and
 * ProbeBitrateEstimator, the idea only): once the delay rule's target has fallen far
 * under what the link recently carried, a short burst of padding at twice the target,
 * or twice the most the link acknowledged since the drop if more (vsapacer sends it),
 * asks whether the link has come back. The burst's transport-wide feedback says at what
 * rate it arrived: as fast as it was sent, the link has room and the target goes straight
 * to that rate; slower, the link is still full, the target stays and the next probe waits
 * longer. A probe that finds no room costs the link one burst of queue: 40 ms of it at
 * twice the link's rate, 40 ms of queue.
 *
 * The padding packets carry no payload, so rtpsession (1.22) reports them with size 0:
 * that is how they are told from media in the feedback; each stands for
 * VSA_BWE_PROBE_PADDING bytes. Pure logic with no clock of its own; one thread at a time. */
typedef struct _VsaBweProbe VsaBweProbe;

/* Padding bytes in each probe packet: libwebrtc's largest padding-only packet (the count
 * byte that ends the padding allows 255). */
#define VSA_BWE_PROBE_PADDING 224
/* How long a probe's burst lasts: at twice the target into a link of the target's rate,
 * some kB over a token bucket's burst. */
#define VSA_BWE_PROBE_DURATION_US 40000

VsaBweProbe *vsa_bwe_probe_new (void);
void vsa_bwe_probe_free (VsaBweProbe *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaBweProbe, vsa_bwe_probe_free)

/* After @delay took a feedback's @packets at now_us: follows its target and what was
 * acknowledged, and judges the probe packets (size 0) among them. When that completes a
 * probe which found room, tells @delay (vsa_delay_bwe_set_probed) and returns the rate it
 * found, kbit/s; else 0. */
guint vsa_bwe_probe_update (VsaBweProbe *self, VsaDelayBwe *delay, const VsaDelayBwePacket *packets,
                            guint n_packets, gint64 now_us);

/* Whether to probe now: the rate in kbit/s and, in *n_packets, how many packets of
 * VSA_BWE_PROBE_PADDING at that rate; 0 when not. The probe is then awaited: call
 * vsa_bwe_probe_cancel() if it could not be sent. */
guint vsa_bwe_probe_next (VsaBweProbe *self, const VsaDelayBwe *delay, gint64 now_us,
                          guint *n_packets);
void vsa_bwe_probe_cancel (VsaBweProbe *self, gint64 now_us);

G_END_DECLS
