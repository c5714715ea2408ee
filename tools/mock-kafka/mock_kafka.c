/* mock_kafka.c - run librdkafka's mock Kafka cluster (Debian librdkafka 2.0.2) as a process,
 * with fault injection driven over stdin. Built by scripts/setup.mjs:
 *   gcc -O2 -Wall -o .build/mock_kafka tools/mock-kafka/mock_kafka.c -lrdkafka -ldl -lpthread
 * Usage: mock_kafka [-b brokers] [-p base_port] [-f file] [-r MiB] [-j ms] [-x] topic:partitions[:rf] ...
 * First stdout line: bootstrap servers "127.0.0.1:PORT,..."; serves until SIGTERM/SIGINT.
 *  -p  fixed ports (broker i -> base+i-1); default: random ports
 *  -f  also write the bootstrap line to file (atomic rename)
 *  -r  per-partition retention in MiB (librdkafka hard-codes 5 MiB: older data is DROPPED)
 *  -j  initial consumer-group join delay in ms (librdkafka hard-codes 3000 ms)
 *  -x  exit when the parent process dies (no leaked brokers in test suites)
 *
 * Commands on stdin, one per line; each gets exactly one stdout line, "ok" or "error: <msg>":
 *   topic <name> <partitions> [rf]     create a topic (the mock has no CreateTopics API)
 *   down <brokerId> | up <brokerId>    refuse / accept connections (no leader change; -1 = all)
 *   rtt <brokerId> <ms>                delay every response of a broker
 *   errors <apiKey> <count> <errcode>  fail the next <count> requests of <apiKey> (errcode: number
 *                                      or name such as NOT_LEADER_FOR_PARTITION, _TRANSPORT)
 *   clear <apiKey>                     drop errors still queued for <apiKey>
 *   leader <topic> <partition> <brokerId>  move a partition's leader (what `down` does not do)
 * EOF on stdin only stops the command reader: the broker keeps serving until a signal. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static int next_port = 0;

/* The mock binds each broker to 127.0.0.1:0 and has no port option. This
 * executable's bind() pre-empts libc's for librdkafka: substitute a fixed port. */
int bind(int fd, const struct sockaddr *addr, socklen_t len) {
        static int (*real_bind)(int, const struct sockaddr *, socklen_t);
        if (!real_bind)
                real_bind = dlsym(RTLD_NEXT, "bind");
        if (next_port > 0 && addr && addr->sa_family == AF_INET &&
            len >= sizeof(struct sockaddr_in) &&
            ((const struct sockaddr_in *)addr)->sin_port == 0) {
                struct sockaddr_in sin = *(const struct sockaddr_in *)addr;
                sin.sin_port = htons((unsigned short)next_port++);
                return real_bind(fd, (struct sockaddr *)&sin, sizeof(sin));
        }
        return real_bind(fd, addr, len);
}

/* Patch a hard-coded constant inside librdkafka.so: find `pat` (must occur
 * exactly once) in its read-only (x=0) or executable (x=1) segments
 * and overwrite `n` bytes at `pat+at`. Done before any librdkafka thread runs. */
struct patch { const void *pat; size_t plen, at, n; const void *val; int x, ok; };
static int patch_cb(struct dl_phdr_info *info, size_t sz, void *arg) {
        struct patch *pp = arg;
        char *hit = NULL; int hits = 0;
        (void)sz;
        if (!strstr(info->dlpi_name, "librdkafka.so"))
                return 0;
        for (int i = 0; i < info->dlpi_phnum; i++) {
                const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
                if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) ||
                    !!(ph->p_flags & PF_X) != pp->x)
                        continue;
                char *p = (char *)(info->dlpi_addr + ph->p_vaddr);
                for (size_t o = 0; o + pp->plen <= ph->p_memsz; o++)
                        if (!memcmp(p + o, pp->pat, pp->plen)) { hit = p + o; hits++; }
        }
        if (hits != 1)
                return 1;
        long pg = sysconf(_SC_PAGESIZE);
        char *a = hit + pp->at;
        char *page = (char *)((uintptr_t)a & ~(uintptr_t)(pg - 1));
        size_t span = (size_t)(a + pp->n - page);
        int prot = PROT_READ | (pp->x ? PROT_EXEC : 0);
        if (mprotect(page, span, PROT_READ | PROT_WRITE))
                return 1;
        memcpy(a, pp->val, pp->n);
        mprotect(page, span, prot);
        pp->ok = 1;
        return 1;
}
static void patch(const char *what, struct patch p) {
        dl_iterate_phdr(patch_cb, &p);
        if (!p.ok)
                fprintf(stderr, "warning: could not patch %s (not librdkafka 2.0.2?)\n", what);
}

static rd_kafka_mock_cluster_t *mc;
static int brokers = 1;

/* Strict integer parse: a typo must be an error, not a silent 0 (= "broker 0"). */
static int parse_int(const char *s, long *out) {
        char *end;
        if (!s) return 0;
        errno = 0;
        *out = strtol(s, &end, 10);
        return !errno && end != s && !*end;
}

/* Accept numeric codes (librdkafka-internal ones are negative) and names as
 * printed by rd_kafka_err2name(), so tests can say what they mean. */
static int parse_err(const char *s, rd_kafka_resp_err_t *out) {
        const struct rd_kafka_err_desc *d; size_t n; long v;
        if (parse_int(s, &v)) { *out = (rd_kafka_resp_err_t)v; return 1; }
        if (!s) return 0;
        rd_kafka_get_err_descs(&d, &n);
        for (size_t i = 0; i < n; i++)
                if (d[i].name && !strcasecmp(d[i].name, s)) { *out = d[i].code; return 1; }
        return 0;
}

/* Runs one command line; returns NULL on success or a message. */
static const char *run(char *line, char *buf, size_t blen) {
        char *save, *cmd = strtok_r(line, " \t", &save), *a[4];
        long n1, n2, n3;
        int argc = 0;
        rd_kafka_resp_err_t err = 0, code;
        while (argc < 4 && (a[argc] = strtok_r(NULL, " \t", &save))) argc++;
        if (argc == 4) return "too many arguments";
        for (int i = argc; i < 4; i++) a[i] = NULL;
        if (!cmd) return "empty command";

        if (!strcmp(cmd, "topic")) {
                if (!a[0] || !parse_int(a[1], &n1) || n1 < 1 ||
                    (a[2] ? !parse_int(a[2], &n2) || n2 < 1 : (n2 = 1, 0)))
                        return "usage: topic <name> <partitions> [rf]";
                if (n2 > brokers) n2 = brokers; /* as on the command line */
                err = rd_kafka_mock_topic_create(mc, a[0], (int)n1, (int)n2);
        } else if (!strcmp(cmd, "down") || !strcmp(cmd, "up")) {
                if (!parse_int(a[0], &n1) || a[1]) return "usage: down|up <brokerId>";
                err = cmd[0] == 'd' ? rd_kafka_mock_broker_set_down(mc, (int32_t)n1)
                                    : rd_kafka_mock_broker_set_up(mc, (int32_t)n1);
        } else if (!strcmp(cmd, "rtt")) {
                if (!parse_int(a[0], &n1) || !parse_int(a[1], &n2) || n2 < 0 || a[2])
                        return "usage: rtt <brokerId> <ms>";
                err = rd_kafka_mock_broker_set_rtt(mc, (int32_t)n1, (int)n2);
        } else if (!strcmp(cmd, "errors")) {
                if (!parse_int(a[0], &n1) || !parse_int(a[1], &n2) || n2 < 1 || n2 > 100000 ||
                    !parse_err(a[2], &code))
                        return "usage: errors <apiKey> <count> <errcode|ERR_NAME>";
                rd_kafka_resp_err_t *errs = malloc(sizeof(*errs) * (size_t)n2);
                if (!errs) return "out of memory";
                for (long i = 0; i < n2; i++) errs[i] = code;
                rd_kafka_mock_push_request_errors_array(mc, (int16_t)n1, (size_t)n2, errs);
                free(errs);
        } else if (!strcmp(cmd, "clear")) {
                if (!parse_int(a[0], &n1) || a[1]) return "usage: clear <apiKey>";
                rd_kafka_mock_clear_request_errors(mc, (int16_t)n1);
        } else if (!strcmp(cmd, "leader")) {
                if (!a[0] || !parse_int(a[1], &n1) || !parse_int(a[2], &n3))
                        return "usage: leader <topic> <partition> <brokerId>";
                err = rd_kafka_mock_partition_set_leader(mc, a[0], (int32_t)n1, (int32_t)n3);
        } else {
                snprintf(buf, blen, "unknown command '%s' (topic, down, up, rtt, errors, clear, leader)", cmd);
                return buf;
        }
        if (!err) return NULL;
        snprintf(buf, blen, "%s (%s)", rd_kafka_err2str(err), rd_kafka_err2name(err));
        return buf;
}

/* A thread, not a poll loop: main stays in sigwait() so signals are handled
 * exactly as before, and a blocking read costs nothing while idle. */
static void *reader(void *arg) {
        char line[1024], buf[512];
        (void)arg;
        while (fgets(line, sizeof(line), stdin)) {
                size_t len = strlen(line);
                if (len && line[len - 1] != '\n' && !feof(stdin)) {
                        /* overlong line: swallow the rest so one line gets one answer */
                        int c;
                        while ((c = getchar()) != EOF && c != '\n') {}
                        printf("error: line too long\n"); fflush(stdout);
                        continue;
                }
                line[strcspn(line, "\r\n")] = 0;
                const char *msg = run(line, buf, sizeof(buf));
                if (msg) printf("error: %s\n", msg); else printf("ok\n");
                fflush(stdout);
        }
        return NULL; /* EOF: tests may close stdin; keep serving */
}

int main(int argc, char **argv) {
        int opt, i, join_ms = -1, sig;
        long ret_mib = 0;
        const char *bsfile = NULL;
        char errstr[512];

        /* Fetch responses are buffers of megabytes. By default glibc gives each its own mmap and
         * unmaps it when freed, so every response faults its pages in afresh: serving 1M YSB events
         * (257 MB) cost this broker 1.1-1.6 CPU s on a 2-core VM, most of it memmove into fresh
         * pages, and 0.2-1.5 s from one broker process to the next (glibc's mmap threshold moves
         * with what was freed). Kept in the heap and not trimmed, the same took 0.11-0.16 s; the
         * broker then stops crowding the clients it serves off the second core. (A real broker
         * sends from the page cache with sendfile.) */
        mallopt(M_MMAP_THRESHOLD, 256 << 20);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);

        /* Block before librdkafka (and our reader) start threads: they inherit
         * the mask, so only main's sigwait() ever sees SIGTERM/SIGINT. */
        sigset_t sigs;
        sigemptyset(&sigs); sigaddset(&sigs, SIGTERM); sigaddset(&sigs, SIGINT);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);

        while ((opt = getopt(argc, argv, "b:p:f:r:j:x")) != -1) {
                switch (opt) {
                case 'b': brokers = atoi(optarg); break;
                case 'p': next_port = atoi(optarg); break;
                case 'f': bsfile = optarg; break;
                case 'r': ret_mib = atol(optarg); break;
                case 'j': join_ms = atoi(optarg); break;
                case 'x': prctl(PR_SET_PDEATHSIG, SIGTERM); break; /* die with parent */
                default:
                        fprintf(stderr, "usage: %s [-b brokers] [-p base_port] [-f file] "
                                "[-r retention_MiB] [-j join_delay_ms] [-x] topic:partitions[:rf] ...\n", argv[0]);
                        return 2;
                }
        }
        if (ret_mib > 0) { /* 16-byte .rodata constant {5 MiB, 100000} = {max_size, max_cnt} */
                static size_t pat[2] = {5 << 20, 100000}, val[2];
                val[0] = (size_t)ret_mib << 20; val[1] = (size_t)1 << 40;
                patch("retention", (struct patch){pat, 16, 0, 16, val, 0, 0});
        }
        if (join_ms >= 0) { /* `mov $3000000,%ebp` (3000 ms in us) in rd_kafka_mock_cgrp_rebalance */
                static const unsigned char pat[] = {0xbd, 0xc0, 0xc6, 0x2d, 0x00};
                static int32_t us; us = join_ms * 1000;
                patch("join delay", (struct patch){pat, 5, 1, 4, &us, 1, 0});
        }

        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", errstr); return 1; }

        for (i = 0; next_port > 0 && i < brokers; i++) { /* librdkafka aborts on bind failure */
                struct sockaddr_in sin = {.sin_family = AF_INET,
                                          .sin_port = htons((unsigned short)(next_port + i)),
                                          .sin_addr = {.s_addr = htonl(INADDR_LOOPBACK)}};
                int s = socket(AF_INET, SOCK_STREAM, 0), on = 1;
                setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
                if (bind(s, (struct sockaddr *)&sin, sizeof(sin))) {
                        fprintf(stderr, "port %d: %s\n", next_port + i, strerror(errno)); return 1;
                }
                close(s);
        }
        mc = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mc) { fprintf(stderr, "mock cluster creation failed (port in use?)\n"); return 1; }

        for (i = optind; i < argc; i++) {
                char name[256];
                int parts = 1, rf = 1;
                if (sscanf(argv[i], "%255[^:]:%d:%d", name, &parts, &rf) < 1) {
                        fprintf(stderr, "bad topic spec %s\n", argv[i]); return 2;
                }
                if (rf > brokers) rf = brokers;
                rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, name, parts, rf);
                if (err) { fprintf(stderr, "topic %s: %s\n", name, rd_kafka_err2str(err)); return 1; }
        }

        const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
        if (bsfile) {
                char tmp[4096];
                snprintf(tmp, sizeof(tmp), "%s.tmp", bsfile);
                FILE *f = fopen(tmp, "w");
                if (!f || fprintf(f, "%s\n", bs) < 0 || fclose(f) || rename(tmp, bsfile)) {
                        perror(bsfile); return 1;
                }
        }
        /* Bootstrap line first, then start answering commands: the protocol is
         * "line 1 = bootstrap, then one line per command". */
        printf("%s\n", bs);
        fflush(stdout);

        pthread_t th;
        if (pthread_create(&th, NULL, reader, NULL)) { perror("pthread_create"); return 1; }
        pthread_detach(th);

        sigwait(&sigs, &sig);

        /* No rd_kafka_mock_cluster_destroy(): after a `down`, librdkafka 2.0.2's
         * destroy often sits out a 1 s poll timeout, and nothing here outlives
         * the process anyway (the kernel closes the sockets). */
        _exit(0);
}
