/*
 * A libxenstore client for XenStoreInteropTest: a transaction that conflicts once (EAGAIN) and is retried,
 * reads, a watch (initial event, then a change), directory, permissions, error codes, rm.
 * Build: gcc -o xs_client xs_client.c -lxenstore; run with XENSTORED_PATH=<socket>.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#define CHECK(cond, what) \
    do { if (!(cond)) { fprintf(stderr, "FAIL %s: %s (errno %d)\n", what, strerror(errno), errno); return 1; } } \
    while (0)

int main(void)
{
    struct xs_handle *h = xs_open(0);
    CHECK(h, "xs_open");
    struct xs_handle *other = xs_open(0);
    CHECK(other, "xs_open other");

    CHECK(xs_write(h, XBT_NULL, "/c/key", "0", 1), "write key");

    int attempts = 0, conflicts = 0;
    for (;;)
    {
        xs_transaction_t t = xs_transaction_start(h);
        CHECK(t != XBT_NULL, "transaction_start");
        attempts++;
        unsigned int len;
        char *v = xs_read(h, t, "/c/key", &len);
        CHECK(v, "read in transaction");
        int n = atoi(v);
        free(v);
        if (attempts == 1)
        {
            /* Another connection changes what the transaction read: the commit must fail with EAGAIN. */
            CHECK(xs_write(other, XBT_NULL, "/c/key", "5", 1), "conflicting write");
        }
        char buf[32];
        snprintf(buf, sizeof(buf), "%d", n + 1);
        CHECK(xs_write(h, t, "/c/key", buf, strlen(buf)), "write in transaction");
        CHECK(xs_write(h, t, "/c/other", "tx", 2), "second write in transaction");
        if (xs_transaction_end(h, t, false))
        {
            break;
        }
        CHECK(errno == EAGAIN, "transaction_end fails only with EAGAIN");
        conflicts++;
        CHECK(attempts < 10, "bounded retries");
    }

    unsigned int len;
    char *v = xs_read(h, XBT_NULL, "/c/key", &len);
    CHECK(v && len == 1 && strcmp(v, "6") == 0, "value after commit");
    free(v);

    CHECK(xs_watch(h, "/c", "tok"), "watch");
    unsigned int num;
    char **ev = xs_read_watch(h, &num);
    CHECK(ev && strcmp(ev[XS_WATCH_PATH], "/c") == 0 && strcmp(ev[XS_WATCH_TOKEN], "tok") == 0, "initial event");
    free(ev);
    CHECK(xs_write(other, XBT_NULL, "/c/changed", "x", 1), "write for the watch");
    ev = xs_read_watch(h, &num);
    CHECK(ev && strcmp(ev[XS_WATCH_PATH], "/c/changed") == 0, "change event");
    free(ev);

    char **dir = xs_directory(h, XBT_NULL, "/c", &num);
    CHECK(dir && num == 3, "directory");
    free(dir);

    struct xs_permissions perms[2] = {{.id = 5, .perms = XS_PERM_NONE}, {.id = 7, .perms = XS_PERM_READ}};
    CHECK(xs_set_permissions(h, XBT_NULL, "/c/key", perms, 2), "set_permissions");
    struct xs_permissions *got = xs_get_permissions(h, XBT_NULL, "/c/key", &num);
    CHECK(got && num == 2 && got[0].id == 5 && got[0].perms == XS_PERM_NONE && got[1].id == 7 &&
          got[1].perms == XS_PERM_READ, "get_permissions");
    free(got);

    CHECK(!xs_read(h, XBT_NULL, "/c/missing", &len) && errno == ENOENT, "ENOENT for a missing node");
    CHECK(!xs_write(h, XBT_NULL, "/c/bad//path", "x", 1) && errno == EINVAL, "EINVAL for a bad path");
    char *dp = xs_get_domain_path(h, 3);
    CHECK(dp && strcmp(dp, "/local/domain/3") == 0, "get_domain_path");
    free(dp);
    CHECK(xs_is_domain_introduced(h, 0), "dom0 is introduced");

    CHECK(xs_unwatch(h, "/c", "tok"), "unwatch");
    CHECK(xs_rm(h, XBT_NULL, "/c"), "rm");
    CHECK(!xs_read(h, XBT_NULL, "/c/key", &len) && errno == ENOENT, "removed");

    xs_close(other);
    xs_close(h);
    printf("OK attempts=%d conflicts=%d\n", attempts, conflicts);
    return 0;
}
