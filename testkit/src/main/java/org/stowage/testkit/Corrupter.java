package org.stowage.testkit;

import org.stowage.ExternalStorage;

/**
 * Damages a stored object behind its storage's back, for the corruption checks of {@link
 * ExternalStorageContract} (rules R2, R3 and R4).
 *
 * <p>An implementation changes at least one byte of the object stored at {@code location} without
 * going through the {@link ExternalStorage} API, and keeps its size, the way a flipped bit on a disk
 * or a bucket edited by hand would: for a filesystem backend, rewrite one byte of the object's file
 * in place; for S3, put different bytes of the same length under the key with a plain S3 client.
 * It must not touch whatever metadata the backend recorded for the object; the point is that the
 * backend then notices the difference.
 *
 * <p>The kit calls it only for locations it stored itself, with at least one byte, and only while
 * no other operation runs on the storage.
 */
@FunctionalInterface
public interface Corrupter {

  /**
   * Changes the stored bytes of {@code location} in {@code storage}, keeping their number.
   *
   * @param storage the storage under test, as {@link ExternalStorageContract#newStorage()}
   *     returned it
   * @param location the location of an object that the kit stored, valid and non-empty
   * @throws Exception if the object cannot be damaged; the test then fails with it
   */
  void corrupt(ExternalStorage storage, String location) throws Exception;
}
