package org.stowage;

import java.util.Objects;

/**
 * One object of a listing by {@link ExternalStorage#iterObjects(String, String, int)}: its
 * location and, when the backend read it in the same pass (rule I8), its whole content with the
 * metadata that content was verified against.
 *
 * <p>An object listed {@linkplain #hasContent() without content} is one the backend did not read
 * while it listed: it is larger than the limit the caller gave, the backend does not read while
 * it lists (S3, and the default of every backend), or the quick read could not vouch for the
 * bytes (the object changed while it was read, its record does not fit it, or the bytes do not
 * hash to the record). The caller then reads it the ordinary way, with {@link
 * ExternalStorage#loadObject}, which reports damage, absence and races as it always does. So
 * "without content" is never an error and never a verdict on the object.
 *
 * <p>An object that {@code iterObjects} passes on with content is one whose bytes, at some moment
 * while the listing ran, were read whole and hashed by the core to exactly {@link #metadata()},
 * the metadata the store recorded for them (rules S1, R3): the same guarantee as a verified
 * {@link ExternalStorage#loadBytes(String, Metadata) loadBytes} at that moment. One made with
 * {@link #withContent} elsewhere (what a backend's hook returns) is only a claim until the core
 * has checked it.
 *
 * <p>Ownership: each object listed with content holds an array of its own, which {@link
 * #content()} hands over without copying, the same array on every call: whoever holds the object
 * owns the array, and a change to it is seen by every later call (the metadata stays as it was).
 * The fields are final, so an object is safe to pass between threads once listed; equality is
 * identity.
 */
public final class ListedObject {
  private final String location;
  private final Metadata metadata;
  private final byte[] content;
  /**
   * Whether a core checked the content against the metadata: set only by {@link #checked}, so a
   * decorator that hands on its tier's listing costs no second hash, and no backend can claim it.
   */
  private final boolean checked;

  private ListedObject(String location, Metadata metadata, byte[] content, boolean checked) {
    this.location = Objects.requireNonNull(location, "location");
    this.metadata = metadata;
    this.content = content;
    this.checked = checked;
  }

  /** This object, with content not yet checked, as checked by a core: its content hashes to its metadata. */
  ListedObject checked() {
    return new ListedObject(location, metadata, content, true);
  }

  /** Whether a core already checked this object's content. */
  boolean isChecked() {
    return checked;
  }

  /**
   * An object listed without its content.
   *
   * @param location the object's location
   * @return the listed object
   * @throws NullPointerException if {@code location} is null
   */
  public static ListedObject of(String location) {
    return new ListedObject(location, null, null, false);
  }

  /**
   * An object listed with its content, read whole, and the metadata the store recorded for it: what
   * a backend's {@link ExternalStorage#listObjects(String, String, int)} hook hands to the core,
   * which hashes {@code content} and passes the object on with its content only if that matches
   * {@code metadata}. The array is handed over, not copied: the backend keeps no reference to it.
   *
   * @param location the object's location
   * @param metadata the metadata recorded for the object, which {@code content} should match
   * @param content the object's bytes, read whole
   * @return the listed object
   * @throws NullPointerException if any argument is null
   */
  public static ListedObject withContent(String location, Metadata metadata, byte[] content) {
    return new ListedObject(
        location, Objects.requireNonNull(metadata, "metadata"), Objects.requireNonNull(content, "content"),
        false);
  }

  /**
   * The object's location.
   *
   * @return the location, never null
   */
  public String location() {
    return location;
  }

  /**
   * Whether the listing read the object: then {@link #content()} and {@link #metadata()} answer.
   *
   * @return true if the object was listed with its content
   */
  public boolean hasContent() {
    return content != null;
  }

  /**
   * The object's bytes, read while it was listed: the array itself, not a copy, the same on every
   * call.
   *
   * @return the object's whole content
   * @throws IllegalStateException if the object was listed without content ({@link #hasContent()}
   *     is false): load it with {@link ExternalStorage#loadObject} instead
   */
  public byte[] content() {
    if (content == null) {
      throw new IllegalStateException(Location.quote(location) + " was listed without its content;"
          + " load it with loadObject (rule I8)");
    }
    return content;
  }

  /**
   * The metadata the store recorded for the object, which {@link #content()} hashes to.
   *
   * @return the object's MD5 and size
   * @throws IllegalStateException if the object was listed without content
   */
  public Metadata metadata() {
    if (metadata == null) {
      throw new IllegalStateException(Location.quote(location) + " was listed without its content"
          + " and metadata; load it with loadObject (rule I8)");
    }
    return metadata;
  }

  /** The location, and the size when listed with content; for messages, not for parsing. */
  @Override
  public String toString() {
    return content == null
        ? Location.quote(location)
        : Location.quote(location) + " (" + content.length + " bytes, md5 " + metadata.md5() + ")";
  }
}
