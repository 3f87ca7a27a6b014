/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

/* Transport-wide sequence numbers, which the browser acknowledges in RTCP transport-cc
 * feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01). */
#define VSA_CODEC_TWCC_URI                                                                         \
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

#define VSA_CODEC_ERROR (vsa_codec_error_quark ())
GQuark vsa_codec_error_quark (void);

typedef enum
{
  VSA_CODEC_ERROR_NO_VIDEO,
  VSA_CODEC_ERROR_UNSUPPORTED,
  VSA_CODEC_ERROR_UNPARSABLE,
} VsaCodecError;

typedef enum
{
  VSA_CODEC_H264,
  VSA_CODEC_VP8,
  VSA_CODEC_VP9,
} VsaCodec;

/* What to send, read off the offer's video m-line. */
typedef struct
{
  VsaCodec codec;
  guint payload_type;
  guint mline_index;
  char *profile_level_id;   /* H264 only: the offered one (42e01f when it gives none) */
  guint packetization_mode; /* H264 only */
  guint vp9_profile;        /* VP9 only */
  /* The m-line's extmap id for playout-delay (vsa-rtp-playout-delay.h); 0: not offered,
   * or not in a form we can answer. */
  guint playout_delay_id;
  gboolean playout_delay_sendonly; /* offered recvonly: answer it sendonly */
  /* The same for transport-wide congestion control (ids 1-14 only). */
  guint twcc_id;
  gboolean twcc_sendonly;
} VsaCodecChoice;

void vsa_codec_choice_free (VsaCodecChoice *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaCodecChoice, vsa_codec_choice_free)

const char *vsa_codec_to_string (VsaCodec codec);
/* The SDP rtpmap / RTP caps encoding name: "H264", "VP8", "VP9". */
const char *vsa_codec_to_encoding_name (VsaCodec codec);
gboolean vsa_codec_from_string (const char *name, VsaCodec *out_codec);

/* TRUE when the GStreamer elements needed to send @codec are installed. */
gboolean vsa_codec_is_available (VsaCodec codec);

/* A preference of this name alone: the offer's own order, for a browser that set it
 * with setCodecPreferences(). */
#define VSA_CODEC_OFFER_ORDER "offer"

/* Picks the first codec of @preference (names as for vsa_codec_from_string, or
 * VSA_CODEC_OFFER_ORDER: the codec of the first format we can send) that the offer's first
 * video m-line carries in a form we can send and that @available accepts (NULL:
 * vsa_codec_is_available). Within the codec the format we send best wins. The error names
 * what was offered. */
typedef gboolean (*VsaCodecAvailableFunc) (VsaCodec codec);
VsaCodecChoice *vsa_codec_choose (const GstSDPMessage *offer, const char *const *preference,
                                  VsaCodecAvailableFunc available, GError **error);
/* The same for an offer's text, parsed into @out_sdp (an offer either transport received). */
VsaCodecChoice *vsa_codec_choose_offer (const char *offer, const char *const *preference,
                                        GstSDPMessage **out_sdp, GError **error);

G_END_DECLS
