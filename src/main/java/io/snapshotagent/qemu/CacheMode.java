package io.snapshotagent.qemu;

import com.sun.nio.file.ExtendedOpenOption;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** qemu-img's {@code -t}: how the target is written. */
public enum CacheMode {
    /** O_DIRECT: the extract does not push the host's page cache out. */
    NONE("none"),
    /** Through the page cache, for file systems without O_DIRECT (tmpfs; nova bug #1734784). */
    WRITEBACK("writeback");

    private static final Logger LOG = Logger.getLogger(CacheMode.class);
    private static final int ALIGNMENT = 4096;

    private final String qemuName;

    CacheMode(String qemuName) {
        this.qemuName = qemuName;
    }

    public String qemuName() {
        return qemuName;
    }

    /**
     * {@link #NONE} if {@code directory} takes an aligned O_DIRECT write, else {@link #WRITEBACK};
     * nova's {@code supports_direct_io}. Writeback is always correct, so any failure of the probe
     * falls back to it.
     */
    public static CacheMode forDirectory(Path directory) {
        Path probe = directory.resolve(".directio.test");
        try {
            try (FileChannel channel = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING, ExtendedOpenOption.DIRECT)) {
                ByteBuffer block = ByteBuffer.allocateDirect(2 * ALIGNMENT).alignedSlice(ALIGNMENT);
                block.limit(ALIGNMENT);
                channel.write(block);
            }
            return NONE;
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debugf("%s does not take O_DIRECT writes (%s): qemu-img writes with cache=writeback", directory, e.getMessage());
            return WRITEBACK;
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException e) {
                LOG.debugf("cannot remove the O_DIRECT probe %s: %s", probe, e.getMessage());
            }
        }
    }
}
