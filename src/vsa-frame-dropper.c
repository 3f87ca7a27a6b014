/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-frame-dropper.h"

struct _VsaFrameDropper
{
  GMutex lock;
  double target_bps;
  double bucket_bits; /* encoded, not yet leaked out at the target rate */
  gint64 leaked_us;   /* when the bucket last leaked; 0: never */
  guint64 dropped;
};

VsaFrameDropper *
vsa_frame_dropper_new (guint kbps)
{
  VsaFrameDropper *self = g_new0 (VsaFrameDropper, 1);

  g_mutex_init (&self->lock);
  self->target_bps = kbps * 1000.0;
  return self;
}

void
vsa_frame_dropper_free (VsaFrameDropper *self)
{
  if (self == NULL)
    return;
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
vsa_frame_dropper_set_target (VsaFrameDropper *self, guint kbps)
{
  g_mutex_lock (&self->lock);
  self->target_bps = kbps * 1000.0;
  g_mutex_unlock (&self->lock);
}

/* Under the lock. */
static void
vsa_frame_dropper_leak (VsaFrameDropper *self, gint64 now_us)
{
  if (self->leaked_us != 0 && now_us > self->leaked_us)
    self->bucket_bits = MAX (
        0, self->bucket_bits - self->target_bps * (now_us - self->leaked_us) / G_USEC_PER_SEC);
  self->leaked_us = MAX (self->leaked_us, now_us);
}

void
vsa_frame_dropper_add_encoded (VsaFrameDropper *self, gsize bytes, gint64 now_us)
{
  g_mutex_lock (&self->lock);
  vsa_frame_dropper_leak (self, now_us);
  self->bucket_bits += bytes * 8.0;
  g_mutex_unlock (&self->lock);
}

gboolean
vsa_frame_dropper_should_drop (VsaFrameDropper *self, gint64 now_us)
{
  gboolean drop;

  g_mutex_lock (&self->lock);
  vsa_frame_dropper_leak (self, now_us);
  drop = self->bucket_bits > self->target_bps * VSA_FRAME_DROPPER_WINDOW_MS / 1000;
  if (drop)
    self->dropped++;
  g_mutex_unlock (&self->lock);
  return drop;
}

guint64
vsa_frame_dropper_get_dropped (VsaFrameDropper *self)
{
  guint64 dropped;

  g_mutex_lock (&self->lock);
  dropped = self->dropped;
  g_mutex_unlock (&self->lock);
  return dropped;
}
