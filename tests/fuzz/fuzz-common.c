/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fuzz-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static GLogWriterOutput
write_log (GLogLevelFlags log_level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  /* Warnings about bad input are expected and would drown libFuzzer's output. */
  if ((log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) == 0)
    return G_LOG_WRITER_HANDLED;
  g_log_writer_standard_streams (log_level, fields, n_fields, user_data);
  abort ();
}

void
vsa_fuzz_init (void)
{
  g_log_set_writer_func (write_log, NULL, NULL);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
}

void
vsa_fuzz_fail (const char *file, int line, const char *expression)
{
  fprintf (stderr, "%s:%d: invariant broken: %s\n", file, line, expression);
  abort ();
}

void
vsa_fuzz_check_candidates (GPtrArray *candidates)
{
  VSA_FUZZ_CHECK (candidates != NULL);
  for (guint i = 0; i < candidates->len; i++)
    {
      const VsaCandidate *candidate = g_ptr_array_index (candidates, i);

      VSA_FUZZ_CHECK (g_str_has_prefix (candidate->candidate, "candidate:"));
      VSA_FUZZ_CHECK (g_utf8_validate (candidate->candidate, -1, NULL));
      VSA_FUZZ_CHECK (candidate->mline_index >= -1 && candidate->mline_index <= 255);
      VSA_FUZZ_CHECK (candidate->mid == NULL || g_utf8_validate (candidate->mid, -1, NULL));
      (void) vsa_candidate_is_mdns (candidate);
    }
}

static gboolean
all_available (VsaCodec codec)
{
  return TRUE;
}

static gboolean
no_h264 (VsaCodec codec)
{
  return codec != VSA_CODEC_H264;
}

/* Whether @media lists @payload_type and maps it first to @codec at 90 kHz. */
static gboolean
media_maps (const GstSDPMedia *media, guint payload_type, VsaCodec codec)
{
  g_autofree char *prefix = g_strdup_printf ("%u ", payload_type);
  g_autofree char *encoding = g_strconcat (vsa_codec_to_string (codec), "/90000", NULL);
  gboolean listed = FALSE;

  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++)
    {
      guint64 pt;

      if (g_ascii_string_to_unsigned (gst_sdp_media_get_format (media, i), 10, 0, 127, &pt, NULL)
          && pt == payload_type)
        listed = TRUE;
    }
  for (guint i = 0; listed && i < gst_sdp_media_attributes_len (media); i++)
    {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);

      if (g_strcmp0 (attr->key, "rtpmap") == 0 && attr->value != NULL
          && g_str_has_prefix (attr->value, prefix))
        return g_ascii_strcasecmp (attr->value + strlen (prefix), encoding) == 0;
    }
  return FALSE;
}

static gboolean
preferred (const char *const *preference, VsaCodec codec)
{
  /* the offer's order: any codec of ours */
  if (g_strcmp0 (preference[0], VSA_CODEC_OFFER_ORDER) == 0)
    return TRUE;
  for (guint i = 0; preference[i] != NULL; i++)
    {
      VsaCodec named;

      if (vsa_codec_from_string (preference[i], &named) && named == codec)
        return TRUE;
    }
  return FALSE;
}

void
vsa_fuzz_choose_codecs (const GstSDPMessage *sdp)
{
  static const struct
  {
    const char *preference[4];
    VsaCodecAvailableFunc available;
  } cases[] = {
    { { "h264", "vp8", "vp9", NULL }, all_available },
    { { "h264", "vp9", "vp8", NULL }, no_h264 },
    { { "VP8", "av1", NULL }, all_available },
    { { VSA_CODEC_OFFER_ORDER, NULL }, no_h264 },
    { { NULL }, all_available },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *const *preference = cases[i].preference;
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaCodecChoice) choice
          = vsa_codec_choose (sdp, preference, cases[i].available, &error);
      const GstSDPMedia *media;

      if (choice == NULL)
        {
          VSA_FUZZ_CHECK (error != NULL && error->domain == VSA_CODEC_ERROR);
          continue;
        }
      VSA_FUZZ_CHECK (error == NULL);
      VSA_FUZZ_CHECK (preferred (preference, choice->codec) && cases[i].available (choice->codec));
      VSA_FUZZ_CHECK (choice->mline_index < gst_sdp_message_medias_len (sdp));
      media = gst_sdp_message_get_media (sdp, choice->mline_index);
      VSA_FUZZ_CHECK (g_strcmp0 (gst_sdp_media_get_media (media), "video") == 0);
      VSA_FUZZ_CHECK (media_maps (media, choice->payload_type, choice->codec));
      if (choice->codec == VSA_CODEC_H264)
        VSA_FUZZ_CHECK (choice->profile_level_id != NULL && strlen (choice->profile_level_id) == 6
                        && choice->packetization_mode == 1);
      else
        VSA_FUZZ_CHECK (choice->profile_level_id == NULL);
      /* an id the payloader and the answer can carry, or 0 */
      VSA_FUZZ_CHECK (choice->playout_delay_id <= 255 && choice->playout_delay_id != 15);
      VSA_FUZZ_CHECK (choice->playout_delay_id != 0 || !choice->playout_delay_sendonly);
    }
}

JsonNode *
vsa_fuzz_parse_own_json (const char *json)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) error = NULL;
  JsonNode *root;

  VSA_FUZZ_CHECK (json != NULL && g_utf8_validate (json, -1, NULL));
  if (!json_parser_load_from_data (parser, json, -1, &error))
    vsa_fuzz_fail (__FILE__, __LINE__, error->message);
  root = json_parser_steal_root (parser);
  VSA_FUZZ_CHECK (JSON_NODE_HOLDS_OBJECT (root));
  return root;
}

void
vsa_fuzz_check_candidate_object (JsonObject *object, const VsaCandidate *candidate)
{
  JsonNode *mid = json_object_get_member (object, "sdpMid");

  VSA_FUZZ_CHECK (g_strcmp0 (json_object_get_string_member_with_default (object, "candidate", NULL),
                             candidate->candidate)
                  == 0);
  VSA_FUZZ_CHECK (json_object_get_int_member_with_default (object, "sdpMLineIndex", -1)
                  == MAX (candidate->mline_index, 0));
  VSA_FUZZ_CHECK ((mid == NULL) == (candidate->mid == NULL));
  VSA_FUZZ_CHECK (mid == NULL || g_strcmp0 (json_node_get_string (mid), candidate->mid) == 0);
}
