/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "vsa-test-controller.h"

G_BEGIN_DECLS

/* A browser stand-in: webrtcbin with one recvonly video transceiver of codec_caps
 * (application/x-rtp caps), decoding what it receives. Needs gst_init(). */
typedef struct _VsaTestPeer VsaTestPeer;

/* H264 as Chromium offers it (constrained baseline, packetization-mode 1). */
#define VSA_TEST_PEER_H264                                                                         \
  "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"                 \
  "packetization-mode=(string)1,profile-level-id=(string)42e01f"

/* The playout-delay RTP header extension, offered by adding "extmap-<id>=<this URI>" (or
 * <"recvonly", URI, "">, as Firefox offers it) to codec_caps. */
#define VSA_TEST_PEER_PLAYOUT_DELAY_URI "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

/* Transport-wide congestion control, offered the same way. A webrtcbin receiver sends
 * transport-cc feedback once the answer carries it. */
#define VSA_TEST_PEER_TWCC_URI                                                                     \
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

VsaTestPeer *vsa_test_peer_new (const char *codec_caps);
/* The same, offering a data channel named "input" too when input_channel. */
VsaTestPeer *vsa_test_peer_new_full (const char *codec_caps, gboolean input_channel);
void vsa_test_peer_free (VsaTestPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaTestPeer, vsa_test_peer_free)

/* Stores the offer with every candidate in its SDP, as the early-offer flow does
 * (waits for gathering; asserts on failure). */
void vsa_test_peer_store_offer (VsaTestPeer *peer, VsaTestController *controller,
                                const char *session_id);
/* The same with candidates_json (a JSON array, may be NULL) as the offer's candidates. */
void vsa_test_peer_store_offer_with (VsaTestPeer *peer, VsaTestController *controller,
                                     const char *session_id, const char *candidates_json);
/* Waits (20 s at most) for the agent's answer and applies it with its candidates. */
void vsa_test_peer_apply_answer (VsaTestPeer *peer, VsaTestController *controller,
                                 const char *session_id);
/* The offer with every candidate in its SDP, once gathering completed (waits 10 s at
 * most), for a WHEP POST. */
char *vsa_test_peer_dup_offer_sdp (VsaTestPeer *peer);
/* Applies answer_sdp (candidates in it), as a WHEP client does. */
void vsa_test_peer_apply_answer_sdp (VsaTestPeer *peer, const char *answer_sdp);
int vsa_test_peer_get_frames (VsaTestPeer *peer);
/* The answer SDP vsa_test_peer_apply_answer() applied, or NULL. */
const char *vsa_test_peer_get_answer_sdp (VsaTestPeer *peer);

/* The RTP packets received (after SRTP, before depayloading): all of them, those with any
 * header extension, those carrying playout-delay under the id codec_caps offered it with
 * min = max = 0, and those carrying a transport-wide sequence number under its offered id;
 * and the SSRC of the latest. */
typedef struct
{
  guint packets;
  guint with_extension;
  guint zero_playout_delay;
  guint with_twcc;
  guint32 ssrc;
} VsaTestPeerRtpCounts;
void vsa_test_peer_get_rtp_counts (VsaTestPeer *peer, VsaTestPeerRtpCounts *counts);
/* For vsa_test_wait_until: at least 30 frames decoded. */
gboolean vsa_test_peer_has_frames (gpointer peer);
/* Drops this share (0–1) of the RTP packets arriving from now on, before the peer's RTP
 * session sees them, so that its receiver reports tell the sender the loss. Seeded: the
 * same run drops the same packets. */
void vsa_test_peer_set_loss (VsaTestPeer *peer, double loss);
/* RTP bytes that reached the peer (dropped ones included): what the sender put on the
 * wire, after SRTP. */
guint64 vsa_test_peer_get_bytes (VsaTestPeer *peer);
/* For vsa_test_wait_until: the "input" data channel is open. */
gboolean vsa_test_peer_input_is_open (gpointer peer);
/* Sends a string message on the "input" data channel; closes it. */
void vsa_test_peer_send_input (VsaTestPeer *peer, const char *message);
void vsa_test_peer_close_input (VsaTestPeer *peer);
/* The index-th message the agent sent on it (a copy), NULL if none yet. */
char *vsa_test_peer_get_input_message (VsaTestPeer *peer, guint index);
/* Stops without a goodbye, as a closed tab or a sleeping machine. */
void vsa_test_peer_vanish (VsaTestPeer *peer);

G_END_DECLS
