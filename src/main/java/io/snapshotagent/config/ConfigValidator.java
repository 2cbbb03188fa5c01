package io.snapshotagent.config;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks what a typed mapping cannot: files that must exist, URIs that must be usable,
 * values nova would refuse. Pure, so it is tested without starting the application.
 */
public final class ConfigValidator {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Set<String> INTERFACES = Set.of("public", "internal", "admin");
    private static final Set<String> IMAGE_FORMATS = Set.of("raw", "qcow2", "vmdk", "vdi", "ploop");

    private ConfigValidator() {
    }

    /** One line per problem, each starting with the property name; empty when the config is usable. */
    public static List<String> problems(AgentConfig config) {
        List<String> problems = new ArrayList<>();
        if (!NAME.matcher(config.host()).matches()) {
            problems.add("snapshot.host: '" + config.host() + "' is not a host name (letters, digits, '.', '_', '-')");
        }
        if (config.rpc().maxMessageBytes() < 16 * 1024) {
            problems.add("snapshot.rpc.max-message-bytes: at least 16384, is " + config.rpc().maxMessageBytes());
        }
        if (config.maxConcurrentSnapshots() < 1) {
            problems.add("snapshot.max-concurrent-snapshots: must be at least 1, is " + config.maxConcurrentSnapshots());
        }
        if (!NAME.matcher(config.rpc().topic()).matches()) {
            problems.add("snapshot.rpc.topic: '" + config.rpc().topic() + "' is not a valid topic");
        }
        if (!NAME.matcher(config.rpc().controlExchange()).matches()) {
            problems.add("snapshot.rpc.control-exchange: '" + config.rpc().controlExchange() + "' is not a valid exchange name");
        }
        checkLibvirt(config.libvirt(), problems);
        checkRbd(config.rbd(), problems);
        checkHttpUri("snapshot.keystone.auth-url", config.keystone().authUrl(), problems);
        if (config.keystone().username().isBlank()) {
            problems.add("snapshot.keystone.username: must not be empty");
        }
        if (!INTERFACES.contains(config.glance().endpointInterface())) {
            problems.add("snapshot.glance.endpoint-interface: '" + config.glance().endpointInterface()
                    + "' is not one of " + INTERFACES);
        }
        config.glance().endpointOverride().ifPresent(uri -> checkHttpUri("snapshot.glance.endpoint-override", uri, problems));
        if (config.glance().timeout().isNegative() || config.glance().timeout().isZero()) {
            problems.add("snapshot.glance.timeout: must be positive");
        }
        if (config.health().probeTimeout().isNegative() || config.health().probeTimeout().isZero()) {
            problems.add("snapshot.health.probe-timeout: must be positive");
        }
        return problems;
    }

    private static void checkLibvirt(AgentConfig.Libvirt libvirt, List<String> problems) {
        try {
            URI uri = URI.create(libvirt.uri());
            if (uri.getScheme() == null) {
                problems.add("snapshot.libvirt.uri: '" + libvirt.uri() + "' has no driver scheme (e.g. qemu:///system)");
            }
        } catch (IllegalArgumentException e) {
            problems.add("snapshot.libvirt.uri: '" + libvirt.uri() + "' is not a URI: " + e.getMessage());
        }
        Path dir = libvirt.snapshotsDirectory();
        if (!dir.isAbsolute()) {
            problems.add("snapshot.libvirt.snapshots-directory: '" + dir + "' must be an absolute path");
        } else if (Files.exists(dir) && !Files.isDirectory(dir)) {
            problems.add("snapshot.libvirt.snapshots-directory: '" + dir + "' exists and is not a directory");
        } else if (!Files.exists(dir) && (dir.getParent() == null || !Files.isDirectory(dir.getParent()))) {
            problems.add("snapshot.libvirt.snapshots-directory: neither '" + dir + "' nor its parent exists");
        }
        libvirt.snapshotImageFormat().ifPresent(format -> {
            if (!IMAGE_FORMATS.contains(format)) {
                problems.add("snapshot.libvirt.snapshot-image-format: '" + format + "' is not one of " + IMAGE_FORMATS);
            }
        });
    }

    private static void checkRbd(AgentConfig.Rbd rbd, List<String> problems) {
        Path conf = rbd.cephConf();
        if (!Files.exists(conf)) {
            problems.add("snapshot.rbd.ceph-conf: " + conf + " does not exist");
        } else if (!Files.isRegularFile(conf) || !Files.isReadable(conf)) {
            problems.add("snapshot.rbd.ceph-conf: " + conf + " is not a readable file");
        }
        if (rbd.user().startsWith("client.")) {
            problems.add("snapshot.rbd.user: give the id without 'client.' (as nova's rbd_user), e.g. '"
                    + rbd.user().substring("client.".length()) + "'");
        } else if (!NAME.matcher(rbd.user()).matches()) {
            problems.add("snapshot.rbd.user: '" + rbd.user() + "' is not a Ceph client id");
        }
        if (!NAME.matcher(rbd.pool()).matches()) {
            problems.add("snapshot.rbd.pool: '" + rbd.pool() + "' is not a pool name");
        }
        if (!NAME.matcher(rbd.imagesPool()).matches()) {
            problems.add("snapshot.rbd.images-pool: '" + rbd.imagesPool() + "' is not a pool name");
        }
        if (rbd.connectTimeout() < 1) {
            problems.add("snapshot.rbd.connect-timeout: must be at least 1 second");
        }
    }

    private static void checkHttpUri(String key, URI uri, List<String> problems) {
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
            problems.add(key + ": '" + uri + "' is not an http(s) URL");
        }
    }
}
