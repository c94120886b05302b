/*
 * oop_latency.h - the out-of-process frontends' clock and latency histogram (one translation unit each, so static):
 * log-linear buckets, 64 per power of two (under 1.6 % error), counted without allocation on the hot path.
 */
#ifndef OOP_LATENCY_H
#define OOP_LATENCY_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define LAT_SUB_BITS 6
#define LAT_BUCKETS (64 << LAT_SUB_BITS)

static uint64_t lat_counts[LAT_BUCKETS];
static uint64_t lat_samples, lat_max;
static double lat_sum;

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline unsigned int lat_bucket(uint64_t v)
{
    unsigned int msb;
    if (v < (1u << LAT_SUB_BITS))
    {
        return (unsigned int)v;
    }
    msb = 63u - (unsigned int)__builtin_clzll(v);
    return ((msb - LAT_SUB_BITS + 1) << LAT_SUB_BITS) | (unsigned int)((v >> (msb - LAT_SUB_BITS)) &
        ((1u << LAT_SUB_BITS) - 1));
}

/* The largest value of a bucket. */
static uint64_t lat_upper(unsigned int b)
{
    unsigned int shift = b >> LAT_SUB_BITS, sub = b & ((1u << LAT_SUB_BITS) - 1);
    if (shift == 0)
    {
        return sub;
    }
    return ((uint64_t)((1u << LAT_SUB_BITS) | sub) << (shift - 1)) + ((1ull << (shift - 1)) - 1);
}

static inline void lat_record(uint64_t ns)
{
    lat_counts[lat_bucket(ns)]++;
    lat_samples++;
    lat_sum += (double)ns;
    if (ns > lat_max)
    {
        lat_max = ns;
    }
}

static uint64_t lat_percentile(double p)
{
    uint64_t want = (uint64_t)(p / 100.0 * (double)lat_samples + 0.5), seen = 0;
    unsigned int b;
    if (want == 0)
    {
        want = 1;
    }
    for (b = 0; b < LAT_BUCKETS; b++)
    {
        seen += lat_counts[b];
        if (seen >= want)
        {
            return lat_upper(b) < lat_max ? lat_upper(b) : lat_max;
        }
    }
    return lat_max;
}

/* The "name value" lines the Java side reads: percentiles in nanoseconds. */
static void lat_print(void)
{
    printf("samples %llu\n", (unsigned long long)lat_samples);
    printf("p50_ns %llu\n", (unsigned long long)(lat_samples ? lat_percentile(50) : 0));
    printf("p99_ns %llu\n", (unsigned long long)(lat_samples ? lat_percentile(99) : 0));
    printf("p999_ns %llu\n", (unsigned long long)(lat_samples ? lat_percentile(99.9) : 0));
    printf("max_ns %llu\n", (unsigned long long)lat_max);
    printf("mean_ns %llu\n", (unsigned long long)(lat_samples ? lat_sum / (double)lat_samples : 0));
}

#endif /* OOP_LATENCY_H */
