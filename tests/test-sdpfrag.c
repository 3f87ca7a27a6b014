/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-sdpfrag: trickle ICE fragments as WHEP clients PATCH them. */
#include "vsa-sdpfrag.h"

#include <string.h>

#define CANDIDATE "candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host generation 0"

static VsaSdpFrag *
parse (const char *text, GError **error)
{
  return vsa_sdpfrag_parse (text, strlen (text), error);
}

static const VsaCandidate *
candidate_at (VsaSdpFrag *frag, guint i)
{
  return g_ptr_array_index (frag->candidates, i);
}

/* As medooze's whip-whep client writes one: credentials at session level, one section. */
static void
test_candidates (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaSdpFrag) frag
      = parse ("a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
               "m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=" CANDIDATE "\r\n"
               "a=candidate:2 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active\r\n"
               "a=end-of-candidates\r\n",
               &error);

  g_assert_no_error (error);
  g_assert_cmpstr (frag->ice_ufrag, ==, "EsAw");
  g_assert_cmpstr (frag->ice_pwd, ==, "P2uYro0UCOQ4zxjKXaWCBui1");
  g_assert_cmpuint (frag->candidates->len, ==, 2);
  g_assert_cmpstr (candidate_at (frag, 0)->candidate, ==, CANDIDATE);
  g_assert_cmpstr (candidate_at (frag, 0)->mid, ==, "0");
  g_assert_cmpint (candidate_at (frag, 0)->mline_index, ==, -1);
  g_assert_true (frag->end_of_candidates);
}

/* RFC 8840's own example: media-level credentials, the mid after the candidates, LF only;
 * a section without a mid names its index. */
static void
test_sections (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaSdpFrag) frag = parse ("a=ice-options:trickle\n"
                                       "m=audio 9 RTP/AVP 0\na=" CANDIDATE "\na=mid:audio\n"
                                       "a=ice-ufrag:u1\na=ice-pwd:p1\n"
                                       "m=video 9 RTP/AVP 0\na=" CANDIDATE "\n",
                                       &error);

  g_assert_no_error (error);
  g_assert_cmpstr (frag->ice_ufrag, ==, "u1");
  g_assert_cmpuint (frag->candidates->len, ==, 2);
  g_assert_cmpstr (candidate_at (frag, 0)->mid, ==, "audio");
  g_assert_null (candidate_at (frag, 1)->mid);
  g_assert_cmpint (candidate_at (frag, 1)->mline_index, ==, 1);
  g_assert_false (frag->end_of_candidates);
}

static void
test_malformed (void)
{
  const char *const bad[] = {
    "",
    "hello\r\n",
    "a=ice-options:trickle\r\n",                  /* nothing to act on */
    "a=candidate:1 1 udp 2122260223\r\n",         /* cut short */
    "a=candidate:1 1 udp 1 192.0.2.1 9 host\r\n", /* no typ */
    "m=video 9 UDP/TLS/RTP/SAVPF 0\r\nA=" CANDIDATE "\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_test_message ("fragment: %s", bad[i]);
      g_assert_null (parse (bad[i], &error));
      g_assert_error (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_PARSE);
    }
  {
    g_autoptr (GError) error = NULL;

    g_assert_null (vsa_sdpfrag_parse ("a=ice-ufrag:x\0y", 15, &error));
    g_assert_error (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_PARSE);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/sdpfrag/candidates", test_candidates);
  g_test_add_func ("/vsa/sdpfrag/sections", test_sections);
  g_test_add_func ("/vsa/sdpfrag/malformed", test_malformed);
  return g_test_run ();
}
