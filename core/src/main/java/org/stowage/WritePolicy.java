package org.stowage;

/**
 * What a store does when an object is already present at its location (contract rule S5).
 *
 * <p>Every policy is atomic per location: a reader sees either the previous object or the complete
 * new one (S2), and under concurrent writers the outcome is the one some serial order of the
 * writers would give (T1).
 *
 * <p>One exception to "some serial order" (rule S5.2): a {@code storeStream} under {@link
 * #SKIP_IF_EXISTS} or {@link #FAIL_IF_DIFFERENT} whose location is created and deleted again by
 * others while it runs may give up with an {@link ExternalResourceException} that asks for a
 * retry, changing nothing: it met an object it cannot describe any more, and a stream cannot be
 * read twice. Stores from bytes or a file read their source again instead.
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
