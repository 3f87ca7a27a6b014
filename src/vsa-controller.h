/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "vsa-config.h"
#include "vsa-signaling.h"

G_BEGIN_DECLS

#define VSA_CONTROLLER_ERROR (vsa_controller_error_quark ())
GQuark vsa_controller_error_quark (void);

/* In the VSA_CONTROLLER_ERROR domain the error code is the unexpected HTTP status. */

/* The controller's HTTP API for one session. libsoup, async, main context only. Every
 * request carries the bearer token when configured, is bounded by the request timeout
 * as a whole, and reads at most 1 MiB of body. */
#define VSA_TYPE_CONTROLLER (vsa_controller_get_type ())
G_DECLARE_FINAL_TYPE (VsaController, vsa_controller, VSA, CONTROLLER, GObject)

/* Fails only on an unusable ca-file. */
VsaController *vsa_controller_new (const VsaConfig *config, GError **error);

/* Resolves to the stored offer; to NULL without error when there is none yet (404). */
void vsa_controller_get_offer_async (VsaController *self, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
VsaOffer *vsa_controller_get_offer_finish (VsaController *self, GAsyncResult *result,
                                           GError **error);

/* Resolves to an array of VsaIceServer. */
void vsa_controller_get_ice_servers_async (VsaController *self, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *vsa_controller_get_ice_servers_finish (VsaController *self, GAsyncResult *result,
                                                  GError **error);

void vsa_controller_post_answer_async (VsaController *self, const char *sdp, GPtrArray *candidates,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data);
gboolean vsa_controller_post_answer_finish (VsaController *self, GAsyncResult *result,
                                            GError **error);

void vsa_controller_post_candidate_async (VsaController *self, const VsaCandidate *candidate,
                                          GCancellable *cancellable, GAsyncReadyCallback callback,
                                          gpointer user_data);
gboolean vsa_controller_post_candidate_finish (VsaController *self, GAsyncResult *result,
                                               GError **error);

/* Resolves to the whole list of browser candidates (VsaCandidate array). */
void vsa_controller_get_browser_candidates_async (VsaController *self, GCancellable *cancellable,
                                                  GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *vsa_controller_get_browser_candidates_finish (VsaController *self, GAsyncResult *result,
                                                         GError **error);

/* TRUE for failures worth backing off from: network errors, timeouts, 5xx, 429; not
 * for bodies that are unusable (not JSON, wrong shape, over 1 MiB). */
gboolean vsa_controller_error_is_transient (const GError *error);

/* The delay (capped at 60 s) the last response asked for with Retry-After, or 0. */
guint vsa_controller_get_retry_after_s (VsaController *self);

G_END_DECLS
