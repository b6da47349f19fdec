package org.stowage.compose;

import java.util.List;

/**
 * What a {@link StorageSync#migrate} did.
 *
 * @param moved objects now on the target, verified, and deleted from the source
 * @param copied how many of those were copied by this migration (the others were already on the
 *     target, identical: left there by an interrupted migration, for example)
 * @param bytes bytes copied
 * @param conflicts objects the target already held with other content; left on both sides
 * @param errors objects that could not be moved, in location order; each is still on the source
 *     (and maybe also on the target); a re-run retries them
 */
public record MigrationReport(
    long moved, long copied, long bytes, List<StorageSync.Conflict> conflicts, List<StorageSync.Failure> errors) {

  /**
   * Copies the lists.
   *
   * @param moved how many objects are now on the target, verified, and gone from the source
   * @param copied how many of those this migration copied
   * @param bytes how many bytes were copied
   * @param conflicts the conflicts, copied
   * @param errors the failures, copied
   */
  public MigrationReport {
    conflicts = List.copyOf(conflicts);
    errors = List.copyOf(errors);
  }

  /**
   * Whether every object was moved: no conflict and no error.
   *
   * @return true if {@link #conflicts()} and {@link #errors()} are both empty
   */
  public boolean isComplete() {
    return conflicts.isEmpty() && errors.isEmpty();
  }
}
