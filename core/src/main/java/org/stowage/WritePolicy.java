package org.stowage;

/**
 * What a store does when an object is already present at its location (contract rule S5).
 *
 * <p>Every policy is atomic per location: a reader sees either the previous object or the complete
 * new one (S2), and under concurrent writers the outcome is the one some serial order of the
 * writers would give (T1).
 */
public enum WritePolicy {
  /**
   * Replace whatever is present. The default, as in gufe and in {@code java.nio.file.Files.copy}
   * with {@code REPLACE_EXISTING}.
   */
  OVERWRITE,

  /**
   * Store only if nothing is present; otherwise fail with {@link ExistingExternalResourceException}
   * and change nothing. The check and the write are one atomic step: of many concurrent writers to
   * one location, exactly one succeeds.
   */
  CREATE,

  /**
   * Keep a present object and return its metadata without storing (a stream source is then left
   * unread); store only if nothing is present. Atomic as {@link #CREATE} is: a writer that loses a
   * race returns the winner's metadata.
   */
  SKIP_IF_EXISTS,

  /**
   * Succeed if nothing is present (and store), or if the present object has the same MD5 and size
   * as the new content (and store nothing); otherwise fail with {@link
   * ExistingExternalResourceException} and change nothing. For idempotent retries: storing the same
   * result twice is harmless, storing a different one is an error. The source is read to know its
   * MD5 even when nothing is stored.
   */
  FAIL_IF_DIFFERENT
}
