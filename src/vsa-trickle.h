/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vsa-controller.h"

G_BEGIN_DECLS

/* One session's candidate trickle through the controller: the VM's candidates POSTed one
 * at a time, in order, once the answer is stored (the answer replaces the controller's VM
 * candidates, so earlier ones would be lost), a transient failure retried; and the
 * browser's candidates fetched every 500 ms, one request at a time, until stopped. Main
 * context only; freeing it cancels what is in flight. */
typedef struct _VsaTrickle VsaTrickle;

typedef struct
{
  /* each browser candidate the controller holds, at every fetch */
  void (*remote_candidate) (VsaCandidate *candidate, gpointer user_data);
  /* a failure worth a line in the log */
  void (*problem) (const char *what, const GError *error, gpointer user_data);
  /* how long to wait before retrying a transient failure */
  guint (*retry_delay_ms) (gpointer user_data);
} VsaTrickleCallbacks;

VsaTrickle *vsa_trickle_new (VsaController *controller, const VsaTrickleCallbacks *callbacks,
                             gpointer user_data);
void vsa_trickle_free (VsaTrickle *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaTrickle, vsa_trickle_free)

/* Queues one of the VM's candidates; it is POSTed once the answer is stored. */
void vsa_trickle_add_local (VsaTrickle *self, const VsaCandidate *candidate);
/* The answer is stored: POSTs the queued candidates and starts fetching the browser's. */
void vsa_trickle_answer_stored (VsaTrickle *self);
/* Stops fetching the browser's candidates (connected: no more are needed). */
void vsa_trickle_stop_polling (VsaTrickle *self);

G_END_DECLS
