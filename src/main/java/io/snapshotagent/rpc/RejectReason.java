package io.snapshotagent.rpc;

/**
 * Why a message on the agent's queue is dead-lettered. The code goes into the dead letter's
 * {@code x-snapshot-agent-reject-reason} header and the error event, so it is stable API.
 */
public enum RejectReason {
    OVERSIZED("oversized"),
    MALFORMED_JSON("malformed-json"),
    BAD_ENVELOPE("bad-envelope"),
    UNSUPPORTED_ENVELOPE_VERSION("unsupported-envelope-version"),
    UNKNOWN_METHOD("unknown-method"),
    UNSUPPORTED_RPC_VERSION("unsupported-rpc-version"),
    MISSING_ARGUMENT("missing-argument"),
    INVALID_ARGUMENT("invalid-argument"),
    INVALID_IMAGE_ID("invalid-image-id"),
    INVALID_INSTANCE("invalid-instance"),
    UNSUPPORTED_OBJECT_VERSION("unsupported-object-version"),
    INVALID_INSTANCE_UUID("invalid-instance-uuid"),
    WRONG_HOST("wrong-host");

    private final String code;

    RejectReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
