package io.snapshotagent.hypervisor;

/** How a live snapshot mirrors the disk into its delta. */
enum MirrorMethod {
    /**
     * {@code virDomainBlockCopy} with {@code TRANSIENT_JOB}: the domain stays defined throughout.
     * libvirt 4.5.0 and later.
     */
    BLOCK_COPY,
    /**
     * nova's way, {@code virDomainBlockRebase(COPY|REUSE_EXT|SHALLOW)}, which libvirt refuses on a
     * persistent domain: the domain is undefined for the copy and defined again after it.
     */
    BLOCK_REBASE;

    /** libvirt 4.5.0, which added {@code VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB}. */
    static final long TRANSIENT_JOB_SINCE = 4_005_000;
    /** {@code VIR_DOMAIN_UNDEFINE_KEEP_NVRAM} (libvirt 2.3.0) and {@code KEEP_TPM} (8.9.0). */
    static final int UNDEFINE_KEEP_NVRAM = 1 << 3;
    static final int UNDEFINE_KEEP_TPM = 1 << 6;

    static MirrorMethod forLibvirt(long libvirtVersion) {
        return libvirtVersion >= TRANSIENT_JOB_SINCE ? BLOCK_COPY : BLOCK_REBASE;
    }

    /** nova keeps the vTPM and NVRAM of a domain it undefines for the copy; older libvirt knows neither flag. */
    static int undefineFlags(long libvirtVersion) {
        int flags = 0;
        if (libvirtVersion >= 2_003_000) {
            flags |= UNDEFINE_KEEP_NVRAM;
        }
        if (libvirtVersion >= 8_009_000) {
            flags |= UNDEFINE_KEEP_TPM;
        }
        return flags;
    }
}
