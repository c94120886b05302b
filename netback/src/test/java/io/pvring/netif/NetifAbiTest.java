package io.pvring.netif;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.pvring.netback.test.RequiredTools;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Every offset, size and constant of the netif flyweights, compared with gcc compiling {@code xen/io/netif.h}. */
class NetifAbiTest
{
    private static final Map<String, Long> C = new HashMap<>();

    @BeforeAll
    static void compileAndRun(@TempDir final Path dir) throws IOException
    {
        final String gcc = RequiredTools.require("gcc", "gcc");
        if (!Files.exists(Path.of("/usr/include/xen/io/netif.h")))
        {
            RequiredTools.unavailable("/usr/include/xen/io/netif.h missing: apt-get install libxen-dev");
        }
        final Path source = dir.resolve("netif_abi.c");
        try (InputStream in = NetifAbiTest.class.getResourceAsStream("netif_abi.c"))
        {
            assertNotNull(in, "netif_abi.c resource");
            Files.write(source, in.readAllBytes());
        }
        final Path binary = dir.resolve("netif_abi");
        RequiredTools.runOk(List.of(gcc, "-Wall", "-Werror", "-o", binary.toString(), source.toString()), 60);
        final String output = RequiredTools.runOk(List.of(binary.toString()), 10);
        for (final String line : output.split("\n"))
        {
            final String[] parts = line.trim().split(" ");
            C.put(parts[0], Long.parseLong(parts[1]));
        }
    }

    private static void check(final String key, final long javaValue)
    {
        assertNotNull(C.get(key), key + " not printed by the C program");
        assertEquals(C.get(key).longValue(), javaValue, key);
    }

    @Test
    void txRequestMatches()
    {
        check("sizeof.netif_tx_request", TxRequest.LENGTH);
        check("offset.netif_tx_request.gref", TxRequest.GREF_OFFSET);
        check("offset.netif_tx_request.offset", TxRequest.OFFSET_OFFSET);
        check("offset.netif_tx_request.flags", TxRequest.FLAGS_OFFSET);
        check("offset.netif_tx_request.id", TxRequest.ID_OFFSET);
        check("offset.netif_tx_request.size", TxRequest.SIZE_OFFSET);
    }

    @Test
    void txResponseAndRxMatch()
    {
        check("sizeof.netif_tx_response", TxResponse.LENGTH);
        check("offset.netif_tx_response.id", TxResponse.ID_OFFSET);
        check("offset.netif_tx_response.status", TxResponse.STATUS_OFFSET);
        check("sizeof.netif_rx_request", RxRequest.LENGTH);
        check("offset.netif_rx_request.id", RxRequest.ID_OFFSET);
        check("offset.netif_rx_request.pad", RxRequest.PAD_OFFSET);
        check("offset.netif_rx_request.gref", RxRequest.GREF_OFFSET);
        check("sizeof.netif_rx_response", RxResponse.LENGTH);
        check("offset.netif_rx_response.id", RxResponse.ID_OFFSET);
        check("offset.netif_rx_response.offset", RxResponse.OFFSET_OFFSET);
        check("offset.netif_rx_response.flags", RxResponse.FLAGS_OFFSET);
        check("offset.netif_rx_response.status", RxResponse.STATUS_OFFSET);
    }

    @Test
    void extraInfoMatches()
    {
        check("sizeof.netif_extra_info", ExtraInfo.LENGTH);
        check("offset.netif_extra_info.type", ExtraInfo.TYPE_OFFSET);
        check("offset.netif_extra_info.flags", ExtraInfo.FLAGS_OFFSET);
        check("offset.netif_extra_info.u", ExtraInfo.U_OFFSET);
        check("offset.netif_extra_info.gso.size", ExtraInfo.GSO_SIZE_OFFSET);
        check("offset.netif_extra_info.gso.type", ExtraInfo.GSO_TYPE_OFFSET);
        check("offset.netif_extra_info.gso.pad", ExtraInfo.GSO_PAD_OFFSET);
        check("offset.netif_extra_info.gso.features", ExtraInfo.GSO_FEATURES_OFFSET);
        check("offset.netif_extra_info.mcast.addr", ExtraInfo.MCAST_ADDR_OFFSET);
        check("offset.netif_extra_info.hash.type", ExtraInfo.HASH_TYPE_OFFSET);
        check("offset.netif_extra_info.hash.algorithm", ExtraInfo.HASH_ALGORITHM_OFFSET);
        check("offset.netif_extra_info.hash.value", ExtraInfo.HASH_VALUE_OFFSET);
    }

    @Test
    void ctrlAndRingsMatch()
    {
        check("sizeof.xen_netif_ctrl_request", CtrlRequest.LENGTH);
        check("offset.xen_netif_ctrl_request.id", CtrlRequest.ID_OFFSET);
        check("offset.xen_netif_ctrl_request.type", CtrlRequest.TYPE_OFFSET);
        check("offset.xen_netif_ctrl_request.data", CtrlRequest.DATA_OFFSET);
        check("sizeof.xen_netif_ctrl_response", CtrlResponse.LENGTH);
        check("offset.xen_netif_ctrl_response.id", CtrlResponse.ID_OFFSET);
        check("offset.xen_netif_ctrl_response.type", CtrlResponse.TYPE_OFFSET);
        check("offset.xen_netif_ctrl_response.status", CtrlResponse.STATUS_OFFSET);
        check("offset.xen_netif_ctrl_response.data", CtrlResponse.DATA_OFFSET);
        check("ring.tx.slot", NetifRings.TX_SLOT_BYTES);
        check("ring.rx.slot", NetifRings.RX_SLOT_BYTES);
        check("ring.ctrl.slot", NetifRings.CTRL_SLOT_BYTES);
        check("ring.tx.size", NetifRings.TX_RING_SIZE);
        check("ring.rx.size", NetifRings.RX_RING_SIZE);
        check("ring.ctrl.size", NetifRings.CTRL.entries());
    }

    @Test
    void constantsMatch()
    {
        check("value.XEN_NETIF_NR_SLOTS_MIN", Netif.NR_SLOTS_MIN);
        check("value.XEN_NETIF_MAX_TX_SIZE", Netif.MAX_TX_SIZE);
        check("value.NETTXF_csum_blank", Netif.NETTXF_CSUM_BLANK);
        check("value.NETTXF_data_validated", Netif.NETTXF_DATA_VALIDATED);
        check("value.NETTXF_more_data", Netif.NETTXF_MORE_DATA);
        check("value.NETTXF_extra_info", Netif.NETTXF_EXTRA_INFO);
        check("value.NETRXF_data_validated", Netif.NETRXF_DATA_VALIDATED);
        check("value.NETRXF_csum_blank", Netif.NETRXF_CSUM_BLANK);
        check("value.NETRXF_more_data", Netif.NETRXF_MORE_DATA);
        check("value.NETRXF_extra_info", Netif.NETRXF_EXTRA_INFO);
        check("value.NETRXF_gso_prefix", Netif.NETRXF_GSO_PREFIX);
        check("value.XEN_NETIF_EXTRA_TYPE_NONE", Netif.XEN_NETIF_EXTRA_TYPE_NONE);
        check("value.XEN_NETIF_EXTRA_TYPE_GSO", Netif.XEN_NETIF_EXTRA_TYPE_GSO);
        check("value.XEN_NETIF_EXTRA_TYPE_MCAST_ADD", Netif.XEN_NETIF_EXTRA_TYPE_MCAST_ADD);
        check("value.XEN_NETIF_EXTRA_TYPE_MCAST_DEL", Netif.XEN_NETIF_EXTRA_TYPE_MCAST_DEL);
        check("value.XEN_NETIF_EXTRA_TYPE_HASH", Netif.XEN_NETIF_EXTRA_TYPE_HASH);
        check("value.XEN_NETIF_EXTRA_TYPE_MAX", Netif.XEN_NETIF_EXTRA_TYPE_MAX);
        check("value.XEN_NETIF_EXTRA_FLAG_MORE", Netif.XEN_NETIF_EXTRA_FLAG_MORE);
        check("value.XEN_NETIF_GSO_TYPE_NONE", Netif.XEN_NETIF_GSO_TYPE_NONE);
        check("value.XEN_NETIF_GSO_TYPE_TCPV4", Netif.XEN_NETIF_GSO_TYPE_TCPV4);
        check("value.XEN_NETIF_GSO_TYPE_TCPV6", Netif.XEN_NETIF_GSO_TYPE_TCPV6);
        check("value.NETIF_RSP_DROPPED", Netif.NETIF_RSP_DROPPED);
        check("value.NETIF_RSP_ERROR", Netif.NETIF_RSP_ERROR);
        check("value.NETIF_RSP_OKAY", Netif.NETIF_RSP_OKAY);
        check("value.NETIF_RSP_NULL", Netif.NETIF_RSP_NULL);
        check("value._XEN_NETIF_CTRL_HASH_TYPE_IPV4", Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4_BIT);
        check("value._XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP", Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP_BIT);
        check("value._XEN_NETIF_CTRL_HASH_TYPE_IPV6", Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV6_BIT);
        check("value._XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP", Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP_BIT);
        check("value.XEN_NETIF_CTRL_HASH_TYPE_IPV4", Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4);
        check("value.XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP", Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP);
        check("value.XEN_NETIF_CTRL_HASH_TYPE_IPV6", Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV6);
        check("value.XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP", Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP);
        check("value.XEN_NETIF_CTRL_HASH_ALGORITHM_NONE", Netif.XEN_NETIF_CTRL_HASH_ALGORITHM_NONE);
        check("value.XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ", Netif.XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ);
        check("value.XEN_NETIF_CTRL_TYPE_INVALID", Netif.XEN_NETIF_CTRL_TYPE_INVALID);
        check("value.XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS", Netif.XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS);
        check("value.XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS", Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS);
        check("value.XEN_NETIF_CTRL_TYPE_SET_HASH_KEY", Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_KEY);
        check("value.XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE", Netif.XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE);
        check("value.XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE", Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE);
        check("value.XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING", Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING);
        check("value.XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM", Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM);
        check("value.XEN_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE", Netif.XEN_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE);
        check("value.XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING", Netif.XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING);
        check("value.XEN_NETIF_CTRL_TYPE_DEL_GREF_MAPPING", Netif.XEN_NETIF_CTRL_TYPE_DEL_GREF_MAPPING);
        check("value.XEN_NETIF_CTRL_STATUS_SUCCESS", Netif.XEN_NETIF_CTRL_STATUS_SUCCESS);
        check("value.XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED", Netif.XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED);
        check("value.XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER", Netif.XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
        check("value.XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW", Netif.XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW);
    }

    @Test
    void flyweightsAreLittleEndianAndWidenUnsigned()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[16]);
        new TxRequest().wrap(buffer, 0).gref(0x01020304).pageOffset(0xF00D).flags(0x8001).id(0xFFFF).size(0xFFFF);
        assertEquals(0x04, buffer.getByte(0));
        assertEquals(0x0D, buffer.getByte(4));
        final TxRequest request = new TxRequest().wrap(buffer, 0);
        assertEquals(0xF00D, request.pageOffset());
        assertEquals(0x8001, request.flags());
        assertEquals(0xFFFF, request.size());
        new RxResponse().wrap(buffer, 0).status(Netif.NETIF_RSP_ERROR);
        assertEquals(-1, new RxResponse().wrap(buffer, 0).status());
        final ExtraInfo extra = new ExtraInfo().wrap(buffer, 8).clear().mcastAddr(0x0100_5E00_0001L);
        assertEquals(0x01, buffer.getByte(10));
        assertEquals(0x0100_5E00_0001L, extra.mcastAddr());
        new CtrlRequest().wrap(buffer, 0).data(2, 0xFFFF_FFFFL);
        assertEquals(0xFFFF_FFFFL, new CtrlRequest().wrap(buffer, 0).data(2));
    }
}
