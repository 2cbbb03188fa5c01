package io.snapshotagent.qemu;

import java.util.OptionalLong;

/** The local scratch space for an extract is missing, unusable or too small. */
public class ScratchSpaceException extends Exception {

    /** The file system cannot hold the extract; {@link #requiredBytes()} and {@link #usableBytes()} say by how much. */
    public static final String INSUFFICIENT_DISK_SPACE = "insufficient-disk-space";
    /** The scratch directory could not be created, inspected or removed. */
    public static final String SCRATCH_DIR_FAILED = "scratch-dir-failed";

    private final String code;
    private final OptionalLong requiredBytes;
    private final OptionalLong usableBytes;

    ScratchSpaceException(String message, long requiredBytes, long usableBytes) {
        super(message);
        this.code = INSUFFICIENT_DISK_SPACE;
        this.requiredBytes = OptionalLong.of(requiredBytes);
        this.usableBytes = OptionalLong.of(usableBytes);
    }

    ScratchSpaceException(String message, Throwable cause) {
        super(message, cause);
        this.code = SCRATCH_DIR_FAILED;
        this.requiredBytes = OptionalLong.empty();
        this.usableBytes = OptionalLong.empty();
    }

    public String code() {
        return code;
    }

    public OptionalLong requiredBytes() {
        return requiredBytes;
    }

    public OptionalLong usableBytes() {
        return usableBytes;
    }
}
