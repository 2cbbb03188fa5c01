package io.snapshotagent.api;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Client errors as JSON with a stable code, never an HTML page or a stack trace. */
public class ErrorMapper {

    public record Error(String error, String message) {
    }

    @ServerExceptionMapper
    public Response map(ApiException e) {
        return Response.status(e.status()).type(MediaType.APPLICATION_JSON).entity(new Error(e.code(), e.getMessage())).build();
    }
}
