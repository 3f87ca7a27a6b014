/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/sdp/sdp.h>

#include "vsa-signaling.h"

G_BEGIN_DECLS

/* A session's ICE candidates both ways, against the offer's m-lines: ours named by the
 * offer's a=mid for the m-line webrtcbin gathered them on; the browser's given to
 * webrtcbin once each, on the m-line their index or mid names, mDNS names left out (the
 * VM cannot resolve them; peer-reflexive candidates cover them). Main context. */
typedef struct _VsaSessionCandidates VsaSessionCandidates;

VsaSessionCandidates *vsa_session_candidates_new (const GstSDPMessage *offer);
void vsa_session_candidates_free (VsaSessionCandidates *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaSessionCandidates, vsa_session_candidates_free)

/* Ours, as webrtcbin's "on-ice-candidate" gives it. */
VsaCandidate *vsa_session_candidates_local (VsaSessionCandidates *self, guint mline,
                                            const char *candidate);
/* The browser's: TRUE, with the m-line to add it on, when webrtcbin should have it; FALSE
 * for one seen before or an mDNS name. */
gboolean vsa_session_candidates_take_remote (VsaSessionCandidates *self,
                                             const VsaCandidate *candidate, guint *out_mline);
/* The m-lines that have an ICE transport, to end the browser's candidates on: the first
 * of the offer's BUNDLE group (our answer bundles everything there), else each. */
GArray *vsa_session_candidates_transport_mlines (VsaSessionCandidates *self);

G_END_DECLS
