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

VsaTestPeer *vsa_test_peer_new (const char *codec_caps);
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
int vsa_test_peer_get_frames (VsaTestPeer *peer);
/* For vsa_test_wait_until: at least 30 frames decoded. */
gboolean vsa_test_peer_has_frames (gpointer peer);
/* Stops without a goodbye, as a closed tab or a sleeping machine. */
void vsa_test_peer_vanish (VsaTestPeer *peer);

G_END_DECLS
