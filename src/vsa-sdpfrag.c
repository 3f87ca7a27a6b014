/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-sdpfrag.h"

#include <string.h>

void
vsa_sdpfrag_free (VsaSdpFrag *self)
{
  if (self == NULL)
    return;
  g_free (self->ice_ufrag);
  g_free (self->ice_pwd);
  g_ptr_array_unref (self->candidates);
  g_free (self);
}

static void
vsa_sdpfrag_set (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

/* "candidate:foundation component transport priority address port typ type …" */
static gboolean
vsa_sdpfrag_is_candidate (const char *value)
{
  g_auto (GStrv) fields = g_strsplit_set (value, " ", -1);

  return g_strv_length (fields) >= 8 && strlen (fields[0]) > strlen ("candidate:")
         && g_strcmp0 (fields[6], "typ") == 0 && *fields[7] != '\0';
}

/* The section's candidates get its mid once it is known: a=mid may follow them. */
static void
vsa_sdpfrag_end_section (VsaSdpFrag *self, guint first, int index, const char *mid)
{
  for (guint i = first; i < self->candidates->len; i++)
    {
      VsaCandidate *candidate = g_ptr_array_index (self->candidates, i);

      candidate->mid = g_strdup (mid);
      candidate->mline_index = mid != NULL ? -1 : MAX (index, 0);
    }
}

static gboolean
vsa_sdpfrag_fail (GError **error, const char *line, const char *why)
{
  g_set_error (error, VSA_SIGNALING_ERROR, VSA_SIGNALING_ERROR_PARSE,
               "not a trickle ICE fragment: %s (\"%.40s\")", why, line);
  return FALSE;
}

static gboolean
vsa_sdpfrag_parse_lines (VsaSdpFrag *self, char **lines, GError **error)
{
  int section = -1; /* the m= section's index, -1 before the first */
  guint first = 0;  /* its first candidate */
  g_autofree char *mid = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strchomp (lines[i]);
      const char *value = line + 2;

      if (*line == '\0')
        continue;
      if (!g_ascii_islower (line[0]) || line[1] != '=')
        return vsa_sdpfrag_fail (error, line, "a line that is not x=value");
      if (line[0] == 'm')
        {
          vsa_sdpfrag_end_section (self, first, section, mid);
          g_clear_pointer (&mid, g_free);
          section++;
          first = self->candidates->len;
        }
      else if (line[0] != 'a')
        continue;
      else if (g_str_has_prefix (value, "candidate:"))
        {
          if (!vsa_sdpfrag_is_candidate (value))
            return vsa_sdpfrag_fail (error, line, "a candidate without its fields");
          g_ptr_array_add (self->candidates, vsa_candidate_new (value, -1, NULL));
        }
      else if (g_str_has_prefix (value, "mid:"))
        vsa_sdpfrag_set (&mid, value + strlen ("mid:"));
      else if (g_str_has_prefix (value, "ice-ufrag:"))
        vsa_sdpfrag_set (&self->ice_ufrag, value + strlen ("ice-ufrag:"));
      else if (g_str_has_prefix (value, "ice-pwd:"))
        vsa_sdpfrag_set (&self->ice_pwd, value + strlen ("ice-pwd:"));
      else if (g_strcmp0 (value, "end-of-candidates") == 0)
        self->end_of_candidates = TRUE;
    }
  vsa_sdpfrag_end_section (self, first, section, mid);
  if (self->candidates->len == 0 && !self->end_of_candidates && self->ice_ufrag == NULL)
    return vsa_sdpfrag_fail (error, "", "no candidates and no ICE credentials");
  return TRUE;
}

VsaSdpFrag *
vsa_sdpfrag_parse (const char *text, gsize length, GError **error)
{
  g_autoptr (VsaSdpFrag) self = g_new0 (VsaSdpFrag, 1);
  g_autofree char *copy = NULL;
  g_auto (GStrv) lines = NULL;

  self->candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) vsa_candidate_free);
  if (memchr (text, '\0', length) != NULL || !g_utf8_validate (text, (gssize) length, NULL))
    {
      vsa_sdpfrag_fail (error, "", "not UTF-8 text");
      return NULL;
    }
  copy = g_strndup (text, length);
  lines = g_strsplit (copy, "\n", -1);
  if (!vsa_sdpfrag_parse_lines (self, lines, error))
    return NULL;
  return g_steal_pointer (&self);
}
