/* Prints xen_netif_toeplitz_hash of netif.h for the inputs given as hex strings: "<key hex> <data hex>" per line. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <xen/xen.h>
#define XEN_NETIF_DEFINE_TOEPLITZ
#include <xen/io/netif.h>

static unsigned int unhex(const char *s, uint8_t *out)
{
    unsigned int n = 0;
    while (s[0] && s[1]) {
        unsigned int v;
        sscanf(s, "%2x", &v);
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

int main(void)
{
    char keyhex[256], datahex[256];
    while (scanf("%255s %255s", keyhex, datahex) == 2) {
        uint8_t key[128], data[128];
        unsigned int kl = unhex(keyhex, key), dl = unhex(datahex, data);
        printf("%08x\n", xen_netif_toeplitz_hash(key, kl, data, dl));
    }
    return 0;
}
