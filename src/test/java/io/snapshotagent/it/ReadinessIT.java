package io.snapshotagent.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.snapshotagent.it.support.LocalStack;
import io.snapshotagent.it.support.LocalStackResource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The agent against the real local stack: every readiness check is UP, and stopping one
 * component turns exactly its check DOWN, with a reason, until the stack brings it back.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackResource.class, restrictToAnnotatedClass = true)
class ReadinessIT {

    private static final Set<String> DEPENDENCIES = Set.of("rabbitmq", "postgresql", "ceph", "libvirt", "keystone", "glance");
    private static final Duration SETTLE = Duration.ofSeconds(60);

    private record Check(String status, Map<String, Object> data) {
    }

    private static Map<String, Check> readiness() {
        JsonPath json = given().when().get("/q/health/ready").then().extract().jsonPath();
        Map<String, Check> checks = new TreeMap<>();
        List<Map<String, Object>> list = json.getList("checks");
        for (Map<String, Object> c : list) {
            @SuppressWarnings("unchecked")
            Map<String, Object> data = (Map<String, Object>) c.getOrDefault("data", Map.of());
            checks.put((String) c.get("name"), new Check((String) c.get("status"), data));
        }
        return checks;
    }

    /** Polls readiness until {@code down} is DOWN and every other dependency UP (or {@code down} is null and all are UP). */
    private static Map<String, Check> awaitOnlyDown(String down) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        Map<String, Check> checks = Map.of();
        while (System.nanoTime() < deadline) {
            checks = readiness();
            boolean settled = checks.keySet().containsAll(DEPENDENCIES);
            for (String d : DEPENDENCIES) {
                String expected = d.equals(down) ? "DOWN" : "UP";
                settled &= checks.containsKey(d) && expected.equals(checks.get(d).status());
            }
            if (settled) {
                return checks;
            }
            sleep(Duration.ofSeconds(1));
        }
        fail("readiness did not settle with " + (down == null ? "everything UP" : "only " + down + " DOWN")
                + " within " + SETTLE.toSeconds() + " s; last: " + checks);
        return checks;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The highest {@code V<n>__} migration in the source tree: what the schema must be at. */
    private static int latestMigration() {
        try (var files = java.nio.file.Files.list(LocalStack.projectDir().resolve("src/main/resources/db/migration"))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .mapToInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).max().orElseThrow();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertLivenessUp() {
        given().when().get("/q/health/live").then().statusCode(200).body(containsString("\"status\": \"UP\""));
    }

    @Test
    void everyDependencyIsReadyWithDetails() {
        Map<String, Check> checks = awaitOnlyDown(null);
        given().when().get("/q/health/ready").then().statusCode(200);
        assertTrue(String.valueOf(checks.get("ceph").data().get("fsid")).matches("[0-9a-f-]{36}"), checks.get("ceph").toString());
        assertEquals("qemu:///system", checks.get("libvirt").data().get("endpoint"));
        assertEquals("version " + latestMigration(), checks.get("postgresql").data().get("schema"));
        assertEquals("nova@service", checks.get("keystone").data().get("user"));
        assertEquals("v2 images answered HTTP 200", checks.get("glance").data().get("api"));
        assertTrue(String.valueOf(checks.get("rabbitmq").data().get("server")).startsWith("RabbitMQ"));
        assertLivenessUp();
    }

    @Test
    void metricsExposeEachDependency() {
        awaitOnlyDown(null);
        String metrics = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String d : DEPENDENCIES) {
            assertTrue(metrics.contains("snapshot_agent_dependency_up{dependency=\"" + d + "\"} 1.0"),
                    "no up gauge for " + d);
        }
    }

    private static void assertOnlyThisGoesDown(String component, String check, String reason) {
        awaitOnlyDown(null);
        LocalStack.run("stop", component);
        try {
            Map<String, Check> checks = awaitOnlyDown(check);
            String error = String.valueOf(checks.get(check).data().get("error"));
            assertTrue(error.contains(reason), check + " DOWN for an unexpected reason: " + error);
            given().when().get("/q/health/ready").then().statusCode(503);
            assertLivenessUp();
        } finally {
            LocalStack.run("up");
        }
        awaitOnlyDown(null);
    }

    @Test
    void stoppingTheCephOsdTurnsOnlyCephDown() {
        assertOnlyThisGoesDown("ceph-osd", "ceph", "is not reachable");
    }

    @Test
    void stoppingLibvirtdTurnsOnlyLibvirtDown() {
        assertOnlyThisGoesDown("libvirtd", "libvirt", "libvirtd at qemu:///system");
    }

    @Test
    void stoppingKeystoneTurnsOnlyKeystoneDown() {
        assertOnlyThisGoesDown("keystone", "keystone", "127.0.0.1:5000");
    }

    @Test
    void stoppingGlanceTurnsOnlyGlanceDown() {
        assertOnlyThisGoesDown("glance-api", "glance", "9292");
    }
}
