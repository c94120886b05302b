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


if __name__ == '__main__':
    xs_two_transactions_past_node_quota()
