/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* A fake controller: the real controller's HTTP contract (see DESIGN.md), quirks
 * included, plus what the real frontend uses (offer/answer/candidate posts from the
 * browser side), a report endpoint for test pages and optional static files.
 *
 * Endpoints, under /api/webrtc:
 *   GET  /ice-servers                         {success, iceServers}
 *   POST /session/{id}/offer                  stores {offer, candidates}; resets the session
 *   GET  /session/{id}/offer                  404 {error, retry} until stored
 *   POST /session/{id}/answer                 replaces the VM candidates with the body's
 *   GET  /session/{id}/answer                 200 {error, retry} until answered
 *   POST /session/{id}/candidate              {candidate, sdpMLineIndex, sdpMid?, from}
 *   GET  /session/{id}/candidates/{browser|vm} the whole list, ?since= ignored
 * and POST /report/{id} (a test page's state: a JSON object, the latest kept per id),
 * GET /report/{id} (that object, for curl), GET / and GET /<file> from static_dir.
 *
 * Everything runs on the thread-default main context of the caller of
 * vsa_test_controller_new(); iterate it to serve requests. */
typedef struct _VsaTestController VsaTestController;

/* port 0 picks a free port. static_dir may be NULL. */
VsaTestController *vsa_test_controller_new (const char *address, guint port, const char *static_dir,
                                            GError **error);
/* The same on https with the certificate and key in PEM files, on a free port. */
VsaTestController *vsa_test_controller_new_https (const char *address, const char *cert_file,
                                                  const char *key_file, GError **error);
void vsa_test_controller_free (VsaTestController *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaTestController, vsa_test_controller_free)

/* "http://127.0.0.1:PORT" (or https), no trailing slash. */
char *vsa_test_controller_get_url (VsaTestController *self);
guint vsa_test_controller_get_port (VsaTestController *self);

/* Same as POST .../offer with body_json ({offer:{type,sdp}, candidates}). */
gboolean vsa_test_controller_store_offer (VsaTestController *self, const char *session_id,
                                          const char *body_json, GError **error);
/* Same as POST .../candidate with from "browser"; sdp_mid may be NULL. */
void vsa_test_controller_add_browser_candidate (VsaTestController *self, const char *session_id,
                                                const char *candidate, int sdp_mline_index,
                                                const char *sdp_mid);

/* The stored answer as GET .../answer returns it ({answer, candidates} with the
 * current VM candidates), or NULL when the session has no answer. */
char *vsa_test_controller_dup_answer (VsaTestController *self, const char *session_id);
/* Accepted answer POSTs since the last offer was stored. */
guint vsa_test_controller_get_answer_count (VsaTestController *self, const char *session_id);
/* Wall-clock times (g_get_real_time()) of the session's current offer: stored, first
 * fetched, first answer stored; 0 for what has not happened yet. */
typedef struct
{
  gint64 stored_us;
  gint64 fetched_us;
  gint64 answered_us;
} VsaTestOfferTimes;
/* FALSE when the session has no offer. */
gboolean vsa_test_controller_get_offer_times (VsaTestController *self, const char *session_id,
                                              VsaTestOfferTimes *times);
/* The current VM candidate list as a JSON array, never NULL. */
char *vsa_test_controller_dup_vm_candidates (VsaTestController *self, const char *session_id);

/* Requests served whose method is method (NULL: any) and whose path (without query)
 * ends with path_suffix (NULL: any), e.g. ("GET", "/offer"). */
guint vsa_test_controller_get_request_count (VsaTestController *self, const char *method,
                                             const char *path_suffix);
/* The client's port in the latest such request (0: none): which connection it came on. */
guint vsa_test_controller_get_client_port (VsaTestController *self, const char *method,
                                           const char *path_suffix);
/* The next such request's connection is closed with no reply, as a proxy's reset. */
void vsa_test_controller_reset_next (VsaTestController *self, const char *method,
                                     const char *path_suffix);
/* Iterates the main context until more than count such requests were served, at most
 * timeout_ms (as vsa_test_wait_until); FALSE on timeout. */
gboolean vsa_test_controller_wait_requests (VsaTestController *self, const char *method,
                                            const char *path_suffix, guint count, guint timeout_ms);

/* The latest object POSTed to /report/{id}, or NULL. */
JsonNode *vsa_test_controller_dup_report (VsaTestController *self, const char *id);

/* What GET /api/webrtc/ice-servers returns as iceServers: a JSON array. */
gboolean vsa_test_controller_set_ice_servers (VsaTestController *self,
                                              const char *ice_servers_json_array, GError **error);

/* Until called again with body NULL, every GET .../offer is answered with status and
 * body as they are (not JSON, say), without Content-Length when chunked, with
 * Retry-After when retry_after_s is not 0. */
void vsa_test_controller_set_raw_offer (VsaTestController *self, guint status,
                                        const char *content_type, GBytes *body, gboolean chunked,
                                        guint retry_after_s);

/* A share (rate, 0 to 1) of the requests under /api/ fail: 5xx with an HTML page, 429
 * with Retry-After: 1, a connection reset, or a reply held for 1 to 7 s. The choices
 * come from a generator seeded with seed, so a failure can be replayed. 0 turns it off. */
void vsa_test_controller_set_faults (VsaTestController *self, double rate, guint32 seed);
guint vsa_test_controller_get_faults_injected (VsaTestController *self);

/* Requests under /api/ without "Authorization: Bearer <token>" get 401 (NULL: none
 * needed); how many did. */
void vsa_test_controller_set_token (VsaTestController *self, const char *token);
guint vsa_test_controller_get_unauthorized_count (VsaTestController *self);

/* Until called again with 0, every POST .../answer is refused with this status. */
void vsa_test_controller_set_answer_status (VsaTestController *self, guint status);
/* The same for every POST .../candidate. */
void vsa_test_controller_set_candidate_status (VsaTestController *self, guint status);

/* Serves requests under path (e.g. "/quality") with callback instead: a test's or the
 * benchmark's own endpoints beside the controller's. */
void vsa_test_controller_add_handler (VsaTestController *self, const char *path,
                                      SoupServerCallback callback, gpointer user_data);

G_END_DECLS
