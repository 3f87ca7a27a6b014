/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vsa-encoded-qp: frames encoded in-process at a quantiser the encoder was
 * told, read back; and what no encoder writes (garbage, empty and truncated frames). */

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <string.h>

#include "vsa-encoded-qp.h"

/* A moving SMPTE pattern: detail in every frame, and P frames with something to code. */
#define SOURCE                                                                                     \
  "videotestsrc num-buffers=%u pattern=smpte horizontal-speed=4 "                                  \
  "! video/x-raw,width=320,height=240,framerate=30/1 ! "

/* Keyframes at 0 and 4 of the 8 frames encoded. */
#define FRAMES 8
#define KEYFRAME_INTERVAL 4

/* The agent's own x264 settings (vsa-pipeline.c) and caps, its rate control swapped for a
 * constant quantiser. One thread, one slice: tune=zerolatency turns sliced threads on, a
 * slice a thread (a case may set threads again: the last value wins). */
#define X264                                                                                       \
  "x264enc pass=quant speed-preset=ultrafast tune=zerolatency bframes=0 rc-lookahead=0 "           \
  "mb-tree=false threads=1 key-int-max=" G_STRINGIFY (KEYFRAME_INTERVAL) " "
#define H264_CAPS " ! video/x-h264,profile=constrained-baseline,stream-format=byte-stream"

/* libvpx's tables from the 0..63 quantiser of its API (min/max-quantizer) to the frame
 * header's q index: VP8's q_trans (vp8/encoder/onyx_if.c), VP9's quantizer_to_qindex
 * (vp9/encoder/vp9_quantize.c). */
static const int vp8_q_trans[64] = {
  0,  1,  2,  3,  4,  5,  7,  8,  9,  10, 12,  13,  15,  17,  18,  19,  20,  21,  23,  24,  25, 26,
  27, 28, 29, 30, 31, 33, 35, 37, 39, 41, 43,  45,  47,  49,  51,  53,  55,  57,  59,  61,  64, 67,
  70, 73, 76, 79, 82, 85, 88, 91, 94, 97, 100, 103, 106, 109, 112, 115, 118, 121, 124, 127,
};
static const int vp9_quantizer_to_qindex[64] = {
  0,   4,   8,   12,  16,  20,  24,  28,  32,  36,  40,  44,  48,  52,  56,  60,
  64,  68,  72,  76,  80,  84,  88,  92,  96,  100, 104, 108, 112, 116, 120, 124,
  128, 132, 136, 140, 144, 148, 152, 156, 160, 164, 168, 172, 176, 180, 184, 188,
  192, 196, 200, 204, 208, 212, 216, 220, 224, 228, 232, 236, 240, 244, 249, 255,
};

/* Encodes @frames frames of SOURCE with @encoder (a gst-launch description) into an
 * array of GstBuffers; NULL, the case skipped, when @element is not installed. */
static GPtrArray *
encode (const char *element, guint frames, const char *encoder)
{
  g_autoptr (GstElementFactory) factory = gst_element_factory_find (element);
  g_autofree char *description = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GPtrArray) buffers
      = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);

  if (factory == NULL)
    {
      g_test_skip_printf ("%s is not installed", element);
      return NULL;
    }
  description = g_strdup_printf (SOURCE "%s ! appsink name=sink sync=false", frames, encoder);
  pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  for (;;)
    {
      g_autoptr (GstSample) sample
          = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 30 * GST_SECOND);

      if (sample == NULL)
        break;
      g_ptr_array_add (buffers, gst_buffer_ref (gst_sample_get_buffer (sample)));
    }
  g_assert_true (gst_app_sink_is_eos (GST_APP_SINK (sink)));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_assert_cmpuint (buffers->len, ==, frames);
  return g_steal_pointer (&buffers);
}

static gboolean
is_keyframe (GstBuffer *buffer)
{
  return !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
}

static int
read_buffer (VsaQpReader *reader, GstBuffer *buffer)
{
  GstMapInfo map;
  int qp;

  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  qp = vsa_qp_reader_read (reader, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  return qp;
}

static GBytes *
buffer_bytes (GstBuffer *buffer)
{
  GstMapInfo map;
  GBytes *bytes;

  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  bytes = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  return bytes;
}

static int
read_bytes (VsaQpReader *reader, GBytes *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  return vsa_qp_reader_read (reader, data, size);
}

/* The number of NAL units of @type in an Annex B frame, and where the first begins (its
 * header byte). Emulation prevention keeps start codes out of the NAL units. */
static guint
count_nal_units (GBytes *frame, guint type, gsize *first)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);
  guint n = 0;

  for (gsize i = 0; i + 3 < size; i++)
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1)
      {
        if ((data[i + 3] & 0x1f) == type && n++ == 0 && first != NULL)
          *first = i + 3;
        i += 2;
      }
  return n;
}

static guint
count_slices (GBytes *frame)
{
  return count_nal_units (frame, 1, NULL) + count_nal_units (frame, 5, NULL);
}

static void
test_max (void)
{
  g_assert_cmpint (vsa_qp_reader_max (VSA_CODEC_H264), ==, 51);
  g_assert_cmpint (vsa_qp_reader_max (VSA_CODEC_VP8), ==, 127);
  g_assert_cmpint (vsa_qp_reader_max (VSA_CODEC_VP9), ==, 255);
}

typedef struct
{
  guint quantizer;
  const char *options; /* more x264enc properties */
  /* In constant-quantiser mode x264 codes I frames at quantizer - 6 log2 (ip-factor),
   * rounded (x264's ratecontrol.c: qp_constant[I]): 3 below with the default 1.4. */
  int i_qp;
  guint slices;
} X264Case;

/* Every P frame reads the quantiser x264 was given, every I frame the case's i_qp. */
static void
test_x264 (gconstpointer data)
{
  const X264Case *x264_case = data;
  g_autofree char *encoder = g_strdup_printf (X264 "quantizer=%u %s" H264_CAPS,
                                              x264_case->quantizer, x264_case->options);
  g_autoptr (GPtrArray) frames = encode ("x264enc", FRAMES, encoder);
  g_autoptr (VsaQpReader) reader = vsa_qp_reader_new (VSA_CODEC_H264);

  if (frames == NULL)
    return;
  for (guint i = 0; i < frames->len; i++)
    {
      GstBuffer *frame = g_ptr_array_index (frames, i);
      g_autoptr (GBytes) bytes = buffer_bytes (frame);

      g_assert_cmpint (is_keyframe (frame), ==, i % KEYFRAME_INTERVAL == 0);
      g_assert_cmpuint (count_slices (bytes), ==, x264_case->slices);
      g_assert_cmpint (read_bytes (reader, bytes), ==,
                       is_keyframe (frame) ? x264_case->i_qp : (int) x264_case->quantizer);
    }
}

/* Two keyframes of different QPs in one byte-stream, each with its SPS and PPS: the
 * second PPS replaces the first (both id 0) and the slices' QPs are averaged, rounded. */
static void
test_x264_mean (void)
{
  g_autoptr (GPtrArray) low = encode ("x264enc", 1, X264 "quantizer=20" H264_CAPS);
  g_autoptr (GPtrArray) high = NULL;
  g_autoptr (VsaQpReader) reader = vsa_qp_reader_new (VSA_CODEC_H264);
  g_autoptr (GBytes) low_bytes = NULL;
  g_autoptr (GBytes) high_bytes = NULL;
  g_autoptr (GByteArray) both = g_byte_array_new ();
  gsize size;
  const guint8 *data;

  if (low == NULL)
    return;
  high = encode ("x264enc", 1, X264 "quantizer=28 ip-factor=1.0" H264_CAPS);
  low_bytes = buffer_bytes (g_ptr_array_index (low, 0));
  high_bytes = buffer_bytes (g_ptr_array_index (high, 0));
  g_assert_cmpint (read_bytes (reader, low_bytes), ==, 17);
  g_assert_cmpint (read_bytes (reader, high_bytes), ==, 28);

  data = g_bytes_get_data (low_bytes, &size);
  g_byte_array_append (both, data, size);
  data = g_bytes_get_data (high_bytes, &size);
  g_byte_array_append (both, data, size);
  g_assert_cmpint (vsa_qp_reader_read (reader, both->data, both->len), ==, 23); /* 22.5 */
}

/* A reader that starts mid-stream has no SPS/PPS for the P frames: nothing to read, no
 * crash, until the next keyframe brings them. */
static void
test_x264_missing_parameter_sets (void)
{
  g_autoptr (GPtrArray) frames = encode ("x264enc", FRAMES, X264 "quantizer=30" H264_CAPS);
  g_autoptr (VsaQpReader) reader = vsa_qp_reader_new (VSA_CODEC_H264);

  if (frames == NULL)
    return;
  for (guint i = 1; i < frames->len; i++)
    {
      GstBuffer *frame = g_ptr_array_index (frames, i);
      g_autoptr (GBytes) bytes = buffer_bytes (frame);

      /* x264 repeats them on keyframes only */
      g_assert_cmpuint (count_nal_units (bytes, 7, NULL), ==, is_keyframe (frame) ? 1 : 0);
      g_assert_cmpuint (count_nal_units (bytes, 8, NULL), ==, is_keyframe (frame) ? 1 : 0);
      if (i < KEYFRAME_INTERVAL)
        g_assert_cmpint (read_bytes (reader, bytes), ==, -1);
      else
        g_assert_cmpint (read_bytes (reader, bytes), ==, is_keyframe (frame) ? 30 - 3 : 30);
    }
}

typedef struct
{
  VsaCodec codec;
  const char *element;
  const char *options; /* the agent's settings (vsa-pipeline.c) for a short GOP */
  const int *table;    /* the encoder's quantiser to q index */
} VpxCase;

static const VpxCase vp8_case = {
  VSA_CODEC_VP8,
  "vp8enc",
  "deadline=1 cpu-used=16 end-usage=cbr lag-in-frames=0 error-resilient=default threads=1 "
  "keyframe-max-dist=" G_STRINGIFY (KEYFRAME_INTERVAL),
  vp8_q_trans,
};

static const VpxCase vp9_case = {
  VSA_CODEC_VP9,
  "vp9enc",
  "deadline=1 cpu-used=8 end-usage=cbr lag-in-frames=0 error-resilient=default row-mt=true "
  "keyframe-max-dist=" G_STRINGIFY (KEYFRAME_INTERVAL),
  vp9_quantizer_to_qindex,
};

/* Encodes with min-quantizer = max-quantizer = @quantizer. */
static GPtrArray *
encode_vpx (const VpxCase *vpx_case, guint frames, guint quantizer)
{
  g_autofree char *encoder
      = g_strdup_printf ("%s %s min-quantizer=%u max-quantizer=%u", vpx_case->element,
                         vpx_case->options, quantizer, quantizer);

  return encode (vpx_case->element, frames, encoder);
}

/* Every frame, key or inter, reads the q index libvpx's table gives for the quantiser; a
 * higher quantiser, a higher index. */
static void
test_vpx (gconstpointer data)
{
  const VpxCase *vpx_case = data;
  const guint quantizers[] = { 10, 40 };
  int previous = -1;

  for (guint q = 0; q < G_N_ELEMENTS (quantizers); q++)
    {
      g_autoptr (GPtrArray) frames = encode_vpx (vpx_case, FRAMES, quantizers[q]);
      g_autoptr (VsaQpReader) reader = vsa_qp_reader_new (vpx_case->codec);
      int expected = vpx_case->table[quantizers[q]];

      if (frames == NULL)
        return;
      g_assert_cmpint (expected, >, previous);
      g_assert_cmpint (expected, <=, vsa_qp_reader_max (vpx_case->codec));
      for (guint i = 0; i < frames->len; i++)
        {
          GstBuffer *frame = g_ptr_array_index (frames, i);

          g_assert_cmpint (is_keyframe (frame), ==, i % KEYFRAME_INTERVAL == 0);
          g_assert_cmpint (read_buffer (reader, frame), ==, expected);
        }
      previous = expected;
    }
}

/* Appends a superframe index (VP9 bitstream spec, annex B) for frames of @sizes, 4 bytes
 * a size. */
static void
append_superframe_index (GByteArray *superframe, const gsize *sizes, guint n)
{
  guint8 marker = 0xc0 | (3 << 3) | (n - 1);

  g_byte_array_append (superframe, &marker, 1);
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < 4; j++)
      {
        guint8 byte = (sizes[i] >> (8 * j)) & 0xff;

        g_byte_array_append (superframe, &byte, 1);
      }
  g_byte_array_append (superframe, &marker, 1);
}

/* A superframe reads its first frame; an index that does not fit is refused; a last byte
 * that only looks like an index's marker ends an ordinary frame. */
static void
test_vp9_superframe (void)
{
  g_autoptr (GPtrArray) low = encode_vpx (&vp9_case, 1, 10);
  g_autoptr (GPtrArray) high = NULL;
  g_autoptr (GBytes) low_frame = NULL;
  g_autoptr (GBytes) high_frame = NULL;
  GBytes *frames[2];
  const int expected[2] = { vp9_quantizer_to_qindex[10], vp9_quantizer_to_qindex[40] };

  if (low == NULL)
    return;
  high = encode_vpx (&vp9_case, 1, 40);
  frames[0] = low_frame = buffer_bytes (g_ptr_array_index (low, 0));
  frames[1] = high_frame = buffer_bytes (g_ptr_array_index (high, 0));

  for (guint first = 0; first < 2; first++)
    {
      g_autoptr (VsaQpReader) reader = vsa_qp_reader_new (VSA_CODEC_VP9);
      g_autoptr (GByteArray) superframe = g_byte_array_new ();
      gsize sizes[2];

      for (guint i = 0; i < 2; i++)
        {
          const guint8 *data = g_bytes_get_data (frames[(first + i) % 2], &sizes[i]);

          g_byte_array_append (superframe, data, sizes[i]);
        }
      append_superframe_index (superframe, sizes, 2);
      g_assert_cmpint (vsa_qp_reader_read (reader, superframe->data, superframe->len), ==,
                       expected[first]);
    }

  {
    g_autoptr (VsaQpReader) reader = vsa_qp_reader_new (VSA_CODEC_VP9);
    g_autoptr (GByteArray) superframe = g_byte_array_new ();
    gsize size;
    const guint8 *data = g_bytes_get_data (frames[0], &size);
    gsize too_big = size + 1;
    guint8 lookalike = 0xc0;

    /* the first frame's size past the index */
    g_byte_array_append (superframe, data, size);
    append_superframe_index (superframe, &too_big, 1);
    g_assert_cmpint (vsa_qp_reader_read (reader, superframe->data, superframe->len), ==, -1);

    /* an ordinary frame whose last byte looks like a marker */
    g_byte_array_set_size (superframe, size);
    g_byte_array_append (superframe, &lookalike, 1);
    g_assert_cmpint (vsa_qp_reader_read (reader, superframe->data, superframe->len), ==,
                     expected[0]);
  }
}

static void
assert_unreadable (const guint8 *data, gsize size)
{
  const VsaCodec codecs[] = { VSA_CODEC_H264, VSA_CODEC_VP8, VSA_CODEC_VP9 };

  for (guint c = 0; c < G_N_ELEMENTS (codecs); c++)
    {
      g_autoptr (VsaQpReader) reader = vsa_qp_reader_new (codecs[c]);

      g_assert_cmpint (vsa_qp_reader_read (reader, data, size), ==, -1);
    }
}

static void
test_empty (void)
{
  const guint8 byte = 0;

  assert_unreadable (NULL, 0);
  assert_unreadable (&byte, 0);
}

/* Bytes that are no codec's frame read -1; random bytes, which can be a VP8 or VP9 frame
 * header by chance, read in range. */
static void
test_garbage (void)
{
  const char text[] = "not a video frame at all";
  const guint8 start_code[] = { 0, 0, 1 };
  const guint8 idr_header_only[] = { 0, 0, 0, 1, 0x65 };
  /* An SPS (baseline, 320x240), then a PPS with slice groups of map type 6 and 2^32 - 1
   * map units: 1.22's parser allocates their 4 GiB map before it finds the PPS cut short. */
  const guint8 fmo_pps[]
      = { 0, 0, 0,    1,    0x67, 0x42, 0xc0, 0x1e, 0xda, 0x05, 0x07, 0xe4, 0,    0,
          0, 1, 0x68, 0xc4, 0x70, 0x00, 0x00, 0x03, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xf0 };
  /* a VP9 superframe index claiming 8 frames of 4 bytes in 1 byte */
  const guint8 big_index[] = { 0xdf };
  guint8 bytes[2048];
  const VsaCodec codecs[] = { VSA_CODEC_H264, VSA_CODEC_VP8, VSA_CODEC_VP9 };

  assert_unreadable ((const guint8 *) text, strlen (text));
  assert_unreadable (start_code, sizeof start_code);
  assert_unreadable (idr_header_only, sizeof idr_header_only);
  assert_unreadable (fmo_pps, sizeof fmo_pps);
  assert_unreadable (big_index, sizeof big_index);
  memset (bytes, 0xff, sizeof bytes);
  assert_unreadable (bytes, sizeof bytes);
  memset (bytes, 0, sizeof bytes);
  assert_unreadable (bytes, sizeof bytes);
  for (guint i = 0; i < 256; i++)
    {
      bytes[0] = i;
      assert_unreadable (bytes, 1);
    }

  for (guint c = 0; c < G_N_ELEMENTS (codecs); c++)
    {
      /* one reader for all: its state from earlier garbage must not hurt either */
      g_autoptr (VsaQpReader) reader = vsa_qp_reader_new (codecs[c]);

      for (guint n = 0; n < 200; n++)
        {
          gsize size = g_test_rand_int_range (1, sizeof bytes + 1);
          int qp;

          for (gsize i = 0; i < size; i++)
            bytes[i] = g_test_rand_int_range (0, 256);
          qp = vsa_qp_reader_read (reader, bytes, size);
          g_assert_cmpint (qp, >=, -1);
          g_assert_cmpint (qp, <=, vsa_qp_reader_max (codecs[c]));
        }
    }
}

/* A keyframe cut short, to each length up to 300 bytes and every 61st past them, read by a
 * fresh reader: -1 while the cut is in the headers, else -1 or the whole frame's value,
 * nothing else. */
static void
assert_truncated (VsaCodec codec, GBytes *frame, gsize header_end)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);
  int expected;

  {
    g_autoptr (VsaQpReader) reader = vsa_qp_reader_new (codec);

    expected = vsa_qp_reader_read (reader, data, size);
    g_assert_cmpint (expected, >=, 0);
  }
  g_assert_cmpuint (header_end, <, size);
  for (gsize length = 0; length < size; length += length < 300 ? 1 : 61)
    {
      g_autoptr (VsaQpReader) reader = vsa_qp_reader_new (codec);
      /* a copy of its size: valgrind and ASan see any read past it */
      g_autofree guint8 *copy = g_memdup2 (data, length);
      int qp = vsa_qp_reader_read (reader, copy, length);

      if (length < header_end)
        g_assert_cmpint (qp, ==, -1);
      else if (qp != -1)
        g_assert_cmpint (qp, ==, expected);
    }
}

static void
test_truncated_h264 (void)
{
  g_autoptr (GPtrArray) frames = encode ("x264enc", 1, X264 "quantizer=30" H264_CAPS);
  g_autoptr (GBytes) frame = NULL;
  gsize slice = 0;

  if (frames == NULL)
    return;
  frame = buffer_bytes (g_ptr_array_index (frames, 0));
  g_assert_cmpuint (count_nal_units (frame, 5, &slice), ==, 1);
  /* the slice's NAL header and a byte: not even its PPS id (first_mb_in_slice, slice_type
   * 7 and pic_parameter_set_id take 9 bits) */
  assert_truncated (VSA_CODEC_H264, frame, slice + 2);
}

static void
test_truncated_vp8 (void)
{
  g_autoptr (GPtrArray) frames = encode_vpx (&vp8_case, 1, 20);
  g_autoptr (GBytes) frame = NULL;
  const guint8 *data;
  gsize size;

  if (frames == NULL)
    return;
  frame = buffer_bytes (g_ptr_array_index (frames, 0));
  data = g_bytes_get_data (frame, &size);
  g_assert_cmpuint (size, >, 10);
  g_assert_cmpuint (data[0] & 1, ==, 0); /* a keyframe: 10 bytes before the first partition */
  /* its frame tag's first_part_size (RFC 6386 9.1) */
  assert_truncated (VSA_CODEC_VP8, frame,
                    10 + ((data[0] | data[1] << 8 | data[2] << 16) >> 5 & 0x7ffff));
}

static void
test_truncated_vp9 (void)
{
  g_autoptr (GPtrArray) frames = encode_vpx (&vp9_case, 1, 20);
  g_autoptr (GBytes) frame = NULL;

  if (frames == NULL)
    return;
  frame = buffer_bytes (g_ptr_array_index (frames, 0));
  /* A keyframe's uncompressed header takes 14 bytes at the least (112 bits from the frame
   * marker to header_size_in_bytes, no optional field); its compressed header, which must
   * be there too, follows. */
  assert_truncated (VSA_CODEC_VP9, frame, 16);
}

int
main (int argc, char **argv)
{
  static const X264Case qp20 = { 20, "", 17, 1 };
  static const X264Case qp36 = { 36, "", 33, 1 };
  static const X264Case ip_factor_1 = { 28, "ip-factor=1.0", 28, 1 };
  /* as the agent encodes on 2 cores: a slice per thread */
  static const X264Case sliced = { 30, "sliced-threads=true threads=2", 27, 2 };

  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  g_test_add_func ("/vsa/encoded-qp/max", test_max);
  g_test_add_data_func ("/vsa/encoded-qp/x264/qp-20", &qp20, test_x264);
  g_test_add_data_func ("/vsa/encoded-qp/x264/qp-36", &qp36, test_x264);
  g_test_add_data_func ("/vsa/encoded-qp/x264/ip-factor-1", &ip_factor_1, test_x264);
  g_test_add_data_func ("/vsa/encoded-qp/x264/sliced-threads", &sliced, test_x264);
  g_test_add_func ("/vsa/encoded-qp/x264/mean-of-slices", test_x264_mean);
  g_test_add_func ("/vsa/encoded-qp/x264/missing-parameter-sets", test_x264_missing_parameter_sets);
  g_test_add_data_func ("/vsa/encoded-qp/vp8/quantizer", &vp8_case, test_vpx);
  g_test_add_data_func ("/vsa/encoded-qp/vp9/quantizer", &vp9_case, test_vpx);
  g_test_add_func ("/vsa/encoded-qp/vp9/superframe", test_vp9_superframe);
  g_test_add_func ("/vsa/encoded-qp/empty", test_empty);
  g_test_add_func ("/vsa/encoded-qp/garbage", test_garbage);
  g_test_add_func ("/vsa/encoded-qp/truncated/h264", test_truncated_h264);
  g_test_add_func ("/vsa/encoded-qp/truncated/vp8", test_truncated_vp8);
  g_test_add_func ("/vsa/encoded-qp/truncated/vp9", test_truncated_vp9);
  return g_test_run ();
}
