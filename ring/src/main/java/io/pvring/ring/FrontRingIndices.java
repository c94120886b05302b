package io.pvring.ring;

/** {@link FrontRing}'s private indices, owned by the front thread, padded on both sides. */
abstract class FrontRingIndices extends RingIndexPadding
{
    int reqProdPvt;
    int rspCons;
}
