package org.stowage.compose;

import java.util.Objects;
import org.stowage.Location;

/**
 * Options of {@link StorageSync#sync} and {@link StorageSync#migrate}. Start from {@link
 * #defaults()} and change what you need:
 *
 * <pre>{@code
 * SyncOptions options = SyncOptions.defaults().withPrefix("runs/2024/").withParallelism(16);
 * }</pre>
 *
 * @param prefix only locations that start with it (rule I1) take part; a listing prefix per rule
 *     L5. {@link StorageSync#migrate} takes its prefix as an argument instead, and ignores this one
 * @param parallelism how many objects are transferred at once
 * @param conflictRule what a two-way sync does with an object that differs on the two sides
 * @param listener hears about every object handled, from the transferring threads
 * @param verifyByReading whether {@link StorageSync#migrate} re-reads each object from the target
 *     ({@code verify}) before deleting it from the source; if false, it compares the target's
 *     recorded metadata with the source's instead
 */
public record SyncOptions(
    String prefix,
    int parallelism,
    StorageSync.ConflictRule conflictRule,
    StorageSync.Listener listener,
    boolean verifyByReading) {

  /**
   * Validates the options.
   *
   * @throws org.stowage.InvalidLocationException if {@code prefix} breaks rule L5
   * @throws IllegalArgumentException if {@code parallelism} is not positive
   */
  public SyncOptions {
    Location.checkPrefix(prefix);
    if (parallelism <= 0) {
      throw new IllegalArgumentException("parallelism must be positive: " + parallelism);
    }
    Objects.requireNonNull(conflictRule, "conflictRule");
    Objects.requireNonNull(listener, "listener");
  }

  /**
   * Everything (empty prefix), 4 objects at once, conflicts {@linkplain
   * StorageSync.ConflictRule#REPORT reported}, no listener, and a migration that re-reads each
   * object from the target before deleting it from the source.
   */
  public static SyncOptions defaults() {
    return new SyncOptions("", 4, StorageSync.ConflictRule.REPORT, progress -> {}, true);
  }

  /** These options with another prefix. */
  public SyncOptions withPrefix(String prefix) {
    return new SyncOptions(prefix, parallelism, conflictRule, listener, verifyByReading);
  }

  /** These options with another parallelism. */
  public SyncOptions withParallelism(int parallelism) {
    return new SyncOptions(prefix, parallelism, conflictRule, listener, verifyByReading);
  }

  /** These options with another conflict rule. */
  public SyncOptions withConflictRule(StorageSync.ConflictRule conflictRule) {
    return new SyncOptions(prefix, parallelism, conflictRule, listener, verifyByReading);
  }

  /** These options with another listener. */
  public SyncOptions withListener(StorageSync.Listener listener) {
    return new SyncOptions(prefix, parallelism, conflictRule, listener, verifyByReading);
  }

  /** These options with or without re-reading the target before a migration deletes. */
  public SyncOptions withVerifyByReading(boolean verifyByReading) {
    return new SyncOptions(prefix, parallelism, conflictRule, listener, verifyByReading);
  }
}
