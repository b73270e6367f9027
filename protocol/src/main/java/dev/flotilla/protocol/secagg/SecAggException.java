package dev.flotilla.protocol.secagg;

/**
 * A secure-aggregation message that is refused, or a masked round that cannot complete. The message
 * names the party and says what was wrong, for the log and the gRPC status.
 */
public final class SecAggException extends RuntimeException {
    public SecAggException(String message) {
        super(message);
    }
}
