/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vsa-encoded-qp.h"

/* The VP8 and VP9 parsers' headers warn that their API may change; 1.22's is what we use. */
#define GST_USE_UNSTABLE_API
#include <gst/base/gstbitreader.h>
#include <gst/codecparsers/gsth264parser.h>
#include <gst/codecparsers/gstvp8parser.h>
#include <gst/codecparsers/gstvp9parser.h>

#include <string.h>

#define H264_MAX_QP 51 /* 8-bit video; higher bit depths go below 0, which we refuse */
#define VP8_MAX_QP 127
#define VP9_MAX_QP 255

/* How much of a PPS we read ourselves: its id, its SPS's and the slice groups' count,
 * three Exp-Golomb codes of at most 63 bits and two flags. */
#define PPS_PEEK_BYTES 32

/* The most a VP9 uncompressed header takes: about 500 bits with every optional field
 * (a key or intra-only frame's sizes, all loop filter deltas, the whole segmentation
 * update), twice that to spare. 1.22's VP9 parser reads it without checking the buffer's
 * end: a frame shorter than this is parsed from a zero-padded copy. */
#define VP9_HEADER_MAX 128

struct _VsaQpReader
{
  VsaCodec codec;
  GstH264NalParser *h264;
  /* PPS ids last seen with slice groups, which we do not hand to the parser (see
   * vsa_encoded_qp_h264_read_nal): a slice naming one is unreadable, not read with an older PPS. */
  guint32 h264_refused_pps[GST_H264_MAX_PPS_COUNT / 32];
  GstVp8Parser vp8;
  GstVp9Parser *vp9;
};

VsaQpReader *
vsa_qp_reader_new (VsaCodec codec)
{
  VsaQpReader *self;

  g_return_val_if_fail (codec == VSA_CODEC_H264 || codec == VSA_CODEC_VP8 || codec == VSA_CODEC_VP9,
                        NULL);

  self = g_new0 (VsaQpReader, 1);
  self->codec = codec;
  switch (codec)
    {
    case VSA_CODEC_H264:
      self->h264 = gst_h264_nal_parser_new ();
      break;
    case VSA_CODEC_VP8:
      gst_vp8_parser_init (&self->vp8);
      break;
    case VSA_CODEC_VP9:
      self->vp9 = gst_vp9_parser_new ();
      break;
    }
  return self;
}

void
vsa_qp_reader_free (VsaQpReader *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->h264, gst_h264_nal_parser_free);
  g_clear_pointer (&self->vp9, gst_vp9_parser_free);
  g_free (self);
}

int
vsa_qp_reader_max (VsaCodec codec)
{
  switch (codec)
    {
    case VSA_CODEC_H264:
      return H264_MAX_QP;
    case VSA_CODEC_VP8:
      return VP8_MAX_QP;
    case VSA_CODEC_VP9:
      return VP9_MAX_QP;
    }
  g_return_val_if_reached (-1);
}

/* ue(v), H.264 9.1, up to 2^32 - 2. */
static gboolean
vsa_encoded_qp_read_ue (GstBitReader *reader, guint *value)
{
  guint zeros = 0;
  guint32 suffix = 0;
  guint8 bit;

  for (;;)
    {
      if (!gst_bit_reader_get_bits_uint8 (reader, &bit, 1))
        return FALSE;
      if (bit)
        break;
      if (++zeros > 31)
        return FALSE;
    }
  if (zeros > 0 && !gst_bit_reader_get_bits_uint32 (reader, &suffix, zeros))
    return FALSE;
  *value = (guint) ((G_GUINT64_CONSTANT (1) << zeros) - 1 + suffix);
  return TRUE;
}

/* A PPS's id and num_slice_groups_minus1 (H.264 7.3.2.2). */
static gboolean
vsa_encoded_qp_peek_pps (const GstH264NalUnit *nalu, guint *id, guint *slice_groups_minus1)
{
  const guint8 *payload = nalu->data + nalu->offset + nalu->header_bytes;
  guint8 rbsp[PPS_PEEK_BYTES];
  gsize n = 0;
  guint zeros = 0;
  guint sps_id;
  GstBitReader reader;

  if (nalu->size <= nalu->header_bytes)
    return FALSE;
  /* without the emulation prevention bytes (00 00 03) */
  for (gsize i = 0; i < nalu->size - nalu->header_bytes && n < sizeof rbsp; i++)
    {
      if (zeros >= 2 && payload[i] == 0x03)
        {
          zeros = 0;
          continue;
        }
      zeros = payload[i] == 0 ? zeros + 1 : 0;
      rbsp[n++] = payload[i];
    }
  gst_bit_reader_init (&reader, rbsp, n);
  /* id, seq_parameter_set_id, entropy_coding_mode_flag, bottom_field_pic_order_in_frame_
   * present_flag, num_slice_groups_minus1 */
  return vsa_encoded_qp_read_ue (&reader, id) && vsa_encoded_qp_read_ue (&reader, &sps_id)
         && gst_bit_reader_skip (&reader, 2)
         && vsa_encoded_qp_read_ue (&reader, slice_groups_minus1);
}

static void
vsa_encoded_qp_set_pps_refused (VsaQpReader *self, guint id, gboolean refused)
{
  if (refused)
    self->h264_refused_pps[id / 32] |= 1u << (id % 32);
  else
    self->h264_refused_pps[id / 32] &= ~(1u << (id % 32));
}

static gboolean
vsa_encoded_qp_is_pps_refused (VsaQpReader *self, guint id)
{
  return (self->h264_refused_pps[id / 32] & (1u << (id % 32))) != 0;
}

/* Remembers the parameter sets; adds a slice's QP to *qp_sum. */
static void
vsa_encoded_qp_h264_read_nal (VsaQpReader *self, GstH264NalUnit *nalu, guint64 *qp_sum,
                              guint *slices)
{
  switch (nalu->type)
    {
    case GST_H264_NAL_SPS:
      {
        GstH264SPS sps = { 0 };

        if (gst_h264_parser_parse_sps (self->h264, nalu, &sps) != GST_H264_PARSER_OK)
          g_debug ("H264: an SPS the parser refused");
        gst_h264_sps_clear (&sps);
        break;
      }

    case GST_H264_NAL_PPS:
      {
        GstH264PPS pps = { 0 };
        guint id;
        guint slice_groups_minus1;

        if (!vsa_encoded_qp_peek_pps (nalu, &id, &slice_groups_minus1)
            || id >= GST_H264_MAX_PPS_COUNT)
          {
            g_debug ("H264: an unreadable PPS");
            break;
          }
        /* Slice groups (FMO, which no encoder of ours writes): 1.22's parser allocates
         * their map at the size the PPS gives, up to 4 GiB. */
        vsa_encoded_qp_set_pps_refused (self, id, slice_groups_minus1 > 0);
        if (slice_groups_minus1 > 0)
          {
            g_debug ("H264: PPS %u has slice groups", id);
            break;
          }
        /* The parser keeps a copy; gst_h264_parser_parse_nal () would leak this one's. */
        if (gst_h264_parser_parse_pps (self->h264, nalu, &pps) != GST_H264_PARSER_OK)
          g_debug ("H264: a PPS the parser refused (its SPS not seen?)");
        gst_h264_pps_clear (&pps);
        break;
      }

    case GST_H264_NAL_SLICE:
    case GST_H264_NAL_SLICE_IDR:
      {
        GstH264SliceHdr slice;
        int qp;

        if (gst_h264_parser_parse_slice_hdr (self->h264, nalu, &slice, TRUE, TRUE)
            != GST_H264_PARSER_OK)
          {
            g_debug ("H264: a slice header the parser refused (its PPS not seen?)");
            break;
          }
        if (vsa_encoded_qp_is_pps_refused (self, slice.pps->id) || slice.redundant_pic_cnt > 0)
          break;
        qp = 26 + slice.pps->pic_init_qp_minus26 + slice.slice_qp_delta;
        if (qp < 0 || qp > H264_MAX_QP)
          {
            g_debug ("H264: slice QP %d out of range", qp);
            break;
          }
        *qp_sum += qp;
        (*slices)++;
        break;
      }

    default:
      break;
    }
}

static int
vsa_encoded_qp_h264_read (VsaQpReader *self, const guint8 *data, gsize size)
{
  GstH264NalUnit nalu;
  guint offset = 0;
  guint64 qp_sum = 0;
  guint slices = 0;

  /* The parser counts in guint; no frame is that big. */
  if (size > G_MAXINT)
    return -1;
  for (;;)
    {
      GstH264ParserResult result
          = gst_h264_parser_identify_nalu (self->h264, data, offset, size, &nalu);

      /* BROKEN_DATA: a NAL unit too short for its header, skipped */
      if (result == GST_H264_PARSER_OK || result == GST_H264_PARSER_NO_NAL_END)
        vsa_encoded_qp_h264_read_nal (self, &nalu, &qp_sum, &slices);
      else if (result != GST_H264_PARSER_BROKEN_DATA)
        break;
      if (result == GST_H264_PARSER_NO_NAL_END)
        break; /* the last one, up to the end of data */
      /* past its start code: each turn moves on */
      offset = nalu.offset + nalu.size;
    }
  if (slices == 0)
    return -1;
  return (int) ((2 * qp_sum + slices) / (2 * slices));
}

static int
vsa_encoded_qp_vp8_read (VsaQpReader *self, const guint8 *data, gsize size)
{
  static const guint8 start_code[] = { 0x9d, 0x01, 0x2a };
  GstVp8FrameHdr header;
  GstVp8ParserResult result;

  /* What libvpx's decoder refuses and 1.22's parser does not (RFC 6386 9.1): a keyframe
   * without its start code, an empty first partition (the frame header's own). */
  if (size >= 6 && (data[0] & 0x1) == 0 && memcmp (data + 3, start_code, sizeof start_code) != 0)
    {
      g_debug ("VP8: a keyframe without its start code");
      return -1;
    }
  if (size >= 3 && ((data[0] | data[1] << 8 | data[2] << 16) >> 5) == 0)
    {
      g_debug ("VP8: an empty first partition");
      return -1;
    }
  result = gst_vp8_parser_parse_frame_header (&self->vp8, &header, data, size);
  if (result != GST_VP8_PARSER_OK)
    {
      g_debug ("VP8: no frame header (%d)", result);
      return -1;
    }
  return header.quant_indices.y_ac_qi <= VP8_MAX_QP ? header.quant_indices.y_ac_qi : -1;
}

/* The size of a superframe's first frame (VP9 bitstream spec, annex B), as libvpx's
 * decoder finds it: a last byte that looks like the index's marker, not repeated at its
 * start, ends an ordinary frame. 1.22's gst_vp9_parser_parse_superframe_info () reads
 * before the data when the index claims more bytes than there are. */
static gsize
vsa_encoded_qp_vp9_first_frame_size (const guint8 *data, gsize size)
{
  guint8 marker = data[size - 1];
  guint bytes;
  guint frames;
  gsize index_size;
  const guint8 *index;
  gsize first = 0;

  if ((marker & 0xe0) != 0xc0)
    return size;
  bytes = ((marker >> 3) & 0x3) + 1;
  frames = (marker & 0x7) + 1;
  index_size = 2 + bytes * frames;
  if (index_size > size || data[size - index_size] != marker)
    return size;
  index = data + size - index_size + 1;
  for (guint i = 0; i < bytes; i++)
    first |= (gsize) index[i] << (8 * i);
  return first <= size - index_size ? first : 0;
}

static int
vsa_encoded_qp_vp9_read (VsaQpReader *self, const guint8 *data, gsize size)
{
  GstVp9FrameHdr header;
  GstVp9ParserResult result;
  guint8 padded[VP9_HEADER_MAX] = { 0 };
  gsize frame_size = vsa_encoded_qp_vp9_first_frame_size (data, size);

  if (frame_size == 0)
    {
      g_debug ("VP9: a superframe index whose first frame does not fit");
      return -1;
    }
  if (frame_size < sizeof padded)
    {
      memcpy (padded, data, frame_size);
      result = gst_vp9_parser_parse_frame_header (self->vp9, &header, padded, sizeof padded);
    }
  else
    result = gst_vp9_parser_parse_frame_header (self->vp9, &header, data, frame_size);
  if (result != GST_VP9_PARSER_OK)
    {
      g_debug ("VP9: no frame header (%d)", result);
      return -1;
    }
  if (header.show_existing_frame)
    return -1; /* a repeat, with no quantiser of its own */
  /* The compressed header must be there too: a frame cut short is no frame. */
  if ((gsize) header.frame_header_length_in_bytes + header.first_partition_size > frame_size)
    {
      g_debug ("VP9: a truncated frame header");
      return -1;
    }
  return header.quant_indices.y_ac_qi;
}

int
vsa_qp_reader_read (VsaQpReader *self, const guint8 *data, gsize size)
{
  g_return_val_if_fail (self != NULL, -1);
  g_return_val_if_fail (data != NULL || size == 0, -1);

  if (size == 0)
    return -1;
  switch (self->codec)
    {
    case VSA_CODEC_H264:
      return vsa_encoded_qp_h264_read (self, data, size);
    case VSA_CODEC_VP8:
      return vsa_encoded_qp_vp8_read (self, data, size);
    case VSA_CODEC_VP9:
      return vsa_encoded_qp_vp9_read (self, data, size);
    }
  return -1;
}
