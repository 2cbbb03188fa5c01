package io.snapshotagent.image;

import java.net.URI;
import java.time.Duration;

/** Where Glance is and the token to show it. {@link KeystoneGlanceAuth} is the real one. */
interface GlanceAuth {

    /** A token valid for at least {@code minValidity}, and Glance's endpoint. */
    Credentials credentials(Duration minValidity) throws GlanceException;

    /** New credentials after Glance answered 401 to {@code rejected}. */
    Credentials renew(Credentials rejected) throws GlanceException;

    /** A token and the endpoint it was issued for. The token never appears in {@link #toString()}. */
    record Credentials(String token, URI endpoint) {

        @Override
        public String toString() {
            return "Credentials[endpoint=" + endpoint + "]";
        }
    }
}
