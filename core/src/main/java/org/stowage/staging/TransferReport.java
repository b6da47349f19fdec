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
   * <p>Which call reads the data back: {@link OutputReader#load(String) new
   * OutputReader(store).load(location)}, in either mode, verified. With the plain store, {@code
   * store.loadBytes(contentLocation, metadata)} is the verified load: {@code metadata} is the MD5
   * and size of the content, and {@code contentLocation} is where that content is. Without content
   * addressing that is {@code location} itself; in content-addressed mode {@code location} holds a
   * small reference (see docs/staging.md) and the content is at {@code contentLocation}, in the
   * storage of the content-addressed store, so {@code store.loadBytes(location, metadata)} fails
   * there: read the handle with an {@link OutputReader}.
   *
   * @param location its location in the store: the handle to pass on to later units
   * @param source the scratch file it came from (gone after a moving transfer)
   * @param metadata the MD5 and size of its content
   * @param digest its content digest, in content-addressed mode; {@code null} otherwise
   * @param uploaded true if this transfer stored the content; false if it was already there with
   *     the same MD5 (a resumed transfer, or content shared with other units in content-addressed
   *     mode)
   * @param contentLocation where the content is: {@code location}, or in content-addressed mode
   *     the content's location in the content-addressed store
   */
  public record Entry(
      String location, Path source, Metadata metadata, Digest digest, boolean uploaded, String contentLocation) {}
}
