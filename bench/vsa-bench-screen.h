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
  guint value; /* switches before this one and it: 1, 2, ... (the screen starts at 0) */
} VsaBenchSwitch;

/* The benchmark's picture on an X display, painted over XCB by a thread of its own: a
 * still panel holding the patch at the top and, below, a page of text scrolling up beside
 * a bar chart scrolling left, moved at 60 Hz when moving (else painted once and left
 * still). The patch switches between black and white every 250–450 ms. Content and
 * intervals come from seed. */
typedef struct _VsaBenchScreen VsaBenchScreen;

VsaBenchScreen *vsa_bench_screen_start (const char *display, guint width, guint height,
                                        gboolean moving, guint32 seed, GError **error);
/* The same with the patch replaced by a row of 2 x code_bits cells of half the patch's
 * size from the same corner: the switch count's low code_bits bits (white is 1, lowest
 * first), then their complements. A frame captured while the cells were repainted fails
 * the complement check, and a change stays identifiable however late it is shown. With
 * video, the chart's place shows a video instead (random grey blocks, new every tick). */
VsaBenchScreen *vsa_bench_screen_start_coded (const char *display, guint width, guint height,
                                              gboolean moving, guint32 seed, guint code_bits,
                                              gboolean video, GError **error);
/* The switches so far, oldest first. */
GArray *vsa_bench_screen_dup_switches (VsaBenchScreen *self);
/* Stops painting and disconnects. */
void vsa_bench_screen_free (VsaBenchScreen *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaBenchScreen, vsa_bench_screen_free)

G_END_DECLS
