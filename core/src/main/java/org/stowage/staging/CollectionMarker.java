package org.stowage.staging;

import java.nio.charset.StandardCharsets;

/**
 * The small object a running collection keeps at {@code <collections>/<id>} (see {@link
 * ContentCollector}): which phase it is in, and when it last renewed its lease. UTF-8 text, one
 * {@code \n} after each line:
 *
 * <pre>
 * stowage-collection 1
 * state marking|sweeping
 * renewed &lt;epoch milliseconds&gt;
 * lease &lt;milliseconds&gt;
 * </pre>
 *
 * <p>A writer takes a marker not renewed for {@link #ABANDONED_AFTER_LEASES} leases, by its own
 * clock, for the leftover of a killed collection.
 */
record CollectionMarker(State state, long renewedMillis, long leaseMillis) {
  static final int ABANDONED_AFTER_LEASES = 3;
  private static final String MAGIC = "stowage-collection 1";

  enum State {
    /** Listing references; a writer that leaves a late root is seen. */
    MARKING,
    /** Deleting; a writer waits for the end before it checks its content. */
    SWEEPING
  }

  byte[] toBytes() {
    return (MAGIC + "\nstate " + state.name().toLowerCase(java.util.Locale.ROOT) + "\nrenewed "
            + renewedMillis + "\nlease " + leaseMillis + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Whether a writer whose clock reads {@code nowMillis} may take this marker for abandoned. */
  boolean abandonedAt(long nowMillis) {
    return nowMillis - renewedMillis > ABANDONED_AFTER_LEASES * leaseMillis;
  }

  /** Parses a marker, or returns {@code null} if {@code bytes} is not one. */
  static CollectionMarker parse(byte[] bytes) {
    String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
    if (lines.length != 5 || !lines[0].equals(MAGIC) || !lines[4].isEmpty()
        || !lines[1].startsWith("state ") || !lines[2].startsWith("renewed ") || !lines[3].startsWith("lease ")) {
      return null;
    }
    try {
      State state = State.valueOf(lines[1].substring(6).toUpperCase(java.util.Locale.ROOT));
      return new CollectionMarker(
          state, Long.parseLong(lines[2].substring(8)), Long.parseLong(lines[3].substring(6)));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
