/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-backoff.h"

void
vsa_backoff_init (VsaBackoff *self, guint base_ms, guint max_ms)
{
  self->base_ms = MAX (base_ms, 1);
  self->max_ms = MAX (max_ms, self->base_ms);
  self->attempt = 0;
}

guint
vsa_backoff_next_ms (VsaBackoff *self, GRand *rand)
{
  guint64 delay = self->base_ms;

  /* Double per attempt; stop shifting once the cap is reached so it never overflows. */
  for (guint i = 0; i < self->attempt && delay < self->max_ms; i++)
    delay *= 2;
  delay = MIN (delay, self->max_ms);

  if (self->attempt < G_MAXUINT)
    self->attempt++;

  /* Jitter over the upper half spreads many VMs retrying the same controller. */
  return (guint) (delay / 2 + g_rand_int_range (rand, 0, (gint32) (delay - delay / 2) + 1));
}

void
vsa_backoff_reset (VsaBackoff *self)
{
  self->attempt = 0;
}
