package io.snapshotagent.rpc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decoding of the casts captured from nova 26's own code, and of the bad-input corpus. */
class OsloDecoderTest {

    private static final String HOST = "feas-compute1";
    private static final int MAX = 1 << 20;
    private final ObjectMapper json = new ObjectMapper();
    private final OsloDecoder snapshotTopic = new OsloDecoder(json, HOST, false, MAX);
    private final OsloDecoder computeTopic = new OsloDecoder(json, HOST, true, MAX);

    static byte[] resource(String name) {
        try (InputStream in = OsloDecoderTest.class.getResourceAsStream("/rpc/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource rpc/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private SnapshotCast accepted(OsloDecoder decoder, byte[] body) {
        Decoded d = decoder.decode(body);
        return assertInstanceOf(Decoded.Accepted.class, d, () -> "not accepted: " + d).cast();
    }

    @Test
    void theCapturedSnapshotCastDecodes() {
        SnapshotCast cast = accepted(snapshotTopic, resource("snapshot_instance.cast.json"));
        assertEquals(SnapshotCast.Method.SNAPSHOT_INSTANCE, cast.method());
        assertEquals("6.0", cast.rpcVersion());
        assertEquals("6a6ddc22735f49608c32c6646390ac96", cast.uniqueId());
        assertEquals(UUID.fromString("298ff71e-0dae-42a0-b492-72ea4cad052f"), cast.imageId());
        InstanceRef i = cast.instance();
        assertEquals(UUID.fromString("1009d175-65d9-41c4-bd87-9f3f177b84f2"), i.uuid());
        assertEquals("2.7", i.objectVersion());
        assertEquals(HOST, i.host());
        assertEquals("af8d3543b49f456db992d4af42676e06", i.projectId());
        assertEquals("70303f324f3f409bbb7111158b324fb4", i.userId());
        assertEquals("c2c9be9e-d021-4a05-b880-6e9c3d9522a0", i.imageRef());
        assertEquals("vm1", i.displayName());
        assertEquals(1, i.powerState());
        assertEquals("active", i.vmState());
        assertEquals("image_snapshot_pending", i.taskState());
        assertEquals("c2c9be9e-d021-4a05-b880-6e9c3d9522a0", i.systemMetadata().get("image_base_image_ref"));
        assertEquals("raw", i.systemMetadata().get("image_disk_format"));
        assertEquals("m1.small", i.flavor().name());
        assertEquals(20, i.flavor().rootGb());
        RequestContext c = cast.context();
        assertEquals("req-8431df9b-c2ba-4ea0-af97-c5a9c8a00649", c.requestId());
        assertEquals("demo", c.userName());
        assertEquals(List.of("reader", "member"), c.roles());
        assertFalse(c.isAdmin());
        assertTrue(cast.backupType().isEmpty() && cast.rotation().isEmpty());
    }

    @Test
    void theUsersTokenIsNeverPartOfTheDecodedCast() {
        String body = new String(resource("snapshot_instance.cast.json"), StandardCharsets.UTF_8);
        assertTrue(body.contains("gAAAAAB-REDACTED-KEYSTONE-TOKEN"), "the sample should carry the token placeholder");
        SnapshotCast cast = accepted(snapshotTopic, body.getBytes(StandardCharsets.UTF_8));
        assertFalse(cast.toString().contains("gAAAAAB"), cast.toString());
    }

    @Test
    void theCapturedBackupCastDecodes() {
        SnapshotCast cast = accepted(snapshotTopic, resource("backup_instance.cast.json"));
        assertEquals(SnapshotCast.Method.BACKUP_INSTANCE, cast.method());
        assertEquals(UUID.fromString("4c3523ff-2e0a-445e-8b2e-e77ce3de9125"), cast.imageId());
        assertEquals(Optional.of("daily"), cast.backupType());
        assertEquals(Optional.of(2), cast.rotation());
    }

    @Test
    void theBareOslo10FormDecodesLikeTheEnvelope() {
        SnapshotCast bare = accepted(snapshotTopic, resource("snapshot_instance.cast.v1.json"));
        SnapshotCast enveloped = accepted(snapshotTopic, resource("snapshot_instance.cast.json"));
        assertEquals(enveloped, bare);
    }

    @Test
    void computeRpc5IsAccepted() {
        assertEquals("5.0", accepted(snapshotTopic, resource("snapshot_instance.cast.rpc5.json")).rpcVersion());
    }

    @Test
    void plainHexUuidsAreNormalised() throws IOException {
        ObjectNode outer = (ObjectNode) json.readTree(resource("snapshot_instance.cast.json"));
        ObjectNode inner = (ObjectNode) json.readTree(outer.get("oslo.message").asText());
        ((ObjectNode) inner.get("args")).put("image_id", "298FF71E0DAE42A0B49272EA4CAD052F");
        outer.put("oslo.message", inner.toString());
        assertEquals(UUID.fromString("298ff71e-0dae-42a0-b492-72ea4cad052f"),
                accepted(snapshotTopic, json.writeValueAsBytes(outer)).imageId());
    }

    static Stream<Arguments> corpus() {
        String manifest = new String(resource("bad/expected.tsv"), StandardCharsets.UTF_8);
        return manifest.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).map(l -> l.split("\t"))
                .map(f -> Arguments.of(f[0], f[1]));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("corpus")
    void everyBadMessageIsRejectedWithItsReason(String file, String reason) {
        Decoded d = snapshotTopic.decode(resource("bad/" + file));
        Decoded.Rejected r = assertInstanceOf(Decoded.Rejected.class, d, () -> file + " was not rejected: " + d);
        assertEquals(reason, r.reason().code(), () -> file + ": " + r);
        assertFalse(r.detail().isBlank());
    }

    @Test
    void theCorpusCoversEveryReasonButOversized() {
        List<String> covered = corpus().map(a -> (String) a.get()[1]).distinct().toList();
        for (RejectReason reason : RejectReason.values()) {
            assertTrue(reason == RejectReason.OVERSIZED || covered.contains(reason.code()), "no corpus file for " + reason);
        }
    }

    @Test
    void anOversizedBodyIsRejectedUnread() {
        byte[] body = new byte[MAX + 1];
        Decoded.Rejected r = assertInstanceOf(Decoded.Rejected.class, snapshotTopic.decode(body));
        assertEquals(RejectReason.OVERSIZED, r.reason());
        assertTrue(r.detail().contains(Integer.toString(MAX + 1)));
    }

    @Test
    void rejectionsKeepTheIdsTheyCouldRead() {
        Decoded.Rejected r = assertInstanceOf(Decoded.Rejected.class, snapshotTopic.decode(resource("bad/other-host.json")));
        assertEquals(Optional.of("1009d175-65d9-41c4-bd87-9f3f177b84f2"), r.instanceUuid());
        assertEquals(Optional.of("298ff71e-0dae-42a0-b492-72ea4cad052f"), r.imageId());
        Decoded.Rejected bad = assertInstanceOf(Decoded.Rejected.class, snapshotTopic.decode(resource("bad/invalid-image-id.json")));
        assertEquals(Optional.empty(), bad.imageId());
        assertEquals(Optional.of("1009d175-65d9-41c4-bd87-9f3f177b84f2"), bad.instanceUuid());
    }

    @Test
    void otherComputeMethodsAreIgnoredOnTheComputeTopicOnly() {
        byte[] reboot = resource("bad/unknown-method.json");
        assertEquals(new Decoded.Ignored("reboot_instance"), computeTopic.decode(reboot));
        assertEquals(RejectReason.UNKNOWN_METHOD,
                assertInstanceOf(Decoded.Rejected.class, snapshotTopic.decode(reboot)).reason());
    }

    @Test
    void notificationSamplesAreNotMistakenForCasts() {
        for (String name : List.of("instance.snapshot.start.notification.json", "instance.snapshot.end.notification.json",
                "compute.instance.snapshot.start.legacy.json")) {
            Decoded d = snapshotTopic.decode(resource(name));
            assertEquals(RejectReason.BAD_ENVELOPE, assertInstanceOf(Decoded.Rejected.class, d, name).reason(), name);
        }
    }
}
