package dev.flotilla.protocol.secagg;

import dev.flotilla.protocol.v1.SecAggEncryptedShare;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a party's sealed shares reach its neighbours directly, party to party (the peer channel, in the
 * party module), and how it takes the ones its neighbours delivered to it. A share this courier cannot
 * deliver goes by the aggregator's relay instead, still sealed under the pair's key
 * ({@link SecureRoundClient}); the courier logs which neighbour and why.
 */
public interface ShareCourier {

    /** A party without a peer channel: every share goes by the aggregator's relay. */
    ShareCourier RELAY_ONLY = new ShareCourier() {
        @Override
        public Map<Integer, String> deliver(List<SecAggEncryptedShare> shares) {
            Map<Integer, String> undelivered = new LinkedHashMap<>();
            shares.forEach(share -> undelivered.put(share.getTo(), "this party has no peer channel"));
            return undelivered;
        }

        @Override
        public Optional<SecAggEncryptedShare> collect(int from) {
            return Optional.empty();
        }
    };

    /**
     * Delivers each share to its recipient ({@code to}) and waits until every delivery has an outcome
     * (each has its own deadline).
     *
     * @return why, by recipient, for each share that was not delivered
     */
    Map<Integer, String> deliver(List<SecAggEncryptedShare> shares);

    /** The share that neighbour {@code from} delivered directly to this party, taken once; empty if none arrived. */
    Optional<SecAggEncryptedShare> collect(int from);
}
