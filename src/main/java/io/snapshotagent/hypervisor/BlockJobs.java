package io.snapshotagent.hypervisor;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import org.libvirt.Domain;
import org.libvirt.jna.DomainPointer;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * Java-shaped calls over {@link LibvirtNative} on a libvirt-java {@link Domain}: block copy and
 * rebase jobs, their progress and abort, and guest file-system freeze. Failures come back as
 * {@link LibvirtCallException} with libvirt's error number and message, read on the calling
 * thread right after the call (libvirt keeps the last error per thread). Blocking.
 */
final class BlockJobs {

    /** {@code virDomainBlockCopyFlags}. */
    static final int COPY_SHALLOW = 1;
    static final int COPY_REUSE_EXT = 1 << 1;
    /** Lets a persistent domain run the copy; libvirt 4.5.0+. */
    static final int COPY_TRANSIENT_JOB = 1 << 2;
    /** {@code virDomainBlockRebaseFlags}. */
    static final int REBASE_SHALLOW = 1;
    static final int REBASE_REUSE_EXT = 1 << 1;
    static final int REBASE_COPY = 1 << 3;
    /** {@code virDomainBlockJobType}. */
    static final int JOB_TYPE_COPY = 2;
    static final String BANDWIDTH = "bandwidth";

    /** {@code VIR_ERR_NO_DOMAIN}: the domain went away (a transient one that stopped). */
    static final int ERR_NO_DOMAIN = 42;

    private static final Field DOMAIN_POINTER = domainPointerField();

    private final LibvirtNative virt;

    BlockJobs() {
        this.virt = Native.load("virt", LibvirtNative.class,
                Map.of(Library.OPTION_STRING_ENCODING, StandardCharsets.UTF_8.name()));
    }

    /** A block job as {@code virDomainGetBlockJobInfo} reports it; {@code cur == end} once a mirror is in sync. */
    record Job(int type, long bandwidth, long cur, long end) {
        boolean inSync() {
            return end > 0 && cur == end;
        }
    }

    /** {@code virDomainBlockCopy}; {@code bandwidthBytes} 0 means unlimited. */
    void blockCopy(Domain domain, String disk, String destinationXml, long bandwidthBytes, int flags) throws LibvirtCallException {
        DomainPointer dom = pointer(domain);
        PointerByReference params = new PointerByReference();
        IntByReference count = new IntByReference(0);
        IntByReference capacity = new IntByReference(0);
        try {
            if (bandwidthBytes > 0 && virt.virTypedParamsAddULLong(params, count, capacity, BANDWIDTH, bandwidthBytes) < 0) {
                throw failure("virDomainBlockCopy", disk);
            }
            if (call(() -> virt.virDomainBlockCopy(dom, disk, destinationXml, params.getValue(), count.getValue(), flags),
                    "virDomainBlockCopy") < 0) {
                throw failure("virDomainBlockCopy", disk);
            }
        } finally {
            if (params.getValue() != null) {
                virt.virTypedParamsFree(params.getValue(), count.getValue());
            }
        }
    }

    /**
     * {@code virDomainBlockRebase}; {@code bandwidth} 0 is unlimited (nova's
     * {@code REBASE_DEFAULT_BANDWIDTH}), else in the unit {@code flags} choose.
     */
    void blockRebase(Domain domain, String disk, String base, int flags, long bandwidth) throws LibvirtCallException {
        DomainPointer dom = pointer(domain);
        if (call(() -> virt.virDomainBlockRebase(dom, disk, base, new NativeLong(bandwidth), flags), "virDomainBlockRebase") < 0) {
            throw failure("virDomainBlockRebase", disk);
        }
    }

    /** The disk's block job; empty when it has none. */
    Optional<Job> job(Domain domain, String disk) throws LibvirtCallException {
        DomainPointer dom = pointer(domain);
        LibvirtNative.BlockJobInfo info = new LibvirtNative.BlockJobInfo();
        int rc = call(() -> virt.virDomainGetBlockJobInfo(dom, disk, info, 0), "virDomainGetBlockJobInfo");
        if (rc < 0) {
            throw failure("virDomainGetBlockJobInfo", disk);
        }
        if (rc == 0) {
            return Optional.empty();
        }
        return Optional.of(new Job(info.type, info.bandwidth.longValue(), info.cur, info.end));
    }

    /**
     * {@code virDomainBlockJobAbort} without pivot, synchronous: when it returns the job is gone
     * and a mirror that was in sync has left its target as a copy of that moment.
     */
    void abort(Domain domain, String disk) throws LibvirtCallException {
        DomainPointer dom = pointer(domain);
        if (call(() -> virt.virDomainBlockJobAbort(dom, disk, 0), "virDomainBlockJobAbort") < 0) {
            throw failure("virDomainBlockJobAbort", disk);
        }
    }

    /** Freezes all guest file systems through the guest agent; the number frozen. */
    int freeze(Domain domain) throws LibvirtCallException {
        DomainPointer dom = pointer(domain);
        int rc = call(() -> virt.virDomainFSFreeze(dom, null, 0, 0), "virDomainFSFreeze");
        if (rc < 0) {
            throw failure("virDomainFSFreeze", "the guest file systems");
        }
        return rc;
    }

    /** Thaws all guest file systems; the number thawed. */
    int thaw(Domain domain) throws LibvirtCallException {
        DomainPointer dom = pointer(domain);
        int rc = call(() -> virt.virDomainFSThaw(dom, null, 0, 0), "virDomainFSThaw");
        if (rc < 0) {
            throw failure("virDomainFSThaw", "the guest file systems");
        }
        return rc;
    }

    @FunctionalInterface
    private interface NativeCall {
        int invoke();
    }

    /** Runs a native call with a clean error slot; an entry point this libvirt lacks is a clear error. */
    private int call(NativeCall call, String function) throws LibvirtCallException {
        virt.virResetLastError();
        try {
            return call.invoke();
        } catch (UnsatisfiedLinkError e) {
            throw new LibvirtCallException(HypervisorException.LIBVIRT_ERROR,
                    "this libvirt has no " + function + " (" + e.getMessage() + ")", 0);
        }
    }

    private LibvirtCallException failure(String function, String subject) {
        int code = virt.virGetLastErrorCode();
        String message = virt.virGetLastErrorMessage();
        return new LibvirtCallException(codeFor(code), function + " on " + subject + ": " + message
                + " (libvirt error " + code + ")", code);
    }

    /** The agent's code for a libvirt error number; the connection decides about libvirt-unavailable. */
    static String codeFor(int libvirtCode) {
        return switch (libvirtCode) {
            case ERR_NO_DOMAIN -> HypervisorException.INSTANCE_NOT_FOUND;
            default -> HypervisorException.LIBVIRT_ERROR;
        };
    }

    /** The {@code virDomainPtr} of a libvirt-java domain (package-private in 0.5.2, hence reflection). */
    static DomainPointer pointer(Domain domain) {
        try {
            DomainPointer p = (DomainPointer) DOMAIN_POINTER.get(domain);
            if (p == null) {
                throw new IllegalStateException("the libvirt-java Domain has been freed");
            }
            return p;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read Domain.vdp", e);
        }
    }

    private static Field domainPointerField() {
        try {
            Field f = Domain.class.getDeclaredField("vdp");
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError("libvirt-java's Domain has no vdp field: not the 0.5.x this was written for");
        }
    }

    /** The {@code <disk>} a block copy writes into: a qcow2 file the agent created (REUSE_EXT). */
    static String copyDestination(String file) {
        return "<disk type='file'><driver type='qcow2'/><source file='" + xmlAttribute(file) + "'/></disk>";
    }

    static String xmlAttribute(String value) {
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;")
                .replace("\"", "&quot;");
    }
}
