/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-codec.h"

#include <gst/gst.h>
#include <string.h>

#include "vsa-rtp-playout-delay.h"

G_DEFINE_QUARK (vsa - codec - error - quark, vsa_codec_error)

static const struct
{
  VsaCodec codec;
  const char *name;          /* configuration name */
  const char *encoding_name; /* SDP rtpmap name */
  const char *encoder;
  const char *payloader;
} codecs[] = {
  { VSA_CODEC_H264, "h264", "H264", "x264enc", "rtph264pay" },
  { VSA_CODEC_VP8, "vp8", "VP8", "vp8enc", "rtpvp8pay" },
  { VSA_CODEC_VP9, "vp9", "VP9", "vp9enc", "rtpvp9pay" },
};

void
vsa_codec_choice_free (VsaCodecChoice *self)
{
  if (self == NULL)
    return;
  g_free (self->profile_level_id);
  g_free (self);
}

const char *
vsa_codec_to_string (VsaCodec codec)
{
  return codecs[codec].name;
}

const char *
vsa_codec_to_encoding_name (VsaCodec codec)
{
  return codecs[codec].encoding_name;
}

gboolean
vsa_codec_from_string (const char *name, VsaCodec *out_codec)
{
  for (guint i = 0; i < G_N_ELEMENTS (codecs); i++)
    if (g_ascii_strcasecmp (name, codecs[i].name) == 0)
      {
        *out_codec = codecs[i].codec;
        return TRUE;
      }
  return FALSE;
}

gboolean
vsa_codec_is_available (VsaCodec codec)
{
  g_autoptr (GstElementFactory) encoder = gst_element_factory_find (codecs[codec].encoder);
  g_autoptr (GstElementFactory) payloader = gst_element_factory_find (codecs[codec].payloader);

  return encoder != NULL && payloader != NULL;
}

/* The value of @key in an "a=fmtp:<pt> k=v;k=v" line for @pt, or NULL. */
static char *
vsa_codec_fmtp_value (const GstSDPMedia *media, guint pt, const char *key)
{
  g_autofree char *prefix = g_strdup_printf ("%u ", pt);

  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
    {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);
      g_auto (GStrv) params = NULL;

      if (g_strcmp0 (attr->key, "fmtp") != 0 || attr->value == NULL
          || !g_str_has_prefix (attr->value, prefix))
        continue;
      params = g_strsplit (attr->value + strlen (prefix), ";", -1);
      for (guint j = 0; params[j] != NULL; j++)
        {
          char *param = g_strstrip (params[j]);
          gsize key_length = strlen (key);

          if (g_ascii_strncasecmp (param, key, key_length) == 0 && param[key_length] == '=')
            return g_strdup (param + key_length + 1);
        }
    }
  return NULL;
}

/* Lower is better; G_MAXUINT: we cannot send this H264 format. We always send a constrained
 * baseline stream, which every H264 profile's decoder accepts, so the profile only ranks. */
static guint
vsa_codec_h264_rank (const GstSDPMedia *media, guint pt, char **out_profile)
{
  g_autofree char *mode = vsa_codec_fmtp_value (media, pt, "packetization-mode");
  g_autofree char *profile = vsa_codec_fmtp_value (media, pt, "profile-level-id");
  guint rank;

  if (g_strcmp0 (mode, "1") != 0) /* rtph264pay fragments NAL units: mode 1 only */
    return G_MAXUINT;
  if (profile == NULL)
    profile = g_strdup ("42e01f");
  if (strlen (profile) != 6 || !g_ascii_isxdigit (profile[0]))
    return G_MAXUINT;
  if (g_ascii_strncasecmp (profile, "42e0", 4) == 0)
    rank = 0;
  else if (g_ascii_strncasecmp (profile, "42", 2) == 0)
    rank = 1;
  else if (g_ascii_strncasecmp (profile, "4d", 2) == 0)
    rank = 2;
  else if (g_ascii_strncasecmp (profile, "64", 2) == 0)
    rank = 3;
  else
    return G_MAXUINT;
  *out_profile = g_steal_pointer (&profile);
  return rank;
}

/* The encoding of @pt ("VP8/90000") from its a=rtpmap line, or NULL. */
static const char *
vsa_codec_rtpmap_for (const GstSDPMedia *media, guint pt)
{
  g_autofree char *prefix = g_strdup_printf ("%u ", pt);

  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
    {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);

      if (g_strcmp0 (attr->key, "rtpmap") == 0 && attr->value != NULL
          && g_str_has_prefix (attr->value, prefix))
        return attr->value + strlen (prefix);
    }
  return NULL;
}

/* How well we send @pt as @codec, lower is better; G_MAXUINT: not at all (another codec,
 * or a form we cannot send). */
static guint
vsa_codec_format_rank (const GstSDPMedia *media, guint pt, VsaCodec codec, char **out_profile)
{
  g_autofree char *encoding = g_strconcat (codecs[codec].encoding_name, "/90000", NULL);
  g_autofree char *vp9_profile = NULL;
  const char *rtpmap = vsa_codec_rtpmap_for (media, pt);

  if (rtpmap == NULL || g_ascii_strcasecmp (rtpmap, encoding) != 0)
    return G_MAXUINT;
  if (codec == VSA_CODEC_H264)
    return vsa_codec_h264_rank (media, pt, out_profile);
  if (codec != VSA_CODEC_VP9)
    return 0;
  /* vp9enc here sends profile 0 (8-bit 4:2:0) */
  vp9_profile = vsa_codec_fmtp_value (media, pt, "profile-id");
  return vp9_profile == NULL || g_strcmp0 (vp9_profile, "0") == 0 ? 0 : G_MAXUINT;
}

/* The best payload type in @media for @codec, or NULL. */
static VsaCodecChoice *
vsa_codec_choose_in_media (const GstSDPMedia *media, VsaCodec codec)
{
  g_autoptr (VsaCodecChoice) best = NULL;
  guint best_rank = G_MAXUINT;
  gboolean seen[128] = { FALSE };

  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++)
    {
      g_autofree char *profile = NULL;
      guint64 pt;
      guint rank;

      /* A repeated format ranks the same; skipping it keeps a long list of repeats from
       * costing formats times attributes (a 300 kB offer took 14 s). */
      if (!g_ascii_string_to_unsigned (gst_sdp_media_get_format (media, i), 10, 0, 127, &pt, NULL)
          || seen[pt])
        continue;
      seen[pt] = TRUE;
      rank = vsa_codec_format_rank (media, (guint) pt, codec, &profile);
      if (rank >= best_rank)
        continue;

      best_rank = rank;
      g_clear_pointer (&best, vsa_codec_choice_free);
      best = g_new0 (VsaCodecChoice, 1);
      best->codec = codec;
      best->payload_type = (guint) pt;
      best->profile_level_id = g_steal_pointer (&profile);
      best->packetization_mode = codec == VSA_CODEC_H264 ? 1 : 0;
    }
  return g_steal_pointer (&best);
}

/* The id of the offer's "a=extmap:<id>[/<direction>] <uri>" on @media, or 0; @what names
 * the extension in logs. One-byte headers carry ids 1-14. Ids 16-255 need two-byte headers,
 * which only a browser that offered extmap-allow-mixed reads (RFC 8285 section 6), and only
 * when @two_byte_ok. 15 is never usable: it is reserved in the one-byte form and GStreamer's
 * SDP writer drops it from the answer. */
static guint
vsa_codec_offered_extmap_id (const GstSDPMessage *offer, const GstSDPMedia *media, const char *uri,
                             const char *what, gboolean two_byte_ok, gboolean *out_sendonly)
{
  gboolean two_byte = two_byte_ok
                      && (gst_sdp_message_get_attribute_val (offer, "extmap-allow-mixed") != NULL
                          || gst_sdp_media_get_attribute_val (media, "extmap-allow-mixed") != NULL);

  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
    {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);
      g_auto (GStrv) fields = NULL;
      char *direction;
      guint64 id;

      if (g_strcmp0 (attr->key, "extmap") != 0 || attr->value == NULL
          || strstr (attr->value, uri) == NULL)
        continue;
      fields = g_strsplit (attr->value, " ", 3);
      if (g_strv_length (fields) < 2 || g_strcmp0 (fields[1], uri) != 0)
        continue;

      /* the first such line decides */
      if ((direction = strchr (fields[0], '/')) != NULL)
        *direction++ = '\0';
      if (!g_ascii_string_to_unsigned (fields[0], 10, 1, 255, &id, NULL) || id == 15
          || (id > 14 && !two_byte))
        {
          g_debug ("%s not answered: unusable extmap \"%s\"", what, attr->value);
          return 0;
        }
      /* the browser must receive it: offered sendrecv (no direction) or recvonly */
      if (direction != NULL && g_strcmp0 (direction, "sendrecv") != 0
          && g_strcmp0 (direction, "recvonly") != 0)
        {
          g_debug ("%s not answered: offered %s", what, direction);
          return 0;
        }
      *out_sendonly = g_strcmp0 (direction, "recvonly") == 0;
      return (guint) id;
    }
  return 0;
}

/* VSA_CODEC_OFFER_ORDER: our codecs in the order their first format we can send comes
 * in @media, into @order (NULL-terminated, room for every codec). */
static void
vsa_codec_offer_order (const GstSDPMedia *media, const char **order)
{
  gboolean seen[128] = { FALSE };
  gboolean listed[G_N_ELEMENTS (codecs)] = { FALSE };
  guint n = 0;

  for (guint i = 0; i < gst_sdp_media_formats_len (media) && n < G_N_ELEMENTS (codecs); i++)
    {
      guint64 pt;

      if (!g_ascii_string_to_unsigned (gst_sdp_media_get_format (media, i), 10, 0, 127, &pt, NULL)
          || seen[pt])
        continue;
      seen[pt] = TRUE;
      for (guint c = 0; c < G_N_ELEMENTS (codecs); c++)
        {
          g_autofree char *profile = NULL;

          if (!listed[c]
              && vsa_codec_format_rank (media, (guint) pt, codecs[c].codec, &profile) != G_MAXUINT)
            {
              listed[c] = TRUE;
              order[n++] = codecs[c].name;
            }
        }
    }
  order[n] = NULL;
}

/* "VP8, VP9, AV1": the media codecs of @media, for error messages. */
static char *
vsa_codec_offered_codecs (const GstSDPMedia *media)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gboolean seen[128] = { FALSE };

  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++)
    {
      guint64 pt;
      const char *rtpmap;
      g_autofree char *name = NULL;

      if (!g_ascii_string_to_unsigned (gst_sdp_media_get_format (media, i), 10, 0, 127, &pt, NULL)
          || seen[pt])
        continue;
      seen[pt] = TRUE;
      if ((rtpmap = vsa_codec_rtpmap_for (media, (guint) pt)) == NULL)
        continue;
      name = g_strndup (rtpmap, strcspn (rtpmap, "/"));
      /* resilience formats are not codecs */
      if (g_ascii_strcasecmp (name, "rtx") == 0 || g_ascii_strcasecmp (name, "red") == 0
          || g_ascii_strcasecmp (name, "ulpfec") == 0
          || g_ascii_strncasecmp (name, "flexfec", 7) == 0
          || g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL))
        continue;
      g_ptr_array_add (names, g_steal_pointer (&name));
    }
  if (names->len == 0)
    return g_strdup ("none");
  g_ptr_array_add (names, NULL);
  return g_strjoinv (", ", (char **) names->pdata);
}

VsaCodecChoice *
vsa_codec_choose (const GstSDPMessage *offer, const char *const *preference,
                  VsaCodecAvailableFunc available, GError **error)
{
  const GstSDPMedia *video = NULL;
  guint mline_index = 0;
  g_autofree char *offered = NULL;
  g_autofree char *wanted = NULL;
  const char *const *order = preference;
  const char *offer_order[G_N_ELEMENTS (codecs) + 1];

  if (available == NULL)
    available = vsa_codec_is_available;

  for (guint i = 0; i < gst_sdp_message_medias_len (offer) && video == NULL; i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (offer, i);

      if (g_strcmp0 (gst_sdp_media_get_media (media), "video") == 0)
        {
          video = media;
          mline_index = i;
        }
    }
  if (video == NULL)
    {
      g_set_error_literal (error, VSA_CODEC_ERROR, VSA_CODEC_ERROR_NO_VIDEO,
                           "the offer has no video m-line");
      return NULL;
    }

  if (g_strv_length ((char **) preference) == 1
      && g_strcmp0 (preference[0], VSA_CODEC_OFFER_ORDER) == 0)
    {
      vsa_codec_offer_order (video, offer_order);
      order = offer_order;
    }
  for (guint i = 0; order[i] != NULL; i++)
    {
      VsaCodecChoice *choice;
      VsaCodec codec;

      if (!vsa_codec_from_string (order[i], &codec) || !available (codec))
        continue;
      choice = vsa_codec_choose_in_media (video, codec);
      if (choice != NULL)
        {
          choice->mline_index = mline_index;
          choice->playout_delay_id = vsa_codec_offered_extmap_id (
              offer, video, VSA_RTP_PLAYOUT_DELAY_URI, "playout-delay", TRUE,
              &choice->playout_delay_sendonly);
          /* rtpsession (1.22) finds its sequence number in one-byte headers only */
          choice->twcc_id = vsa_codec_offered_extmap_id (
              offer, video, VSA_CODEC_TWCC_URI, "transport-wide-cc", FALSE, &choice->twcc_sendonly);
          return choice;
        }
    }

  offered = vsa_codec_offered_codecs (video);
  wanted = g_strjoinv (", ", (char **) preference);
  g_set_error (
      error, VSA_CODEC_ERROR, VSA_CODEC_ERROR_UNSUPPORTED,
      "the offer's video codecs (%s) include none of ours that are installed (preference: %s)",
      offered, wanted);
  return NULL;
}

VsaCodecChoice *
vsa_codec_choose_offer (const char *offer, const char *const *preference, GstSDPMessage **out_sdp,
                        GError **error)
{
  g_autoptr (GstSDPMessage) sdp = NULL;
  VsaCodecChoice *choice;

  if (gst_sdp_message_new_from_text (offer, &sdp) != GST_SDP_OK)
    {
      g_set_error_literal (error, VSA_CODEC_ERROR, VSA_CODEC_ERROR_UNPARSABLE,
                           "its SDP does not parse");
      return NULL;
    }
  choice = vsa_codec_choose (sdp, preference, NULL, error);
  if (choice != NULL)
    *out_sdp = g_steal_pointer (&sdp);
  return choice;
}
