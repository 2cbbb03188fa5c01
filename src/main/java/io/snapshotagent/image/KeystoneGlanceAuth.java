package io.snapshotagent.image;

import org.openstack4j.model.identity.v3.Token;

import java.time.Duration;

/** The agent's own Keystone session as Glance credentials: its token and the catalog's image endpoint. */
final class KeystoneGlanceAuth implements GlanceAuth {

    private final KeystoneSession session;

    KeystoneGlanceAuth(KeystoneSession session) {
        this.session = session;
    }

    @Override
    public Credentials credentials(Duration minValidity) throws GlanceException {
        return of(keystone(() -> session.token(minValidity)));
    }

    @Override
    public Credentials renew(Credentials rejected) throws GlanceException {
        return of(keystone(() -> session.renew(rejected.token())));
    }

    private Credentials of(Token token) throws GlanceException {
        return new Credentials(token.getId(), session.glanceEndpoint(token));
    }

    private interface TokenCall {
        Token get();
    }

    /**
     * openstack4j reports Keystone failures unchecked, and not always as its own exception type
     * (its HTTP connector logs an I/O error and hands back null, which surfaces as an NPE).
     */
    private Token keystone(TokenCall call) throws GlanceException {
        try {
            return call.get();
        } catch (RuntimeException e) {
            throw new GlanceException("no Keystone token for " + session.principal() + " from " + session.authUrl()
                    + ": " + e.getMessage(), e);
        }
    }
}
