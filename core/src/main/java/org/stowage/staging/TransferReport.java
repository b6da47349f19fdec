package org.stowage.staging;

import java.nio.file.Path;
import java.util.List;
import org.stowage.Metadata;
import org.stowage.cas.Digest;

/**
 * What a {@link StorageManager#transfer()} did: one entry per registered file, in registration
 * order.
 *
 * @param files the entries
 */
public record TransferReport(List<Entry> files) {
  /** Copies the list. */
  public TransferReport {
    files = List.copyOf(files);
  }

  /** The number of bytes uploaded by this transfer (content found already present not counted). */
  public long bytesUploaded() {
    return files.stream().filter(Entry::uploaded).mapToLong(e -> e.metadata().size()).sum();
  }

  /** The number of files uploaded by this transfer. */
  public long uploadedCount() {
    return files.stream().filter(Entry::uploaded).count();
  }

  /**
   * One transferred file.
   *
   * @param location its location in the store: the handle to pass on to later units
   * @param source the scratch file it came from
   * @param metadata the MD5 and size of its content
   * @param digest its content digest, in content-addressed mode; {@code null} otherwise
   * @param uploaded true if this transfer stored the content; false if it was already there with
   *     the same MD5 (a resumed transfer, or content shared with other units in content-addressed
   *     mode)
   */
  public record Entry(String location, Path source, Metadata metadata, Digest digest, boolean uploaded) {}
}
