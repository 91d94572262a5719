// Native comparison for bench/native-transfer.mjs: N HTTP/1.1 GETs of http://127.0.0.1:PORT/PATH,
// spread over T threads, one download at a time per thread; each body is hashed (SHA-256, OpenSSL)
// and written to DIR/f<i> in one pass, from one 256 KiB read buffer per thread. Prints the first
// download's digest and size. Usage: http-hash-write N T PORT PATH DIR
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int count, port;
static const char *path, *dir;
static int next_index;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void die(const char *what) {
  perror(what);
  exit(1);
}

static int claim(void) {
  pthread_mutex_lock(&lock);
  int i = next_index++;
  pthread_mutex_unlock(&lock);
  return i;
}

static void *downloads(void *unused) {
  (void)unused;
  const size_t cap = 256 * 1024;
  char *buf = malloc(cap);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  char request[512], file[4096];
  int request_length = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
  if (buf == NULL || md == NULL) die("alloc");
  for (int i = claim(); i < count; i = claim()) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof to) != 0) die("connect");
    if (write(s, request, request_length) != request_length) die("send");
    snprintf(file, sizeof file, "%s/f%d", dir, i);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die("open");
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    int in_body = 0;
    size_t have = 0;
    long long total = 0;
    for (;;) {
      ssize_t got = read(s, buf + have, cap - have);
      if (got < 0) die("recv");
      if (got == 0) break;
      have += got;
      char *at = buf;
      size_t length = have;
      if (!in_body) {
        char *blank = memmem(buf, have, "\r\n\r\n", 4);
        if (blank == NULL) {
          if (have == cap) die("response head");
          continue;
        }
        in_body = 1;
        at = blank + 4;
        length = have - (at - buf);
      }
      EVP_DigestUpdate(md, at, length);
      if (write(fd, at, length) != (ssize_t)length) die("write");
      total += length;
      have = 0;
    }
    unsigned char digest[32];
    unsigned int digest_length;
    EVP_DigestFinal_ex(md, digest, &digest_length);
    close(fd);
    close(s);
    if (i == 0) {
      for (unsigned k = 0; k < digest_length; k++) printf("%02x", digest[k]);
      printf(" %lld\n", total);
    }
  }
  EVP_MD_CTX_free(md);
  free(buf);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s N THREADS PORT PATH DIR\n", argv[0]);
    return 2;
  }
  count = atoi(argv[1]);
  int threads = atoi(argv[2]);
  port = atoi(argv[3]);
  path = argv[4];
  dir = argv[5];
  if (threads < 1 || threads > 64) threads = 1;
  pthread_t t[64];
  for (int k = 0; k < threads; k++) pthread_create(&t[k], NULL, downloads, NULL);
  for (int k = 0; k < threads; k++) pthread_join(t[k], NULL);
  return 0;
}
