/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vsa-codec: choosing codec, payload type and fmtp from an offer. */

#include <glib.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "vsa-codec.h"

#define SDP_HEAD                                                                                   \
  "v=0\r\n"                                                                                        \
  "o=- 1 2 IN IP4 127.0.0.1\r\n"                                                                   \
  "s=-\r\n"                                                                                        \
  "t=0 0\r\n"

static gboolean
all_available (VsaCodec codec)
{
  return TRUE;
}

static gboolean
all_but_vp8_available (VsaCodec codec)
{
  return codec != VSA_CODEC_VP8;
}

static gboolean
none_available (VsaCodec codec)
{
  return FALSE;
}

static GstSDPMessage *
sdp_from_text (const char *text)
{
  GstSDPMessage *sdp = NULL;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &sdp), ==, GST_SDP_OK);
  g_assert_nonnull (sdp);
  return sdp;
}

/* The SDP of a fixture (a stored offer document). */
static GstSDPMessage *
sdp_from_fixture (const char *name)
{
  const char *dir = g_getenv ("VSA_TEST_DATA");
  g_autofree char *path = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *root;
  JsonObject *offer;

  g_assert_nonnull (dir);
  path = g_build_filename (dir, name, NULL);
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  offer = json_object_get_object_member (root, "offer");
  g_assert_nonnull (offer);
  return sdp_from_text (json_object_get_string_member (offer, "sdp"));
}

static VsaCodecChoice *
choose (const GstSDPMessage *sdp, const char *const *preference, VsaCodecAvailableFunc available,
        GError **error)
{
  VsaCodecChoice *choice = vsa_codec_choose (sdp, preference, available, error);

  if (choice != NULL)
    {
      g_assert_true (error == NULL || *error == NULL);
      g_test_message ("chose %s PT %u on m-line %u", vsa_codec_to_string (choice->codec),
                      choice->payload_type, choice->mline_index);
    }
  else
    {
      g_assert_true (error == NULL || *error != NULL);
    }
  return choice;
}

static const char *const firefox_fixtures[]
    = { "firefox-early-offer.json", "firefox-viewer-offer.json" };

/* A browser's real offers and a preference: what must be chosen. */
typedef struct
{
  const char *browser; /* "chromium" or "firefox": both its fixtures are tried */
  const char *preference[3];
  VsaCodec codec;
  guint payload_type;
  const char *profile_level_id; /* H264 only */
} FixtureCase;

static const FixtureCase fixture_cases[] = {
  { "chromium", { "vp8" }, VSA_CODEC_VP8, 96 },
  /* 98 is profile-id=0; 100, 35 and 37 are profiles 2, 1 and 3. */
  { "chromium", { "vp9" }, VSA_CODEC_VP9, 98 },
  /* 102 (42001f, mode 1) comes first in the m-line, but constrained baseline wins. */
  { "chromium", { "h264" }, VSA_CODEC_H264, 108, "42e01f" },
  { "firefox", { "vp8" }, VSA_CODEC_VP8, 120 },
  { "firefox", { "vp9" }, VSA_CODEC_VP9, 121 },
  /* Firefox offline offers no H264: the next preference is taken. */
  { "firefox", { "h264", "vp8" }, VSA_CODEC_VP8, 120 },
  /* the browser's order: both put VP8 first */
  { "chromium", { VSA_CODEC_OFFER_ORDER }, VSA_CODEC_VP8, 96 },
  { "firefox", { VSA_CODEC_OFFER_ORDER }, VSA_CODEC_VP8, 120 },
};

static void
test_fixture_choice (gconstpointer data)
{
  const FixtureCase *fixture_case = data;
  const char *const kinds[] = { "early", "viewer" };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%s-offer.json", fixture_case->browser, kinds[i]);
      g_autoptr (GstSDPMessage) sdp = sdp_from_fixture (name);
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaCodecChoice) choice
          = choose (sdp, fixture_case->preference, all_available, &error);

      g_assert_no_error (error);
      g_assert_cmpint (choice->codec, ==, fixture_case->codec);
      g_assert_cmpuint (choice->payload_type, ==, fixture_case->payload_type);
      g_assert_cmpuint (choice->mline_index, ==, 0);
      if (choice->codec == VSA_CODEC_H264)
        {
          g_assert_cmpstr (choice->profile_level_id, ==, fixture_case->profile_level_id);
          g_assert_cmpuint (choice->packetization_mode, ==, 1);
        }
      if (choice->codec == VSA_CODEC_VP9)
        g_assert_cmpuint (choice->vp9_profile, ==, 0);
    }
}

static void
test_firefox_h264_only_unsupported (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (firefox_fixtures); i++)
    {
      g_autoptr (GstSDPMessage) sdp = sdp_from_fixture (firefox_fixtures[i]);
      const char *const pref[] = { "h264", NULL };
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaCodecChoice) choice = choose (sdp, pref, all_available, &error);

      g_assert_null (choice);
      g_assert_error (error, VSA_CODEC_ERROR, VSA_CODEC_ERROR_UNSUPPORTED);
      g_test_message ("error: %s", error->message);
      g_assert_nonnull (strstr (error->message, "VP8"));
      g_assert_nonnull (strstr (error->message, "VP9"));
    }
}

static void
test_preference_order (void)
{
  g_autoptr (GstSDPMessage) sdp = sdp_from_fixture ("chromium-early-offer.json");
  const struct
  {
    const char *pref[4];
    VsaCodec codec;
    guint pt;
  } cases[] = {
    { { "vp9", "vp8", NULL }, VSA_CODEC_VP9, 98 },
    { { "vp8", "vp9", NULL }, VSA_CODEC_VP8, 96 },
    { { "h264", "vp9", "vp8", NULL }, VSA_CODEC_H264, 108 },
    { { "vp9", "h264", "vp8", NULL }, VSA_CODEC_VP9, 98 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaCodecChoice) choice = choose (sdp, cases[i].pref, all_available, &error);

      g_assert_no_error (error);
      g_assert_cmpint (choice->codec, ==, cases[i].codec);
      g_assert_cmpuint (choice->payload_type, ==, cases[i].pt);
    }
}

static gboolean
all_but_h264_available (VsaCodec codec)
{
  return codec != VSA_CODEC_H264;
}

/* Moves the video m-line's formats @first (space-separated) to its front, in that order,
 * as setCodecPreferences() orders a browser's offer. */
static void
put_first (GstSDPMessage *sdp, const char *first)
{
  g_auto (GStrv) formats = g_strsplit (first, " ", -1);
  GstSDPMedia *video = (GstSDPMedia *) gst_sdp_message_get_media (sdp, 0);
  guint n = g_strv_length (formats);

  g_assert_cmpstr (gst_sdp_media_get_media (video), ==, "video");
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < gst_sdp_media_formats_len (video); j++)
      if (g_strcmp0 (gst_sdp_media_get_format (video, j), formats[n - 1 - i]) == 0)
        {
          gst_sdp_media_remove_format (video, j);
          gst_sdp_media_insert_format (video, 0, formats[n - 1 - i]);
          break;
        }
  g_assert_cmpstr (gst_sdp_media_get_format (video, 0), ==, formats[0]);
}

/* codecs=offer: the codec of the first format in the offer that we can send (and that is
 * installed); within it, the format we send best. */
static void
test_offer_order (void)
{
  const char *const offer_order[] = { VSA_CODEC_OFFER_ORDER, NULL };
  const struct
  {
    const char *fixture;
    const char *first; /* the formats setCodecPreferences() put first */
    VsaCodecAvailableFunc available;
    VsaCodec codec;
    guint pt;
  } cases[] = {
    /* H264 first: 102 (42001f) leads, constrained baseline 108 is sent */
    { "chromium-viewer-offer.json", "102 103 104 107 108 109", all_available, VSA_CODEC_H264, 108 },
    { "chromium-viewer-offer.json", "98 99", all_available, VSA_CODEC_VP9, 98 },
    /* VP9 profile 2 cannot be sent: the next format, VP8, decides */
    { "chromium-viewer-offer.json", "100 101", all_available, VSA_CODEC_VP8, 96 },
    /* AV1 and rtx are not ours */
    { "chromium-viewer-offer.json", "45 46 102", all_available, VSA_CODEC_H264, 108 },
    /* an encoder that is not installed: the next codec in the offer's order */
    { "chromium-viewer-offer.json", "102 103 96", all_but_h264_available, VSA_CODEC_VP8, 96 },
    { "chromium-early-offer.json", "96", all_but_vp8_available, VSA_CODEC_VP9, 98 },
    { "firefox-early-offer.json", "121 125", all_available, VSA_CODEC_VP9, 121 },
    { "firefox-viewer-offer.json", "99 100 121", all_available, VSA_CODEC_VP9, 121 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GstSDPMessage) sdp = sdp_from_fixture (cases[i].fixture);
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaCodecChoice) choice = NULL;

      g_test_message ("%s, %s first", cases[i].fixture, cases[i].first);
      put_first (sdp, cases[i].first);
      choice = choose (sdp, offer_order, cases[i].available, &error);
      g_assert_no_error (error);
      g_assert_cmpint (choice->codec, ==, cases[i].codec);
      g_assert_cmpuint (choice->payload_type, ==, cases[i].pt);
    }
}

/* Nothing we send: the usual error, which names the preference. */
static void
test_offer_order_none (void)
{
  g_autoptr (GstSDPMessage) sdp = sdp_from_fixture ("firefox-viewer-offer.json");
  const char *const offer_order[] = { VSA_CODEC_OFFER_ORDER, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaCodecChoice) choice = choose (sdp, offer_order, none_available, &error);

  g_assert_null (choice);
  g_assert_error (error, VSA_CODEC_ERROR, VSA_CODEC_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "(preference: offer)"));
}

static void
test_preference_case_insensitive (void)
{
  g_autoptr (GstSDPMessage) sdp = sdp_from_fixture ("firefox-viewer-offer.json");
  const char *const pref[] = { "VP9", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaCodecChoice) choice = choose (sdp, pref, all_available, &error);

  g_assert_no_error (error);
  g_assert_cmpint (choice->codec, ==, VSA_CODEC_VP9);
  g_assert_cmpuint (choice->payload_type, ==, 121);
}

static void
test_unavailable_skipped (void)
{
  g_autoptr (GstSDPMessage) sdp = sdp_from_fixture ("chromium-early-offer.json");
  const char *const pref[] = { "vp8", "h264", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaCodecChoice) choice = choose (sdp, pref, all_but_vp8_available, &error);

  g_assert_no_error (error);
  g_assert_cmpint (choice->codec, ==, VSA_CODEC_H264);
  g_assert_cmpuint (choice->payload_type, ==, 108);
}

static void
test_none_available (void)
{
  g_autoptr (GstSDPMessage) sdp = sdp_from_fixture ("chromium-early-offer.json");
  const char *const pref[] = { "h264", "vp8", "vp9", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaCodecChoice) choice = choose (sdp, pref, none_available, &error);

  g_assert_null (choice);
  g_assert_error (error, VSA_CODEC_ERROR, VSA_CODEC_ERROR_UNSUPPORTED);
}

/* With no @available function the choice follows vsa_codec_is_available(). */
static void
test_default_available (void)
{
  g_autoptr (GstSDPMessage) sdp = sdp_from_fixture ("chromium-early-offer.json");
  const char *const pref[] = { "h264", "vp8", "vp9", NULL };
  const VsaCodec order[] = { VSA_CODEC_H264, VSA_CODEC_VP8, VSA_CODEC_VP9 };
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaCodecChoice) choice = choose (sdp, pref, NULL, &error);
  int expected = -1;

  for (guint i = 0; i < G_N_ELEMENTS (order) && expected < 0; i++)
    {
      gboolean available = vsa_codec_is_available (order[i]);

      g_test_message ("%s available: %d", vsa_codec_to_string (order[i]), available);
      if (available)
        expected = (int) order[i];
    }

  if (expected < 0)
    {
      g_assert_null (choice);
      g_assert_error (error, VSA_CODEC_ERROR, VSA_CODEC_ERROR_UNSUPPORTED);
    }
  else
    {
      g_assert_no_error (error);
      g_assert_cmpint (choice->codec, ==, expected);
    }
}

/* An offer with H264 payload types given as (pt, profile-level-id, packetization-mode). */
static GstSDPMessage *
h264_offer (const char *const *pts, const char *const *profiles, const char *const *modes)
{
  g_autoptr (GString) text = g_string_new (SDP_HEAD);
  g_autofree char *fmts = g_strjoinv (" ", (char **) pts);

  g_string_append_printf (text,
                          "m=video 9 UDP/TLS/RTP/SAVPF %s\r\n"
                          "c=IN IP4 0.0.0.0\r\n"
                          "a=mid:0\r\n"
                          "a=recvonly\r\n",
                          fmts);
  for (guint i = 0; pts[i] != NULL; i++)
    {
      g_string_append_printf (text, "a=rtpmap:%s H264/90000\r\n", pts[i]);
      g_string_append_printf (text,
                              "a=fmtp:%s level-asymmetry-allowed=1;packetization-mode=%s;"
                              "profile-level-id=%s\r\n",
                              pts[i], modes[i], profiles[i]);
    }
  return sdp_from_text (text->str);
}

static void
test_h264_profile_preference (void)
{
  const struct
  {
    const char *pts[5];
    const char *profiles[5];
    const char *modes[5];
    guint pt;
    const char *profile;
  } cases[] = {
    /* other 42xxxx (mode 1) beats 4d and 64; 42e0 in mode 0 does not count */
    { { "100", "101", "102", "103", NULL },
      { "64001f", "4d001f", "42001f", "42e01f", NULL },
      { "1", "1", "1", "0", NULL },
      102,
      "42001f" },
    /* 42e0xx beats other 42xxxx */
    { { "100", "101", NULL }, { "42001f", "42e01f", NULL }, { "1", "1", NULL }, 101, "42e01f" },
    /* 4d beats 64 */
    { { "100", "101", NULL }, { "64001f", "4d001f", NULL }, { "1", "1", NULL }, 101, "4d001f" },
    /* 64 alone */
    { { "100", NULL }, { "64001f", NULL }, { "1", NULL }, 100, "64001f" },
    /* mode 1 preferred over mode 0 for the same profile */
    { { "100", "101", NULL }, { "42e01f", "42e01f", NULL }, { "0", "1", NULL }, 101, "42e01f" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GstSDPMessage) sdp = h264_offer (cases[i].pts, cases[i].profiles, cases[i].modes);
      const char *const pref[] = { "h264", NULL };
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaCodecChoice) choice = NULL;

      g_test_message ("case %u", i);
      choice = choose (sdp, pref, all_available, &error);
      g_assert_no_error (error);
      g_assert_cmpint (choice->codec, ==, VSA_CODEC_H264);
      g_assert_cmpuint (choice->payload_type, ==, cases[i].pt);
      g_assert_cmpstr (choice->profile_level_id, ==, cases[i].profile);
      g_assert_cmpuint (choice->packetization_mode, ==, 1);
    }
}

/* Only VP9 profile 0 can be sent: a profile 2 payload type listed first is passed over. */
static void
test_vp9_profile (void)
{
  g_autoptr (GstSDPMessage) sdp = sdp_from_text (SDP_HEAD "m=video 9 UDP/TLS/RTP/SAVPF 100 98\r\n"
                                                          "c=IN IP4 0.0.0.0\r\n"
                                                          "a=mid:0\r\n"
                                                          "a=rtpmap:100 VP9/90000\r\n"
                                                          "a=fmtp:100 profile-id=2\r\n"
                                                          "a=rtpmap:98 VP9/90000\r\n"
                                                          "a=fmtp:98 profile-id=0\r\n");
  const char *const pref[] = { "vp9", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaCodecChoice) choice = choose (sdp, pref, all_available, &error);

  g_assert_no_error (error);
  g_assert_cmpint (choice->codec, ==, VSA_CODEC_VP9);
  g_assert_cmpuint (choice->payload_type, ==, 98);
  g_assert_cmpuint (choice->vp9_profile, ==, 0);
}

static void
test_audio_only (void)
{
  g_autoptr (GstSDPMessage) sdp = sdp_from_text (SDP_HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                                                          "c=IN IP4 0.0.0.0\r\n"
                                                          "a=mid:0\r\n"
                                                          "a=rtpmap:111 opus/48000/2\r\n");
  const char *const pref[] = { "h264", "vp8", "vp9", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaCodecChoice) choice = choose (sdp, pref, all_available, &error);

  g_assert_null (choice);
  g_assert_error (error, VSA_CODEC_ERROR, VSA_CODEC_ERROR_NO_VIDEO);
}

static void
test_no_media (void)
{
  g_autoptr (GstSDPMessage) sdp = sdp_from_text (SDP_HEAD);
  const char *const pref[] = { "vp8", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaCodecChoice) choice = choose (sdp, pref, all_available, &error);

  g_assert_null (choice);
  g_assert_error (error, VSA_CODEC_ERROR, VSA_CODEC_ERROR_NO_VIDEO);
}

/* The video m-line need not be the first: mline_index says which it is. */
static void
test_video_after_audio (void)
{
  g_autoptr (GstSDPMessage) sdp = sdp_from_text (SDP_HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                                                          "c=IN IP4 0.0.0.0\r\n"
                                                          "a=mid:0\r\n"
                                                          "a=rtpmap:111 opus/48000/2\r\n"
                                                          "m=video 9 UDP/TLS/RTP/SAVPF 97 96\r\n"
                                                          "c=IN IP4 0.0.0.0\r\n"
                                                          "a=mid:1\r\n"
                                                          "a=rtpmap:97 rtx/90000\r\n"
                                                          "a=fmtp:97 apt=96\r\n"
                                                          "a=rtpmap:96 VP8/90000\r\n");
  const char *const pref[] = { "vp8", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaCodecChoice) choice = choose (sdp, pref, all_available, &error);

  g_assert_no_error (error);
  g_assert_cmpint (choice->codec, ==, VSA_CODEC_VP8);
  g_assert_cmpuint (choice->payload_type, ==, 96);
  g_assert_cmpuint (choice->mline_index, ==, 1);
}

#define PLAYOUT_DELAY "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

/* Chromium offers playout-delay as "a=extmap:5", Firefox as "a=extmap:6/recvonly" (it only
 * receives it): both are answered, Firefox's as sendonly. */
static void
test_playout_delay_fixtures (void)
{
  const struct
  {
    const char *fixture;
    guint id;
    gboolean sendonly;
  } cases[] = {
    { "chromium-early-offer.json", 5, FALSE },
    { "chromium-viewer-offer.json", 5, FALSE },
    { "firefox-early-offer.json", 6, TRUE },
    { "firefox-viewer-offer.json", 6, TRUE },
  };
  const char *const preferences[][2] = { { "h264", NULL }, { "vp8", NULL }, { "vp9", NULL } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    for (guint j = 0; j < G_N_ELEMENTS (preferences); j++)
      {
        g_autoptr (GstSDPMessage) sdp = sdp_from_fixture (cases[i].fixture);
        g_autoptr (VsaCodecChoice) choice = choose (sdp, preferences[j], all_available, NULL);

        g_test_message ("%s %s", cases[i].fixture, preferences[j][0]);
        if (choice == NULL) /* Firefox's offline offer has no H264 */
          continue;
        g_assert_cmpuint (choice->playout_delay_id, ==, cases[i].id);
        g_assert_cmpint (choice->playout_delay_sendonly, ==, cases[i].sendonly);
      }
}

/* Every form of extmap line: only an id the answer and the payloader can use, in a direction
 * that lets the browser receive it, counts. */
static void
test_playout_delay_forms (void)
{
  const struct
  {
    const char *session; /* session-level attributes */
    const char *media;   /* the video m-line's extmap attributes */
    guint id;
    gboolean sendonly;
  } cases[] = {
    { "", "", 0 },
    { "", "a=extmap:5 " PLAYOUT_DELAY "\r\n", 5 },
    { "", "a=extmap:1 " PLAYOUT_DELAY "\r\n", 1 },
    { "", "a=extmap:14 " PLAYOUT_DELAY "\r\n", 14 },
    { "", "a=extmap:5/sendrecv " PLAYOUT_DELAY "\r\n", 5 },
    { "", "a=extmap:6/recvonly " PLAYOUT_DELAY "\r\n", 6, TRUE },
    /* extension attributes (none are defined for it) do not matter */
    { "", "a=extmap:5 " PLAYOUT_DELAY " foo\r\n", 5 },
    /* other extensions are not ours */
    { "",
      "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
      "a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
      "a=extmap:7 " PLAYOUT_DELAY "\r\n",
      7 },
    { "", "a=extmap:5 " PLAYOUT_DELAY "-v2\r\n", 0 },
    { "", "a=extmap:5 x" PLAYOUT_DELAY "\r\n", 0 },
    /* the browser would not receive it */
    { "", "a=extmap:5/sendonly " PLAYOUT_DELAY "\r\n", 0 },
    { "", "a=extmap:5/inactive " PLAYOUT_DELAY "\r\n", 0 },
    { "", "a=extmap:5/recvonly/x " PLAYOUT_DELAY "\r\n", 0 },
    /* ids out of range or not numbers */
    { "", "a=extmap:0 " PLAYOUT_DELAY "\r\n", 0 },
    { "", "a=extmap:-5 " PLAYOUT_DELAY "\r\n", 0 },
    { "", "a=extmap:5x " PLAYOUT_DELAY "\r\n", 0 },
    { "", "a=extmap:x " PLAYOUT_DELAY "\r\n", 0 },
    { "", "a=extmap:/recvonly " PLAYOUT_DELAY "\r\n", 0 },
    { "", "a=extmap: " PLAYOUT_DELAY "\r\n", 0 },
    { "", "a=extmap:" PLAYOUT_DELAY "\r\n", 0 },
    { "", "a=extmap:99999999999999999999 " PLAYOUT_DELAY "\r\n", 0 },
    /* two-byte ids only when the browser offered extmap-allow-mixed; 15 never */
    { "", "a=extmap:16 " PLAYOUT_DELAY "\r\n", 0 },
    { "a=extmap-allow-mixed\r\n", "a=extmap:16 " PLAYOUT_DELAY "\r\n", 16 },
    { "", "a=extmap-allow-mixed\r\na=extmap:255 " PLAYOUT_DELAY "\r\n", 255 },
    { "a=extmap-allow-mixed\r\n", "a=extmap:256 " PLAYOUT_DELAY "\r\n", 0 },
    { "a=extmap-allow-mixed\r\n", "a=extmap:15 " PLAYOUT_DELAY "\r\n", 0 },
    { "", "a=extmap:15 " PLAYOUT_DELAY "\r\n", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf (SDP_HEAD "%s"
                                                        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                                                        "c=IN IP4 0.0.0.0\r\n"
                                                        "a=mid:0\r\n"
                                                        "%s"
                                                        "a=rtpmap:96 VP8/90000\r\n",
                                               cases[i].session, cases[i].media);
      g_autoptr (GstSDPMessage) sdp = sdp_from_text (text);
      const char *const pref[] = { "vp8", NULL };
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaCodecChoice) choice = NULL;

      g_test_message ("case %u: %s%s", i, cases[i].session, cases[i].media);
      choice = choose (sdp, pref, all_available, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (choice->playout_delay_id, ==, cases[i].id);
      g_assert_cmpint (choice->playout_delay_sendonly, ==, cases[i].sendonly);
    }
}

#define TWCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

/* Both browsers offer transport-wide-cc without a direction (Chromium as 4, Firefox as 7);
 * only one-byte ids are taken, as rtpsession numbers packets in that form only. */
static void
test_twcc (void)
{
  const struct
  {
    const char *fixture;
    guint id;
  } fixtures[] = {
    { "chromium-early-offer.json", 4 },
    { "chromium-viewer-offer.json", 4 },
    { "firefox-early-offer.json", 7 },
    { "firefox-viewer-offer.json", 7 },
  };
  const struct
  {
    const char *media;
    guint id;
    gboolean sendonly;
  } forms[] = {
    { "", 0 },
    { "a=extmap:3 " TWCC "\r\n", 3 },
    { "a=extmap:3/recvonly " TWCC "\r\n", 3, TRUE },
    { "a=extmap:3/sendonly " TWCC "\r\n", 0 },
    { "a=extmap-allow-mixed\r\na=extmap:16 " TWCC "\r\n", 0 },
    { "a=extmap:15 " TWCC "\r\n", 0 },
    { "a=extmap:3 " TWCC "-02\r\n", 0 },
  };
  const char *const vp8[] = { "vp8", NULL };

  for (guint i = 0; i < G_N_ELEMENTS (fixtures); i++)
    {
      g_autoptr (GstSDPMessage) sdp = sdp_from_fixture (fixtures[i].fixture);
      g_autoptr (VsaCodecChoice) choice = choose (sdp, vp8, all_available, NULL);

      g_assert_nonnull (choice);
      g_assert_cmpuint (choice->twcc_id, ==, fixtures[i].id);
      g_assert_false (choice->twcc_sendonly);
    }
  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_autofree char *text = g_strdup_printf (SDP_HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                                                        "c=IN IP4 0.0.0.0\r\n"
                                                        "a=mid:0\r\n"
                                                        "%s"
                                                        "a=rtpmap:96 VP8/90000\r\n",
                                               forms[i].media);
      g_autoptr (GstSDPMessage) sdp = sdp_from_text (text);
      g_autoptr (VsaCodecChoice) choice = choose (sdp, vp8, all_available, NULL);

      g_test_message ("case %u: %s", i, forms[i].media);
      g_assert_cmpuint (choice->twcc_id, ==, forms[i].id);
      g_assert_cmpint (choice->twcc_sendonly, ==, forms[i].sendonly);
    }
}

/* Only the chosen video m-line's extmaps count. */
static void
test_playout_delay_other_mline (void)
{
  g_autoptr (GstSDPMessage) sdp = sdp_from_text (SDP_HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                                                          "c=IN IP4 0.0.0.0\r\n"
                                                          "a=mid:0\r\n"
                                                          "a=extmap:5 " PLAYOUT_DELAY "\r\n"
                                                          "a=rtpmap:111 opus/48000/2\r\n"
                                                          "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                                                          "c=IN IP4 0.0.0.0\r\n"
                                                          "a=mid:1\r\n"
                                                          "a=rtpmap:96 VP8/90000\r\n");
  const char *const pref[] = { "vp8", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaCodecChoice) choice = choose (sdp, pref, all_available, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (choice->mline_index, ==, 1);
  g_assert_cmpuint (choice->playout_delay_id, ==, 0);
}

static void
test_to_from_string (void)
{
  const VsaCodec codecs[] = { VSA_CODEC_H264, VSA_CODEC_VP8, VSA_CODEC_VP9 };
  const char *const names[] = { "h264", "vp8", "vp9" };
  const struct
  {
    const char *name;
    VsaCodec codec;
  } mixed_case[] = {
    { "H264", VSA_CODEC_H264 },
    { "Vp8", VSA_CODEC_VP8 },
    { "VP9", VSA_CODEC_VP9 },
  };
  const char *const bad[] = { "av1", "", "h265", "vp", "foo" };

  for (guint i = 0; i < G_N_ELEMENTS (codecs); i++)
    {
      VsaCodec codec = (VsaCodec) -1;

      g_assert_cmpstr (vsa_codec_to_string (codecs[i]), ==, names[i]);
      g_assert_true (vsa_codec_from_string (names[i], &codec));
      g_assert_cmpint (codec, ==, codecs[i]);
      g_assert_true (vsa_codec_from_string (vsa_codec_to_string (codecs[i]), &codec));
      g_assert_cmpint (codec, ==, codecs[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (mixed_case); i++)
    {
      VsaCodec codec = (VsaCodec) -1;

      g_assert_true (vsa_codec_from_string (mixed_case[i].name, &codec));
      g_assert_cmpint (codec, ==, mixed_case[i].codec);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      VsaCodec codec = VSA_CODEC_VP9;

      g_test_message ("\"%s\"", bad[i]);
      g_assert_false (vsa_codec_from_string (bad[i], &codec));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (fixture_cases); i++)
    {
      g_autofree char *preference = g_strjoinv ("-", (char **) fixture_cases[i].preference);
      g_autofree char *path
          = g_strdup_printf ("/vsa/codec/%s/%s", fixture_cases[i].browser, preference);

      g_test_add_data_func (path, &fixture_cases[i], test_fixture_choice);
    }
  g_test_add_func ("/vsa/codec/firefox/h264-only-unsupported", test_firefox_h264_only_unsupported);
  g_test_add_func ("/vsa/codec/preference/order", test_preference_order);
  g_test_add_func ("/vsa/codec/preference/case-insensitive", test_preference_case_insensitive);
  g_test_add_func ("/vsa/codec/preference/offer-order", test_offer_order);
  g_test_add_func ("/vsa/codec/preference/offer-order-none", test_offer_order_none);
  g_test_add_func ("/vsa/codec/available/skipped", test_unavailable_skipped);
  g_test_add_func ("/vsa/codec/available/none", test_none_available);
  g_test_add_func ("/vsa/codec/available/default", test_default_available);
  g_test_add_func ("/vsa/codec/h264/profile-preference", test_h264_profile_preference);
  g_test_add_func ("/vsa/codec/vp9/profile", test_vp9_profile);
  g_test_add_func ("/vsa/codec/no-video/audio-only", test_audio_only);
  g_test_add_func ("/vsa/codec/no-video/no-media", test_no_media);
  g_test_add_func ("/vsa/codec/mline/video-after-audio", test_video_after_audio);
  g_test_add_func ("/vsa/codec/playout-delay/fixtures", test_playout_delay_fixtures);
  g_test_add_func ("/vsa/codec/playout-delay/forms", test_playout_delay_forms);
  g_test_add_func ("/vsa/codec/playout-delay/other-mline", test_playout_delay_other_mline);
  g_test_add_func ("/vsa/codec/twcc", test_twcc);
  g_test_add_func ("/vsa/codec/string/round-trip", test_to_from_string);

  return g_test_run ();
}
