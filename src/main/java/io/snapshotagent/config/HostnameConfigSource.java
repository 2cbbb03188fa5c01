package io.snapshotagent.config;

import org.eclipse.microprofile.config.spi.ConfigSource;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Set;

/**
 * Supplies nova's default for {@code snapshot.host}: the machine's hostname. A config source
 * rather than a code default, because the messaging channels build their queue name and routing
 * key from {@code ${snapshot.host}} in application.properties. Lowest priority: any configured
 * value wins.
 */
public class HostnameConfigSource implements ConfigSource {

    static final String KEY = "snapshot.host";

    private final String hostname = hostname();

    @Override
    public Set<String> getPropertyNames() {
        return Set.of(KEY);
    }

    @Override
    public Map<String, String> getProperties() {
        return Map.of(KEY, hostname);
    }

    @Override
    public String getValue(String propertyName) {
        return KEY.equals(propertyName) ? hostname : null;
    }

    @Override
    public String getName() {
        return "hostname (nova's default host)";
    }

    @Override
    public int getOrdinal() {
        return 10;
    }

    static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            String env = System.getenv("HOSTNAME");
            return env == null || env.isBlank() ? "localhost" : env;
        }
    }
}
