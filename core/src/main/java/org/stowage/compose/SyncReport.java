package org.stowage.compose;

import java.util.List;

/**
 * What a {@link StorageSync#sync} did.
 *
 * @param copiedToTarget objects copied from the source to the target (new or changed there)
 * @param copiedToSource objects copied from the target to the source (two-way syncs only)
 * @param deletedFromTarget objects deleted from the target because the source lacked them ({@link
 *     StorageSync.Direction#MIRROR} only)
 * @param skipped objects found identical (same MD5 and size) on both sides, not copied
 * @param bytes bytes copied, both ways
 * @param conflicts objects that differ on the two sides and were left as they are, in location
 *     order
 * @param errors objects that could not be handled, in location order; a re-run retries them
 */
public record SyncReport(
    long copiedToTarget,
    long copiedToSource,
    long deletedFromTarget,
    long skipped,
    long bytes,
    List<StorageSync.Conflict> conflicts,
    List<StorageSync.Failure> errors) {

  /**
   * Copies the lists.
   *
   * @param copiedToTarget how many objects were copied from the source to the target
   * @param copiedToSource how many objects were copied from the target to the source
   * @param deletedFromTarget how many objects were deleted from the target
   * @param skipped how many objects were found identical on both sides
   * @param bytes how many bytes were copied, both ways
   * @param conflicts the conflicts, copied
   * @param errors the failures, copied
   */
  public SyncReport {
    conflicts = List.copyOf(conflicts);
    errors = List.copyOf(errors);
  }

  /**
   * Objects copied, both ways.
   *
   * @return {@code copiedToTarget() + copiedToSource()}
   */
  public long copied() {
    return copiedToTarget + copiedToSource;
  }

  /**
   * Whether the sync left both sides equal: no conflict and no error.
   *
   * @return true if {@link #conflicts()} and {@link #errors()} are both empty
   */
  public boolean isComplete() {
    return conflicts.isEmpty() && errors.isEmpty();
  }
}
