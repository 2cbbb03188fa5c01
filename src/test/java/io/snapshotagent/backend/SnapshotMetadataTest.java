package io.snapshotagent.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** nova's snapshot metadata, from the instance of the captured casts. */
class SnapshotMetadataTest {

    private final ObjectMapper json = new ObjectMapper();

    private InstanceFacts instance(String sample) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/rpc/" + sample)) {
            JsonNode inner = json.readTree(json.readTree(in).get("oslo.message").asText());
            JsonNode data = inner.at("/args/instance/nova_object.data");
            return InstanceFacts.from(UUID.fromString(data.get("uuid").asText()), data);
        }
    }

    @Test
    void aSnapshotGetsWhatNovasDriverAndApiSet() throws IOException {
        InstanceFacts i = instance("snapshot_instance.cast.json");
        UUID image = UUID.randomUUID();
        Map<String, String> m = SnapshotMetadata.of(new SnapshotJob(UUID.randomUUID(), image, i, false, Optional.empty(),
                Optional.empty()), "raw");
        assertEquals("raw", m.get("disk_format"));
        assertEquals(i.containerFormat().orElse("bare"), m.get("container_format"));
        assertEquals("snapshot", m.get("image_location"));
        assertEquals("available", m.get("image_state"));
        assertEquals(i.projectId(), m.get("owner_id"));
        assertEquals(i.uuid().toString(), m.get("instance_uuid"));
        assertEquals("snapshot", m.get("image_type"));
        assertEquals(i.baseImageRef().orElseThrow(), m.get("base_image_ref"));
        assertFalse(m.containsKey("backup_type"));
    }

    @Test
    void aBackupNamesItsTypeAndEmptyKernelIdsAreDropped() throws IOException {
        InstanceFacts i = instance("backup_instance.cast.json");
        InstanceFacts withNone = new InstanceFacts(i.uuid(), i.projectId(), i.userId(), i.imageRef(), i.baseImageRef(),
                Optional.of("linux"), Optional.of("none"), Optional.of(""), Optional.empty(), i.displayName(), i.quiesce());
        Map<String, String> m = SnapshotMetadata.of(new SnapshotJob(UUID.randomUUID(), UUID.randomUUID(), withNone, true,
                Optional.of("daily"), Optional.of(2)), "qcow2");
        assertEquals("backup", m.get("image_type"));
        assertEquals("daily", m.get("backup_type"));
        assertEquals("linux", m.get("os_type"));
        assertEquals("bare", m.get("container_format"));
        assertFalse(m.containsKey("kernel_id"));
        assertFalse(m.containsKey("ramdisk_id"));
    }
}
