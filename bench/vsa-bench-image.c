/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The quality bench's pictures: see vsa-bench-image.h. */

#include "vsa-bench-image.h"

#include <math.h>
#include <string.h>

#define SSIM_WINDOW 8
#define SSIM_STEP 4
#define BLOCK 16

VsaBenchImage *
vsa_bench_image_new (guint width, guint height)
{
  VsaBenchImage *image = g_new0 (VsaBenchImage, 1);

  image->width = width;
  image->height = height;
  image->rgb = g_malloc0 ((gsize) width * height * 3);
  return image;
}

VsaBenchImage *
vsa_bench_image_new_from_bgrx (const guint8 *data, guint width, guint height, gsize stride)
{
  VsaBenchImage *image = vsa_bench_image_new (width, height);

  for (guint y = 0; y < height; y++)
    {
      const guint8 *in = data + y * stride;
      guint8 *out = image->rgb + (gsize) y * width * 3;

      for (guint x = 0; x < width; x++, in += 4, out += 3)
        {
          out[0] = in[2];
          out[1] = in[1];
          out[2] = in[0];
        }
    }
  return image;
}

VsaBenchImage *
vsa_bench_image_new_from_rgba (const guint8 *data, guint width, guint height)
{
  VsaBenchImage *image = vsa_bench_image_new (width, height);
  gsize n = (gsize) width * height;

  for (gsize i = 0; i < n; i++)
    memcpy (image->rgb + i * 3, data + i * 4, 3);
  return image;
}

VsaBenchImage *
vsa_bench_image_copy (const VsaBenchImage *image)
{
  VsaBenchImage *copy = vsa_bench_image_new (image->width, image->height);

  memcpy (copy->rgb, image->rgb, (gsize) image->width * image->height * 3);
  return copy;
}

void
vsa_bench_image_free (VsaBenchImage *image)
{
  if (image == NULL)
    return;
  g_free (image->rgb);
  g_free (image);
}

static double
luma_at (const VsaBenchImage *image, guint x, guint y)
{
  const guint8 *p = image->rgb + ((gsize) y * image->width + x) * 3;

  return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
}

/* rect within both pictures; FALSE when nothing is left. */
static gboolean
clip (const VsaBenchImage *a, const VsaBenchImage *b, const VsaBenchRect *rect, VsaBenchRect *out)
{
  int right = MIN (rect->x + rect->width, (int) MIN (a->width, b->width));
  int bottom = MIN (rect->y + rect->height, (int) MIN (a->height, b->height));

  out->x = MAX (rect->x, 0);
  out->y = MAX (rect->y, 0);
  out->width = right - out->x;
  out->height = bottom - out->y;
  return out->width > 0 && out->height > 0;
}

static double
psnr_of (double squared_error, double n)
{
  return squared_error == 0 || n == 0
             ? VSA_BENCH_PSNR_MAX
             : MIN (VSA_BENCH_PSNR_MAX, 10 * log10 (255.0 * 255.0 * n / squared_error));
}

/* SSIM of one window at (x0, y0) (Wang et al., 2004, with their constants). */
static double
window_ssim (const double *ref, const double *dec, int stride, int x0, int y0)
{
  const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
  const double n = SSIM_WINDOW * SSIM_WINDOW;
  double sum_r = 0, sum_d = 0, sum_rr = 0, sum_dd = 0, sum_rd = 0;
  double mean_r, mean_d, var_r, var_d, cov;

  for (int y = y0; y < y0 + SSIM_WINDOW; y++)
    for (int x = x0; x < x0 + SSIM_WINDOW; x++)
      {
        double r = ref[y * stride + x], d = dec[y * stride + x];

        sum_r += r;
        sum_d += d;
        sum_rr += r * r;
        sum_dd += d * d;
        sum_rd += r * d;
      }
  mean_r = sum_r / n;
  mean_d = sum_d / n;
  var_r = sum_rr / n - mean_r * mean_r;
  var_d = sum_dd / n - mean_d * mean_d;
  cov = sum_rd / n - mean_r * mean_d;
  return ((2 * mean_r * mean_d + c1) * (2 * cov + c2))
         / ((mean_r * mean_r + mean_d * mean_d + c1) * (var_r + var_d + c2));
}

VsaBenchQuality
vsa_bench_image_compare (const VsaBenchImage *reference, const VsaBenchImage *decoded,
                         const VsaBenchRect *rect)
{
  VsaBenchQuality quality = { NAN, NAN, NAN };
  VsaBenchRect r;
  g_autofree double *ref = NULL;
  g_autofree double *dec = NULL;
  double squared_error = 0, ssim_sum = 0;
  guint windows = 0;

  if (!clip (reference, decoded, rect, &r))
    return quality;
  ref = g_new (double, (gsize) r.width *r.height);
  dec = g_new (double, (gsize) r.width *r.height);
  for (int y = 0; y < r.height; y++)
    for (int x = 0; x < r.width; x++)
      {
        double a = luma_at (reference, r.x + x, r.y + y);
        double b = luma_at (decoded, r.x + x, r.y + y);

        ref[y * r.width + x] = a;
        dec[y * r.width + x] = b;
        squared_error += (a - b) * (a - b);
      }
  quality.psnr = psnr_of (squared_error, (double) r.width * r.height);

  for (int y = 0; y + SSIM_WINDOW <= r.height; y += SSIM_STEP)
    for (int x = 0; x + SSIM_WINDOW <= r.width; x += SSIM_STEP)
      {
        ssim_sum += window_ssim (ref, dec, r.width, x, y);
        windows++;
      }
  quality.ssim = windows > 0 ? ssim_sum / windows : NAN;

  /* blocks on the picture's grid that lie within r */
  for (int by = (r.y + BLOCK - 1) / BLOCK * BLOCK; by + BLOCK <= r.y + r.height; by += BLOCK)
    for (int bx = (r.x + BLOCK - 1) / BLOCK * BLOCK; bx + BLOCK <= r.x + r.width; bx += BLOCK)
      {
        double block_error = 0, psnr;

        for (int y = by; y < by + BLOCK; y++)
          for (int x = bx; x < bx + BLOCK; x++)
            {
              double d = ref[(y - r.y) * r.width + x - r.x] - dec[(y - r.y) * r.width + x - r.x];

              block_error += d * d;
            }
        psnr = psnr_of (block_error, BLOCK * BLOCK);
        if (isnan (quality.worst_block) || psnr < quality.worst_block)
          quality.worst_block = psnr;
      }
  return quality;
}

double
vsa_bench_image_distance (const VsaBenchImage *a, const VsaBenchImage *b, const VsaBenchRect *rect,
                          guint step)
{
  VsaBenchRect r;
  double sum = 0;

  if (!clip (a, b, rect, &r))
    return INFINITY;
  for (int y = r.y; y < r.y + r.height; y += step)
    for (int x = r.x; x < r.x + r.width; x += step)
      sum += fabs (luma_at (a, x, y) - luma_at (b, x, y));
  return sum;
}

void
vsa_bench_image_paste (VsaBenchImage *dst, int x, int y, const VsaBenchImage *src,
                       const VsaBenchRect *rect)
{
  for (int row = 0; row < rect->height; row++)
    for (int col = 0; col < rect->width; col++)
      {
        int sx = rect->x + col, sy = rect->y + row, dx = x + col, dy = y + row;

        if (sx < 0 || sy < 0 || sx >= (int) src->width || sy >= (int) src->height || dx < 0
            || dy < 0 || dx >= (int) dst->width || dy >= (int) dst->height)
          continue;
        memcpy (dst->rgb + ((gsize) dy * dst->width + dx) * 3,
                src->rgb + ((gsize) sy * src->width + sx) * 3, 3);
      }
}

double
vsa_bench_image_psnr_rgb (const VsaBenchImage *reference, const VsaBenchImage *decoded,
                          const VsaBenchRect *rect)
{
  VsaBenchRect r;
  double squared_error = 0;

  if (!clip (reference, decoded, rect, &r))
    return NAN;
  for (int y = r.y; y < r.y + r.height; y++)
    for (int x = r.x; x < r.x + r.width; x++)
      for (int c = 0; c < 3; c++)
        {
          double d = reference->rgb[((gsize) y * reference->width + x) * 3 + c]
                     - decoded->rgb[((gsize) y * decoded->width + x) * 3 + c];

          squared_error += d * d;
        }
  return psnr_of (squared_error, 3.0 * r.width * r.height);
}

/* The 2x2 average of chroma plane (width x height, even or not) at chroma sample (cx, cy),
 * clamped to the plane. */
static double
chroma_at (const double *plane, int chroma_width, int chroma_height, int cx, int cy)
{
  return plane[CLAMP (cy, 0, chroma_height - 1) * chroma_width + CLAMP (cx, 0, chroma_width - 1)];
}

VsaBenchImage *
vsa_bench_image_chroma_420 (const VsaBenchImage *image)
{
  int width = image->width, height = image->height;
  int cw = (width + 1) / 2, ch = (height + 1) / 2;
  g_autofree double *luma = g_new (double, (gsize) width *height);
  g_autofree double *cb = g_new0 (double, (gsize) cw *ch);
  g_autofree double *cr = g_new0 (double, (gsize) cw *ch);
  g_autofree double *count = g_new0 (double, (gsize) cw *ch);
  VsaBenchImage *out = vsa_bench_image_new (width, height);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guint8 *p = image->rgb + ((gsize) y * width + x) * 3;
        double l = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
        gsize c = (gsize) (y / 2) * cw + x / 2;

        luma[(gsize) y * width + x] = l;
        cb[c] += (p[2] - l) / 1.772;
        cr[c] += (p[0] - l) / 1.402;
        count[c]++;
      }
  for (gsize c = 0; c < (gsize) cw * ch; c++)
    {
      cb[c] /= count[c];
      cr[c] /= count[c];
    }
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        /* where this pixel falls among the chroma samples (each at its 2x2 block's centre) */
        double fx = (x - 0.5) / 2, fy = (y - 0.5) / 2;
        int x0 = (int) floor (fx), y0 = (int) floor (fy);
        double ax = fx - x0, ay = fy - y0, b = 0, r = 0, l = luma[(gsize) y * width + x];
        guint8 *p = out->rgb + ((gsize) y * width + x) * 3;
        double red, green, blue;

        for (int j = 0; j < 2; j++)
          for (int i = 0; i < 2; i++)
            {
              double w = (i ? ax : 1 - ax) * (j ? ay : 1 - ay);

              b += w * chroma_at (cb, cw, ch, x0 + i, y0 + j);
              r += w * chroma_at (cr, cw, ch, x0 + i, y0 + j);
            }
        red = l + 1.402 * r;
        blue = l + 1.772 * b;
        green = (l - 0.299 * red - 0.114 * blue) / 0.587;
        p[0] = (guint8) CLAMP (lround (red), 0, 255);
        p[1] = (guint8) CLAMP (lround (green), 0, 255);
        p[2] = (guint8) CLAMP (lround (blue), 0, 255);
      }
  return out;
}
