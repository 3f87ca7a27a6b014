/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vsa-bench-image.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/* The quality bench's screen: changes people make on a desktop, each painted on the X
 * screen in one request (so that a capture sees all of it or none of it), from pictures
 * drawn ahead with cairo and pango:
 * - window: a window of text (a sign-in form with a red error line and blue links, and a
 *   paragraph of text) appears on a still blue desktop;
 * - scroll: a page of text in a browser window scrolls 720 pixels in 1.5 s and stops;
 * - dialog: a dialog appears over a photograph.
 * The pointer is parked in the bottom-right corner, away from them all. */
typedef enum
{
  VSA_BENCH_SCENE_WINDOW,
  VSA_BENCH_SCENE_SCROLL,
  VSA_BENCH_SCENE_DIALOG,
} VsaBenchSceneKind;

#define VSA_BENCH_N_SCENES 3

const char *vsa_bench_scene_name (VsaBenchSceneKind kind);

typedef struct _VsaBenchScenes VsaBenchScenes;

VsaBenchScenes *vsa_bench_scenes_new (const char *display, guint width, guint height,
                                      GError **error);
void vsa_bench_scenes_free (VsaBenchScenes *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaBenchScenes, vsa_bench_scenes_free)

/* How long the scroll takes, ms. */
#define VSA_BENCH_SCROLL_MS 1500

/* What to judge of a change: *region, the part that changes (the window or dialog with a
 * margin of 32 pixels, the page's viewport); *detail, a 320x180 part of it worth a close
 * look; *colour_text, for the window, its line of red text and its line of blue links
 * (else empty); *black_text, for the window, as many pixels of its black paragraph. */
typedef struct
{
  VsaBenchRect region, detail, colour_text, black_text;
} VsaBenchSceneParts;

/* Paints the still picture before kind's change; rep varies the content and position. */
void vsa_bench_scenes_prepare (VsaBenchScenes *self, VsaBenchSceneKind kind, guint rep,
                               VsaBenchSceneParts *parts);

/* Makes the prepared change and returns the wall-clock time (g_get_real_time) it is on the
 * screen. The scroll starts then and goes on from a timeout on the thread-default main
 * context: until vsa_bench_scenes_scroll_end() says it stopped, keep that context
 * running. */
gint64 vsa_bench_scenes_change (VsaBenchScenes *self, VsaBenchSceneKind kind);

/* When the scroll stopped (wall clock), or 0 while it runs. */
gint64 vsa_bench_scenes_scroll_end (VsaBenchScenes *self);

/* The X screen as it is now. */
VsaBenchImage *vsa_bench_scenes_grab (VsaBenchScenes *self, GError **error);

/* During the scroll, what the screen showed at the page position nearest to decoded's:
 * screen (grabbed after the scroll) with the page at that position. */
VsaBenchImage *vsa_bench_scenes_scroll_reference (VsaBenchScenes *self, const VsaBenchImage *screen,
                                                  const VsaBenchImage *decoded);

G_END_DECLS
