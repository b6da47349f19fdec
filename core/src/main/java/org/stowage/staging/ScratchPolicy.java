package org.stowage.staging;

/** What happens to a scratch directory once its files have been transferred. */
public enum ScratchPolicy {
  /** Leave it as it is. */
  KEEP,
  /**
   * Delete it, with everything in it, after a transfer at close succeeded. If the transfer failed,
   * the scratch directory is kept, so that nothing is lost and a retry can resume.
   */
  DELETE_AFTER_TRANSFER
}
