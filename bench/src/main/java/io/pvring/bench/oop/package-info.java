/**
 * The out-of-process benchmarks ({@code --frontend process}): a frontend in C against Xen's headers and the
 * shipped client ({@code pvring_client.h}), compiled at run time, driving a {@link io.pvring.serve.ServeHost} in
 * this JVM through its directory, as an emulator's frontend would.
 */
package io.pvring.bench.oop;
