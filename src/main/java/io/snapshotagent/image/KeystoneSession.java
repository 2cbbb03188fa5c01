package io.snapshotagent.image;

import io.snapshotagent.config.AgentConfig;
import jakarta.enterprise.context.ApplicationScoped;
import org.openstack4j.api.OSClient;
import org.openstack4j.api.types.Facing;
import org.openstack4j.core.transport.Config;
import org.openstack4j.model.common.Identifier;
import org.openstack4j.model.identity.v3.Endpoint;
import org.openstack4j.model.identity.v3.Service;
import org.openstack4j.model.identity.v3.Token;
import org.openstack4j.openstack.OSFactory;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The agent's own Keystone v3 identity (its service credentials, never a user's token from a
 * cast). Keeps the last project-scoped token and renews it before it expires, so long uploads
 * never run on a token about to lapse. Methods block on HTTP: worker threads only.
 */
@ApplicationScoped
public class KeystoneSession {

    /** Renew this long before expiry: longer than any single Glance call. */
    private static final Duration RENEW_BEFORE = Duration.ofMinutes(5);

    private final AgentConfig.Keystone keystone;
    private final AgentConfig.Glance glance;
    private final Config transport;
    private Token token;

    KeystoneSession(AgentConfig config) {
        this.keystone = config.keystone();
        this.glance = config.glance();
        int millis = (int) config.glance().timeout().toMillis();
        this.transport = Config.newConfig().withConnectionTimeout(millis).withReadTimeout(millis);
    }

    public URI authUrl() {
        return keystone.authUrl();
    }

    public String principal() {
        return keystone.username() + "@" + keystone.projectName();
    }

    /** Asks Keystone for a new token now. */
    public synchronized Token authenticate() {
        OSClient.OSClientV3 client = OSFactory.builderV3()
                .withConfig(transport)
                .endpoint(keystone.authUrl().toString())
                .credentials(keystone.username(), keystone.password(), Identifier.byName(keystone.userDomainName()))
                .scopeToProject(Identifier.byName(keystone.projectName()), Identifier.byName(keystone.projectDomainName()))
                .authenticate();
        token = client.getToken();
        return token;
    }

    /** A token valid for at least {@link #RENEW_BEFORE}; authenticates only when needed. */
    public synchronized Token token() {
        if (token == null || token.getExpires().toInstant().isBefore(Instant.now().plus(RENEW_BEFORE))) {
            return authenticate();
        }
        return token;
    }

    /**
     * Glance's endpoint: {@code snapshot.glance.endpoint-override}, else the token's catalog entry
     * of type {@code image} for {@code snapshot.glance.endpoint-interface} (and region, if set).
     */
    public URI glanceEndpoint(Token token) throws GlanceException {
        Optional<URI> override = glance.endpointOverride();
        if (override.isPresent()) {
            return override.get();
        }
        Facing facing = Facing.value(glance.endpointInterface());
        for (Service service : token.getCatalog()) {
            if (!"image".equals(service.getType())) {
                continue;
            }
            for (Endpoint endpoint : service.getEndpoints()) {
                boolean region = keystone.regionName().map(r -> r.equals(endpoint.getRegion()) || r.equals(endpoint.getRegionId()))
                        .orElse(true);
                if (endpoint.getIface() == facing && region) {
                    return URI.create(endpoint.getUrl().toString());
                }
            }
        }
        throw new GlanceException("the Keystone catalog has no " + glance.endpointInterface() + " image endpoint"
                + keystone.regionName().map(r -> " in region " + r).orElse(""));
    }
}
