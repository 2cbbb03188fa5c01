package io.snapshotagent.hypervisor;

import com.sun.jna.Library;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import org.libvirt.jna.DomainPointer;

/**
 * The libvirt.so.0 calls libvirt-java 0.5.2 does not bind (signatures of libvirt 9's
 * {@code libvirt-domain.h}, {@code virterror.h}, {@code libvirt-common.h}). {@code dom} is the
 * {@code virDomainPtr} libvirt-java keeps in {@code Domain.vdp}. Use it through {@link BlockJobs}.
 */
interface LibvirtNative extends Library {

    /** {@code virDomainBlockJobInfo}: {@code int type; unsigned long bandwidth; unsigned long long cur, end;}. */
    @Structure.FieldOrder({"type", "bandwidth", "cur", "end"})
    class BlockJobInfo extends Structure {
        public int type;
        public NativeLong bandwidth;
        public long cur;
        public long end;
    }

    /** 0 on success. {@code params} is a {@code virTypedParameterPtr} array (may be null with 0). */
    int virDomainBlockCopy(DomainPointer dom, String disk, String destxml, Pointer params, int nparams, int flags);

    /** 0 on success; {@code bandwidth} in MiB/s unless {@code VIR_DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES}. */
    int virDomainBlockRebase(DomainPointer dom, String disk, String base, NativeLong bandwidth, int flags);

    /** -1 on error, 0 when the disk has no job, 1 when {@code info} was filled. */
    int virDomainGetBlockJobInfo(DomainPointer dom, String disk, BlockJobInfo info, int flags);

    /** Without {@code VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC} it returns once the job is gone. */
    int virDomainBlockJobAbort(DomainPointer dom, String disk, int flags);

    /** The number of file systems frozen, or -1. {@code mountpoints} null with 0 means all of them. */
    int virDomainFSFreeze(DomainPointer dom, Pointer mountpoints, int nmountpoints, int flags);

    /** The number of file systems thawed, or -1. */
    int virDomainFSThaw(DomainPointer dom, Pointer mountpoints, int nmountpoints, int flags);

    /** Grows a typed-parameter array libvirt allocated; free it with {@link #virTypedParamsFree}. */
    int virTypedParamsAddULLong(PointerByReference params, IntByReference nparams, IntByReference maxparams,
                                String name, long value);

    void virTypedParamsFree(Pointer params, int nparams);

    /** The calling thread's last error number ({@code virErrorNumber}), 0 for none. */
    int virGetLastErrorCode();

    /** The calling thread's last error message; libvirt owns the string. */
    String virGetLastErrorMessage();

    void virResetLastError();
}
