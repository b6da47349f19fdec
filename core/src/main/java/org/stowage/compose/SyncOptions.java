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
   * @param prefix the listing prefix of the objects that take part, per rule L5
   * @param parallelism how many objects are transferred at once, positive
   * @param conflictRule what a two-way sync does with an object that differs on the two sides
   * @param listener who hears about every object handled
   * @param verifyByReading whether a migration re-reads each object from the target before it
   *     deletes it from the source
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
   *
   * @return the default options
   */
  public static SyncOptions defaults() {
    return new SyncOptions("", 4, StorageSync.ConflictRule.REPORT, progress -> {}, true);
  }

  /**
   * These options with another prefix.
   *
   * @param prefix the new prefix, per rule L5
   * @return a new record, equal to this one but for {@code prefix}
   */
  public SyncOptions withPrefix(String prefix) {
    return new SyncOptions(prefix, parallelism, conflictRule, listener, verifyByReading);
  }

  /**
   * These options with another parallelism.
   *
   * @param parallelism how many objects to transfer at once, positive
   * @return a new record, equal to this one but for {@code parallelism}
   */
  public SyncOptions withParallelism(int parallelism) {
    return new SyncOptions(prefix, parallelism, conflictRule, listener, verifyByReading);
  }

  /**
   * These options with another conflict rule.
   *
   * @param conflictRule what a two-way sync does with an object that differs on the two sides
   * @return a new record, equal to this one but for {@code conflictRule}
   */
  public SyncOptions withConflictRule(StorageSync.ConflictRule conflictRule) {
    return new SyncOptions(prefix, parallelism, conflictRule, listener, verifyByReading);
  }

  /**
   * These options with another listener.
   *
   * @param listener who hears about every object handled
   * @return a new record, equal to this one but for {@code listener}
   */
  public SyncOptions withListener(StorageSync.Listener listener) {
    return new SyncOptions(prefix, parallelism, conflictRule, listener, verifyByReading);
  }

  /**
   * These options with or without re-reading the target before a migration deletes.
   *
   * @param verifyByReading true to re-read each object from the target before a migration deletes
   *     it
   * @return a new record, equal to this one but for {@code verifyByReading}
   */
  public SyncOptions withVerifyByReading(boolean verifyByReading) {
    return new SyncOptions(prefix, parallelism, conflictRule, listener, verifyByReading);
  }
}
