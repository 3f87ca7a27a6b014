/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-session-candidates: our candidates named by the offer's mids, the browser's taken
 * once each on the m-line they name, mDNS names left out; the m-lines whose transport the
 * end of the browser's candidates goes to. */
#include "vsa-session-candidates.h"
#include "vsa-test-sdp.h"

#define HOST_CANDIDATE "candidate:1 1 UDP 2122252543 198.18.0.2 40000 typ host"

static const char offer_with_mids[] = "v=0\r\n"
                                      "o=- 1 2 IN IP4 127.0.0.1\r\n"
                                      "s=-\r\n"
                                      "t=0 0\r\n"
                                      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                                      "a=mid:a0\r\n"
                                      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                                      "a=mid:v1\r\n"
                                      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";

static VsaSessionCandidates *
candidates_for (const char *offer)
{
  g_autoptr (GstSDPMessage) sdp = vsa_test_sdp_parse (offer);

  g_assert_nonnull (sdp);
  return vsa_session_candidates_new (sdp);
}

static void
test_local (void)
{
  g_autoptr (VsaSessionCandidates) candidates = candidates_for (offer_with_mids);
  g_autoptr (VsaCandidate) video = vsa_session_candidates_local (candidates, 1, HOST_CANDIDATE);
  g_autoptr (VsaCandidate) data = vsa_session_candidates_local (candidates, 2, HOST_CANDIDATE);
  g_autoptr (VsaCandidate) beyond = vsa_session_candidates_local (candidates, 7, HOST_CANDIDATE);

  g_assert_cmpstr (video->candidate, ==, HOST_CANDIDATE);
  g_assert_cmpint (video->mline_index, ==, 1);
  g_assert_cmpstr (video->mid, ==, "v1");
  /* an m-line without a=mid, and one the offer does not have: no mid */
  g_assert_null (data->mid);
  g_assert_cmpint (data->mline_index, ==, 2);
  g_assert_null (beyond->mid);
}

static void
test_remote (void)
{
  g_autoptr (VsaSessionCandidates) candidates = candidates_for (offer_with_mids);
  g_autoptr (VsaCandidate) by_mid = vsa_candidate_new (HOST_CANDIDATE, -1, "v1");
  g_autoptr (VsaCandidate) again = vsa_candidate_new (HOST_CANDIDATE, 1, "v1");
  g_autoptr (VsaCandidate) by_index
      = vsa_candidate_new ("candidate:2 1 UDP 2122252543 198.18.0.2 40001 typ host", 2, "unknown");
  g_autoptr (VsaCandidate) unknown_mid
      = vsa_candidate_new ("candidate:3 1 UDP 2122252543 198.18.0.2 40002 typ host", -1, "nothing");
  g_autoptr (VsaCandidate) mdns = vsa_candidate_new (
      "candidate:4 1 UDP 2122252543 4b5c1a2e-0d7f-4c8e-9a3b-7e2f1c0d9a8b.local 40003 typ host", 1,
      NULL);
  guint mline = 99;

  g_assert_true (vsa_session_candidates_take_remote (candidates, by_mid, &mline));
  g_assert_cmpuint (mline, ==, 1);
  /* the same line again, however it is addressed: not given twice */
  g_assert_false (vsa_session_candidates_take_remote (candidates, again, &mline));
  /* the index wins over a mid */
  g_assert_true (vsa_session_candidates_take_remote (candidates, by_index, &mline));
  g_assert_cmpuint (mline, ==, 2);
  g_assert_true (vsa_session_candidates_take_remote (candidates, unknown_mid, &mline));
  g_assert_cmpuint (mline, ==, 0);
  g_assert_false (vsa_session_candidates_take_remote (candidates, mdns, &mline));
}

/* With a BUNDLE group, its first m-line (wherever it is); without one, each m-line. */
static void
test_transports (void)
{
  g_autoptr (VsaSessionCandidates) plain = candidates_for (offer_with_mids);
  g_autoptr (GArray) each = vsa_session_candidates_transport_mlines (plain);
  g_autoptr (GstSDPMessage) sdp = vsa_test_sdp_parse (offer_with_mids);
  g_autoptr (VsaSessionCandidates) bundle = NULL;
  g_autoptr (GArray) first = NULL;

  g_assert_cmpuint (each->len, ==, 3);
  for (guint i = 0; i < each->len; i++)
    g_assert_cmpuint (g_array_index (each, guint, i), ==, i);

  gst_sdp_message_add_attribute (sdp, "group", "BUNDLE v1 a0");
  bundle = vsa_session_candidates_new (sdp);
  first = vsa_session_candidates_transport_mlines (bundle);
  g_assert_cmpuint (first->len, ==, 1);
  g_assert_cmpuint (g_array_index (first, guint, 0), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/session-candidates/local", test_local);
  g_test_add_func ("/vsa/session-candidates/remote", test_remote);
  g_test_add_func ("/vsa/session-candidates/transports", test_transports);
  return g_test_run ();
}
