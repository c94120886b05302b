/**
 * pvring as the PV I/O backend of an emulator in another process: {@link io.pvring.serve.ServeHost} puts the
 * xenstore and event-channel sockets and the guests' memory and grant-table files in one directory
 * ({@code pvring serve} on the command line; {@code docs/OUT-OF-PROCESS.md}).
 */
package io.pvring.serve;
