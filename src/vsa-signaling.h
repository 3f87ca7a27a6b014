/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The controller's JSON documents: offers, answers, candidates, ICE servers. */

#define VSA_SIGNALING_ERROR (vsa_signaling_error_quark ())
GQuark vsa_signaling_error_quark (void);

typedef enum
{
  VSA_SIGNALING_ERROR_PARSE,
  VSA_SIGNALING_ERROR_SHAPE,
} VsaSignalingError;

typedef struct
{
  char *candidate; /* always starts with "candidate:" */
  int mline_index; /* -1 when the sender gave only sdpMid */
  char *mid;       /* NULL when absent */
} VsaCandidate;

VsaCandidate *vsa_candidate_new (const char *candidate, int mline_index, const char *mid);
void vsa_candidate_free (VsaCandidate *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaCandidate, vsa_candidate_free)

/* TRUE for a candidate whose address is an mDNS name (unresolvable in the VM). */
gboolean vsa_candidate_is_mdns (const VsaCandidate *self);

typedef struct
{
  char *sdp;
  GPtrArray *candidates; /* of VsaCandidate */
} VsaOffer;

void vsa_offer_free (VsaOffer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaOffer, vsa_offer_free)

/* A short name for the offer in logs: 12 hex digits of a hash of its SDP's o= line (the
 * browser makes a new session id for each peer connection), or of the whole SDP when it
 * has none. Never NULL. */
char *vsa_offer_dup_id (const char *sdp);

typedef struct
{
  char **urls; /* stun:, stuns:, turn: or turns: URLs */
  char *username;
  char *credential;
} VsaIceServer;

void vsa_ice_server_free (VsaIceServer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaIceServer, vsa_ice_server_free)

/* GET …/offer 200 body: {offer:{type:"offer", sdp}, candidates?:[…]} */
VsaOffer *vsa_offer_parse (const char *body, gsize length, GError **error);

/* GET …/candidates/browser body: {candidates:[…]}; returns VsaCandidate array */
GPtrArray *vsa_candidates_parse (const char *body, gsize length, GError **error);

/* GET /api/webrtc/ice-servers body; returns VsaIceServer array */
GPtrArray *vsa_ice_servers_parse (const char *body, gsize length, GError **error);

/* POST …/answer body: {answer:{type:"answer", sdp}, candidates:[…]} */
char *vsa_answer_to_json (const char *sdp, GPtrArray *candidates);

/* POST …/candidate body: {candidate, sdpMLineIndex, sdpMid?, from:"vm"} */
char *vsa_candidate_to_json (const VsaCandidate *candidate);

G_END_DECLS
