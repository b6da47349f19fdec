package org.stowage;

/**
 * Thrown when the bytes at a location are not the ones expected: a verified load whose MD5 or size differs from the expected {@link Metadata} (R2), a {@link ExternalStorage#verify verify} that finds the object damaged (R4), or an object that a backend can tell was changed behind its back (R3).
 *
 * <p>The message names the storage and the location; {@link #location()} returns the location.
 */
public class ChangedExternalResourceException extends ExternalResourceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what went wrong, naming the storage and the location
   * @param location the location concerned
   * @param cause the underlying failure, or {@code null}
   */
  public ChangedExternalResourceException(String message, String location, Throwable cause) {
    super(message, location, cause);
  }

  /**
   * Same as {@code this(message, location, null)}.
   *
   * @param message what changed, naming the storage and the location
   * @param location the location whose object changed, or {@code null} if none
   */
  public ChangedExternalResourceException(String message, String location) {
    this(message, location, null);
  }
}
