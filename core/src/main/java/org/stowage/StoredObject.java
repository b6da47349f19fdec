package org.stowage;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * An object opened by {@link ExternalStorage#loadObject}: its bytes as a stream, and the metadata
 * that describes exactly those bytes, both from one look at the object, so that a writer replacing
 * it meanwhile cannot pair one version's bytes with another's metadata.
 *
 * <p>The stream is verified while it is read (rule R2): the read that would report the end of the
 * data throws {@link ChangedExternalResourceException} instead if the bytes read do not hash to
 * {@link #metadata()}, and a read past its size throws at once. A reader that stops early gets no
 * verdict.
 *
 * <p>Ownership: the receiver owns the stream and must close it, by closing this object (with
 * try-with-resources) or the stream itself; closing either is enough, and closing twice is
 * harmless. Not thread-safe, like most streams.
 *
 * @param stream the object's bytes, verified against {@code metadata} while read
 * @param metadata the MD5 and size of exactly the bytes {@code stream} yields
 */
public record StoredObject(InputStream stream, Metadata metadata) implements Closeable {
  /**
   * Both components must be non-null.
   *
   * @param stream the object's bytes; whoever receives the record closes it
   * @param metadata the MD5 and size those bytes should have
   * @throws NullPointerException if either is null
   */
  public StoredObject {
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(metadata, "metadata");
  }

  /** Closes the stream, abandoning an unfinished verification. */
  @Override
  public void close() throws IOException {
    stream.close();
  }
}
