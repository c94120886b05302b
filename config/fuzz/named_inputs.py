#!/usr/bin/env python3
"""Writes the hand-made, named regression inputs of the Jazzer @FuzzTest targets (docs/FUZZING.md).

A finding the fuzzer reports is saved as it found it; a finding made by reading the code (or one the fuzzer would
need hours to reach on a shared machine) is written here as the exact sequence of values the target consumes, so
that the input says what it does. Run from the repository root: python3 config/fuzz/named_inputs.py

Jazzer's FuzzedDataProvider (libFuzzer's FuzzedDataProvider.h) consumes integers and booleans from the end of the
input, most significant byte first, and byte arrays from the front.
"""
import os


class Fdp:
    def __init__(self):
        self.front = bytearray()
        self.back = bytearray()  # in consumption order

    def int_in_range(self, v, lo, hi):
        assert lo <= v <= hi, (v, lo, hi)
        span = hi - lo
        k = 0
        while k < 8 and (span >> (8 * k)) > 0:
            k += 1
        for i in reversed(range(k)):
            self.back.append(((v - lo) >> (8 * i)) & 0xFF)
        return self

    def int32(self, v):
        return self.int_in_range(v, -2**31, 2**31 - 1)

    def bool(self, b):
        self.back.append(1 if b else 0)
        return self

    def bytes(self, b):
        self.front += bytes(b)
        return self

    def data(self):
        return bytes(self.front) + bytes(reversed(self.back))


def write(path, fdp):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as out:
        out.write(fdp.data())
    print(path)


# --- ring: XenStoreSocketFuzzTest#frames ----------------------------------------------------------------------------
XS_DIR = 'ring/src/test/resources/io/pvring/xenstore/XenStoreSocketFuzzTestInputs/frames/'
XS_TRANSACTION_START, XS_TRANSACTION_END, XS_MKDIR = 6, 7, 12


def xs_request(f, guest, msg_type, req_id, tx_id, *strings):
    """One structured frame from the guest (or dom0) client, delivered in one piece."""
    strings = [s.encode() for s in strings]
    f.bool(guest).bool(False)
    f.bool(True).int_in_range(msg_type, 0, 27)
    f.int32(req_id)
    f.bool(True).int_in_range(tx_id, 0, 4)
    f.int_in_range(len(strings), 0, 4)
    for s in strings:
        f.bool(False).int_in_range(len(s), 0, 24).bytes(s)
    f.bool(False)  # no binary tail
    f.bool(True)   # header len = payload length
    f.int_in_range(0, 0, 16 + sum(len(s) + 1 for s in strings))  # no split


def xs_two_transactions_past_node_quota():
    """The guest owns 3 nodes; two transactions open side by side each create 5 (each within the quota of 8 on its
    own) and both commit: 13 nodes. Fixed by checking the quota again at commit."""
    f = Fdp()
    xs_request(f, True, XS_MKDIR, 1, 0, 'p')
    xs_request(f, True, XS_MKDIR, 2, 0, 'q')
    xs_request(f, True, XS_TRANSACTION_START, 3, 0)
    xs_request(f, True, XS_TRANSACTION_START, 4, 0)
    for i, n in enumerate('abcde'):
        xs_request(f, True, XS_MKDIR, 10 + i, 1, 'p/' + n)
    for i, n in enumerate('abcde'):
        xs_request(f, True, XS_MKDIR, 20 + i, 2, 'q/' + n)
    xs_request(f, True, XS_TRANSACTION_END, 5, 1, 'T')
    xs_request(f, True, XS_TRANSACTION_END, 6, 2, 'T')
    write(XS_DIR + 'guest-quota-two-transactions-commit-past-node-quota', f)


def xs_seed_session():
    """A seed: both clients walk the common requests (a guest's reads, writes, watch, transaction, permissions)."""
    f = Fdp()
    xs_request(f, True, XS_MKDIR, 1, 0, 'device/vbd/51712')
    xs_request(f, True, 11, 2, 0, 'device/vbd/51712/state')          # WRITE with an empty value
    xs_request(f, True, 4, 3, 0, 'device', 'tok')                   # WATCH
    xs_request(f, False, 11, 4, 0, '/local/domain/1/device/x')      # dom0 WRITE below the guest
    xs_request(f, True, 1, 5, 0, 'device')                           # DIRECTORY
    xs_request(f, True, 2, 6, 0, '/local/domain/2/secret')           # READ of another domain's node: EACCES
    xs_request(f, True, XS_TRANSACTION_START, 7, 0)
    xs_request(f, True, 11, 8, 1, 'a/b')
    xs_request(f, True, XS_TRANSACTION_END, 9, 1, 'T')
    xs_request(f, True, 14, 10, 0, 'a', 'b1', 'r2')                  # SET_PERMS
    xs_request(f, True, 3, 11, 0, 'a')                               # GET_PERMS
    xs_request(f, True, 22, 12, 0, 'device', '0')                    # DIRECTORY_PART
    xs_request(f, True, 13, 13, 0, 'a')                              # RM
    xs_request(f, False, 0, 14, 0, 'check')                          # CONTROL check
    xs_request(f, True, 5, 15, 0, 'device', 'tok')                   # UNWATCH
    write(XS_DIR + 'seed-guest-and-dom0-session', f)


# --- ring: EvtchnSocketFuzzTest#messages --------------------------------------------------------------------------
EV_DIR = 'ring/src/test/resources/io/pvring/event/remote/EvtchnSocketFuzzTestInputs/messages/'
EV_DOMIDS = [0, 1, 2, 7, 0xFFFFFFFF, 0x80000000]


def ev_message(f, client, op, req_id, port=0, domid=0, remote_port=0, value=0):
    f.int_in_range(client, 0, 1).bool(False)
    f.int_in_range(1, 0, 15)                      # size field 32
    f.bool(True).int_in_range(op, 0, 10)
    f.int32(req_id)
    f.bool(True).int_in_range(port, 0, 17)
    f.bool(True).int_in_range(EV_DOMIDS.index(domid), 0, len(EV_DOMIDS) - 1)
    f.bool(True).int_in_range(remote_port, 0, 17)
    f.int32(0)                                    # status, ignored in requests
    f.bool(True).int_in_range(value, -1, 1 << 30)
    f.int_in_range(0, 0, 32)                      # no split


def ev_seed_session():
    """A seed: dom0 and a guest connect a port pair, notify both ways, mask, unmask, close; create and destroy."""
    f = Fdp()
    ev_message(f, 0, 1, 1, domid=0)                   # hello as dom0
    ev_message(f, 1, 1, 2, domid=1)                   # hello as domain 1
    ev_message(f, 1, 2, 3, domid=0)                   # alloc_unbound for dom0: port 1
    ev_message(f, 0, 3, 4, domid=1, remote_port=1)    # dom0 binds it
    ev_message(f, 0, 4, 5, port=1)                    # send
    ev_message(f, 1, 4, 6, port=1)
    ev_message(f, 1, 5, 7, port=1)                    # mask
    ev_message(f, 0, 4, 8, port=1)
    ev_message(f, 1, 6, 9, port=1)                    # unmask: the pending event arrives
    ev_message(f, 1, 7, 10, port=1)                   # close
    ev_message(f, 0, 4, 11, port=1)                   # send to an unbound peer
    ev_message(f, 0, 8, 12, value=1 << 20)            # domain_create
    ev_message(f, 1, 9, 13, domid=7)                  # domain_destroy
    write(EV_DIR + 'seed-port-pair-session', f)


# --- netback: NetifFrontendFuzzTest#rings ---------------------------------------------------------------------------
NETIF_DIR = 'netback/src/test/resources/io/pvring/netback/vif/NetifFrontendFuzzTestInputs/rings/'


def netif_ref(f, index):
    f.int_in_range(1, 0, 7).int_in_range(index, 0, 7)


def netif_tx(f, slots):
    f.int_in_range(0, 0, 6).int_in_range(len(slots), 1, 24)
    for s in slots:
        if s[0] == 'data':
            _, ref, offset, flags, req_id, size = s
            f.bool(True)
            netif_ref(f, ref)
            f.bool(True).int_in_range(offset, 0, 64)
            f.int_in_range(flags, 0, 15).int_in_range(req_id, 0, 0xFFFF)
            f.bool(True).int_in_range(size, 0, 2048)
        else:
            _, extra_type, flags, gso_size, gso_type = s
            f.bool(False).int_in_range(extra_type, 0, 5).int_in_range(flags, 0, 1)
            f.int_in_range(gso_size, 0, 0xFFFF).int_in_range(gso_type, 0, 3).bool(False)


def netif_rx(f, refs):
    f.int_in_range(2, 0, 6).int_in_range(len(refs), 1, 16)
    for ref in refs:
        f.bool(True)
        netif_ref(f, ref)


def netif_ctrl(f, req_id, ctrl_type, values):
    f.int_in_range(3, 0, 6).int_in_range(req_id, 0, 0xFFFF).int_in_range(ctrl_type, 0, 11)
    for kind, v in values:
        if kind == 'ref':
            f.int_in_range(0, 0, 3).int_in_range(v, 0, 7)
        else:
            f.int_in_range(1, 0, 3).int_in_range(v, 0, 64)


def netif_seed_traffic():
    """A seed: RX buffers, a frame from the switch, a one-slot frame, a GSO chain with its extra, the control ring."""
    f = Fdp()
    netif_rx(f, [0, 1, 2, 3, 0, 1, 2, 3])
    f.int_in_range(4, 0, 6).int_in_range(100, 14, 1514)             # the peer sends 100 bytes
    f.int_in_range(4, 0, 6).int_in_range(1514, 14, 1514)
    netif_tx(f, [('data', 0, 0, 0, 0, 60)])
    netif_tx(f, [('data', 0, 0, 4 | 8, 1, 2000), ('extra', 1, 0, 1448, 1), ('data', 1, 0, 0, 2, 1000)])
    netif_tx(f, [('data', 2, 0, 4, 3, 300), ('data', 3, 0, 0, 4, 100)])
    netif_tx(f, [('data', 0, 0, 8, 5, 60), ('extra', 2, 0, 0, 0)])   # multicast add
    netif_ctrl(f, 1, 1, [('n', 0), ('n', 0), ('n', 0)])              # GET_HASH_FLAGS
    netif_ctrl(f, 2, 7, [('n', 1), ('n', 0), ('n', 0)])              # SET_HASH_ALGORITHM toeplitz
    netif_ctrl(f, 3, 3, [('ref', 0), ('n', 40), ('n', 0)])           # SET_HASH_KEY
    netif_ctrl(f, 4, 5, [('n', 8), ('n', 0), ('n', 0)])              # SET_HASH_MAPPING_SIZE
    netif_ctrl(f, 5, 6, [('ref', 1), ('n', 8), ('n', 0)])            # SET_HASH_MAPPING
    netif_ctrl(f, 6, 2, [('n', 15), ('n', 0), ('n', 0)])             # SET_HASH_FLAGS
    f.int_in_range(4, 0, 6).int_in_range(200, 14, 1514)
    f.int_in_range(6, 0, 6)
    write(NETIF_DIR + 'seed-rx-tx-gso-ctrl-traffic', f)


# --- netback: NetFrontendKeysFuzzTest#keys --------------------------------------------------------------------------
NETKEYS_DIR = 'netback/src/test/resources/io/pvring/netback/xenbus/NetFrontendKeysFuzzTestInputs/keys/'
NET_KEYS = ['tx-ring-ref', 'rx-ring-ref', 'event-channel', 'event-channel-tx', 'event-channel-rx', 'request-rx-copy',
            'multi-queue-num-queues', 'queue-0/tx-ring-ref', 'queue-0/rx-ring-ref', 'queue-0/event-channel',
            'queue-1/tx-ring-ref', 'queue-1/rx-ring-ref', 'queue-1/event-channel', 'queue-1/event-channel-tx',
            'queue-1/event-channel-rx', 'feature-sg', 'feature-gso-tcpv4', 'feature-gso-tcpv6',
            'feature-no-csum-offload', 'feature-ipv6-csum-offload', 'feature-rx-notify', 'request-multicast-control',
            'ctrl-ring-ref', 'event-channel-ctrl', 'feature-split-event-channels']
NET_VALUES = ['', '0', '1', '2', '3', '4294967296', '99999999999999999999', '+1', ' 1', '1 ', '0x10', '-0']


def netkey(f, key, kind, index):
    f.int_in_range(0, 0, 4).int_in_range(NET_KEYS.index(key), 0, len(NET_KEYS) - 1)
    if kind == 'ref':
        f.int_in_range(0, 0, 4).int_in_range(index, 0, 6)
    elif kind == 'port':
        f.int_in_range(1, 0, 4).int_in_range(index, 0, 4)
    else:
        f.int_in_range(3, 0, 4).int_in_range(NET_VALUES.index(index), 0, len(NET_VALUES) - 1)


def netkey_state(f, state):
    f.int_in_range(2, 0, 4).bool(True).int_in_range(state, 0, 8)


def netkeys_seed_two_queues_and_ctrl():
    """A seed: a two-queue frontend with a control ring and features connects, then closes."""
    f = Fdp()
    netkey(f, 'multi-queue-num-queues', 'value', '2')
    netkey(f, 'queue-0/tx-ring-ref', 'ref', 0)
    netkey(f, 'queue-0/rx-ring-ref', 'ref', 1)
    netkey(f, 'queue-0/event-channel', 'port', 0)
    netkey(f, 'queue-1/tx-ring-ref', 'ref', 2)
    netkey(f, 'queue-1/rx-ring-ref', 'ref', 3)
    netkey(f, 'queue-1/event-channel', 'port', 1)
    netkey(f, 'request-rx-copy', 'value', '1')
    netkey(f, 'feature-sg', 'value', '1')
    netkey(f, 'feature-gso-tcpv4', 'value', '1')
    netkey(f, 'ctrl-ring-ref', 'ref', 4)
    netkey(f, 'event-channel-ctrl', 'port', 2)
    netkey_state(f, 4)
    netkey_state(f, 5)
    netkey_state(f, 6)
    write(NETKEYS_DIR + 'seed-two-queues-ctrl-ring-connect-close', f)


def netkeys_seed_linux():
    """A seed: a Linux-like single-queue connect, then a key rewritten while connected."""
    f = Fdp()
    f.int_in_range(4, 0, 4)
    netkey(f, 'rx-ring-ref', 'ref', 6)
    netkey_state(f, 3)
    write(NETKEYS_DIR + 'seed-linux-connect', f)


# --- blkback: BlkFrontendKeysFuzzTest#keys -------------------------------------------------------------------------
BLKKEYS_DIR = 'blkback/src/test/resources/io/pvring/blkback/BlkFrontendKeysFuzzTestInputs/keys/'
BLK_KEYS = ['protocol', 'ring-page-order', 'ring-ref', 'ring-ref0', 'ring-ref1', 'event-channel',
            'multi-queue-num-queues', 'queue-0/ring-ref', 'queue-0/event-channel', 'queue-1/ring-ref',
            'queue-1/event-channel', 'queue-1/ring-ref0', 'queue-1/ring-ref1', 'feature-persistent', 'device-type',
            'virtual-device']
BLK_VALUES = ['', '0', '1', '2', '3', '4294967296', '99999999999999999999', '+1', ' 1', '1 ', 'x86_32-abi',
              'x86_64-abi', 'arm-abi', 'cdrom', 'disk']


def blkkey(f, key, kind, index):
    f.int_in_range(0, 0, 4).int_in_range(BLK_KEYS.index(key), 0, len(BLK_KEYS) - 1)
    if kind == 'ref':
        f.int_in_range(0, 0, 4).int_in_range(index, 0, 6)
    elif kind == 'port':
        f.int_in_range(1, 0, 4).int_in_range(index, 0, 4)
    else:
        f.int_in_range(3, 0, 4).int_in_range(BLK_VALUES.index(index), 0, len(BLK_VALUES) - 1)


def blkkeys_seeds():
    """Seeds: a Linux-like connect then close; two queues of two-page rings on the x86_32 ABI."""
    f = Fdp()
    f.int_in_range(4, 0, 4)
    netkey_state(f, 4)
    netkey_state(f, 5)
    netkey_state(f, 6)
    write(BLKKEYS_DIR + 'seed-linux-connect-close', f)
    f = Fdp()
    blkkey(f, 'protocol', 'value', 'x86_32-abi')
    blkkey(f, 'multi-queue-num-queues', 'value', '2')
    blkkey(f, 'ring-page-order', 'value', '1')
    blkkey(f, 'queue-0/ring-ref', 'ref', 0)   # order 1 wants ring-ref0/1: this one is ignored
    blkkey(f, 'queue-1/ring-ref0', 'ref', 2)
    blkkey(f, 'queue-1/ring-ref1', 'ref', 3)
    blkkey(f, 'queue-1/event-channel', 'port', 1)
    blkkey(f, 'queue-0/event-channel', 'port', 0)
    netkey_state(f, 3)
    write(BLKKEYS_DIR + 'seed-two-queues-order-1-x86_32', f)


# --- blkback: BlkifRequestFuzzTest#requests -------------------------------------------------------------------------
BLKIF_DIR = 'blkback/src/test/resources/io/pvring/blkback/BlkifRequestFuzzTestInputs/requests/'


def blk_ref(f, index):
    f.int_in_range(1, 0, 7).int_in_range(index, 0, 9)


def blk_rw(f, op, sector, segs):
    """A read/write/barrier/flush request with (ref index, first, last) segments."""
    f.bool(True).int_in_range(op, 0, 7).bool(True).int_in_range(sector, 0, 130).int_in_range(0, 0, 255)
    f.bool(True).int_in_range(len(segs), 0, 12)
    for ref, first, last in segs:
        blk_ref(f, ref)
        f.int_in_range(first, 0, 9).int_in_range(last, 0, 9)


def blk_discard(f, sector, count):
    f.bool(True).int_in_range(5, 0, 7).bool(True).int_in_range(sector, 0, 130).int_in_range(0, 0, 255)
    f.int_in_range(0, 0, 1).bool(True).int_in_range(count, 0, 200)


def blk_indirect(f, op, sector, nseg, pages):
    f.bool(True).int_in_range(6, 0, 7).bool(True).int_in_range(sector, 0, 130).int_in_range(0, 0, 255)
    f.bool(True).int_in_range(nseg, 0, 40).int_in_range(op, 0, 7).int_in_range(pages, 0, 8)
    for _ in range(pages):
        f.bool(True)


def blk_batch(f, requests):
    f.int_in_range(1, 0, 7).int_in_range(len(requests), 1, 4)
    for r in requests:
        r(f)


def blk_fill_indirect(f, page, start, segs):
    f.int_in_range(0, 0, 7).int_in_range(page, 0, 1).int_in_range(start, 0, 511).int_in_range(len(segs), 1, 16)
    for ref, first, last in segs:
        blk_ref(f, ref)
        f.int_in_range(first, 0, 9).int_in_range(last, 0, 9)


def blkif_seed(x86_32, persistent):
    f = Fdp()
    f.bool(x86_32).bool(persistent)
    blk_batch(f, [lambda g: blk_rw(g, 1, 0, [(0, 0, 7)]), lambda g: blk_rw(g, 0, 0, [(1, 0, 7)]),
                  lambda g: blk_rw(g, 3, 0, []), lambda g: blk_discard(g, 8, 8)])
    blk_batch(f, [lambda g: blk_rw(g, 1, 16, [(0, 0, 7), (1, 0, 7), (2, 2, 5)]),
                  lambda g: blk_rw(g, 2, 24, [(3, 0, 0)])])
    blk_fill_indirect(f, 0, 0, [(0, 0, 7), (1, 0, 7), (2, 0, 7), (3, 0, 7)])
    blk_batch(f, [lambda g: blk_indirect(g, 0, 32, 4, 1), lambda g: blk_indirect(g, 1, 40, 4, 1)])
    return f


def blkif_seeds():
    """Seeds: writes, reads, flush, discard, a barrier and indirect reads and writes, on each ABI."""
    write(BLKIF_DIR + 'seed-x86_64-rw-flush-discard-indirect', blkif_seed(False, False))
    write(BLKIF_DIR + 'seed-x86_32-persistent-rw-flush-discard-indirect', blkif_seed(True, True))


if __name__ == '__main__':
    xs_two_transactions_past_node_quota()
    xs_seed_session()
    ev_seed_session()
    netif_seed_traffic()
    netkeys_seed_two_queues_and_ctrl()
    netkeys_seed_linux()
    blkif_seeds()
    blkkeys_seeds()
