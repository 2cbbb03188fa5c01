package io.snapshotagent.hypervisor;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockJobsTest {

    @Test
    void theCopyDestinationIsAQcow2FileDiskWithTheNameEscaped() {
        assertEquals("<disk type='file'><driver type='qcow2'/><source file='/s/snapshot-1/abc.delta'/></disk>",
                BlockJobs.copyDestination("/s/snapshot-1/abc.delta"));
        assertEquals("<disk type='file'><driver type='qcow2'/><source file='/s/a&apos;b&amp;c&lt;d&gt;&quot;.delta'/></disk>",
                BlockJobs.copyDestination("/s/a'b&c<d>\".delta"));
    }

    @Test
    void aMirrorIsInSyncWhenCurReachesANonZeroEnd() {
        assertTrue(new BlockJobs.Job(BlockJobs.JOB_TYPE_COPY, 0, 1 << 25, 1 << 25).inSync());
        assertFalse(new BlockJobs.Job(BlockJobs.JOB_TYPE_COPY, 0, (1 << 25) - 1, 1 << 25).inSync(),
                "libvirt reports end - 1 until QEMU says ready");
        assertFalse(new BlockJobs.Job(BlockJobs.JOB_TYPE_COPY, 0, 0, 0).inSync(), "a job that has not started");
    }

    @Test
    void libvirtErrorNumbersMapToTheAgentsCodes() {
        assertEquals(HypervisorException.INSTANCE_NOT_FOUND, BlockJobs.codeFor(BlockJobs.ERR_NO_DOMAIN));
        // none, internal error, no support, operation invalid (e.g. "domain is not running"), agent unresponsive
        for (int other : List.of(0, 1, 3, 55, 86)) {
            assertEquals(HypervisorException.LIBVIRT_ERROR, BlockJobs.codeFor(other));
        }
    }

    @Test
    void theFlagsAreLibvirts() {
        // libvirt-domain.h: SHALLOW 1<<0, REUSE_EXT 1<<1, TRANSIENT_JOB 1<<2; rebase COPY 1<<3
        assertEquals(7, BlockJobs.COPY_SHALLOW | BlockJobs.COPY_REUSE_EXT | BlockJobs.COPY_TRANSIENT_JOB);
        assertEquals(11, BlockJobs.REBASE_COPY | BlockJobs.REBASE_REUSE_EXT | BlockJobs.REBASE_SHALLOW);
    }

    @Test
    void blockCopyNeedsLibvirt450AndOlderLibvirtRebases() {
        assertEquals(MirrorMethod.BLOCK_COPY, MirrorMethod.forLibvirt(9_000_000));
        assertEquals(MirrorMethod.BLOCK_COPY, MirrorMethod.forLibvirt(4_005_000));
        assertEquals(MirrorMethod.BLOCK_REBASE, MirrorMethod.forLibvirt(4_004_000));
        assertEquals(MirrorMethod.UNDEFINE_KEEP_NVRAM | MirrorMethod.UNDEFINE_KEEP_TPM, MirrorMethod.undefineFlags(9_000_000));
        assertEquals(MirrorMethod.UNDEFINE_KEEP_NVRAM, MirrorMethod.undefineFlags(4_004_000));
        assertEquals(0, MirrorMethod.undefineFlags(1_003_001));
    }
}
