/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vsa-signaling.h"

G_BEGIN_DECLS

/* A trickle ICE SDP fragment (RFC 8840, application/trickle-ice-sdpfrag), as a WHEP
 * client PATCHes it (RFC 9725 section 4.3): the ICE credentials it names, its candidates
 * with the mid of their m= section (or, without one, the section's index), and whether it
 * ends the candidates. */
typedef struct
{
  char *ice_ufrag; /* NULL when absent */
  char *ice_pwd;
  GPtrArray *candidates; /* of VsaCandidate */
  gboolean end_of_candidates;
} VsaSdpFrag;

/* VSA_SIGNALING_ERROR_PARSE for a line that is not "x=value", a candidate line without its
 * eight fields, or a fragment with neither candidates nor credentials. */
VsaSdpFrag *vsa_sdpfrag_parse (const char *text, gsize length, GError **error);
void vsa_sdpfrag_free (VsaSdpFrag *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaSdpFrag, vsa_sdpfrag_free)

G_END_DECLS
