package io.pvring.bench.jmh;

import org.agrona.concurrent.SystemNanoClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import io.pvring.bench.net.FrameBuilder;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.memory.GuestMemory;
import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackVif;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netfront.FrameHandler;
import io.pvring.netfront.NetFront;
import io.pvring.netif.Netif;

/**
 * The net hot path on one thread: guest A's netfront queues a burst of frames, A's vif takes them off the TX ring
 * (grant copy) into the virtual switch, B's vif copies them into B's posted RX buffers, B's netfront receives them.
 * The score is the cost of one frame through both netbacks and the switch; {@code -prof gc} shows the allocation
 * per frame (expected: none).
 *
 * <pre>
 *   ./pvring jmh NetHotPathBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
public class NetHotPathBenchmark extends JmhSettings
{
    static final int BURST = 32;
    private static final long FIRST_GFN = 0x100;
    private static final long MAC_A = 0x02_16_3E_00_00_01L;
    private static final long MAC_B = 0x02_16_3E_00_00_02L;

    @Param({"64", "1514"})
    public int frameBytes;

    private Hypervisor hypervisor;
    private NetFront frontA;
    private NetFront frontB;
    private NetBackVif vifA;
    private NetBackVif vifB;
    private BackendGrantMapper mapperA;
    private BackendGrantMapper mapperB;
    private FrameBuilder frame;
    private long received;
    private final FrameHandler onFrame = (buffer, offset, length, rxFlags, gsoType, gsoSize) -> received += length;

    @Setup(Level.Trial)
    public void setup()
    {
        hypervisor = new Hypervisor();
        final VirtualSwitch vswitch = new VirtualSwitch();
        final NetBackConfig config = NetBackConfig.builder().build();
        final Domain a = hypervisor.createDomain("jmh-a", (FIRST_GFN + NetFront.PAGES + 16) * GuestMemory.PAGE_SIZE);
        final Domain b = hypervisor.createDomain("jmh-b", (FIRST_GFN + NetFront.PAGES + 16) * GuestMemory.PAGE_SIZE);
        frontA = new NetFront(a.domid(), a.memory(), a.grantTable(), hypervisor.eventChannels(), Hypervisor.DOM0,
            FIRST_GFN, FrontendFeatures.LINUX, false);
        frontB = new NetFront(b.domid(), b.memory(), b.grantTable(), hypervisor.eventChannels(), Hypervisor.DOM0,
            FIRST_GFN, FrontendFeatures.LINUX, false);
        mapperA = hypervisor.grantMapper(Hypervisor.DOM0, a.domid(), BackendGrantMapper.DEFAULT_MAX_MAPPINGS);
        mapperB = hypervisor.grantMapper(Hypervisor.DOM0, b.domid(), BackendGrantMapper.DEFAULT_MAX_MAPPINGS);
        vifA = connect("vif-a", config, vswitch, mapperA, a, frontA);
        vifB = connect("vif-b", config, vswitch, mapperB, b, frontB);
        frame = new FrameBuilder(MAC_A, MAC_B, 0x0A00_0001, 0x0A00_0002, frameBytes, false, true);
        // B speaks first so the switch learns its MAC and A's frames are unicast.
        final FrameBuilder hello = new FrameBuilder(MAC_B, MAC_A, 0x0A00_0002, 0x0A00_0001, 64, false, true);
        frontB.send(hello.stamp(0), 0, hello.length(), Netif.NETTXF_CSUM_BLANK, Netif.XEN_NETIF_GSO_TYPE_NONE, 0);
        frontB.flush();
        vifB.doWork();
        vifA.doWork();
        frontA.receive(onFrame, 64);
        frontA.flush();
    }

    private NetBackVif connect(final String name, final NetBackConfig config, final VirtualSwitch vswitch,
        final BackendGrantMapper mapper, final Domain domain, final NetFront front)
    {
        return NetBackVif.builder(name)
            .config(config)
            .vswitch(vswitch)
            .mapper(mapper)
            .eventChannels(hypervisor.eventChannels(), Hypervisor.DOM0, domain.domid())
            .queues(new NetBackVif.QueueKeys(front.txRingRef(), front.rxRingRef(), front.txEventPort().port(),
                front.rxEventPort().port()))
            .features(FrontendFeatures.LINUX)
            .clock(new SystemNanoClock())
            .fatalHandler(reason ->
            {
                throw new IllegalStateException(reason);
            })
            .connect()
            .orElseThrow();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        vifA.close();
        vifB.close();
        frontA.close();
        frontB.close();
        mapperA.close();
        mapperB.close();
        hypervisor.close();
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long sendReceiveBurst()
    {
        for (int i = 0; i < BURST; i++)
        {
            frontA.send(frame.stamp(i), 0, frameBytes, Netif.NETTXF_CSUM_BLANK | Netif.NETTXF_DATA_VALIDATED,
                Netif.XEN_NETIF_GSO_TYPE_NONE, 0);
        }
        frontA.flush();
        vifA.doWork();
        vifB.doWork();
        frontB.receive(onFrame, BURST);
        frontB.flush();
        frontA.reclaimTx();
        return received;
    }
}
