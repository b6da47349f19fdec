package org.stowage.staging;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.VerifyingInputStream;
import org.stowage.cas.Digest;

/**
 * Reads the outputs that {@link StorageManager}s (and {@link UnitContext}s) stored, given only the
 * store and the handles: for a later unit, or another program, that has no manager, scratch
 * directory or labels. Every read is verified, and a content reference (what a handle holds in
 * content-addressed mode) is resolved to the content it names.
 *
 * <pre>{@code
 * OutputReader outputs = new OutputReader(store);
 * byte[] data = outputs.load(handle);   // verified; the content, in either mode
 * }</pre>
 *
 * <p>What a read checks the bytes against:
 *
 * <ul>
 *   <li>a handle that holds content: the store's metadata for it ({@link
 *       ExternalStorage#getMetadata}), the same MD5 that {@link TransferReport.Entry#metadata()}
 *       gives;
 *   <li>a handle that holds a content reference: the SHA-256 and size of its digest (rule C3). The
 *       content is read from the reference's location in the content store: the store itself
 *       unless the constructor names another (a {@link org.stowage.cas.ContentAddressedStore} over
 *       another storage).
 * </ul>
 *
 * <p>A handle holds a reference if its object has at most 1024 bytes and parses as the reference
 * format of docs/staging.md; anything else is content. Damaged data raises {@link
 * ChangedExternalResourceException}; it is never returned as good data.
 *
 * <p>Thread-safe; it holds no state besides the storages, which the caller keeps and closes.
 */
public final class OutputReader {
  private final ExternalStorage storage;
  private final ExternalStorage contentStorage;

  /** A reader of handles in {@code storage}, whose content references name content in it too. */
  public OutputReader(ExternalStorage storage) {
    this(storage, storage);
  }

  /**
   * A reader of handles in {@code storage} whose content references name content in {@code
   * contentStorage}: the storage of the {@link org.stowage.cas.ContentAddressedStore} the manager
   * stored into.
   */
  public OutputReader(ExternalStorage storage, ExternalStorage contentStorage) {
    this.storage = Objects.requireNonNull(storage, "storage");
    this.contentStorage = Objects.requireNonNull(contentStorage, "contentStorage");
  }

  /**
   * Reads the whole content of {@code handle}, verified.
   *
   * @throws MissingExternalResourceException if nothing is at {@code handle}, or at the location a
   *     reference there names
   * @throws ChangedExternalResourceException if the bytes are not the ones expected
   * @throws ExternalResourceException if reading fails
   */
  public byte[] load(String handle) {
    try (InputStream in = open(handle)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new ExternalResourceException(this + ": load of " + Location.quote(handle) + " failed: " + e, handle, e);
    }
  }

  /**
   * Opens the content of {@code handle}, verified while it is read: the read that would report the
   * end throws {@link ChangedExternalResourceException} (inside an {@link IOException} where the
   * stream's signature requires) if the bytes differ. The caller closes the stream.
   *
   * @throws MissingExternalResourceException if nothing is at {@code handle}
   */
  public InputStream open(String handle) {
    Metadata metadata = storage.getMetadata(handle);
    if (metadata.size() <= ContentReference.MAX_BYTES) {
      byte[] small = storage.loadBytes(handle, metadata);
      ContentReference reference = ContentReference.parse(small);
      return reference != null ? openContent(reference) : new ByteArrayInputStream(small);
    }
    return storage.loadStream(handle, metadata);
  }

  /**
   * The MD5 and size of the content of {@code handle} (resolving a reference, without reading the
   * content): what {@link TransferReport.Entry#metadata()} reported for it.
   *
   * @throws MissingExternalResourceException if nothing is at {@code handle}
   */
  public Metadata contentMetadata(String handle) {
    Metadata metadata = storage.getMetadata(handle);
    if (metadata.size() <= ContentReference.MAX_BYTES) {
      ContentReference reference = ContentReference.parse(storage.loadBytes(handle, metadata));
      if (reference != null) {
        return reference.metadata();
      }
    }
    return metadata;
  }

  /** Opens the content a reference names, verified against its digest (rule C3). */
  InputStream openContent(ContentReference reference) {
    Digest digest = reference.digest();
    return VerifyingInputStream.ofDigest(
        contentStorage.loadStream(reference.contentLocation()),
        Digest.newMessageDigest(digest.algorithm()),
        digest.hex(),
        digest.size(),
        reference.contentLocation(),
        this + ": content-addressed load",
        "C3");
  }

  @Override
  public String toString() {
    return "OutputReader[" + storage + (contentStorage == storage ? "" : ", content in " + contentStorage) + "]";
  }
}
