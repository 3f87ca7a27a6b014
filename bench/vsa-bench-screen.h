/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The patch the browser page watches: a square of the X screen, away from the edges, the
 * pointer (at the centre) and the moving content. */
#define VSA_BENCH_PATCH_X 128
#define VSA_BENCH_PATCH_Y 64
#define VSA_BENCH_PATCH_SIZE 64

/* One switch of the patch: when its pixels were in the X server's framebuffer. */
typedef struct
{
  gint64 time_us; /* g_get_real_time() */
  gboolean white;
} VsaBenchSwitch;

/* The benchmark's picture on an X display, painted over XCB by a thread of its own: a
 * still panel holding the patch at the top and, below, a page of text scrolling up beside
 * a bar chart scrolling left, moved at 60 Hz when moving (else painted once and left
 * still). The patch switches between black and white every 250–450 ms. Content and
 * intervals come from seed. */
typedef struct _VsaBenchScreen VsaBenchScreen;

VsaBenchScreen *vsa_bench_screen_start (const char *display, guint width, guint height,
                                        gboolean moving, guint32 seed, GError **error);
/* The switches so far, oldest first. */
GArray *vsa_bench_screen_dup_switches (VsaBenchScreen *self);
/* Stops painting and disconnects. */
void vsa_bench_screen_free (VsaBenchScreen *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaBenchScreen, vsa_bench_screen_free)

G_END_DECLS
