/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-test-sdp.h"

GstSDPMessage *
vsa_test_sdp_parse (const char *text)
{
  GstSDPMessage *sdp = NULL;

  if (text == NULL || gst_sdp_message_new_from_text (text, &sdp) != GST_SDP_OK
      || gst_sdp_message_medias_len (sdp) == 0)
    {
      g_clear_pointer (&sdp, gst_sdp_message_free);
      return NULL;
    }
  return sdp;
}

const GstSDPMedia *
vsa_test_sdp_get_media (const GstSDPMessage *sdp, const char *kind)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

      if (g_strcmp0 (gst_sdp_media_get_media (media), kind) == 0)
        return media;
    }
  return NULL;
}

GStrv
vsa_test_sdp_get_attributes (const GstSDPMedia *media, const char *key)
{
  g_autoptr (GStrvBuilder) values = g_strv_builder_new ();

  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
    {
      const GstSDPAttribute *attribute = gst_sdp_media_get_attribute (media, i);

      if (g_strcmp0 (attribute->key, key) == 0)
        g_strv_builder_add (values, attribute->value != NULL ? attribute->value : "");
    }
  return g_strv_builder_end (values);
}

char *
vsa_test_sdp_get_extmap (const GstSDPMedia *media, const char *uri)
{
  g_auto (GStrv) extmaps = vsa_test_sdp_get_attributes (media, "extmap");

  for (guint i = 0; extmaps[i] != NULL; i++)
    {
      /* "ID[/DIRECTION] URI [ATTRIBUTES]" */
      g_auto (GStrv) fields = g_strsplit (extmaps[i], " ", 3);

      if (fields[0] != NULL && fields[1] != NULL && g_str_equal (fields[1], uri))
        return g_strdup (fields[0]);
    }
  return NULL;
}
