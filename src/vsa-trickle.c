/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-trickle.h"

#define BROWSER_CANDIDATES_POLL_MS 500
#define CANDIDATE_POST_ATTEMPTS 5

struct _VsaTrickle
{
  VsaController *controller;
  VsaTrickleCallbacks callbacks;
  gpointer user_data;
  GCancellable *cancellable; /* every request; cancelled by free */

  gboolean answer_stored;
  GQueue queue; /* of VsaCandidate, the head in flight or waiting for its retry */
  gboolean in_flight;
  guint attempts; /* the head's */
  guint retry_id;

  gboolean polling;
  guint poll_id;
};

VsaTrickle *
vsa_trickle_new (VsaController *controller, const VsaTrickleCallbacks *callbacks,
                 gpointer user_data)
{
  VsaTrickle *self = g_new0 (VsaTrickle, 1);

  self->controller = g_object_ref (controller);
  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->queue);
  return self;
}

void
vsa_trickle_free (VsaTrickle *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_object_unref (self->cancellable);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_queue_clear_full (&self->queue, (GDestroyNotify) vsa_candidate_free);
  g_object_unref (self->controller);
  g_free (self);
}

static void vsa_trickle_post_next (VsaTrickle *self);

static gboolean
vsa_trickle_retry (gpointer data)
{
  VsaTrickle *self = data;

  self->retry_id = 0;
  vsa_trickle_post_next (self);
  return G_SOURCE_REMOVE;
}

/* A cancelled request's callback comes after free: it must not touch self. */
static void
vsa_trickle_on_posted (GObject *source, GAsyncResult *result, gpointer data)
{
  VsaTrickle *self = data;
  g_autoptr (GError) error = NULL;

  if (!vsa_controller_post_candidate_finish (VSA_CONTROLLER (source), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->in_flight = FALSE;
  if (error != NULL && vsa_controller_error_is_transient (error)
      && self->attempts < CANDIDATE_POST_ATTEMPTS)
    {
      self->retry_id = g_timeout_add (self->callbacks.retry_delay_ms (self->user_data),
                                      vsa_trickle_retry, self);
      return;
    }
  if (error != NULL)
    self->callbacks.problem ("a candidate was not posted", error, self->user_data);
  vsa_candidate_free (g_queue_pop_head (&self->queue));
  self->attempts = 0;
  vsa_trickle_post_next (self);
}

static void
vsa_trickle_post_next (VsaTrickle *self)
{
  if (!self->answer_stored || self->in_flight || self->retry_id != 0
      || g_queue_is_empty (&self->queue))
    return;
  self->in_flight = TRUE;
  self->attempts++;
  vsa_controller_post_candidate_async (self->controller, g_queue_peek_head (&self->queue),
                                       self->cancellable, vsa_trickle_on_posted, self);
}

void
vsa_trickle_add_local (VsaTrickle *self, const VsaCandidate *candidate)
{
  g_queue_push_tail (&self->queue, vsa_candidate_new (candidate->candidate, candidate->mline_index,
                                                      candidate->mid));
  vsa_trickle_post_next (self);
}

static gboolean vsa_trickle_poll (gpointer data);

static void
vsa_trickle_on_browser_candidates (GObject *source, GAsyncResult *result, gpointer data)
{
  VsaTrickle *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) candidates = NULL;

  candidates
      = vsa_controller_get_browser_candidates_finish (VSA_CONTROLLER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (candidates == NULL)
    self->callbacks.problem ("fetching browser candidates", error, self->user_data);
  for (guint i = 0; candidates != NULL && i < candidates->len; i++)
    self->callbacks.remote_candidate (g_ptr_array_index (candidates, i), self->user_data);
  if (self->polling)
    self->poll_id = g_timeout_add (BROWSER_CANDIDATES_POLL_MS, vsa_trickle_poll, self);
}

static gboolean
vsa_trickle_poll (gpointer data)
{
  VsaTrickle *self = data;

  self->poll_id = 0;
  vsa_controller_get_browser_candidates_async (self->controller, self->cancellable,
                                               vsa_trickle_on_browser_candidates, self);
  return G_SOURCE_REMOVE;
}

void
vsa_trickle_answer_stored (VsaTrickle *self)
{
  self->answer_stored = TRUE;
  vsa_trickle_post_next (self);
  self->polling = TRUE;
  vsa_trickle_poll (self);
}

void
vsa_trickle_stop_polling (VsaTrickle *self)
{
  self->polling = FALSE;
  g_clear_handle_id (&self->poll_id, g_source_remove);
}
