/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Pictures for the quality bench: the X screen and the browser's decoded frames, how far
 * apart they are, and the strips that show them side by side. */

/* 8-bit RGB, 3 bytes a pixel, rows without padding. */
typedef struct
{
  guint width, height;
  guint8 *rgb;
} VsaBenchImage;

typedef struct
{
  int x, y, width, height;
} VsaBenchRect;

VsaBenchImage *vsa_bench_image_new (guint width, guint height);
/* From 32-bit pixels, B G R x in memory (the X screen) or R G B A (a canvas). */
VsaBenchImage *vsa_bench_image_new_from_bgrx (const guint8 *data, guint width, guint height,
                                              gsize stride);
VsaBenchImage *vsa_bench_image_new_from_rgba (const guint8 *data, guint width, guint height);
VsaBenchImage *vsa_bench_image_copy (const VsaBenchImage *image);
void vsa_bench_image_free (VsaBenchImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaBenchImage, vsa_bench_image_free)

/* How decoded compares with reference over rect (clipped to both), on luma
 * (0.299 R + 0.587 G + 0.114 B): SSIM (8x8 windows every 4 pixels), PSNR, and the PSNR
 * of the worst 16x16 block (blocks on the picture's grid, as the codecs' macroblocks, lying
 * within rect). PSNR of identical pictures is VSA_BENCH_PSNR_MAX. */
#define VSA_BENCH_PSNR_MAX 99.0
typedef struct
{
  double ssim, psnr, worst_block;
} VsaBenchQuality;

VsaBenchQuality vsa_bench_image_compare (const VsaBenchImage *reference,
                                         const VsaBenchImage *decoded, const VsaBenchRect *rect);

/* The sum of absolute luma differences over rect, every step-th pixel each way: a cheap
 * distance for finding which of several references a decoded frame shows. */
double vsa_bench_image_distance (const VsaBenchImage *a, const VsaBenchImage *b,
                                 const VsaBenchRect *rect, guint step);

/* PSNR over R, G and B together, over rect. */
double vsa_bench_image_psnr_rgb (const VsaBenchImage *reference, const VsaBenchImage *decoded,
                                 const VsaBenchRect *rect);

/* image with its colour at half resolution each way and its luma whole (BT.601, in
 * floating point, chroma averaged over 2x2 pixels and interpolated back bilinearly): what
 * 4:2:0, which every WebRTC codec a browser decodes uses, leaves of a picture before any
 * compression or rounding. */
VsaBenchImage *vsa_bench_image_chroma_420 (const VsaBenchImage *image);

/* Copies src's rect into dst at (x, y); parts outside either are left out. */
void vsa_bench_image_paste (VsaBenchImage *dst, int x, int y, const VsaBenchImage *src,
                            const VsaBenchRect *rect);

G_END_DECLS
