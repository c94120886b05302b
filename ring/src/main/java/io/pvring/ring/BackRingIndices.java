package io.pvring.ring;

/** {@link BackRing}'s private state, owned by the back thread, padded on both sides. */
abstract class BackRingIndices extends RingIndexPadding
{
    int reqCons;
    int rspProdPvt;
    int available;
    boolean broken;
    int brokenReqProd;
}
