/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vsa-encoder: which H264 encoder a machine gets, without the machine
 * (render nodes are files in a temporary directory, the element's presence a flag). */

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "vsa-encoder.h"

/* A temporary directory, with renderD130, renderD128 (files) and renderD129 (a directory:
 * no one can open it read-write, not even root). */
static char *
make_dri_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("vsa-test-dri-XXXXXX", &error);
  const char *const files[] = { "renderD130", "renderD128", "card0" };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i], NULL);

      g_assert_true (g_file_set_contents (path, "", 0, NULL));
    }
  {
    g_autofree char *path = g_build_filename (dir, "renderD129", NULL);

    g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  }
  return dir;
}

static void
remove_dri_dir (const char *dir)
{
  const char *const names[] = { "renderD130", "renderD128", "card0", "renderD129" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

static void
test_list_render_nodes (void)
{
  g_autofree char *dir = make_dri_dir ();
  g_auto (GStrv) nodes = vsa_encoder_list_render_nodes (dir);
  g_auto (GStrv) none = vsa_encoder_list_render_nodes ("/nonexistent/dri");

  /* sorted, render nodes only (card0 is the privileged primary node) */
  g_assert_cmpuint (g_strv_length (nodes), ==, 3);
  g_assert_true (g_str_has_suffix (nodes[0], "/renderD128"));
  g_assert_true (g_str_has_suffix (nodes[1], "/renderD129"));
  g_assert_true (g_str_has_suffix (nodes[2], "/renderD130"));
  g_assert_nonnull (none);
  g_assert_null (none[0]);
  remove_dri_dir (dir);
}

static void
test_find_render_node (void)
{
  g_autofree char *dir = make_dri_dir ();
  g_autofree char *d128 = g_build_filename (dir, "renderD128", NULL);
  g_autofree char *d129 = g_build_filename (dir, "renderD129", NULL);
  g_autofree char *d130 = g_build_filename (dir, "renderD130", NULL);
  const char *const usable_second[] = { "/nonexistent/renderD128", d129, d130, NULL };
  const char *const usable_first[] = { d128, d130, NULL };
  const char *const unusable[] = { "/nonexistent/renderD128", d129, NULL };
  const char *const empty[] = { NULL };
  g_autofree char *second = vsa_encoder_find_render_node (usable_second);
  g_autofree char *first = vsa_encoder_find_render_node (usable_first);

  g_assert_cmpstr (second, ==, d130);
  g_assert_cmpstr (first, ==, d128);
  g_assert_null (vsa_encoder_find_render_node (unusable));
  g_assert_null (vsa_encoder_find_render_node (empty));
  g_assert_null (vsa_encoder_find_render_node (NULL));
  remove_dri_dir (dir);
}

typedef struct
{
  VsaEncoderMode mode;
  VsaVaapiProbe probe;
  gboolean ok;
  VsaH264Encoder encoder;
  const char *reason; /* a part of it */
} Case;

static void
test_choose (void)
{
  const VsaVaapiProbe working = { (char *) "/dev/dri/renderD128", TRUE, TRUE, "low-power", NULL };
  const VsaVaapiProbe no_node = { NULL, FALSE, FALSE, NULL, NULL };
  const VsaVaapiProbe no_element = { (char *) "/dev/dri/renderD128", FALSE, FALSE, NULL, NULL };
  const VsaVaapiProbe broken
      = { (char *) "/dev/dri/renderD128", TRUE, FALSE, NULL, (char *) "could not initialize" };
  const Case cases[] = {
    { VSA_ENCODER_AUTO, working, TRUE, VSA_H264_ENCODER_VAAPI, "renderD128, tune=low-power" },
    { VSA_ENCODER_AUTO, no_node, TRUE, VSA_H264_ENCODER_X264, "no usable /dev/dri render node" },
    { VSA_ENCODER_AUTO, no_element, TRUE, VSA_H264_ENCODER_X264, "vaapih264enc is not available" },
    { VSA_ENCODER_AUTO, broken, TRUE, VSA_H264_ENCODER_X264, "could not initialize" },
    { VSA_ENCODER_SOFTWARE, working, TRUE, VSA_H264_ENCODER_X264, "encoder=software" },
    { VSA_ENCODER_SOFTWARE, no_node, TRUE, VSA_H264_ENCODER_X264, "encoder=software" },
    { VSA_ENCODER_VAAPI, working, TRUE, VSA_H264_ENCODER_VAAPI, "renderD128" },
    { VSA_ENCODER_VAAPI, no_node, FALSE, 0, "no usable /dev/dri render node" },
    { VSA_ENCODER_VAAPI, no_element, FALSE, 0, "vaapih264enc is not available" },
    { VSA_ENCODER_VAAPI, broken, FALSE, 0, "failed a test encode" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *reason = NULL;
      VsaH264Encoder encoder = 42;
      gboolean ok
          = vsa_encoder_choose_h264 (cases[i].mode, &cases[i].probe, &encoder, &reason, &error);

      g_test_message ("case %u: %s", i, ok ? reason : error->message);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (ok)
        {
          g_assert_no_error (error);
          g_assert_cmpint (encoder, ==, cases[i].encoder);
          g_assert_nonnull (strstr (reason, cases[i].reason));
        }
      else
        {
          g_assert_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID);
          g_assert_nonnull (strstr (error->message, cases[i].reason));
          g_assert_null (reason);
          g_assert_cmpint (encoder, ==, 42);
        }
    }
}

/* software never probes (the machine's answer would not matter); auto always has one. */
static void
test_settle (void)
{
  VsaH264Encoder first, again;
  g_autofree char *reason = NULL;
  g_autofree char *reason_again = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (vsa_encoder_settle_h264 (VSA_ENCODER_SOFTWARE, &first, &reason, &error));
  g_assert_no_error (error);
  g_assert_cmpint (first, ==, VSA_H264_ENCODER_X264);
  g_assert_cmpstr (reason, ==, "encoder=software");
  g_clear_pointer (&reason, g_free);

  g_assert_true (vsa_encoder_settle_h264 (VSA_ENCODER_AUTO, &first, &reason, &error));
  g_assert_no_error (error);
  g_test_message ("this machine: %s (%s)", vsa_h264_encoder_to_string (first), reason);
  g_assert_true (vsa_encoder_settle_h264 (VSA_ENCODER_AUTO, &again, &reason_again, &error));
  g_assert_cmpint (first, ==, again);
  g_assert_cmpstr (reason, ==, reason_again);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_test_add_func ("/vsa/encoder/list-render-nodes", test_list_render_nodes);
  g_test_add_func ("/vsa/encoder/find-render-node", test_find_render_node);
  g_test_add_func ("/vsa/encoder/choose", test_choose);
  g_test_add_func ("/vsa/encoder/settle", test_settle);
  ret = g_test_run ();
  gst_deinit (); /* for leak checkers */
  return ret;
}
