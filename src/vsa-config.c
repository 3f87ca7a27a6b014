/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vsa-config.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#include "vsa-codec.h"

#define GROUP "agent"

G_DEFINE_QUARK (vsa - config - error - quark, vsa_config_error)

VsaConfig *
vsa_config_new (void)
{
  VsaConfig *self = g_new0 (VsaConfig, 1);

  self->display = g_strdup (":0");
  self->source = VSA_SOURCE_X11;
  self->codecs = g_strsplit ("h264,vp8,vp9", ",", -1);
  self->fps = 30;
  self->bitrate_kbps = 2500;
  /* Below about 300 kbit/s 720p text is no longer legible: lower only makes it mush. */
  self->min_bitrate_kbps = 300;
  self->start_bitrate_kbps = 800;
  self->poll_fast_ms = 100;
  /* Half the browser's once-a-second answer poll, so an answer is there by its next poll;
   * 0.07-0.09 % of a core while waiting (BENCHMARKS.md, Poll cost). */
  self->poll_slow_ms = 500;
  self->fast_window_s = 60;
  self->answer_window_ms = 300;
  self->request_timeout_s = 5;
  self->ice_servers_max_age_s = 600;
  self->input = TRUE;
  self->fresh_process = TRUE;
  return self;
}

void
vsa_config_free (VsaConfig *self)
{
  if (self == NULL)
    return;
  g_free (self->session_id);
  g_free (self->controller_url);
  g_free (self->display);
  g_strfreev (self->codecs);
  vsa_secret_clear (&self->token);
  g_free (self->ca_file);
  g_free (self->metrics_address);
  g_free (self->listen_address);
  g_strfreev (self->allow_origins);
  g_strfreev (self->ice_servers);
  g_free (self->ice_username);
  vsa_secret_clear (&self->ice_credential);
  g_free (self->config_file);
  g_free (self);
}

void
vsa_secret_clear (char **secret)
{
  if (*secret != NULL)
    memset (*secret, 0, strlen (*secret));
  g_clear_pointer (secret, g_free);
}

const char *
vsa_source_kind_to_string (VsaSourceKind kind)
{
  return kind == VSA_SOURCE_TEST ? "test" : "x11";
}

static const char *const encoder_modes[] = { "auto", "software", "vaapi" };

const char *
vsa_encoder_mode_to_string (VsaEncoderMode mode)
{
  g_return_val_if_fail (mode < G_N_ELEMENTS (encoder_modes), NULL);
  return encoder_modes[mode];
}

/* Raw string values of every setting, as one layer (flags, environment or file) gives them.
 * NULL means "not set by this layer". */
typedef struct
{
  char *session_id;
  char *controller_url;
  char *display;
  char *source;
  char *codecs;
  char *encoder;
  char *fps;
  char *bitrate;
  char *min_bitrate;
  char *start_bitrate;
  char *poll_interval;
  char *fast_poll_interval;
  char *fast_poll_window;
  char *answer_window;
  char *request_timeout;
  char *ice_servers_max_age;
  char *token_file;
  char *ca_file;
  char *metrics_listen;
  char *listen;
  char *input;
  char *cursor;
  char *fresh_process;
  char *allow_open_listen;
  char *allow_origins;
  char *ice_servers;
  char *ice_username;
  char *ice_credential;
} Layer;

static void
vsa_config_layer_clear (Layer *layer)
{
  char **fields = (char **) layer;

  /* wiped: ice-credential is a secret */
  for (gsize i = 0; i < sizeof (Layer) / sizeof (char *); i++)
    vsa_secret_clear (&fields[i]);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Layer, vsa_config_layer_clear)

/* Key-file names, in Layer's field order. */
static const char *const layer_keys[] = {
  "session-id",
  "controller-url",
  "display",
  "source",
  "codecs",
  "encoder",
  "fps",
  "bitrate",
  "min-bitrate",
  "start-bitrate",
  "poll-interval",
  "fast-poll-interval",
  "fast-poll-window",
  "answer-window",
  "request-timeout",
  "ice-servers-max-age",
  "token-file",
  "ca-file",
  "metrics-listen",
  "listen",
  "input",
  "cursor",
  "fresh-process",
  "allow-open-listen",
  "allow-origins",
  "ice-servers",
  "ice-username",
  "ice-credential",
};
G_STATIC_ASSERT (G_N_ELEMENTS (layer_keys) == sizeof (Layer) / sizeof (char *));

static void
vsa_config_replace_string (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

/* Later layers win: copy every setting @top has over @base. */
static void
vsa_config_layer_overlay (Layer *base, Layer *top)
{
  char **base_fields = (char **) base;
  char **top_fields = (char **) top;

  for (gsize i = 0; i < G_N_ELEMENTS (layer_keys); i++)
    if (top_fields[i] != NULL)
      vsa_config_replace_string (&base_fields[i], top_fields[i]);
}

static gboolean
vsa_config_is_key (const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (layer_keys); i++)
    if (g_strcmp0 (key, layer_keys[i]) == 0)
      return TRUE;
  return FALSE;
}

/* A misspelt key would otherwise leave its setting at the default without a word. */
static void
vsa_config_warn_unknown (GKeyFile *file, const char *path)
{
  g_auto (GStrv) groups = g_key_file_get_groups (file, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_auto (GStrv) keys = NULL;

      if (g_strcmp0 (groups[i], GROUP) != 0)
        {
          g_warning ("%s: unknown group [%s] (ignored)", path, groups[i]);
          continue;
        }
      keys = g_key_file_get_keys (file, GROUP, NULL, NULL);
      for (guint j = 0; keys != NULL && keys[j] != NULL; j++)
        if (!vsa_config_is_key (keys[j]))
          g_warning ("%s: unknown key \"%s\" (ignored)", path, keys[j]);
    }
}

/* Drops the settings of @layer that @top sets. */
static void
vsa_config_layer_mask (Layer *layer, const Layer *top)
{
  char **fields = (char **) layer;
  char *const *top_fields = (char *const *) top;

  for (gsize i = 0; i < G_N_ELEMENTS (layer_keys); i++)
    if (top_fields[i] != NULL)
      g_clear_pointer (&fields[i], g_free);
}

/* Reads @path into @layer; a missing file is fine unless @must_exist. *out_read tells
 * whether a file was read. */
static gboolean
vsa_config_layer_from_file (Layer *layer, const char *path, gboolean must_exist, gboolean *out_read,
                            GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  char **fields = (char **) layer;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local_error))
    {
      *out_read = FALSE;
      if (!must_exist && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID, "config: cannot read %s: %s",
                   path, local_error->message);
      return FALSE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (layer_keys); i++)
    {
      g_autofree char *value = g_key_file_get_string (file, GROUP, layer_keys[i], NULL);

      if (value != NULL)
        fields[i] = g_strdup (g_strstrip (value));
    }
  vsa_config_warn_unknown (file, path);
  *out_read = TRUE;
  return TRUE;
}

static gboolean
vsa_config_parse_uint (const char *key, const char *text, guint min, guint max, guint *out,
                       GError **error)
{
  guint64 value;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, min, max, &value, NULL))
    {
      g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                   "%s: \"%s\" is not a whole number from %u to %u", key, text, min, max);
      return FALSE;
    }
  *out = (guint) value;
  return TRUE;
}

static gboolean
vsa_config_parse_bool (const char *key, const char *text, gboolean *out, GError **error)
{
  if (text == NULL)
    return TRUE;
  if (g_strcmp0 (text, "true") == 0)
    *out = TRUE;
  else if (g_strcmp0 (text, "false") == 0)
    *out = FALSE;
  else
    {
      g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                   "%s: \"%s\" is neither true nor false", key, text);
      return FALSE;
    }
  return TRUE;
}

static char *
vsa_config_normalise_url (const char *text, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  const char *scheme;
  gsize length;

  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
      || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                   "controller-url: \"%s\" is not an http:// or https:// URL with a host", text);
      return NULL;
    }
  length = strlen (text);
  while (length > 0 && text[length - 1] == '/')
    length--;
  return g_strndup (text, length);
}

gboolean
vsa_config_parse_listen (const char *key, const char *text, char **out_address, guint *out_port,
                         GError **error)
{
  const char *colon = strrchr (text, ':');
  g_autofree char *host = NULL;
  g_autoptr (GInetAddress) address = NULL;
  guint64 port = 0;

  if (colon != NULL && text[0] == '[' && colon > text + 1 && colon[-1] == ']')
    host = g_strndup (text + 1, (gsize) (colon - text - 2));
  else if (colon != NULL && memchr (text, ':', (gsize) (colon - text)) == NULL)
    host = g_strndup (text, (gsize) (colon - text));
  /* a literal only: a host name would be a lookup at start and an address that moves */
  address = host != NULL ? g_inet_address_new_from_string (host) : NULL;
  if (address == NULL
      || (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6) != (text[0] == '[')
      || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    {
      g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                   "%s: \"%s\" is not IP:PORT (a numeric address, e.g. 127.0.0.1:9464 or "
                   "[::1]:9464, and a port up to 65535)",
                   key, text);
      return FALSE;
    }
  *out_address = g_inet_address_to_string (address);
  *out_port = (guint) port;
  return TRUE;
}

/* A comma list, items trimmed and empty ones dropped; NULL when none is left. */
static char **
vsa_config_split_list (const char *text)
{
  g_auto (GStrv) items = g_strsplit (text, ",", -1);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) list = NULL;

  for (guint i = 0; items[i] != NULL; i++)
    if (*g_strstrip (items[i]) != '\0')
      g_strv_builder_add (builder, items[i]);
  list = g_strv_builder_end (builder);
  return list[0] != NULL ? g_steal_pointer (&list) : NULL;
}

/* "*" or an origin as browsers send it: scheme://host[:port], nothing after. */
static gboolean
vsa_config_is_origin (const char *text)
{
  g_autoptr (GUri) uri = NULL;
  const char *scheme;

  if (g_strcmp0 (text, "*") == 0)
    return TRUE;
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  return uri != NULL && (g_strcmp0 (scheme, "http") == 0 || g_strcmp0 (scheme, "https") == 0)
         && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0'
         && *g_uri_get_path (uri) == '\0' && g_uri_get_query (uri) == NULL
         && g_uri_get_fragment (uri) == NULL && g_uri_get_userinfo (uri) == NULL;
}

static gboolean
vsa_config_is_ice_url (const char *text)
{
  static const char *const schemes[] = { "stun:", "stuns:", "turn:", "turns:" };

  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (g_str_has_prefix (text, schemes[i]) && text[strlen (schemes[i])] != '\0'
        && strpbrk (text, " \t\"<>,;") == NULL)
      return TRUE;
  return FALSE;
}

typedef gboolean (*VsaConfigItemCheck) (const char *text);

/* Sets *field to the list in @text, each item passing @check; empty: NULL. */
static gboolean
vsa_config_parse_list (const char *key, const char *text, VsaConfigItemCheck check,
                       const char *expected, char ***field, GError **error)
{
  g_auto (GStrv) list = NULL;

  if (text == NULL)
    return TRUE;
  list = vsa_config_split_list (text);
  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    if (!check (list[i]))
      {
        g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID, "%s: \"%s\" is not %s", key,
                     list[i], expected);
        return FALSE;
      }
  g_strfreev (*field);
  *field = g_steal_pointer (&list);
  return TRUE;
}

static gboolean
vsa_config_apply_layer (VsaConfig *self, const Layer *layer, GError **error)
{
  if (layer->session_id != NULL && *layer->session_id != '\0')
    vsa_config_replace_string (&self->session_id, layer->session_id);

  if (layer->controller_url != NULL)
    {
      char *url = vsa_config_normalise_url (layer->controller_url, error);

      if (url == NULL)
        return FALSE;
      g_free (self->controller_url);
      self->controller_url = url;
    }

  if (layer->display != NULL && *layer->display != '\0')
    vsa_config_replace_string (&self->display, layer->display);

  if (layer->source != NULL)
    {
      if (g_strcmp0 (layer->source, "x11") == 0)
        self->source = VSA_SOURCE_X11;
      else if (g_strcmp0 (layer->source, "test") == 0)
        self->source = VSA_SOURCE_TEST;
      else
        {
          g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                       "source: \"%s\" is neither x11 nor test", layer->source);
          return FALSE;
        }
    }

  if (layer->cursor != NULL)
    {
      if (g_strcmp0 (layer->cursor, "local") == 0)
        self->cursor = VSA_CURSOR_LOCAL;
      else if (g_strcmp0 (layer->cursor, "video") == 0)
        self->cursor = VSA_CURSOR_VIDEO;
      else
        {
          g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                       "cursor: \"%s\" is neither local nor video", layer->cursor);
          return FALSE;
        }
    }

  if (layer->codecs != NULL && g_ascii_strcasecmp (layer->codecs, VSA_CODEC_OFFER_ORDER) == 0)
    {
      g_strfreev (self->codecs);
      self->codecs = g_strsplit (VSA_CODEC_OFFER_ORDER, ",", -1);
    }
  else if (layer->codecs != NULL)
    {
      g_auto (GStrv) names = g_strsplit (layer->codecs, ",", -1);
      g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

      for (guint i = 0; names[i] != NULL; i++)
        {
          VsaCodec codec;

          if (!vsa_codec_from_string (g_strstrip (names[i]), &codec))
            {
              g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                           "codecs: \"%s\" is not one of h264, vp8, vp9 (or offer alone)",
                           names[i]);
              return FALSE;
            }
          g_strv_builder_add (builder, vsa_codec_to_string (codec));
        }
      g_strfreev (self->codecs);
      self->codecs = g_strv_builder_end (builder);
      if (self->codecs[0] == NULL)
        {
          g_set_error_literal (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                               "codecs: the list is empty");
          return FALSE;
        }
    }

  /* empty: off, so that a flag can turn off what the file set */
  if (layer->metrics_listen != NULL)
    {
      g_clear_pointer (&self->metrics_address, g_free);
      self->metrics_port = 0;
      if (*layer->metrics_listen != '\0'
          && !vsa_config_parse_listen ("metrics-listen", layer->metrics_listen,
                                       &self->metrics_address, &self->metrics_port, error))
        return FALSE;
    }

  if (layer->listen != NULL)
    {
      g_clear_pointer (&self->listen_address, g_free);
      self->listen_port = 0;
      if (*layer->listen != '\0'
          && !vsa_config_parse_listen ("listen", layer->listen, &self->listen_address,
                                       &self->listen_port, error))
        return FALSE;
    }

  if (!vsa_config_parse_list ("allow-origins", layer->allow_origins, vsa_config_is_origin,
                              "* or an origin such as https://viewer.example:8443",
                              &self->allow_origins, error)
      || !vsa_config_parse_list ("ice-servers", layer->ice_servers, vsa_config_is_ice_url,
                                 "a stun:, stuns:, turn: or turns: URL", &self->ice_servers, error))
    return FALSE;
  /* empty: unset, as the commented defaults give them */
  if (layer->ice_username != NULL)
    vsa_config_replace_string (&self->ice_username,
                               *layer->ice_username != '\0' ? layer->ice_username : NULL);
  if (layer->ice_credential != NULL)
    {
      vsa_secret_clear (&self->ice_credential);
      if (*layer->ice_credential != '\0')
        self->ice_credential = g_strdup (layer->ice_credential);
    }

  if (layer->encoder != NULL)
    {
      guint i = 0;

      while (i < G_N_ELEMENTS (encoder_modes) && g_strcmp0 (layer->encoder, encoder_modes[i]) != 0)
        i++;
      if (i == G_N_ELEMENTS (encoder_modes))
        {
          g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                       "encoder: \"%s\" is not one of auto, software, vaapi", layer->encoder);
          return FALSE;
        }
      self->encoder = (VsaEncoderMode) i;
    }

  return vsa_config_parse_bool ("input", layer->input, &self->input, error)
         && vsa_config_parse_bool ("fresh-process", layer->fresh_process, &self->fresh_process,
                                   error)
         && vsa_config_parse_bool ("allow-open-listen", layer->allow_open_listen,
                                   &self->allow_open_listen, error)
         && vsa_config_parse_uint ("fps", layer->fps, 1, 120, &self->fps, error)
         && vsa_config_parse_uint ("bitrate", layer->bitrate, 100, 100000, &self->bitrate_kbps,
                                   error)
         && vsa_config_parse_uint ("min-bitrate", layer->min_bitrate, 100, 100000,
                                   &self->min_bitrate_kbps, error)
         && vsa_config_parse_uint ("start-bitrate", layer->start_bitrate, 100, 100000,
                                   &self->start_bitrate_kbps, error)
         && vsa_config_parse_uint ("poll-interval", layer->poll_interval, 50, 60000,
                                   &self->poll_slow_ms, error)
         && vsa_config_parse_uint ("fast-poll-interval", layer->fast_poll_interval, 50, 60000,
                                   &self->poll_fast_ms, error)
         && vsa_config_parse_uint ("fast-poll-window", layer->fast_poll_window, 0, 86400,
                                   &self->fast_window_s, error)
         && vsa_config_parse_uint ("answer-window", layer->answer_window, 0, 10000,
                                   &self->answer_window_ms, error)
         && vsa_config_parse_uint ("request-timeout", layer->request_timeout, 1, 300,
                                   &self->request_timeout_s, error)
         && vsa_config_parse_uint ("ice-servers-max-age", layer->ice_servers_max_age, 2, 86400,
                                   &self->ice_servers_max_age_s, error);
}

/* The bearer token: one line of visible ASCII, which is all an HTTP header may carry. */
gboolean
vsa_config_read_token (VsaConfig *self, const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local_error = NULL;
  gsize length;
  gboolean usable;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID, "token-file: %s",
                   local_error->message);
      return FALSE;
    }
  usable = strlen (contents) == length;
  g_strstrip (contents);
  usable = usable && *contents != '\0';
  for (const char *c = contents; *c != '\0'; c++)
    usable = usable && g_ascii_isgraph (*c);
  if (!usable)
    {
      memset (contents, 0, length);
      g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                   "token-file: %s is empty or holds more than one printable word", path);
      return FALSE;
    }
  vsa_secret_clear (&self->token);
  self->token = g_steal_pointer (&contents);
  return TRUE;
}

/* Standalone mode gives the screen, and the VM's input, to whoever reaches its address:
 * off loopback that takes a token, or the operator saying so. */
static gboolean
vsa_config_check_open_listen (const VsaConfig *self, GError **error)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (self->listen_address);

  if (self->token != NULL || self->allow_open_listen || g_inet_address_get_is_loopback (address))
    return TRUE;
  g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
               "listen: %s is not a loopback address and no token-file is set: anyone who "
               "reaches it gets the screen (set token-file, or allow-open-listen=true)",
               self->listen_address);
  return FALSE;
}

/* An empty variable counts as unset, as a blank line in /etc/environment does. */
static char *
vsa_config_env_value (char **envp, const char *name)
{
  const char *value = g_environ_getenv (envp, name);

  return value != NULL && *value != '\0' ? g_strdup (value) : NULL;
}

gboolean
vsa_config_load (VsaConfig *self, char **args, char **envp, GError **error)
{
  g_auto (Layer) flags = { 0 };
  g_auto (Layer) merged = { 0 };
  g_auto (Layer) environment = { 0 };
  g_autofree char *config_path = NULL;
  g_auto (GStrv) argv = g_strdupv (args);
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) local_error = NULL;
  gboolean verbose = FALSE;
  gboolean version = FALSE;
  gboolean view_only = FALSE;
  gboolean allow_open_listen = FALSE;
  const GOptionEntry entries[] = {
    { "session-id", 0, 0, G_OPTION_ARG_STRING, &flags.session_id,
      "Session to serve (env SESSION_ID)", "ID" },
    { "controller-url", 0, 0, G_OPTION_ARG_STRING, &flags.controller_url,
      "Controller base URL (env MASTER_CONTROLLER_URL)", "URL" },
    { "display", 0, 0, G_OPTION_ARG_STRING, &flags.display,
      "X display to capture (env DISPLAY; default :0)", "DISPLAY" },
    { "source", 0, 0, G_OPTION_ARG_STRING, &flags.source,
      "Video source: x11 (the screen) or test (a test pattern)", "x11|test" },
    { "codec", 0, 0, G_OPTION_ARG_STRING, &flags.codecs,
      "Codec preference, first offered one wins, or offer: the browser's order (default "
      "h264,vp8,vp9)",
      "LIST|offer" },
    { "encoder", 0, 0, G_OPTION_ARG_STRING, &flags.encoder,
      "H264 encoder: auto (VA-API when the machine has a working one), software (x264) or "
      "vaapi (default auto)",
      "auto|software|vaapi" },
    { "fps", 0, 0, G_OPTION_ARG_STRING, &flags.fps, "Frames per second (default 30)", "N" },
    { "bitrate", 0, 0, G_OPTION_ARG_STRING, &flags.bitrate,
      "Video bitrate in kbit/s; loss lowers it for a while (default 2500)", "KBPS" },
    { "min-bitrate", 0, 0, G_OPTION_ARG_STRING, &flags.min_bitrate,
      "Lowest video bitrate in kbit/s that loss may push it down to (default 300)", "KBPS" },
    { "start-bitrate", 0, 0, G_OPTION_ARG_STRING, &flags.start_bitrate,
      "Video bitrate in kbit/s a session starts at when the browser sends transport-wide "
      "feedback, ramped up from there while the delay stays flat (default 800)",
      "KBPS" },
    { "poll-interval", 0, 0, G_OPTION_ARG_STRING, &flags.poll_interval,
      "Offer poll interval after the first minute and while streaming (default 500)", "MS" },
    { "fast-poll-interval", 0, 0, G_OPTION_ARG_STRING, &flags.fast_poll_interval,
      "Offer poll interval in the first minute after start or a session end (default 100)", "MS" },
    { "answer-window", 0, 0, G_OPTION_ARG_STRING, &flags.answer_window,
      "Longest wait for ICE gathering before posting the answer (default 300)", "MS" },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &flags.token_file,
      "File with the controller's bearer token (default: the systemd credential "
      "controller-token, if any)",
      "FILE" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &flags.ca_file,
      "PEM file of the CAs that may sign the controller's https certificate (default: the "
      "system's)",
      "FILE" },
    { "metrics-listen", 0, 0, G_OPTION_ARG_STRING, &flags.metrics_listen,
      "Serve Prometheus metrics (/metrics) and /healthz over HTTP on this address (default: "
      "off)",
      "IP:PORT" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &flags.listen,
      "Standalone debug mode, no controller: serve WHEP (POST /whep) and the viewer page (/) "
      "over HTTP on this address (default: off)",
      "IP:PORT" },
    { "view-only", 0, 0, G_OPTION_ARG_NONE, &view_only,
      "Inject none of the browser's keys, pointer or clipboard into X (input=false)", NULL },
    { "cursor", 0, 0, G_OPTION_ARG_STRING, &flags.cursor,
      "The VM's pointer: local (the page shows it as its own cursor, with no video delay) or "
      "video (drawn into the video) (default local)",
      "local|video" },
    { "allow-open-listen", 0, 0, G_OPTION_ARG_NONE, &allow_open_listen,
      "Let --listen take a non-loopback address without a token file", NULL },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Key file with an [agent] group (default " VSA_DEFAULT_CONFIG_FILE ")", "FILE" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log negotiation details", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL },
  };
  g_auto (Layer) file = { 0 };
  g_autofree char *credentials = NULL;
  const char *file_path;
  gboolean file_read = FALSE;

  context = g_option_context_new ("- stream this VM's screen to a browser over WebRTC");
  g_option_context_set_summary (
      context, "Polls the controller for the browser's WebRTC offer, answers it and streams the\n"
               "X screen. Settings come from flags, then the environment (SESSION_ID,\n"
               "MASTER_CONTROLLER_URL, DISPLAY), then the [agent] group of the config file.");
  g_option_context_set_description (
      context, "Exit status:\n"
               "  0      stopped by SIGTERM or SIGINT, or after --help or --version\n"
               "  2      a configuration error, named in one line: a setting missing or bad,\n"
               "         an unknown option, an address that cannot be bound, a missing\n"
               "         GStreamer element or forced encoder; the systemd unit does not\n"
               "         restart it\n"
               "  other  not a configuration error (1: GStreamer cannot initialise; killed by\n"
               "         a signal: a crash, or the watchdog); the unit restarts it\n"
               "A session that ends never makes it exit.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse_strv (context, &argv, &local_error))
    {
      g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID, "%s (see --help)",
                   local_error->message);
      return FALSE;
    }
  if (argv[1] != NULL)
    {
      g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                   "unexpected argument \"%s\" (see --help)", argv[1]);
      return FALSE;
    }
  if (view_only)
    flags.input = g_strdup ("false");
  if (allow_open_listen)
    flags.allow_open_listen = g_strdup ("true");
  self->verbose = self->verbose || verbose;
  self->show_version = version;
  if (version)
    return TRUE;

  file_path = config_path != NULL ? config_path : VSA_DEFAULT_CONFIG_FILE;
  if (!vsa_config_layer_from_file (&file, file_path, config_path != NULL, &file_read, error))
    return FALSE;
  vsa_config_replace_string (&self->config_file, file_read ? file_path : NULL);

  environment.session_id = vsa_config_env_value (envp, "SESSION_ID");
  environment.controller_url = vsa_config_env_value (envp, "MASTER_CONTROLLER_URL");
  environment.display = vsa_config_env_value (envp, "DISPLAY");
  credentials = vsa_config_env_value (envp, "CREDENTIALS_DIRECTORY");
  if (credentials != NULL)
    {
      g_autofree char *path = g_build_filename (credentials, "controller-token", NULL);

      if (g_file_test (path, G_FILE_TEST_EXISTS))
        environment.token_file = g_steal_pointer (&path);
    }

  vsa_config_layer_overlay (&merged, &file);
  vsa_config_layer_overlay (&merged, &environment);
  vsa_config_layer_overlay (&merged, &flags);
  /* Layer by layer, what a higher one overrides left out, so that an error can say
   * where the bad value is. */
  vsa_config_layer_mask (&file, &environment);
  vsa_config_layer_mask (&file, &flags);
  vsa_config_layer_mask (&environment, &flags);
  if (!vsa_config_apply_layer (self, &file, error))
    {
      g_prefix_error (error, "%s: ", file_path);
      return FALSE;
    }
  if (!vsa_config_apply_layer (self, &environment, error)
      || !vsa_config_apply_layer (self, &flags, error))
    return FALSE;
  /* The default floor follows a bitrate configured below it; a floor set above is an error. */
  if (merged.min_bitrate == NULL)
    self->min_bitrate_kbps = MIN (self->min_bitrate_kbps, self->bitrate_kbps);
  else if (self->min_bitrate_kbps > self->bitrate_kbps)
    {
      g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                   "min-bitrate: %u is above bitrate (%u)", self->min_bitrate_kbps,
                   self->bitrate_kbps);
      if (file.min_bitrate != NULL)
        g_prefix_error (error, "%s: ", file_path);
      return FALSE;
    }
  /* The start likewise: unset, it keeps within the two; set, it must. */
  if (merged.start_bitrate == NULL)
    self->start_bitrate_kbps
        = CLAMP (self->start_bitrate_kbps, self->min_bitrate_kbps, self->bitrate_kbps);
  else if (self->start_bitrate_kbps < self->min_bitrate_kbps
           || self->start_bitrate_kbps > self->bitrate_kbps)
    {
      g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                   "start-bitrate: %u is not between min-bitrate (%u) and bitrate (%u)",
                   self->start_bitrate_kbps, self->min_bitrate_kbps, self->bitrate_kbps);
      if (file.start_bitrate != NULL)
        g_prefix_error (error, "%s: ", file_path);
      return FALSE;
    }
  if (merged.token_file != NULL && *merged.token_file != '\0'
      && !vsa_config_read_token (self, merged.token_file, error))
    return FALSE;
  if (merged.ca_file != NULL && *merged.ca_file != '\0')
    vsa_config_replace_string (&self->ca_file, merged.ca_file);

  /* Standalone: the browser comes to the agent, and the controller's settings are unused. */
  if (self->listen_address != NULL)
    {
      if (!vsa_config_check_open_listen (self, error))
        return FALSE;
      if (self->session_id == NULL)
        self->session_id = g_strdup ("standalone");
      return TRUE;
    }
  if (self->session_id == NULL)
    {
      g_set_error_literal (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_MISSING,
                           "session-id: not set (use --session-id, SESSION_ID or session-id "
                           "in the config file)");
      return FALSE;
    }
  if (self->controller_url == NULL)
    {
      g_set_error_literal (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_MISSING,
                           "controller-url: not set (use --controller-url, MASTER_CONTROLLER_URL "
                           "or controller-url in the config file)");
      return FALSE;
    }
  return TRUE;
}
