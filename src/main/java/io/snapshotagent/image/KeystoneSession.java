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
import java.util.Objects;
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
    /** A token younger than this is not replaced to gain validity: a new one would expire just as soon. */
    private static final Duration FRESH = Duration.ofMinutes(1);

    private final AgentConfig.Keystone keystone;
    private final AgentConfig.Glance glance;
    private final Config transport;
    private Token token;

    public KeystoneSession(AgentConfig config) {
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

    /** Asks Keystone for a new token now; it becomes the one every caller gets. */
    public synchronized Token authenticate() {
        token = issue();
        return token;
    }

    /**
     * Asks Keystone for a token without keeping it: for the readiness probe, which must not swap
     * the token Glance has already validated (and cached) for one Glance cannot check while
     * Keystone is down — that would make a Keystone outage look like a Glance one.
     */
    public Token probe() {
        return issue();
    }

    private Token issue() {
        OSClient.OSClientV3 client = OSFactory.builderV3()
                .withConfig(transport)
                .endpoint(keystone.authUrl().toString())
                .credentials(keystone.username(), keystone.password(), Identifier.byName(keystone.userDomainName()))
                .scopeToProject(Identifier.byName(keystone.projectName()), Identifier.byName(keystone.projectDomainName()))
                .authenticate();
        return client.getToken();
    }

    /** A token valid for at least {@link #RENEW_BEFORE}; authenticates only when needed. */
    public Token token() {
        return token(RENEW_BEFORE);
    }

    /**
     * A token valid for at least {@code minValidity} (never less than {@link #RENEW_BEFORE}):
     * the cached one when it lasts that long, else a new one. An upload asks for its expected
     * duration. When even a new token expires sooner (Keystone's {@code [token] expiration} is
     * shorter), that new token is the best there is and is returned.
     */
    public synchronized Token token(Duration minValidity) {
        Duration needed = minValidity.compareTo(RENEW_BEFORE) > 0 ? minValidity : RENEW_BEFORE;
        Instant now = Instant.now();
        if (token != null && !token.getExpires().toInstant().isBefore(now.plus(needed))) {
            return token;
        }
        // a token issued a moment ago is as long-lived as Keystone makes them: asking again gains nothing
        if (token != null && token.getIssuedAt() != null && token.getIssuedAt().toInstant().isAfter(now.minus(FRESH))
                && token.getExpires().toInstant().isAfter(now.plus(RENEW_BEFORE))) {
            return token;
        }
        return authenticate();
    }

    /**
     * A new token after a service rejected {@code rejectedTokenId} (HTTP 401: revoked, or expired
     * early). When another thread already renewed it, that newer token is returned instead of
     * asking Keystone again, so concurrent uploads that meet the same 401 authenticate once.
     */
    public synchronized Token renew(String rejectedTokenId) {
        Objects.requireNonNull(rejectedTokenId);
        if (token != null && !token.getId().equals(rejectedTokenId)
                && token.getExpires().toInstant().isAfter(Instant.now().plus(RENEW_BEFORE))) {
            return token;
        }
        return authenticate();
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
