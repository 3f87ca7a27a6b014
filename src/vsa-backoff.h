/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exponential backoff with jitter: the n-th delay is drawn from
 * [d/2, d] where d = min (max, base * 2^n). */
typedef struct
{
  guint base_ms;
  guint max_ms;
  guint attempt;
} VsaBackoff;

void vsa_backoff_init (VsaBackoff *self, guint base_ms, guint max_ms);
guint vsa_backoff_next_ms (VsaBackoff *self, GRand *rand);
void vsa_backoff_reset (VsaBackoff *self);

G_END_DECLS
