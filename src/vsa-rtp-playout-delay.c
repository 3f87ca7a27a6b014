/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-rtp-playout-delay.h"

#include <string.h>

/* 12-bit minimum and 12-bit maximum delay, in units of 10 ms. */
#define PAYLOAD_SIZE 3

struct _VsaRtpPlayoutDelay
{
  GstRTPHeaderExtension parent;
};

G_DEFINE_TYPE (VsaRtpPlayoutDelay, vsa_rtp_playout_delay, GST_TYPE_RTP_HEADER_EXTENSION)

static GstRTPHeaderExtensionFlags
vsa_rtp_playout_delay_get_supported_flags (GstRTPHeaderExtension *ext)
{
  /* the payloader picks the form the id allows: one-byte for 1-14, two-byte above */
  return GST_RTP_HEADER_EXTENSION_ONE_BYTE | GST_RTP_HEADER_EXTENSION_TWO_BYTE;
}

static gsize
vsa_rtp_playout_delay_get_max_size (GstRTPHeaderExtension *ext, const GstBuffer *input_meta)
{
  return PAYLOAD_SIZE;
}

/* On every packet. libwebrtc repeats it on every packet of a frame until a frame carrying
 * it is acknowledged; the payloader sees no RTCP, and a receiver that lost the packets
 * of the frame that carried it would fall back to its default buffering. Four bytes a
 * packet buy that it never does. */
static gssize
vsa_rtp_playout_delay_write_extension (GstRTPHeaderExtension *ext, const GstBuffer *input_meta,
                                       GstRTPHeaderExtensionFlags write_flags, GstBuffer *output,
                                       guint8 *data, gsize size)
{
  if (size < PAYLOAD_SIZE)
    return -1;
  memset (data, 0, PAYLOAD_SIZE); /* min = max = 0 */
  return PAYLOAD_SIZE;
}

/* Nothing to keep: we only send it. */
static gboolean
vsa_rtp_playout_delay_read_extension (GstRTPHeaderExtension *ext,
                                      GstRTPHeaderExtensionFlags read_flags, const guint8 *data,
                                      gsize size, GstBuffer *buffer)
{
  return size == PAYLOAD_SIZE;
}

static void
vsa_rtp_playout_delay_class_init (VsaRtpPlayoutDelayClass *klass)
{
  GstRTPHeaderExtensionClass *ext_class = GST_RTP_HEADER_EXTENSION_CLASS (klass);

  ext_class->get_supported_flags = vsa_rtp_playout_delay_get_supported_flags;
  ext_class->get_max_size = vsa_rtp_playout_delay_get_max_size;
  ext_class->write = vsa_rtp_playout_delay_write_extension;
  ext_class->read = vsa_rtp_playout_delay_read_extension;
  gst_element_class_set_static_metadata (
      GST_ELEMENT_CLASS (klass), "Playout delay RTP header extension", GST_RTP_HDREXT_ELEMENT_CLASS,
      "Asks the receiver to render frames at once (min = max = 0)", "vm-stream-agent");
  gst_rtp_header_extension_class_set_uri (ext_class, VSA_RTP_PLAYOUT_DELAY_URI);
}

static void
vsa_rtp_playout_delay_init (VsaRtpPlayoutDelay *self)
{
}

GstRTPHeaderExtension *
vsa_rtp_playout_delay_new (guint id, gboolean sendonly)
{
  GstRTPHeaderExtension *ext = GST_RTP_HEADER_EXTENSION (
      gst_object_ref_sink (g_object_new (VSA_TYPE_RTP_PLAYOUT_DELAY, NULL)));

  gst_rtp_header_extension_set_id (ext, id);
  if (sendonly)
    gst_rtp_header_extension_set_direction (ext, GST_RTP_HEADER_EXTENSION_DIRECTION_SENDONLY);
  return ext;
}
