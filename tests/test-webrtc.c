/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vsa-webrtc: ICE server URLs as webrtcbin takes them (TURN credentials
 * escaped into the URI), the first STUN server given to webrtcbin, and the check that
 * webrtcbin's answer sends our video. */
#include "vsa-webrtc.h"

typedef struct
{
  const char *url;
  const char *username;
  const char *credential;
  const char *uri;
} UriCase;

static void
test_server_uri (void)
{
  static const UriCase cases[] = {
    /* STUN: the scheme's "//" added, never credentials */
    { "stun:stun.example.org:3478", NULL, NULL, "stun://stun.example.org:3478" },
    { "stun:stun.example.org", "user", "pass", "stun://stun.example.org" },
    { "stun://stun.example.org:19302", NULL, NULL, "stun://stun.example.org:19302" },
    { "stun:[2001:db8::1]:3478", NULL, NULL, "stun://[2001:db8::1]:3478" },
    { "stuns:stun.example.org:5349", NULL, NULL, "stuns://stun.example.org:5349" },
    /* TURN: user name and credential in the URI, the query kept */
    { "turn:turn.example.org:3478", "user", "pass", "turn://user:pass@turn.example.org:3478" },
    { "turn:turn.example.org:3478?transport=tcp", "user", "pass",
      "turn://user:pass@turn.example.org:3478?transport=tcp" },
    { "turn:turn.example.org:3478?transport=udp", "1700000000:vm-42", "c2VjcmV0+/=",
      "turn://1700000000%3Avm-42:c2VjcmV0%2B%2F%3D@turn.example.org:3478?transport=udp" },
    { "turns:turn.example.org:443?transport=tcp", "user", "pass",
      "turns://user:pass@turn.example.org:443?transport=tcp" },
    { "turn://turn.example.org:3478", "user", "pass", "turn://user:pass@turn.example.org:3478" },
    { "turn:[2001:db8::2]:3478", "u", "p", "turn://u:p@[2001:db8::2]:3478" },
    /* what a URI's user part cannot hold, percent-escaped */
    { "turn:t.example.org", "a@b c", "p:w/d?#%",
      "turn://a%40b%20c:p%3Aw%2Fd%3F%23%25@t.example.org" },
    { "turn:t.example.org", "jürgen", "pässwort",
      "turn://j%C3%BCrgen:p%C3%A4sswort@t.example.org" },
    /* a missing user name or credential: empty */
    { "turn:t.example.org:3478", NULL, NULL, "turn://:@t.example.org:3478" },
    { "turn:t.example.org:3478", "user", NULL, "turn://user:@t.example.org:3478" },
    { "turns:t.example.org:5349", NULL, "pass", "turns://:pass@t.example.org:5349" },
    { "turn:t.example.org:3478", "", "", "turn://:@t.example.org:3478" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char *urls[] = { (char *) cases[i].url, NULL };
      VsaIceServer server = { urls, (char *) cases[i].username, (char *) cases[i].credential };
      g_autofree char *uri = vsa_webrtc_ice_server_uri (cases[i].url, &server);

      g_test_message ("%s", cases[i].url);
      g_assert_cmpstr (uri, ==, cases[i].uri);
    }
}

static VsaIceServer *
server_new (const char *username, const char *credential, ...)
{
  VsaIceServer *server = g_new0 (VsaIceServer, 1);
  g_autoptr (GStrvBuilder) urls = g_strv_builder_new ();
  va_list args;

  va_start (args, credential);
  for (const char *url = va_arg (args, const char *); url != NULL;
       url = va_arg (args, const char *))
    g_strv_builder_add (urls, url);
  va_end (args);
  server->urls = g_strv_builder_end (urls);
  server->username = g_strdup (username);
  server->credential = g_strdup (credential);
  return server;
}

/* webrtcbin takes one STUN server: the first stun: URL of the list. */
static void
test_first_stun (void)
{
  g_autoptr (GPtrArray) servers
      = g_ptr_array_new_with_free_func ((GDestroyNotify) vsa_ice_server_free);
  g_autoptr (GstElement) webrtc = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElementFactory) factory = gst_element_factory_find ("webrtcbin");
  g_autofree char *stun = NULL;

  if (factory == NULL)
    {
      g_test_skip ("webrtcbin is not installed");
      return;
    }
  g_ptr_array_add (servers, server_new ("user", "pass", "turn:turn.example.org:3478", NULL));
  g_ptr_array_add (servers, server_new (NULL, NULL, "stuns:first.example.org:5349",
                                        "stun:second.example.org:3478", NULL));
  g_ptr_array_add (servers, server_new (NULL, NULL, "stun:third.example.org:3478", NULL));
  webrtc = gst_object_ref_sink (vsa_webrtc_new (servers, &error));
  g_assert_no_error (error);
  g_object_get (webrtc, "stun-server", &stun, NULL);
  g_assert_cmpstr (stun, ==, "stun://second.example.org:3478");
}

/* An answer as webrtcbin writes one: @media_lines for its m-lines. */
static GstSDPMessage *
answer_new (const char *media_lines)
{
  g_autofree char *text = g_strconcat ("v=0\r\n"
                                       "o=- 1 0 IN IP4 0.0.0.0\r\n"
                                       "s=-\r\n"
                                       "t=0 0\r\n"
                                       "a=group:BUNDLE video0 application1\r\n",
                                       media_lines, NULL);
  GstSDPMessage *sdp = NULL;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &sdp), ==, GST_SDP_OK);
  return sdp;
}

#define VIDEO_HEAD                                                                                 \
  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"                                                             \
  "c=IN IP4 0.0.0.0\r\n"                                                                           \
  "a=mid:video0\r\n"                                                                               \
  "a=rtpmap:96 VP8/90000\r\n"                                                                      \
  "a=rtcp-mux\r\n"
#define VIDEO_SSRC "a=ssrc:1234 cname:vsa\r\n"
#define APPLICATION                                                                                \
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"                                           \
  "c=IN IP4 0.0.0.0\r\n"                                                                           \
  "a=mid:application1\r\n"                                                                         \
  "a=sctp-port:5000\r\n"

typedef struct
{
  const char *name;
  const char *media_lines;
  guint mline;
  const char *refusal; /* NULL: accepted */
} AnswerCase;

static const char no_send[] = "webrtcbin's answer does not send video (codec caps mismatch)";
static const char no_ssrc[] = "webrtcbin's answer has no SSRC for the video";
static const char no_video[] = "webrtcbin's answer has no video m-line";

static void
test_check_answer (void)
{
  static const AnswerCase cases[] = {
    { "sendonly", VIDEO_HEAD "a=sendonly\r\n" VIDEO_SSRC APPLICATION, 0, NULL },
    { "sendrecv", VIDEO_HEAD "a=sendrecv\r\n" VIDEO_SSRC APPLICATION, 0, NULL },
    { "video second", APPLICATION VIDEO_HEAD "a=sendonly\r\n" VIDEO_SSRC, 1, NULL },
    { "recvonly", VIDEO_HEAD "a=recvonly\r\n" VIDEO_SSRC APPLICATION, 0, no_send },
    { "inactive", VIDEO_HEAD "a=inactive\r\n" VIDEO_SSRC APPLICATION, 0, no_send },
    /* no direction is sendrecv in SDP, but webrtcbin always writes one */
    { "no direction", VIDEO_HEAD VIDEO_SSRC APPLICATION, 0, no_send },
    { "no ssrc", VIDEO_HEAD "a=sendonly\r\n" APPLICATION, 0, no_ssrc },
    { "ssrc-group only", VIDEO_HEAD "a=sendonly\r\na=ssrc-group:FID 1 2\r\n" APPLICATION, 0,
      no_ssrc },
    /* the chosen m-line is the one checked */
    { "other m-line", APPLICATION VIDEO_HEAD "a=sendonly\r\n" VIDEO_SSRC, 0, no_send },
    { "past the end", VIDEO_HEAD "a=sendonly\r\n" VIDEO_SSRC APPLICATION, 2, no_video },
    { "one m-line", VIDEO_HEAD "a=sendonly\r\n" VIDEO_SSRC, 1, no_video },
    { "no m-line", "", 0, no_video },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GstSDPMessage) answer = answer_new (cases[i].media_lines);
      g_autofree char *refusal = vsa_webrtc_check_answer (answer, cases[i].mline);

      g_test_message ("%s", cases[i].name);
      g_assert_cmpstr (refusal, ==, cases[i].refusal);
    }
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/webrtc/server-uri", test_server_uri);
  g_test_add_func ("/vsa/webrtc/first-stun", test_first_stun);
  g_test_add_func ("/vsa/webrtc/check-answer", test_check_answer);
  return g_test_run ();
}
