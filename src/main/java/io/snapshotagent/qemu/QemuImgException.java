package io.snapshotagent.qemu;

import java.util.OptionalInt;

/** qemu-img could not do what was asked. {@link #code()} is the stable error code a task records. */
public class QemuImgException extends Exception {

    /** qemu-img exited non-zero, could not be started, or printed something unreadable. */
    public static final String FAILED = "qemu-img-failed";
    /** qemu-img ran past its time limit and was killed. */
    public static final String TIMED_OUT = "qemu-img-timeout";

    private final String code;
    private final String command;
    private final OptionalInt exitCode;
    private final String stderrTail;

    QemuImgException(String code, String message, String command, OptionalInt exitCode, String stderrTail, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.command = command;
        this.exitCode = exitCode;
        this.stderrTail = stderrTail;
    }

    public String code() {
        return code;
    }

    /** The command line, with anything secret masked. */
    public String command() {
        return command;
    }

    /** Empty when qemu-img did not exit on its own. */
    public OptionalInt exitCode() {
        return exitCode;
    }

    /** The end of what qemu-img wrote to stderr (possibly empty). */
    public String stderrTail() {
        return stderrTail;
    }
}
