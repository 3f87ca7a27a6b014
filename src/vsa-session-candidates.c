/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-session-candidates.h"

#include <string.h>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "vsa-session-candidates"

struct _VsaSessionCandidates
{
  GStrv mids;              /* the offer's a=mid per m-line, "" when absent */
  int bundle_mline;        /* the first m-line of the offer's BUNDLE group, -1 without one */
  GHashTable *remote_seen; /* the browser's candidate lines already taken */
};

/* "a=group:BUNDLE <mid> …": the m-line of its first mid. */
static int
vsa_session_candidates_bundle_mline (VsaSessionCandidates *self, const GstSDPMessage *offer)
{
  const char *group = gst_sdp_message_get_attribute_val (offer, "group");
  g_auto (GStrv) fields = NULL;

  if (group == NULL || !g_str_has_prefix (group, "BUNDLE "))
    return -1;
  fields = g_strsplit (group + strlen ("BUNDLE "), " ", 2);
  for (guint i = 0; fields[0] != NULL && self->mids[i] != NULL; i++)
    if (g_strcmp0 (self->mids[i], fields[0]) == 0)
      return (int) i;
  return -1;
}

VsaSessionCandidates *
vsa_session_candidates_new (const GstSDPMessage *offer)
{
  VsaSessionCandidates *self = g_new0 (VsaSessionCandidates, 1);
  g_autoptr (GStrvBuilder) mids = g_strv_builder_new ();

  for (guint i = 0; i < gst_sdp_message_medias_len (offer); i++)
    {
      const char *mid
          = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (offer, i), "mid");

      g_strv_builder_add (mids, mid != NULL ? mid : "");
    }
  self->mids = g_strv_builder_end (mids);
  self->bundle_mline = vsa_session_candidates_bundle_mline (self, offer);
  self->remote_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

void
vsa_session_candidates_free (VsaSessionCandidates *self)
{
  if (self == NULL)
    return;
  g_strfreev (self->mids);
  g_hash_table_unref (self->remote_seen);
  g_free (self);
}

VsaCandidate *
vsa_session_candidates_local (VsaSessionCandidates *self, guint mline, const char *candidate)
{
  const char *mid = mline < g_strv_length (self->mids) ? self->mids[mline] : "";

  return vsa_candidate_new (candidate, (int) mline, *mid != '\0' ? mid : NULL);
}

/* Its index, else the m-line its mid names, else the first. */
static guint
vsa_session_candidates_mline (VsaSessionCandidates *self, const VsaCandidate *candidate)
{
  if (candidate->mline_index >= 0)
    return (guint) candidate->mline_index;
  for (guint i = 0; candidate->mid != NULL && self->mids[i] != NULL; i++)
    if (g_strcmp0 (self->mids[i], candidate->mid) == 0)
      return i;
  return 0;
}

gboolean
vsa_session_candidates_take_remote (VsaSessionCandidates *self, const VsaCandidate *candidate,
                                    guint *out_mline)
{
  if (!g_hash_table_add (self->remote_seen, g_strdup (candidate->candidate)))
    return FALSE;
  if (vsa_candidate_is_mdns (candidate))
    {
      g_debug ("skipping mDNS candidate %s", candidate->candidate);
      return FALSE;
    }
  g_debug ("remote candidate %s", candidate->candidate);
  *out_mline = vsa_session_candidates_mline (self, candidate);
  return TRUE;
}

GArray *
vsa_session_candidates_transport_mlines (VsaSessionCandidates *self)
{
  GArray *mlines = g_array_new (FALSE, FALSE, sizeof (guint));

  if (self->bundle_mline >= 0)
    {
      guint mline = (guint) self->bundle_mline;

      g_array_append_val (mlines, mline);
      return mlines;
    }
  for (guint i = 0; self->mids[i] != NULL; i++)
    g_array_append_val (mlines, i);
  return mlines;
}
