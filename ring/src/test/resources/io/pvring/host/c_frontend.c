/*
 * A frontend in another process, written against Xen's public headers and pvring's shipped client
 * (pvring_client.h): it maps a pvring domain's memory file and grant-table file (as `pvring serve` exposes them)
 * and grants or revokes a page through the client, which does it exactly as Linux's gnttab v1 code does (frame
 * and domid, write barrier, flags; end of access by a 16-bit cmpxchg on flags).
 *
 *   c_frontend MEMFILE GNTFILE grant REF DOMID GFN BYTE   fill frame GFN with BYTE and grant it to DOMID
 *   c_frontend MEMFILE GNTFILE end REF                    gnttab_end_foreign_access_ref: prints "ended 0|1"
 *   c_frontend MEMFILE GNTFILE read REF                   prints the entry's flags, domid and frame
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pvring_client.h"

int main(int argc, char **argv)
{
    struct pvring_guest g;
    grant_ref_t ref;
    int rc;
    if (argc < 5)
    {
        fprintf(stderr, "usage: %s MEMFILE GNTFILE grant|end|read REF ...\n", argv[0]);
        return 2;
    }
    pvring_init(&g);
    if (pvring_map_memory(&g, argv[1], argv[2]) != 0)
    {
        fprintf(stderr, "%s\n", g.error);
        return 2;
    }
    ref = (grant_ref_t)strtoul(argv[4], NULL, 0);
    if (ref >= g.gnttab_entries)
    {
        fprintf(stderr, "ref %u outside the table\n", ref);
        return 2;
    }
    if (strcmp(argv[3], "grant") == 0 && argc == 8)
    {
        uint64_t gfn = strtoull(argv[6], NULL, 0);
        void *p = pvring_page(&g, gfn);
        if (p == NULL)
        {
            fprintf(stderr, "gfn %llu outside memory\n", (unsigned long long)gfn);
            return 2;
        }
        memset(p, (int)strtol(argv[7], NULL, 0), PVRING_PAGE_SIZE);
        rc = pvring_grant(&g, ref, (domid_t)strtoul(argv[5], NULL, 0), gfn, 0);
        printf("granted %d\n", rc == 0);
    }
    else if (strcmp(argv[3], "end") == 0)
    {
        rc = pvring_end_grant(&g, ref);
        if (rc != 0 && rc != -EBUSY)
        {
            fprintf(stderr, "%s\n", g.error);
            return 2;
        }
        printf("ended %d\n", rc == 0);
    }
    else if (strcmp(argv[3], "read") == 0)
    {
        printf("flags %u\ndomid %u\nframe %u\n", g.gnttab[ref].flags, g.gnttab[ref].domid, g.gnttab[ref].frame);
    }
    else
    {
        fprintf(stderr, "bad command %s\n", argv[3]);
        return 2;
    }
    pvring_close(&g);
    return 0;
}
