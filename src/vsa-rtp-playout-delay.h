/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtp/rtp.h>

G_BEGIN_DECLS

#define VSA_RTP_PLAYOUT_DELAY_URI "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

/* The playout-delay RTP header extension with min = max = 0: the browser renders each frame
 * as soon as it is decoded instead of holding it in its jitter buffer. */
#define VSA_TYPE_RTP_PLAYOUT_DELAY (vsa_rtp_playout_delay_get_type ())
G_DECLARE_FINAL_TYPE (VsaRtpPlayoutDelay, vsa_rtp_playout_delay, VSA, RTP_PLAYOUT_DELAY,
                      GstRTPHeaderExtension)

/* An extension for the payloader's "add-extension", under the offer's extmap @id. @sendonly:
 * answer it as "a=extmap:<id>/sendonly" (the offer had it recvonly); otherwise without a
 * direction, as the offer did. */
GstRTPHeaderExtension *vsa_rtp_playout_delay_new (guint id, gboolean sendonly);

G_END_DECLS
