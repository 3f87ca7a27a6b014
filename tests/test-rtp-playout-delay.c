/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vsa-rtp-playout-delay: what a real payloader writes with it. */

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/rtp/rtp.h>

#include "vsa-rtp-playout-delay.h"

typedef struct
{
  guint id;
  gboolean sendonly;
  guint16 profile; /* the RTP header extension's bit pattern */
} PayloadCase;

/* The extmap field the payloader's caps carry, as webrtcbin writes it into the answer. */
static void
assert_caps_field (GstCaps *caps, const PayloadCase *payload_case)
{
  g_autofree char *field = g_strdup_printf ("extmap-%u", payload_case->id);
  const GValue *value = gst_structure_get_value (gst_caps_get_structure (caps, 0), field);

  g_assert_nonnull (value);
  if (!payload_case->sendonly)
    {
      g_assert_true (G_VALUE_HOLDS_STRING (value));
      g_assert_cmpstr (g_value_get_string (value), ==, VSA_RTP_PLAYOUT_DELAY_URI);
      return;
    }
  g_assert_true (GST_VALUE_HOLDS_ARRAY (value));
  g_assert_cmpuint (gst_value_array_get_size (value), ==, 3);
  g_assert_cmpstr (g_value_get_string (gst_value_array_get_value (value, 0)), ==, "sendonly");
  g_assert_cmpstr (g_value_get_string (gst_value_array_get_value (value, 1)), ==,
                   VSA_RTP_PLAYOUT_DELAY_URI);
}

/* Every packet of a keyframe split over many carries the extension, min = max = 0. */
static void
test_payloader (gconstpointer data)
{
  const PayloadCase *payload_case = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (
      "videotestsrc num-buffers=2 pattern=snow ! video/x-raw,width=320,height=240 "
      "! vp8enc deadline=1 ! rtpvp8pay name=pay mtu=400 ! appsink name=sink sync=false",
      &error);
  g_autoptr (GstElement) pay = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstRTPHeaderExtension) ext = NULL;
  guint packets = 0;

  g_assert_no_error (error);
  pay = gst_bin_get_by_name (GST_BIN (pipeline), "pay");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  ext = vsa_rtp_playout_delay_new (payload_case->id, payload_case->sendonly);
  g_assert_cmpstr (gst_rtp_header_extension_get_uri (ext), ==, VSA_RTP_PLAYOUT_DELAY_URI);
  g_signal_emit_by_name (pay, "add-extension", ext);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);

  for (;;)
    {
      g_autoptr (GstSample) sample
          = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 10 * GST_SECOND);
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      guint16 profile = 0;
      gpointer ext_data = NULL;
      guint ext_words = 0;
      gpointer payload = NULL;
      guint size = 0;
      guint8 appbits;

      if (sample == NULL)
        break;
      if (packets == 0)
        assert_caps_field (gst_sample_get_caps (sample), payload_case);
      g_assert_true (gst_rtp_buffer_map (gst_sample_get_buffer (sample), GST_MAP_READ, &rtp));
      g_assert_true (gst_rtp_buffer_get_extension_data (&rtp, &profile, &ext_data, &ext_words));
      /* two-byte: 0x100 and 4 application bits */
      if (payload_case->profile != 0xbede)
        profile &= 0xfff0;
      g_assert_cmphex (profile, ==, payload_case->profile);
      if (payload_case->profile == 0xbede)
        g_assert_true (gst_rtp_buffer_get_extension_onebyte_header (&rtp, payload_case->id, 0,
                                                                    &payload, &size));
      else
        g_assert_true (gst_rtp_buffer_get_extension_twobytes_header (
            &rtp, &appbits, payload_case->id, 0, &payload, &size));
      g_assert_cmpmem (payload, size, "\0\0\0", 3);
      gst_rtp_buffer_unmap (&rtp);
      packets++;
    }
  g_test_message ("%u packets", packets);
  g_assert_cmpuint (packets, >, 2); /* a 320x240 snow keyframe is many 400-byte packets */
  g_assert_true (gst_app_sink_is_eos (GST_APP_SINK (sink)));
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

/* The payloader gives at least what get_max_size asked for; less is an error, not a write. */
static void
test_short_buffer (void)
{
  g_autoptr (GstRTPHeaderExtension) ext = vsa_rtp_playout_delay_new (5, FALSE);
  g_autoptr (GstBuffer) input = gst_buffer_new ();
  g_autoptr (GstBuffer) output = gst_rtp_buffer_new_allocate (0, 0, 0);
  guint8 data[3] = { 0xff, 0xff, 0xff };

  g_assert_cmpuint (gst_rtp_header_extension_get_max_size (ext, input), ==, 3);
  g_assert_cmpint (gst_rtp_header_extension_write (ext, input, GST_RTP_HEADER_EXTENSION_ONE_BYTE,
                                                   output, data, 2),
                   <, 0);
  g_assert_cmpint (gst_rtp_header_extension_write (ext, input, GST_RTP_HEADER_EXTENSION_TWO_BYTE,
                                                   output, data, sizeof data),
                   ==, 3);
  g_assert_cmpmem (data, sizeof data, "\0\0\0", 3);
}

int
main (int argc, char **argv)
{
  static const PayloadCase one_byte = { 5, FALSE, 0xbede };
  static const PayloadCase sendonly = { 6, TRUE, 0xbede };
  static const PayloadCase two_byte = { 16, FALSE, 0x1000 };

  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  g_test_add_data_func ("/vsa/rtp-playout-delay/one-byte", &one_byte, test_payloader);
  g_test_add_data_func ("/vsa/rtp-playout-delay/sendonly", &sendonly, test_payloader);
  g_test_add_data_func ("/vsa/rtp-playout-delay/two-byte", &two_byte, test_payloader);
  g_test_add_func ("/vsa/rtp-playout-delay/short-buffer", test_short_buffer);
  return g_test_run ();
}
