/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-poll-floor PORT PATH INTERVAL_MS WINDOW_S: the least an offer poll can cost on this
 * machine, for bench/poll-cost to set beside the agent's figure. Plain C with no library:
 * a GET for PATH on one kept-alive connection to 127.0.0.1:PORT every INTERVAL_MS, with
 * the agent's two waits per poll (the interval, then the reply) in poll(2), the reply's
 * status line checked and nothing else. Prints the polls answered, the process's CPU
 * time over WINDOW_S and the CPU per poll; then the CPU of the interval's wakeup alone
 * (half as many, with no request). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double
now_s (clockid_t clock)
{
  struct timespec ts;
  clock_gettime (clock, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
cpu_ms (void)
{
  return now_s (CLOCK_PROCESS_CPUTIME_ID) * 1e3;
}

/* One GET and its reply, read until its Content-Length is in: 1 for a reply, 0 on error. */
static int
poll_once (int fd, const char *request, size_t request_len)
{
  char reply[4096];
  size_t have = 0;
  struct pollfd pfd = { .fd = fd, .events = POLLIN };

  if (send (fd, request, request_len, MSG_NOSIGNAL) != (ssize_t) request_len)
    return 0;
  for (;;)
    {
      const char *length, *body;
      ssize_t n;

      if (poll (&pfd, 1, 5000) != 1)
        return 0;
      n = recv (fd, reply + have, sizeof reply - 1 - have, 0);
      if (n <= 0)
        return 0;
      have += n;
      reply[have] = '\0';
      length = strstr (reply, "Content-Length: ");
      body = strstr (reply, "\r\n\r\n");
      if (length != NULL && body != NULL
          && (size_t) (body + 4 - reply) + strtoul (length + 16, NULL, 10) <= have)
        return strncmp (reply, "HTTP/1.1 ", 9) == 0;
    }
}

int
main (int argc, char **argv)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  char request[512];
  int request_len, fd, interval_ms, polls = 0, wakeups;
  double window_s, start, cpu0;

  if (argc != 5)
    {
      fprintf (stderr, "usage: vsa-poll-floor PORT PATH INTERVAL_MS WINDOW_S\n");
      return 2;
    }
  addr.sin_port = htons (atoi (argv[1]));
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  interval_ms = atoi (argv[3]);
  window_s = atof (argv[4]);
  request_len
      = snprintf (request, sizeof request,
                  "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nAccept: application/json\r\n\r\n",
                  argv[2], argv[1]);
  fd = socket (AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      perror ("vsa-poll-floor: connect");
      return 1;
    }

  start = now_s (CLOCK_MONOTONIC);
  cpu0 = cpu_ms ();
  while (now_s (CLOCK_MONOTONIC) - start < window_s)
    {
      poll (NULL, 0, interval_ms); /* the interval's wait, as a main loop's timer */
      if (!poll_once (fd, request, request_len))
        {
          fprintf (stderr, "vsa-poll-floor: no reply to poll %d\n", polls + 1);
          return 1;
        }
      polls++;
    }
  printf ("floor: %d polls, CPU %.1f ms: %.3f ms per poll\n", polls, cpu_ms () - cpu0,
          (cpu_ms () - cpu0) / polls);
  close (fd);

  /* What the timer's wakeup alone costs, over half as many intervals. */
  wakeups = polls / 2 > 0 ? polls / 2 : 1;
  cpu0 = cpu_ms ();
  for (int i = 0; i < wakeups; i++)
    poll (NULL, 0, interval_ms);
  printf ("of which the wakeup alone: %.3f ms (%d wakeups with no request)\n",
          (cpu_ms () - cpu0) / wakeups, wakeups);
  return 0;
}
