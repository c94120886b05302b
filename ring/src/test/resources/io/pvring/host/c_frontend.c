/*
 * A frontend in another process, written only against Xen's public headers: it maps a pvring domain's memory file
 * and grant-table file (as `pvring serve` exposes them) and grants or revokes a page exactly as Linux's gnttab v1
 * code does (frame and domid, write barrier, flags; end of access by a 16-bit cmpxchg on flags).
 *
 *   c_frontend MEMFILE GNTFILE grant REF DOMID GFN BYTE   fill frame GFN with BYTE and grant it to DOMID
 *   c_frontend MEMFILE GNTFILE end REF                    gnttab_end_foreign_access_ref: prints "ended 0|1"
 *   c_frontend MEMFILE GNTFILE read REF                   prints the entry's flags, domid and frame
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/ring.h>

#define GRANT_PAGE_SIZE (1UL << XEN_PAGE_SHIFT)

static void *map_file(const char *path, size_t *size)
{
    int fd = open(path, O_RDWR);
    struct stat st;
    void *p;
    if (fd < 0 || fstat(fd, &st) != 0)
    {
        perror(path);
        exit(2);
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
    {
        perror("mmap");
        exit(2);
    }
    close(fd);
    *size = (size_t)st.st_size;
    return p;
}

/* Linux gnttab_end_foreign_access_ref_v1. */
static int end_foreign_access_ref(grant_entry_v1_t *entry)
{
    uint16_t flags, nflags = __atomic_load_n(&entry->flags, __ATOMIC_ACQUIRE);
    do
    {
        flags = nflags;
        if (flags & (GTF_reading | GTF_writing))
        {
            return 0;
        }
        nflags = __sync_val_compare_and_swap(&entry->flags, flags, 0);
    }
    while (nflags != flags);
    return 1;
}

int main(int argc, char **argv)
{
    size_t mem_size, gnt_size;
    uint8_t *mem;
    grant_entry_v1_t *table;
    unsigned long ref;
    if (argc < 5)
    {
        fprintf(stderr, "usage: %s MEMFILE GNTFILE grant|end|read REF ...\n", argv[0]);
        return 2;
    }
    mem = map_file(argv[1], &mem_size);
    table = map_file(argv[2], &gnt_size);
    ref = strtoul(argv[4], NULL, 0);
    if (ref >= gnt_size / sizeof(grant_entry_v1_t))
    {
        fprintf(stderr, "ref %lu outside the table\n", ref);
        return 2;
    }
    if (strcmp(argv[3], "grant") == 0 && argc == 8)
    {
        unsigned long domid = strtoul(argv[5], NULL, 0), gfn = strtoul(argv[6], NULL, 0);
        if ((gfn + 1) * GRANT_PAGE_SIZE > mem_size)
        {
            fprintf(stderr, "gfn %lu outside memory\n", gfn);
            return 2;
        }
        memset(mem + gfn * GRANT_PAGE_SIZE, (int)strtol(argv[7], NULL, 0), GRANT_PAGE_SIZE);
        table[ref].frame = (uint32_t)gfn;
        table[ref].domid = (domid_t)domid;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        __atomic_store_n(&table[ref].flags, GTF_permit_access, __ATOMIC_RELEASE);
        printf("granted 1\n");
    }
    else if (strcmp(argv[3], "end") == 0)
    {
        printf("ended %d\n", end_foreign_access_ref(&table[ref]));
    }
    else if (strcmp(argv[3], "read") == 0)
    {
        printf("flags %u\ndomid %u\nframe %u\n", table[ref].flags, table[ref].domid, table[ref].frame);
    }
    else
    {
        fprintf(stderr, "bad command %s\n", argv[3]);
        return 2;
    }
    return 0;
}
