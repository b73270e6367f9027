package dev.flotilla.common.logging;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.MDC;

/**
 * The four fields every log line carries: the job, the role of the process (server, party, controller,
 * demo), the party and the round. A process sets what holds for all its threads ({@link #set}); a thread
 * that works for one party or job sets an MDC entry of the same name, which wins for its lines
 * (the controller reconciles many jobs, the server serves many parties).
 */
public final class LogContext {
  public static final String JOB = "job";
  public static final String ROLE = "role";
  public static final String PARTY = "party";
  public static final String ROUND = "round";

  public static final String ROLE_SERVER = "server";
  public static final String ROLE_PARTY = "party";
  public static final String ROLE_CONTROLLER = "controller";
  public static final String ROLE_DEMO = "demo";
  public static final String ROLE_SIMULATOR = "simulator";

  private static final Map<String, String> PROCESS = new ConcurrentHashMap<>();

  private LogContext() {}

  /** A process-wide field; null clears it. */
  public static void set(String key, String value) {
    if (value == null) {
      PROCESS.remove(key);
    } else {
      PROCESS.put(key, value);
    }
  }

  /** The round the process works on, for every thread's lines. */
  public static void round(long round) {
    set(ROUND, Long.toString(round));
  }

  /** The field for the calling thread: its MDC entry, else the process's, else null. */
  public static String get(String key) {
    String own = MDC.get(key);
    return own != null ? own : PROCESS.get(key);
  }

  /** Forgets the process-wide fields (tests). */
  public static void clear() {
    PROCESS.clear();
  }
}
