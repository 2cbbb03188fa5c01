package io.snapshotagent.hypervisor;

import io.snapshotagent.it.support.LocalStack;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A tiny guest of the local stack ({@code stack.sh guest create}), destroyed on close. Its disk
 * is deterministic: {@link #sha256()} is the digest of what the guest sees.
 */
public record StackGuest(String name, UUID uuid, String disk, int sizeMib, String imageRef, String sha256)
        implements AutoCloseable {

    /** @param disk rbd, qcow2 or raw */
    public static StackGuest create(String prefix, String disk, int sizeMib) {
        String name = prefix + "-" + disk + "-" + UUID.randomUUID().toString().substring(0, 8);
        String out = LocalStack.run("guest", "create", name, "--disk", disk, "--size", Integer.toString(sizeMib));
        Map<String, String> record = new HashMap<>();
        for (String line : out.split("\n")) {
            if (line.matches("[A-Z0-9_]+=.*")) {
                record.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        if (!record.containsKey("UUID") || !record.containsKey("SHA256")) {
            throw new IllegalStateException("stack.sh guest create printed no UUID/SHA256:\n" + out);
        }
        return new StackGuest(name, UUID.fromString(record.get("UUID")), disk, sizeMib, record.get("IMAGE_REF"),
                record.get("SHA256"));
    }

    public long sizeBytes() {
        return sizeMib * 1024L * 1024L;
    }

    @Override
    public void close() {
        LocalStack.run("guest", "destroy", uuid.toString());
    }
}
